//! The staged exact search, cheapest stage first (see the parent module): the per-instant
//! matching check, chains of moves, growing windows, then the whole cluster. Used when
//! the small-cluster search gives up.

use super::super::bits::{self, DeskSet};
use super::super::ejection::{self, Piece};
use super::super::index::Index;
use super::super::search::{self, EXACT_BUDGET, Outcome, Task};
use super::super::sweep;
use super::hint::Proof;
use super::{Probe, Solution};

/// The second window reaches this far (seconds) on each side of the new occupancy (the
/// first is the occupancy itself); each next one twice as far.
const WINDOW_STEP: i64 = 30 * 60;

/// Placements the time sweep over a whole cluster may try.
const SWEEP_BUDGET: u64 = 50_000;

/// Search nodes a window with the rest of the cluster held may use (per task, plus a
/// base) before the window is widened: its "no" proves nothing, and on the benchmark
/// office its "yes" answers come with next to no backtracking while its failures ran to
/// tens of milliseconds each under a larger budget. A wider window (in the end the whole
/// cluster, with large budgets) decides what this one cannot.
const HELD_BUDGET_PER_TASK: u64 = 2;
const HELD_BUDGET_BASE: u64 = 50;

/// Search nodes a relaxed window may use (per task, plus a base) to prove "no".
const RELAXED_BUDGET_PER_TASK: u64 = 20;
const RELAXED_BUDGET_BASE: u64 = 1000;

impl Index {
    /// An assignment with `k` copies at the probe, or `None` when there is none.
    pub(crate) fn solve_copies(&self, probe: &Probe, k: u32) -> Option<Solution> {
        self.solve_from(probe, k, None, None)
            .map(|solution| self.settle(probe, solution))
    }

    /// [`Index::solve_copies`] without moving appointments home afterwards (a capacity
    /// needs only the yes or no), trying chains of moves from `warm` first: desks of the
    /// cluster's items in a valid assignment found for a nearby question (see `Hint`).
    /// `proof` carries a relaxation proven infeasible for an earlier start of the walk;
    /// a new one replaces it.
    pub(super) fn solve_from(
        &self,
        probe: &Probe,
        k: u32,
        warm: Option<&[u8]>,
        proof: Option<&mut Option<Proof>>,
    ) -> Option<Solution> {
        match self.decide(probe, k, warm, proof) {
            Decision::Yes(solution) => Some(solution),
            Decision::No => None,
            Decision::Unknown => {
                self.undecided.bump();
                None
            }
        }
    }

    /// Cheap answers first, then searches that prove more and cost more.
    fn decide(
        &self,
        probe: &Probe,
        k: u32,
        warm: Option<&[u8]>,
        mut proof: Option<&mut Option<Proof>>,
    ) -> Decision {
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
        // A relaxation proven infeasible for an earlier start that this question contains.
        if proof
            .as_deref()
            .and_then(Option::as_ref)
            .is_some_and(|p| p.covers(probe, k))
        {
            return Decision::No;
        }
        // Chains from an assignment found for a nearby start are usually a move or two
        // long; from the baseline they may need many more.
        let baseline = &self.baseline[probe.lo..probe.hi];
        if let Some(solution) = warm.and_then(|d| self.eject(probe, k, d, ejection::WARM_BUDGET)) {
            return Decision::Yes(solution);
        }
        if let Some(solution) = self.eject(probe, k, baseline, ejection::NODE_BUDGET) {
            return Decision::Yes(solution);
        }
        // Windows growing around the new occupancy. Those with the rest of the cluster
        // held on its baseline desks prove "yes"; the same items relaxed (everything
        // outside dropped) prove "no". The per-instant check above has already proven
        // nearly every "no" that is coming, so what reaches here is mostly a "yes": every
        // held window is tried before any relaxed one, which otherwise costs tens of
        // milliseconds per start only to find its relaxation feasible.
        let windows = self.windows(probe);
        for (reach, window) in &windows {
            if *reach > 0 {
                let (tasks, origin) = self.tasks(probe, k, window);
                let n = window.len() as u64;
                let budget = HELD_BUDGET_PER_TASK * n + HELD_BUDGET_BASE;
                if let Some(solution) = self.run(&tasks, origin, root, Some(budget)) {
                    return Decision::Yes(solution);
                }
            }
        }
        for (reach, window) in &windows {
            let (from, to) = (
                probe.t.saturating_sub(*reach),
                probe.end.saturating_add(*reach),
            );
            let relaxed = self.relaxed_tasks(probe, k, window, from, to);
            let n = window.len() as u64;
            let budget = RELAXED_BUDGET_PER_TASK * n + RELAXED_BUDGET_BASE;
            if search::solve(&relaxed, root, Some(budget)) == Outcome::Infeasible {
                if let Some(slot) = proof.as_deref_mut() {
                    *slot = shifted_proof(probe, k, &relaxed, budget);
                }
                return Decision::No;
            }
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

    /// The windows around the probe, narrowest first: the reach on each side of the new
    /// occupancy (0, then [`WINDOW_STEP`], doubling) and the cluster items overlapping the
    /// widened span. One per distinct set of items; none as large as the whole cluster.
    fn windows(&self, probe: &Probe) -> Vec<(i64, Vec<usize>)> {
        let cluster = probe.lo..probe.hi;
        let mut windows: Vec<(i64, Vec<usize>)> = Vec::new();
        let mut reach = 0;
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
                return windows;
            }
            if windows.last().is_none_or(|(_, w)| w.len() != window.len()) {
                windows.push((reach, window));
            }
            reach = if reach == 0 {
                WINDOW_STEP
            } else {
                reach.saturating_mul(2)
            };
        }
    }

    /// Chains of moves from `desks` (the cluster items' desks in a valid assignment:
    /// the baseline's or a nearby answer's), fewest moves first.
    fn eject(&self, probe: &Probe, k: u32, desks: &[u8], budget: u64) -> Option<Solution> {
        if desks.len() != probe.hi - probe.lo {
            return None;
        }
        let mut pieces: Vec<Piece> = (probe.lo..probe.hi)
            .zip(desks)
            .map(|(x, &d)| Piece {
                start: self.items[x].start,
                end: self.items[x].end,
                allowed: self.items[x].allowed,
                desk: Some(d),
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
        let desks = ejection::place(&pieces, budget)?;
        let n = probe.hi - probe.lo;
        Some(Solution {
            copies: desks[n..].to_vec(),
            items: (probe.lo..probe.hi).zip(desks).collect(),
        })
    }

    /// Puts moved appointments back on their baseline desk wherever that desk is free
    /// in the solution, until nothing changes: searches may move more than needed.
    pub(super) fn settle(&self, probe: &Probe, mut solution: Solution) -> Solution {
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

/// How far (seconds) the copies of a relaxation proven infeasible are cut short from the
/// start, longest first, to try and prove the next starts of a walk "no" at once (on the
/// usual 5-minute grids, the next two starts or the next one).
const PROOF_SHIFTS: [i64; 2] = [600, 300];

/// After `relaxed` (a relaxation for `k` copies at the probe) was proven infeasible: the
/// same relaxation with the copies starting up to [`PROOF_SHIFTS`] later, when that one
/// is proven infeasible too (within `budget`). Shortening the copies drops constraints,
/// so it is still a relaxation of the probe's problem, and of any later start's whose
/// copies cover the shortened span (see [`Proof`]).
pub(super) fn shifted_proof(probe: &Probe, k: u32, relaxed: &[Task], budget: u64) -> Option<Proof> {
    for shift in PROOF_SHIFTS {
        let start = probe.t.saturating_add(shift);
        if start >= probe.end {
            continue;
        }
        let mut tasks = relaxed.to_vec();
        for task in tasks.iter_mut().filter(|t| t.copy) {
            task.start = start;
        }
        tasks.sort_by_key(|t| (t.start, t.end, t.allowed, t.copy));
        let root = Some((start, probe.end));
        if search::solve(&tasks, root, Some(budget)) == Outcome::Infeasible {
            return Some(Proof {
                k,
                start,
                end: probe.end,
                allowed: probe.allowed,
            });
        }
    }
    None
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
