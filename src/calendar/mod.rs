//! Office calendars: which local hours a desk is open on a date, and the UTC instants those
//! hours are on that date (DST-correct, DESIGN §3). Pure: no I/O, no clock.
//!
//! CONTRACT:
//! - `office_local_hours(office, date)`: the office's merged, sorted local intervals.
//! - `desk_local_hours(office, desk, date)`: merged, sorted local intervals in wall time
//!   (own rules or the office's, always within the office's closures and exceptions).
//! - `desk_open_intervals(office, desk, date)`: the same as UTC instants, sorted, disjoint.
//! - `local_to_utc(tz, date, time)`: gap -> shifted forward by the gap; overlap -> earlier;
//!   24:00 -> next date's 00:00.
//! - `local_date(tz, instant)`: the local calendar date of an instant.
//! - `opening(releases, pending, tz, date, now)`: whether scheduled releases have opened a date,
//!   and when they will ([`release`]).
//!
//! Precedence of closures, exceptions and seasons is documented in [`rules`]; the DST
//! conversion in [`zone`].

pub mod interval;
pub mod quota;
pub mod release;
pub mod rules;
pub mod zone;

#[cfg(test)]
mod dst_tests;
#[cfg(test)]
pub(crate) mod test_support;

pub use interval::Interval;
pub use release::{
    DrawInstance, Opening, ReleaseInstance, draw_instances, next_release, opening,
    release_instances, room_guarding, room_instances,
};
pub use rules::{desk_local_hours, office_local_hours};
pub use zone::{desk_open_intervals, local_date, local_to_utc};
