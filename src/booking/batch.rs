//! The queue that turns concurrent bookings into batches.
//!
//! Bookings wait in one queue per instance. A worker takes every waiting booking whose
//! office no other worker holds (up to [`MAX_BATCH`]) and books them in one transaction;
//! bookings that arrive meanwhile wait for the next one. So the bookings of a busy office
//! share a transaction (its lock is taken once, the disk flushed once), bookings of
//! several offices share one too, and no two workers of an instance ever queue on the same
//! office's lock. SQLite serializes every write anyway and runs one worker; PostgreSQL
//! runs a few, so offices also book in parallel.
//!
//! A booking never waits for company: with a worker free, a lone booking starts at once.
//! Workers are tasks of their own, so a caller that goes away (a client that disconnects)
//! never cuts short a transaction that others are waiting on.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::domain::OfficeId;
use crate::store::{Backend, StoreError};

use super::book::BookJob;
use super::{BookOutcome, Booking, BookingError};

/// The most bookings one transaction takes: enough to share a flush among a crowd,
/// few enough that the offices' locks are never held for long.
pub(crate) const MAX_BATCH: usize = 32;

/// Workers per instance on PostgreSQL: enough to keep both the database and this process
/// busy while one batch waits on a round trip, few enough that batches still form. (Its
/// connections come from the pool like any other request's.)
const POSTGRES_WORKERS: usize = 4;

/// A booking's answer, and how long it waited for its turn: in the queue until its batch
/// started, plus what the batch's transaction waited for the database.
type Answered = (Result<BookOutcome, BookingError>, Duration);

/// Where a queued booking's answer goes, and when it was queued.
type Reply = (oneshot::Sender<Answered>, Instant);

/// Bookings waiting for a worker, and the workers' state.
#[derive(Debug)]
pub(crate) struct BookQueue {
    state: Mutex<QueueState>,
    /// Most batches running at once.
    workers: usize,
    stats: Arc<BatchStats>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: VecDeque<(BookJob, Reply)>,
    /// Offices whose bookings a running batch holds.
    busy: HashSet<OfficeId>,
    /// Workers running, including those not yet started.
    running: usize,
    /// Workers spawned that have not taken their first batch yet: they will take what
    /// waits, so nobody needs to start another for it.
    starting: usize,
}

impl QueueState {
    /// Whether some waiting booking's office is free.
    fn has_ready(&self) -> bool {
        self.waiting
            .iter()
            .any(|(job, _)| !self.busy.contains(&job.request.office_id))
    }

    /// The waiting bookings whose offices are free, oldest first, up to [`MAX_BATCH`];
    /// their offices become busy.
    fn take_batch(&mut self) -> Vec<(BookJob, Reply)> {
        let mut batch = Vec::new();
        let mut offices: HashSet<OfficeId> = HashSet::new();
        let mut left = VecDeque::with_capacity(self.waiting.len());
        for (job, reply) in self.waiting.drain(..) {
            let office = &job.request.office_id;
            if batch.len() < MAX_BATCH && !self.busy.contains(office) {
                offices.insert(office.clone());
                batch.push((job, reply));
            } else {
                left.push_back((job, reply));
            }
        }
        self.waiting = left;
        self.busy.extend(offices);
        batch
    }
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
    /// A queue for `backend`: one worker on SQLite, which serializes every write anyway;
    /// a few on PostgreSQL.
    pub(crate) fn new(backend: Backend) -> Self {
        BookQueue {
            state: Mutex::default(),
            workers: match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => std::env::var("CITA_EXP_WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(POSTGRES_WORKERS),
            },
            stats: Arc::default(),
        }
    }

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
        {
            let mut state = self.state();
            state.waiting.push_back((job, (reply, Instant::now())));
            self.start_worker_if_needed(&mut state, booking);
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

    /// Starts a worker when bookings whose offices are free wait, no worker is about to
    /// take them, and the limit allows one more.
    fn start_worker_if_needed(self: &Arc<Self>, state: &mut QueueState, booking: &Booking) {
        if state.starting == 0 && state.running < self.workers && state.has_ready() {
            state.running += 1;
            state.starting += 1;
            tokio::spawn(work(Arc::clone(self), booking.clone()));
        }
    }

    /// The worker's next batch, or `None` (and the worker counted out) when none is ready.
    fn next_batch(
        self: &Arc<Self>,
        booking: &Booking,
        finished: &[OfficeId],
        first: bool,
    ) -> Option<Vec<(BookJob, Reply)>> {
        let mut state = self.state();
        for office in finished {
            state.busy.remove(office);
        }
        if first {
            state.starting -= 1;
        }
        let batch = state.take_batch();
        if batch.is_empty() {
            state.running -= 1;
            return None;
        }
        // What this batch left behind (other offices past the batch's size) may go to
        // another worker at once.
        self.start_worker_if_needed(&mut state, booking);
        Some(batch)
    }
}

/// Runs batches until none is ready.
async fn work(queue: Arc<BookQueue>, booking: Booking) {
    // Should the worker stop early (a panic), its offices and its place are given back, so
    // the bookings still waiting are taken by another worker instead of waiting forever.
    let mut guard = WorkerGuard {
        queue: &queue,
        booking: &booking,
        holding: Vec::new(),
        armed: true,
    };
    let mut first = true;
    loop {
        let finished = std::mem::take(&mut guard.holding);
        let Some(batch) = queue.next_batch(&booking, &finished, first) else {
            break;
        };
        first = false;
        let (jobs, replies): (Vec<BookJob>, Vec<Reply>) = batch.into_iter().unzip();
        let offices: HashSet<&OfficeId> = jobs.iter().map(|j| &j.request.office_id).collect();
        guard.holding = offices.into_iter().cloned().collect();
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
        // the answers wait for the flush, the offices' next batch does not.
        let replies: Vec<_> = replies
            .into_iter()
            .zip(answers)
            .map(|((reply, queued), answer)| (reply, answer, waited(queued)))
            .collect();
        tokio::spawn(acknowledge_when_durable(booking.store.clone(), replies));
    }
    guard.armed = false;
}

/// Sends the answers of a batch committed asynchronously once the log is flushed past it.
async fn acknowledge_when_durable(
    store: crate::store::Store,
    replies: Vec<(oneshot::Sender<Answered>, Result<BookOutcome, BookingError>, Duration)>,
) {
    let (flushed, flushing) = crate::store::measure_waits(store.flush()).await;
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
        let _ = reply.send((answer, waited + flushing));
    }
}

struct WorkerGuard<'a> {
    queue: &'a Arc<BookQueue>,
    booking: &'a Booking,
    holding: Vec<OfficeId>,
    armed: bool,
}

impl Drop for WorkerGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.queue.state();
            for office in &self.holding {
                state.busy.remove(office);
            }
            state.running -= 1;
            self.queue.start_worker_if_needed(&mut state, self.booking);
        }
    }
}
