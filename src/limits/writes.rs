//! How many writes to admit at once: as many as the database serves without making them
//! queue longer than a target, and never fewer while it keeps up.
//!
//! Writes all wait for the same database (its pool, SQLite's single writer, an office's
//! row lock in PostgreSQL), and admitting more than it serves only lengthens that queue:
//! on release morning, ten times the capacity admitted would make every booking wait
//! seconds. Each write reports how long it waited for its turn there in all (SQLite's
//! write queue, a pool connection, an office's row lock: [`WriteBound::observe_wait`]).
//!
//! The bound shrinks (by a fifth) only for a queue the database does not work off:
//! - as in CoDel, a queue only counts when it *stands*: even the shortest wait seen over
//!   an interval exceeded the target. One slow commit that delays the next writes once
//!   does not count. The interval is [`MIN_INTERVAL`] (CoDel's 100 ms), or twice the
//!   target if that is longer: bookings share transactions that take tens of
//!   milliseconds, so a shorter interval could hold the answers of a single batch;
//! - and it must have stood through two intervals in a row without draining: the
//!   shortest wait of the second is not below that of the first. Below capacity, a queue
//!   left by a hiccup (a slow disk flush, a checkpoint, another process taking the CPU)
//!   shrinks interval after interval as the database catches up, and shedding then would
//!   refuse citizens the database was about to serve (the surge load test's 0.8× run
//!   must refuse none). At or past capacity, the queue holds or grows: the bound shrinks
//!   every other interval or faster, until admitted writes wait about the target.
//!
//! Each wait under the target grows the bound by one per bound's worth of writes. It
//! never leaves `[floor, ceiling]`: the floor is two writes (one running, one waiting).
//! A write past the bound is refused at once (503 `overloaded`), so refusals stay fast
//! while admitted writes wait about the target at most.
//!
//! The ceiling is `max_writes_in_flight` when it is set. When it is derived from the
//! pool, it also rises with what the database is seen to serve: to as many writes as it
//! served in two intervals at its recent best rate (up to `max_in_flight`). The rule
//! above needs two intervals to tell a standing queue from a hiccup, and during a hiccup
//! (a flush of a few tens of milliseconds) a database serving 1 300 writes a second
//! gathers more than a fixed ceiling of 96 writes it will serve within the interval: the
//! surge load test's 0.8× run refused 115 bookings that way.
//!
//! Pure: time is passed in, so the tests drive it without a clock.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Smallest bound: one write running and one waiting.
pub const MIN_WRITES_IN_FLIGHT: usize = 2;
/// What the bound keeps after a queue stood through two intervals without draining.
const DECREASE: f64 = 0.8;
/// Shortest interval over which a queue must stand (CoDel's default interval).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// What the recent best rate keeps of itself per interval: a hiccup that served little
/// in one interval does not bring the ceiling down while its queue is worked off.
const RATE_MEMORY: f64 = 0.9;

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    /// Start of the current interval and the shortest wait seen in it so far.
    interval: Option<(Instant, Duration)>,
    /// The shortest wait of the previous interval if a queue stood through it.
    stood: Option<Duration>,
    /// Writes served in the current interval.
    served: u32,
    /// The database's recent best rate, in writes per second.
    best_rate: f64,
    /// The ceiling now: `ceiling`, or more as the database is seen to serve more.
    ceiling_now: f64,
}

/// The adaptive bound on writes in flight.
#[derive(Debug)]
pub struct WriteBound {
    ceiling: usize,
    /// How far the ceiling may rise with the rate served (`ceiling` when it may not).
    cap: usize,
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
            cap: ceiling,
            floor: MIN_WRITES_IN_FLIGHT.min(ceiling),
            target,
            state: Mutex::new(State {
                limit: ceiling as f64,
                in_flight: 0,
                interval: None,
                stood: None,
                served: 0,
                best_rate: 0.0,
                ceiling_now: ceiling as f64,
            }),
        }
    }

    /// Lets the ceiling rise up to `cap` with the rate the database serves (see the
    /// module's documentation); for a ceiling derived from the pool, not one set.
    pub fn rising_to(mut self, cap: usize) -> Self {
        self.cap = cap.max(self.ceiling);
        self
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
            state.limit = (state.limit + 1.0 / state.limit).min(state.ceiling_now);
        }
        state.served = state.served.saturating_add(1);
        let (start, shortest) = match state.interval {
            Some((start, shortest)) => (start, shortest.min(waited)),
            None => (now, waited),
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < self.interval() {
            state.interval = Some((start, shortest));
            return;
        }
        // The interval is over. A queue stood through it if no write got through quickly;
        // it is worked off if it is shorter than in the interval before.
        state.interval = None;
        self.follow_rate(&mut state, elapsed);
        if shortest <= self.target {
            state.stood = None;
            return;
        }
        if state.stood.is_some_and(|before| shortest >= before) {
            state.limit = (state.limit * DECREASE).max(self.floor as f64);
        }
        state.stood = Some(shortest);
    }

    /// Moves the ceiling with the recent best rate, at the end of an interval that
    /// lasted `elapsed`; a bound not brought down by a queue moves with it.
    fn follow_rate(&self, state: &mut State, elapsed: Duration) {
        let rate = f64::from(std::mem::take(&mut state.served)) / elapsed.as_secs_f64();
        state.best_rate = rate.max(state.best_rate * RATE_MEMORY);
        if self.cap == self.ceiling {
            return;
        }
        let two_intervals = state.best_rate * 2.0 * self.interval().as_secs_f64();
        let ceiling = two_intervals.clamp(self.ceiling as f64, self.cap as f64);
        if state.limit >= state.ceiling_now || state.limit > ceiling {
            state.limit = ceiling;
        }
        state.ceiling_now = ceiling;
    }

    /// How long a queue must stand before it counts.
    fn interval(&self) -> Duration {
        self.target.saturating_mul(2).max(MIN_INTERVAL)
    }

    /// Writes admitted at once right now.
    pub fn limit(&self) -> usize {
        bound_of(self.state().limit, self.floor)
    }

    /// Writes in flight right now.
    pub fn in_flight(&self) -> usize {
        self.state().in_flight
    }

    /// The configured ceiling (`max_writes_in_flight`, set or derived from the pool).
    pub fn ceiling(&self) -> usize {
        self.ceiling
    }

    /// The ceiling now, risen with the rate served if it may.
    pub fn ceiling_now(&self) -> usize {
        self.state().ceiling_now as usize
    }
}

fn bound_of(limit: f64, floor: usize) -> usize {
    (limit.floor() as usize).max(floor)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

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
    fn a_queue_that_stands_and_does_not_drain_shrinks_the_bound_and_short_waits_grow_it_back() {
        let bound = WriteBound::new(32, TARGET);
        let long = Duration::from_millis(120);
        let start = Instant::now();
        // A backlog: every write waits 120 ms. The first interval (100 ms) only shows that
        // a queue stands; the second that it does not drain: one decrease.
        let at = waits(&bound, long, start, 101);
        assert_eq!(bound.limit(), 32);
        let at = waits(&bound, long, at, 100);
        assert_eq!(bound.limit(), 32);
        let at = waits(&bound, long, at, 1);
        assert_eq!(bound.limit(), 25, "32 × 0.8, once for the second interval");
        let at = waits(&bound, long, at, 100);
        assert_eq!(bound.limit(), 25);
        let at = waits(&bound, long, at, 5_000);
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
    fn a_queue_being_worked_off_is_left_alone() {
        let bound = WriteBound::new(32, TARGET);
        let mut at = Instant::now();
        // A hiccup left a queue: waits start at 300 ms and fall by 40 ms an interval, all
        // over the target until the last.
        for waited in (60..=300).rev().step_by(40) {
            at = waits(&bound, Duration::from_millis(waited), at, 101);
        }
        assert_eq!(bound.limit(), 32);
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

    /// A database serving one write at a time, each in `service`, offered a write every
    /// `every` for `total`, and stopped for `stall` at one second (a slow flush, another
    /// process on the CPU). Returns the writes refused and the longest wait of an
    /// admitted write in the last second.
    fn simulate(
        bound: &WriteBound,
        service: Duration,
        every: Duration,
        total: Duration,
        stall: Duration,
    ) -> (u64, Duration) {
        let zero = Instant::now();
        let stalled = (
            zero + Duration::from_secs(1),
            zero + Duration::from_secs(1) + stall,
        );
        let may_start = |at: Instant| {
            if at >= stalled.0 && at < stalled.1 {
                stalled.1
            } else {
                at
            }
        };
        // Arrival instants of the admitted writes waiting, and the one being served.
        let mut queue: VecDeque<Instant> = VecDeque::new();
        let mut serving: Option<(Instant, Instant)> = None;
        let (mut refused, mut longest) = (0, Duration::ZERO);
        let last_second = zero + total - Duration::from_secs(1);
        let mut arrival = zero;
        while arrival < zero + total {
            // Everything that finishes before this arrival.
            while let Some((arrived, started)) = serving {
                let done = started + service;
                if done > arrival {
                    break;
                }
                let waited = started - arrived;
                bound.observe_wait(waited, done);
                bound.release();
                if arrived >= last_second {
                    longest = longest.max(waited);
                }
                serving = queue.pop_front().map(|next| (next, may_start(done)));
            }
            if bound.try_acquire() {
                if serving.is_none() {
                    serving = Some((arrival, may_start(arrival)));
                } else {
                    queue.push_back(arrival);
                }
            } else {
                refused += 1;
            }
            arrival += every;
        }
        (refused, longest)
    }

    #[test]
    fn below_capacity_nothing_is_refused_even_after_a_hiccup() {
        // 1 000 writes a second served, 800 offered (0.8×), the database stopped for
        // 80 ms: 64 writes pile up and take 320 ms to work off, waiting up to 80 ms.
        let bound = WriteBound::new(96, Duration::from_millis(20));
        let (refused, _) = simulate(
            &bound,
            Duration::from_millis(1),
            Duration::from_micros(1_250),
            Duration::from_secs(4),
            Duration::from_millis(80),
        );
        assert_eq!(refused, 0);
        assert_eq!(bound.limit(), 96);
    }

    #[test]
    fn a_ceiling_rising_with_the_rate_served_refuses_nothing_through_a_longer_hiccup() {
        // The same 0.8×, the database stopped for 150 ms: 120 writes pile up, more than a
        // fixed ceiling of 96.
        let run = |bound: &WriteBound| {
            simulate(
                bound,
                Duration::from_millis(1),
                Duration::from_micros(1_250),
                Duration::from_secs(4),
                Duration::from_millis(150),
            )
            .0
        };
        let fixed = WriteBound::new(96, Duration::from_millis(20));
        assert!(run(&fixed) > 0, "a fixed ceiling refuses some");
        let rising = WriteBound::new(96, Duration::from_millis(20)).rising_to(1024);
        assert_eq!(run(&rising), 0);
        // Two intervals of 1 000 writes a second (the rate once the queue is worked off),
        // the best seen, remembered at 0.9 an interval since.
        assert!(
            (150..=200).contains(&rising.ceiling_now()),
            "ceiling {}",
            rising.ceiling_now()
        );
        assert_eq!(rising.ceiling(), 96);
    }

    #[test]
    fn at_ten_times_capacity_admitted_writes_wait_about_the_target() {
        let target = Duration::from_millis(20);
        let fixed = WriteBound::new(96, target);
        let rising = WriteBound::new(96, target).rising_to(1024);
        for bound in [&fixed, &rising] {
            let (refused, longest) = simulate(
                bound,
                Duration::from_millis(1),
                Duration::from_micros(100),
                Duration::from_secs(6),
                Duration::ZERO,
            );
            // 10 000 offered a second, about 1 000 served.
            assert!(refused > 50_000, "{refused} refused");
            assert!(
                longest <= target * 2,
                "admitted writes waited up to {longest:?}"
            );
            assert!(bound.limit() < 48, "bound {}", bound.limit());
        }
        // The rising ceiling went to about two intervals of what the database serves.
        assert!(
            (180..=220).contains(&rising.ceiling_now()),
            "ceiling {}",
            rising.ceiling_now()
        );
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
