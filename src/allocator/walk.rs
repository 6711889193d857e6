//! The desks of a service's starts, asked in ascending order (`slots`, `days`).
//!
//! A probe asks each desk's timelines "open over `[t, end)`?", "fixed occupancy there?",
//! "baseline placement there?". For starts in ascending order (with one occupancy, so
//! ascending ends too) the answers only ever need intervals further right, so a cursor
//! per timeline replaces a binary search per question. Should a start come earlier than
//! the previous one, the cursors restart: the answers never depend on the order asked.

use super::bits::{self, DeskSet, MAX_DESKS};
use super::index::{Index, ServiceInfo};

#[derive(Debug)]
pub(crate) struct Walk<'a> {
    index: &'a Index,
    svc: &'a ServiceInfo,
    last: i64,
    open: [usize; MAX_DESKS],
    fixed: [usize; MAX_DESKS],
    busy: [usize; MAX_DESKS],
}

/// What a start's desks look like before any search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Desks {
    pub(crate) end: i64,
    /// Serve the service, are open over the occupancy and hold no fixed occupancy there.
    pub(crate) allowed: DeskSet,
    /// Of those, the ones holding a baseline placement overlapping the occupancy.
    pub(crate) busy: DeskSet,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(index: &'a Index, svc: &'a ServiceInfo) -> Self {
        Walk {
            index,
            svc,
            last: i64::MIN,
            open: [0; MAX_DESKS],
            fixed: [0; MAX_DESKS],
            busy: [0; MAX_DESKS],
        }
    }

    /// The desks at start `t` (same answer as `Index::allowed_for` and the baseline).
    pub(crate) fn at(&mut self, t: i64) -> Desks {
        let (end, allowed) = self.allowed(t);
        let mut busy: DeskSet = 0;
        for d in bits::iter(allowed) {
            if self.index.busy[d].overlaps_from(&mut self.busy[d], t, end) {
                busy |= bits::bit(d);
            }
        }
        Desks { end, allowed, busy }
    }

    /// `Ok(end)` as soon as one allowed desk is free in the baseline at `t` (the others
    /// are not looked at: enough to know one more fits), else all the desks at `t`.
    pub(crate) fn free_or_desks(&mut self, t: i64) -> Result<i64, Desks> {
        let (end, allowed) = self.allowed(t);
        for d in bits::iter(allowed) {
            if !self.index.busy[d].overlaps_from(&mut self.busy[d], t, end) {
                return Ok(end);
            }
        }
        Err(Desks {
            end,
            allowed,
            busy: allowed,
        })
    }

    /// The occupancy's end and the desks that serve, are open and hold no fixed occupancy.
    fn allowed(&mut self, t: i64) -> (i64, DeskSet) {
        if t < self.last {
            self.open = [0; MAX_DESKS];
            self.fixed = [0; MAX_DESKS];
            self.busy = [0; MAX_DESKS];
        }
        self.last = t;
        let index = self.index;
        let serving = self.svc.serving;
        let end = t.saturating_add(self.svc.occupancy);
        let mut open: DeskSet = 0;
        for (c, class) in index.schedules.iter().enumerate() {
            if class.desks & serving != 0
                && let Some(k) = self.open.get_mut(c)
                && class.open.contains_from(k, t, end)
            {
                open |= class.desks;
            }
        }
        let mut allowed = serving & open;
        for d in bits::iter(allowed & index.fixed_desks) {
            if index.fixed[d].overlaps_from(&mut self.fixed[d], t, end) {
                allowed &= !bits::bit(d);
            }
        }
        (end, allowed)
    }
}

#[cfg(test)]
mod tests {
    use crate::allocator::index::Timeline;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The cursors give the binary searches' answers for ascending queries, on
        /// timelines with overlapping intervals (a stored running maximum) or not.
        #[test]
        fn cursors_agree_with_binary_search(
            raw in proptest::collection::vec((0..60i64, 1..15i64), 0..12),
            mut queries in proptest::collection::vec((0..80i64, 1..20i64), 1..30),
        ) {
            let timeline = Timeline::new(raw.iter().map(|&(s, l)| (s, s + l)).collect());
            queries.sort_unstable_by_key(|&(s, _)| s);
            let (mut over, mut within) = (0, 0);
            let mut last_end = i64::MIN;
            for (s, l) in queries {
                let e = s + l;
                if e < last_end {
                    // Ends must not decrease either (one occupancy per walk): restart.
                    over = 0;
                }
                last_end = e;
                proptest::prop_assert_eq!(timeline.overlaps_from(&mut over, s, e), timeline.overlaps(s, e));
                proptest::prop_assert_eq!(timeline.contains_from(&mut within, s, e), timeline.contains(s, e));
                // And the binary searches against the definition.
                let brute_over = raw.iter().any(|&(a, la)| a < e && s < a + la);
                let brute_in = raw.iter().any(|&(a, la)| a <= s && e <= a + la);
                proptest::prop_assert_eq!(timeline.overlaps(s, e), brute_over);
                proptest::prop_assert_eq!(timeline.contains(s, e), brute_in);
            }
        }
    }
}
