//! The use cases: hold, book, look up, reschedule, cancel, staff transitions and closures.
//!
//! Each write runs in one transaction that first serializes on the citizen (when there is
//! one) and then on the office, re-reads the snapshot, asks the allocator and writes
//! (DESIGN §5). Races
//! the database detects are retried a bounded number of times, never surfaced as 500s.

mod admin;
mod agenda;
mod audit;
mod availability;
mod batch;
mod book;
mod cache;
mod catalog;
mod citizen_calendar;
mod closure;
mod day_cache;
mod demo;
mod draw;
mod error;
mod fairness;
mod feeds;
mod flight;
mod held_back;
mod hold;
mod import;
mod manage;
mod notices;
mod place;
mod queue;
mod quota;
mod replan;
mod request;
mod retention;
mod room;
pub mod secrets;
mod snapshot;
mod staff;
mod staff_session;
mod statistics;
mod transaction;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::Rng;

use crate::clock::Clock;
use crate::domain::{Office, OfficeId};
use crate::store::Records;
use crate::store::{self, OfficeLock, Store, StoreError};

pub use crate::calendar::Opening;
/// Configuration problems, as the use cases report them to the pages and the API.
pub use crate::config::{ConfigError, ConfigProblem};
/// How long a request's writes waited for the database (load shedding sizes by it).
pub use crate::store::measure_waits;
// Records the notification and citizen-calendar use cases hand to the layers above.
pub use crate::store::{
    CitizenFeedRecord, CitizenOwner, NoticeOutcome, NoticeRecord, OutboxCounts,
};
pub use admin::{ConfigApplied, ConfigChangeError, OnStranded, StrandReason, Stranded};
pub use agenda::{Agenda, DeskAgenda};
pub use audit::{AUDIT_ACTIONS, AUDIT_PAGE, AuditDetail, AuditPage, audit_detail};
pub use availability::{DayAvailability, SlotAvailability};
pub use book::BookOutcome;
pub use catalog::Catalog;
pub use citizen_calendar::{
    CitizenAccess, LINK_LIFETIME, MAX_CITIZEN_FEEDS, citizen_owner, owner_document, owner_email,
};
pub use closure::{ClosureOutcome, ClosureProblem, closure_problems};
pub use draw::{
    DrawInfo, DrawRecordPublic, DrawRef, DrawState, DrawsRun, EntryOutcome, EntryRequest,
    EntryStatus, PublishedEntry, Verification, verify_record_json,
};
pub use error::{BookingError, CitizenLimit};
pub use fairness::{
    Figures as FairnessFigures, MAX_FAIRNESS_DAYS, ReleaseFairness, fairness_csv, fairness_svg,
};
pub use feeds::{CANCELLED_VISIBLE, FEED_PAST, FeedLink};
pub use hold::{HoldOutcome, HoldOwner};
pub use import::{ConfigSource, ImportError, ImportOutcome, import_config, load_stored_config};
pub use notices::{NoticeChannels, NoticeEvent, NoticeFacts, REMINDER_QUIET, plan as plan_notices};
pub use queue::{BatchStats, MAX_BATCH};
pub use request::{Actor, BookRequest, CitizenInput, CitizenProblem};
pub use room::{Admission, Joined, RoomInfo, RoomRef, RoomState, TicketStatus};
pub use staff::{DEMO_ADMIN, IssuedStaffToken, Role, StaffMember};
pub use staff_session::{OpenedStaffSession, StaffSession};
pub use statistics::{
    Counts, DayFigures, MAX_STATISTICS_DAYS, Statistics, share_percent, summarize,
};

/// How many times a transaction that lost a race is run again before giving up.
const MAX_ATTEMPTS: u32 = 12;
/// Idempotency keys are remembered this long.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The booking service: the store, the clock and the offices it serves.
#[derive(Debug, Clone)]
pub struct Booking {
    store: Store,
    clock: Arc<dyn Clock>,
    catalog: Arc<RwLock<Arc<Catalog>>>,
    /// The stored configuration version `catalog` was built from; 0 when unknown (a
    /// catalog built in code).
    catalog_version: Arc<AtomicI64>,
    /// Availability answers shared by concurrent readers while they stay exact.
    caches: Arc<Caches>,
    /// Bookings waiting for the next booking transaction (one queue per instance).
    book_queue: Arc<queue::BookQueue>,
    /// Each office's stored closures as last read, with the mark they were read at.
    closures: Arc<Mutex<HashMap<OfficeId, SeenClosures>>>,
    /// Keys the digests of clients and documents stored with holds and idempotency keys.
    pepper: secrets::Pepper,
    /// The channels changes write messages for.
    channels: NoticeChannels,
}

#[derive(Debug)]
struct SeenClosures {
    mark: (i64, i64),
    records: Arc<Vec<store::ClosureRecord>>,
}

#[derive(Debug, Default)]
struct Caches {
    slots: cache::AvailabilityCache<availability::SlotsKey, Vec<SlotAvailability>>,
    days: cache::AvailabilityCache<availability::DaysKey, Vec<DayAvailability>>,
    /// Per-day counts under `days`, so the answer after a write costs the dates it
    /// touched.
    by_day: day_cache::DayCache,
    /// Offices' versions, read once for every reader that arrived before the read.
    versions: flight::SingleFlight<crate::domain::OfficeId, Option<i64>, Arc<StoreError>>,
}

impl Booking {
    pub fn new(store: Store, clock: Arc<dyn Clock>, catalog: Catalog) -> Self {
        Booking {
            book_queue: Arc::default(),
            store,
            clock,
            catalog: Arc::new(RwLock::new(Arc::new(catalog))),
            catalog_version: Arc::new(AtomicI64::new(0)),
            caches: Arc::default(),
            closures: Arc::default(),
            pepper: secrets::Pepper::random(),
            channels: NoticeChannels::default(),
        }
    }

    /// The same service with the digest key shared by every instance on this database
    /// ([`Booking::load_pepper`]); a new service has a random one of its own.
    pub fn with_pepper(mut self, pepper: secrets::Pepper) -> Self {
        self.pepper = pepper;
        self
    }

    /// The database's digest key, made and stored now if it has none yet.
    pub async fn load_pepper(store: &Store) -> Result<secrets::Pepper, StoreError> {
        let mut conn = store.read().await?;
        let stored = conn
            .server_pepper(&secrets::Pepper::random().to_hex())
            .await?;
        secrets::Pepper::from_hex(&stored)
            .ok_or_else(|| StoreError::Corrupt("the stored digest key is not 64 hex digits".into()))
    }

    /// Keys digests of clients and documents (for logs and stored owners).
    pub fn pepper(&self) -> &secrets::Pepper {
        &self.pepper
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// How many bookings shared each transaction so far (see [`BatchStats`]).
    pub fn batch_stats(&self) -> Arc<BatchStats> {
        Arc::clone(self.book_queue.stats())
    }

    /// The offices as currently configured.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// The stored configuration version the current catalog was built from (0: unknown).
    pub fn catalog_version(&self) -> i64 {
        self.catalog_version.load(Ordering::Acquire)
    }

    /// Swaps in the catalog of stored configuration `version`, unless the one in place
    /// is that version or newer (so a slow reload never undoes a newer change). Returns
    /// whether it was swapped in.
    pub fn install_catalog(&self, catalog: Catalog, version: i64) -> bool {
        let mut guard = self
            .catalog
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if version <= self.catalog_version.load(Ordering::Acquire) {
            return false;
        }
        *guard = Arc::new(catalog);
        self.catalog_version.store(version, Ordering::Release);
        true
    }

    /// Takes the office's lock for this write. When the stored configuration is newer than
    /// the one this instance planned with (changed elsewhere a moment ago), loads it and
    /// has the write retried with it, so no write lands under offices that no longer are.
    async fn lock_office(
        &self,
        conn: &mut dyn Records,
        office: &OfficeId,
    ) -> Result<OfficeLock, BookingError> {
        let asked = std::time::Instant::now();
        let lock = conn.lock_office(office).await?;
        // Behind other writes of this office (another instance's too, on PostgreSQL).
        store::record_wait(asked.elapsed());
        self.check_config(lock).await
    }

    /// `lock` when this instance plans with the stored configuration it names; otherwise
    /// the newer one is loaded and the write has to be retried with it.
    async fn check_config(&self, lock: OfficeLock) -> Result<OfficeLock, BookingError> {
        let ours = self.catalog_version();
        match lock.config_version {
            // A catalog built in code (version 0) is not tied to a stored configuration.
            Some(stored) if ours > 0 && stored > ours => {
                self.reload_config_if_changed().await.map_err(|e| {
                    BookingError::Store(StoreError::Corrupt(format!(
                        "reloading the configuration: {e}"
                    )))
                })?;
                Err(BookingError::Store(StoreError::Retryable(
                    "the configuration changed; retrying with it".into(),
                )))
            }
            _ => Ok(lock),
        }
    }

    /// `office` with its stored closures folded in, under the office's `lock`: read from
    /// the database only when the lock's closure mark differs from the one last seen.
    async fn closed_office(
        &self,
        conn: &mut dyn Records,
        office: &Office,
        lock: &OfficeLock,
    ) -> Result<Office, StoreError> {
        let mark = (lock.closures_count, lock.closures_newest);
        let seen = self
            .closures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&office.id)
            .filter(|seen| seen.mark == mark)
            .map(|seen| Arc::clone(&seen.records));
        let records = match seen {
            Some(records) => records,
            None => {
                let records = Arc::new(conn.office_closures(&office.id).await?);
                self.closures
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(
                        office.id.clone(),
                        SeenClosures {
                            mark,
                            records: Arc::clone(&records),
                        },
                    );
                records
            }
        };
        let mut office = snapshot::fold_closures(office, &records)?;
        snapshot::fold_pending_draws(conn, &mut office, self.clock.now()).await?;
        Ok(office)
    }

    /// Runs `attempt` until it succeeds, fails for a reason retrying cannot fix, or has
    /// lost [`MAX_ATTEMPTS`] races; waits a short random time between tries.
    async fn with_retry<T, F, Fut>(&self, mut attempt: F) -> Result<T, BookingError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, BookingError>>,
    {
        for round in 0..MAX_ATTEMPTS {
            match attempt().await {
                Err(error) if error.is_retryable() => {
                    tracing::debug!(round, %error, "transaction lost a race; retrying");
                    let ceiling = 2u64.saturating_pow(round.min(6)) * 2;
                    let wait = rand::rng().random_range(1..=ceiling);
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                other => return other,
            }
        }
        Err(BookingError::Contention)
    }
}
