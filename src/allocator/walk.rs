//! The desks of a service's starts, asked in ascending order (`slots`, `days`).
//!
//! A probe asks each desk's timelines "open over `[t, end)`?", "fixed occupancy there?",
//! "baseline placement there?". For starts in ascending order (with one occupancy, so
//! ascending ends too) the answers only ever need intervals further right, so a cursor
//! per timeline replaces a binary search per question. Each answer also says how long it
//! lasts (the next start where an interval comes within reach or is passed), so starts
//! before the earliest such change reuse the previous desks without asking again. Should
//! a start come earlier than the previous one, the cursors restart: the answers never
//! depend on the order asked.

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
    /// The desks found at `last`, and the first start where any of the answers behind
    /// them may change: every start in `[last, until)` has the same desks.
    desks: (DeskSet, DeskSet),
    until: i64,
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
            desks: (0, 0),
            until: i64::MIN,
        }
    }

    /// The desks at start `t` (same answer as `Index::allowed_for` and the baseline).
    /// Between two changes of any desk's answer (an opening or closing, a fixed or
    /// baseline occupancy coming within reach or passing) the previous start's desks are
    /// given back without looking at the timelines: on a grid of starts most of them.
    pub(crate) fn at(&mut self, t: i64) -> Desks {
        let end = t.saturating_add(self.svc.occupancy);
        if t < self.last {
            self.open = [0; MAX_DESKS];
            self.fixed = [0; MAX_DESKS];
            self.busy = [0; MAX_DESKS];
            self.until = i64::MIN;
        }
        self.last = t;
        if t >= self.until {
            self.desks = self.look(t, end);
        }
        let (allowed, busy) = self.desks;
        Desks { end, allowed, busy }
    }

    /// The desks at `t`, from the timelines; sets `until`.
    fn look(&mut self, t: i64, end: i64) -> (DeskSet, DeskSet) {
        let index = self.index;
        let serving = self.svc.serving;
        let mut until = i64::MAX;
        let mut open: DeskSet = 0;
        for (c, class) in index.schedules.iter().enumerate() {
            if class.desks & serving == 0 {
                continue;
            }
            if let Some(k) = self.open.get_mut(c) {
                let (inside, lasts) = class.open.contains_lasting(k, t, end);
                until = until.min(lasts);
                if inside {
                    open |= class.desks;
                }
            }
        }
        let mut allowed = serving & open;
        for d in bits::iter(allowed & index.fixed_desks) {
            let (over, lasts) = index.fixed[d].overlaps_lasting(&mut self.fixed[d], t, end);
            until = until.min(lasts);
            if over {
                allowed &= !bits::bit(d);
            }
        }
        let mut busy: DeskSet = 0;
        for d in bits::iter(allowed) {
            let (over, lasts) = index.busy[d].overlaps_lasting(&mut self.busy[d], t, end);
            until = until.min(lasts);
            if over {
                busy |= bits::bit(d);
            }
        }
        self.until = until;
        (allowed, busy)
    }
}

#[cfg(test)]
mod tests {
    use crate::allocator::index::Timeline;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The cursors give the binary searches' answers for ascending queries, on
        /// timelines with overlapping intervals (a stored running maximum) or not, and
        /// those answers last as long as the horizons say.
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
                // The answers hold, for the same length, up to the horizon given.
                let (mut k1, mut k2) = (0, 0);
                let (over, over_until) = timeline.overlaps_lasting(&mut k1, s, e);
                let (inside, inside_until) = timeline.contains_lasting(&mut k2, s, e);
                proptest::prop_assert!(over_until > s && inside_until > s);
                for later in s..(s + 100).min(over_until) {
                    proptest::prop_assert_eq!(timeline.overlaps(later, later + l), over, "overlap at {}", later);
                }
                for later in s..(s + 100).min(inside_until) {
                    proptest::prop_assert_eq!(timeline.contains(later, later + l), inside, "containment at {}", later);
                }
                // And the binary searches against the definition.
                let brute_over = raw.iter().any(|&(a, la)| a < e && s < a + la);
                let brute_in = raw.iter().any(|&(a, la)| a <= s && e <= a + la);
                proptest::prop_assert_eq!(timeline.overlaps(s, e), brute_over);
                proptest::prop_assert_eq!(timeline.contains(s, e), brute_in);
            }
        }
    }
}
