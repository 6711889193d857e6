//! Bookings per second through the full `book` use case versus raw single-row INSERT
//! transactions per second on the same database, in the same run, with the same
//! concurrency: 8 and 32 clients, on one office and on eight. Each case also books once
//! more on a fresh database with e-mail notifications on and every citizen giving an
//! address (a confirmation and up to two reminders written to the outbox in each
//! booking's transaction): the outbox's cost is the ratio of the two booking rates. And
//! once more without the availability change log's triggers (migration 0013; dropped
//! after migrating, which only a benchmark may do): what logging each booking's span
//! costs. Run with:
//!
//! ```sh
//! cargo bench --bench booking_throughput
//! CITA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench booking_throughput
//! ```
//!
//! Arguments after `--` pick cases by `backend/clients/offices`, e.g. `-- postgres/8/8` or
//! `-- sqlite`. Without the variable only SQLite is measured. The PostgreSQL run creates a scratch
//! database and drops it afterwards.

// A benchmark is a test harness: failing loudly on a broken setup is what it should do.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use cita::booking::{
    Actor, BookRequest, Booking, Catalog, CitizenInput, ConfigSource, import_config,
};
use cita::clock::ManualClock;
use cita::store::StoreOptions;

/// Operations per case; `CITA_BENCH_BOOKINGS` sets another (longer runs, for profiling).
fn bookings() -> u32 {
    std::env::var("CITA_BENCH_BOOKINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}
/// Concurrent clients: a handful, the 16 the throughput goal is set at, and a crowd (a day
/// being released).
const CONCURRENCY: [u32; 3] = [8, 16, 32];
/// One busy office, and as many offices as the smaller crowd has clients.
const OFFICES: [u32; 2] = [1, 8];

const DESKS: u32 = 5;

/// `offices` identical offices, each with `DESKS` desks open around the clock.
fn config(offices: u32) -> String {
    let mut toml = String::new();
    for o in 0..offices {
        toml.push_str(&format!(
            "[[office]]\nid = \"bench-{o}\"\nname = \"Oficina {o}\"\ntimezone = \"Europe/Madrid\"\naddress = \"Calle Ejemplo {o}\"\n\
             [[office.hours]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nopen = \"00:00\"\nclose = \"24:00\"\n\
             [[office.service]]\nid = \"tramite\"\nname = \"Trámite\"\nduration_minutes = 10\n"
        ));
        for d in 0..DESKS {
            toml.push_str(&format!(
                "[[office.desk]]\nid = \"d{d}\"\nservices = [\"tramite\"]\n"
            ));
        }
    }
    toml
}

fn dni(n: u32) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    format!("{n:08}{}", LETTERS[(n % 23) as usize] as char)
}

/// What one case measured on one database.
struct Rates {
    book: f64,
    insert: f64,
    per_transaction: f64,
}

/// The change log's triggers that a booking fires (`ON` what), dropped for the case
/// without them.
const BOOKING_TRIGGERS: [(&str, &str); 6] = [
    ("appointments_booked_changes", "appointments"),
    ("appointments_changed_changes", "appointments"),
    ("appointments_deleted_changes", "appointments"),
    ("holds_taken_changes", "holds"),
    ("holds_changed_changes", "holds"),
    ("holds_released_changes", "holds"),
];

async fn measure(url: &str, offices: u32, clients: u32, notices: bool, change_log: bool) -> Rates {
    let store = cita::store::connect(url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    if !change_log {
        let pool = store.sql_pool().expect("an SQL store");
        for (trigger, table) in BOOKING_TRIGGERS {
            let on = if url.starts_with("postgres") {
                format!(" ON {table}")
            } else {
                String::new()
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}{on}")))
                .execute(pool)
                .await
                .expect("drop trigger");
        }
    }
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let source = ConfigSource::inline(config(offices));
    import_config(&store, &source, now).await.expect("import");
    let channels = cita::booking::NoticeChannels {
        email: notices,
        webhook: false,
    };
    let booking = Arc::new(
        Booking::new(
            store.clone(),
            Arc::new(ManualClock::new(now)),
            Catalog::from_config(&source.parse().expect("config")),
        )
        .with_notice_channels(channels),
    );

    // Full use case: lock citizens and office, snapshot, allocator, insert, token, audit;
    // concurrent bookings of an office share a transaction (see `booking::book`).
    let total = bookings();
    let next = Arc::new(AtomicU32::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (booking, next) = (booking.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let office = i % offices;
                let start = now
                    + Duration::hours(1)
                    + Duration::minutes(10 * i64::from(i / offices / DESKS));
                let request = BookRequest {
                    office_id: format!("bench-{office}").as_str().into(),
                    service_id: "tramite".into(),
                    start,
                    hold_id: None,
                    citizen: CitizenInput {
                        name: "Bench".into(),
                        document: dni(i + 1),
                        document_type: None,
                        email: notices.then(|| format!("bench{i}@example.es")),
                        phone: None,
                        language: None,
                    },
                };
                booking
                    .book(&request, None, &Actor::Citizen)
                    .await
                    .expect("booking");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("task");
    }
    let book_rate = f64::from(total) / started.elapsed().as_secs_f64();
    let stats = booking.batch_stats();
    let per_transaction = stats.bookings() as f64 / stats.batches().max(1) as f64;

    // Baseline: one single-row INSERT per transaction, taking the same write lock.
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, payload TEXT NOT NULL, at BIGINT NOT NULL)")
        .execute(store.sql_pool().expect("an SQL store"))
        .await
        .expect("create");
    let next = Arc::new(AtomicU32::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (store, next) = (store.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let mut tx = store.begin_write().await.expect("begin");
                sqlx::query("INSERT INTO bench_raw (id, payload, at) VALUES ($1, $2, $3)")
                    .bind(format!("row-{i}"))
                    .bind("payload")
                    .bind(i64::from(i))
                    .execute(tx.sql().expect("an SQL transaction"))
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("task");
    }
    let insert_rate = f64::from(total) / started.elapsed().as_secs_f64();
    store.close().await;
    Rates {
        book: book_rate,
        insert: insert_rate,
        per_transaction,
    }
}

/// One row of the table: the case without notifications, then with them, each on a
/// fresh database from `fresh`.
async fn case<F, Fut>(label: &str, offices: u32, clients: u32, fresh: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = (String, Option<tempfile::TempDir>)>,
{
    let (url, _dir) = fresh("plain").await;
    let plain = measure(&url, offices, clients, false, true).await;
    let (url, _dir) = fresh("notices").await;
    let with = measure(&url, offices, clients, true, true).await;
    let (url, _dir) = fresh("unlogged").await;
    let unlogged = measure(&url, offices, clients, false, false).await;
    println!(
        "| {label} | {clients} | {offices} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x | {:.2}x | {:.0} | {:.1} |",
        plain.book,
        with.book,
        with.book / plain.book,
        unlogged.book,
        plain.book / unlogged.book,
        plain.book / plain.insert,
        plain.insert,
        plain.per_transaction,
    );
}

/// Whether the case `backend/clients/offices` (e.g. `postgres/8/1`) was asked for: every
/// case without filters, else those containing one of the arguments after `--`.
fn wanted(filters: &[String], backend: &str, clients: u32, offices: u32) -> bool {
    let case = format!("{backend}/{clients}/{offices}");
    filters.is_empty() || filters.iter().any(|f| case.contains(f.as_str()))
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!(
            "{} operations, offices of {DESKS} desks, a connection pool of {}\n",
            bookings(),
            StoreOptions::default().max_connections
        );
        println!(
            "| backend | clients | offices | bookings/s via book | bookings/s with e-mail notifications | with/without | bookings/s without the change log | with/without | book/INSERT | single-row INSERT tx/s | bookings per transaction |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let sqlite = |_: &'static str| async {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url, Some(dir))
        };
        for clients in CONCURRENCY {
            for offices in OFFICES.into_iter().filter(|&o| wanted(&filters, "sqlite", clients, o)) {
                case("SQLite (synchronous=full)", offices, clients, sqlite).await;
            }
        }
        if let Ok(admin) = std::env::var("CITA_BENCH_POSTGRES_URL") {
            let pool = sqlx::PgPool::connect(&admin).await.expect("postgres");
            for clients in CONCURRENCY {
                for offices in OFFICES
                    .into_iter()
                    .filter(|&o| wanted(&filters, "postgres", clients, o))
                {
                    let names = |variant: &str| {
                        format!("cita_bench_{}_{clients}_{offices}_{variant}", std::process::id())
                    };
                    let postgres = |variant: &'static str| {
                        let (pool, admin, name) = (pool.clone(), admin.clone(), names(variant));
                        async move {
                            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                                .execute(&pool)
                                .await
                                .expect("create db");
                            let (base, _) =
                                admin.rsplit_once('/').expect("database url with a path");
                            (format!("{base}/{name}"), None)
                        }
                    };
                    case("PostgreSQL", offices, clients, postgres).await;
                    for variant in ["plain", "notices", "unlogged"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE {} WITH (FORCE)",
                            names(variant)
                        )))
                        .execute(&pool)
                        .await
                        .expect("drop db");
                    }
                }
            }
        }
    });
}
