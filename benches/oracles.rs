//! Timing oracles: does a wrong guess take measurably longer or shorter when the locator
//! exists? A look-up by locator and document, and a read with a token, are timed with a
//! taken locator (wrong document or token) and with a free one, alternately in one run
//! (so the machine's other load falls on both alike), on SQLite with 2 000 appointments
//! (and on PostgreSQL when `CITA_BENCH_POSTGRES_URL` is set). The medians' difference is
//! what matters; the goal is under 10 %. `CITA_BENCH_ROUNDS` sets the rounds.
//!
//! ```sh
//! cargo bench --bench oracles
//! CITA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench oracles
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use cita::booking::{
    Actor, BookRequest, Booking, BookingError, Catalog, CitizenInput, ConfigSource, import_config,
};
use cita::clock::ManualClock;
use cita::store::StoreOptions;

const APPOINTMENTS: u32 = 2000;
const DESKS: u32 = 5;

fn config() -> String {
    let mut toml = String::from(
        "[[office]]\nid = \"bench\"\nname = \"Oficina\"\ntimezone = \"Europe/Madrid\"\naddress = \"Calle Ejemplo 1\"\n\
         [[office.hours]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nopen = \"00:00\"\nclose = \"24:00\"\n\
         [[office.service]]\nid = \"tramite\"\nname = \"Trámite\"\nduration_minutes = 10\n",
    );
    for d in 0..DESKS {
        toml.push_str(&format!(
            "[[office.desk]]\nid = \"d{d}\"\nservices = [\"tramite\"]\n"
        ));
    }
    toml
}

fn dni(n: u32) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    format!("{n:08}{}", LETTERS[(n % 23) as usize] as char)
}

/// A booking service over `url` with [`APPOINTMENTS`] appointments; one known locator.
async fn setup(url: &str) -> (Booking, String) {
    let store = cita::store::connect(url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let source = ConfigSource::inline(config());
    import_config(&store, &source, now).await.expect("import");
    let booking = Booking::new(
        store,
        Arc::new(ManualClock::new(now)),
        Catalog::from_config(&source.parse().expect("config")),
    );
    let mut known = String::new();
    for i in 0..APPOINTMENTS {
        let start = now + Duration::hours(1) + Duration::minutes(10 * i64::from(i / DESKS));
        let request = BookRequest {
            office_id: "bench".into(),
            service_id: "tramite".into(),
            start,
            hold_id: None,
            citizen: CitizenInput {
                name: "Bench".into(),
                document: dni(i + 1),
                document_type: None,
                email: None,
                phone: None,
                language: None,
            },
        };
        let outcome = booking
            .book(&request, None, &Actor::Citizen)
            .await
            .expect("booking");
        if i == APPOINTMENTS / 2 {
            known = outcome.appointment.locator.to_string();
        }
    }
    (booking, known)
}

/// Every guess here must be refused.
fn refused<T>(result: Result<T, BookingError>) {
    assert!(matches!(result, Err(BookingError::NotFound)));
}

/// Rounds of each pair of guesses.
fn rounds() -> usize {
    std::env::var("CITA_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One guess: a call that must be refused.
type Guess<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + 'a>> + 'a>;

/// Times `known` and `unknown` alternately, the order swapped every round, so that load
/// from elsewhere on the machine falls on both alike; prints the medians and their ratio.
fn compare(runtime: &tokio::runtime::Runtime, label: &str, known: Guess<'_>, unknown: Guess<'_>) {
    let time = |guess: &Guess<'_>| {
        let started = Instant::now();
        runtime.block_on(guess());
        started.elapsed().as_secs_f64() * 1e6
    };
    // Warm-up: connections, prepared statements, caches.
    for _ in 0..500 {
        time(&known);
        time(&unknown);
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds() {
        if round % 2 == 0 {
            a.push(time(&known));
            b.push(time(&unknown));
        } else {
            b.push(time(&unknown));
            a.push(time(&known));
        }
    }
    let (a, b) = (median(a), median(b));
    println!(
        "| {label} | {a:.1} µs | {b:.1} µs | {:+.1} % |",
        (a / b - 1.0) * 100.0
    );
}

fn bench_backend(name: &str, url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (booking, known) = runtime.block_on(setup(url));
    let unknown = "ZZZZZZZZ";
    assert_ne!(known, unknown);
    let wrong_token = "0123456789abcdef0123456789abcdef01234567";
    let stranger = dni(999_999);
    compare(
        &runtime,
        &format!("{name}: look-up, wrong document"),
        Box::new(|| Box::pin(async { refused(booking.lookup(&known, &stranger).await) })),
        Box::new(|| Box::pin(async { refused(booking.lookup(unknown, &stranger).await) })),
    );
    compare(
        &runtime,
        &format!("{name}: read, wrong token"),
        Box::new(|| Box::pin(async { refused(booking.get(&known, wrong_token).await) })),
        Box::new(|| Box::pin(async { refused(booking.get(unknown, wrong_token).await) })),
    );
    runtime.block_on(booking.store().close());
}

fn main() {
    // `cargo bench` passes `--bench`; a filter word picks a backend.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!("{} rounds of each guess, medians", rounds());
    println!("| backend: guess | taken locator | free locator | difference |");
    println!("|---|---|---|---|");
    let dir = tempfile::tempdir().expect("temp dir");
    if wanted("sqlite") {
        let url = format!("sqlite://{}", dir.path().join("oracles.db").display());
        bench_backend("SQLite", &url);
    }
    let Ok(admin) = std::env::var("CITA_BENCH_POSTGRES_URL") else {
        return;
    };
    if !wanted("postgres") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let name = format!("cita_oracles_{}", std::process::id());
    let pool = runtime
        .block_on(sqlx::PgPool::connect(&admin))
        .expect("PostgreSQL");
    runtime
        .block_on(
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool),
        )
        .expect("create database");
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => admin.clone(),
    };
    bench_backend("PostgreSQL", &url);
    runtime
        .block_on(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool),
        )
        .expect("drop database");
}
