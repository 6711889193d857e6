//! Exact decision for small clusters, without allocating.
//!
//! On a small office most contested starts touch a cluster of a dozen appointments. The
//! staged search (see `feasibility`) builds task lists, windows and solver tables for each
//! of them; here a plain depth-first search over stack arrays decides the same question:
//!
//! - Jobs (the cluster's appointments and the new copies) are placed in order of start, so
//!   a desk can take a job iff its latest placed job has ended (its *release*): no interval
//!   lists are needed.
//! - Necessary first: at the copies' start and at every job start inside their span, the
//!   jobs covering that instant must take distinct desks (a bipartite matching). This
//!   proves most "no" answers without branching.
//! - Symmetry: desks allowed by exactly the same jobs and both free at a job's start are
//!   interchangeable for everything after it, so one desk per such class is tried;
//!   identical copies take increasing desks (each the lowest free desk of its class).
//! - Memoization: before a job, what is left depends only on which desks are still taken
//!   (and by which job); a state that failed once is not explored again.
//! - A job tries its preferred desk (its baseline desk) first, so "yes" answers are
//!   usually found without backtracking.
//!
//! Every pruning is sound, so exhausting the tree proves "no". A node budget bounds the
//! work; when it runs out the caller falls back to the staged search.

use std::collections::HashSet;

use super::bits::{self, DeskSet, MAX_DESKS};
use super::search::perfect_matching;

/// Clusters with more jobs than this (copies included) take the staged search.
pub(crate) const MAX_JOBS: usize = 32;

/// Desk choices one decision may try before giving the question to the staged search.
pub(crate) const NODE_BUDGET: u32 = 4_000;

const NONE: u8 = u8::MAX;

/// The jobs of one decision, in order of start, with identical copies contiguous.
#[derive(Debug)]
pub(crate) struct Jobs {
    len: usize,
    start: [i64; MAX_JOBS],
    end: [i64; MAX_JOBS],
    allowed: [DeskSet; MAX_JOBS],
    /// The desk tried first, or `NONE`.
    pref: [u8; MAX_JOBS],
    copy: [bool; MAX_JOBS],
    /// Job `i` is a copy identical to job `i - 1` (placed on a higher desk).
    twin: [bool; MAX_JOBS],
}

/// What the search concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every job has a desk (see the `assign` argument of [`solve`]).
    Yes,
    /// Proven: no valid assignment.
    No,
    /// Too many jobs, unsorted input, or the node budget ran out.
    GaveUp,
}

impl Jobs {
    pub(crate) fn new() -> Self {
        Jobs {
            len: 0,
            start: [0; MAX_JOBS],
            end: [0; MAX_JOBS],
            allowed: [0; MAX_JOBS],
            pref: [NONE; MAX_JOBS],
            copy: [false; MAX_JOBS],
            twin: [false; MAX_JOBS],
        }
    }

    /// Appends a job; `false` when full. `copy` marks a copy of the new appointment: two
    /// consecutive identical copies take increasing desks, and copies have no preference.
    pub(crate) fn push(
        &mut self,
        start: i64,
        end: i64,
        allowed: DeskSet,
        pref: Option<u8>,
        copy: bool,
    ) -> bool {
        let i = self.len;
        if i >= MAX_JOBS {
            return false;
        }
        self.start[i] = start;
        self.end[i] = end;
        self.allowed[i] = allowed;
        self.pref[i] = if copy { NONE } else { pref.unwrap_or(NONE) };
        self.copy[i] = copy;
        self.twin[i] = copy
            && i > 0
            && self.copy[i - 1]
            && self.start[i - 1] == start
            && self.end[i - 1] == end
            && self.allowed[i - 1] == allowed;
        self.len += 1;
        true
    }
}

/// Whether, at `lo` and at every job start in `(lo, hi)`, the jobs covering that instant
/// can take distinct allowed desks.
fn hall_holds(jobs: &Jobs, lo: i64, hi: i64) -> bool {
    let n = jobs.len;
    let mut rows = [0 as DeskSet; MAX_JOBS];
    let mut owner = [NONE; MAX_DESKS];
    let mut check = |p: i64| {
        let mut m = 0;
        for j in 0..n {
            if jobs.start[j] <= p && p < jobs.end[j] {
                rows[m] = jobs.allowed[j];
                m += 1;
            }
        }
        let union = rows[..m].iter().fold(0, |set, r| set | r);
        m <= bits::count(union) as usize && perfect_matching(&rows[..m], &mut owner)
    };
    if !check(lo) {
        return false;
    }
    (0..n).all(|j| {
        let p = jobs.start[j];
        p <= lo || p >= hi || (j > 0 && jobs.start[j - 1] == p) || check(p)
    })
}

/// Searches a desk per job; on [`Verdict::Yes`], `assign[i]` is job `i`'s desk. With
/// `focus = Some((lo, hi))` the Hall check runs at the instants of `[lo, hi)` first.
pub(crate) fn solve(
    jobs: &Jobs,
    focus: Option<(i64, i64)>,
    budget: u32,
    assign: &mut [u8; MAX_JOBS],
) -> Verdict {
    let n = jobs.len;
    if (1..n).any(|i| jobs.start[i] < jobs.start[i - 1]) {
        return Verdict::GaveUp; // caller bug: claim nothing
    }
    if let Some((lo, hi)) = focus
        && !hall_holds(jobs, lo, hi)
    {
        return Verdict::No;
    }
    let union = jobs.allowed[..n].iter().fold(0, |set, a| set | a);
    // Small offices get small tables (less to clear on every call).
    if union >> SMALL == 0 {
        search::<SMALL>(jobs, union, budget, assign)
    } else {
        search::<MAX_DESKS>(jobs, union, budget, assign)
    }
}

/// Offices whose desks all have an index below this use tables of this size.
const SMALL: usize = 32;

/// The depth-first search; every desk of `union` has an index below `N`.
fn search<const N: usize>(
    jobs: &Jobs,
    union: DeskSet,
    budget: u32,
    assign: &mut [u8; MAX_JOBS],
) -> Verdict {
    let n = jobs.len;
    // A desk's class: its lowest desk with the same set of jobs allowing it.
    let mut signature = [0u64; N];
    for j in 0..n {
        for d in bits::iter(jobs.allowed[j]) {
            signature[d] |= 1 << j;
        }
    }
    let mut class = [0u8; N];
    let mut seen: DeskSet = 0;
    for d in bits::iter(union) {
        let rep = bits::iter(seen)
            .find(|&r| signature[r] == signature[d])
            .unwrap_or(d);
        class[d] = u8::try_from(rep).unwrap_or(NONE);
        seen |= bits::bit(d);
    }

    let mut memo = Memo::new(union);
    let mut release = [i64::MIN; N];
    let mut last = [NONE; N];
    let mut saved = [0i64; MAX_JOBS];
    let mut saved_last = [NONE; MAX_JOBS];
    let mut options = [0 as DeskSet; MAX_JOBS];
    let mut pref = [NONE; MAX_JOBS];
    let mut tried = [0 as DeskSet; MAX_JOBS];
    let mut nodes = 0u32;
    let open = |i: usize, release: &[i64; N], assign: &[u8; MAX_JOBS]| {
        let mut free = bits::iter(jobs.allowed[i])
            .filter(|&d| release[d] <= jobs.start[i])
            .fold(0, |set, d| set | bits::bit(d));
        if jobs.twin[i] {
            free &= bits::above(usize::from(assign[i - 1]));
        }
        free
    };
    if n == 0 {
        return Verdict::Yes;
    }
    let mut i = 0;
    options[0] = open(0, &release, assign);
    pref[0] = jobs.pref[0];
    tried[0] = 0;
    let mut key = [None; MAX_JOBS];
    loop {
        // The next desk for job i: its preferred one, then one per class, ascending.
        let mut next = None;
        let p = pref[i];
        if p != NONE {
            pref[i] = NONE;
            let pd = usize::from(p);
            if bits::has(options[i], pd) {
                options[i] &= !bits::bit(pd);
                tried[i] |= bits::bit(usize::from(class[pd]));
                next = Some(pd);
            }
        }
        while next.is_none() && options[i] != 0 {
            let d = options[i].trailing_zeros() as usize;
            options[i] &= options[i] - 1;
            let c = bits::bit(usize::from(class[d]));
            if tried[i] & c == 0 {
                tried[i] |= c;
                next = Some(d);
            }
        }
        match next {
            Some(d) => {
                nodes += 1;
                if nodes > budget {
                    return Verdict::GaveUp;
                }
                saved[i] = release[d];
                saved_last[i] = last[d];
                release[d] = jobs.end[i];
                last[d] = u8::try_from(i).unwrap_or(NONE);
                assign[i] = u8::try_from(d).unwrap_or(NONE);
                i += 1;
                if i == n {
                    return Verdict::Yes;
                }
                // The rest depends only on which desks are still taken (and, for a
                // twin, on the previous copy's desk): a state that failed fails again.
                key[i] = if jobs.twin[i] {
                    None
                } else {
                    memo.key(i, jobs, &release, &last)
                };
                options[i] = match key[i] {
                    Some(k) if memo.failed(k) => 0,
                    _ => open(i, &release, assign),
                };
                pref[i] = jobs.pref[i];
                tried[i] = 0;
            }
            None => {
                if let Some(k) = key[i] {
                    memo.record(k);
                }
                if i == 0 {
                    return Verdict::No;
                }
                i -= 1;
                let d = usize::from(assign[i]);
                release[d] = saved[i];
                last[d] = saved_last[i];
            }
        }
    }
}

/// States (a job about to be placed and the desks still taken at its start) that are
/// known to fail. Kept only while the jobs' desks fit in one `u128` key. The first few
/// live in an array scanned in place (most decisions fail a handful of states, and a hash
/// set's allocation and hashing cost more than the scan); the rest go to a set.
struct Memo {
    /// The desks of the key, ascending; empty when there are too many.
    desks: [u8; MEMO_DESKS],
    len: usize,
    recent: [u128; MEMO_INLINE],
    recent_len: usize,
    spilled: Option<HashSet<u128>>,
}

/// Failed states kept in the array before the set is allocated.
const MEMO_INLINE: usize = 16;

/// A key holds the job's index and, per desk, the job holding it (one byte each).
const MEMO_DESKS: usize = 15;

impl Memo {
    fn new(union: DeskSet) -> Self {
        let mut memo = Memo {
            desks: [0; MEMO_DESKS],
            len: 0,
            recent: [0; MEMO_INLINE],
            recent_len: 0,
            spilled: None,
        };
        if bits::count(union) as usize <= MEMO_DESKS {
            for d in bits::iter(union) {
                memo.desks[memo.len] = u8::try_from(d).unwrap_or(NONE);
                memo.len += 1;
            }
        }
        memo
    }

    /// The state before placing job `i`, or `None` when it does not fit a key.
    fn key(&self, i: usize, jobs: &Jobs, release: &[i64], last: &[u8]) -> Option<u128> {
        if self.len == 0 {
            return None;
        }
        let mut key = u128::try_from(i).ok()?;
        for &d in &self.desks[..self.len] {
            let d = usize::from(d);
            let holder = if release[d] <= jobs.start[i] {
                NONE
            } else {
                last[d]
            };
            key = (key << 8) | u128::from(holder);
        }
        Some(key)
    }

    fn failed(&self, key: u128) -> bool {
        self.recent[..self.recent_len].contains(&key)
            || self.spilled.as_ref().is_some_and(|set| set.contains(&key))
    }

    fn record(&mut self, key: u128) {
        if let Some(slot) = self.recent.get_mut(self.recent_len) {
            *slot = key;
            self.recent_len += 1;
        } else {
            self.spilled.get_or_insert_with(HashSet::new).insert(key);
        }
    }
}

#[cfg(test)]
mod tests;
