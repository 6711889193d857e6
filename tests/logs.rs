//! What reaches the logs (DESIGN §13): every database statement logged (the slow-statement
//! threshold forced to zero) and the access log, captured while a citizen books, holds,
//! looks up, reads, reschedules, downloads the calendar file and cancels, and a clerk
//! books a walk-in. The log must hold the statements and one access line per request —
//! and no name, document (in any spelling), e-mail, phone, token or locator.
//! On SQLite always, on PostgreSQL when `CITA_TEST_POSTGRES_URL` is set.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "shared/db.rs"]
mod db;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use chrono::{TimeZone, Utc};
use cita::app::{Application, ServeSettings};
use cita::clock::ManualClock;
use cita::store::{SqliteSync, StoreOptions};
use db::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Everything every test of this binary logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .json()
            .with_env_filter("debug")
            .with_writer(move || writer.clone())
            .init();
        log
    })
}

fn text_of(log: &Captured) -> String {
    String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned()
}

struct Client {
    router: axum::Router,
    request_ids: Vec<String>,
}

impl Client {
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let mut request = request.body(body).unwrap();
        let peer: SocketAddr = "192.0.2.44:5000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response: Response<Body> = self.router.clone().oneshot(request).await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        self.request_ids.push(id);
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }
}

const NAME: &str = "Perpetua Zubizarreta Quintanilla";
const EMAIL: &str = "perpetua.zubizarreta@example.es";
const PHONE: &str = "+34 699 123 457";

async fn nothing_personal_reaches_the_logs(backend: Db) {
    let log = captured();
    let Some(test_db) = test_db(backend).await else {
        return;
    };
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2027, 3, 1, 7, 0, 0).unwrap(),
    ));
    let settings = ServeSettings {
        database_url: test_db.url.clone(),
        config: None,
        demo: true,
        public_url: Some("https://citas.example.es".into()),
        rate_limit: true,
        trust_proxy: false,
        staff_idle_minutes: 480,
        notify: cita::notify::NotifySettings::new(""),
        worker: false,
        store: StoreOptions {
            sqlite_synchronous: SqliteSync::Normal,
            log_slow_statements: Some(Duration::ZERO),
            ..StoreOptions::default()
        },
    };
    let app = Application::build(&settings, "127.0.0.1:0", clock)
        .await
        .unwrap();
    let staff = app.state.booking.ensure_demo_admin().await.unwrap().token;
    let mut client = Client {
        router: cita::http::router(app.state.clone()),
        request_ids: vec![],
    };
    // A document from a number no other test uses, typed with spaces and in lower case.
    let document = dni(73_519_264);
    let typed = format!("{} {}", &document[..4], &document[4..]).to_lowercase();
    let citizen = json!({"name": NAME, "document": typed, "email": EMAIL, "phone": PHONE});
    let (status, hold) = client
        .send(
            "POST",
            "/api/v1/holds",
            None,
            Some(
                json!({"office_id": "madrid-extranjeria", "service_id": "huellas-tie",
                        "start": "2027-03-02T09:00:00+01:00", "citizen_document": typed}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{hold}");
    let (status, booked) = client
        .send(
            "POST",
            "/api/v1/appointments",
            None,
            Some(
                json!({"office_id": "madrid-extranjeria", "service_id": "huellas-tie",
                        "start": "2027-03-02T09:00:00+01:00", "hold_id": hold["hold_id"],
                        "citizen": citizen}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let locator = booked["locator"].as_str().unwrap().to_owned();
    let token = booked["token"].as_str().unwrap().to_owned();
    let calendar = booked["calendar_token"].as_str().unwrap().to_owned();
    // Refusals too: the same person again, a wrong look-up, a bad document.
    let (status, _) = client
        .send(
            "POST",
            "/api/v1/appointments",
            None,
            Some(
                json!({"office_id": "madrid-extranjeria", "service_id": "huellas-tie",
                        "start": "2027-03-02T10:00:00+01:00", "citizen": citizen}),
            ),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = client
        .send(
            "POST",
            "/api/v1/appointments/lookup",
            None,
            Some(json!({"locator": "ZZZZZZZZ", "document": typed})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, found) = client
        .send(
            "POST",
            "/api/v1/appointments/lookup",
            None,
            Some(json!({"locator": locator, "document": typed})),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let fresh = found["token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/appointments/{locator}");
    assert_eq!(client.send("GET", &path, Some(&token), None).await.0, 200);
    let (status, _) = client
        .send(
            "POST",
            &format!("{path}/reschedule"),
            Some(&fresh),
            Some(json!({"start": "2027-03-02T11:00:00+01:00"})),
        )
        .await;
    assert_eq!(status, 200);
    let calendar = found["calendar_token"]
        .as_str()
        .unwrap_or(&calendar)
        .to_owned();
    let (status, _) = client
        .send(
            "GET",
            &format!("{path}/calendar.ics?token={calendar}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        client
            .send("POST", &format!("{path}/cancel"), Some(&token), None)
            .await
            .0,
        200
    );
    let walk_in = dni(73_519_265);
    let (status, _) = client
        .send(
            "POST",
            "/api/v1/staff/offices/madrid-extranjeria/appointments",
            Some(&staff),
            Some(
                json!({"office_id": "madrid-extranjeria", "service_id": "huellas-tie",
                        "start": "2027-03-02T12:00:00+01:00",
                        "citizen": {"name": NAME, "document": walk_in, "phone": PHONE}}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    // The booking worker and the flusher log from their own tasks: let them finish.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let text = text_of(log);
    // The capture works: statements and one access line per request are there...
    assert!(
        text.contains("\"target\":\"sqlx::query\""),
        "no statement was logged"
    );
    assert!(
        text.contains("appointments"),
        "no statement about appointments"
    );
    for id in &client.request_ids {
        let line = text
            .lines()
            .find(|l| l.contains("cita::access") && l.contains(&format!("\"request_id\":\"{id}\"")))
            .unwrap_or_else(|| panic!("no access line for request {id}"));
        assert!(line.contains("\"status\":"), "{line}");
        assert!(line.contains("\"route\":\"/"), "{line}");
    }
    assert!(text.contains("\"route\":\"/api/v1/appointments/{locator}\""));
    // A statement run while answering a request names the request and the use case, so
    // one request can be followed through the log.
    assert!(
        text.lines()
            .any(|l| l.contains("\"target\":\"sqlx::query\"")
                && l.contains("\"name\":\"reschedule\"")
                && client
                    .request_ids
                    .iter()
                    .any(|id| l.contains(&format!("\"request_id\":\"{id}\"")))),
        "no statement inside the reschedule's spans"
    );
    // A booking's transaction runs in the booking queue's task: the request's line names
    // the batch, and the batch's statements carry its number.
    // (Both backends' tests share this log: only this client's requests are looked at.)
    let answered: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("booking answered")
                && client
                    .request_ids
                    .iter()
                    .any(|id| l.contains(&format!("\"request_id\":\"{id}\"")))
        })
        .collect();
    // The citizen's booking and the clerk's walk-in.
    assert!(answered.len() >= 2, "{answered:?}");
    for line in &answered {
        let batch = line
            .split("\"batch\":")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap_or_else(|| panic!("no batch number in {line}"));
        assert!(
            text.lines()
                .any(|l| l.contains("\"target\":\"sqlx::query\"")
                    && l.contains("\"name\":\"book_batch\"")
                    && l.contains(&format!("\"batch\":{batch},"))),
            "no statement of batch {batch}"
        );
    }
    // ...and nothing personal or secret is.
    let phone_digits: String = PHONE.chars().filter(char::is_ascii_digit).collect();
    for secret in [
        NAME,
        "Zubizarreta",
        EMAIL,
        PHONE,
        &phone_digits,
        &document,
        &document.to_lowercase(),
        &typed,
        &document[..8],
        &walk_in,
        &token,
        &fresh,
        &calendar,
        &staff,
        &locator,
    ] {
        assert!(
            !text.contains(secret),
            "the log holds {secret:?}:\n{}",
            text.lines()
                .filter(|l| l.contains(secret))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_personal_reaches_the_logs_on_sqlite() {
    nothing_personal_reaches_the_logs(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_personal_reaches_the_logs_on_postgres() {
    nothing_personal_reaches_the_logs(Db::Postgres).await;
}

/// With `[limits] shared` and Redis unreachable, the server says so in a warning — once
/// per 10 s however many checks fall back, and without the Redis URL (it may carry a
/// password) or anything about the client or the document checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_shared_limit_store_is_warned_about_once_and_discreetly() {
    use cita::limits::{LimitSettings, Limits, RouteClass};
    let log = captured();
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let url = format!("redis://:pw-Quintanilla-77@{closed}/0");
    let limits = Limits::new(
        &LimitSettings {
            shared: Some(url.into()),
            shared_timeout_ms: 100,
            ..LimitSettings::default()
        },
        [9; 32],
    )
    .unwrap();
    let client: std::net::IpAddr = "198.51.100.201".parse().unwrap();
    // Within the default bursts (fail open: counted in memory meanwhile).
    for _ in 0..3 {
        assert!(
            limits
                .check_client(RouteClass::Browse, client)
                .await
                .is_ok()
        );
        assert!(limits.check_document("99887766V").await.is_ok());
    }
    let text = text_of(log);
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("the shared rate limits are unreachable"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    for secret in [
        "pw-Quintanilla-77",
        "198.51.100.201",
        "99887766V",
        &closed.to_string(),
    ] {
        assert!(!warnings[0].contains(secret), "{secret} in {}", warnings[0]);
    }
    // Nor does anything else in the log (the Redis client's own lines included).
    assert!(!text.contains("pw-Quintanilla-77"));
}
