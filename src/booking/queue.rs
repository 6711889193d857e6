//! The queue that turns concurrent bookings into batches.
//!
//! Every booking of an instance waits in one queue. A worker takes all that wait (up to
//! [`MAX_BATCH`], oldest first), whatever their offices, and books them in one
//! transaction; those that arrive meanwhile wait for the next. So a crowd at one office
//! takes that office's lock once per batch instead of once per booking, and bookings of
//! several offices share the round trips and the flush to disk.
//!
//! One worker per instance, on both backends. SQLite serializes every write anyway. On
//! PostgreSQL, parallel workers were measured against one (`benches/booking_throughput.rs`,
//! 2 cores): they split the crowd into smaller batches and booked fewer per second, at 8
//! clients on one office and on eight alike. Instances still book in parallel, each
//! holding only the offices' and citizens' row locks of its current batch.
//!
//! A booking never waits for company: with the worker idle, a lone booking starts at once.
//! The worker is a task of its own, so a caller that goes away (a client that disconnects)
//! never cuts short a transaction that others are waiting on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::store::{ConnectionSlot, Store, StoreError};

use tracing::Instrument;

use super::request::ValidCitizen;
use super::{Actor, BookOutcome, BookRequest, Booking, BookingError};

pub use crate::limits::MAX_BATCH;

/// One validated booking request waiting for the next booking transaction.
#[derive(Debug)]
pub(crate) struct BookJob {
    pub request: BookRequest,
    pub citizen: ValidCitizen,
    /// The keyed digest of the citizen's document, which a hold taken for a document
    /// must match.
    pub document_key: String,
    /// `(key, fingerprint)` when the request carried an `Idempotency-Key`.
    pub idempotency: Option<(String, String)>,
    pub actor: Actor,
    /// The keyed digest of the citizen's address, for the fairness report (kept in the
    /// `booked` audit row until personal data are purged); `None` for staff and draws.
    pub client_key: Option<String>,
}

/// A booking's answer, and how long it waited for its turn: in the queue until its batch
/// started, plus what the batch's transaction waited for the database; and the batch's
/// number, which the log lines of its transaction carry.
type Answered = (Result<BookOutcome, BookingError>, Duration, u64);

/// Where a queued booking's answer goes, and when it was queued.
type Reply = (oneshot::Sender<Answered>, Instant);

/// Bookings waiting for the worker.
#[derive(Debug, Default)]
pub(crate) struct BookQueue {
    state: Mutex<QueueState>,
    stats: Arc<BatchStats>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: VecDeque<(BookJob, Reply)>,
    /// Whether a worker runs (and will look at the queue again before it stops).
    working: bool,
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

    /// Counts a batch of `size`; its number on this instance (from 1).
    fn record(&self, size: usize) -> u64 {
        self.bookings
            .fetch_add(u64::try_from(size).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl BookQueue {
    pub(crate) fn stats(&self) -> &Arc<BatchStats> {
        &self.stats
    }

    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job` and waits for its own answer.
    pub(crate) async fn submit(
        self: &Arc<Self>,
        booking: &Booking,
        job: BookJob,
    ) -> Result<BookOutcome, BookingError> {
        let (reply, answer) = oneshot::channel();
        let start_worker = {
            let mut state = self.state();
            state.waiting.push_back((job, (reply, Instant::now())));
            !std::mem::replace(&mut state.working, true)
        };
        if start_worker {
            tokio::spawn(work(Arc::clone(self), booking.clone()));
        }
        let Ok((outcome, waited, batch)) = answer.await else {
            return Err(BookingError::Store(StoreError::Corrupt(
                "the booking worker stopped before answering".into(),
            )));
        };
        // The transaction ran in the worker's `book_batch{batch}` span: this line, in the
        // request's span, ties the request to it in the log.
        tracing::info!(batch, booked = outcome.is_ok(), "booking answered");
        // The batch ran in the worker's task: its waits are handed over to this request's
        // account, which load shedding reads.
        crate::store::record_wait(waited);
        outcome
    }

    /// The next batch, oldest first; `None` (and the worker counted out, in the same
    /// critical section) when nobody waits.
    fn next_batch(&self) -> Option<Vec<(BookJob, Reply)>> {
        let mut state = self.state();
        if state.waiting.is_empty() {
            state.working = false;
            return None;
        }
        let take = state.waiting.len().min(MAX_BATCH);
        Some(state.waiting.drain(..take).collect())
    }
}

/// Runs batches until the queue is empty.
async fn work(queue: Arc<BookQueue>, booking: Booking) {
    // Should the worker stop early (a panic), the bookings still waiting are told (their
    // answers drop) and the next booking starts a new worker.
    let mut guard = WorkerGuard {
        queue: &queue,
        armed: true,
    };
    // The worker's connection between its batches (PostgreSQL).
    let held = ConnectionSlot::default();
    while let Some(batch) = queue.next_batch() {
        let (jobs, replies): (Vec<BookJob>, Vec<Reply>) = batch.into_iter().unzip();
        let batch = queue.stats.record(jobs.len());
        let span = tracing::info_span!("book_batch", batch, size = jobs.len());
        let started = Instant::now();
        let (answers, database) =
            crate::store::measure_waits(booking.book_batch(&jobs, &held).instrument(span)).await;
        let waited = |queued: Instant| {
            started.saturating_duration_since(queued) + database.unwrap_or_default()
        };
        // Nothing committed (every booking refused, or the database out of reach): no
        // flush to wait for.
        let committed = answers.iter().any(Result::is_ok);
        if booking.store.commits_durably() || !committed {
            for ((reply, queued), answer) in replies.into_iter().zip(answers) {
                // The caller may have gone away; its booking stands (it can be looked up).
                let _ = reply.send((answer, waited(queued), batch));
            }
            continue;
        }
        // Committed without waiting for the disk (PostgreSQL): the answers wait for the
        // flush, the next batch does not.
        let replies: Vec<_> = replies
            .into_iter()
            .zip(answers)
            .map(|((reply, queued), answer)| (reply, answer, waited(queued)))
            .collect();
        tokio::spawn(acknowledge_when_durable(
            booking.store.clone(),
            replies,
            batch,
        ));
    }
    guard.armed = false;
}

/// Sends the answers of a batch committed asynchronously once the log is flushed past it.
async fn acknowledge_when_durable(
    store: Store,
    replies: Vec<(
        oneshot::Sender<Answered>,
        Result<BookOutcome, BookingError>,
        Duration,
    )>,
    batch: u64,
) {
    let (flushed, flushing) = crate::store::measure_waits(store.flush_commits()).await;
    let flushing = flushing.unwrap_or_default();
    let flushed = flushed.map_err(Arc::new);
    if let Err(error) = &flushed {
        tracing::warn!(%error, "bookings committed but not known to be durable");
    }
    for (reply, answer, waited) in replies {
        let answer = match (&flushed, answer) {
            (Ok(()), answer) => answer,
            // Committed, but not known to be durable: not acknowledged. The booking can be
            // looked up, and a retry with the same Idempotency-Key returns it.
            (Err(error), Ok(_)) => Err(BookingError::Store(StoreError::Shared(Arc::clone(error)))),
            (Err(_), refused) => refused,
        };
        let _ = reply.send((answer, waited + flushing, batch));
    }
}

struct WorkerGuard<'a> {
    queue: &'a BookQueue,
    armed: bool,
}

impl Drop for WorkerGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.queue.state();
            state.working = false;
            state.waiting.clear();
        }
    }
}
