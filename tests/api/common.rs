//! Test harness: a fresh database per test (SQLite always, PostgreSQL when
//! `CITA_TEST_POSTGRES_URL` is set), the app built by `Application::build` with the demo
//! offices and a fixed clock, and typed helpers that send requests through the real router.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use cita::app::{Application, ServeSettings};
use cita::clock::ManualClock;
use cita::http::AppState;
use cita::store::{SqliteSync, StoreOptions};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Base URL the app believes it is reached at (for `ics_url` and iCalendar UIDs).
pub const PUBLIC_URL: &str = "https://citas.example.es";

// The demo offices (demo/offices.toml).
pub const MADRID: &str = "madrid-extranjeria";
pub const BARCELONA: &str = "barcelona-extranjeria";
pub const LAS_PALMAS: &str = "las-palmas-dni";
/// Madrid and Barcelona: 15 and 20 minutes; Madrid serves it at two desks.
pub const HUELLAS: &str = "huellas-tie";
/// Madrid only: 40 minutes + 5 buffer, step 15, notice 120 minutes, 30 days ahead.
pub const ASILO: &str = "asilo";
/// Las Palmas only: 10 minutes, one desk, 90 days ahead.
pub const RENOVACION: &str = "renovacion-dni";

pub use crate::db::*;

/// "Now" in these tests: Monday 2027-03-01 07:00 UTC (08:00 in Madrid, 07:00 in Las
/// Palmas), four weeks before the switch to summer time on 2027-03-28.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 7, 0, 0).unwrap()
}

/// An RFC 3339 instant as UTC.
pub fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("not RFC 3339: {text:?}: {e}"))
        .to_utc()
}

/// The offset part of an RFC 3339 instant (`+01:00`).
pub fn offset_of(text: &str) -> String {
    let parsed: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(text).unwrap();
    parsed.format("%:z").to_string()
}

/// A running app: the real router over a fresh database, with a clock the test moves.
pub struct TestApp {
    router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// The delivery worker, when built with [`spawn_notifying`]: tests run its rounds
    /// themselves (`notifier.round()`), on the test's clock.
    pub notifier: Option<cita::notify::Notifier>,
    /// Kept alive for the test: dropping it drops the database.
    _db: Option<TestDb>,
}

/// Builds the app like `cita serve --demo` does; `None` when the backend is not configured.
pub async fn spawn(db: Db) -> Option<TestApp> {
    spawn_with(db, None).await
}

/// [`spawn`] with notifications sent as `notify` says, by a worker the test drives.
pub async fn spawn_notifying(db: Db, notify: cita::notify::NotifySettings) -> Option<TestApp> {
    spawn_with(db, Some(notify)).await
}

async fn spawn_with(db: Db, notify: Option<cita::notify::NotifySettings>) -> Option<TestApp> {
    let test_db = test_db(db).await?;
    let clock = Arc::new(ManualClock::new(test_now()));
    let settings = serve_settings(test_db.url.clone(), notify);
    let app = Application::build(&settings, "127.0.0.1:0", clock.clone())
        .await
        .expect("build the application");
    Some(TestApp {
        router: cita::http::router(app.state.clone()),
        state: app.state,
        notifier: app.notifier,
        clock,
        _db: Some(test_db),
    })
}

/// What `cita serve --demo` is given in these tests.
fn serve_settings(
    database_url: String,
    notify: Option<cita::notify::NotifySettings>,
) -> ServeSettings {
    ServeSettings {
        database_url,
        config: None,
        demo: true,
        public_url: Some(PUBLIC_URL.to_owned()),
        // Every request here comes from one address; limits have their own suite.
        rate_limit: false,
        trust_proxy: false,
        staff_idle_minutes: 480,
        worker: notify.is_some(),
        notify: notify.unwrap_or_else(|| cita::notify::NotifySettings::new("")),
        store: StoreOptions {
            sqlite_synchronous: SqliteSync::Normal,
            log_slow_statements: None,
            ..StoreOptions::default()
        },
    }
}

/// An answer, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a JSON answer with `status` and returns its body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert!(
            self.content_type().starts_with("application/json"),
            "content-type {:?}",
            self.content_type()
        );
        self.json()
    }

    /// Asserts an RFC 9457 problem with `status` and `code`, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert_eq!(body["status"], status, "body: {body}");
        for field in ["type", "title", "detail"] {
            assert!(body[field].is_string(), "no {field} in {body}");
        }
        // Every problem names its request, as the X-Request-Id header does; returned
        // without it, so that two answers can be compared.
        let mut body = body;
        let instance = body
            .as_object_mut()
            .and_then(|fields| fields.remove("instance"))
            .unwrap_or_else(|| panic!("no instance in {}", self.text()));
        let id = self.headers["x-request-id"].to_str().unwrap();
        assert_eq!(instance, format!("urn:cita:request:{id}"));
        body
    }
}

/// A booking request in the API's JSON shape.
#[derive(Debug, Clone)]
pub struct BookReq {
    pub office: String,
    pub service: String,
    pub start: String,
    pub document: String,
    pub hold_id: Option<String>,
}

impl BookReq {
    pub fn new(office: &str, service: &str, start: &str, document: &str) -> Self {
        BookReq {
            office: office.to_owned(),
            service: service.to_owned(),
            start: start.to_owned(),
            document: document.to_owned(),
            hold_id: None,
        }
    }

    pub fn json(&self) -> Value {
        let mut body = json!({
            "office_id": self.office,
            "service_id": self.service,
            "start": self.start,
            "citizen": {"name": "Ana García López", "document": self.document,
                        "email": "ana@example.es", "phone": "+34 600 000 000"},
        });
        if let Some(hold) = &self.hold_id {
            body["hold_id"] = json!(hold);
        }
        body
    }
}

/// What a successful booking answered.
#[derive(Debug, Clone)]
pub struct Booked {
    pub locator: String,
    pub token: String,
    /// Opens only the `.ics` file.
    pub calendar_token: String,
    pub start: String,
    pub body: Value,
}

/// One bookable start as `/slots` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: String,
    pub end: String,
    pub capacity: u64,
}

impl TestApp {
    /// The database's URL (for processes the test starts on the same database).
    pub fn database_url(&self) -> Option<&str> {
        self._db.as_ref().map(|db| db.url.as_str())
    }

    /// Another instance on the same database, as behind a load balancer: caches of its
    /// own, the same clock.
    pub async fn twin(&self) -> TestApp {
        let url = self
            .database_url()
            .expect("a database of its own")
            .to_owned();
        let app = Application::build(
            &serve_settings(url, None),
            "127.0.0.1:0",
            self.clock.clone(),
        )
        .await
        .expect("build the second instance");
        TestApp::from_state(app.state, self.clock.clone())
    }

    /// An app built elsewhere (another database URL, other store options), on its router.
    pub fn from_state(state: AppState, clock: Arc<ManualClock>) -> TestApp {
        TestApp {
            router: cita::http::router(state.clone()),
            state,
            clock,
            notifier: None,
            _db: None,
        }
    }

    /// The same app behind another router (for example one with surge protection).
    pub fn with_router(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("read body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> Answer {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A request with any method, headers and raw body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(body.into()).unwrap()).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post_json_with(path, body, &[]).await
    }

    pub async fn post_json_with(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.raw(Method::POST, path, &all, body.to_string()).await
    }

    /// POST with `Authorization: Bearer`.
    pub async fn post_with_token(&self, path: &str, token: &str, body: &Value) -> Answer {
        let auth = format!("Bearer {token}");
        self.post_json_with(path, body, &[("authorization", &auth)])
            .await
    }

    /// Books and asserts the 201.
    pub async fn book(&self, request: &BookReq) -> Booked {
        let answer = self.try_book(request).await;
        let body = answer.ok(201);
        Booked {
            locator: body["locator"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
            calendar_token: body["calendar_token"].as_str().unwrap().to_owned(),
            start: body["start"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub async fn try_book(&self, request: &BookReq) -> Answer {
        self.post_json("/api/v1/appointments", &request.json())
            .await
    }

    /// `/slots` of a date, asserted 200.
    pub async fn slots(&self, office: &str, service: &str, date: &str) -> Vec<Slot> {
        let body = self
            .get(&format!(
                "/api/v1/offices/{office}/services/{service}/slots?date={date}"
            ))
            .await
            .ok(200);
        body["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Slot {
                start: s["start"].as_str().unwrap().to_owned(),
                end: s["end"].as_str().unwrap().to_owned(),
                capacity: s["capacity"].as_u64().unwrap(),
            })
            .collect()
    }

    /// The capacity `/slots` shows for `start` (0 when the start is not listed).
    pub async fn capacity_at(&self, office: &str, service: &str, start: &str) -> u64 {
        let date = &start[..10];
        self.slots(office, service, date)
            .await
            .into_iter()
            .find(|s| instant(&s.start) == instant(start))
            .map_or(0, |s| s.capacity)
    }

    /// The Prometheus exposition text.
    /// An administrator's `Authorization` value (a new staff admin named `name`).
    pub async fn admin_auth(&self, name: &str) -> String {
        let issued = self
            .state
            .booking
            .add_staff_user(name, cita::booking::Role::Admin, None)
            .await
            .unwrap();
        format!("Bearer {}", issued.token)
    }

    /// `PUT /api/v1/admin/config` with the TOML `text`, as the admin `auth`.
    pub async fn put_config(&self, auth: &str, text: &str) -> Answer {
        let headers = [
            ("authorization", auth),
            ("content-type", "application/toml"),
        ];
        self.raw(
            Method::PUT,
            "/api/v1/admin/config",
            &headers,
            text.to_owned(),
        )
        .await
    }

    pub async fn metrics(&self) -> String {
        let answer = self.get("/metrics").await;
        assert_eq!(answer.status, StatusCode::OK);
        answer.text()
    }
}

/// The value of one sample in an exposition (`name{labels}`), 0 when absent.
pub fn sample(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |value| {
            value
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("bad sample value for {series}: {value:?}"))
        })
}

/// Declares one test function per backend from an `async fn(Db)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Db::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Db::Postgres).await }
            )*
        }
    };
}
