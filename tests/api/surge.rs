//! Surge protection over HTTP (DESIGN §8): 429 with its headers after the burst, the
//! per-document limit across addresses, trusted and untrusted `X-Forwarded-For`, and load
//! shedding with 503 while `/healthz` still answers. Limits do not depend on the database,
//! so these run on SQLite only; shedding uses SQLite's in-process write queue to hold a
//! booking in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use cita::http::client::ClientKeys;
use cita::http::surge::Surge;
use cita::http::{AppState, HttpSettings, router};
use cita::limits::{LimitSettings, Rate};
use serde_json::json;

use crate::common::*;

pub(crate) fn limits() -> LimitSettings {
    LimitSettings {
        browse: Rate {
            per_minute: 60,
            burst: 2,
        },
        hold_book: Rate {
            per_minute: 600,
            burst: 100,
        },
        lookup: Rate {
            per_minute: 600,
            burst: 100,
        },
        document: Rate {
            per_minute: 1,
            burst: 1,
        },
        max_in_flight: 64,
        max_writes_in_flight: None,
        write_wait_target_ms: 50,
        max_tracked_keys: 10_000,
        ..LimitSettings::default()
    }
}

pub(crate) async fn protected(limits: LimitSettings, trust_proxy: bool) -> TestApp {
    let app = spawn(Db::Sqlite).await.expect("sqlite always runs");
    let connections = app.state.booking.store().max_connections();
    let surge = Surge::new(&limits, connections, true, app.state.booking.pepper()).unwrap();
    let settings = HttpSettings::new(PUBLIC_URL)
        .with_surge(surge)
        .with_clients(ClientKeys {
            trust_proxy,
            ..ClientKeys::default()
        });
    let state = AppState {
        booking: app.state.booking.clone(),
        settings: Arc::new(settings),
    };
    let router = router(state.clone());
    let mut app = app.with_router(router);
    app.state = state;
    app
}

pub(crate) fn surge_of(app: &TestApp) -> Arc<Surge> {
    app.state
        .settings
        .surge
        .clone()
        .expect("the app is protected")
}

pub(crate) fn book_from(address: &str, start: &str, document: &str) -> Request<Body> {
    let request = BookReq::new(MADRID, HUELLAS, start, document);
    post_from(address, "/api/v1/appointments", &request.json())
}

pub(crate) fn from(address: &str, mut request: Request<Body>) -> Request<Body> {
    let peer: SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

pub(crate) fn get_from(address: &str, path: &str) -> Request<Body> {
    from(address, Request::get(path).body(Body::empty()).unwrap())
}

pub(crate) fn post_from(address: &str, path: &str, body: &serde_json::Value) -> Request<Body> {
    from(
        address,
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
}

pub(crate) fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .map_or("", |v| v.to_str().unwrap_or(""))
}

#[tokio::test]
async fn over_the_burst_answers_429_with_retry_after_and_ratelimit_fields() {
    let app = protected(limits(), false).await;
    let first = app.send(get_from("10.0.0.1", "/api/v1/offices")).await;
    first.ok(200);
    assert_eq!(header(&first, "ratelimit-policy"), "\"browse\";q=60;w=60");
    assert_eq!(header(&first, "ratelimit"), "\"browse\";r=1;t=1");
    let second = app.send(get_from("10.0.0.1", "/api/v1/offices")).await;
    second.ok(200);
    assert_eq!(header(&second, "ratelimit"), "\"browse\";r=0;t=2");
    let limited = app.send(get_from("10.0.0.1", "/api/v1/offices")).await;
    limited.problem(429, "rate_limited");
    assert_eq!(header(&limited, "retry-after"), "1");
    assert_eq!(header(&limited, "ratelimit-policy"), "\"browse\";q=60;w=60");
    assert_eq!(header(&limited, "ratelimit"), "\"browse\";r=0;t=1");
    // Another client has its own budget; health and metrics are never limited.
    app.send(get_from("10.0.0.2", "/api/v1/offices"))
        .await
        .ok(200);
    for _ in 0..5 {
        assert_eq!(app.send(get_from("10.0.0.1", "/healthz")).await.status, 200);
        assert_eq!(app.send(get_from("10.0.0.1", "/metrics")).await.status, 200);
    }
    assert!(
        sample(
            &app.metrics().await,
            "http_requests_total{route=\"/api/v1/offices\",method=\"GET\",status=\"429\"}"
        ) >= 1.0
    );
}

#[tokio::test]
async fn the_document_limit_applies_across_addresses() {
    let app = protected(limits(), false).await;
    let doc = dni(777);
    let first = BookReq::new(MADRID, HUELLAS, "2027-03-02T09:00:00+01:00", &doc);
    let answer = app
        .send(post_from("10.0.0.1", "/api/v1/appointments", &first.json()))
        .await;
    answer.ok(201);
    // Same person from another address, another time: limited before any booking logic.
    let second = BookReq::new(MADRID, HUELLAS, "2027-03-02T10:00:00+01:00", &doc);
    let limited = app
        .send(post_from(
            "10.0.0.9",
            "/api/v1/appointments",
            &second.json(),
        ))
        .await;
    limited.problem(429, "rate_limited");
    assert!(!header(&limited, "retry-after").is_empty());
    // Look-ups have budgets of their own: the person can still find their appointment.
    let lookup = json!({"locator": answer.json()["locator"], "document": doc.to_lowercase()});
    app.send(post_from(
        "10.0.0.7",
        "/api/v1/appointments/lookup",
        &lookup,
    ))
    .await
    .ok(200);
    // Another person is not affected.
    let other = BookReq::new(MADRID, HUELLAS, "2027-03-02T10:00:00+01:00", &dni(778));
    app.send(post_from("10.0.0.9", "/api/v1/appointments", &other.json()))
        .await
        .ok(201);
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let forwarded = |client: &str| {
        let mut request = get_from("192.168.1.1", "/api/v1/offices");
        // The client may send any left part; our proxy appends the address it saw.
        request.headers_mut().insert(
            "x-forwarded-for",
            format!("6.6.6.6, {client}").parse().unwrap(),
        );
        request
    };
    // Untrusted: the header is ignored, every request is the proxy's address.
    let app = protected(limits(), false).await;
    app.send(forwarded("10.1.0.1")).await.ok(200);
    app.send(forwarded("10.1.0.2")).await.ok(200);
    app.send(forwarded("10.1.0.3"))
        .await
        .problem(429, "rate_limited");
    // Trusted: each client address has its own budget; the forged left part is ignored.
    let app = protected(limits(), true).await;
    for client in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"] {
        app.send(forwarded(client)).await.ok(200);
    }
    app.send(forwarded("10.1.0.1")).await.ok(200);
    app.send(forwarded("10.1.0.1"))
        .await
        .problem(429, "rate_limited");
}

#[tokio::test]
async fn past_the_in_flight_bound_requests_are_shed_but_health_answers() {
    let app = Arc::new(
        protected(
            LimitSettings {
                max_in_flight: 1,
                ..limits()
            },
            false,
        )
        .await,
    );
    // Hold SQLite's write queue so a booking stays in flight.
    let blocker = app.state.booking.store().begin_write().await.unwrap();
    let booking = {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let request = BookReq::new(MADRID, HUELLAS, "2027-03-02T09:00:00+01:00", &dni(900));
            app.send(post_from(
                "10.0.0.1",
                "/api/v1/appointments",
                &request.json(),
            ))
            .await
        })
    };
    let mut shed = None;
    for _ in 0..500 {
        let answer = app.send(get_from("10.0.0.2", "/api/v1/offices")).await;
        if answer.status == 503 {
            shed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let shed = shed.expect("a request past the bound is shed while the booking is in flight");
    shed.problem(503, "overloaded");
    assert_eq!(header(&shed, "retry-after"), "1");
    assert_eq!(app.send(get_from("10.0.0.2", "/healthz")).await.status, 200);
    assert_eq!(app.send(get_from("10.0.0.2", "/metrics")).await.status, 200);
    drop(blocker);
    booking.await.unwrap().ok(201);
    app.send(get_from("10.0.0.2", "/api/v1/offices"))
        .await
        .ok(200);
}

#[tokio::test]
async fn the_writes_bound_defaults_to_two_per_database_connection_and_two_batches() {
    let roomy = LimitSettings {
        max_in_flight: 1024,
        ..limits()
    };
    let app = protected(roomy, false).await;
    let connections = app.state.booking.store().max_connections() as usize;
    assert!(connections >= 1);
    assert_eq!(
        surge_of(&app).max_writes_in_flight(),
        2 * connections + cita::limits::SHARED_BOOKINGS
    );
    let set = protected(
        LimitSettings {
            max_writes_in_flight: Some(5),
            ..limits()
        },
        false,
    )
    .await;
    assert_eq!(surge_of(&set).max_writes_in_flight(), 5);
}

#[tokio::test]
async fn past_the_writes_bound_a_booking_is_shed_while_reads_and_health_answer() {
    let app = Arc::new(
        protected(
            LimitSettings {
                max_writes_in_flight: Some(1),
                ..limits()
            },
            false,
        )
        .await,
    );
    let surge = surge_of(&app);
    // Hold SQLite's write queue so that the first booking stays in flight.
    let blocker = app.state.booking.store().begin_write().await.unwrap();
    let first = {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            app.send(book_from(
                "10.0.0.1",
                "2027-03-02T09:00:00+01:00",
                &dni(901),
            ))
            .await
        })
    };
    while surge.writes_in_flight() < 1 {
        tokio::task::yield_now().await;
    }
    // Another booking, from another client: refused at once, not queued.
    let shed = app
        .send(book_from(
            "10.0.0.2",
            "2027-03-02T09:15:00+01:00",
            &dni(902),
        ))
        .await;
    shed.problem(503, "overloaded");
    assert_eq!(header(&shed, "retry-after"), "1");
    // Any write counts: a hold too.
    let hold =
        json!({"office_id": MADRID, "service_id": HUELLAS, "start": "2027-03-02T09:30:00+01:00"});
    app.send(post_from("10.0.0.3", "/api/v1/holds", &hold))
        .await
        .problem(503, "overloaded");
    // Reads still answer, availability included, and health and metrics always do.
    app.send(get_from("10.0.0.4", "/api/v1/offices"))
        .await
        .ok(200);
    let days = app
        .send(get_from(
            "10.0.0.5",
            &format!(
                "/api/v1/offices/{MADRID}/services/{HUELLAS}/days?from=2027-03-02&to=2027-03-08"
            ),
        ))
        .await;
    days.ok(200);
    assert_eq!(app.send(get_from("10.0.0.6", "/healthz")).await.status, 200);
    assert_eq!(app.send(get_from("10.0.0.6", "/readyz")).await.status, 200);
    assert_eq!(app.send(get_from("10.0.0.6", "/metrics")).await.status, 200);
    let metrics = app.metrics().await;
    assert!(
        sample(
            &metrics,
            "http_requests_total{route=\"/api/v1/appointments\",method=\"POST\",status=\"503\"}"
        ) >= 1.0
    );
    assert_eq!(sample(&metrics, "cita_writes_limit"), 1.0);
    assert_eq!(sample(&metrics, "cita_writes_in_flight"), 1.0);
    // Refusals are counted by the bound that made them (the booking and the hold).
    assert_eq!(sample(&metrics, "cita_shed_total{bound=\"writes\"}"), 2.0);
    assert_eq!(
        sample(&metrics, "cita_shed_total{bound=\"in_flight\"}"),
        0.0
    );
    // Once the first booking is through, bookings are admitted again.
    drop(blocker);
    first.await.unwrap().ok(201);
    assert_eq!(surge.writes_in_flight(), 0);
    app.send(book_from(
        "10.0.0.2",
        "2027-03-02T09:15:00+01:00",
        &dni(902),
    ))
    .await
    .ok(201);
}
