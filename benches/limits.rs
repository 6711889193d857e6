//! What a rate-limit check costs, in memory and in Redis (`[limits] shared`), measured in
//! the same run so that the ratio holds on a noisy machine:
//!
//! - `local`: one `check_client` against the in-memory limiters (governor);
//! - `shared`: the same check as one Lua script round trip to the Redis at
//!   `CITA_BENCH_REDIS_URL` (default `redis://127.0.0.1:6379/15`); skipped, saying so,
//!   when no Redis answers;
//! - `shared_lookup`: a failed-look-up check (two budgets peeked in one script).
//!
//! Every check is allowed (rates far above what the loop sends, a new address every
//! 1 000 checks), so the allowed path is what is timed; a Redis error fails the run
//! (`shared_unreachable = "refuse"`) instead of timing the in-memory fallback. Compare the
//! medians criterion prints (shared / local).
//!
//! ```sh
//! cargo bench --bench limits
//! ```

// A benchmark is a test harness: failing loudly on a broken setup is what it should do.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use cita::limits::{LimitSettings, Limits, Rate, RouteClass, Unreachable};
use criterion::{Criterion, criterion_group, criterion_main};

fn settings(shared: Option<String>) -> LimitSettings {
    let generous = Rate {
        per_minute: 60_000_000,
        burst: 1_000_000,
    };
    LimitSettings {
        hold_book: generous,
        failed_lookups: generous,
        failed_lookups_per_locator: generous,
        shared: shared.map(Into::into),
        shared_timeout_ms: 1_000,
        shared_unreachable: Unreachable::Refuse,
        ..LimitSettings::default()
    }
}

fn address(i: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(
        0x0a00_0000 + u32::try_from(i / 1000).unwrap_or(0),
    ))
}

fn redis_answers(rt: &tokio::runtime::Runtime, url: &str) -> bool {
    rt.block_on(async {
        let Ok(client) = redis::Client::open(url) else {
            return false;
        };
        let ping = async {
            let mut connection = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .ok()
        };
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(2), ping).await,
            Ok(Some(_))
        )
    })
}

fn limits(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let key = [7u8; 32];
    let local = Limits::new(&settings(None), key).unwrap();
    let mut group = c.benchmark_group("limits");
    let mut i = 0u64;
    group.bench_function("local", |b| {
        b.iter(|| {
            i += 1;
            black_box(rt.block_on(local.check_client(RouteClass::HoldBook, address(i)))).unwrap()
        })
    });
    let url = std::env::var("CITA_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/15".to_owned());
    if !redis_answers(&rt, &url) {
        println!("shared: skipped, no Redis answers at {url} (set CITA_BENCH_REDIS_URL)");
        group.finish();
        return;
    }
    // Entered in the runtime: the connection's background task runs there.
    let shared = rt.block_on(async { Limits::new(&settings(Some(url.clone())), key).unwrap() });
    assert!(shared.is_shared());
    group.bench_function("shared", |b| {
        b.iter(|| {
            i += 1;
            black_box(rt.block_on(shared.check_client(RouteClass::HoldBook, address(i)))).unwrap()
        })
    });
    group.bench_function("shared_lookup", |b| {
        b.iter(|| {
            i += 1;
            black_box(rt.block_on(shared.check_lookup(address(i), "ABC-123"))).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, limits);
criterion_main!(benches);
