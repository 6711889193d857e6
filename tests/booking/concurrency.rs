//! Races: many tasks at once against few slots, then invariant 1 checked with SQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cita::booking::{BookingError, CitizenInput};
use tokio::task::JoinSet;

use crate::both_backends;
use crate::common::*;

fn tuesday(h: u32, m: u32) -> DateTime<Utc> {
    utc(2027, 3, 2, h - 1, m)
}

async fn two_hundred_tasks_race_for_three_starts(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booking = Arc::new(app.booking.clone());
    let starts = [tuesday(9, 0), tuesday(9, 15), tuesday(9, 30)];
    let mut tasks = JoinSet::new();
    for i in 0..200u32 {
        let booking = booking.clone();
        let start = starts[(i % 3) as usize];
        tasks.spawn(async move {
            booking
                .book(
                    &request("madrid", "renovacion-dni", start, &dni(1000 + i)),
                    None,
                    &CITIZEN,
                )
                .await
        });
    }
    let (mut ok, mut full) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(BookingError::SlotUnavailable) => full += 1,
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    // Two desks serve the procedure: capacity 2 at each of the three starts.
    assert_eq!(ok, 6);
    assert_eq!(full, 194);
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

async fn mixed_procedures_race_needs_reassignment(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booking = Arc::new(app.booking.clone());
    let t = tuesday(11, 0);
    let mut tasks = JoinSet::new();
    for i in 0..60u32 {
        let booking = booking.clone();
        let service = if i % 2 == 0 {
            "renovacion-dni"
        } else {
            "huellas-tie"
        };
        tasks.spawn(async move {
            booking
                .book(
                    &request("madrid", service, t, &dni(3000 + i)),
                    None,
                    &CITIZEN,
                )
                .await
        });
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(BookingError::SlotUnavailable) => {}
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert!(
        ok == 2,
        "two desks, two appointments at 11:00 whatever the mix, got {ok}"
    );
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

async fn concurrent_reschedules_into_one_start(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booking = Arc::new(app.booking.clone());
    let mut booked = vec![];
    for i in 0..8u32 {
        let start = tuesday(9, 0) + chrono::Duration::minutes(15 * i64::from(i));
        booked.push(
            booking
                .book(
                    &request("madrid", "renovacion-dni", start, &dni(4000 + i)),
                    None,
                    &CITIZEN,
                )
                .await
                .unwrap(),
        );
    }
    let target = tuesday(12, 0);
    let mut tasks = JoinSet::new();
    for b in booked.clone() {
        let booking = booking.clone();
        tasks.spawn(async move {
            let result = booking
                .reschedule(
                    b.appointment.locator.as_str(),
                    &b.token,
                    target,
                    None,
                    &CITIZEN,
                )
                .await;
            (b, result)
        });
    }
    let mut moved = 0;
    while let Some(joined) = tasks.join_next().await {
        let (before, result) = joined.unwrap();
        let now = booking
            .get(before.appointment.locator.as_str(), &before.token)
            .await
            .unwrap();
        match result {
            Ok(after) => {
                moved += 1;
                assert_eq!(now.start, target);
                assert_eq!(after.sequence, 1);
            }
            Err(BookingError::SlotUnavailable) => {
                assert_eq!(
                    now.start, before.appointment.start,
                    "a failed reschedule changes nothing"
                );
                assert_eq!(now.sequence, 0);
            }
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(moved, 2);
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

async fn one_citizen_in_two_offices_at_once(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booking = Arc::new(app.booking.clone());
    let mut tasks = JoinSet::new();
    for i in 0..40u32 {
        let booking = booking.clone();
        let office = if i % 2 == 0 { "madrid" } else { "barcelona" };
        let start = tuesday(9, 0) + chrono::Duration::minutes(15 * i64::from(i / 2));
        tasks.spawn(async move {
            let mut req = request(office, "renovacion-dni", start, "12345678Z");
            req.citizen = CitizenInput {
                name: format!("Ana {i}"),
                ..req.citizen
            };
            booking.book(&req, None, &CITIZEN).await
        });
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(BookingError::CitizenLimitReached(_)) => {}
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(ok, 1, "max_active_per_citizen = 1 across offices");
}

async fn concurrent_idempotent_duplicates_take_effect_once(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booking = Arc::new(app.booking.clone());
    let req = request("madrid", "renovacion-dni", tuesday(10, 0), &dni(5000));
    let mut tasks = JoinSet::new();
    for _ in 0..20 {
        let (booking, req) = (booking.clone(), req.clone());
        tasks.spawn(async move { booking.book(&req, Some("same-key"), &CITIZEN).await });
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut replays = 0;
    while let Some(result) = tasks.join_next().await {
        let outcome = result.unwrap().unwrap();
        replays += usize::from(outcome.replayed);
        ids.insert(outcome.appointment.id);
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(replays, 19);
    assert_eq!(count_status(app.store(), "booked").await, 1);
}

both_backends!(
    two_hundred_tasks_race_for_three_starts,
    mixed_procedures_race_needs_reassignment,
    concurrent_reschedules_into_one_start,
    one_citizen_in_two_offices_at_once,
    concurrent_idempotent_duplicates_take_effect_once,
);
