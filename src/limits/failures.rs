//! Budgets of failures: how many wrong guesses a key (a client, a locator) may make.
//!
//! A rate limiter charges every request; a look-up must instead be charged only when it
//! fails, yet be refused *before* it runs once the failures are spent (or a guesser would
//! still learn from the answer). Governor has no way to look at a budget without spending
//! it, so this is a small leaky bucket per key: each failure adds one, the level drains at
//! `per_minute`, and a key whose level is at `burst` is refused until it drains below.
//! Keys are 64-bit hashes; [`FailureBudget::prune`] forgets drained ones and caps the
//! rest, so memory stays bounded whatever the number of keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, Reference};

use super::{Limited, Rate};

#[derive(Debug, Clone, Copy)]
struct Bucket<I> {
    /// Failures not yet drained, as of `at`.
    level: f64,
    at: I,
}

/// Failures per key, each key draining at the same rate.
pub(crate) struct FailureBudget<C: Clock> {
    rate: Rate,
    clock: C,
    buckets: Mutex<HashMap<u64, Bucket<C::Instant>>>,
}

impl<C: Clock> FailureBudget<C> {
    pub(crate) fn new(rate: Rate, clock: C) -> Self {
        FailureBudget {
            rate,
            clock,
            buckets: Mutex::default(),
        }
    }

    fn drain_per_second(&self) -> f64 {
        f64::from(self.rate.per_minute.max(1)) / 60.0
    }

    fn level(&self, bucket: &Bucket<C::Instant>, now: C::Instant) -> f64 {
        let elapsed: Duration = now.duration_since(bucket.at).into();
        (bucket.level - elapsed.as_secs_f64() * self.drain_per_second()).max(0.0)
    }

    fn buckets(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Bucket<C::Instant>>> {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `key` may try once more; spends nothing.
    pub(crate) fn check(&self, key: u64) -> Result<(), Limited> {
        let now = self.clock.now();
        let Some(bucket) = self.buckets().get(&key).copied() else {
            return Ok(());
        };
        let level = self.level(&bucket, now);
        let room = f64::from(self.rate.burst.max(1)) - 1.0;
        if level <= room {
            return Ok(());
        }
        let wait = (level - room) / self.drain_per_second();
        Err(Limited {
            limit: self.rate,
            retry_after_seconds: (wait.ceil() as u64).max(1),
        })
    }

    /// Records one failure of `key`.
    pub(crate) fn fail(&self, key: u64) {
        let now = self.clock.now();
        let mut buckets = self.buckets();
        let level = buckets
            .get(&key)
            .map_or(0.0, |bucket| self.level(bucket, now));
        buckets.insert(
            key,
            Bucket {
                level: level + 1.0,
                at: now,
            },
        );
    }

    /// Forgets drained keys; past `max_keys` live ones, forgets them all (each starts
    /// again with a full budget) rather than grow without bound.
    pub(crate) fn prune(&self, max_keys: usize) {
        let now = self.clock.now();
        let mut buckets = self.buckets();
        buckets.retain(|_, bucket| self.level(bucket, now) > 0.0);
        if buckets.len() > max_keys {
            buckets.clear();
        }
        buckets.shrink_to_fit();
    }

    pub(crate) fn len(&self) -> usize {
        self.buckets().len()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn budget(clock: &FakeRelativeClock) -> FailureBudget<FakeRelativeClock> {
        FailureBudget::new(
            Rate {
                per_minute: 6,
                burst: 3,
            },
            clock.clone(),
        )
    }

    #[test]
    fn only_failures_count_and_the_budget_drains() {
        let clock = FakeRelativeClock::default();
        let failures = budget(&clock);
        // Checking spends nothing.
        for _ in 0..100 {
            assert!(failures.check(1).is_ok());
        }
        for _ in 0..3 {
            assert!(failures.check(1).is_ok());
            failures.fail(1);
        }
        let refused = failures.check(1).unwrap_err();
        // One failure drains every 10 s.
        assert_eq!(refused.retry_after_seconds, 10);
        assert!(failures.check(2).is_ok(), "other keys are untouched");
        clock.advance(Duration::from_secs(9));
        assert!(failures.check(1).is_err());
        clock.advance(Duration::from_secs(1));
        assert!(failures.check(1).is_ok());
        failures.fail(1);
        assert!(failures.check(1).is_err());
    }

    #[test]
    fn drained_keys_are_forgotten_and_memory_is_capped() {
        let clock = FakeRelativeClock::default();
        let failures = budget(&clock);
        for key in 0..100 {
            failures.fail(key);
        }
        failures.prune(1000);
        assert_eq!(failures.len(), 100);
        clock.advance(Duration::from_secs(11));
        failures.prune(1000);
        assert_eq!(failures.len(), 0);
        for key in 0..100 {
            failures.fail(key);
        }
        failures.prune(10);
        assert_eq!(failures.len(), 0);
    }
}
