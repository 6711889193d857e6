//! Holiday import from `.ics` files (DESIGN §3 "Closures", §7 `ics = "…"`).
//!
//! Contract: [`holiday_dates_from_ics`] turns an iCalendar file into the set of dates it
//! marks as holidays, or refuses the whole file. Every `VEVENT` must be an all-day event
//! (`DTSTART;VALUE=DATE:20270101`); `DTEND` is exclusive (RFC 5545 §3.6.1), so an event
//! from `20270101` to `20270103` closes the 1st and the 2nd; without `DTEND` (or with a
//! whole-day `DURATION`) it is one day. Events marked `STATUS:CANCELLED` are not holidays
//! and are skipped.
//!
//! Yearly recurring events (`RRULE:FREQ=YEARLY`, as real holiday calendars write fixed
//! holidays such as 1 January) repeat on the same month and day, every `INTERVAL` years,
//! until `UNTIL` or `COUNT` or, without either, for [`YEARLY_HORIZON`] years; a 29 February
//! repeats only in leap years (RFC 5545 §3.3.10), and `EXDATE` dates are left out.
//!
//! Anything else that cannot be read as a list of dates is an error naming the event's
//! `SUMMARY` — other recurrences (`RDATE`, `EXRULE`, weekly or monthly rules, `BYDAY`),
//! timed events, unreadable dates, and absurd ranges (more than [`MAX_EVENT_DAYS`]) —
//! because silently dropping one event would open an office on a holiday. Pure: no I/O,
//! never panics.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use icalendar::parser::{Component, Property, read_components, unfold};

/// The longest single event accepted, in days. A year (plus a leap day) covers any real
/// holiday period; anything longer is almost certainly a wrong `DTEND`.
pub const MAX_EVENT_DAYS: i64 = 366;

/// Years a yearly event without `UNTIL` or `COUNT` is repeated for: far past any booking
/// window, small enough to keep the set of dates modest.
pub const YEARLY_HORIZON: i32 = 100;

/// Real calendars nest three levels (VCALENDAR > VEVENT > VALARM). The parser recurses per
/// level, so a hostile file nesting thousands deep would overflow the stack: refuse it first.
const MAX_NESTING: usize = 32;

/// Why an `.ics` file was refused as a source of holidays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsHolidayError {
    /// The text is not well-formed iCalendar.
    #[error("not a valid iCalendar file ({0})")]
    Syntax(String),
    /// Well-formed components, but no `VCALENDAR` among them.
    #[error("not an iCalendar file: it has no BEGIN:VCALENDAR")]
    NotACalendar,
    /// One event cannot be read as a list of holiday dates.
    #[error("event {summary:?}: {problem}")]
    Event {
        /// The event's `SUMMARY` (or `UID` when it has none), so the administrator can
        /// find it in the file.
        summary: String,
        problem: IcsEventProblem,
    },
}

/// What is wrong with one `VEVENT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsEventProblem {
    #[error("it has no DTSTART")]
    MissingStart,
    #[error(
        "it repeats ({0}); list each holiday as its own all-day event so every closed date is explicit"
    )]
    Recurring(String),
    #[error(
        "{property} {value:?} is not an all-day date; holidays must be whole days (VALUE=DATE:YYYYMMDD)"
    )]
    Timed { property: String, value: String },
    #[error("{property} {value:?} is not a date (YYYYMMDD)")]
    BadDate { property: String, value: String },
    #[error("DURATION {0:?} is not a whole number of days or weeks (P1D, P2W)")]
    BadDuration(String),
    #[error("it ends ({end}) before it starts ({start})")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("it spans {days} days, more than the {MAX_EVENT_DAYS} accepted in one event")]
    TooLong { days: i64 },
}

/// Reads every holiday date from an iCalendar file.
///
/// Accepts CRLF or LF line endings and folded lines. Several `VCALENDAR`s and overlapping
/// events are fine; the result is the union of their dates.
pub fn holiday_dates_from_ics(text: &str) -> Result<BTreeSet<NaiveDate>, IcsHolidayError> {
    let unfolded = unfold(text);
    if nesting_depth(&unfolded) > MAX_NESTING {
        return Err(IcsHolidayError::Syntax(format!(
            "components are nested more than {MAX_NESTING} levels deep"
        )));
    }
    let roots = read_components(&unfolded).map_err(|e| IcsHolidayError::Syntax(one_line(&e)))?;
    if !roots
        .iter()
        .any(|c| c.name.as_str().eq_ignore_ascii_case("VCALENDAR"))
    {
        return Err(IcsHolidayError::NotACalendar);
    }
    let mut dates = BTreeSet::new();
    let mut events = Vec::new();
    for root in &roots {
        collect_events(root, &mut events);
    }
    for event in events {
        event_dates(event, &mut dates).map_err(|problem| IcsHolidayError::Event {
            summary: event_label(event),
            problem,
        })?;
    }
    Ok(dates)
}

/// The deepest `BEGIN:` nesting, counted line by line without parsing.
fn nesting_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for line in text.lines() {
        let line = line.trim_start();
        let starts = |prefix: &str| {
            line.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        if starts("BEGIN:") {
            depth += 1;
            deepest = deepest.max(depth);
        } else if starts("END:") {
            depth = depth.saturating_sub(1);
        }
    }
    deepest
}

fn collect_events<'c, 'a>(component: &'c Component<'a>, out: &mut Vec<&'c Component<'a>>) {
    if component.name.as_str().eq_ignore_ascii_case("VEVENT") {
        out.push(component);
        return;
    }
    for child in &component.components {
        collect_events(child, out);
    }
}

fn prop<'c>(event: &'c Component<'_>, name: &str) -> Option<&'c Property<'c>> {
    event
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn event_label(event: &Component<'_>) -> String {
    if let Some(summary) = prop(event, "SUMMARY") {
        let text = summary.val.clone().unescape_text();
        if !text.as_str().trim().is_empty() {
            return text.as_str().trim().to_owned();
        }
    }
    match prop(event, "UID") {
        Some(uid) => format!("(no SUMMARY, UID {})", uid.val.as_str()),
        None => "(no SUMMARY)".to_owned(),
    }
}

/// Adds the dates of one event, or says why it cannot be read as holidays.
fn event_dates(
    event: &Component<'_>,
    dates: &mut BTreeSet<NaiveDate>,
) -> Result<(), IcsEventProblem> {
    if prop(event, "STATUS")
        .is_some_and(|s| s.val.as_str().trim().eq_ignore_ascii_case("CANCELLED"))
    {
        return Ok(());
    }
    for repeating in ["RDATE", "EXRULE"] {
        if prop(event, repeating).is_some() {
            return Err(IcsEventProblem::Recurring(repeating.to_owned()));
        }
    }
    let start = prop(event, "DTSTART").ok_or(IcsEventProblem::MissingStart)?;
    let start = all_day_date(start)?;
    let end = if let Some(end) = prop(event, "DTEND") {
        all_day_date(end)?
    } else if let Some(duration) = prop(event, "DURATION") {
        let days = whole_days(duration.val.as_str())
            .ok_or_else(|| IcsEventProblem::BadDuration(duration.val.as_str().to_owned()))?;
        start
            .checked_add_days(chrono::Days::new(days))
            .ok_or(IcsEventProblem::TooLong {
                days: i64::try_from(days).unwrap_or(i64::MAX),
            })?
    } else {
        // RFC 5545 §3.6.1: an all-day DTSTART without DTEND lasts one day.
        start.succ_opt().unwrap_or(start)
    };
    if end < start {
        return Err(IcsEventProblem::EndBeforeStart { start, end });
    }
    // Some producers write DTEND = DTSTART for a one-day event; read it as that day rather
    // than as nothing, since dropping a holiday is the worse mistake.
    let days = (end - start).num_days().max(1);
    if days > MAX_EVENT_DAYS {
        return Err(IcsEventProblem::TooLong { days });
    }
    let length = days.unsigned_abs() as usize;
    let Some(rule) = prop(event, "RRULE") else {
        dates.extend(start.iter_days().take(length));
        return Ok(());
    };
    let excluded = excluded_dates(event)?;
    for first in yearly_occurrences(start, rule.val.as_str())? {
        if !excluded.contains(&first) {
            dates.extend(first.iter_days().take(length));
        }
    }
    Ok(())
}

/// The first days of the occurrences of a yearly rule starting on `start`.
fn yearly_occurrences(start: NaiveDate, rule: &str) -> Result<Vec<NaiveDate>, IcsEventProblem> {
    let refuse = || IcsEventProblem::Recurring(format!("RRULE:{rule}"));
    let (mut yearly, mut interval, mut count, mut until) = (false, 1_i32, None, None);
    for part in rule.split(';').filter(|p| !p.trim().is_empty()) {
        let (key, value) = part.split_once('=').ok_or_else(refuse)?;
        let value = value.trim();
        match key.trim().to_ascii_uppercase().as_str() {
            "FREQ" => yearly = value.eq_ignore_ascii_case("YEARLY"),
            "INTERVAL" => interval = value.parse().ok().filter(|n| *n >= 1).ok_or_else(refuse)?,
            "COUNT" => {
                count = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(refuse)?,
                )
            }
            // A date, or the date part of a date-time: holidays are whole days.
            "UNTIL" => {
                until = Some(parse_basic_date(value.get(..8).unwrap_or(value)).ok_or_else(refuse)?)
            }
            // Redundant with DTSTART, as some producers write them; anything else is a
            // rule this importer does not expand.
            "BYMONTH" if value.parse::<u32>().ok() == Some(start.month()) => {}
            "BYMONTHDAY" if value.parse::<u32>().ok() == Some(start.day()) => {}
            "WKST" => {}
            _ => return Err(refuse()),
        }
    }
    if !yearly {
        return Err(refuse());
    }
    let mut occurrences = Vec::new();
    let mut year = start.year();
    while year <= start.year().saturating_add(YEARLY_HORIZON) {
        // A 29 February exists only in leap years: other years have no occurrence.
        if let Some(date) = NaiveDate::from_ymd_opt(year, start.month(), start.day()) {
            if until.is_some_and(|until| date > until) {
                break;
            }
            occurrences.push(date);
            if count.is_some_and(|count| occurrences.len() >= count) {
                break;
            }
        }
        year = year.saturating_add(interval);
    }
    Ok(occurrences)
}

/// Dates an `EXDATE` removes from a recurrence (whole dates only).
fn excluded_dates(event: &Component<'_>) -> Result<BTreeSet<NaiveDate>, IcsEventProblem> {
    let mut excluded = BTreeSet::new();
    for property in event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case("EXDATE"))
    {
        for value in property.val.as_str().split(',') {
            let value = value.trim();
            let date = parse_basic_date(value.get(..8).unwrap_or(value)).ok_or_else(|| {
                IcsEventProblem::BadDate {
                    property: "EXDATE".to_owned(),
                    value: value.to_owned(),
                }
            })?;
            excluded.insert(date);
        }
    }
    Ok(excluded)
}

/// A `DTSTART`/`DTEND` that must be a whole date (`VALUE=DATE`, or a bare `YYYYMMDD`).
fn all_day_date(property: &Property<'_>) -> Result<NaiveDate, IcsEventProblem> {
    let value = property.val.as_str().trim();
    let name = property.name.as_str().to_ascii_uppercase();
    let declared = property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case("VALUE"))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().to_ascii_uppercase());
    let timed = || IcsEventProblem::Timed {
        property: name.clone(),
        value: value.to_owned(),
    };
    if declared.as_deref().is_some_and(|v| v != "DATE") || value.contains(['T', 't']) {
        return Err(timed());
    }
    parse_basic_date(value).ok_or_else(|| IcsEventProblem::BadDate {
        property: name.clone(),
        value: value.to_owned(),
    })
}

/// `YYYYMMDD`, exactly eight digits.
fn parse_basic_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = value.get(0..4)?.parse().ok()?;
    let month = value.get(4..6)?.parse().ok()?;
    let day = value.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `P3D`, `+P1W`: a whole number of days. Anything with a time part is refused.
fn whole_days(value: &str) -> Option<u64> {
    let value = value.trim();
    let value = value.strip_prefix('+').unwrap_or(value);
    let body = value
        .strip_prefix('P')
        .or_else(|| value.strip_prefix('p'))?;
    let (number, factor) = if let Some(n) = body.strip_suffix(['D', 'd']) {
        (n, 1)
    } else if let Some(n) = body.strip_suffix(['W', 'w']) {
        (n, 7)
    } else {
        return None;
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse::<u64>().ok()?.checked_mul(factor)
}

/// Parser errors span several lines; a problem report wants one short line.
fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = flat.strip_prefix("error: ").unwrap_or(&flat);
    let mut short: String = flat.chars().take(160).collect();
    if short.len() < flat.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests;
