//! Exact search for a desk assignment: interval scheduling with desk eligibility.
//!
//! Given tasks (occupancies `[start, end)`, each with the set of desks it may use), find a
//! desk for every task so that no two tasks overlap on one desk, or prove there is none.
//! The problem is NP-complete in general; offices are small, and the search is a small
//! constraint solver:
//!
//! - Propagation: every task keeps a domain of desks still possible. At every start
//!   instant the unplaced tasks covering it need distinct desks (an all-different
//!   constraint); a desk leaves a task's domain when no matching at some instant the task
//!   covers can give it that desk (Régin's filtering, on `u128` bitsets), until nothing
//!   changes. An empty domain or an instant without a complete matching is a failure.
//!   Placing a task removes its desk from every task it overlaps.
//! - Branching: the unplaced task with the fewest possible desks, nearest the new
//!   appointment on ties; it tries its preferred desk first (its current desk, so
//!   answers move few appointments), then its "near" desks (free in the current
//!   assignment, which ends a chain of moves), then the rest, in index order.
//! - Symmetry: desks allowed by exactly the same tasks and holding no placed task are
//!   interchangeable, so only one of them is tried; identical copies of the new
//!   appointment are placed in order on increasing desk indices.
//! - Every pruning is a sound consequence of the placements made, so exhausting the tree
//!   proves infeasibility; a node budget bounds the work.

mod matching;
mod solver;

use matching::NONE;
pub(crate) use matching::perfect_matching;
use solver::Solver;

use super::bits::{self, DeskSet, MAX_DESKS};

/// One occupancy to place.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) allowed: DeskSet,
    /// Tried first when possible (keeps appointments where they are).
    pub(crate) pref: Option<u8>,
    /// Tried next; must be empty for copies when there are several.
    pub(crate) near: DeskSet,
    /// A copy of the appointment being added; copies are identical and contiguous.
    pub(crate) copy: bool,
}

#[cfg(test)]
impl Task {
    /// A task with no desk preferred, as tests build them.
    pub(crate) fn bare(start: i64, end: i64, allowed: DeskSet, copy: bool) -> Task {
        Task {
            start,
            end,
            allowed,
            pref: None,
            near: 0,
            copy,
        }
    }
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A desk per task.
    Found(Vec<u8>),
    /// Proven: no valid assignment exists.
    Infeasible,
    /// The node budget ran out first.
    GaveUp,
}

/// Searches a desk per task.
///
/// `tasks` must be sorted by start (ties in any fixed order, copies contiguous). With
/// `root = Some((lo, hi))` the caller guarantees that the non-copy tasks alone have a
/// valid assignment and that every copy lies inside `[lo, hi)`: propagation then starts
/// from the instants in that range only (elsewhere nothing can be infeasible yet); `None`
/// starts from every instant. With a `budget` the search gives up after that many nodes.
pub(crate) fn solve(tasks: &[Task], root: Option<(i64, i64)>, budget: Option<u64>) -> Outcome {
    if tasks.is_empty() {
        return Outcome::Found(Vec::new());
    }
    if tasks.windows(2).any(|w| w[1].start < w[0].start) {
        return Outcome::GaveUp; // caller bug: never claim anything about such input
    }
    let (lo, hi) = root.unwrap_or((i64::MIN, i64::MAX));
    let focus = root.map_or(tasks[0].start, |(lo, _)| lo);
    let mut solver = Solver::new(tasks, focus, budget.unwrap_or(u64::MAX));
    for pi in 0..solver.points.len() {
        if solver.points[pi] >= lo && solver.points[pi] < hi {
            solver.enqueue(pi);
        }
    }
    if !solver.propagate() {
        return Outcome::Infeasible;
    }
    match solver.run() {
        Some(true) => Outcome::Found(solver.assign),
        Some(false) => Outcome::Infeasible,
        None => Outcome::GaveUp,
    }
}

/// Whether, at every task start in `[lo, hi)`, the tasks covering it can take distinct
/// allowed desks (necessary for any valid assignment; cheap).
pub(crate) fn hall_holds(tasks: &[Task], lo: i64, hi: i64) -> bool {
    let mut owner = [NONE; MAX_DESKS];
    let mut rows = Vec::new();
    let mut j = 0;
    while j < tasks.len() {
        let p = tasks[j].start;
        if p >= lo && p < hi {
            rows.clear();
            rows.extend(
                tasks[..]
                    .iter()
                    .take_while(|t| t.start <= p)
                    .filter(|t| t.end > p)
                    .map(|t| t.allowed),
            );
            let union = rows.iter().fold(0, |set, r| set | r);
            if rows.len() > bits::count(union) as usize || !perfect_matching(&rows, &mut owner) {
                return false;
            }
        }
        while j < tasks.len() && tasks[j].start == p {
            j += 1;
        }
    }
    true
}

/// Search nodes for the last search over a whole cluster, after the sweep's own budget:
/// about a quarter second. No start of the benchmark office's busy day gets this far; an
/// answer it cannot decide is counted as undecided (see `feasibility`).
pub(crate) const EXACT_BUDGET: u64 = 20_000;

#[cfg(test)]
pub(super) mod tests;
