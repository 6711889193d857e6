//! Which local wall-clock hours an office or a desk is open on one date (DESIGN §3).
//!
//! Contract, in order of precedence for a date:
//! 1. `office.closed_dates` closes the day for every desk. Configuration validation forbids a
//!    date exception on such a date; if one slips through, the closure still wins, because a
//!    closure (possibly entered by staff to cancel a day) must never be reopened by accident.
//! 2. A date exception replaces the day: `Closed` closes every desk; `Open { open, close }`
//!    makes the office open exactly `[open, close)`. Desks that inherit the office hours get
//!    that window; desks with own hours get their own hours clipped to it. An exception on a
//!    holiday reopens the day: it names this office and this date, so it is more specific than
//!    a shared holiday calendar.
//! 3. A holiday (from the office's holiday calendars) closes the day.
//! 4. Otherwise the opening rules: if any seasonal rule's season covers the date (whatever
//!    its weekdays), only the seasonal rules covering the date apply — seasonal hours replace
//!    regular hours for the whole season; otherwise only the non-seasonal rules apply. Each
//!    applicable rule whose `days` contain the weekday contributes `[open, close)`.
//!
//! Every function returns merged, sorted, disjoint, non-empty intervals. Pure: no I/O.

use chrono::{Datelike, NaiveDate};

use super::interval::{self, Interval};
use crate::domain::{Desk, ExceptionHours, Office, OpeningRule, WallTime};

/// What the office-level calendar says about one date before any opening rule is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOverride {
    /// Nobody works that date.
    Closed,
    /// A date exception: the office is open exactly in this window.
    Window(Interval<WallTime>),
    /// No closure and no exception: the opening rules decide.
    Rules,
}

fn day_override(office: &Office, date: NaiveDate) -> DayOverride {
    if office.closed_dates.contains(&date) {
        return DayOverride::Closed;
    }
    match office.exception_on(date).map(|exception| exception.hours) {
        Some(ExceptionHours::Closed) => DayOverride::Closed,
        Some(ExceptionHours::Open { open, close }) => {
            Interval::new(open, close).map_or(DayOverride::Closed, DayOverride::Window)
        }
        None if office.holidays.contains(&date) => DayOverride::Closed,
        None => DayOverride::Rules,
    }
}

/// The intervals a set of opening rules gives on `date`, ignoring closures and exceptions.
fn rules_local_hours(rules: &[OpeningRule], date: NaiveDate) -> Vec<Interval<WallTime>> {
    let in_season = |rule: &OpeningRule| rule.season.is_some_and(|season| season.covers(date));
    let seasonal_day = rules.iter().any(in_season);
    let weekday = date.weekday();
    let intervals = rules
        .iter()
        .filter(|rule| {
            if seasonal_day {
                in_season(rule)
            } else {
                rule.season.is_none()
            }
        })
        .filter(|rule| rule.days.contains(weekday))
        .filter_map(|rule| Interval::new(rule.open, rule.close))
        .collect();
    interval::merge(intervals)
}

/// Merged, sorted local open intervals of the office (its own rules) on `date`.
///
/// This is what the office as a whole announces; desks with own hours may differ, so slot
/// computation must use [`desk_local_hours`].
pub fn office_local_hours(office: &Office, date: NaiveDate) -> Vec<Interval<WallTime>> {
    match day_override(office, date) {
        DayOverride::Closed => Vec::new(),
        DayOverride::Window(window) => vec![window],
        DayOverride::Rules => rules_local_hours(&office.hours, date),
    }
}

/// Merged, sorted local open intervals of `desk` on `date`.
///
/// A desk with its own rules uses only those, but never outside the office's closures and
/// exception window: a desk cannot be open while the office is shut.
pub fn desk_local_hours(office: &Office, desk: &Desk, date: NaiveDate) -> Vec<Interval<WallTime>> {
    let Some(own_rules) = desk.hours.as_deref() else {
        return office_local_hours(office, date);
    };
    match day_override(office, date) {
        DayOverride::Closed => Vec::new(),
        DayOverride::Window(window) => {
            interval::intersect(&rules_local_hours(own_rules, date), &[window])
        }
        DayOverride::Rules => rules_local_hours(own_rules, date),
    }
}

#[cfg(test)]
mod tests;
