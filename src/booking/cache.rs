//! Availability answers shared by every reader of the same question, so a crowd reading
//! one office-day on release morning costs one computation, not one each.
//!
//! An answer is reused only while all of these hold, which makes it exactly what a fresh
//! computation would say:
//! - the office's `version` is unchanged: every write that can change feasibility bumps
//!   it first thing in its transaction (DESIGN §5), on any instance;
//! - the catalog (configuration) is the same one;
//! - no time boundary has passed: the earliest hold expiry, the moment the earliest
//!   listed start falls inside its minimum notice, the next local midnight (when a new
//!   day enters the booking window) and the service's next scheduled release — and, as a
//!   safety net, at most [`MAX_AGE`].
//!
//! Readers of one key wait for a single computation instead of all running it.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::BookingError;

/// Longest an answer is reused even when nothing says it changed.
pub(crate) const MAX_AGE: Duration = Duration::seconds(10);
/// Keys kept; past it, idle keys are dropped (and all of them if still too many).
const MAX_KEYS: usize = 8192;

/// What an answer was computed from, to tell whether it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Basis {
    pub office_version: i64,
    /// [`super::Catalog::id`] of the configuration the answer used.
    pub catalog: u64,
}

#[derive(Debug)]
struct Entry<V> {
    basis: Basis,
    valid_until: DateTime<Utc>,
    answer: Arc<V>,
}

type Slot<V> = Arc<tokio::sync::Mutex<Option<Entry<V>>>>;

/// Answers of type `V` by question `K`.
#[derive(Debug)]
pub(crate) struct AvailabilityCache<K, V> {
    entries: Mutex<HashMap<K, Slot<V>>>,
}

impl<K, V> Default for AvailabilityCache<K, V> {
    fn default() -> Self {
        AvailabilityCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V> AvailabilityCache<K, V> {
    /// The cached answer for `key` if it still holds at `now` on `basis`; otherwise runs
    /// `compute` (once for all concurrent readers of the key), which returns the answer
    /// and the instant until which it holds.
    pub(crate) async fn get_or_compute<F, Fut>(
        &self,
        key: K,
        basis: Basis,
        now: DateTime<Utc>,
        compute: F,
    ) -> Result<Arc<V>, BookingError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(V, DateTime<Utc>), BookingError>>,
    {
        let slot = self.slot(key);
        let mut entry = slot.lock().await;
        if let Some(cached) = entry.as_ref()
            && cached.basis == basis
            && now < cached.valid_until
        {
            return Ok(Arc::clone(&cached.answer));
        }
        let (answer, valid_until) = compute().await?;
        let answer = Arc::new(answer);
        *entry = Some(Entry {
            basis,
            valid_until: valid_until.min(now + MAX_AGE),
            answer: Arc::clone(&answer),
        });
        Ok(answer)
    }

    fn slot(&self, key: K) -> Slot<V> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_KEYS && !entries.contains_key(&key) {
            entries.retain(|_, slot| Arc::strong_count(slot) > 1);
            if entries.len() >= MAX_KEYS {
                entries.clear();
            }
        }
        Arc::clone(entries.entry(key).or_default())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use chrono::TimeZone;

    use super::*;

    fn key(n: u32) -> u32 {
        n
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap()
    }

    type Cache = AvailabilityCache<u32, u32>;

    /// Answers how many computations ran before this one.
    async fn ask(cache: &Cache, basis: Basis, at: DateTime<Utc>, runs: &AtomicU32) -> u32 {
        let answer = cache
            .get_or_compute(key(0), basis, at, || async {
                Ok((
                    runs.fetch_add(1, Ordering::SeqCst),
                    at + Duration::seconds(5),
                ))
            })
            .await
            .unwrap();
        *answer
    }

    #[tokio::test]
    async fn reused_until_the_version_catalog_or_time_changes() {
        let cache = Cache::default();
        let runs = AtomicU32::new(0);
        let basis = Basis {
            office_version: 7,
            catalog: 1,
        };
        assert_eq!(ask(&cache, basis, now(), &runs).await, 0);
        assert_eq!(
            ask(&cache, basis, now() + Duration::seconds(4), &runs).await,
            0,
            "reused"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(
            ask(
                &cache,
                Basis {
                    office_version: 8,
                    ..basis
                },
                now(),
                &runs
            )
            .await,
            1,
            "a write happened"
        );
        assert_eq!(
            ask(
                &cache,
                Basis {
                    office_version: 8,
                    catalog: 2
                },
                now(),
                &runs
            )
            .await,
            2,
            "new configuration"
        );
        let later = now() + Duration::seconds(5);
        assert_eq!(
            ask(
                &cache,
                Basis {
                    office_version: 8,
                    catalog: 2
                },
                later,
                &runs
            )
            .await,
            3,
            "past its boundary"
        );
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_computation() {
        let cache = Arc::new(Cache::default());
        let runs = Arc::new(AtomicU32::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let (cache, runs) = (Arc::clone(&cache), Arc::clone(&runs));
            tasks.spawn(async move {
                ask(
                    &cache,
                    Basis {
                        office_version: 1,
                        catalog: 1,
                    },
                    now(),
                    &runs,
                )
                .await
            });
        }
        while let Some(result) = tasks.join_next().await {
            assert_eq!(result.unwrap(), 0);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_number_of_keys_is_bounded() {
        let cache = Cache::default();
        for n in 0..(MAX_KEYS as u32 + 10) {
            let _ = cache
                .get_or_compute(
                    key(n),
                    Basis {
                        office_version: 1,
                        catalog: 1,
                    },
                    now(),
                    || async { Ok((n, now())) },
                )
                .await;
        }
        assert!(cache.len() <= MAX_KEYS);
    }
}
