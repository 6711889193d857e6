//! When the database goes away (DESIGN §6 `unavailable`): every request that needs it is
//! answered 503 `unavailable` with `Retry-After` within 2 s, `/readyz` says not ready,
//! `/healthz` stays up, and the server recovers by itself when the database returns, with
//! no acknowledged booking lost. PostgreSQL is reached through a TCP proxy the test cuts
//! (every connection reset, new ones refused, as when the server stops) and restores.
//! SQLite's full disk is SQLite's own `SQLITE_FULL`, reached with `max_page_count`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use cita::app::{Application, ServeSettings};
use cita::clock::ManualClock;
use cita::store::{SqliteSync, StoreOptions};
use serde_json::json;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::common::*;

/// A TCP proxy to `target` that can be cut and restored on the same port.
pub(crate) struct Proxy {
    pub(crate) address: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub(crate) async fn start(target: SocketAddr) -> Proxy {
        let proxy = Proxy {
            address: "127.0.0.1:0".parse().unwrap(),
            target,
            tasks: Arc::default(),
        };
        proxy.listen().await
    }

    /// Accepts on `self.address` (a new port the first time, then the same one).
    pub(crate) async fn listen(mut self) -> Proxy {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.address).unwrap();
        let listener: TcpListener = socket.listen(64).unwrap();
        self.address = listener.local_addr().unwrap();
        let (target, tasks) = (self.target, Arc::clone(&self.tasks));
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(forward);
            }
        });
        self.tasks.lock().unwrap().push(accept);
        self
    }

    /// Resets every connection and refuses new ones.
    pub(crate) fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// `url` with its `host:port` replaced by `address`.
fn through(url: &str, address: SocketAddr) -> String {
    let start = url
        .find('@')
        .map_or_else(|| url.find("://").unwrap() + 3, |at| at + 1);
    let end = start + url[start..].find('/').unwrap();
    format!("{}{address}{}", &url[..start], &url[end..])
}

fn target_of(url: &str) -> SocketAddr {
    let start = url
        .find('@')
        .map_or_else(|| url.find("://").unwrap() + 3, |at| at + 1);
    let end = start + url[start..].find('/').unwrap();
    let authority = &url[start..end];
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    };
    authority.replace("localhost", "127.0.0.1").parse().unwrap()
}

async fn app_on(url: &str, store: StoreOptions) -> TestApp {
    let clock = Arc::new(ManualClock::new(test_now()));
    let settings = ServeSettings {
        database_url: url.to_owned(),
        config: None,
        demo: true,
        public_url: Some(PUBLIC_URL.to_owned()),
        store,
        rate_limit: false,
        trust_proxy: false,
        staff_idle_minutes: 480,
        notify: cita::notify::NotifySettings::new(""),
        worker: false,
    };
    let app = Application::build(&settings, "127.0.0.1:0", clock.clone())
        .await
        .expect("build the application");
    TestApp::from_state(app.state, clock)
}

fn quick_store() -> StoreOptions {
    StoreOptions {
        sqlite_synchronous: SqliteSync::Normal,
        ..StoreOptions::default()
    }
}

/// Asserts a fast 503 `unavailable` with `Retry-After`.
#[track_caller]
fn assert_unavailable(answer: &Answer, took: Duration, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        answer.text()
    );
    answer.problem(503, "unavailable");
    assert!(answer.headers.contains_key("retry-after"), "{what}");
    assert!(took < Duration::from_secs(2), "{what} took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_answers_503_at_once_and_the_server_recovers() {
    let Some(db) = test_db(Db::Postgres).await else {
        return;
    };
    let proxy = Proxy::start(target_of(&db.url)).await;
    let app = app_on(&through(&db.url, proxy.address), quick_store()).await;
    let booked = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-03-02T09:00:00+01:00",
            &dni(1),
        ))
        .await;

    proxy.cut();
    let days =
        format!("/api/v1/offices/{MADRID}/services/{HUELLAS}/days?from=2027-03-02&to=2027-03-08");
    let lookup = json!({"locator": booked.locator, "document": dni(1)});
    for round in 0..2 {
        let started = Instant::now();
        let answer = app
            .try_book(&BookReq::new(
                MADRID,
                HUELLAS,
                "2027-03-02T09:15:00+01:00",
                &dni(2),
            ))
            .await;
        assert_unavailable(&answer, started.elapsed(), &format!("booking {round}"));
        let started = Instant::now();
        let answer = app
            .post_json(
                "/api/v1/holds",
                &json!({"office_id": MADRID, "service_id": HUELLAS,
                        "start": "2027-03-02T09:30:00+01:00"}),
            )
            .await;
        assert_unavailable(&answer, started.elapsed(), "hold");
        let started = Instant::now();
        let answer = app.post_json("/api/v1/appointments/lookup", &lookup).await;
        assert_unavailable(&answer, started.elapsed(), "look-up");
        let started = Instant::now();
        let answer = app
            .get_with_token(
                &format!("/api/v1/appointments/{}", booked.locator),
                &booked.token,
            )
            .await;
        assert_unavailable(&answer, started.elapsed(), "read");
        let started = Instant::now();
        let answer = app.get(&days).await;
        assert_unavailable(&answer, started.elapsed(), "days");
        let started = Instant::now();
        let answer = app.get("/readyz").await;
        assert_unavailable(&answer, started.elapsed(), "readyz");
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    }

    // The database is back: the server finds it by itself.
    let proxy = proxy.listen().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/readyz").await.status != StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "not ready 20 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-02T09:15:00+01:00",
        &dni(2),
    ))
    .await;
    let found = app
        .post_json("/api/v1/appointments/lookup", &lookup)
        .await
        .ok(200);
    assert_eq!(
        found["status"], "booked",
        "the booking acknowledged before the outage"
    );
    assert_eq!(app.get(&days).await.status, StatusCode::OK);
    proxy.cut();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_disk_answers_503_and_keeps_the_file_sound() {
    let db = test_db(Db::Sqlite).await.unwrap();
    // Migrate and import once, then see how big the file is.
    let pages = {
        let app = app_on(&db.url, quick_store()).await;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(app.state.booking.store().sql_pool().expect("an SQL store"))
            .await
            .unwrap();
        app.state.booking.store().close().await;
        pages
    };
    // A few pages more, and the disk is "full".
    let capped = StoreOptions {
        sqlite_max_page_count: Some(u64::try_from(pages).unwrap() + 4),
        ..quick_store()
    };
    let app = app_on(&db.url, capped).await;
    let mut acknowledged = vec![];
    let mut full = None;
    let starts = [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45",
    ];
    'days: for day in 2..=5 {
        for (n, time) in starts.iter().enumerate() {
            for desk in 0..2 {
                let document = dni(day * 100 + n as u32 * 2 + desk);
                let start = format!("2027-03-0{day}T{time}:00+01:00");
                let answer = app
                    .try_book(&BookReq::new(MADRID, HUELLAS, &start, &document))
                    .await;
                match answer.status.as_u16() {
                    201 => acknowledged.push((answer.json()["locator"].clone(), document)),
                    503 => {
                        full = Some(answer);
                        break 'days;
                    }
                    other => panic!("booking {start}: {other} {}", answer.text()),
                }
            }
        }
    }
    let full = full.expect("the database never filled up");
    full.problem(503, "unavailable");
    assert!(full.headers.contains_key("retry-after"));
    // Smaller writes may still fit in a page with room; none fails otherwise. Reads answer.
    let hold = app
        .post_json(
            "/api/v1/holds",
            &json!({"office_id": MADRID, "service_id": HUELLAS, "start": "2027-03-08T09:00:00+01:00"}),
        )
        .await;
    assert!(
        [201, 503].contains(&hold.status.as_u16()),
        "{}",
        hold.text()
    );
    assert_eq!(app.get("/api/v1/offices").await.status, StatusCode::OK);
    app.state.booking.store().close().await;

    // Room again: the file is sound and holds every acknowledged booking.
    let app = app_on(&db.url, quick_store()).await;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(app.state.booking.store().sql_pool().expect("an SQL store"))
        .await
        .unwrap();
    assert_eq!(check, "ok");
    assert!(!acknowledged.is_empty());
    for (locator, document) in &acknowledged {
        app.post_json(
            "/api/v1/appointments/lookup",
            &json!({"locator": locator, "document": document}),
        )
        .await
        .ok(200);
    }
    app.book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-08T09:00:00+01:00",
        &dni(999),
    ))
    .await;
}
