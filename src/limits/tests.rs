use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use governor::clock::FakeRelativeClock;

use super::*;

fn settings() -> LimitSettings {
    LimitSettings {
        browse: Rate {
            per_minute: 60,
            burst: 3,
        },
        hold_book: Rate {
            per_minute: 6,
            burst: 2,
        },
        lookup: Rate {
            per_minute: 6,
            burst: 2,
        },
        document: Rate {
            per_minute: 2,
            burst: 1,
        },
        max_in_flight: 10,
        max_writes_in_flight: None,
        write_wait_target_ms: 50,
        max_tracked_keys: 1_000,
        ..LimitSettings::default()
    }
}

fn addr(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

#[test]
fn burst_then_limited_with_a_retry_after_of_whole_seconds() {
    let clock = FakeRelativeClock::default();
    let limits = Limiters::with_clock(&settings(), clock.clone());
    let first = limits.check_client(RouteClass::Browse, addr(1)).unwrap();
    assert_eq!(first.remaining, 2);
    assert_eq!(
        limits
            .check_client(RouteClass::Browse, addr(1))
            .unwrap()
            .remaining,
        1
    );
    assert_eq!(
        limits
            .check_client(RouteClass::Browse, addr(1))
            .unwrap()
            .remaining,
        0
    );
    let limited = limits
        .check_client(RouteClass::Browse, addr(1))
        .unwrap_err();
    // 60 per minute: the next request is allowed one second later.
    assert_eq!(limited.retry_after_seconds, 1);
    // Another address has its own budget; another class too.
    assert!(limits.check_client(RouteClass::Browse, addr(2)).is_ok());
    assert!(limits.check_client(RouteClass::Lookup, addr(1)).is_ok());
    clock.advance(Duration::from_millis(999));
    assert!(limits.check_client(RouteClass::Browse, addr(1)).is_err());
    clock.advance(Duration::from_millis(1));
    assert!(limits.check_client(RouteClass::Browse, addr(1)).is_ok());
}

#[test]
fn retry_after_is_never_zero_and_rounds_up() {
    let clock = FakeRelativeClock::default();
    let limits = Limiters::with_clock(&settings(), clock.clone());
    // hold_book: 6 per minute = one per 10 s, burst 2.
    limits.check_client(RouteClass::HoldBook, addr(1)).unwrap();
    limits.check_client(RouteClass::HoldBook, addr(1)).unwrap();
    assert_eq!(
        limits
            .check_client(RouteClass::HoldBook, addr(1))
            .unwrap_err()
            .retry_after_seconds,
        10
    );
    clock.advance(Duration::from_millis(9_500));
    assert_eq!(
        limits
            .check_client(RouteClass::HoldBook, addr(1))
            .unwrap_err()
            .retry_after_seconds,
        1
    );
}

#[test]
fn the_document_limit_holds_across_addresses() {
    let clock = FakeRelativeClock::default();
    let limits = Limiters::with_clock(&settings(), clock.clone());
    assert!(limits.check_document("12345678Z").is_ok());
    // Same person, any address: limited. Another person: fine.
    assert_eq!(
        limits
            .check_document("12345678Z")
            .unwrap_err()
            .retry_after_seconds,
        30
    );
    assert!(limits.check_document("X0000000T").is_ok());
    clock.advance(Duration::from_secs(30));
    assert!(limits.check_document("12345678Z").is_ok());
}

#[test]
fn memory_stays_bounded_under_many_distinct_keys() {
    let clock = FakeRelativeClock::default();
    let limits = Limiters::with_clock(
        &LimitSettings {
            max_tracked_keys: 50_000,
            ..settings()
        },
        clock.clone(),
    );
    for n in 0..200_000u32 {
        let v6 = IpAddr::V6(Ipv6Addr::from(u128::from(n) << 64));
        let _ = limits.check_client(RouteClass::Browse, v6);
    }
    assert_eq!(limits.tracked_keys(), 200_000);
    // Still inside their window: over the cap, so the limiter forgets them all.
    limits.prune();
    assert_eq!(limits.tracked_keys(), 0);
    // Keys under the cap survive a prune until their budget is full again.
    for n in 0..1_000u32 {
        let _ = limits.check_client(RouteClass::Browse, addr(n));
    }
    limits.prune();
    assert_eq!(limits.tracked_keys(), 1_000);
    clock.advance(Duration::from_secs(61));
    limits.prune();
    assert_eq!(limits.tracked_keys(), 0);
}

#[test]
fn route_classes() {
    use RouteClass::*;
    let cases = [
        ("GET", "/api/v1/offices", Some(Browse)),
        ("GET", "/api/v1/offices/m/services/s/days", Some(Browse)),
        ("GET", "/api/v1/offices/m/services/s/slots", Some(Browse)),
        ("POST", "/api/v1/holds", Some(HoldBook)),
        ("POST", "/api/v1/appointments", Some(HoldBook)),
        (
            "POST",
            "/api/v1/appointments/ABC/reschedule",
            Some(HoldBook),
        ),
        ("POST", "/api/v1/appointments/lookup", Some(Lookup)),
        ("GET", "/api/v1/appointments/ABC", Some(Lookup)),
        ("GET", "/api/v1/appointments/ABC/calendar.ics", Some(Lookup)),
        ("POST", "/api/v1/citizen-links", Some(Lookup)),
        ("GET", "/api/v1/my/appointments", Some(Lookup)),
        ("POST", "/api/v1/my/calendar-feeds", Some(HoldBook)),
        ("POST", "/my", Some(Lookup)),
        ("GET", "/my/open", Some(Lookup)),
        ("GET", "/my", Some(Browse)),
        ("GET", "/feeds/citizens/x.ics", None),
        ("GET", "/api/v1/staff/offices/m/agenda", None),
        ("POST", "/api/v1/staff/appointments/ABC/check-in", None),
        ("POST", "/api/v1/staff/appointments/ABC/undo-check-in", None),
        ("PUT", "/api/v1/admin/config", None),
        ("GET", "/healthz", None),
        ("GET", "/metrics", None),
        ("GET", "/feeds/offices/m.ics", None),
        ("GET", "/api/v1/openapi.json", None),
    ];
    for (method, path, class) in cases {
        assert_eq!(RouteClass::of(method, path), class, "{method} {path}");
    }
}

#[test]
fn settings_from_the_limits_section() {
    assert_eq!(
        LimitSettings::from_table(None).unwrap(),
        LimitSettings::default()
    );
    let table: toml::Table =
        toml::from_str("browse = { per_minute = 30, burst = 10 }\nmax_in_flight = 64").unwrap();
    let parsed = LimitSettings::from_table(Some(&table)).unwrap();
    assert_eq!(
        parsed.browse,
        Rate {
            per_minute: 30,
            burst: 10
        }
    );
    assert_eq!(parsed.max_in_flight, 64);
    assert_eq!(parsed.lookup, LimitSettings::default().lookup);
    for bad in [
        "browse = { per_minute = 0, burst = 1 }",
        "typo = 3",
        "browse = 5",
        "max_in_flight = 0",
    ] {
        let table: toml::Table = toml::from_str(bad).unwrap();
        assert!(LimitSettings::from_table(Some(&table)).is_err(), "{bad}");
    }
}

#[test]
fn the_writes_bound_is_derived_from_the_pool_unless_set() {
    let defaults = LimitSettings::from_table(None).unwrap();
    assert_eq!(defaults.max_writes_in_flight, None);
    // Two writes per database connection (one running, one waiting), and two batches of
    // bookings.
    assert_eq!(defaults.writes_in_flight(16), 32 + SHARED_BOOKINGS);
    assert_eq!(defaults.writes_in_flight(5), 10 + SHARED_BOOKINGS);
    assert_eq!(
        defaults.writes_in_flight(0),
        WRITES_PER_CONNECTION + SHARED_BOOKINGS
    );
    // Never more than every request in flight.
    let small = LimitSettings {
        max_in_flight: 20,
        ..LimitSettings::default()
    };
    assert_eq!(small.writes_in_flight(16), 20);
    // Derived, it may rise with the rate served up to every request in flight.
    assert_eq!(defaults.writes_in_flight_cap(16), 1024);
    assert_eq!(small.writes_in_flight_cap(16), 20);

    assert_eq!(defaults.write_wait_target(), Duration::from_millis(20));
    let table: toml::Table =
        toml::from_str("max_writes_in_flight = 48\nwrite_wait_target_ms = 20").unwrap();
    let set = LimitSettings::from_table(Some(&table)).unwrap();
    assert_eq!(set.max_writes_in_flight, Some(48));
    assert_eq!(set.write_wait_target(), Duration::from_millis(20));
    assert_eq!(set.writes_in_flight(16), 48);
    assert_eq!(set.writes_in_flight(100), 48);
    assert_eq!(set.writes_in_flight_cap(16), 48, "set: a hard ceiling");
    assert_eq!(set.max_in_flight, 1024);
}

#[test]
fn bad_shedding_bounds_are_refused_with_a_clear_problem() {
    let problem = |text: &str| {
        let table: toml::Table = toml::from_str(text).unwrap();
        LimitSettings::from_table(Some(&table)).unwrap_err()
    };
    assert_eq!(
        problem("max_writes_in_flight = 0"),
        "[limits] max_writes_in_flight must be at least 1 (0 would refuse every request)"
    );
    assert_eq!(
        problem("max_in_flight = 0"),
        "[limits] max_in_flight must be at least 1 (0 would refuse every request)"
    );
    assert_eq!(
        problem("max_in_flight = 64\nmax_writes_in_flight = 65"),
        "[limits] max_writes_in_flight (65) must not exceed max_in_flight (64)"
    );
    assert_eq!(
        problem("write_wait_target_ms = 0"),
        "[limits] write_wait_target_ms must be at least 1 (0 would refuse every request)"
    );
    assert!(problem("max_writes_in_flight = -1").starts_with("[limits]"));
    assert!(problem("max_writes_in_flight = \"many\"").starts_with("[limits]"));
}

#[test]
fn headers_follow_the_ietf_draft_syntax() {
    assert_eq!(
        policy_header(
            "browse",
            Rate {
                per_minute: 120,
                burst: 60
            }
        ),
        "\"browse\";q=120;w=60"
    );
    assert_eq!(ratelimit_header("browse", 12, 30), "\"browse\";r=12;t=30");
}

#[test]
fn shared_settings_are_checked_and_never_print_the_url() {
    let table = |text: &str| -> toml::Table { text.parse().unwrap() };
    let settings = LimitSettings::from_table(Some(&table(
        "shared = \"redis://:hunter2@10.0.0.5:6379/3\"\nshared_unreachable = \"refuse\"",
    )))
    .unwrap();
    assert_eq!(settings.shared_unreachable, Unreachable::Refuse);
    assert_eq!(
        settings.shared.as_ref().map(RedisUrl::as_str),
        Some("redis://:hunter2@10.0.0.5:6379/3")
    );
    assert!(!format!("{settings:?}").contains("hunter2"));
    for (text, problem) in [
        ("shared = \"http://10.0.0.5\"", "must be a Redis URL"),
        ("shared_timeout_ms = 5000", "at most 1000"),
        ("shared_timeout_ms = 0", "at least 1"),
        ("shared_unreachable = \"ignore\"", "unknown variant"),
    ] {
        let error = LimitSettings::from_table(Some(&table(text))).unwrap_err();
        assert!(error.contains(problem), "{text}: {error}");
    }
}
