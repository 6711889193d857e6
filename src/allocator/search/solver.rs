//! The constraint solver behind [`super::solve`]: the search state, propagation by
//! per-instant matchings, branching and backtracking. Kept apart from the entry points so
//! that what callers see (tasks in, an outcome out) reads on its own.

use super::super::bits::{self, DeskSet, MAX_DESKS};
use super::Task;
use super::matching::{NONE, perfect_matching};

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
pub(super) struct Solver<'a> {
    tasks: &'a [Task],
    /// Distinct task starts, ascending.
    pub(super) points: Vec<i64>,
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
    pub(super) assign: Vec<u8>,
    rows: Vec<u32>,
    adj: Vec<DeskSet>,
    owner: [u8; MAX_DESKS],
    nodes: u64,
    budget: u64,
}

impl<'a> Solver<'a> {
    pub(super) fn new(tasks: &'a [Task], focus: i64, budget: u64) -> Self {
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

    pub(super) fn enqueue(&mut self, point: usize) {
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
    pub(super) fn propagate(&mut self) -> bool {
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
    pub(super) fn run(&mut self) -> Option<bool> {
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
