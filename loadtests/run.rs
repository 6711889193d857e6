//! Open-loop schedules and latency recording.
//!
//! A request's latency runs from the instant it was *scheduled* to start to the instant
//! its answer was read, so time spent waiting behind slow earlier requests (for a free
//! connection, in the server's queue) is counted: no coordinated omission. Answers to
//! requests scheduled during the warm-up are left out of the histograms.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::client::Sent;

/// Latencies are recorded in microseconds, from 1 µs to 5 minutes, 3 significant digits.
const MAX_LATENCY_US: u64 = 300_000_000;

pub fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?)
}

/// The measurement window of one phase: requests scheduled in `[start, start + warmup)`
/// are the warm-up; throughput counts answers completed in `[start + warmup, end)`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub measure_from: Instant,
    pub end: Instant,
}

impl Window {
    /// A window starting a moment from now.
    pub fn starting_soon(duration: Duration, warmup: Duration) -> Window {
        let start = Instant::now() + Duration::from_millis(100);
        Window {
            start,
            measure_from: start + warmup.min(duration),
            end: start + duration,
        }
    }

    pub fn measured_seconds(&self) -> f64 {
        self.end.duration_since(self.measure_from).as_secs_f64()
    }
}

/// Latency histograms per (request class, outcome), filled by many tasks at once.
#[derive(Debug)]
pub struct Recorder {
    window: Window,
    template: Histogram<u64>,
    inner: Mutex<Results>,
}

/// What a [`Recorder`] collected.
#[derive(Debug, Clone)]
pub struct Results {
    /// From each request's scheduled start to its answer.
    pub latency: BTreeMap<(String, String), Histogram<u64>>,
    /// From the moment the generator began sending it to its answer (leaves out how late
    /// the generator was; still counts waiting for a free connection).
    pub service: BTreeMap<(String, String), Histogram<u64>>,
    /// Answers completed inside the measured window, by class: (all, 2xx).
    pub completed: BTreeMap<String, (u64, u64)>,
    /// Answers to requests scheduled during the warm-up (not in the histograms).
    pub warmup: u64,
    /// How late the generator started requests relative to their schedule.
    pub lag: Histogram<u64>,
    pub measured_seconds: f64,
}

impl Recorder {
    pub fn new(window: Window) -> anyhow::Result<Recorder> {
        let template = new_histogram()?;
        Ok(Recorder {
            window,
            inner: Mutex::new(Results {
                latency: BTreeMap::new(),
                service: BTreeMap::new(),
                completed: BTreeMap::new(),
                warmup: 0,
                lag: template.clone(),
                measured_seconds: window.measured_seconds(),
            }),
            template,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Results> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records the answer to a request of `class` that was due at `scheduled`.
    pub fn record(&self, class: &str, sent: &Sent, scheduled: Instant) {
        let done = Instant::now();
        let micros = micros_of(done.saturating_duration_since(scheduled));
        let service = micros_of(done.saturating_duration_since(sent.started()));
        let outcome = sent.outcome();
        let mut inner = self.lock();
        if done >= self.window.measure_from && done < self.window.end {
            let entry = inner.completed.entry(class.to_owned()).or_default();
            entry.0 += 1;
            if sent.is_success() {
                entry.1 += 1;
            }
        }
        if scheduled < self.window.measure_from {
            inner.warmup += 1;
            return;
        }
        inner
            .service
            .entry((class.to_owned(), outcome.clone()))
            .or_insert_with(|| self.template.clone())
            .saturating_record(service.max(1));
        inner
            .latency
            .entry((class.to_owned(), outcome))
            .or_insert_with(|| self.template.clone())
            .saturating_record(micros.max(1));
    }

    pub fn record_lag(&self, lag: Duration) {
        self.lock().lag.saturating_record(micros_of(lag).max(1));
    }

    pub fn results(&self) -> Results {
        self.lock().clone()
    }
}

fn micros_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Starts `count` tasks, `rate` per second from `window.start`, each at its scheduled
/// instant whatever the earlier ones are doing, then waits for all of them to finish.
/// Each task gets its index and its scheduled instant.
///
/// The schedule runs on its own thread with OS sleeps (~0.1 ms late at worst here, where
/// tokio's timer rounds up to the next millisecond); tasks run on the runtime. How late
/// each task actually started is recorded as the generator's lag.
pub async fn open_loop<F, Fut>(
    window: Window,
    rate: f64,
    count: u64,
    recorder: &Arc<Recorder>,
    mut task: F,
) -> anyhow::Result<()>
where
    F: FnMut(u64, Instant) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    let outstanding = Arc::new(Outstanding::default());
    let schedule = {
        let (recorder, outstanding) = (recorder.clone(), outstanding.clone());
        tokio::task::spawn_blocking(move || {
            for i in 0..count {
                let at = window.start + Duration::from_secs_f64(i as f64 / rate);
                let now = Instant::now();
                if at > now {
                    pause(at - now);
                }
                let future = task(i, at);
                let (recorder, outstanding) = (recorder.clone(), outstanding.clone());
                outstanding.count.fetch_add(1, Ordering::AcqRel);
                runtime.spawn(async move {
                    recorder.record_lag(Instant::now().saturating_duration_since(at));
                    future.await;
                    if outstanding.count.fetch_sub(1, Ordering::AcqRel) == 1 {
                        outstanding.idle.notify_one();
                    }
                });
            }
        })
    };
    schedule.await?;
    loop {
        let idle = outstanding.idle.notified();
        if outstanding.count.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        idle.await;
    }
}

/// Tasks of an open loop still running.
#[derive(Debug, Default)]
struct Outstanding {
    count: AtomicU64,
    idle: Notify,
}

/// Blocks the scheduling thread until the next request is due.
#[allow(clippy::disallowed_methods)] // a dedicated thread: an OS sleep is the precise timer here
fn pause(duration: Duration) {
    std::thread::sleep(duration);
}

/// Runs `workers` clients back to back (each starts its next request when its previous
/// answer arrives) from `window.start` until `window.end`. Each task gets a number unique
/// across workers and the instant it starts.
pub async fn closed_loop<F, Fut>(window: Window, workers: usize, task: F)
where
    F: Fn(u64, Instant) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let mut set = JoinSet::new();
    for _ in 0..workers.max(1) {
        let (task, next) = (task.clone(), next.clone());
        set.spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(window.start)).await;
            while Instant::now() < window.end {
                let i = next.fetch_add(1, Ordering::Relaxed);
                task(i, Instant::now()).await;
            }
        });
    }
    while set.join_next().await.is_some() {}
}

/// Latency summary of a histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(histogram: &Histogram<u64>) -> Summary {
        if histogram.is_empty() {
            return Summary::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Summary {
            count: histogram.len(),
            p50: ms(histogram.value_at_quantile(0.50)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            max: ms(histogram.max()),
        }
    }
}

impl Results {
    pub fn classes(&self) -> BTreeSet<String> {
        self.latency
            .keys()
            .map(|(class, _)| class.clone())
            .collect()
    }

    /// All latencies whose (class, outcome) passes `keep`, in one histogram.
    pub fn merged(&self, keep: impl Fn(&str, &str) -> bool) -> Histogram<u64> {
        let mut merged = self.lag.clone();
        merged.reset();
        for ((class, outcome), histogram) in &self.latency {
            if keep(class, outcome) {
                // Same bounds everywhere, so adding cannot fail.
                let _ = merged.add(histogram);
            }
        }
        merged
    }

    pub fn summary(&self, keep: impl Fn(&str, &str) -> bool) -> Summary {
        Summary::of(&self.merged(keep))
    }

    /// Like [`Self::summary`], timed from the actual send instead of the schedule.
    pub fn service_summary(&self, keep: impl Fn(&str, &str) -> bool) -> Summary {
        let mut merged = self.lag.clone();
        merged.reset();
        for ((class, outcome), histogram) in &self.service {
            if keep(class, outcome) {
                let _ = merged.add(histogram);
            }
        }
        Summary::of(&merged)
    }

    /// Outcomes of one class and how many of each (warm-up excluded).
    pub fn outcomes(&self, class: &str) -> Vec<(String, u64)> {
        self.latency
            .iter()
            .filter(|((c, _), _)| c == class)
            .map(|((_, outcome), h)| (outcome.clone(), h.len()))
            .collect()
    }

    /// Answers per second completed in the measured window: (all, 2xx).
    pub fn throughput(&self, class: &str) -> (f64, f64) {
        let (all, ok) = self.completed.get(class).copied().unwrap_or_default();
        let seconds = self.measured_seconds.max(1e-9);
        (all as f64 / seconds, ok as f64 / seconds)
    }
}

/// `201 ×120, 409 slot_unavailable ×3`
pub fn outcome_list(outcomes: &[(String, u64)]) -> String {
    let parts: Vec<String> = outcomes
        .iter()
        .map(|(outcome, n)| format!("{outcome} ×{n}"))
        .collect();
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join(", ")
    }
}
