//! A release draw stopped midway — its first bookings committed, their results not yet
//! recorded, as when the process dies — is resumed by another instance once the first
//! one's lease has run out: it gives every entrant the same time the uninterrupted draw
//! would, books nothing twice, and its record checks out. On both databases.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{Duration, Weekday};
use cita::booking::{Booking, Catalog, CitizenInput, EntryRequest};
use cita::clock::ManualClock;
use cita::domain::{DrawRules, Release, WallTime, Weekdays};
use cita::store::{
    BookingBegin, BookingLocks, BookingTx, ConnectionSlot, Database, Records, Store, StoreError,
    WriteTx,
};

use crate::both_backends;
use crate::common::*;

/// The real database, until it is armed: then the first read after a booking
/// transaction fails, as if the process had died right after that commit.
#[derive(Debug)]
struct DiesAfterBooking {
    inner: Store,
    armed: AtomicBool,
    booked: AtomicBool,
    died: AtomicBool,
}

#[async_trait]
impl Database for DiesAfterBooking {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn read(&self) -> Result<Box<dyn Records>, StoreError> {
        if self.armed.load(Ordering::SeqCst)
            && self.booked.load(Ordering::SeqCst)
            && !self.died.swap(true, Ordering::SeqCst)
        {
            return Err(StoreError::Unavailable("the process died".into()));
        }
        self.inner.read().await
    }
    async fn begin_write(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        self.inner.begin_write().await
    }
    async fn begin_booking(
        &self,
        held: &ConnectionSlot,
        begin: &BookingBegin<'_>,
    ) -> Result<(Box<dyn BookingTx>, BookingLocks), StoreError> {
        let started = self.inner.begin_booking(held, begin).await;
        if self.armed.load(Ordering::SeqCst) {
            self.booked.store(true, Ordering::SeqCst);
        }
        started
    }
    fn commits_durably(&self) -> bool {
        self.inner.commits_durably()
    }
    async fn flush_commits(&self) -> Result<(), StoreError> {
        self.inner.flush_commits().await
    }
    async fn close(&self) {
        self.inner.close().await
    }
    fn max_connections(&self) -> u32 {
        self.inner.max_connections()
    }
    fn sql_pool(&self) -> Option<&sqlx::AnyPool> {
        self.inner.sql_pool()
    }
}

/// The test offices, with Madrid's DNI renewals given out by a draw on Mondays at 09:00
/// (08:00 UTC), for the Monday two weeks later: 2027-03-15, two desks, 40 times.
fn catalog() -> Catalog {
    let mut offices = offices();
    let service = offices[0]
        .services
        .iter_mut()
        .find(|s| s.id.as_str() == "renovacion-dni")
        .unwrap();
    service.releases.push(Release {
        days: Weekdays::empty().with(Weekday::Mon),
        at: WallTime::parse("09:00").unwrap(),
        first: 14,
        last: 14,
        draw: Some(DrawRules::default()),
        room: None,
    });
    Catalog::new(offices, chrono::Duration::seconds(300))
}

const DRAW: &str = "madrid.renovacion-dni.20270301T0900";

async fn booked_on_the_day(store: &Store) -> Vec<(String, String)> {
    let pool = store.sql_pool().unwrap();
    sqlx::query_as(
        "SELECT document, id FROM appointments WHERE office_id = 'madrid' AND status = 'booked' \
         ORDER BY document",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn a_draw_that_died_midway_is_finished_by_another_instance(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let store = app.store().clone();
    let dying = Arc::new(DiesAfterBooking {
        inner: store.clone(),
        armed: AtomicBool::new(false),
        booked: AtomicBool::new(false),
        died: AtomicBool::new(false),
    });
    let clock = Arc::new(ManualClock::new(test_now()));
    let first = Booking::new(dying.clone() as Store, clock.clone(), catalog());
    let second = Booking::new(store.clone(), clock.clone(), catalog());

    for n in 1..=50 {
        let request = EntryRequest {
            citizen: CitizenInput {
                name: format!("Entrant {n}"),
                document: dni(n),
                document_type: None,
                email: None,
                phone: None,
                language: None,
            },
            from: date(2027, 3, 15),
            to: date(2027, 3, 15),
            part_of_day: "any".into(),
        };
        first.enter_draw(DRAW, &request).await.unwrap();
    }
    clock.advance(Duration::hours(1) + Duration::seconds(1));
    dying.armed.store(true, Ordering::SeqCst);
    // The pass reports the draw as failed, to be tried again (the others ran).
    let died = first.run_due_draws("first").await.unwrap();
    assert!(died.failed.iter().any(|(id, _)| id == DRAW), "{died:?}");
    assert!(dying.died.load(Ordering::SeqCst));
    // Its bookings are in; nobody has been told; the date is still the draw's.
    let before = booked_on_the_day(&store).await;
    assert_eq!(before.len(), 40);
    let info = second.draw(DRAW).await.unwrap();
    assert_eq!(info.state.as_str(), "closed");
    let day = date(2027, 3, 15);
    let closed = second
        .days(&"madrid".into(), &"renovacion-dni".into(), day, day)
        .await
        .unwrap();
    assert_eq!(closed[0].slots, 0);

    // The first runner's lease holds for a minute: the second waits it out.
    let run = second.run_due_draws("second").await.unwrap();
    assert!(run.skipped.contains(&DRAW.to_owned()), "{run:?}");
    clock.advance(Duration::seconds(61));
    let run = second.run_due_draws("second").await.unwrap();
    assert!(run.drawn.contains(&DRAW.to_owned()), "{run:?}");

    // The same 40 appointments, one per winner, each entrant told.
    let after = booked_on_the_day(&store).await;
    assert_eq!(after, before);
    let info = second.draw(DRAW).await.unwrap();
    assert_eq!(info.assigned, Some(40));
    let checked = second.verify_draw(DRAW).await.unwrap();
    assert!(checked.ok(), "{:?}", checked.problems);
    assert_eq!((checked.entries, checked.assigned), (50, 40));
}

both_backends!(a_draw_that_died_midway_is_finished_by_another_instance);
