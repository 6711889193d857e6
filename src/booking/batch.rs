//! The per-office queue that turns concurrent bookings into batches.
//!
//! The first booking of an idle office starts a worker at once (no waiting for company:
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
use crate::store::StoreError;

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

/// Bookings waiting for their office's next transaction. An office has an entry exactly
/// while a worker is running for it.
#[derive(Debug, Default)]
pub(crate) struct BookQueue {
    offices: Mutex<HashMap<OfficeId, Vec<(BookJob, Reply)>>>,
    stats: Arc<BatchStats>,
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

    fn offices(&self) -> MutexGuard<'_, HashMap<OfficeId, Vec<(BookJob, Reply)>>> {
        self.offices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job` for its office and waits for its own answer.
    pub(crate) async fn submit(
        self: &Arc<Self>,
        booking: &Booking,
        job: BookJob,
    ) -> Result<BookOutcome, BookingError> {
        let (reply, answer) = oneshot::channel();
        let office = job.request.office_id.clone();
        let start_worker = {
            let mut offices = self.offices();
            match offices.get_mut(&office) {
                Some(waiting) => {
                    waiting.push((job, (reply, Instant::now())));
                    false
                }
                None => {
                    offices.insert(office.clone(), vec![(job, (reply, Instant::now()))]);
                    true
                }
            }
        };
        if start_worker {
            tokio::spawn(drain(Arc::clone(self), booking.clone(), office));
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

    /// The next batch of `office`, or `None` (and the entry removed) when nobody waits.
    fn next_batch(&self, office: &OfficeId) -> Option<Vec<(BookJob, Reply)>> {
        let mut offices = self.offices();
        let waiting = offices.get_mut(office)?;
        if waiting.is_empty() {
            offices.remove(office);
            return None;
        }
        let take = waiting.len().min(MAX_BATCH);
        Some(waiting.drain(..take).collect())
    }
}

/// Runs `office`'s batches until its queue is empty.
async fn drain(queue: Arc<BookQueue>, booking: Booking, office: OfficeId) {
    // Should the worker ever stop early, its entry goes with it: the bookings still
    // waiting get an error instead of waiting forever, and the next one starts a worker.
    let mut guard = EntryGuard {
        queue: &queue,
        office: &office,
        armed: true,
    };
    while let Some(batch) = queue.next_batch(&office) {
        let (jobs, replies): (Vec<BookJob>, Vec<Reply>) = batch.into_iter().unzip();
        queue.stats.record(jobs.len());
        let started = Instant::now();
        let (answers, database) = crate::store::measure_waits(booking.book_batch(&jobs)).await;
        for ((reply, queued), answer) in replies.into_iter().zip(answers) {
            let waited = started.saturating_duration_since(queued) + database.unwrap_or_default();
            // The caller may have gone away; its booking stands (it can be looked up).
            let _ = reply.send((answer, waited));
        }
    }
    guard.armed = false;
}

struct EntryGuard<'a> {
    queue: &'a BookQueue,
    office: &'a OfficeId,
    armed: bool,
}

impl Drop for EntryGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.queue.offices().remove(self.office);
        }
    }
}
