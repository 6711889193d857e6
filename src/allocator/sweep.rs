//! Exact search for a desk assignment that sweeps time from left to right.
//!
//! Tasks (occupancies with their allowed desks) are placed in order of start. When every
//! task starting before an instant `p` has a desk, the rest of the problem depends only on
//! when each desk becomes free again (its *release*): a desk whose release is at or before
//! `p` is simply free. So the search state at `p` is the vector of releases, and:
//!
//! - **Memoization**: a state that failed once fails again, however it was reached (many
//!   different pasts lead to the same frontier). Failed states are remembered per instant,
//!   so the search never explores one frontier twice.
//! - **Symmetry**: desks that every task allows alike (same skills, hours and fixed
//!   occupancies as far as these tasks are concerned) and that are both free are
//!   interchangeable, so a task tries one desk per such class; releases within a class are
//!   compared as a sorted list. Identical copies of the new appointment take increasing
//!   desks.
//! - **Look-ahead**: before branching at `p`, every instant up to the latest release must
//!   still let the tasks covering it take distinct desks that are free from their start (a
//!   bipartite matching; a relaxation, so a failure is a proof).
//!
//! Every pruning is sound, so exhausting the tree proves infeasibility. The memo makes
//! the work grow with the number of distinct frontiers rather than with the number of
//! pasts; a node budget still bounds it (see [`super::feasibility`] for what a caller
//! does when it runs out).

use std::collections::HashSet;

use super::bits::{self, DeskSet, MAX_DESKS};
use super::search::{Outcome, Task, perfect_matching};

/// Searches a desk per task, at most `budget` placements. `tasks` must be sorted by start
/// with identical copies contiguous.
pub(crate) fn solve(tasks: &[Task], budget: u64) -> Outcome {
    if tasks.windows(2).any(|w| w[1].start < w[0].start) {
        return Outcome::GaveUp; // caller bug: never claim anything about such input
    }
    let mut sweep = Sweep::new(tasks);
    if !sweep.static_hall() {
        return Outcome::Infeasible;
    }
    sweep.run(budget)
}

struct Frame {
    task: usize,
    /// Desks still to try (the preferred one is tried first, separately).
    rest: DeskSet,
    pref: Option<u8>,
    /// Classes already tried at this node.
    tried: u128,
    /// The desk currently chosen and its release before.
    chosen: Option<(u8, i64)>,
    /// The frontier this node starts (first task of an instant): remembered on failure.
    key: Option<(u32, Vec<i64>)>,
}

struct Sweep<'a> {
    tasks: &'a [Task],
    /// Distinct starts, ascending, and the index of each task's start among them.
    points: Vec<i64>,
    point_of: Vec<u32>,
    twin: Vec<bool>,
    /// Tasks covering each point.
    cover: Vec<Vec<u32>>,
    in_play: DeskSet,
    class: [u8; MAX_DESKS],
    /// Desks of each class, ascending; classes numbered by their lowest desk.
    members: Vec<Vec<u8>>,
    release: [i64; MAX_DESKS],
    assign: Vec<u8>,
    failed: HashSet<(u32, Vec<i64>)>,
    rows: Vec<DeskSet>,
    owner: [u8; MAX_DESKS],
}

const NONE: u8 = u8::MAX;

impl<'a> Sweep<'a> {
    fn new(tasks: &'a [Task]) -> Self {
        let mut points: Vec<i64> = tasks.iter().map(|t| t.start).collect();
        points.dedup();
        let mut cover: Vec<Vec<u32>> = vec![Vec::new(); points.len()];
        let mut point_of = Vec::with_capacity(tasks.len());
        for (j, task) in tasks.iter().enumerate() {
            let a = points.partition_point(|&p| p < task.start);
            let b = points.partition_point(|&p| p < task.end);
            for list in &mut cover[a..b] {
                list.push(u32::try_from(j).unwrap_or(u32::MAX));
            }
            point_of.push(u32::try_from(a).unwrap_or(u32::MAX));
        }
        let in_play = tasks.iter().fold(0, |set, t| set | t.allowed);
        // A desk's class: the exact set of tasks that allow it.
        let words = tasks.len().div_ceil(64);
        let mut signature: Vec<Vec<u64>> = vec![Vec::new(); MAX_DESKS];
        for d in bits::iter(in_play) {
            signature[d] = vec![0; words];
        }
        for (j, task) in tasks.iter().enumerate() {
            for d in bits::iter(task.allowed) {
                signature[d][j / 64] |= 1 << (j % 64);
            }
        }
        let mut class = [NONE; MAX_DESKS];
        let mut members: Vec<Vec<u8>> = Vec::new();
        let mut reps: Vec<usize> = Vec::new();
        for d in bits::iter(in_play) {
            let c = match reps.iter().position(|&r| signature[r] == signature[d]) {
                Some(c) => c,
                None => {
                    reps.push(d);
                    members.push(Vec::new());
                    reps.len() - 1
                }
            };
            class[d] = u8::try_from(c).unwrap_or(NONE);
            members[c].push(u8::try_from(d).unwrap_or(NONE));
        }
        Sweep {
            tasks,
            points,
            point_of,
            twin: twins(tasks),
            cover,
            in_play,
            class,
            members,
            release: [i64::MIN; MAX_DESKS],
            assign: vec![0; tasks.len()],
            failed: HashSet::new(),
            rows: Vec::new(),
            owner: [NONE; MAX_DESKS],
        }
    }

    /// Every instant lets the tasks covering it take distinct allowed desks.
    fn static_hall(&mut self) -> bool {
        (0..self.points.len()).all(|q| {
            self.rows.clear();
            for &j in &self.cover[q] {
                self.rows.push(self.tasks[j as usize].allowed);
            }
            matchable(&self.rows, &mut self.owner)
        })
    }

    /// Before placing the tasks starting at point `pi`: every later instant that a placed
    /// task still blocks lets its tasks take distinct desks free from their start.
    fn look_ahead(&mut self, pi: usize) -> bool {
        let p = self.points[pi];
        let horizon = bits::iter(self.in_play)
            .map(|d| self.release[d])
            .max()
            .unwrap_or(i64::MIN);
        for q in pi..self.points.len() {
            if self.points[q] >= horizon {
                break;
            }
            self.rows.clear();
            for &j in &self.cover[q] {
                let task = &self.tasks[j as usize];
                if task.start < p {
                    continue; // placed
                }
                let free = bits::iter(task.allowed)
                    .filter(|&d| self.release[d] <= task.start)
                    .fold(0, |set, d| set | bits::bit(d));
                self.rows.push(free);
            }
            if !matchable(&self.rows, &mut self.owner) {
                return false;
            }
        }
        true
    }

    /// The frontier at point `pi`: releases still in the future, sorted within classes.
    fn key(&self, pi: usize) -> (u32, Vec<i64>) {
        let p = self.points[pi];
        let mut key = Vec::with_capacity(bits::count(self.in_play) as usize);
        for desks in &self.members {
            let from = key.len();
            key.extend(desks.iter().map(|&d| self.release[usize::from(d)].max(p)));
            key[from..].sort_unstable();
        }
        (u32::try_from(pi).unwrap_or(u32::MAX), key)
    }

    fn frame(&mut self, i: usize) -> Option<Frame> {
        let task = &self.tasks[i];
        let pi = self.point_of[i] as usize;
        let first = i == 0 || self.tasks[i - 1].start != task.start;
        let mut key = None;
        if first {
            let k = self.key(pi);
            if self.failed.contains(&k) {
                return None;
            }
            if !self.look_ahead(pi) {
                self.failed.insert(k);
                return None;
            }
            key = Some(k);
        }
        let mut rest = bits::iter(task.allowed)
            .filter(|&d| self.release[d] <= task.start)
            .fold(0, |set, d| set | bits::bit(d));
        if self.twin[i] {
            rest &= bits::above(usize::from(self.assign[i - 1]));
        }
        // In a run of twins each class is represented by its lowest free desk, so that
        // increasing desks lose no solution: no preference there.
        let in_run = self.twin[i] || self.twin.get(i + 1).copied().unwrap_or(false);
        let pref = task
            .pref
            .filter(|&d| !in_run && bits::has(rest, usize::from(d)));
        Some(Frame {
            task: i,
            rest,
            pref,
            tried: 0,
            chosen: None,
            key,
        })
    }

    fn run(&mut self, budget: u64) -> Outcome {
        let mut stack: Vec<Frame> = Vec::new();
        let mut nodes = 0u64;
        let mut descend = true;
        loop {
            if descend {
                let i = stack.len();
                if i == self.tasks.len() {
                    return Outcome::Found(std::mem::take(&mut self.assign));
                }
                match self.frame(i) {
                    Some(frame) => stack.push(frame),
                    None => {
                        descend = false;
                        continue;
                    }
                }
            }
            let Some(frame) = stack.last_mut() else {
                return Outcome::Infeasible;
            };
            if let Some((d, before)) = frame.chosen.take() {
                self.release[usize::from(d)] = before;
            }
            match next_desk(frame, &self.class) {
                Some(d) => {
                    nodes += 1;
                    if nodes > budget {
                        return Outcome::GaveUp;
                    }
                    let dix = usize::from(d);
                    let task = frame.task;
                    frame.chosen = Some((d, self.release[dix]));
                    self.release[dix] = self.tasks[task].end;
                    self.assign[task] = d;
                    descend = true;
                }
                None => {
                    if let Some(key) = frame.key.take() {
                        self.failed.insert(key);
                    }
                    stack.pop();
                    descend = false;
                }
            }
        }
    }
}

/// The preferred desk first, then the rest ascending; one desk per class (all candidate
/// desks are free, so desks of one class are interchangeable).
fn next_desk(frame: &mut Frame, class: &[u8; MAX_DESKS]) -> Option<u8> {
    let mut take = |d: usize| -> bool {
        let c = bits::bit(usize::from(class[d]));
        let fresh = frame.tried & c == 0;
        frame.tried |= c;
        fresh
    };
    if let Some(d) = frame.pref.take() {
        frame.rest &= !bits::bit(usize::from(d));
        take(usize::from(d));
        return Some(d);
    }
    while frame.rest != 0 {
        let d = frame.rest.trailing_zeros() as usize;
        frame.rest &= frame.rest - 1;
        if take(d) {
            return u8::try_from(d).ok();
        }
    }
    None
}

/// `twins(tasks)[i]`: task `i` has the same span and allowed desks as task `i - 1`. Such
/// tasks are interchangeable, so the sweep places them in order on increasing desks.
pub(crate) fn twins(tasks: &[Task]) -> Vec<bool> {
    let mut twin = vec![false; tasks.len()];
    for i in 1..tasks.len() {
        let (a, b) = (&tasks[i - 1], &tasks[i]);
        twin[i] = a.start == b.start && a.end == b.end && a.allowed == b.allowed;
    }
    twin
}

/// Whether the rows (desk sets) can take distinct desks.
fn matchable(rows: &[DeskSet], owner: &mut [u8; MAX_DESKS]) -> bool {
    let union = rows.iter().fold(0, |set, r| set | r);
    rows.len() <= bits::count(union) as usize && perfect_matching(rows, owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocator::search::tests::brute;

    fn valid(tasks: &[Task], desks: &[u8]) -> bool {
        tasks.iter().zip(desks).enumerate().all(|(i, (t, &d))| {
            bits::has(t.allowed, usize::from(d))
                && tasks
                    .iter()
                    .zip(desks)
                    .enumerate()
                    .all(|(j, (u, &e))| i == j || d != e || u.end <= t.start || t.end <= u.start)
        })
    }

    #[test]
    fn twins_with_a_preferred_desk_keep_every_solution() {
        // Desks 0 and 2 are alike; both twins prefer desk 2.
        let task = |pref| Task {
            start: 0,
            end: 10,
            allowed: 0b101,
            pref: Some(pref),
            near: 0,
            copy: false,
        };
        let tasks = vec![task(2), task(2)];
        assert!(matches!(solve(&tasks, 100), Outcome::Found(_)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn sweep_agrees_with_backtracking(
            raw in proptest::collection::vec((0..16i64, 1..7i64, 1..64u128, 0..8u8), 0..15),
            copies in (0..12i64, 1..6i64, 1..64u128, 0..4usize),
            twins in 0..3usize,
        ) {
            let mut tasks: Vec<Task> = raw
                .iter()
                .map(|&(s, l, a, p)| Task { start: s, end: s + l, allowed: a, pref: Some(p), near: 0, copy: false })
                .collect();
            // Identical tasks, as a busy day has many.
            for j in 0..twins.min(tasks.len()) {
                let mut twin = tasks[j].clone();
                twin.pref = Some(5);
                tasks.push(twin);
            }
            let (cs, cl, ca, k) = copies;
            for _ in 0..k {
                tasks.push(Task { start: cs, end: cs + cl, allowed: ca, pref: None, near: 0, copy: true });
            }
            tasks.sort_by_key(|t| (t.start, t.end, t.allowed, t.copy));
            let expected = brute(&tasks, &mut Vec::new());
            let got = solve(&tasks, u64::MAX);
            proptest::prop_assert_eq!(matches!(got, Outcome::Found(_)), expected);
            if let Outcome::Found(desks) = got {
                proptest::prop_assert!(valid(&tasks, &desks));
            }
        }
    }
}
