//! Can `k` more appointments of a service start at `t`? Fast path first, exact search
//! only where it is needed.
//!
//! - Only the time-overlap components that the new occupancy `[t, t + occupancy)` touches
//!   can interact with it; everything else keeps its baseline desk.
//! - Fast path: a desk that serves the service, is open over the occupancy and is free in
//!   the baseline takes one new appointment with no moves. With `f` such desks and `u`
//!   desks that are merely open and not blocked by a fixed occupancy, `f <= capacity <= u`.
//! - Otherwise, in stages, cheapest first: a per-instant matching check proves most "no"
//!   answers at once; chains of moves from the baseline (fewest moves first) find most
//!   "yes" answers; then windows growing around `t`: first the items in each window with
//!   the rest of the cluster held on its baseline desks (a found assignment is valid:
//!   "yes"), then the same items clipped to each window with everything outside dropped (a
//!   relaxation: its infeasibility proves "no"). Finally the whole cluster: the time sweep with
//!   memoized frontiers (`sweep`), then the constraint search without preferences, where
//!   exhausting the tree is a proof. Only if both run out of budget is the answer
//!   undecided: "no", counted in `Index::undecided`.
//! - A walk over the starts of a day (`slots`, `days`) keeps the last relaxation proven
//!   infeasible, retried with the new appointments starting 10 or 5 minutes later: when
//!   that shortened relaxation is infeasible too, every later start whose occupancy
//!   covers its span is "no" without searching (see `hint::Proof`).
//! - Moves found by any search are then undone wherever the baseline desk is free.
//! - A touched component with no valid assignment at all makes the answer 0.

mod hint;
mod small_cluster;
mod staged;
#[cfg(test)]
mod tests;

pub(crate) use hint::Hint;

use chrono::NaiveDate;

use super::bits::{self, DeskSet};
use super::index::{Index, ServiceInfo};
use super::quick::{self, Verdict};
use super::walk::Desks;

/// What the allocator knows about one start before searching.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub(crate) t: i64,
    pub(crate) end: i64,
    /// Desks that could take a new one at all (upper bound).
    pub(crate) allowed: DeskSet,
    /// Of those, the desks free in the baseline (lower bound).
    pub(crate) free: DeskSet,
    /// The items of the touched components.
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    pub(crate) feasible: bool,
}

/// Desks for the new copies, and new desks for the items the search placed.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    pub(crate) copies: Vec<u8>,
    pub(crate) items: Vec<(usize, u8)>,
}

impl Index {
    pub(crate) fn probe(&self, svc: &ServiceInfo, t: i64) -> Probe {
        let end = t.saturating_add(svc.occupancy);
        let allowed = self.allowed_for(svc, t);
        self.probe_with(t, end, allowed, self.busy_among(allowed, t, end))
    }

    /// Desks of `among` holding a baseline placement that overlaps `[t, end)`.
    fn busy_among(&self, among: DeskSet, t: i64, end: i64) -> DeskSet {
        bits::iter(among)
            .filter(|&d| self.busy[d].overlaps(t, end))
            .fold(0, |set, d| set | bits::bit(d))
    }

    /// Whether `[t, end)` touches a component that has no valid assignment.
    pub(crate) fn touches_infeasible(&self, t: i64, end: i64) -> bool {
        self.infeasible.iter().any(|&(s, e)| s < end && t < e)
    }

    /// Whether every one of `candidates` (the service's starts on `date`, ascending) is
    /// available without looking at them one by one: each group of desks sharing the
    /// date's hours that serves the service has a serving desk with nothing on it (fixed
    /// or baseline) over the whole span of the candidates, and no infeasible component
    /// touches that span. Every candidate comes from the hours of such a group, so that
    /// desk is open, unblocked and free over its occupancy. Quiet days (most days a
    /// calendar shows) are counted in one step.
    pub(crate) fn free_all_day(
        &self,
        svc: &ServiceInfo,
        date: NaiveDate,
        candidates: &[i64],
    ) -> bool {
        let (Some(&first), Some(&last)) = (candidates.first(), candidates.last()) else {
            return true;
        };
        let (from, to) = (first, last.saturating_add(svc.occupancy));
        if self.touches_infeasible(from, to) {
            return false;
        }
        let Some(groups) = self.days.get(&date) else {
            return false;
        };
        let taken = |d: usize| {
            self.busy[d].overlaps(from, to)
                || (bits::has(self.fixed_desks, d) && self.fixed[d].overlaps(from, to))
        };
        groups
            .iter()
            .map(|g| g.desks & svc.serving)
            .filter(|&serving| serving != 0)
            .all(|serving| bits::iter(serving).any(|d| !taken(d)))
    }

    /// Whether one more fits at `t` with these desks: a desk free in the baseline answers
    /// without looking at the components (most starts of a day). `hint` remembers the
    /// last question searched, as for capacities (its answers are then 1 or 0: `days`
    /// keeps its own).
    pub(crate) fn available_with(&self, t: i64, desks: Desks, hint: &mut Hint) -> bool {
        let Desks { end, allowed, busy } = desks;
        if allowed == 0 {
            return false;
        }
        if busy != allowed {
            return !self.touches_infeasible(t, end);
        }
        if let Some(answer) = hint.repeat(t, allowed) {
            return answer > 0;
        }
        let probe = self.probe_with(t, end, allowed, busy);
        if !probe.feasible {
            return false;
        }
        self.remembered(&probe, hint, |hint| u32::from(self.available(&probe, hint))) > 0
    }

    /// The capacity at `t` with these desks: when every desk that could take one is free,
    /// that count, without looking at the components.
    pub(crate) fn capacity_with(&self, t: i64, desks: Desks, hint: &mut Hint) -> u32 {
        let Desks { end, allowed, busy } = desks;
        if busy == 0 {
            return if self.touches_infeasible(t, end) {
                0
            } else {
                bits::count(allowed)
            };
        }
        if let Some(capacity) = hint.repeat(t, allowed) {
            return capacity;
        }
        self.capacity_of(&self.probe_with(t, end, allowed, busy), hint)
    }

    /// The probe of `[t, end)` with its desks already known.
    fn probe_with(&self, t: i64, end: i64, allowed: DeskSet, busy: DeskSet) -> Probe {
        let first = self.components.partition_point(|c| c.end <= t);
        let mut touched = self.components[first..]
            .iter()
            .take_while(|c| c.start < end);
        let (mut lo, mut hi, mut feasible) = (0, 0, true);
        if let Some(c) = touched.next() {
            (lo, hi, feasible) = (c.lo, c.hi, c.feasible);
            for c in touched {
                hi = c.hi;
                feasible &= c.feasible;
            }
        }
        Probe {
            t,
            end,
            allowed,
            free: allowed & !busy,
            lo,
            hi,
            feasible,
        }
    }

    /// The exact number of additional appointments that can start at the probe.
    /// `hint` carries an assignment found for an earlier start (see [`Hint`]).
    pub(crate) fn capacity_of(&self, probe: &Probe, hint: &mut Hint) -> u32 {
        if !probe.feasible {
            return 0;
        }
        let free = bits::count(probe.free);
        if free == bits::count(probe.allowed) {
            return free; // every desk that could take one is free: nothing to search
        }
        self.remembered(probe, hint, |hint| {
            let mut k = free;
            let upper = self.copies_bound(probe);
            if k < upper {
                k = k.max(hint.copies_at(self, probe).min(upper));
            }
            while k < upper && self.fits_hinted(probe, k + 1, hint) {
                k += 1;
            }
            k
        })
    }

    /// Whether `k` more fit at the probe: the small-cluster search when it decides, else
    /// the staged one starting from the assignment in `hint`; a "yes" keeps its
    /// assignment there for the next question.
    fn fits_hinted(&self, probe: &Probe, k: u32, hint: &mut Hint) -> bool {
        let mut assign = [0; quick::MAX_JOBS];
        match self.quick(probe, k, &mut assign) {
            Verdict::Yes => {
                hint.keep(self, probe, k, &assign);
                true
            }
            Verdict::No => false,
            Verdict::GaveUp => {
                let (warm, proof) = hint.parts(probe);
                match self.solve_from(probe, k, warm, Some(proof)) {
                    Some(solution) => {
                        hint.keep_solution(probe, &solution);
                        true
                    }
                    None => false,
                }
            }
        }
    }

    /// At most this many copies fit at the probe: at each instant of the new occupancy,
    /// the items there that can only use the copies' desks each hold one of them (Hall's
    /// condition on those items and the copies).
    fn copies_bound(&self, probe: &Probe) -> u32 {
        let desks = bits::count(probe.allowed);
        let items = &self.items[probe.lo..probe.hi];
        let inside = |i: &&super::index::Item| {
            i.start < probe.end && i.end > probe.t && i.allowed & !probe.allowed == 0
        };
        let mut worst = 0;
        // Coverage only rises at the new occupancy's start or at an item's start.
        for p in std::iter::once(probe.t).chain(
            items
                .iter()
                .filter(inside)
                .map(|i| i.start)
                .filter(|&s| s > probe.t),
        ) {
            let here = items
                .iter()
                .filter(inside)
                .filter(|i| i.start <= p && p < i.end)
                .count();
            worst = worst.max(here);
        }
        desks.saturating_sub(u32::try_from(worst).unwrap_or(u32::MAX))
    }

    /// Whether at least one more can start at the probe, starting from (and keeping) the
    /// assignment in `hint`: a desk it leaves free over the occupancy answers at once.
    fn available(&self, probe: &Probe, hint: &mut Hint) -> bool {
        probe.feasible
            && (probe.free != 0
                || (self.copies_bound(probe) > 0
                    && (hint.copies_at(self, probe) > 0 || self.fits_hinted(probe, 1, hint))))
    }
}
