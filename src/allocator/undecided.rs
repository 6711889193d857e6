//! The count of questions the searches left undecided. Kept apart so that the index,
//! which carries it, need not depend on the feasibility search, which bumps it.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many questions every search left undecided (answered "no"): zero on every
/// office measured, but observable when some input is too hard.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Clone for Counter {
    fn clone(&self) -> Self {
        Counter(AtomicU64::new(self.get()))
    }
}
