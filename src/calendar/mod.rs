//! Office calendars: which local hours a desk is open on a date, and the UTC instants those
//! hours are on that date (DST-correct, DESIGN §3).
//!
//! CONTRACT (implemented in rules.rs / zone.rs):
//! - `desk_local_hours(office, desk, date)`: merged, sorted local intervals in wall time.
//! - `desk_open_intervals(office, desk, date)`: the same as UTC instants.
//! - `local_to_utc(tz, date, time)`: gap -> shifted forward by the gap; overlap -> earlier.
//! - `local_date(tz, instant)`: the local calendar date of an instant.

pub mod interval;

pub use interval::Interval;
