//! Availability right after a write, over HTTP: the named scenario `madrid-3x3`.
//!
//! One office in Europe/Madrid, Monday–Friday 09:00–14:00, three desks each serving three
//! 15-minute procedures on a 15-minute grid, no holidays; the 60-day window starts on the
//! next Monday (2027-03-08, so it crosses the change to summer time). 0, 500 and 2 000
//! appointments are spread uniformly at random over the window's free starts (fixed seed),
//! booked through the `book` use case on SQLite.
//!
//! Cases, per appointment count, measured in the same run so that their ratios hold on a
//! noisy machine (the server is `Application::build` as `cita serve` builds it, served on
//! a loopback port and asked over one keep-alive HTTP/1 connection):
//!
//! - `cold/N`: book one free time inside the window and cancel it (not timed), then time
//!   one `GET …/days` for the 60 days: every answer follows a write, as on release
//!   morning;
//! - `warm/N`: the same GET with no write before it (the answer is reused);
//! - `healthz`: `GET /healthz` on the same connection, the cost of HTTP and the layers.
//!
//! Every answer is checked (200, 60 days, the free starts the seeding left), so an error
//! cannot be timed by mistake. At the end a table gives each case's median and p99 (from
//! the individual requests timed in this run) and `cold/2000` against `cold/0`.
//!
//! ```sh
//! cargo bench --bench availability
//! cargo bench --bench availability -- --warm-up-time 1 --measurement-time 5
//! ```

// A benchmark is a test harness: failing loudly on a broken setup is what it should do.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::body::Bytes;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Madrid;
use cita::app::{Application, ServeSettings};
use cita::booking::{Actor, BookRequest, Booking, CitizenInput};
use cita::clock::ManualClock;
use cita::store::{SqliteSync, StoreOptions};
use criterion::Criterion;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const OFFICE: &str = "madrid";
const SERVICES: [&str; 3] = ["padron", "empadronamiento", "certificado"];
const DESKS: u32 = 3;
const COUNTS: [usize; 3] = [0, 500, 2000];
const SEED: u64 = 20;
/// Quarter hours from 09:00 to 14:00.
const QUARTERS: u32 = 20;

/// Friday 2027-03-05, 10:00 in Madrid: the window starts on the next Monday.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 5, 9, 0, 0).unwrap()
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 8).unwrap()
}

fn last_day() -> NaiveDate {
    first_day() + Duration::days(59)
}

fn config() -> String {
    let mut toml = format!(
        "[[office]]\nid = \"{OFFICE}\"\nname = \"Oficina de Madrid\"\n\
         timezone = \"Europe/Madrid\"\naddress = \"Calle Mayor 1, 28013 Madrid\"\n\
         [[office.hours]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n\
         open = \"09:00\"\nclose = \"14:00\"\n"
    );
    for id in SERVICES {
        toml.push_str(&format!(
            "[[office.service]]\nid = \"{id}\"\nname = \"Trámite {id}\"\n\
             duration_minutes = 15\nstep_minutes = 15\nmax_advance_days = 90\n"
        ));
    }
    let all = SERVICES.map(|s| format!("\"{s}\"")).join(", ");
    for d in 0..DESKS {
        toml.push_str(&format!(
            "[[office.desk]]\nid = \"mesa-{d}\"\nservices = [{all}]\n"
        ));
    }
    toml
}

fn dni(n: usize) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    format!("{n:08}{}", LETTERS[n % 23] as char)
}

/// A start of the window: a working day and a quarter hour from 09:00.
type Start = (NaiveDate, u32);

fn instant((date, quarter): Start) -> DateTime<Utc> {
    let minutes = 9 * 60 + 15 * quarter;
    Madrid
        .with_ymd_and_hms(
            date.year(),
            date.month(),
            date.day(),
            minutes / 60,
            minutes % 60,
            0,
        )
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Free desks per start, as the seeding books them, to draw uniformly from free starts.
struct Free {
    left: BTreeMap<Start, u32>,
    starts: Vec<Start>,
}

impl Free {
    fn new() -> Free {
        let mut left = BTreeMap::new();
        let days = first_day().iter_days().take_while(|d| *d <= last_day());
        for date in days.filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)) {
            for quarter in 0..QUARTERS {
                left.insert((date, quarter), DESKS);
            }
        }
        let starts = left.keys().copied().collect();
        Free { left, starts }
    }

    fn pick(&self, rng: &mut StdRng) -> Start {
        self.starts[rng.random_range(0..self.starts.len())]
    }

    fn take(&mut self, start: Start) {
        let left = self.left.get_mut(&start).expect("a start of the window");
        *left -= 1;
        if *left == 0 {
            self.starts.retain(|s| *s != start);
        }
    }

    /// Bookable starts of one procedure per date (every desk serves every procedure).
    fn per_day(&self) -> BTreeMap<NaiveDate, u32> {
        let mut days = BTreeMap::new();
        for ((date, _), left) in &self.left {
            *days.entry(*date).or_insert(0) += u32::from(*left > 0);
        }
        days
    }
}

struct Fixture {
    booking: Booking,
    client: Client<HttpConnector, Empty<Bytes>>,
    base: String,
    free: Free,
    rng: StdRng,
    citizens: usize,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn book(&mut self, start: Start) -> (String, String) {
        self.citizens += 1;
        let n = self.citizens;
        let request = BookRequest {
            office_id: OFFICE.into(),
            service_id: SERVICES[n % SERVICES.len()].into(),
            start: instant(start),
            hold_id: None,
            citizen: CitizenInput {
                name: format!("Persona {n}"),
                document: dni(n),
                document_type: None,
                email: None,
                phone: None,
                language: None,
            },
        };
        let outcome = self
            .booking
            .book(&request, None, &Actor::Citizen)
            .await
            .unwrap_or_else(|e| panic!("booking {n} at {start:?}: {e}"));
        (outcome.appointment.locator.to_string(), outcome.token)
    }

    /// Books one free time of the window and cancels it: a write the next read follows.
    async fn write(&mut self) {
        let start = self.free.pick(&mut self.rng);
        let (locator, token) = self.book(start).await;
        self.booking
            .cancel(&locator, &token)
            .await
            .expect("cancel the booking just made");
    }

    async fn get(&self, path: &str) -> (u16, Bytes) {
        let uri = format!("{}{path}", self.base).parse().unwrap();
        let response = self.client.get(uri).await.expect("HTTP answer");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.expect("body");
        (status, body.to_bytes())
    }
}

fn days_path() -> String {
    format!(
        "/api/v1/offices/{OFFICE}/services/{}/days?from={}&to={}",
        SERVICES[0],
        first_day(),
        last_day()
    )
}

async fn setup(appointments: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("offices.toml");
    std::fs::write(&config_path, config()).expect("write the configuration");
    let clock = Arc::new(ManualClock::new(now()));
    let settings = ServeSettings {
        database_url: format!("sqlite://{}", dir.path().join("cita.db").display()),
        config: Some(config_path),
        demo: false,
        public_url: None,
        store: StoreOptions {
            sqlite_synchronous: SqliteSync::Normal,
            ..StoreOptions::default()
        },
        rate_limit: false,
        trust_proxy: false,
        staff_idle_minutes: 480,
        notify: cita::notify::NotifySettings::new(""),
        worker: false,
    };
    let app = Application::build(&settings, "127.0.0.1:0", clock)
        .await
        .expect("build the application");
    let booking = app.state.booking.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = cita::http::router(app.state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let mut fixture = Fixture {
        booking,
        client: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1)
            .build_http(),
        base,
        free: Free::new(),
        rng: StdRng::seed_from_u64(SEED),
        citizens: 0,
        _dir: dir,
    };
    for _ in 0..appointments {
        let start = fixture.free.pick(&mut fixture.rng);
        fixture.book(start).await;
        fixture.free.take(start);
    }
    fixture
}

/// The 60-day answer says exactly what the seeding left free.
async fn check(fixture: &Fixture) {
    let (status, body) = fixture.get(&days_path()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let days = answer["days"].as_array().expect("days");
    assert_eq!(days.len(), 60);
    let expected = fixture.free.per_day();
    for day in days {
        let date: NaiveDate = day["date"].as_str().unwrap().parse().unwrap();
        let slots = day["slots"].as_u64().unwrap();
        assert_eq!(
            slots,
            u64::from(expected.get(&date).copied().unwrap_or(0)),
            "free starts on {date}"
        );
    }
}

/// Individual request times by case, for the medians and p99 of the summary.
type Samples = RefCell<BTreeMap<String, Vec<StdDuration>>>;

fn benches(c: &mut Criterion, samples: &Samples) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("availability");
    let days = days_path();
    for count in COUNTS {
        let mut fixture = runtime.block_on(setup(count));
        runtime.block_on(check(&fixture));
        let cold = format!("cold/{count}");
        group.bench_function(&cold, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = StdDuration::ZERO;
                    for _ in 0..iters {
                        fixture.write().await;
                        let started = Instant::now();
                        let (status, body) = fixture.get(&days).await;
                        let took = started.elapsed();
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        total += took;
                        samples
                            .borrow_mut()
                            .entry(cold.clone())
                            .or_default()
                            .push(took);
                    }
                    total
                })
            })
        });
        runtime.block_on(check(&fixture));
        let warm = format!("warm/{count}");
        timed(&mut group, &runtime, &fixture, &warm, &days, samples);
        if count == 0 {
            timed(
                &mut group, &runtime, &fixture, "healthz", "/healthz", samples,
            );
        }
    }
    group.finish();
}

/// A case that times `path` alone on the fixture's connection.
fn timed(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
    fixture: &Fixture,
    name: &str,
    path: &str,
    samples: &Samples,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let (status, _) = fixture.get(path).await;
                    let took = started.elapsed();
                    assert_eq!(status, 200);
                    total += took;
                    samples
                        .borrow_mut()
                        .entry(name.to_owned())
                        .or_default()
                        .push(took);
                }
                total
            })
        })
    });
}

fn percentile(sorted: &[StdDuration], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank].as_secs_f64() * 1e3
}

fn main() {
    let samples = Samples::default();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &samples);
    criterion.final_summary();
    let samples = samples.into_inner();
    let mut medians = BTreeMap::new();
    println!(
        "\nmadrid-3x3, 60-day /days over keep-alive HTTP on SQLite (every request timed in this run)\n"
    );
    println!("| case | requests | median ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for (name, mut times) in samples {
        times.sort();
        let median = percentile(&times, 0.5);
        println!(
            "| {name} | {} | {median:.3} | {:.3} |",
            times.len(),
            percentile(&times, 0.99)
        );
        medians.insert(name, median);
    }
    if let (Some(cold0), Some(cold2000)) = (medians.get("cold/0"), medians.get("cold/2000")) {
        println!(
            "\ncold/2000 against cold/0: {:.2}× (goal ≤ 2×); cold/2000 median {cold2000:.3} ms (goal ≤ 1 ms)",
            cold2000 / cold0
        );
    }
}
