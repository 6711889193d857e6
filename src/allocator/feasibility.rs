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
//!   "yes" answers; then windows growing around `t`: the items in a window with the rest
//!   of the cluster held on its baseline desks (a found assignment is valid: "yes"), and
//!   the same items clipped to the window with everything outside dropped (a relaxation:
//!   its infeasibility proves "no"). Finally the whole cluster: the time sweep with
//!   memoized frontiers (`sweep`), then the constraint search without preferences, where
//!   exhausting the tree is a proof. Only if both run out of budget is the answer
//!   undecided: "no", counted in `Index::undecided`.
//! - Moves found by any search are then undone wherever the baseline desk is free.
//! - A touched component with no valid assignment at all makes the answer 0.

use chrono::NaiveDate;

use super::bits::{self, DeskSet};
use super::ejection::{self, Piece};
use super::index::{Index, ServiceInfo};
use super::quick::{self, Jobs, Verdict};
use super::search::{self, EXACT_BUDGET, Outcome, Task};
use super::sweep;
use super::walk::Desks;

/// The second window reaches this far (seconds) on each side of the new occupancy (the
/// first is the occupancy itself); each next one twice as far.
const WINDOW_STEP: i64 = 30 * 60;

/// Placements the time sweep over a whole cluster may try.
const SWEEP_BUDGET: u64 = 50_000;

/// Search nodes per task a window narrower than the whole cluster may use before the
/// window is widened (its answer would only be a heuristic "no" anyway).
const WINDOW_BUDGET_PER_TASK: u64 = 20;

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

/// The desks a "yes" of the small-cluster search gave a cluster's items, kept for the
/// next starts of a `slots` walk. Consecutive starts usually touch the same cluster, and
/// that assignment is valid whatever the new start (the items' desks, hours and fixed
/// occupancies do not depend on it), so every allowed desk it leaves free over the next
/// occupancy takes one more appointment there: a lower bound on that capacity, proven
/// without searching again.
///
/// It also keeps the last answer searched (a capacity, or for `days` 1 or 0) with what it
/// depended on ([`Instance`]): consecutive starts often pose the very same question,
/// answered then without searching.
#[derive(Debug)]
pub(crate) struct Hint {
    lo: usize,
    hi: usize,
    /// Desks of the items `lo..hi`; unused when `lo == hi`.
    desks: [u8; quick::MAX_JOBS],
    last: Option<Asked>,
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

impl Default for Hint {
    fn default() -> Self {
        Hint {
            lo: 0,
            hi: 0,
            desks: [0; quick::MAX_JOBS],
            last: None,
        }
    }
}

/// Everything a capacity depends on besides the index itself: two starts with equal
/// instances have equal capacities (the same items, conflicting with the new ones in the
/// same way, and the same desks for the new ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instance {
    allowed: DeskSet,
    lo: usize,
    hi: usize,
    /// Bit `x - lo` set when item `x` overlaps the new occupancy.
    overlapping: u64,
}

impl Hint {
    /// The answer at `t` when it poses the question last answered, known without
    /// probing: `t` is inside the stretch where that question stays the same.
    fn repeat(&self, t: i64, allowed: DeskSet) -> Option<u32> {
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
    fn keep(&mut self, index: &Index, probe: &Probe, k: u32, assign: &[u8; quick::MAX_JOBS]) {
        let items = &index.items[probe.lo..probe.hi];
        for (i, (item, slot)) in items.iter().zip(&mut self.desks).enumerate() {
            let job = if item.start >= probe.t {
                i + k as usize
            } else {
                i
            };
            match assign.get(job) {
                Some(&d) => *slot = d,
                None => {
                    (self.lo, self.hi) = (0, 0);
                    return;
                }
            }
        }
        (self.lo, self.hi) = (probe.lo, probe.hi);
    }

    /// How many allowed desks the kept assignment leaves free over the probe's
    /// occupancy; 0 when it was kept for another cluster.
    fn copies_at(&self, index: &Index, probe: &Probe) -> u32 {
        if self.lo == self.hi || (self.lo, self.hi) != (probe.lo, probe.hi) {
            return 0;
        }
        let mut taken: DeskSet = 0;
        for (item, &d) in index.items[self.lo..self.hi].iter().zip(&self.desks) {
            if item.start < probe.end && probe.t < item.end {
                taken |= bits::bit(usize::from(d));
            }
        }
        bits::count(probe.allowed & !taken)
    }
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
        self.remembered(&probe, hint, |_| u32::from(self.available(&probe))) > 0
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

    /// The answer to the probe's question: the hint's when it last answered the same
    /// question, else `work`'s, then kept in the hint for the next starts. An answer cut
    /// short by a search budget is not proven and is not kept.
    fn remembered(
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

    /// Whether `k` more fit at the probe: the small-cluster search when it decides, else
    /// the staged one.
    pub(crate) fn fits(&self, probe: &Probe, k: u32) -> bool {
        self.fits_hinted(probe, k, &mut Hint::default())
    }

    /// [`Index::fits`], keeping the small-cluster search's assignment in `hint` on "yes".
    fn fits_hinted(&self, probe: &Probe, k: u32, hint: &mut Hint) -> bool {
        let mut assign = [0; quick::MAX_JOBS];
        match self.quick(probe, k, &mut assign) {
            Verdict::Yes => {
                hint.keep(self, probe, k, &assign);
                true
            }
            Verdict::No => false,
            Verdict::GaveUp => self.solve_copies(probe, k).is_some(),
        }
    }

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

    /// Whether at least one more can start at the probe.
    pub(crate) fn available(&self, probe: &Probe) -> bool {
        probe.feasible && (probe.free != 0 || (self.copies_bound(probe) > 0 && self.fits(probe, 1)))
    }

    /// An assignment with `k` copies at the probe, or `None` when there is none.
    pub(crate) fn solve_copies(&self, probe: &Probe, k: u32) -> Option<Solution> {
        match self.decide(probe, k) {
            Decision::Yes(solution) => Some(self.settle(probe, solution)),
            Decision::No => None,
            Decision::Unknown => {
                self.undecided.bump();
                None
            }
        }
    }

    /// Cheap answers first, then searches that prove more and cost more.
    fn decide(&self, probe: &Probe, k: u32) -> Decision {
        if !probe.feasible || bits::count(probe.allowed) < k {
            return Decision::No;
        }
        let cluster = probe.lo..probe.hi;
        let root = Some((probe.t, probe.end));
        // Most "no" answers: at some instant the new ones cannot all get a desk. Only the
        // items overlapping the new occupancy cover its instants.
        let near: Vec<usize> = cluster
            .clone()
            .filter(|&x| self.items[x].start < probe.end && self.items[x].end > probe.t)
            .collect();
        let local = self.relaxed_tasks(probe, k, &near, probe.t, probe.end);
        if !search::hall_holds(&local, probe.t, probe.end) {
            return Decision::No;
        }
        if let Some(solution) = self.eject(probe, k) {
            return Decision::Yes(solution);
        }
        // Relaxed windows (everything outside dropped) prove "no"; windows with the rest
        // held on its baseline desks prove "yes". Both grow until one answers.
        let mut reach = 0;
        let mut last_size = usize::MAX;
        loop {
            let (from, to) = (
                probe.t.saturating_sub(reach),
                probe.end.saturating_add(reach),
            );
            let window: Vec<usize> = cluster
                .clone()
                .filter(|&x| self.items[x].start < to && self.items[x].end > from)
                .collect();
            if window.len() == cluster.len() {
                break;
            }
            if window.len() != last_size {
                last_size = window.len();
                let budget = WINDOW_BUDGET_PER_TASK * window.len() as u64 + 1000;
                if reach > 0 {
                    let (tasks, origin) = self.tasks(probe, k, &window);
                    if let Some(solution) = self.run(&tasks, origin, root, Some(budget)) {
                        return Decision::Yes(solution);
                    }
                }
                let relaxed = self.relaxed_tasks(probe, k, &window, from, to);
                if search::solve(&relaxed, root, Some(budget)) == Outcome::Infeasible {
                    return Decision::No;
                }
            }
            reach = if reach == 0 {
                WINDOW_STEP
            } else {
                reach.saturating_mul(2)
            };
        }
        // The whole cluster: first sweeping time with memoized frontiers, then the
        // constraint search with no preferences.
        let (tasks, origin) = self.tasks(probe, k, &cluster.collect::<Vec<_>>());
        match sweep::solve(&tasks, SWEEP_BUDGET) {
            Outcome::Found(desks) => return Decision::Yes(solution_of(&origin, desks)),
            Outcome::Infeasible => return Decision::No,
            Outcome::GaveUp => {}
        }
        // Preferences keep answers close to the baseline but can lead the search into
        // long dead ends; `settle` moves appointments home afterwards anyway.
        let plain: Vec<Task> = tasks
            .iter()
            .map(|t| Task {
                pref: None,
                near: 0,
                ..t.clone()
            })
            .collect();
        match search::solve(&plain, root, Some(EXACT_BUDGET)) {
            Outcome::Found(desks) => Decision::Yes(solution_of(&origin, desks)),
            Outcome::Infeasible => Decision::No,
            Outcome::GaveUp => Decision::Unknown,
        }
    }

    /// Chains of moves from the baseline, fewest moves first.
    fn eject(&self, probe: &Probe, k: u32) -> Option<Solution> {
        let mut pieces: Vec<Piece> = (probe.lo..probe.hi)
            .map(|x| Piece {
                start: self.items[x].start,
                end: self.items[x].end,
                allowed: self.items[x].allowed,
                desk: Some(self.baseline[x]),
            })
            .collect();
        for _ in 0..k {
            pieces.push(Piece {
                start: probe.t,
                end: probe.end,
                allowed: probe.allowed,
                desk: None,
            });
        }
        let desks = ejection::place(&pieces)?;
        let n = probe.hi - probe.lo;
        Some(Solution {
            copies: desks[n..].to_vec(),
            items: (probe.lo..probe.hi).zip(desks).collect(),
        })
    }

    /// Puts moved appointments back on their baseline desk wherever that desk is free
    /// in the solution, until nothing changes: searches may move more than needed.
    fn settle(&self, probe: &Probe, mut solution: Solution) -> Solution {
        let (lo, hi) = (probe.lo, probe.hi);
        let mut desk: Vec<u8> = self.baseline[lo..hi].to_vec();
        for &(x, d) in &solution.items {
            desk[x - lo] = d;
        }
        let clashes = |desk: &[u8], x: usize, d: u8| {
            let (s, e) = (self.items[x].start, self.items[x].end);
            let copies = solution.copies.contains(&d) && s < probe.end && probe.t < e;
            copies
                || (lo..hi).any(|y| {
                    y != x && desk[y - lo] == d && self.items[y].start < e && s < self.items[y].end
                })
        };
        loop {
            let mut changed = false;
            for x in lo..hi {
                let home = self.baseline[x];
                if desk[x - lo] != home && !clashes(&desk, x, home) {
                    desk[x - lo] = home;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        solution.items = (lo..hi).zip(desk).collect();
        solution
    }

    /// The search tasks for `k` copies with the `window` items movable and the rest of
    /// the cluster on its baseline, sorted by start; and where each task came from.
    fn tasks(&self, probe: &Probe, k: u32, window: &[usize]) -> (Vec<Task>, Vec<Option<usize>>) {
        let mut inside = vec![false; probe.hi - probe.lo];
        for &x in window {
            inside[x - probe.lo] = true;
        }
        let hull_start = window
            .iter()
            .map(|&x| self.items[x].start)
            .min()
            .unwrap_or(probe.t);
        let hull_end = window
            .iter()
            .map(|&x| self.items[x].end)
            .max()
            .unwrap_or(probe.end);
        // Baseline placements just outside the window block their desks for the items
        // inside that overlap them (never the copies: the window contains their span).
        let mut blocked: Vec<DeskSet> = vec![0; window.len()];
        for o in probe.lo..probe.hi {
            let item = &self.items[o];
            if inside[o - probe.lo] || item.end <= hull_start || item.start >= hull_end {
                continue;
            }
            let desk = bits::bit(usize::from(self.baseline[o]));
            for (slot, &x) in blocked.iter_mut().zip(window) {
                let w = &self.items[x];
                if w.start < item.end && item.start < w.end {
                    *slot |= desk;
                }
            }
        }
        let mut tasks: Vec<(Task, Option<usize>)> = window
            .iter()
            .zip(&blocked)
            .map(|(&x, &block)| {
                let item = &self.items[x];
                let allowed = item.allowed & !block;
                // Desks free in the baseline over the whole item end a chain of moves.
                let taken = bits::iter(allowed)
                    .filter(|&d| self.busy[d].overlaps(item.start, item.end))
                    .fold(0, |set, d| set | bits::bit(d));
                let task = Task {
                    start: item.start,
                    end: item.end,
                    allowed,
                    pref: Some(self.baseline[x]),
                    near: allowed & !taken,
                    copy: false,
                };
                (task, Some(x))
            })
            .collect();
        // A single new one first tries desks where it displaces only one appointment.
        let mut displaced = [0u8; bits::MAX_DESKS];
        for &x in window {
            let item = &self.items[x];
            if item.start < probe.end && probe.t < item.end {
                let d = usize::from(self.baseline[x]);
                displaced[d] = displaced[d].saturating_add(1);
            }
        }
        let near = if k == 1 {
            bits::iter(probe.allowed)
                .filter(|&d| displaced[d] <= 1)
                .fold(0, |set, d| set | bits::bit(d))
        } else {
            0 // identical copies take desks in index order (see `search`)
        };
        for _ in 0..k {
            let task = Task {
                start: probe.t,
                end: probe.end,
                allowed: probe.allowed,
                pref: None,
                near,
                copy: true,
            };
            tasks.push((task, None));
        }
        // Stable: copies stay contiguous after the existing items with the same span.
        tasks.sort_by_key(|(t, _)| (t.start, t.end, t.allowed, t.copy));
        tasks.into_iter().unzip()
    }

    /// The `window` items clipped to `[from, to)`, free to take any allowed desk, with
    /// `k` copies: everything outside the window is dropped, so this is a relaxation and
    /// its infeasibility proves the whole cluster's.
    fn relaxed_tasks(
        &self,
        probe: &Probe,
        k: u32,
        window: &[usize],
        from: i64,
        to: i64,
    ) -> Vec<Task> {
        let mut tasks: Vec<Task> = window
            .iter()
            .map(|&x| {
                let item = &self.items[x];
                Task {
                    start: item.start.max(from),
                    end: item.end.min(to),
                    allowed: item.allowed,
                    pref: None,
                    near: 0,
                    copy: false,
                }
            })
            .collect();
        tasks.extend((0..k).map(|_| Task {
            start: probe.t,
            end: probe.end,
            allowed: probe.allowed,
            pref: None,
            near: 0,
            copy: true,
        }));
        tasks.sort_by_key(|t| (t.start, t.end, t.allowed, t.copy));
        tasks
    }

    fn run(
        &self,
        tasks: &[Task],
        origin: Vec<Option<usize>>,
        root: Option<(i64, i64)>,
        budget: Option<u64>,
    ) -> Option<Solution> {
        match search::solve(tasks, root, budget) {
            Outcome::Found(desks) => Some(solution_of(&origin, desks)),
            Outcome::Infeasible | Outcome::GaveUp => None,
        }
    }
}

/// Splits a search's desks into the copies' and the items'.
fn solution_of(origin: &[Option<usize>], desks: Vec<u8>) -> Solution {
    let mut solution = Solution {
        copies: Vec::new(),
        items: Vec::new(),
    };
    for (&from, desk) in origin.iter().zip(desks) {
        match from {
            Some(x) => solution.items.push((x, desk)),
            None => solution.copies.push(desk),
        }
    }
    solution
}

/// What the staged search concluded.
enum Decision {
    Yes(Solution),
    No,
    /// Every search ran out of budget.
    Unknown,
}
