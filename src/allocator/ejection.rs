//! Quick placement by chains of moves ("ejection chains"), fewest moves first.
//!
//! Starting from a valid assignment, each new appointment takes a desk and evicts what
//! overlaps it there; every evicted appointment takes another desk, evicting in turn,
//! until nothing is left to place. Moved and new appointments stay put once placed, so a
//! chain never loops. Iterative deepening on the number of evictions returns a solution
//! with the fewest moves this scheme can find.
//!
//! This is a heuristic: finding nothing proves nothing (the caller falls back to the exact
//! search), but whatever it returns is a valid assignment.

use super::bits::{self, DeskSet};

/// More evictions than this are left to the exact search.
const MAX_MOVES: u32 = 8;

/// Nodes (desk choices) per call from the baseline, over all depths. On the benchmark
/// office's busy day most chains that succeed are found within this many nodes (98 of
/// 114 answers under 2,000), while a failing call spent about half a millisecond at
/// 2,000; the windowed searches find the rest.
pub(crate) const NODE_BUDGET: u64 = 300;

/// Nodes per call from an assignment found for a nearby start: the chains that succeed
/// from there are a move or two long, and a failing call should cost little (the staged
/// search then starts from the baseline anyway).
pub(crate) const WARM_BUDGET: u64 = 300;

/// One appointment of the cluster: its span, allowed desks and current desk.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) allowed: DeskSet,
    pub(crate) desk: Option<u8>,
}

/// Places every piece without a desk (the new ones), moving others as needed. `pieces`
/// with a desk must form a valid assignment. Returns the final desk of every piece. At
/// most about `budget` nodes are tried.
pub(crate) fn place(pieces: &[Piece], budget: u64) -> Option<Vec<u8>> {
    let mut chain = Chain::new(pieces, budget)?;
    let mut pending: Vec<usize> = (0..pieces.len())
        .filter(|&p| pieces[p].desk.is_none())
        .collect();
    pending.reverse(); // popped from the end: the first new one goes first
    for moves in 0..=MAX_MOVES {
        if chain.extend(&mut pending, moves) {
            return chain.desk.iter().copied().collect();
        }
        if chain.nodes > chain.budget {
            break;
        }
    }
    None
}

#[derive(Debug)]
struct Chain<'a> {
    pieces: &'a [Piece],
    desk: Vec<Option<u8>>,
    /// Per desk, the pieces on it ordered by start (they never overlap).
    on: Vec<Vec<usize>>,
    locked: Vec<bool>,
    nodes: u64,
    budget: u64,
}

impl<'a> Chain<'a> {
    fn new(pieces: &'a [Piece], budget: u64) -> Option<Self> {
        // Only desks some piece is on or may take need a list.
        let used = pieces.iter().fold(0, |set: DeskSet, p| {
            set | p.allowed | p.desk.map_or(0, |d| bits::bit(usize::from(d)))
        });
        let ndesks = bits::MAX_DESKS - used.leading_zeros() as usize;
        let mut on: Vec<Vec<usize>> = vec![Vec::new(); ndesks];
        for (p, piece) in pieces.iter().enumerate() {
            if let Some(d) = piece.desk {
                on.get_mut(usize::from(d))?.push(p);
            }
        }
        for list in &mut on {
            list.sort_by_key(|&p| pieces[p].start);
            if list
                .windows(2)
                .any(|w| pieces[w[0]].end > pieces[w[1]].start)
            {
                return None; // not a valid assignment to start from
            }
        }
        Some(Chain {
            pieces,
            desk: pieces.iter().map(|p| p.desk).collect(),
            on,
            locked: vec![false; pieces.len()],
            nodes: 0,
            budget,
        })
    }

    /// The range of `on[d]` overlapping piece `x`.
    fn overlapping(&self, d: usize, x: usize) -> std::ops::Range<usize> {
        let (s, e) = (self.pieces[x].start, self.pieces[x].end);
        let list = &self.on[d];
        let from = list.partition_point(|&p| self.pieces[p].end <= s);
        let to = from + list[from..].partition_point(|&p| self.pieces[p].start < e);
        from..to
    }

    /// Places the pending pieces with at most `moves` more evictions.
    fn extend(&mut self, pending: &mut Vec<usize>, moves: u32) -> bool {
        let Some(x) = pending.pop() else {
            return true;
        };
        self.nodes += 1;
        // Desks where x fits after evicting only unlocked pieces, fewest evictions first.
        let mut options: Vec<(usize, usize, usize)> = bits::iter(self.pieces[x].allowed)
            .filter_map(|d| {
                let range = self.overlapping(d, x);
                let evicted = range.len();
                let free = self.on[d][range.clone()].iter().all(|&p| !self.locked[p]);
                (free && evicted <= moves as usize).then_some((evicted, d, range.start))
            })
            .collect();
        options.sort_unstable();
        for (evicted, d, from) in options {
            if self.nodes > self.budget {
                break;
            }
            let range = from..from + evicted;
            let base = pending.len();
            pending.extend_from_slice(&self.on[d][range.clone()]);
            for &p in &pending[base..] {
                self.desk[p] = None;
            }
            self.on[d].splice(range, [x]);
            self.desk[x] = u8::try_from(d).ok();
            self.locked[x] = true;
            let left = moves - evicted as u32;
            if self.extend(pending, left) {
                return true;
            }
            // Undo: a failed extension leaves `pending` as it found it.
            self.locked[x] = false;
            self.desk[x] = None;
            for &p in &pending[base..] {
                self.desk[p] = u8::try_from(d).ok();
            }
            self.on[d].splice(from..from + 1, pending[base..].iter().copied());
            pending.truncate(base);
        }
        pending.push(x);
        false
    }
}
