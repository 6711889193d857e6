//! The small-cluster search applied to a probe: the cluster's items and the new copies
//! as jobs for `quick`, and its desks read back as a [`Solution`]. It answers most starts
//! before the staged search is needed.

use super::super::bits;
use super::super::index::Index;
use super::super::quick::{self, Jobs, Verdict};
use super::{Probe, Solution};

impl Index {
    /// The small-cluster search for `k` copies at the probe; on `Yes`, `assign` holds the
    /// desks of the cluster's items and the copies in the order of [`Index::quick_jobs`].
    pub(crate) fn quick(
        &self,
        probe: &Probe,
        k: u32,
        assign: &mut [u8; quick::MAX_JOBS],
    ) -> Verdict {
        if !probe.feasible || bits::count(probe.allowed) < k {
            return Verdict::No;
        }
        match self.quick_jobs(probe, k) {
            Some(jobs) => quick::solve(
                &jobs,
                Some((probe.t, probe.end)),
                quick::NODE_BUDGET,
                assign,
            ),
            None => Verdict::GaveUp,
        }
    }

    /// The cluster's items (preferring their baseline desk) with `k` copies inserted
    /// before the first item starting at or after the probe; `None` when too many.
    fn quick_jobs(&self, probe: &Probe, k: u32) -> Option<Jobs> {
        if (probe.hi - probe.lo).saturating_add(k as usize) > quick::MAX_JOBS {
            return None;
        }
        let mut jobs = Jobs::new();
        let mut copies = false;
        for x in probe.lo..probe.hi {
            let item = &self.items[x];
            if !copies && item.start >= probe.t {
                copies = true;
                for _ in 0..k {
                    jobs.push(probe.t, probe.end, probe.allowed, None, true);
                }
            }
            jobs.push(
                item.start,
                item.end,
                item.allowed,
                Some(self.baseline[x]),
                false,
            );
        }
        if !copies {
            for _ in 0..k {
                jobs.push(probe.t, probe.end, probe.allowed, None, true);
            }
        }
        Some(jobs)
    }

    /// A solution from the small-cluster search's desks (see [`Index::quick`]).
    pub(crate) fn quick_solution(&self, probe: &Probe, k: u32, assign: &[u8]) -> Solution {
        let mut solution = Solution {
            copies: Vec::new(),
            items: Vec::new(),
        };
        let mut x = probe.lo;
        let mut copies = false;
        let mut desks = assign.iter().copied();
        while x < probe.hi || !copies {
            if !copies && (x == probe.hi || self.items[x].start >= probe.t) {
                copies = true;
                solution.copies.extend(desks.by_ref().take(k as usize));
                continue;
            }
            if let Some(d) = desks.next() {
                solution.items.push((x, d));
            }
            x += 1;
        }
        self.settle(probe, solution)
    }
}
