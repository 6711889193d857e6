//! Timing oracles: does a wrong guess take measurably longer or shorter when the locator
//! exists? A look-up by locator and document, and a read with a token, are timed with a
//! known locator (wrong document or token) and with an unknown one, side by side in one
//! run, on SQLite with a few thousand appointments (and on PostgreSQL when
//! `CITA_BENCH_POSTGRES_URL` is set). The ratio is what matters; the goal is a
//! difference under 10 %.
//!
//! ```sh
//! cargo bench --bench oracles
//! CITA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench oracles
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use cita::booking::{
    Actor, BookRequest, Booking, BookingError, Catalog, CitizenInput, ConfigSource, import_config,
};
use cita::clock::ManualClock;
use cita::store::{Store, StoreOptions};
use criterion::{Criterion, criterion_group, criterion_main};

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
    let store = Store::connect(url, &StoreOptions::default())
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

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (booking, known) = runtime.block_on(setup(url));
    let unknown = "ZZZZZZZZ";
    assert_ne!(known, unknown);
    let wrong_token = "0123456789abcdef0123456789abcdef01234567";
    let mut group = c.benchmark_group(format!("oracles/{name}"));
    group.bench_function("lookup/known_locator_wrong_document", |b| {
        b.iter(|| refused(runtime.block_on(booking.lookup(&known, &dni(999_999)))))
    });
    group.bench_function("lookup/unknown_locator", |b| {
        b.iter(|| refused(runtime.block_on(booking.lookup(unknown, &dni(999_999)))))
    });
    group.bench_function("token/known_locator_wrong_token", |b| {
        b.iter(|| refused(runtime.block_on(booking.get(&known, wrong_token))))
    });
    group.bench_function("token/unknown_locator", |b| {
        b.iter(|| refused(runtime.block_on(booking.get(unknown, wrong_token))))
    });
    group.finish();
    runtime.block_on(booking.store().close());
}

fn oracles(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("oracles.db").display());
    bench_backend(c, "sqlite", &url);
    if let Ok(admin) = std::env::var("CITA_BENCH_POSTGRES_URL") {
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
        bench_backend(c, "postgres", &url);
        runtime
            .block_on(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool),
            )
            .expect("drop database");
    }
}

criterion_group!(benches, oracles);
criterion_main!(benches);
