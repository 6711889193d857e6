//! How many writes to admit at once: as many as the database serves without making them
//! queue longer than a target.
//!
//! Writes all wait for the same database (its pool, SQLite's single writer, an office's
//! row lock in PostgreSQL), and admitting more than it serves only lengthens that queue:
//! on release morning, ten times the capacity admitted would make every booking wait
//! seconds. Each write reports how long it waited for its turn there in all (SQLite's
//! write queue, a pool connection, an office's row lock: [`WriteBound::observe_wait`]). As in CoDel, a queue is only a problem when it stands:
//! when even the shortest wait seen over an interval (twice the target) exceeded the
//! target, the bound shrinks by a fifth; one slow commit that delays the next write once
//! does not count. Each wait under the target grows the bound by one per bound's worth of
//! writes. It never leaves `[floor, ceiling]`: the ceiling is `max_writes_in_flight`, the
//! floor two writes (one running, one waiting). A write past the bound is refused at once
//! (503 `overloaded`), so refusals stay fast while admitted writes wait about the target
//! at most.
//!
//! Pure: time is passed in, so the tests drive it without a clock.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Smallest bound: one write running and one waiting.
pub const MIN_WRITES_IN_FLIGHT: usize = 2;
/// What the bound keeps after an interval whose every write waited too long.
const DECREASE: f64 = 0.8;

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    /// Start of the current interval and the shortest wait seen in it so far.
    interval: Option<(Instant, Duration)>,
}

/// The adaptive bound on writes in flight.
#[derive(Debug)]
pub struct WriteBound {
    ceiling: usize,
    floor: usize,
    target: Duration,
    state: Mutex<State>,
}

impl WriteBound {
    /// Starts at `ceiling` (at least 1): nothing is refused before the database is seen
    /// to queue.
    pub fn new(ceiling: usize, target: Duration) -> Self {
        let ceiling = ceiling.max(1);
        WriteBound {
            ceiling,
            floor: MIN_WRITES_IN_FLIGHT.min(ceiling),
            target,
            state: Mutex::new(State {
                limit: ceiling as f64,
                in_flight: 0,
                interval: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes a place for one write if the bound allows; pair with [`Self::release`].
    pub fn try_acquire(&self) -> bool {
        let mut state = self.state();
        if state.in_flight < bound_of(state.limit, self.floor) {
            state.in_flight += 1;
            true
        } else {
            false
        }
    }

    /// Gives back the place of a write that finished (or was abandoned).
    pub fn release(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
    }

    /// A write waited `waited` for its turn at the database, as seen at `now`.
    pub fn observe_wait(&self, waited: Duration, now: Instant) {
        let mut state = self.state();
        if waited <= self.target {
            state.limit = (state.limit + 1.0 / state.limit).min(self.ceiling as f64);
        }
        let (start, shortest) = match state.interval {
            Some((start, shortest)) => (start, shortest.min(waited)),
            None => (now, waited),
        };
        if now.saturating_duration_since(start) < self.interval() {
            state.interval = Some((start, shortest));
            return;
        }
        // The interval is over: a queue stood through it if no write got through quickly.
        if shortest > self.target {
            state.limit = (state.limit * DECREASE).max(self.floor as f64);
        }
        state.interval = None;
    }

    /// How long a queue must stand before the bound shrinks.
    fn interval(&self) -> Duration {
        self.target.saturating_mul(2)
    }

    /// Writes admitted at once right now.
    pub fn limit(&self) -> usize {
        bound_of(self.state().limit, self.floor)
    }

    /// Writes in flight right now.
    pub fn in_flight(&self) -> usize {
        self.state().in_flight
    }

    /// The most writes ever admitted at once (`max_writes_in_flight`).
    pub fn ceiling(&self) -> usize {
        self.ceiling
    }
}

fn bound_of(limit: f64, floor: usize) -> usize {
    (limit.floor() as usize).max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: Duration = Duration::from_millis(50);

    fn fill(bound: &WriteBound) -> usize {
        let mut admitted = 0;
        while bound.try_acquire() {
            admitted += 1;
        }
        admitted
    }

    #[test]
    fn admits_up_to_the_ceiling_until_the_database_queues() {
        let bound = WriteBound::new(32, TARGET);
        assert_eq!(fill(&bound), 32);
        assert!(!bound.try_acquire(), "the 33rd is refused");
        bound.release();
        assert!(bound.try_acquire(), "a finished write frees a place");
        assert_eq!(bound.in_flight(), 32);
    }

    /// Waits of `waited`, one per millisecond from `from` for `ms` milliseconds; returns
    /// the instant after the last.
    fn waits(bound: &WriteBound, waited: Duration, from: Instant, ms: u64) -> Instant {
        for i in 0..ms {
            bound.observe_wait(waited, from + Duration::from_millis(i));
        }
        from + Duration::from_millis(ms)
    }

    #[test]
    fn a_standing_queue_shrinks_the_bound_and_short_waits_grow_it_back() {
        let bound = WriteBound::new(32, TARGET);
        let long = Duration::from_millis(120);
        let start = Instant::now();
        // A backlog: every write waits 120 ms. Nothing changes within the first interval
        // (twice the target), then one decrease per interval.
        let at = waits(&bound, long, start, 100);
        assert_eq!(bound.limit(), 32);
        let at = waits(&bound, long, at, 1);
        assert_eq!(bound.limit(), 25, "32 × 0.8, once for the interval");
        let at = waits(&bound, long, at, 99);
        assert_eq!(bound.limit(), 25);
        let at = waits(&bound, long, at, 2_000);
        assert_eq!(bound.limit(), MIN_WRITES_IN_FLIGHT, "never below the floor");
        // Writes in flight past the new bound finish; new ones are refused meanwhile.
        assert_eq!(fill(&bound), MIN_WRITES_IN_FLIGHT);
        assert!(!bound.try_acquire());
        // The queue is gone: the bound grows by about one per bound's worth of writes.
        let short = Duration::from_millis(3);
        let at = waits(&bound, short, at, 3);
        assert_eq!(bound.limit(), 3, "2 + 1/2 + 1/2.5 + 1/2.9");
        waits(&bound, short, at, 10_000);
        assert_eq!(bound.limit(), 32, "never above the ceiling");
    }

    #[test]
    fn one_slow_write_in_an_interval_is_not_a_standing_queue() {
        let bound = WriteBound::new(32, TARGET);
        let start = Instant::now();
        // A slow commit made a few writes wait 300 ms, but others got through at once.
        for i in 0..1_000u64 {
            let waited = if i % 50 < 3 { 300 } else { 2 };
            bound.observe_wait(
                Duration::from_millis(waited),
                start + Duration::from_millis(i),
            );
        }
        assert_eq!(bound.limit(), 32);
    }

    #[test]
    fn a_wait_of_exactly_the_target_is_within_it() {
        let bound = WriteBound::new(8, TARGET);
        bound.observe_wait(TARGET, Instant::now());
        assert_eq!(bound.limit(), 8);
    }

    #[test]
    fn a_tiny_ceiling_is_its_own_floor() {
        let bound = WriteBound::new(1, TARGET);
        bound.observe_wait(Duration::from_secs(1), Instant::now());
        assert_eq!(bound.limit(), 1);
        assert_eq!(fill(&bound), 1);
        let zero = WriteBound::new(0, TARGET);
        assert_eq!(zero.ceiling(), 1);
    }
}
