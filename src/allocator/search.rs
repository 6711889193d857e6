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

const NONE: u8 = u8::MAX;

#[derive(Debug)]
struct Frame {
    task: usize,
    /// Candidate desks not tried yet, near ones first.
    near: DeskSet,
    rest: DeskSet,
    pref: Option<u8>,
    /// Classes of unused desks already tried at this node.
    tried: u128,
    /// The desk currently chosen and the trail length before placing it.
    chosen: Option<(u8, usize)>,
}

#[derive(Debug)]
struct Solver<'a> {
    tasks: &'a [Task],
    /// Distinct task starts, ascending.
    points: Vec<i64>,
    /// The points each task covers, as a range of indices into `points`.
    span: Vec<(u32, u32)>,
    /// The tasks covering each point.
    cover: Vec<Vec<u32>>,
    dom: Vec<DeskSet>,
    /// Domain changes to undo: (task, previous domain).
    trail: Vec<(u32, DeskSet)>,
    queue: Vec<u32>,
    queued: Vec<bool>,
    placed: Vec<bool>,
    /// `twin[i]`: tasks `i - 1` and `i` are both copies (placed in order, on increasing
    /// desks). Only copies: they are placed before anything else, so this ordering and
    /// the symmetry of unused desks never constrain one another.
    twin: Vec<bool>,
    /// Placed tasks per desk: desks with none are interchangeable within their class.
    used: [u32; MAX_DESKS],
    class: [u8; MAX_DESKS],
    /// Ties in the choice of the next task go to the one starting nearest this instant.
    focus: i64,
    assign: Vec<u8>,
    rows: Vec<u32>,
    adj: Vec<DeskSet>,
    owner: [u8; MAX_DESKS],
    nodes: u64,
    budget: u64,
}

impl<'a> Solver<'a> {
    fn new(tasks: &'a [Task], focus: i64, budget: u64) -> Self {
        let mut points: Vec<i64> = tasks.iter().map(|t| t.start).collect();
        points.dedup();
        let mut cover: Vec<Vec<u32>> = vec![Vec::new(); points.len()];
        let mut span = Vec::with_capacity(tasks.len());
        for (j, task) in tasks.iter().enumerate() {
            let a = points.partition_point(|&p| p < task.start);
            let b = points.partition_point(|&p| p < task.end);
            for list in &mut cover[a..b] {
                list.push(u32::try_from(j).unwrap_or(u32::MAX));
            }
            span.push((
                u32::try_from(a).unwrap_or(u32::MAX),
                u32::try_from(b).unwrap_or(u32::MAX),
            ));
        }
        let in_play = tasks.iter().fold(0, |set, t| set | t.allowed);
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
        let mut reps: Vec<usize> = Vec::new();
        for d in bits::iter(in_play) {
            let found = reps.iter().position(|&r| signature[r] == signature[d]);
            let c = found.unwrap_or_else(|| {
                reps.push(d);
                reps.len() - 1
            });
            class[d] = u8::try_from(c).unwrap_or(NONE);
        }
        let npoints = points.len();
        Solver {
            tasks,
            points,
            span,
            cover,
            dom: tasks.iter().map(|t| t.allowed).collect(),
            trail: Vec::new(),
            queue: Vec::new(),
            queued: vec![false; npoints],
            placed: vec![false; tasks.len()],
            twin: (0..tasks.len())
                .map(|i| i > 0 && tasks[i].copy && tasks[i - 1].copy)
                .collect(),
            used: [0; MAX_DESKS],
            class,
            focus,
            assign: vec![0; tasks.len()],
            rows: Vec::new(),
            adj: Vec::new(),
            owner: [NONE; MAX_DESKS],
            nodes: 0,
            budget,
        }
    }

    fn enqueue(&mut self, point: usize) {
        if !self.queued[point] {
            self.queued[point] = true;
            self.queue.push(u32::try_from(point).unwrap_or(u32::MAX));
        }
    }

    fn clear_queue(&mut self) {
        for p in self.queue.drain(..) {
            self.queued[p as usize] = false;
        }
    }

    /// Narrows task `j`'s domain (recorded for undo); `false` when it becomes empty.
    fn narrow(&mut self, j: usize, dom: DeskSet, skip_point: Option<usize>) -> bool {
        if dom == self.dom[j] {
            return true;
        }
        self.trail
            .push((u32::try_from(j).unwrap_or(u32::MAX), self.dom[j]));
        self.dom[j] = dom;
        if dom == 0 {
            return false;
        }
        let (a, b) = self.span[j];
        for point in a as usize..b as usize {
            if Some(point) != skip_point {
                self.enqueue(point);
            }
        }
        true
    }

    /// Filters domains at queued points until nothing changes; `false` on a
    /// contradiction.
    fn propagate(&mut self) -> bool {
        while let Some(point) = self.queue.pop() {
            let point = point as usize;
            self.queued[point] = false;
            if !self.filter(point) {
                self.clear_queue();
                return false;
            }
        }
        true
    }

    /// Régin's filtering of the all-different constraint among the unplaced tasks
    /// covering one point.
    fn filter(&mut self, point: usize) -> bool {
        self.rows.clear();
        self.adj.clear();
        for &j in &self.cover[point] {
            if !self.placed[j as usize] {
                self.rows.push(j);
                self.adj.push(self.dom[j as usize]);
            }
        }
        let n = self.rows.len();
        if n == 0 {
            return true;
        }
        let union = self.adj.iter().fold(0, |set, d| set | d);
        if n > bits::count(union) as usize || !perfect_matching(&self.adj, &mut self.owner) {
            return false;
        }
        // desk_of[r]: the desk matched to row r; free: desks no row holds.
        let mut desk_of = [0u8; MAX_DESKS];
        let mut held: DeskSet = 0;
        for d in bits::iter(union) {
            let r = self.owner[d];
            if r != NONE {
                desk_of[usize::from(r)] = u8::try_from(d).unwrap_or(NONE);
                held |= bits::bit(d);
            }
        }
        let free = union & !held;
        // Rows that can hand their desk over along an alternating path ending at a free
        // desk ("escapes"), and which rows can reach which (alternating cycles).
        let mut escapes: u128 = 0;
        for r in 0..n {
            if self.adj[r] & free != 0 {
                escapes |= 1 << r;
            }
        }
        loop {
            let desks =
                bits::iter(escapes).fold(0, |set, r| set | bits::bit(usize::from(desk_of[r])));
            let mut grown = escapes;
            for r in 0..n {
                if self.adj[r] & desks != 0 {
                    grown |= 1 << r;
                }
            }
            if grown == escapes {
                break;
            }
            escapes = grown;
        }
        let mut reach = [0u128; MAX_DESKS];
        for (r, reach_r) in reach.iter_mut().enumerate().take(n) {
            for d in bits::iter(self.adj[r] & held) {
                let other = usize::from(self.owner[d]);
                if other != r {
                    *reach_r |= 1 << other;
                }
            }
        }
        for k in 0..n {
            for r in 0..n {
                if reach[r] & (1 << k) != 0 {
                    reach[r] |= reach[k];
                }
            }
        }
        for (r, &mine) in desk_of.iter().enumerate().take(n) {
            // Its own desk, free desks, and desks whose holder can move on.
            let mut keep = self.adj[r] & free | bits::bit(usize::from(mine));
            for d in bits::iter(self.adj[r] & held) {
                let other = usize::from(self.owner[d]);
                if escapes & (1 << other) != 0 || reach[other] & (1 << r) != 0 {
                    keep |= bits::bit(d);
                }
            }
            let j = self.rows[r] as usize;
            let narrowed = self.dom[j] & keep;
            if !self.narrow(j, narrowed, Some(point)) {
                return false;
            }
        }
        true
    }

    /// The unplaced task to branch on: fewest possible desks, then nearest the focus. Of
    /// identical copies, always the first unplaced one.
    fn select(&self) -> Option<usize> {
        let best = (0..self.tasks.len())
            .filter(|&j| !self.placed[j])
            .min_by_key(|&j| {
                (
                    !self.tasks[j].copy,
                    bits::count(self.dom[j]),
                    self.tasks[j].start.abs_diff(self.focus),
                    j,
                )
            })?;
        let mut first = best;
        while self.twin[first] && !self.placed[first - 1] {
            first -= 1;
        }
        Some(first)
    }

    /// Places task `i` on desk `d` and propagates; `false` on a contradiction.
    fn place(&mut self, i: usize, d: u8) -> bool {
        let dix = usize::from(d);
        self.placed[i] = true;
        self.used[dix] += 1;
        self.assign[i] = d;
        let (a, b) = self.span[i];
        for point in a as usize..b as usize {
            for k in 0..self.cover[point].len() {
                let j = self.cover[point][k] as usize;
                if self.placed[j] || self.dom[j] & bits::bit(dix) == 0 {
                    continue;
                }
                if !self.narrow(j, self.dom[j] & !bits::bit(dix), None) {
                    self.clear_queue();
                    return false;
                }
            }
        }
        self.propagate()
    }

    fn unplace(&mut self, i: usize, d: u8, mark: usize) {
        self.placed[i] = false;
        self.used[usize::from(d)] -= 1;
        while self.trail.len() > mark {
            if let Some((j, dom)) = self.trail.pop() {
                self.dom[j as usize] = dom;
            }
        }
    }

    fn frame(&self, i: usize) -> Frame {
        let task = &self.tasks[i];
        let mut rest = self.dom[i];
        if self.twin[i] {
            // The previous twin is placed (twins go in order): keep desks increasing.
            rest &= bits::above(usize::from(self.assign[i - 1]));
        }
        let pref = task.pref.filter(|&d| bits::has(rest, usize::from(d)));
        Frame {
            task: i,
            near: rest & task.near,
            rest: rest & !task.near,
            pref,
            tried: 0,
            chosen: None,
        }
    }

    /// `Some(found)`, or `None` when the budget ran out.
    fn run(&mut self) -> Option<bool> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut descend = true;
        loop {
            if descend {
                let Some(i) = self.select() else {
                    return Some(true);
                };
                self.nodes += 1;
                if self.nodes > self.budget {
                    return None;
                }
                stack.push(self.frame(i));
            }
            let Some(frame) = stack.last_mut() else {
                return Some(false);
            };
            if let Some((d, mark)) = frame.chosen.take() {
                self.unplace(frame.task, d, mark);
            }
            match next_candidate(frame, &self.class, &self.used) {
                Some(d) => {
                    frame.chosen = Some((d, self.trail.len()));
                    let task = frame.task;
                    descend = self.place(task, d);
                }
                None => {
                    stack.pop();
                    descend = false;
                }
            }
        }
    }
}

/// The next desk to try: the preferred one, then near ones, then the rest (ascending
/// within each); of unused desks, one per class.
fn next_candidate(
    frame: &mut Frame,
    class: &[u8; MAX_DESKS],
    used: &[u32; MAX_DESKS],
) -> Option<u8> {
    let take = |frame: &mut Frame, d: usize| -> bool {
        if used[d] > 0 {
            return true;
        }
        let c = bits::bit(usize::from(class[d]));
        let fresh = frame.tried & c == 0;
        frame.tried |= c;
        fresh
    };
    if let Some(d) = frame.pref.take() {
        let dix = usize::from(d);
        frame.near &= !bits::bit(dix);
        frame.rest &= !bits::bit(dix);
        take(frame, dix);
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
        if take(frame, d) {
            return u8::try_from(d).ok();
        }
    }
}

/// Whether every row of `adj` (a set of desks) can take a distinct desk (Kuhn's
/// augmenting paths; at most [`MAX_DESKS`] rows). On success `owner[d]` is the row
/// holding desk `d` (or `NONE`).
pub(crate) fn perfect_matching(adj: &[DeskSet], owner: &mut [u8; MAX_DESKS]) -> bool {
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
pub(super) mod tests {
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

    /// Plain backtracking over every desk for every task (the reference the searches
    /// are checked against, here and in `sweep`).
    pub(in crate::allocator) fn brute(tasks: &[Task], desks: &mut Vec<u8>) -> bool {
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
