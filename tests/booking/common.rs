//! Test harness: a fresh database per test on SQLite (always) and PostgreSQL (when
//! `CITA_TEST_POSTGRES_URL` is set), the demo offices built in code, and invariant checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Weekday;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cita::booking::{Actor, BookRequest, Booking, Catalog, CitizenInput, HoldOwner};
use cita::calendar;
use cita::clock::ManualClock;
use cita::domain::{Desk, Office, OpeningRule, Service, WallTime, Weekdays};
use cita::store::{Store, StoreOptions};
use sqlx::Row;

pub use crate::db::*;

pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// "Now" in the tests: Monday 2027-03-01 07:00 UTC (08:00 in Madrid).
pub fn test_now() -> DateTime<Utc> {
    utc(2027, 3, 1, 7, 0)
}

/// Madrid: weekdays 09:00-14:00; desks: A serves dni+tie, B serves dni only.
/// Barcelona: same hours, one desk serving dni.
pub fn offices() -> Vec<Office> {
    let weekdays: Weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .collect();
    let hours = vec![OpeningRule {
        days: weekdays,
        open: WallTime::parse("09:00").unwrap(),
        close: WallTime::parse("14:00").unwrap(),
        season: None,
    }];
    let desk = |id: &str, services: &[&str]| Desk {
        id: id.into(),
        services: services
            .iter()
            .map(|s| (*s).into())
            .collect::<BTreeSet<_>>(),
        hours: None,
    };
    let office = |id: &str, desks: Vec<Desk>| Office {
        id: id.into(),
        name: format!("Oficina {id}"),
        timezone: chrono_tz::Europe::Madrid,
        address: "Calle Ejemplo 1".into(),
        municipality: None,
        province: None,
        holiday_calendars: vec![],
        holidays: BTreeSet::new(),
        closed_dates: BTreeSet::new(),
        hours: hours.clone(),
        exceptions: vec![],
        services: vec![
            Service::new("renovacion-dni", "Renovación del DNI", 15),
            Service::new("huellas-tie", "Huellas TIE", 30),
        ],
        desks,
    };
    vec![
        office(
            "madrid",
            vec![
                desk("a", &["renovacion-dni", "huellas-tie"]),
                desk("b", &["renovacion-dni"]),
            ],
        ),
        office(
            "barcelona",
            vec![desk("c", &["renovacion-dni", "huellas-tie"])],
        ),
    ]
}

pub struct TestApp {
    pub booking: Booking,
    pub clock: Arc<ManualClock>,
    /// Kept alive for the test: dropping it drops the database.
    pub _db: TestDb,
}

impl TestApp {
    pub fn store(&self) -> &Store {
        self.booking.store()
    }
}

/// Connects, migrates, registers the offices; `None` when the backend is not configured.
pub async fn spawn(db: Db) -> Option<TestApp> {
    let db = test_db(db).await?;
    let clock = Arc::new(ManualClock::new(test_now()));
    let booking = connect_booking(&db.url, clock.clone()).await;
    Some(TestApp {
        booking,
        clock,
        _db: db,
    })
}

/// A booking service on `url` with the test offices (used by child processes too).
pub async fn connect_booking(url: &str, clock: Arc<ManualClock>) -> Booking {
    let store = cita::store::connect(url, &StoreOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let mut conn = store.read().await.expect("conn");
    for office in offices() {
        conn.ensure_office(&office.id).await.expect("office row");
    }
    drop(conn);
    Booking::new(
        store,
        clock,
        Catalog::new(offices(), chrono::Duration::seconds(300)),
    )
}

pub fn request(office: &str, service: &str, start: DateTime<Utc>, document: &str) -> BookRequest {
    BookRequest {
        office_id: office.into(),
        service_id: service.into(),
        start,
        hold_id: None,
        citizen: CitizenInput {
            name: "Ana García".into(),
            document: document.into(),
            document_type: None,
            email: None,
            phone: None,
            language: None,
        },
    }
}

pub const CITIZEN: Actor = Actor::Citizen;

/// A hold's owner: a client of its own each time (no live-holds cap in the way), with
/// no document.
pub fn visitor() -> HoldOwner {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    HoldOwner {
        client: format!("10.1.{}.{}", n / 256, n % 256),
        document: None,
        max_per_client: 2,
    }
}

/// Invariant 1 checked with SQL: no two desk occupancies overlap on one desk.
pub async fn overlapping_pairs(store: &Store) -> i64 {
    let mut conn = store
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    sqlx::query(
        "SELECT COUNT(*) AS n FROM appointments a JOIN appointments b \
         ON a.office_id = b.office_id AND a.desk_id = b.desk_id AND a.id < b.id \
         AND a.start_at < b.occupied_until AND b.start_at < a.occupied_until \
         WHERE a.status IN ('booked', 'checked_in', 'completed') AND b.status IN ('booked', 'checked_in', 'completed')",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap()
    .get::<i64, _>("n")
}

/// Invariant 1, the rest of feasibility: every active appointment is on a desk that serves
/// its procedure and is open over its whole occupancy. Returns the offending ids.
pub async fn misplaced_appointments(store: &Store) -> Vec<String> {
    let mut conn = store
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT id, office_id, service_id, desk_id, start_at, occupied_until FROM appointments \
         WHERE status IN ('booked', 'checked_in', 'completed')",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let offices = offices();
    let mut bad = vec![];
    for row in rows {
        let id: String = row.get("id");
        let office_id: String = row.get("office_id");
        let service: String = row.get("service_id");
        let desk_id: String = row.get("desk_id");
        let start = DateTime::from_timestamp(row.get::<i64, _>("start_at"), 0).unwrap();
        let until = DateTime::from_timestamp(row.get::<i64, _>("occupied_until"), 0).unwrap();
        let office = offices.iter().find(|o| o.id.as_str() == office_id).unwrap();
        let Some(desk) = office.desks.iter().find(|d| d.id.as_str() == desk_id) else {
            bad.push(id);
            continue;
        };
        let date = calendar::local_date(office.timezone, start);
        let open = calendar::desk_open_intervals(office, desk, date);
        let inside = open.iter().any(|i| i.start <= start && until <= i.end);
        if !desk.serves(&service.as_str().into()) || !inside {
            bad.push(id);
        }
    }
    bad
}

/// Count of appointments by status for an office.
pub async fn count_status(store: &Store, status: &str) -> i64 {
    let mut conn = store
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    sqlx::query("SELECT COUNT(*) AS n FROM appointments WHERE status = $1")
        .bind(status)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<i64, _>("n")
}

/// Declares one test function per backend from an `async fn(Db)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() { super::$name($crate::common::Db::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() { super::$name($crate::common::Db::Postgres).await }
            )*
        }
    };
}
