//! [`Timeline`]: the interval lookup behind every "open over" and "busy over" question
//! the index answers.

/// Sorted intervals with a running maximum of their ends: answers "does anything overlap
/// `[s, e)`" and "does one interval contain `[s, e)`" in `O(log n)`, even when the
/// intervals themselves overlap. The running maximum is stored only when it differs from
/// the ends (overlapping intervals), so the usual timeline is the sorted input itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    spans: Vec<(i64, i64)>,
    /// Empty when the ends never decrease (then the running maximum is the end).
    reach: Vec<i64>,
}

impl Timeline {
    /// An empty timeline with room for `n` intervals, to be filled with [`Timeline::push`]
    /// and then settled.
    pub(super) fn with_capacity(n: usize) -> Self {
        Timeline {
            spans: Vec::with_capacity(n),
            reach: Vec::new(),
        }
    }

    pub(crate) fn new(intervals: Vec<(i64, i64)>) -> Self {
        let mut timeline = Timeline {
            spans: intervals,
            reach: Vec::new(),
        };
        timeline.settle();
        timeline
    }

    /// Adds an interval; [`Timeline::settle`] must run before any question.
    pub(super) fn push(&mut self, interval: (i64, i64)) {
        self.spans.push(interval);
    }

    /// Sorts the intervals pushed and works out the running maximum where needed.
    pub(super) fn settle(&mut self) {
        if !self.spans.is_sorted() {
            self.spans.sort_unstable();
        }
        self.reach.clear();
        if !self.spans.windows(2).all(|w| w[0].1 <= w[1].1) {
            let mut max = i64::MIN;
            self.reach = self
                .spans
                .iter()
                .map(|&(_, end)| {
                    max = max.max(end);
                    max
                })
                .collect();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The latest end among the first `k + 1` intervals.
    fn reach(&self, k: usize) -> i64 {
        match self.reach.get(k) {
            Some(&r) => r,
            None => self.spans[k].1,
        }
    }

    /// Some interval shares a point with `[s, e)`.
    pub(crate) fn overlaps(&self, s: i64, e: i64) -> bool {
        let k = self.spans.partition_point(|x| x.0 < e);
        k > 0 && self.reach(k - 1) > s
    }

    /// [`Timeline::overlaps`] for queries whose `e` never decreases: `k` is the caller's
    /// cursor (intervals starting before the previous `e`), moved forward only.
    pub(crate) fn overlaps_from(&self, k: &mut usize, s: i64, e: i64) -> bool {
        while *k < self.spans.len() && self.spans[*k].0 < e {
            *k += 1;
        }
        *k > 0 && self.reach(*k - 1) > s
    }

    /// [`Timeline::overlaps_from`], with the first start (for the same length `e - s`)
    /// at which the answer may differ: it holds for every start in `[s, until)`.
    pub(crate) fn overlaps_lasting(&self, k: &mut usize, s: i64, e: i64) -> (bool, i64) {
        let over = self.overlaps_from(k, s, e);
        let until = if over {
            // Intervals already reached stay reached; the latest end is passed last.
            self.reach(*k - 1)
        } else {
            // Free until the next interval starts within the occupancy.
            self.spans.get(*k).map_or(i64::MAX, |&(a, _)| {
                a.saturating_sub(e - s).saturating_add(1)
            })
        };
        (over, until)
    }

    /// [`Timeline::contains_from`], with the first start (for the same length `e - s`)
    /// at which the answer may differ, as in [`Timeline::overlaps_lasting`].
    pub(crate) fn contains_lasting(&self, k: &mut usize, s: i64, e: i64) -> (bool, i64) {
        let inside = self.contains_from(k, s, e);
        let until = if inside {
            // Contained while the occupancy still ends by the latest end so far.
            self.reach(*k - 1).saturating_sub(e - s).saturating_add(1)
        } else {
            // Nothing new can contain it before the next interval starts.
            self.spans.get(*k).map_or(i64::MAX, |&(a, _)| a)
        };
        (inside, until)
    }

    /// Some single interval contains all of `[s, e)`.
    pub(crate) fn contains(&self, s: i64, e: i64) -> bool {
        let k = self.spans.partition_point(|x| x.0 <= s);
        k > 0 && self.reach(k - 1) >= e
    }

    /// [`Timeline::contains`] for queries whose `s` never decreases (cursor as in
    /// [`Timeline::overlaps_from`]).
    pub(crate) fn contains_from(&self, k: &mut usize, s: i64, e: i64) -> bool {
        while *k < self.spans.len() && self.spans[*k].0 <= s {
            *k += 1;
        }
        *k > 0 && self.reach(*k - 1) >= e
    }

    /// Starts `a` of the intervals `[a, b)` that contain `[s, e)`.
    pub(crate) fn containing_starts(&self, s: i64, e: i64) -> impl Iterator<Item = i64> + '_ {
        let k = self.spans.partition_point(|x| x.0 <= s);
        (0..k)
            .rev()
            .take_while(move |&j| self.reach(j) >= e)
            .filter(move |&j| self.spans[j].1 >= e)
            .map(move |j| self.spans[j].0)
    }
}
