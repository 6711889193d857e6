//! Exact search for a desk assignment: interval scheduling with desk eligibility.
//!
//! Given tasks (occupancies `[start, end)`, each with the set of desks it may use), find a
//! desk for every task so that no two tasks overlap on one desk, or prove there is none.
//! The problem is NP-complete in general; offices are small, and the search is exact:
//!
//! - Tasks are taken in start order; a desk is free for a task iff the last task put on
//!   it has ended, so the state is one "busy until" instant per desk.
//! - Each task tries its preferred desk first (its current desk, so answers move few
//!   appointments), then its "near" desks (free in the current assignment, which ends a
//!   chain of moves), then the other free allowed desks, each group in index order.
//! - Interchangeable desks (allowed by exactly the same tasks) that are both free lead to
//!   mirror-image subtrees: only one of them is tried. Identical copies of the new
//!   appointment take desks in increasing index order.
//! - A failed state is remembered by its canonical form: task index plus the multiset of
//!   (desk class, busy-until) of the desks that still matter; desks busy past every later
//!   task that could use them count as "busy forever".
//! - Hall pruning: at every start instant `p`, the remaining tasks covering `p` must be
//!   matchable to distinct desks free at `p` (bipartite matching on bitsets). The root
//!   checks the instants it is told to (or all); after each step only the instants the
//!   step can have made worse are re-checked, which keeps the check exact as an invariant.

use std::collections::HashSet;

use super::bits::{self, DeskSet, MAX_DESKS};

/// One occupancy to place.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) allowed: DeskSet,
    /// Tried first when free (keeps appointments where they are).
    pub(crate) pref: Option<u8>,
    /// Tried next; must be empty for copies when there are several.
    pub(crate) near: DeskSet,
    /// A copy of the appointment being added; copies are identical and contiguous.
    pub(crate) copy: bool,
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
/// valid assignment and that every copy lies inside `[lo, hi)`, so the root Hall check
/// only needs the instants in that range; `None` checks every instant. With a `budget`
/// the search gives up after that many nodes.
pub(crate) fn solve(tasks: &[Task], root: Option<(i64, i64)>, budget: Option<u64>) -> Outcome {
    if tasks.is_empty() {
        return Outcome::Found(Vec::new());
    }
    if tasks.windows(2).any(|w| w[1].start < w[0].start) {
        return Outcome::GaveUp; // caller bug: never claim anything about such input
    }
    let mut solver = Solver::new(tasks, budget.unwrap_or(u64::MAX));
    let (lo, hi) = root.unwrap_or((i64::MIN, i64::MAX));
    let mut j = 0;
    while j < tasks.len() {
        let p = solver.starts[j];
        if p >= lo && p < hi && !solver.hall(0, p) {
            return Outcome::Infeasible;
        }
        while j < tasks.len() && solver.starts[j] == p {
            j += 1;
        }
    }
    let ok = solver.run();
    if std::env::var("ALLOC_TRACE").is_ok() {
        eprintln!(
            "  solve n={} nodes={} memo={} ok={} budget={}",
            tasks.len(),
            solver.nodes,
            solver.memo.len(),
            ok,
            solver.budget
        );
    }
    match ok {
        true => Outcome::Found(solver.assign),
        false if solver.nodes > solver.budget => Outcome::GaveUp,
        false => Outcome::Infeasible,
    }
}

/// Whether the per-instant matching condition holds at the task starts in `[lo, hi)`
/// (necessary for any valid assignment).
pub(crate) fn hall_holds(tasks: &[Task], lo: i64, hi: i64) -> bool {
    let mut solver = Solver::new(tasks, 0);
    let mut j = 0;
    while j < tasks.len() {
        let p = solver.starts[j];
        if p >= lo && p < hi && !solver.hall(0, p) {
            return false;
        }
        while j < tasks.len() && solver.starts[j] == p {
            j += 1;
        }
    }
    true
}

/// Failed states remembered at most; past this the memo starts over (slower, still exact).
const MEMO_CAP: usize = 100_000;

const NONE: u8 = u8::MAX;

/// Task index, then per relevant busy desk `class << 56 | busy-until offset` (sorted).
type MemoKey = (u32, Box<[u64]>);

#[derive(Debug)]
struct Frame {
    /// Candidate desks not tried yet, near ones first.
    near: DeskSet,
    rest: DeskSet,
    pref: Option<u8>,
    /// Desk classes already tried at this node.
    tried: u128,
    /// The desk currently chosen and its previous busy-until.
    chosen: Option<(u8, i64)>,
    key: Option<MemoKey>,
}

#[derive(Debug)]
struct Solver<'a> {
    tasks: &'a [Task],
    starts: Vec<i64>,
    in_play: DeskSet,
    class: [u8; MAX_DESKS],
    /// Latest start of a task that allows the desk.
    last_allow: [i64; MAX_DESKS],
    last_end: [i64; MAX_DESKS],
    assign: Vec<u8>,
    memo: HashSet<MemoKey>,
    adj: Vec<DeskSet>,
    owner: [u8; MAX_DESKS],
    nodes: u64,
    budget: u64,
}

impl<'a> Solver<'a> {
    fn new(tasks: &'a [Task], budget: u64) -> Self {
        let in_play = tasks.iter().fold(0, |set, t| set | t.allowed);
        let mut last_allow = [i64::MIN; MAX_DESKS];
        let words = tasks.len().div_ceil(64);
        let mut signature: Vec<Vec<u64>> = vec![Vec::new(); MAX_DESKS];
        for d in bits::iter(in_play) {
            signature[d] = vec![0; words];
        }
        for (j, task) in tasks.iter().enumerate() {
            for d in bits::iter(task.allowed) {
                last_allow[d] = last_allow[d].max(task.start);
                signature[d][j / 64] |= 1 << (j % 64);
            }
        }
        let mut class = [NONE; MAX_DESKS];
        let mut reps: Vec<usize> = Vec::new();
        for d in bits::iter(in_play) {
            let found = reps.iter().position(|&r| signature[r] == signature[d]);
            let c = found.unwrap_or_else(|| {
                reps.push(d);
                reps.len() - 1
            });
            class[d] = u8::try_from(c).unwrap_or(NONE);
        }
        Solver {
            tasks,
            starts: tasks.iter().map(|t| t.start).collect(),
            in_play,
            class,
            last_allow,
            last_end: [i64::MIN; MAX_DESKS],
            assign: vec![0; tasks.len()],
            memo: HashSet::new(),
            adj: Vec::new(),
            owner: [NONE; MAX_DESKS],
            nodes: 0,
            budget,
        }
    }

    fn free_at(&self, p: i64) -> DeskSet {
        bits::iter(self.in_play)
            .filter(|&d| self.last_end[d] <= p)
            .fold(0, |set, d| set | bits::bit(d))
    }

    /// The tasks `from..` covering instant `p` can take distinct desks free at `p`.
    fn hall(&mut self, from: usize, p: i64) -> bool {
        let usable = self.free_at(p);
        let upto = from + self.starts[from..].partition_point(|&s| s <= p);
        self.adj.clear();
        for task in &self.tasks[from..upto] {
            if task.end > p {
                self.adj.push(task.allowed & usable);
            }
        }
        if self.adj.len() > bits::count(usable) as usize {
            return false;
        }
        perfect_matching(&self.adj, &mut self.owner)
    }

    fn memoizable(&self, i: usize) -> bool {
        !(self.tasks[i].copy && i > 0 && self.tasks[i - 1].copy)
    }

    fn key(&self, i: usize) -> MemoKey {
        // Unless "forever", a busy-until lies between `s` and the latest start: the
        // offset fits in 56 bits for every instant chrono can represent.
        const FOREVER: u64 = (1 << 56) - 1;
        let s = self.starts[i];
        let mut profile: Vec<u64> = bits::iter(self.in_play)
            .filter(|&d| self.last_allow[d] >= s && self.last_end[d] > s)
            .map(|d| {
                let e = self.last_end[d];
                let offset = if e > self.last_allow[d] {
                    FOREVER
                } else {
                    u64::try_from(e - s).unwrap_or(FOREVER).min(FOREVER - 1)
                };
                u64::from(self.class[d]) << 56 | offset
            })
            .collect();
        profile.sort_unstable();
        (
            u32::try_from(i).unwrap_or(u32::MAX),
            profile.into_boxed_slice(),
        )
    }

    fn remember(&mut self, key: MemoKey) {
        if self.memo.len() >= MEMO_CAP {
            self.memo.clear();
        }
        self.memo.insert(key);
    }

    /// Opens the node for task `i`, or `None` when it is known to fail.
    fn enter(&mut self, i: usize) -> Option<Frame> {
        self.nodes += 1;
        if self.nodes > self.budget {
            return None;
        }
        let key = if self.memoizable(i) {
            let key = self.key(i);
            if self.memo.contains(&key) {
                return None;
            }
            Some(key)
        } else {
            None
        };
        if i > 0 {
            // Only instants the previous step made busier can have lost their matching.
            let until = self.tasks[i - 1].end;
            let mut j = i;
            while j < self.tasks.len() && self.starts[j] < until {
                let p = self.starts[j];
                if !self.hall(i, p) {
                    if let Some(key) = key {
                        self.remember(key);
                    }
                    return None;
                }
                while j < self.tasks.len() && self.starts[j] == p {
                    j += 1;
                }
            }
        }
        let task = &self.tasks[i];
        let mut rest = task.allowed & self.free_at(task.start);
        if !self.memoizable(i) {
            rest &= bits::above(usize::from(self.assign[i - 1]));
        }
        let pref = task.pref.filter(|&d| bits::has(rest, usize::from(d)));
        Some(Frame {
            near: rest & task.near,
            rest: rest & !task.near,
            pref,
            tried: 0,
            chosen: None,
            key,
        })
    }

    fn run(&mut self) -> bool {
        let n = self.tasks.len();
        let mut stack: Vec<Frame> = Vec::with_capacity(n);
        match self.enter(0) {
            Some(frame) => stack.push(frame),
            None => return false,
        }
        loop {
            let i = stack.len() - 1;
            let Some(frame) = stack.last_mut() else {
                return false;
            };
            if let Some((d, saved)) = frame.chosen.take() {
                self.last_end[usize::from(d)] = saved;
            }
            match next_candidate(frame, &self.class) {
                Some(d) => {
                    let dix = usize::from(d);
                    frame.chosen = Some((d, self.last_end[dix]));
                    self.last_end[dix] = self.tasks[i].end;
                    self.assign[i] = d;
                    if i + 1 == n {
                        return true;
                    }
                    if let Some(child) = self.enter(i + 1) {
                        stack.push(child);
                    }
                }
                None => {
                    if let Some(Frame { key: Some(key), .. }) = stack.pop() {
                        self.remember(key);
                    }
                    if stack.is_empty() || self.nodes > self.budget {
                        return false;
                    }
                }
            }
        }
    }
}

/// The next desk to try: the preferred one, then near ones, then the rest (ascending
/// within each), one per desk class.
fn next_candidate(frame: &mut Frame, class: &[u8; MAX_DESKS]) -> Option<u8> {
    if let Some(d) = frame.pref.take() {
        frame.near &= !bits::bit(usize::from(d));
        frame.rest &= !bits::bit(usize::from(d));
        frame.tried |= bits::bit(usize::from(class[usize::from(d)]));
        return Some(d);
    }
    loop {
        let tier = if frame.near != 0 {
            &mut frame.near
        } else if frame.rest != 0 {
            &mut frame.rest
        } else {
            return None;
        };
        let d = tier.trailing_zeros() as usize;
        *tier &= *tier - 1;
        let c = bits::bit(usize::from(class[d]));
        if frame.tried & c != 0 {
            continue;
        }
        frame.tried |= c;
        return u8::try_from(d).ok();
    }
}

/// Whether every row of `adj` (a set of desks) can take a distinct desk (Kuhn's
/// augmenting paths; at most [`MAX_DESKS`] rows).
fn perfect_matching(adj: &[DeskSet], owner: &mut [u8; MAX_DESKS]) -> bool {
    owner.fill(NONE);
    let mut taken: DeskSet = 0;
    for x in 0..adj.len() {
        let mut visited = 0;
        if !augment(x, adj, owner, &mut visited, &mut taken) {
            return false;
        }
    }
    true
}

fn augment(
    x: usize,
    adj: &[DeskSet],
    owner: &mut [u8; MAX_DESKS],
    visited: &mut DeskSet,
    taken: &mut DeskSet,
) -> bool {
    let Ok(row) = u8::try_from(x) else {
        return false;
    };
    let options = adj[x] & !*visited;
    let free = options & !*taken;
    if free != 0 {
        let d = free.trailing_zeros() as usize;
        owner[d] = row;
        *taken |= bits::bit(d);
        *visited |= bits::bit(d);
        return true;
    }
    let mut m = options;
    while m != 0 {
        let d = m.trailing_zeros() as usize;
        *visited |= bits::bit(d);
        if augment(usize::from(owner[d]), adj, owner, visited, taken) {
            owner[d] = row;
            return true;
        }
        m &= !*visited;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(start: i64, end: i64, allowed: DeskSet) -> Task {
        Task {
            start,
            end,
            allowed,
            pref: None,
            near: 0,
            copy: false,
        }
    }

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
    fn chain_needs_backtracking_beyond_one_instant() {
        // Desk 0 serves everything, desk 1 only "a" tasks. The long a-task must take desk
        // 1 although desk 0 is free when it starts.
        let tasks = vec![task(0, 100, 0b11), task(10, 20, 0b01), task(30, 40, 0b01)];
        let Outcome::Found(desks) = solve(&tasks, None, None) else {
            panic!("feasible")
        };
        assert!(valid(&tasks, &desks));
        assert_eq!(desks[0], 1);
    }

    #[test]
    fn proves_infeasible() {
        let tasks = vec![task(0, 10, 0b01), task(5, 15, 0b01)];
        assert_eq!(solve(&tasks, None, None), Outcome::Infeasible);
        let tasks = vec![
            task(0, 10, 0b11),
            task(0, 10, 0b11),
            task(5, 8, 0b110),
            task(9, 12, 0b100),
        ];
        assert!(matches!(solve(&tasks, None, None), Outcome::Found(_)));
    }

    /// Plain backtracking over every desk for every task.
    fn brute(tasks: &[Task], desks: &mut Vec<u8>) -> bool {
        let i = desks.len();
        if i == tasks.len() {
            return true;
        }
        for d in bits::iter(tasks[i].allowed) {
            let d = d as u8;
            let clash = (0..i).any(|j| {
                desks[j] == d && tasks[j].start < tasks[i].end && tasks[i].start < tasks[j].end
            });
            if !clash {
                desks.push(d);
                if brute(tasks, desks) {
                    return true;
                }
                desks.pop();
            }
        }
        false
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn search_agrees_with_backtracking(
            raw in proptest::collection::vec((0..16i64, 1..7i64, 1..256u128, 0..8u8), 0..15),
            copies in (0..12i64, 1..6i64, 1..256u128, 0..4usize),
        ) {
            let mut tasks: Vec<Task> = raw
                .iter()
                .map(|&(s, l, a, p)| Task { start: s, end: s + l, allowed: a, pref: Some(p), near: a & 0b1010, copy: false })
                .collect();
            let (cs, cl, ca, k) = copies;
            for _ in 0..k {
                tasks.push(Task { start: cs, end: cs + cl, allowed: ca, pref: None, near: if k == 1 { ca & 0b0110 } else { 0 }, copy: true });
            }
            tasks.sort_by_key(|t| (t.start, t.end, t.copy));
            let expected = brute(&tasks, &mut Vec::new());
            let got = solve(&tasks, None, None);
            proptest::prop_assert_eq!(matches!(got, Outcome::Found(_)), expected);
            if let Outcome::Found(desks) = got {
                proptest::prop_assert!(valid(&tasks, &desks));
            }
        }
    }

    #[test]
    fn matching_handles_augmenting_paths() {
        let mut owner = [NONE; MAX_DESKS];
        assert!(perfect_matching(&[0b11, 0b01], &mut owner));
        assert!(perfect_matching(&[0b011, 0b110, 0b001], &mut owner));
        assert!(!perfect_matching(&[0b01, 0b01], &mut owner));
        assert!(!perfect_matching(&[0b11, 0b11, 0b11], &mut owner));
    }
}
