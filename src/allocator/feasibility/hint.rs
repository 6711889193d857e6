//! What a `slots` walk carries from one start to the next ([`Hint`]): the last
//! small-cluster assignment and the last answer searched, with what that answer depended
//! on. Kept apart from the searches because it only decides when they can be skipped.

use super::super::bits::{self, DeskSet};
use super::super::index::Index;
use super::super::quick;
use super::{Probe, Solution};

/// The desks of the last assignment found for a cluster (by any search: the small-cluster
/// one or the staged one), kept for the next starts of a `slots` or `days` walk.
/// Consecutive starts usually touch the same cluster, and that assignment stays valid
/// for its items whatever the new start (the items' desks, hours and fixed occupancies do
/// not depend on it). So every allowed desk it leaves free over the next occupancy takes
/// one more appointment there (a lower bound on that capacity, proven without searching
/// again), and chains of moves from it (see `warm`) usually find the next "yes" with a
/// move or two, where chains from the baseline may need many.
///
/// It also keeps the last answer searched (a capacity, or for `days` 1 or 0) with what it
/// depended on ([`Instance`]): consecutive starts often pose the very same question,
/// answered then without searching.
#[derive(Debug, Default)]
pub(crate) struct Hint {
    lo: usize,
    hi: usize,
    /// Desks of the items `lo..hi`; unused when `lo == hi`. Reused across the walk.
    desks: Vec<u8>,
    last: Option<Asked>,
    /// The last relaxation proven infeasible for a shortened span of the copies.
    proof: Option<Proof>,
}

/// A relaxation proven infeasible: the cluster items of a window clipped to it (every
/// item is part of every question, so this part holds for any start) and `k` copies
/// over `[start, end)` that may use only `allowed`. A question with at least `k` copies
/// that cover `[start, end)` and may use no desk outside `allowed` has every constraint
/// of it (and more: longer occupancies, more copies, fewer desks, items unclipped), so
/// it is infeasible too. Nothing else is compared: the proof names no desks of an
/// assignment, and items, their desks and hours do not depend on the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proof {
    pub(crate) k: u32,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) allowed: DeskSet,
}

impl Proof {
    /// Whether `k` more at the probe contain this relaxation (and so are infeasible).
    pub(crate) fn covers(&self, probe: &Probe, k: u32) -> bool {
        k >= self.k
            && probe.t <= self.start
            && self.end <= probe.end
            && probe.allowed & !self.allowed == 0
    }
}

/// An answer worked out, what it depended on, and the starts `[from, until)` that pose
/// the same question (with the same desks allowed).
#[derive(Debug, Clone, Copy)]
struct Asked {
    instance: Instance,
    answer: u32,
    from: i64,
    until: i64,
}

/// Everything a capacity depends on besides the index itself: two starts with equal
/// instances have equal capacities (the same items, conflicting with the new ones in the
/// same way, and the same desks for the new ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Instance {
    allowed: DeskSet,
    lo: usize,
    hi: usize,
    /// Bit `x - lo` set when item `x` overlaps the new occupancy.
    overlapping: u64,
}

impl Hint {
    /// The answer at `t` when it poses the question last answered, known without
    /// probing: `t` is inside the stretch where that question stays the same.
    pub(super) fn repeat(&self, t: i64, allowed: DeskSet) -> Option<u32> {
        self.last
            .filter(|last| last.instance.allowed == allowed && (last.from..last.until).contains(&t))
            .map(|last| last.answer)
    }

    /// The answer at `t` when its question, worked out, is the one last answered; the
    /// stretch where it stays the same then starts at `t`.
    fn same(&mut self, t: i64, instance: Option<(Instance, i64)>) -> Option<u32> {
        let (key, until) = instance?;
        let last = self.last.as_mut().filter(|last| last.instance == key)?;
        (last.from, last.until) = (t, until);
        Some(last.answer)
    }

    /// Remembers the items' desks of a "yes" for `k` copies at the probe (`assign` in the
    /// order of [`Index::quick_jobs`]: the copies sit before the first item starting at or
    /// after the probe).
    pub(super) fn keep(
        &mut self,
        index: &Index,
        probe: &Probe,
        k: u32,
        assign: &[u8; quick::MAX_JOBS],
    ) {
        let items = &index.items[probe.lo..probe.hi];
        self.desks.clear();
        for (i, item) in items.iter().enumerate() {
            let job = if item.start >= probe.t {
                i + k as usize
            } else {
                i
            };
            match assign.get(job) {
                Some(&d) => self.desks.push(d),
                None => {
                    (self.lo, self.hi) = (0, 0);
                    return;
                }
            }
        }
        (self.lo, self.hi) = (probe.lo, probe.hi);
    }

    /// Remembers the items' desks of a solution found for the probe's cluster (one that
    /// names every item of it, as `settle` leaves it).
    pub(super) fn keep_solution(&mut self, probe: &Probe, solution: &Solution) {
        self.desks.clear();
        let named = solution.items.len() == probe.hi - probe.lo
            && solution
                .items
                .iter()
                .zip(probe.lo..)
                .all(|(&(x, _), y)| x == y);
        if named {
            self.desks.extend(solution.items.iter().map(|&(_, d)| d));
            (self.lo, self.hi) = (probe.lo, probe.hi);
        } else {
            (self.lo, self.hi) = (0, 0);
        }
    }

    /// The kept desks (see [`Hint::desks_for`]) and the kept proof, to update.
    pub(super) fn parts(&mut self, probe: &Probe) -> (Option<&[u8]>, &mut Option<Proof>) {
        let warm = (self.lo != self.hi && (self.lo, self.hi) == (probe.lo, probe.hi))
            .then_some(&self.desks[..]);
        (warm, &mut self.proof)
    }

    /// The kept desks of the probe's cluster items, when they were kept for it.
    pub(super) fn desks_for(&self, probe: &Probe) -> Option<&[u8]> {
        (self.lo != self.hi && (self.lo, self.hi) == (probe.lo, probe.hi))
            .then_some(&self.desks[..])
    }

    /// How many allowed desks the kept assignment leaves free over the probe's
    /// occupancy; 0 when it was kept for another cluster.
    pub(super) fn copies_at(&self, index: &Index, probe: &Probe) -> u32 {
        let Some(desks) = self.desks_for(probe) else {
            return 0;
        };
        let mut taken: DeskSet = 0;
        for (item, &d) in index.items[self.lo..self.hi].iter().zip(desks) {
            if item.start < probe.end && probe.t < item.end {
                taken |= bits::bit(usize::from(d));
            }
        }
        bits::count(probe.allowed & !taken)
    }
}

impl Index {
    /// The answer to the probe's question: the hint's when it last answered the same
    /// question, else `work`'s, then kept in the hint for the next starts. An answer cut
    /// short by a search budget is not proven and is not kept.
    pub(super) fn remembered(
        &self,
        probe: &Probe,
        hint: &mut Hint,
        work: impl FnOnce(&mut Hint) -> u32,
    ) -> u32 {
        let instance = self.instance(probe);
        if let Some(answer) = hint.same(probe.t, instance) {
            return answer;
        }
        let undecided = self.undecided.get();
        let answer = work(hint);
        hint.last =
            instance
                .filter(|_| self.undecided.get() == undecided)
                .map(|(instance, until)| Asked {
                    instance,
                    answer,
                    from: probe.t,
                    until,
                });
        answer
    }

    /// What the capacity at the probe depends on: the desks that could take one, the
    /// touched cluster, and which of its items overlap the new occupancy (the items and
    /// their allowed desks are the same for every start). With it, the first later start
    /// (same occupancy) where that may change: an overlapping item is passed, or the next
    /// item comes within reach. `None` for clusters too large to describe in one key.
    fn instance(&self, probe: &Probe) -> Option<(Instance, i64)> {
        let items = self.items.get(probe.lo..probe.hi)?;
        if items.len() > 64 {
            return None;
        }
        let occupancy = probe.end - probe.t;
        let mut overlapping = 0u64;
        let mut until = i64::MAX;
        let mut next = self.items.get(probe.hi).map(|i| i.start);
        for (x, item) in items.iter().enumerate() {
            if item.start >= probe.end {
                // Items are sorted by start: this is the next one to come within reach.
                next = Some(item.start);
                break;
            }
            if probe.t < item.end {
                overlapping |= 1 << x;
                until = until.min(item.end);
            }
        }
        if let Some(start) = next {
            until = until.min(start.saturating_sub(occupancy).saturating_add(1));
        }
        let instance = Instance {
            allowed: probe.allowed,
            lo: probe.lo,
            hi: probe.hi,
            overlapping,
        };
        Some((instance, until))
    }
}
