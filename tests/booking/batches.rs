//! Bookings that arrive together share one transaction, whatever their offices: each is
//! judged against everything before it, stored or earlier in the batch, and gets its own
//! answer.
//!
//! These tests run on a single-threaded runtime: every task queues its booking before the
//! first worker gets to run, so the bookings form exactly one batch, in the order the
//! tasks were spawned (asserted through `batch_stats`).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cita::booking::{BookOutcome, BookRequest, Booking, BookingError};
use sqlx::Row;
use tokio::task::JoinSet;

use crate::common::*;

fn tuesday(h: u32, m: u32) -> DateTime<Utc> {
    utc(2027, 3, 2, h - 1, m)
}

/// Books every request at once; answers in request order.
async fn book_together(
    booking: &Booking,
    requests: Vec<(BookRequest, Option<&'static str>)>,
) -> Vec<Result<BookOutcome, BookingError>> {
    let booking = Arc::new(booking.clone());
    let mut tasks = JoinSet::new();
    for (i, (request, key)) in requests.into_iter().enumerate() {
        let booking = booking.clone();
        tasks.spawn(async move { (i, booking.book(&request, key, &CITIZEN).await) });
    }
    let mut answers: Vec<_> = tasks.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

async fn stored_desk(app: &TestApp, locator: &str) -> String {
    let mut conn = app
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    sqlx::query("SELECT desk_id FROM appointments WHERE locator = $1")
        .bind(locator)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<String, _>("desk_id")
}

async fn each_booking_of_a_batch_is_judged_against_the_ones_before(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let t = tuesday(11, 0);
    let keyed = request("madrid", "renovacion-dni", t + Duration::hours(1), &dni(4));
    let mut other_under_same_key = keyed.clone();
    other_under_same_key.start = t + Duration::hours(2);
    let answers = book_together(
        &app.booking,
        vec![
            // Desk a serves both procedures, desk b only renovacion-dni: the fingerprints
            // must end on b and the DNI renewal on a, whatever the first guess was.
            (request("madrid", "renovacion-dni", t, &dni(1)), None),
            (request("madrid", "huellas-tie", t, &dni(2)), None),
            (request("madrid", "renovacion-dni", t, &dni(3)), None),
            // The first citizen again: one active renovacion-dni per person.
            (
                request(
                    "madrid",
                    "renovacion-dni",
                    t + Duration::minutes(30),
                    &dni(1),
                ),
                None,
            ),
            (keyed.clone(), Some("batch-key")),
            (keyed, Some("batch-key")),
            (other_under_same_key, Some("batch-key")),
        ],
    )
    .await;
    let stats = app.booking.batch_stats();
    assert_eq!(
        (stats.batches(), stats.bookings()),
        (1, 7),
        "one transaction for all"
    );

    let first = answers[0].as_ref().expect("first booking");
    let fingerprints = answers[1].as_ref().expect("fingerprints fit by moving");
    assert!(matches!(answers[2], Err(BookingError::SlotUnavailable)));
    assert!(matches!(
        answers[3],
        Err(BookingError::CitizenLimitReached(_))
    ));
    let keyed_first = answers[4].as_ref().expect("keyed booking");
    let keyed_again = answers[5].as_ref().expect("same request, same key");
    assert!(!keyed_first.replayed);
    assert!(keyed_again.replayed);
    assert_eq!(
        keyed_again.appointment.locator,
        keyed_first.appointment.locator
    );
    assert_ne!(
        keyed_again.token, keyed_first.token,
        "a replay issues a new token"
    );
    assert!(matches!(
        answers[6],
        Err(BookingError::IdempotencyKeyReused)
    ));

    // The answers tell the final desks, after the moves the batch made.
    assert_eq!(fingerprints.appointment.desk_id.as_str(), "a");
    assert_eq!(first.appointment.desk_id.as_str(), "b");
    for outcome in [first, fingerprints, keyed_first] {
        let locator = outcome.appointment.locator.as_str();
        assert_eq!(
            stored_desk(&app, locator).await,
            outcome.appointment.desk_id.as_str()
        );
        // Every token handed out opens its appointment.
        app.booking.get(locator, &outcome.token).await.unwrap();
    }
    app.booking
        .get(keyed_again.appointment.locator.as_str(), &keyed_again.token)
        .await
        .unwrap();
    assert_eq!(count_status(app.store(), "booked").await, 3);
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

async fn a_hold_named_twice_in_a_batch_is_consumed_once(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let t = tuesday(12, 0);
    let hold = app
        .booking
        .hold(&"madrid".into(), &"renovacion-dni".into(), t, &visitor())
        .await
        .unwrap();
    let with_hold = |n: u32| {
        let mut r = request("madrid", "renovacion-dni", t, &dni(n));
        r.hold_id = Some(hold.hold_id.clone());
        (r, None)
    };
    let answers = book_together(&app.booking, vec![with_hold(1), with_hold(2), with_hold(3)]).await;
    assert_eq!(
        (
            app.booking.batch_stats().batches(),
            app.booking.batch_stats().bookings()
        ),
        (1, 3)
    );
    // The first turns the hold into its appointment; the second takes the other desk as
    // if it had no hold; the third finds both desks taken.
    assert!(answers[0].is_ok(), "{:?}", answers[0]);
    assert!(answers[1].is_ok(), "{:?}", answers[1]);
    assert!(matches!(answers[2], Err(BookingError::SlotUnavailable)));
    let mut conn = app
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let holds: i64 = sqlx::query("SELECT COUNT(*) AS n FROM holds")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get("n");
    assert_eq!(holds, 0);
    drop(conn);
    assert_eq!(count_status(app.store(), "booked").await, 2);
    assert_eq!(overlapping_pairs(app.store()).await, 0);
}

async fn a_batch_spanning_several_days_loads_each_day(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let days = [
        tuesday(9, 0),
        tuesday(9, 0) + Duration::days(1),
        tuesday(9, 0) + Duration::days(2),
    ];
    let mut requests = Vec::new();
    for (d, start) in days.iter().enumerate() {
        for n in 0..3u32 {
            let document = dni(100 + u32::try_from(d).unwrap() * 10 + n);
            requests.push((request("madrid", "renovacion-dni", *start, &document), None));
        }
    }
    let answers = book_together(&app.booking, requests).await;
    assert_eq!(app.booking.batch_stats().batches(), 1);
    // Two desks serve the procedure: two of the three at each start get it.
    for day in answers.chunks(3) {
        assert!(day[0].is_ok() && day[1].is_ok(), "{day:?}");
        assert!(matches!(day[2], Err(BookingError::SlotUnavailable)));
    }
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

async fn offices_booked_in_one_batch_stay_apart(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let t = tuesday(10, 0);
    let later = t + Duration::hours(1);
    let answers = book_together(
        &app.booking,
        vec![
            // Madrid's desk a and Barcelona's desk c both serve huellas-tie: were Madrid's
            // new appointment laid over Barcelona's snapshot, it would take desk c there.
            (request("madrid", "huellas-tie", t, &dni(1)), None),
            (request("barcelona", "renovacion-dni", t, &dni(2)), None),
            // One person, one time: the rule holds across the offices of a batch.
            (request("madrid", "renovacion-dni", later, &dni(3)), None),
            (request("barcelona", "renovacion-dni", later, &dni(3)), None),
        ],
    )
    .await;
    let stats = app.booking.batch_stats();
    // Bookings of several offices share a batch (and its transaction) on both backends.
    assert_eq!((stats.batches(), stats.bookings()), (1, 4));
    let madrid = answers[0].as_ref().expect("madrid");
    let barcelona = answers[1].as_ref().expect("barcelona");
    assert_eq!(madrid.appointment.desk_id.as_str(), "a");
    assert_eq!(barcelona.appointment.desk_id.as_str(), "c");
    assert!(answers[2].is_ok(), "{:?}", answers[2]);
    assert!(matches!(
        answers[3],
        Err(BookingError::CitizenLimitReached(_))
    ));
    assert_eq!(count_status(app.store(), "booked").await, 3);
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
}

macro_rules! single_threaded_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() { super::$name(crate::common::Db::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() { super::$name(crate::common::Db::Postgres).await }
            )*
        }
    };
}

single_threaded_both_backends!(
    each_booking_of_a_batch_is_judged_against_the_ones_before,
    a_hold_named_twice_in_a_batch_is_consumed_once,
    a_batch_spanning_several_days_loads_each_day,
    offices_booked_in_one_batch_stay_apart,
);
