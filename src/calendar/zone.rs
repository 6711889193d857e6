//! Local wall time on a local date -> UTC instants in an office's zone (DESIGN §3, "DST").
//!
//! Contract:
//! - Each wall time is read on its own local date; `24:00` is `00:00` of the next date,
//!   converted with the same rules. A day's instants are never derived from another day's
//!   by adding 24 h, so transition days come out 23 h or 25 h long.
//! - A wall time that occurs once maps to that instant.
//! - An ambiguous wall time (autumn overlap) maps to the earlier instant.
//! - A wall time that does not exist (spring gap) is read with the UTC offset in force
//!   before the gap, i.e. shifted forward by the gap's length (RFC 5545 §3.3.5): 02:30 on
//!   2026-03-29 in `Europe/Madrid` is 03:30 CEST = 01:30 UTC. The gap's length comes from
//!   the zone's offsets on either side, never assumed to be one hour.
//! - Consequence of the gap rule: the mapping is strictly increasing over wall times that
//!   exist, but not across the end of a gap (02:59 lands at 03:59 CEST, after 03:00 CEST).
//!   Interval conversion therefore drops intervals that become empty and re-merges.
//! - Dates at chrono's representable limits saturate instead of panicking.

use chrono::{
    DateTime, Datelike, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::interval::{self, Interval};
use super::rules::desk_local_hours;
use crate::domain::{Desk, Office, WallTime};

/// Local wall time on a local date -> the UTC instant (gap: shifted forward by the gap;
/// overlap: the earlier instant; 24:00: next day's 00:00).
///
/// Opening hours are configured in wall time; everything stored and compared is UTC.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: WallTime) -> DateTime<Utc> {
    let after_midnight = TimeDelta::minutes(i64::from(time.minutes()));
    let Some(naive) = date
        .and_time(NaiveTime::MIN)
        .checked_add_signed(after_midnight)
    else {
        return saturated(date);
    };
    match tz.from_local_datetime(&naive) {
        MappedLocalTime::Single(instant) => instant.to_utc(),
        MappedLocalTime::Ambiguous(first, second) => first.to_utc().min(second.to_utc()),
        MappedLocalTime::None => across_gap(tz, naive),
    }
}

/// The local calendar date of an instant in `tz`.
///
/// Booking windows and "today" are counted in the office's local dates, not UTC dates.
pub fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    let utc = instant.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset)
        .map_or(utc.date(), |local| local.date())
}

/// The same intervals as [`desk_local_hours`], as UTC instants: sorted and disjoint.
///
/// This is what the allocator places appointments in; real-time lengths differ from wall
/// lengths on transition days (01:00–05:00 on the autumn night is five real hours).
pub fn desk_open_intervals(
    office: &Office,
    desk: &Desk,
    date: NaiveDate,
) -> Vec<Interval<DateTime<Utc>>> {
    local_intervals_to_utc(office.timezone, date, &desk_local_hours(office, desk, date))
}

/// Converts each interval's ends on `date`; drops intervals the gap rule made empty and
/// merges any the gap rule made overlap.
fn local_intervals_to_utc(
    tz: Tz,
    date: NaiveDate,
    local: &[Interval<WallTime>],
) -> Vec<Interval<DateTime<Utc>>> {
    let converted = local
        .iter()
        .filter_map(|wall| {
            Interval::new(
                local_to_utc(tz, date, wall.start),
                local_to_utc(tz, date, wall.end),
            )
        })
        .collect();
    interval::merge(converted)
}

/// A wall time inside a gap, read with the offset in force before the gap.
///
/// With the transition at instant `T`, the gap is `[T + before, T + after)` in wall time,
/// `after > before`. Reading `naive` as UTC and then with the offset found there lands on
/// opposite sides of `T`, so the two offsets found are `before` and `after`, and `before`
/// is the smaller one. (Holds while no other transition lies within one UTC offset of `T`,
/// true of every zone: transitions are weeks apart.)
fn across_gap(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let offset_at = |utc: NaiveDateTime| -> FixedOffset { tz.offset_from_utc_datetime(&utc).fix() };
    let first = offset_at(naive);
    let second = naive.checked_sub_offset(first).map_or(first, offset_at);
    let before = if first.local_minus_utc() <= second.local_minus_utc() {
        first
    } else {
        second
    };
    naive
        .checked_sub_offset(before)
        .map_or_else(|| saturated(naive.date()), |utc| utc.and_utc())
}

/// The nearest representable instant for dates at chrono's limits.
fn saturated(date: NaiveDate) -> DateTime<Utc> {
    if date.year() < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    }
}
