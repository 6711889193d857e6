//! Half-open intervals `[start, end)` and the small algebra the calendar needs:
//! merge, intersect, subtract. Generic so it serves wall-clock minutes and UTC instants.

/// A non-empty half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval<T> {
    pub start: T,
    pub end: T,
}

impl<T: Ord + Copy> Interval<T> {
    /// `None` when `end <= start`: empty intervals are never represented.
    pub fn new(start: T, end: T) -> Option<Self> {
        (start < end).then_some(Interval { start, end })
    }

    pub fn overlaps(&self, other: &Interval<T>) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval<T>) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn contains_point(&self, point: T) -> bool {
        self.start <= point && point < self.end
    }

    pub fn intersection(&self, other: &Interval<T>) -> Option<Interval<T>> {
        Interval::new(self.start.max(other.start), self.end.min(other.end))
    }
}

/// Sorts and merges overlapping or touching intervals: the result is sorted and disjoint,
/// with a gap between any two neighbours.
pub fn merge<T: Ord + Copy>(mut intervals: Vec<Interval<T>>) -> Vec<Interval<T>> {
    intervals.sort();
    let mut merged: Vec<Interval<T>> = Vec::with_capacity(intervals.len());
    for next in intervals {
        match merged.last_mut() {
            Some(last) if next.start <= last.end => last.end = last.end.max(next.end),
            _ => merged.push(next),
        }
    }
    merged
}

/// Points in both sets. Inputs need not be sorted or disjoint.
pub fn intersect<T: Ord + Copy>(a: &[Interval<T>], b: &[Interval<T>]) -> Vec<Interval<T>> {
    let a = merge(a.to_vec());
    let b = merge(b.to_vec());
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if let Some(common) = a[i].intersection(&b[j]) {
            out.push(common);
        }
        if a[i].end <= b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Points in `a` that are not in `b`.
pub fn subtract<T: Ord + Copy>(a: &[Interval<T>], b: &[Interval<T>]) -> Vec<Interval<T>> {
    let b = merge(b.to_vec());
    let mut out = Vec::new();
    for piece in merge(a.to_vec()) {
        let mut rest = Some(piece);
        for cut in b.iter().filter(|cut| cut.overlaps(&piece)) {
            let Some(current) = rest else { break };
            if let Some(before) = Interval::new(current.start, cut.start) {
                out.push(before);
            }
            rest = Interval::new(cut.end.max(current.start), current.end);
        }
        out.extend(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iv(s: i32, e: i32) -> Interval<i32> {
        Interval::new(s, e).unwrap()
    }

    #[test]
    fn empty_intervals_do_not_exist() {
        assert!(Interval::new(3, 3).is_none());
        assert!(Interval::new(4, 3).is_none());
    }

    #[test]
    fn merge_joins_touching_and_overlapping() {
        assert_eq!(
            merge(vec![iv(5, 7), iv(0, 2), iv(2, 3), iv(6, 9)]),
            vec![iv(0, 3), iv(5, 9)]
        );
    }

    #[test]
    fn intersect_and_subtract_examples() {
        let day = [iv(9, 14), iv(16, 19)];
        let window = [iv(12, 17)];
        assert_eq!(intersect(&day, &window), vec![iv(12, 14), iv(16, 17)]);
        assert_eq!(subtract(&day, &window), vec![iv(9, 12), iv(17, 19)]);
        assert_eq!(
            subtract(&[iv(0, 10)], &[iv(2, 3), iv(5, 6)]),
            vec![iv(0, 2), iv(3, 5), iv(6, 10)]
        );
        assert_eq!(subtract(&[iv(0, 10)], &[iv(-5, 20)]), vec![]);
    }

    fn arb_set() -> impl Strategy<Value = Vec<Interval<i32>>> {
        prop::collection::vec((0..40i32, 1..8i32), 0..6)
            .prop_map(|v| v.into_iter().map(|(s, len)| iv(s, s + len)).collect())
    }

    fn covers(set: &[Interval<i32>], p: i32) -> bool {
        set.iter().any(|i| i.contains_point(p))
    }

    proptest! {
        #[test]
        fn algebra_matches_pointwise_definition(a in arb_set(), b in arb_set()) {
            let m = merge(a.clone());
            let both = intersect(&a, &b);
            let diff = subtract(&a, &b);
            for p in -1..50 {
                prop_assert_eq!(covers(&m, p), covers(&a, p));
                prop_assert_eq!(covers(&both, p), covers(&a, p) && covers(&b, p));
                prop_assert_eq!(covers(&diff, p), covers(&a, p) && !covers(&b, p));
            }
            for w in m.windows(2) {
                prop_assert!(w[0].end < w[1].start, "merge leaves gaps between neighbours");
            }
        }
    }
}
