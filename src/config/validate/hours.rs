//! Times of day: weekly opening rules (days, seasons, open and close) and the exceptions
//! for single dates.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use toml::Spanned;

use super::super::Problems;
use super::super::shape::{Field, RawException, RawHours, RawOffice, Span, Strings};
use super::fields::{date, optional, required};
use super::{Checked, Reported};
use crate::domain::{
    DateException, ExceptionHours, MonthDay, OpeningRule, Season, WallTime, Weekdays,
};

pub(super) fn exceptions(
    p: &mut Problems,
    o: &RawOffice,
    closed_dates: Option<&BTreeMap<NaiveDate, Span>>,
) -> Checked<Vec<DateException>> {
    let list = match &o.exceptions {
        Field::Given(list) => list.get_ref(),
        Field::Missing => return Ok(Vec::new()),
        Field::Bad => return Err(Reported),
    };
    let mut seen: HashMap<NaiveDate, Span> = HashMap::new();
    let mut built = Vec::new();
    let mut ok = true;
    for e in list {
        let date = exception_date(p, e, &mut seen, closed_dates);
        let hours = exception_hours(p, e);
        match (date, hours) {
            (Ok(date), Ok(hours)) => built.push(DateException { date, hours }),
            _ => ok = false,
        }
    }
    if ok { Ok(built) } else { Err(Reported) }
}

fn exception_date(
    p: &mut Problems,
    e: &RawException,
    seen: &mut HashMap<NaiveDate, Span>,
    closed_dates: Option<&BTreeMap<NaiveDate, Span>>,
) -> Checked<NaiveDate> {
    let raw = required(p, &e.date, &e.label, "date", &e.span)?;
    let date = date(p, raw, &e.label, "date")?;
    if let Some(first) = seen.get(&date) {
        let line = p.line(first.start);
        p.at(
            &raw.span(),
            format!("there is already an exception on {date} (line {line}); merge them"),
        );
        return Err(Reported);
    }
    seen.insert(date, raw.span());
    if let Some(closed) = closed_dates.and_then(|c| c.get(&date)) {
        let line = p.line(closed.start);
        p.at(
            &raw.span(),
            format!(
                "{}: {date} is also in closed_dates (line {line}); keep it in one place",
                e.label
            ),
        );
        return Err(Reported);
    }
    Ok(date)
}

fn exception_hours(p: &mut Problems, e: &RawException) -> Checked<ExceptionHours> {
    let closed = match &e.closed {
        Field::Given(c) => *c.get_ref(),
        Field::Missing => false,
        Field::Bad => return Err(Reported),
    };
    let gives_hours = !e.open.is_missing() || !e.close.is_missing();
    match (closed, gives_hours) {
        (true, true) => {
            p.at(
                &e.span,
                format!(
                    "{} says closed = true and also gives open/close; keep one",
                    e.label
                ),
            );
            Err(Reported)
        }
        (true, false) => Ok(ExceptionHours::Closed),
        (false, false) => {
            p.at(
                &e.span,
                format!("{} needs open and close, or closed = true", e.label),
            );
            Err(Reported)
        }
        (false, true) => {
            let open = wall_time(p, &e.open, &e.label, "open", &e.span);
            let close = wall_time(p, &e.close, &e.label, "close", &e.span);
            let (open, close) = ordered(p, open?, close?, &e.label)?;
            Ok(ExceptionHours::Open { open, close })
        }
    }
}

pub(super) fn opening_rules(p: &mut Problems, list: &[RawHours]) -> Checked<Vec<OpeningRule>> {
    let mut rules = Vec::new();
    let mut ok = true;
    for h in list {
        match opening_rule(p, h) {
            Ok(rule) => rules.push(rule),
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(rules) } else { Err(Reported) }
}

fn opening_rule(p: &mut Problems, h: &RawHours) -> Checked<OpeningRule> {
    let days = weekdays(p, &h.days, &h.label, &h.span);
    let open = wall_time(p, &h.open, &h.label, "open", &h.span);
    let close = wall_time(p, &h.close, &h.label, "close", &h.span);
    let season = season(p, h);
    let (open, close) = ordered(p, open?, close?, &h.label)?;
    Ok(OpeningRule {
        days: days?,
        open,
        close,
        season: season?,
    })
}

/// A required, non-empty list of weekday names (`mon` … `sun`).
pub(super) fn weekdays(
    p: &mut Problems,
    f: &Field<Strings>,
    label: &str,
    table: &Span,
) -> Checked<Weekdays> {
    let names = required(p, f, label, "days", table)?;
    if names.get_ref().is_empty() {
        p.at(
            &names.span(),
            format!("{label}: days is empty; list some of mon, tue, wed, thu, fri, sat, sun"),
        );
        return Err(Reported);
    }
    let mut days = Weekdays::empty();
    let mut ok = true;
    for name in names.get_ref() {
        match Weekdays::parse_day(name.get_ref().trim()) {
            Some(day) => days = days.with(day),
            None => {
                ok = false;
                p.at(
                    &name.span(),
                    format!(
                        "{label}: unknown weekday {:?}; use mon, tue, wed, thu, fri, sat, sun",
                        name.get_ref()
                    ),
                );
            }
        }
    }
    if ok { Ok(days) } else { Err(Reported) }
}

fn season(p: &mut Problems, h: &RawHours) -> Checked<Option<Season>> {
    let mut month_day = |f: &Field<String>, key: &str| -> Checked<Option<MonthDay>> {
        let Some(v) = optional(f)? else {
            return Ok(None);
        };
        match MonthDay::parse(v.get_ref().trim()) {
            Some(day) => Ok(Some(day)),
            None => {
                p.at(
                    &v.span(),
                    format!(
                        "{}: {key} {:?} is not a day of the year like \"07-01\" (MM-DD)",
                        h.label,
                        v.get_ref()
                    ),
                );
                Err(Reported)
            }
        }
    };
    let from = month_day(&h.from, "from");
    let to = month_day(&h.to, "to");
    match (from?, to?) {
        (Some(from), Some(to)) => Ok(Some(Season { from, to })),
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => {
            let (given, missing, at) = match &h.from {
                Field::Given(from) => ("from", "to", from.span()),
                _ => (
                    "to",
                    "from",
                    h.to.given().map_or(h.span.clone(), |t| t.span()),
                ),
            };
            p.at(
                &at,
                format!(
                    "{}: a season needs both from and to; {given} is given but {missing} is not",
                    h.label
                ),
            );
            Err(Reported)
        }
    }
}

/// A required wall time (`HH:MM`).
pub(super) fn wall_time(
    p: &mut Problems,
    f: &Field<String>,
    label: &str,
    key: &str,
    table: &Span,
) -> Checked<Spanned<WallTime>> {
    let v = required(p, f, label, key, table)?;
    match WallTime::parse(v.get_ref().trim()) {
        Some(t) => Ok(Spanned::new(v.span(), t)),
        None => {
            p.at(
                &v.span(),
                format!(
                    "{label}: {key} {:?} is not a time like \"09:00\" (HH:MM, 00:00 to 24:00)",
                    v.get_ref()
                ),
            );
            Err(Reported)
        }
    }
}

/// `close` must be after `open`: intervals are half-open and never wrap past midnight.
fn ordered(
    p: &mut Problems,
    open: Spanned<WallTime>,
    close: Spanned<WallTime>,
    label: &str,
) -> Checked<(WallTime, WallTime)> {
    let (open, close_span, close) = (open.into_inner(), close.span(), close.into_inner());
    if close <= open {
        p.at(
            &close_span,
            format!("{label}: close {close} must be later than open {open}"),
        );
        return Err(Reported);
    }
    Ok((open, close))
}
