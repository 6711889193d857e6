//! Server time of the staff agenda page for a busy office: 20 desks and 400 appointments
//! (20 per desk) on one day. The agenda is the page counter staff keep open all day and
//! reload (its script refreshes it), so it must stay fast on the busiest day; the goal is
//! at most 50 ms per render.
//!
//! The whole app is built as `cita serve --config` builds it (`Application::build`, SQLite
//! in a temporary directory, rate limits off as with `--no-rate-limit`, a fixed clock at
//! noon on the busy day) and asked in-process through its router, with the cookies of a
//! staff admin signed in on `/staff/sign-in`. The appointments are booked through the
//! normal `book` use case; the morning's are served (a few not come), the ones in progress
//! checked in, a few of the afternoon's cancelled. Cases, measured in the same run so that
//! their ratios hold on a noisy machine:
//!
//! - `agenda_desks`: `/staff/agenda?office_id=…&date=…` (a column per desk);
//! - `agenda_list`: the same with `&view=list` (one list by time);
//! - `agenda_print`: `/staff/agenda/print?…` (a page per desk, no actions);
//! - `healthz`: `/healthz` on the same router, the cost of the router and its layers.
//!
//! Every page is checked once before timing (200, every desk and every appointment on it),
//! so an error page cannot be timed by mistake. At the end the medians and their ratio to
//! `healthz` are printed (from criterion's estimates of this run).
//!
//! ```sh
//! cargo bench --bench agenda_page
//! cargo bench --bench agenda_page -- --warm-up-time 1 --measurement-time 5
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
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cita::app::{Application, ServeSettings};
use cita::booking::{Actor, BookRequest, Booking, CitizenInput, Role};
use cita::clock::ManualClock;
use cita::domain::Transition;
use cita::store::{SqliteSync, StoreOptions};
use criterion::Criterion;
use http_body_util::BodyExt;
use tower::ServiceExt;

const OFFICE: &str = "oficina-centro";
/// The busy day (a Tuesday; Madrid is at UTC+1 until the end of March).
const DAY: &str = "2027-03-02";
const DESKS: usize = 20;
/// Half-hour rounds from 08:00: each books every desk once, so 20 per desk.
const ROUNDS: usize = 20;
/// (id, name, minutes); the 20-minute one starts every 10 minutes, so every round's
/// start (08:00, 08:30, …) is a start of each service.
const SERVICES: [(&str, &str, u32); 3] = [
    ("tramite", "Trámite general", 10),
    ("huellas", "Toma de huellas (TIE)", 15),
    ("renovacion", "Renovación de documento", 20),
];

fn desk_id(d: usize) -> String {
    format!("mesa-{:02}", d + 1)
}

/// The services desk `d` serves: mixed subsets of the three, all three at a quarter.
fn desk_services(d: usize) -> &'static [&'static str] {
    match d % 4 {
        0 => &["tramite", "huellas", "renovacion"],
        1 => &["tramite", "huellas"],
        2 => &["huellas", "renovacion"],
        _ => &["tramite", "renovacion"],
    }
}

fn config() -> String {
    let mut toml = format!(
        "[[office]]\nid = \"{OFFICE}\"\nname = \"Oficina de Atención — Centro\"\n\
         timezone = \"Europe/Madrid\"\naddress = \"Calle Ejemplo 1, 28001 Madrid\"\n\
         [[office.hours]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n\
         open = \"08:00\"\nclose = \"20:00\"\n"
    );
    for (id, name, minutes) in SERVICES {
        toml.push_str(&format!(
            "[[office.service]]\nid = \"{id}\"\nname = \"{name}\"\nduration_minutes = {minutes}\nstep_minutes = 10\n"
        ));
    }
    for d in 0..DESKS {
        let services: Vec<String> = desk_services(d)
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect();
        toml.push_str(&format!(
            "[[office.desk]]\nid = \"{}\"\nservices = [{}]\n",
            desk_id(d),
            services.join(", ")
        ));
    }
    toml
}

fn dni(n: usize) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    format!("{n:08}{}", LETTERS[n % 23] as char)
}

/// A varied citizen name (accents included: the page escapes what it prints).
fn citizen_name(n: usize) -> String {
    const FIRST: [&str; 8] = [
        "Ana",
        "José Luis",
        "María",
        "Íñigo",
        "Lucía",
        "Mohamed",
        "Zoë",
        "Andrés",
    ];
    const LAST: [&str; 9] = [
        "García",
        "López",
        "Núñez",
        "Fernández",
        "O'Brien",
        "Martínez",
        "Peña",
        "Ruiz",
        "Sánchez",
    ];
    format!("{} {} {}", FIRST[n % 8], LAST[n % 9], LAST[(n / 9 + 3) % 9])
}

/// Local `hh:mm` on the busy day, in UTC (UTC+1 that day).
fn at(minutes_from_eight: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 2, 7, 0, 0).unwrap() + Duration::minutes(minutes_from_eight)
}

/// The app over a fresh database with the busy day booked, and a signed-in admin's cookies.
struct Fixture {
    router: Router,
    cookies: String,
    locators: Vec<String>,
    _dir: tempfile::TempDir,
}

async fn setup() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("offices.toml");
    std::fs::write(&config_path, config()).expect("write the configuration");
    // The day before, 08:00 in Madrid: everything on the busy day can be booked.
    let clock = Arc::new(ManualClock::new(at(-24 * 60)));
    let settings = ServeSettings {
        database_url: format!("sqlite://{}", dir.path().join("agenda.db").display()),
        config: Some(config_path),
        demo: false,
        public_url: Some("https://citas.example.es".to_owned()),
        store: StoreOptions {
            sqlite_synchronous: SqliteSync::Normal,
            ..StoreOptions::default()
        },
        // `--no-rate-limit`: every request comes from one client.
        rate_limit: false,
        trust_proxy: false,
        staff_idle_minutes: 480,
        notify: cita::notify::NotifySettings::new(""),
        worker: false,
    };
    let app = Application::build(&settings, "127.0.0.1:0", clock.clone())
        .await
        .expect("build the application");
    let booking = app.state.booking.clone();
    let admin = booking
        .add_staff_user("bench-admin", Role::Admin, None)
        .await
        .expect("staff admin");
    let booked = book_the_day(&booking).await;

    // Noon on the busy day: the morning went by at the counter.
    let now = at(4 * 60);
    clock.set(now);
    let actor = admin.member.actor();
    for (n, (locator, start)) in booked.iter().enumerate() {
        let changes: &[Transition] = if *start + Duration::minutes(30) <= now {
            if n % 10 == 3 {
                &[Transition::NoShow]
            } else {
                &[Transition::CheckIn, Transition::Complete]
            }
        } else if *start <= now {
            &[Transition::CheckIn]
        } else if n % 20 == 7 {
            &[Transition::Cancel]
        } else {
            &[]
        };
        for &change in changes {
            let appointment = booking
                .appointment_by_locator(locator)
                .await
                .expect("appointment");
            booking
                .staff_change(&appointment, change, &actor, None)
                .await
                .unwrap_or_else(|e| panic!("{change:?} {locator}: {e}"));
        }
    }

    let router = cita::http::router(app.state.clone());
    let cookies = sign_in(&router, &admin.token).await;
    Fixture {
        router,
        cookies,
        locators: booked.into_iter().map(|(locator, _)| locator).collect(),
        _dir: dir,
    }
}

/// Books every desk once per round through the `book` use case; (locator, start) each.
async fn book_the_day(booking: &Booking) -> Vec<(String, DateTime<Utc>)> {
    let mut booked = Vec::with_capacity(ROUNDS * DESKS);
    for round in 0..ROUNDS {
        let start = at(30 * round as i64);
        for d in 0..DESKS {
            let services = desk_services(d);
            let n = round * DESKS + d;
            let request = BookRequest {
                office_id: OFFICE.into(),
                service_id: services[(round + d) % services.len()].into(),
                start,
                hold_id: None,
                citizen: CitizenInput {
                    name: citizen_name(n),
                    document: dni(n + 1),
                    document_type: None,
                    email: None,
                    phone: None,
                    language: None,
                },
            };
            let outcome = booking
                .book(&request, None, &Actor::Citizen)
                .await
                .unwrap_or_else(|e| panic!("booking {n} at {start}: {e}"));
            booked.push((outcome.appointment.locator.to_string(), start));
        }
    }
    booked
}

/// One answer, read whole.
async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Vec<String>, Bytes) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let set_cookies = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("cookie").to_owned())
        .collect();
    let body = body.collect().await.expect("read body").to_bytes();
    (parts.status, set_cookies, body)
}

/// Signs in on `/staff/sign-in` as a browser does (the form's CSRF token, its cookie);
/// the `Cookie` header the browser then sends.
async fn sign_in(router: &Router, token: &str) -> String {
    let mut jar = BTreeMap::new();
    let keep = |jar: &mut BTreeMap<String, String>, set_cookies: Vec<String>| {
        for set in set_cookies {
            let pair = set.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            jar.insert(name.to_owned(), value.to_owned());
        }
    };
    let header_of = |jar: &BTreeMap<String, String>| {
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (status, set_cookies, body) = send(
        router,
        Request::get("/staff/sign-in").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "sign-in form");
    keep(&mut jar, set_cookies);
    let page = String::from_utf8(body.to_vec()).expect("UTF-8");
    let csrf = page
        .split("name=\"csrf\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token on the sign-in form")
        .to_owned();
    let form = format!("csrf={csrf}&token={token}");
    let (status, set_cookies, _) = send(
        router,
        Request::builder()
            .method(Method::POST)
            .uri("/staff/sign-in")
            .header(header::COOKIE, header_of(&jar))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
    keep(&mut jar, set_cookies);
    assert!(jar.contains_key("cita_staff"), "a staff session cookie");
    header_of(&jar)
}

/// The benchmark cases: (name, path).
fn cases() -> Vec<(&'static str, String)> {
    let day = format!("office_id={OFFICE}&date={DAY}");
    vec![
        ("agenda_desks", format!("/staff/agenda?{day}")),
        ("agenda_list", format!("/staff/agenda?{day}&view=list")),
        ("agenda_print", format!("/staff/agenda/print?{day}")),
        ("healthz", "/healthz".to_owned()),
    ]
}

fn request(path: &str, cookies: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookies)
        .body(Body::empty())
        .unwrap()
}

/// Each page answers 200 with every desk and every appointment of the day on it.
async fn check(fixture: &Fixture, name: &str, path: &str) {
    let (status, _, body) = send(&fixture.router, request(path, &fixture.cookies)).await;
    let body = String::from_utf8(body.to_vec()).expect("UTF-8");
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    if name == "healthz" {
        return;
    }
    assert!(body.contains("<html"), "{name} is not a page: {body}");
    for d in 0..DESKS {
        assert!(
            body.contains(&desk_id(d)),
            "{name}: desk {} missing",
            desk_id(d)
        );
    }
    let shown = fixture
        .locators
        .iter()
        .filter(|l| body.contains(l.as_str()))
        .count();
    assert_eq!(shown, ROUNDS * DESKS, "{name}: appointments shown");
    println!("{name}: {path}: {} KiB", body.len() / 1024);
}

fn benches(c: &mut Criterion, ran: &RefCell<Vec<&'static str>>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fixture = runtime.block_on(setup());
    let date: NaiveDate = DAY.parse().unwrap();
    println!(
        "{} appointments on {date} at {DESKS} desks of {OFFICE}",
        fixture.locators.len()
    );
    let mut group = c.benchmark_group("agenda_page");
    for (name, path) in cases() {
        runtime.block_on(check(&fixture, name, &path));
        group.bench_function(name, |b| {
            if !ran.borrow().contains(&name) {
                ran.borrow_mut().push(name);
            }
            b.iter(|| {
                runtime.block_on(async {
                    let (status, _, body) =
                        send(&fixture.router, request(&path, &fixture.cookies)).await;
                    black_box((status, body))
                })
            });
        });
    }
    group.finish();
}

/// Where criterion keeps its estimates (its own default: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion")
}

/// The median of a case measured in this run, in seconds, from criterion's estimates.
fn median_of(name: &str) -> Option<f64> {
    let path = criterion_dir()
        .join("agenda_page")
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1e9)
}

fn main() {
    let ran = RefCell::new(Vec::new());
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &ran);
    criterion.final_summary();
    // The ratios to `healthz` when both were measured now (not in `cargo test`, `--test`,
    // `--list` or `--profile-time`, which leave no estimates of this run).
    let args: Vec<String> = std::env::args().collect();
    let measured = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| ["--test", "--list", "--profile-time"].contains(&a.as_str()));
    let ran = ran.into_inner();
    let Some(base) = (measured && ran.contains(&"healthz"))
        .then(|| median_of("healthz"))
        .flatten()
    else {
        return;
    };
    println!("\n| case | median | ratio to healthz |\n|---|---|---|");
    for name in ran {
        if let Some(median) = median_of(name) {
            println!(
                "| {name} | {:.3} ms | {:.0}× |",
                median * 1e3,
                median / base
            );
        }
    }
}
