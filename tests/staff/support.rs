//! The app under test: a fresh database with [`CONFIG`] imported, a manual clock set to
//! `test_now()` (Monday 2027-03-01 08:00 in Madrid), the real router, and typed helpers.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use cita::app::connect_booking;
use cita::booking::{
    Actor, BookOutcome, BookRequest, Booking, CitizenInput, ConfigSource, Role, import_config,
};
use cita::clock::ManualClock;
use cita::http::{AppState, HttpSettings, router};
use cita::store::StoreOptions;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::common::{Db, TestDb, test_db, test_now};

/// Madrid: weekdays 09:00-14:00; desk a serves dni and tie, desk b only dni.
/// Barcelona: the same hours, desk c serves both.
pub const CONFIG: &str = r#"[booking]
hold_ttl_seconds = 300

[[office]]
id = "madrid"
name = "Oficina de Madrid"
timezone = "Europe/Madrid"
address = "Calle Ejemplo 1, Madrid"

  [[office.hours]]
  days = ["mon", "tue", "wed", "thu", "fri"]
  open = "09:00"
  close = "14:00"

  [[office.service]]
  id = "renovacion-dni"
  name = "Renovación del DNI"
  duration_minutes = 15

  [[office.service]]
  id = "huellas-tie"
  name = "Huellas TIE"
  duration_minutes = 30

  [[office.desk]]
  id = "a"
  services = ["renovacion-dni", "huellas-tie"]

  [[office.desk]]
  id = "b"
  services = ["renovacion-dni"]

[[office]]
id = "barcelona"
name = "Oficina de Barcelona"
timezone = "Europe/Madrid"
address = "Carrer Exemple 1, Barcelona"

  [[office.hours]]
  days = ["mon", "tue", "wed", "thu", "fri"]
  open = "09:00"
  close = "14:00"

  [[office.service]]
  id = "renovacion-dni"
  name = "Renovación del DNI"
  duration_minutes = 15

  [[office.desk]]
  id = "c"
  services = ["renovacion-dni"]
"#;

pub const DNI: &str = "renovacion-dni";
pub const TIE: &str = "huellas-tie";

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<ManualClock>,
    /// Kept alive for the test: dropping it drops the database.
    pub db: TestDb,
}

/// The app with [`CONFIG`]; `None` when the backend is not configured.
pub async fn spawn(db: Db) -> Option<TestApp> {
    let db = test_db(db).await?;
    let clock = Arc::new(ManualClock::new(test_now()));
    let store = cita::store::connect(&db.url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    import_config(&store, &ConfigSource::inline(CONFIG), test_now())
        .await
        .expect("import");
    store.close().await;
    let state = app_state(&db.url, clock.clone()).await;
    Some(TestApp {
        router: router(state.clone()),
        state,
        clock,
        db,
    })
}

/// Another instance's state on the same database (same clock).
pub async fn app_state(url: &str, clock: Arc<ManualClock>) -> AppState {
    let booking = connect_booking(url, &StoreOptions::default(), clock)
        .await
        .expect("booking");
    AppState {
        booking,
        settings: Arc::new(HttpSettings::new("http://cita.test")),
    }
}

/// An instant given as local Madrid wall time in 2027.
pub fn madrid(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Madrid
        .with_ymd_and_hms(2027, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A valid DNI for a number.
pub fn dni(n: u32) -> String {
    crate::common::dni(n)
}

/// A raw answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    pub fn booking(&self) -> &Booking {
        &self.state.booking
    }

    /// A staff token for a new user with `role` (and `office`).
    pub async fn staff(&self, role: Role, office: Option<&str>) -> String {
        let name = format!("{role}-{}", cita::booking::secrets::random_id());
        let office = office.map(cita::domain::OfficeId::new);
        self.booking()
            .add_staff_user(&name, role, office.as_ref())
            .await
            .unwrap()
            .token
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A JSON call with an optional staff token and body.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        self.call_with(method, uri, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, uri, token, None).await
    }

    /// `PUT /api/v1/admin/config` with a TOML body.
    pub async fn put_config(&self, token: &str, toml: &str, query: &str) -> Answer {
        let request = Request::builder()
            .method(Method::PUT)
            .uri(format!("/api/v1/admin/config{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/toml")
            .body(Body::from(toml.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// A citizen booking through the booking service.
    pub async fn book(
        &self,
        office: &str,
        service: &str,
        start: DateTime<Utc>,
        n: u32,
    ) -> BookOutcome {
        self.booking()
            .book(
                &BookRequest {
                    office_id: office.into(),
                    service_id: service.into(),
                    start,
                    hold_id: None,
                    citizen: CitizenInput {
                        name: format!("Ciudadana {n}"),
                        document: dni(n),
                        document_type: None,
                        email: None,
                        phone: None,
                        language: None,
                    },
                },
                None,
                &Actor::Citizen,
            )
            .await
            .unwrap()
    }

    /// The appointment's status and sequence as its citizen sees them.
    pub async fn citizen_view(&self, outcome: &BookOutcome) -> (String, i64) {
        let a = self
            .booking()
            .get(outcome.appointment.locator.as_str(), &outcome.token)
            .await
            .unwrap();
        (a.status.to_string(), a.sequence)
    }
}

/// Asserts a problem answer's status and code.
#[track_caller]
pub fn assert_problem(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text());
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("application/problem+json")
    );
    assert_eq!(answer.json()["code"], code, "{}", answer.text());
}
