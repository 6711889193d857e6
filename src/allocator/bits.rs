//! Desk sets as `u128` bitsets: an office has at most [`MAX_DESKS`] desks (configuration
//! enforces it; the allocator ignores any desk past that).

/// Desk indices `0..MAX_DESKS`, bit `d` set when desk `d` is in the set.
pub(crate) type DeskSet = u128;

pub(crate) const MAX_DESKS: usize = 128;

pub(crate) fn bit(d: usize) -> DeskSet {
    1u128
        .checked_shl(u32::try_from(d).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

pub(crate) fn has(set: DeskSet, d: usize) -> bool {
    set & bit(d) != 0
}

/// Desks with an index strictly greater than `d`.
pub(crate) fn above(d: usize) -> DeskSet {
    u128::MAX
        .checked_shl(u32::try_from(d + 1).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

pub(crate) fn count(set: DeskSet) -> u32 {
    set.count_ones()
}

/// The desks of `set`, ascending.
pub(crate) fn iter(mut set: DeskSet) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let d = set.trailing_zeros() as usize;
        set &= set - 1;
        Some(d)
    })
}
