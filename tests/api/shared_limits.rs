//! Limits shared across instances (`[limits] shared`, DESIGN §8): two servers naming the
//! same Redis draw from one budget per client, per document and per failed look-up, where
//! without it each would allow the whole limit; Redis holds only keyed hashes; while Redis
//! is unreachable a check counts in memory or is refused (503), per setting, and the
//! shared budgets are used again once it is back. Runs against the Redis at
//! `CITA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/15`, a database of its own);
//! skips with a message when none answers. Limits do not touch the booking database, so
//! the HTTP case runs on SQLite only.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cita::http::surge::Surge;
use cita::http::{AppState, HttpSettings, router};
use cita::limits::{LimitSettings, Limits, Rate, Refused, RouteClass, Unreachable};
use rand::RngCore;

use crate::common::*;
use crate::outage::Proxy;
use crate::surge::{header, post_from};

fn redis_url() -> String {
    std::env::var("CITA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/15".into())
}

/// The test Redis, or `None` (after saying so) when it does not answer.
async fn redis() -> Option<redis::aio::MultiplexedConnection> {
    let url = redis_url();
    let connect = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut connection = client.get_multiplexed_async_connection().await.ok()?;
        let _: String = redis::cmd("PING").query_async(&mut connection).await.ok()?;
        Some(connection)
    };
    let connection = tokio::time::timeout(Duration::from_secs(2), connect)
        .await
        .ok()
        .flatten();
    if connection.is_none() {
        eprintln!("skipped: no Redis answers at {url} (set CITA_TEST_REDIS_URL)");
    }
    connection
}

fn settings(url: &str) -> LimitSettings {
    LimitSettings {
        hold_book: Rate {
            per_minute: 6,
            burst: 3,
        },
        document: Rate {
            per_minute: 2,
            burst: 2,
        },
        failed_lookups: Rate {
            per_minute: 6,
            burst: 3,
        },
        failed_lookups_per_locator: Rate {
            per_minute: 6,
            burst: 100,
        },
        shared: Some(url.into()),
        shared_timeout_ms: 200,
        ..LimitSettings::default()
    }
}

/// A deployment's key: each test has its own, so tests never share budgets.
fn deployment_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

fn address(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Takes `n` requests of `class` from `client`, alternating between `servers`; how many
/// were allowed.
async fn take_alternating(servers: &[&Limits], client: IpAddr, n: usize) -> usize {
    let mut allowed = 0;
    for i in 0..n {
        let server = servers[i % servers.len()];
        if server
            .check_client(RouteClass::HoldBook, client)
            .await
            .is_ok()
        {
            allowed += 1;
        }
    }
    allowed
}

#[tokio::test]
async fn two_instances_draw_from_one_budget_per_client() {
    if redis().await.is_none() {
        return;
    }
    let key = deployment_key();
    let one = Limits::new(&settings(&redis_url()), key).unwrap();
    let two = Limits::new(&settings(&redis_url()), key).unwrap();
    assert!(one.is_shared());
    let client = address("192.0.2.10");
    // A burst of 3 across both servers, not 3 on each.
    assert_eq!(take_alternating(&[&one, &two], client, 8).await, 3);
    let refused = two
        .check_client(RouteClass::HoldBook, client)
        .await
        .unwrap_err();
    match refused {
        // 6 per minute: one more every 10 s.
        Refused::Limited(limited) => assert!(
            (9..=10).contains(&limited.retry_after_seconds),
            "retry after {} s",
            limited.retry_after_seconds
        ),
        Refused::Unavailable => panic!("Redis answered"),
    }
    // Another client and another class have budgets of their own.
    assert!(
        one.check_client(RouteClass::HoldBook, address("192.0.2.11"))
            .await
            .is_ok()
    );
    assert!(one.check_client(RouteClass::Browse, client).await.is_ok());

    // Without `shared`, the same two servers would allow the burst on each.
    let local = LimitSettings {
        shared: None,
        ..settings(&redis_url())
    };
    let (a, b) = (
        Limits::new(&local, key).unwrap(),
        Limits::new(&local, key).unwrap(),
    );
    assert!(!a.is_shared());
    assert_eq!(take_alternating(&[&a, &b], client, 8).await, 6);
}

#[tokio::test]
async fn the_first_answer_reports_the_budget_left() {
    if redis().await.is_none() {
        return;
    }
    let limits = Limits::new(&settings(&redis_url()), deployment_key()).unwrap();
    let client = address("192.0.2.20");
    let first = limits
        .check_client(RouteClass::HoldBook, client)
        .await
        .unwrap();
    assert_eq!(first.remaining, 2);
    assert_eq!(first.reset_seconds, 10);
    let second = limits
        .check_client(RouteClass::HoldBook, client)
        .await
        .unwrap();
    assert_eq!(second.remaining, 1);
    assert!((19..=20).contains(&second.reset_seconds));
}

#[tokio::test]
async fn documents_and_failed_look_ups_are_counted_across_instances() {
    if redis().await.is_none() {
        return;
    }
    let key = deployment_key();
    let one = Limits::new(&settings(&redis_url()), key).unwrap();
    let two = Limits::new(&settings(&redis_url()), key).unwrap();

    // Two bookings per document from anywhere, then refused on either server.
    assert!(one.check_document("12345678Z").await.is_ok());
    assert!(two.check_document("12345678Z").await.is_ok());
    assert!(matches!(
        one.check_document("12345678Z").await,
        Err(Refused::Limited(_))
    ));
    assert!(two.check_document("87654321X").await.is_ok());

    // Checking a look-up spends nothing; three failures anywhere spend the budget.
    let client = address("2001:db8::1");
    for _ in 0..10 {
        assert!(one.check_lookup(client, "ABC-123").await.is_ok());
    }
    one.lookup_failed(client, "ABC-123").await;
    two.lookup_failed(client, "abc-124").await;
    assert!(two.check_lookup(client, "XYZ-999").await.is_ok());
    one.lookup_failed(client, " xyz-999 ").await;
    for server in [&one, &two] {
        match server.check_lookup(client, "XYZ-999").await {
            Err(Refused::Limited(limited)) => {
                assert!((9..=10).contains(&limited.retry_after_seconds))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    // Another client may still look up.
    assert!(
        two.check_lookup(address("2001:db8::2"), "XYZ-999")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn redis_holds_keyed_hashes_that_expire_not_addresses_or_documents() {
    let Some(mut connection) = redis().await else {
        return;
    };
    let limits = Limits::new(&settings(&redis_url()), deployment_key()).unwrap();
    let client = address("198.51.100.77");
    let document = "Y7654321G";
    let locator = "QWE-RTY";
    limits
        .check_client(RouteClass::HoldBook, client)
        .await
        .unwrap();
    limits.check_document(document).await.unwrap();
    limits.lookup_failed(client, locator).await;

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("cita:limit:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(keys.len() >= 4, "keys: {keys:?}");
    for key in &keys {
        for secret in ["198.51.100.77", document, locator, "qwe-rty"] {
            assert!(!key.contains(secret), "{key} names {secret}");
        }
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .unwrap();
        // Set by this test or a parallel one: every key expires (PTTL -1 means never).
        assert!(ttl != -1, "{key} never expires");
    }
}

/// A loopback port nobody listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    address
}

#[tokio::test]
async fn unreachable_redis_counts_locally_or_refuses_per_setting() {
    let port = closed_port().await;
    let url = format!("redis://{port}/0");
    let client = address("203.0.113.5");

    let open = Limits::new(&settings(&url), deployment_key()).unwrap();
    let answered = tokio::time::timeout(
        Duration::from_secs(10),
        take_alternating(&[&open], client, 5),
    )
    .await
    .expect("a check answers even when Redis does not");
    // Fail open: this server's own memory still applies the limit.
    assert_eq!(answered, 3);
    assert!(open.check_document("12345678Z").await.is_ok());

    let closed = Limits::new(
        &LimitSettings {
            shared_unreachable: Unreachable::Refuse,
            ..settings(&url)
        },
        deployment_key(),
    )
    .unwrap();
    assert_eq!(
        closed.check_client(RouteClass::HoldBook, client).await,
        Err(Refused::Unavailable)
    );
    assert_eq!(
        closed.check_document("12345678Z").await,
        Err(Refused::Unavailable)
    );
    assert_eq!(
        closed.check_lookup(client, "ABC-123").await,
        Err(Refused::Unavailable)
    );
}

#[tokio::test]
async fn the_shared_budgets_are_used_again_when_redis_is_back() {
    if redis().await.is_none() {
        return;
    }
    let target = redis_target();
    let proxy = Proxy::start(target).await;
    let url = format!("redis://{}/15", proxy.address);
    let key = deployment_key();
    let closed = LimitSettings {
        shared_unreachable: Unreachable::Refuse,
        ..settings(&url)
    };
    let limits = Limits::new(&closed, key).unwrap();
    let client = address("192.0.2.30");
    assert!(
        limits
            .check_client(RouteClass::HoldBook, client)
            .await
            .is_ok()
    );
    proxy.cut();
    assert_eq!(
        limits.check_client(RouteClass::HoldBook, client).await,
        Err(Refused::Unavailable)
    );
    let proxy = proxy.listen().await;
    // Back within a few seconds, and the budget spent before the cut still counts
    // (another instance, straight to Redis, sees the same one).
    let direct = Limits::new(&settings(&redis_url()), key).unwrap();
    let mut back = false;
    for _ in 0..50 {
        match limits.check_client(RouteClass::HoldBook, client).await {
            Ok(allowed) => {
                assert_eq!(allowed.remaining, 1);
                back = true;
                break;
            }
            Err(Refused::Unavailable) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(back, "the shared limits did not come back with Redis");
    assert!(
        direct
            .check_client(RouteClass::HoldBook, client)
            .await
            .is_ok()
    );
    assert!(matches!(
        direct.check_client(RouteClass::HoldBook, client).await,
        Err(Refused::Limited(_))
    ));
    proxy.cut();
}

fn redis_target() -> SocketAddr {
    let url = redis_url();
    let authority = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .rsplit('@')
        .next()
        .unwrap()
        .replace("localhost", "127.0.0.1");
    if authority.contains(':') {
        authority.parse().unwrap()
    } else {
        format!("{authority}:6379").parse().unwrap()
    }
}

/// Two servers (one database, as behind a load balancer) with shared limits: a client's
/// bookings alternate between them and the burst holds across both, answered 429 with the
/// usual fields; with Redis unreachable and failing closed, 503 `unavailable`.
#[tokio::test]
async fn two_servers_answer_429_past_one_shared_burst() {
    if redis().await.is_none() {
        return;
    }
    let app = spawn(Db::Sqlite).await.expect("sqlite always runs");
    let limits = LimitSettings {
        document: Rate {
            per_minute: 600,
            burst: 100,
        },
        ..settings(&redis_url())
    };
    let server = |limits: &LimitSettings| {
        let surge = Surge::new(
            limits,
            app.state.booking.store().max_connections(),
            true,
            app.state.booking.pepper(),
        )
        .unwrap();
        let state = AppState {
            booking: app.state.booking.clone(),
            settings: Arc::new(HttpSettings::new(PUBLIC_URL).with_surge(surge)),
        };
        TestApp::from_state(state.clone(), Arc::clone(&app.clock)).with_router(router(state))
    };
    let (one, two) = (server(&limits), server(&limits));
    // Bad bodies still draw from the hold-book budget: this exercises the limit, not
    // the booking.
    let body = serde_json::json!({"office": "nowhere"});
    let mut statuses = vec![];
    for i in 0..5 {
        let to = if i % 2 == 0 { &one } else { &two };
        let answer = to
            .send(post_from("192.0.2.40", "/api/v1/appointments", &body))
            .await;
        statuses.push(answer.status);
        if answer.status == 429 {
            assert_eq!(
                header(&answer, "ratelimit-policy"),
                "\"hold-book\";q=6;w=60"
            );
            assert!(!header(&answer, "retry-after").is_empty());
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "statuses {statuses:?}"
    );

    let unreachable = LimitSettings {
        shared: Some(format!("redis://{}/0", closed_port().await).into()),
        shared_unreachable: Unreachable::Refuse,
        ..limits
    };
    let refusing = server(&unreachable);
    refusing
        .send(post_from("192.0.2.41", "/api/v1/appointments", &body))
        .await
        .problem(503, "unavailable");
    // Health is never limited.
    assert_eq!(
        refusing
            .send(crate::surge::get_from("192.0.2.41", "/healthz"))
            .await
            .status,
        200
    );
}
