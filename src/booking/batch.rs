//! The queues that turn concurrent bookings into batches.
//!
//! Bookings wait in lanes: one per office on PostgreSQL, where offices book in parallel
//! and each serializes on its own lock; one for all offices on SQLite, which serializes
//! every write anyway, so there a batch shares its flush among every office's bookings.
//! The first booking of an idle lane starts a worker at once (no waiting for company:
//! a lone booking is not delayed); bookings that arrive while the worker's transaction
//! runs wait in the queue, and the worker's next transaction takes them all, up to
//! [`MAX_BATCH`]. The worker is a task of its own, so a caller that goes away (a client
//! that disconnects) never cuts a transaction that others are waiting on short.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::domain::OfficeId;
use crate::store::{Backend, StoreError};

use super::book::BookJob;
use super::{BookOutcome, Booking, BookingError};

/// The most bookings one transaction takes: enough to share a flush among a crowd,
/// few enough that the office lock is never held for long.
pub(crate) const MAX_BATCH: usize = 32;

/// A booking's answer, and how long it waited for its turn: in the queue until its batch
/// started, plus what the batch's transaction waited for the database.
type Answered = (Result<BookOutcome, BookingError>, Duration);

/// Where a queued booking's answer goes, and when it was queued.
type Reply = (oneshot::Sender<Answered>, Instant);

/// Bookings waiting for their lane's next transaction. A lane has an entry exactly while
/// a worker is running for it.
#[derive(Debug, Default)]
pub(crate) struct BookQueue {
    lanes: Mutex<HashMap<Lane, Vec<(BookJob, Reply)>>>,
    stats: Arc<BatchStats>,
}

/// Which bookings may share a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Lane {
    Office(OfficeId),
    AllOffices,
}

/// How well bookings share transactions: bookings per batch is the gain under load
/// (1 when bookings come one at a time). Exported as metrics.
#[derive(Debug, Default)]
pub struct BatchStats {
    batches: AtomicU64,
    bookings: AtomicU64,
}

impl BatchStats {
    /// Batches run so far (each one transaction, or one per booking after a failure).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Bookings those batches carried.
    pub fn bookings(&self) -> u64 {
        self.bookings.load(Ordering::Relaxed)
    }

    fn record(&self, size: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.bookings
            .fetch_add(u64::try_from(size).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

impl BookQueue {
    pub(crate) fn stats(&self) -> &Arc<BatchStats> {
        &self.stats
    }

    fn lanes(&self) -> MutexGuard<'_, HashMap<Lane, Vec<(BookJob, Reply)>>> {
        self.lanes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job` in `lane` and waits for its own answer.
    pub(crate) async fn submit(
        self: &Arc<Self>,
        booking: &Booking,
        lane: Lane,
        job: BookJob,
    ) -> Result<BookOutcome, BookingError> {
        let (reply, answer) = oneshot::channel();
        let start_worker = {
            let mut lanes = self.lanes();
            match lanes.get_mut(&lane) {
                Some(waiting) => {
                    waiting.push((job, (reply, Instant::now())));
                    false
                }
                None => {
                    lanes.insert(lane.clone(), vec![(job, (reply, Instant::now()))]);
                    true
                }
            }
        };
        if start_worker {
            tokio::spawn(drain(Arc::clone(self), booking.clone(), lane));
        }
        let Ok((outcome, waited)) = answer.await else {
            return Err(BookingError::Store(StoreError::Corrupt(
                "the booking worker stopped before answering".into(),
            )));
        };
        // The batch ran in the worker's task: its waits are handed over to this request's
        // account, which load shedding reads.
        crate::store::record_wait(waited);
        outcome
    }

    /// The next batch of `lane`, or `None` (and the entry removed) when nobody waits.
    fn next_batch(&self, lane: &Lane) -> Option<Vec<(BookJob, Reply)>> {
        let mut lanes = self.lanes();
        let waiting = lanes.get_mut(lane)?;
        if waiting.is_empty() {
            lanes.remove(lane);
            return None;
        }
        let take = waiting.len().min(MAX_BATCH);
        Some(waiting.drain(..take).collect())
    }
}

/// Runs `lane`'s batches until its queue is empty.
async fn drain(queue: Arc<BookQueue>, booking: Booking, lane: Lane) {
    // Should the worker ever stop early, its entry goes with it: the bookings still
    // waiting get an error instead of waiting forever, and the next one starts a worker.
    let mut guard = EntryGuard {
        queue: &queue,
        lane: &lane,
        armed: true,
    };
    while let Some(batch) = queue.next_batch(&lane) {
        let (jobs, replies): (Vec<BookJob>, Vec<Reply>) = batch.into_iter().unzip();
        queue.stats.record(jobs.len());
        let started = Instant::now();
        let (answers, database) = crate::store::measure_waits(booking.book_batch(&jobs)).await;
        let waited = |queued: Instant| {
            started.saturating_duration_since(queued) + database.unwrap_or_default()
        };
        if booking.store.backend() == Backend::Sqlite {
            for ((reply, queued), answer) in replies.into_iter().zip(answers) {
                // The caller may have gone away; its booking stands (it can be looked up).
                let _ = reply.send((answer, waited(queued)));
            }
            continue;
        }
        // PostgreSQL committed without waiting for the disk (see `store::lock_for_booking`):
        // the answers wait for the flush, the lane's next batch does not.
        let replies: Vec<_> = replies
            .into_iter()
            .zip(answers)
            .map(|((reply, queued), answer)| (reply, answer, waited(queued)))
            .collect();
        let store = booking.store.clone();
        tokio::spawn(async move {
            let (flushed, flushing) = crate::store::measure_waits(store.flush()).await;
            let flushing = flushing.unwrap_or_default();
            let flushed = flushed.map_err(Arc::new);
            if let Err(error) = &flushed {
                tracing::warn!(%error, "bookings committed but not known to be durable");
            }
            for (reply, answer, waited) in replies {
                let answer = match (&flushed, answer) {
                    (Ok(()), answer) => answer,
                    // Committed, but not known to be durable: not acknowledged. The
                    // booking can be looked up, and a retry with the same
                    // Idempotency-Key returns it.
                    (Err(error), Ok(_)) => {
                        Err(BookingError::Store(StoreError::Shared(Arc::clone(error))))
                    }
                    (Err(_), refused) => refused,
                };
                let _ = reply.send((answer, waited + flushing));
            }
        });
    }
    guard.armed = false;
}

struct EntryGuard<'a> {
    queue: &'a BookQueue,
    lane: &'a Lane,
    armed: bool,
}

impl Drop for EntryGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.queue.lanes().remove(self.lane);
        }
    }
}
