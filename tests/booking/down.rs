//! The use cases against a fake database that is out of reach: no server, no SQL, only
//! the store's interface. Every use case must answer `Unavailable` (503 over HTTP) —
//! never a 500, never a retry storm — and refuse bad input first, without asking the
//! database at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use cita::booking::{Booking, BookingError, Catalog};
use cita::clock::ManualClock;
use cita::store::{
    BookingBegin, BookingLocks, BookingTx, ConnectionSlot, Database, Records, StoreError, WriteTx,
};

use crate::common::*;

/// A database whose server does not answer; counts how often it was asked.
#[derive(Debug, Default)]
struct Down {
    asked: AtomicUsize,
}

impl Down {
    fn refuse<T>(&self) -> Result<T, StoreError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl Database for Down {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.refuse()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.refuse()
    }

    async fn read(&self) -> Result<Box<dyn Records>, StoreError> {
        self.refuse()
    }

    async fn begin_write(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        self.refuse()
    }

    async fn begin_booking(
        &self,
        _held: &ConnectionSlot,
        _begin: &BookingBegin<'_>,
    ) -> Result<(Box<dyn BookingTx>, BookingLocks), StoreError> {
        self.refuse()
    }

    fn commits_durably(&self) -> bool {
        true
    }

    async fn flush_commits(&self) -> Result<(), StoreError> {
        self.refuse()
    }

    async fn close(&self) {}

    fn max_connections(&self) -> u32 {
        1
    }
}

fn booking_on(down: &Arc<Down>) -> Booking {
    Booking::new(
        Arc::clone(down) as Arc<dyn Database>,
        Arc::new(ManualClock::new(test_now())),
        Catalog::new(offices(), chrono::Duration::seconds(300)),
    )
}

/// 2027-03-02 (Tuesday) 10:00 Madrid.
fn tuesday_ten() -> chrono::DateTime<chrono::Utc> {
    utc(2027, 3, 2, 9, 0)
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, answer: Result<T, BookingError>) {
    assert!(
        matches!(answer, Err(BookingError::Unavailable)),
        "{what}: {answer:?}"
    );
}

#[tokio::test]
async fn every_use_case_answers_unavailable_when_the_database_is_down() {
    let down = Arc::new(Down::default());
    let b = booking_on(&down);
    let (madrid, dni_service) = ("madrid".into(), "renovacion-dni".into());
    let day = date(2027, 3, 2);

    let booked = b
        .book(
            &request("madrid", "renovacion-dni", tuesday_ten(), &dni(1)),
            Some("key-1"),
            &CITIZEN,
        )
        .await;
    assert_unavailable("book", booked);
    assert_unavailable(
        "hold",
        b.hold(&madrid, &dni_service, tuesday_ten(), &visitor())
            .await,
    );
    assert_unavailable("slots", b.slots(&madrid, &dni_service, day).await);
    assert_unavailable("days", b.days(&madrid, &dni_service, day, day).await);
    assert_unavailable("get", b.get("7K3MZQ2D", "token").await);
    assert_unavailable("agenda", b.agenda(&madrid, day).await);
    // Nothing was retried as if it were a lost race: one question per use case.
    assert_eq!(down.asked.load(Ordering::Relaxed), 6);
}

#[tokio::test]
async fn bad_input_is_refused_before_the_database_is_asked() {
    let down = Arc::new(Down::default());
    let b = booking_on(&down);
    let unknown = b
        .book(
            &request("nowhere", "renovacion-dni", tuesday_ten(), &dni(2)),
            None,
            &CITIZEN,
        )
        .await;
    assert!(
        matches!(unknown, Err(BookingError::NotFound)),
        "{unknown:?}"
    );
    let bad_document = b
        .book(
            &request("madrid", "renovacion-dni", tuesday_ten(), "12345678A"),
            None,
            &CITIZEN,
        )
        .await;
    assert!(
        matches!(bad_document, Err(BookingError::InvalidDocument(_))),
        "{bad_document:?}"
    );
    let bad_locator = b.get("not a locator", "token").await;
    assert!(
        matches!(bad_locator, Err(BookingError::NotFound)),
        "{bad_locator:?}"
    );
    assert_eq!(down.asked.load(Ordering::Relaxed), 0);
}
