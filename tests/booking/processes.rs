//! Separate OS processes: several bookers racing on one PostgreSQL database, and a booker
//! killed with SIGKILL whose acknowledged bookings must all be in the database.
//!
//! The children are this same test binary, re-run on `child_process_entry` with
//! `CITA_CHILD_MODE` set, so they run exactly the booking code under test.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cita::booking::BookingError;
use cita::clock::ManualClock;
use cita::store;

use crate::common::*;

const MODE: &str = "CITA_CHILD_MODE";
const URL: &str = "CITA_CHILD_URL";
const INDEX: &str = "CITA_CHILD_INDEX";

fn race_starts() -> Vec<DateTime<Utc>> {
    (0..4)
        .map(|i| utc(2027, 3, 2, 8, 0) + Duration::minutes(15 * i))
        .collect()
}

/// Not a test of its own: does nothing unless started as a child by the tests below.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn child_process_entry() {
    let Ok(mode) = std::env::var(MODE) else {
        return;
    };
    let url = std::env::var(URL).unwrap();
    let index: u32 = std::env::var(INDEX).unwrap().parse().unwrap();
    let booking = Arc::new(connect_booking(&url, Arc::new(ManualClock::new(test_now()))).await);
    // The test harness has printed "test ... " without a newline: start on a fresh line.
    println!();
    match mode.as_str() {
        "race" => {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..50u32 {
                let booking = booking.clone();
                let start = race_starts()[(i % 4) as usize];
                let doc = dni(100_000 * (index + 1) + i);
                tasks.spawn(async move {
                    booking
                        .book(
                            &request("madrid", "renovacion-dni", start, &doc),
                            None,
                            &CITIZEN,
                        )
                        .await
                });
            }
            while let Some(result) = tasks.join_next().await {
                match result.unwrap() {
                    Ok(outcome) => println!("OK {}", outcome.appointment.locator),
                    Err(BookingError::SlotUnavailable) => println!("FULL"),
                    Err(other) => println!("ERR {other}"),
                }
            }
        }
        "loop" => {
            // Successive starts over the coming weekdays until killed.
            let mut n = 0u32;
            for day in 1..60i64 {
                let date = test_now().date_naive() + Duration::days(day);
                for slot in 0..20i64 {
                    let start =
                        utc(2027, 3, 1, 8, 0) + Duration::days(day) + Duration::minutes(15 * slot);
                    if start.date_naive() != date {
                        continue;
                    }
                    n += 1;
                    let doc = dni(200_000 + n);
                    if let Ok(outcome) = booking
                        .book(
                            &request("madrid", "renovacion-dni", start, &doc),
                            None,
                            &CITIZEN,
                        )
                        .await
                    {
                        println!("ACK {}", outcome.appointment.locator);
                    }
                }
            }
            println!("DONE");
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn child(mode: &str, url: &str, index: u32) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "processes::child_process_entry",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(MODE, mode)
    .env(URL, url)
    .env(INDEX, index.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_race_on_one_postgres_database() {
    let Some(db) = test_db(Db::Postgres).await else {
        return;
    };
    // Migrate once before the children start.
    let booking = connect_booking(&db.url, Arc::new(ManualClock::new(test_now()))).await;
    let children: Vec<_> = (0..3)
        .map(|i| child("race", &db.url, i).spawn().unwrap())
        .collect();
    let mut ok = 0;
    for c in children {
        let output = c.wait_with_output().unwrap();
        assert!(output.status.success(), "child failed");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            !text.lines().any(|l| l.starts_with("ERR")),
            "child saw an unexpected error:\n{text}"
        );
        ok += text.lines().filter(|l| l.starts_with("OK ")).count();
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("OK ") || *l == "FULL")
                .count(),
            50
        );
    }
    // Four starts, two desks each.
    assert_eq!(ok, 8);
    assert_eq!(overlapping_pairs(booking.store()).await, 0);
    assert!(misplaced_appointments(booking.store()).await.is_empty());
}

async fn acknowledged_bookings_survive_kill_9(db: Db) {
    let Some(db) = test_db(db).await else { return };
    let _booking = connect_booking(&db.url, Arc::new(ManualClock::new(test_now()))).await;
    let mut c = child("loop", &db.url, 0).spawn().unwrap();
    let stdout = c.stdout.take().unwrap();
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked = vec![];
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(locator) = line.strip_prefix("ACK ") {
                acked.push(locator.to_owned());
                if acked.len() == 40 {
                    break;
                }
            }
        }
        acked
    })
    .await
    .unwrap();
    c.kill().unwrap(); // SIGKILL
    c.wait().unwrap();
    assert_eq!(
        acked.len(),
        40,
        "the child acknowledged bookings before being killed"
    );
    let store = store::connect(&db.url, &Default::default()).await.unwrap();
    let mut conn = store.read().await.unwrap();
    for locator in &acked {
        assert!(
            conn.find_appointment_by_locator(locator)
                .await
                .unwrap()
                .is_some(),
            "{locator} lost"
        );
    }
}

mod kill9 {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        acknowledged_bookings_survive_kill_9(Db::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        acknowledged_bookings_survive_kill_9(Db::Postgres).await
    }
}
