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

use tokio::sync::oneshot;

use crate::domain::OfficeId;
use crate::store::StoreError;

use super::book::BookJob;
use super::{BookOutcome, Booking, BookingError};

/// The most bookings one transaction takes: enough to share a flush among a crowd,
/// few enough that the office lock is never held for long.
pub(crate) const MAX_BATCH: usize = 32;

type Reply = oneshot::Sender<Result<BookOutcome, BookingError>>;

/// Bookings waiting for their office's next transaction, per office. An office has an
/// entry exactly while a worker is running for it.
#[derive(Debug, Default)]
pub(crate) struct BookQueue {
    offices: Mutex<HashMap<OfficeId, OfficeQueue>>,
    /// Transactions one office may have under way at once: more than one lets the next
    /// batch lock its citizens and read their appointments while the one before holds
    /// the office (PostgreSQL); where writes serialize anyway (SQLite) it is 1.
    workers_per_office: usize,
    stats: Arc<BatchStats>,
}

#[derive(Debug, Default)]
struct OfficeQueue {
    waiting: Vec<(BookJob, Reply)>,
    workers: usize,
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
    pub(crate) fn new(workers_per_office: usize) -> Self {
        BookQueue {
            workers_per_office: workers_per_office.max(1),
            ..BookQueue::default()
        }
    }

    pub(crate) fn stats(&self) -> &Arc<BatchStats> {
        &self.stats
    }

    fn offices(&self) -> MutexGuard<'_, HashMap<OfficeId, OfficeQueue>> {
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
            let queue = offices.entry(office.clone()).or_default();
            queue.waiting.push((job, reply));
            let start = queue.workers < self.workers_per_office;
            if start {
                queue.workers += 1;
            }
            start
        };
        if start_worker {
            tokio::spawn(drain(Arc::clone(self), booking.clone(), office));
        }
        answer.await.unwrap_or_else(|_| {
            Err(BookingError::Store(StoreError::Corrupt(
                "the booking worker stopped before answering".into(),
            )))
        })
    }

    /// The next batch of `office`, or `None` when nobody waits (and the worker asking
    /// stops: it is counted out, and the entry goes with the last one).
    fn next_batch(&self, office: &OfficeId) -> Option<Vec<(BookJob, Reply)>> {
        let mut offices = self.offices();
        let queue = offices.get_mut(office)?;
        if queue.waiting.is_empty() {
            queue.workers = queue.workers.saturating_sub(1);
            if queue.workers == 0 {
                offices.remove(office);
            }
            return None;
        }
        let take = queue.waiting.len().min(MAX_BATCH);
        Some(queue.waiting.drain(..take).collect())
    }

    /// A worker stopped without emptying the queue (it panicked): counted out; when it was
    /// the last, the bookings still waiting get an error instead of waiting forever.
    fn worker_lost(&self, office: &OfficeId) {
        let mut offices = self.offices();
        if let Some(queue) = offices.get_mut(office) {
            queue.workers = queue.workers.saturating_sub(1);
            if queue.workers == 0 {
                offices.remove(office);
            }
        }
    }
}

/// Runs `office`'s batches until its queue is empty.
async fn drain(queue: Arc<BookQueue>, booking: Booking, office: OfficeId) {
    // Should the worker ever stop early, it is counted out (see `worker_lost`).
    let mut guard = EntryGuard {
        queue: &queue,
        office: &office,
        armed: true,
    };
    while let Some(batch) = queue.next_batch(&office) {
        let (jobs, replies): (Vec<BookJob>, Vec<Reply>) = batch.into_iter().unzip();
        queue.stats.record(jobs.len());
        let answers = booking.book_batch(&jobs).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            // The caller may have gone away; its booking stands (it can be looked up).
            let _ = reply.send(answer);
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
            self.queue.worker_lost(self.office);
        }
    }
}
