//! Bipartite matching of rows (sets of desks) to distinct desks: the building block of
//! the per-instant checks here and in the other searches.

use super::super::bits::{self, DeskSet, MAX_DESKS};

/// No row: an unowned desk in a matching, an unset desk elsewhere.
pub(super) const NONE: u8 = u8::MAX;

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
