//! Shape check: walks `toml`'s spanned document into raw structs, reporting unknown keys
//! and values of the wrong type. Values are not interpreted here (times, dates and ids stay
//! text); every field keeps its span so later problems point at the right line.
//!
//! This walks the document by hand rather than through `#[derive(Deserialize)]` because
//! serde stops at the first wrong type or unknown key, and the contract is to report all.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::Problems;

pub(super) type Span = Range<usize>;
type Value<'i> = Spanned<DeValue<'i>>;

/// A key as found in the file.
#[derive(Debug, Default)]
pub(super) enum Field<T> {
    /// Not written.
    #[default]
    Missing,
    /// Written with the wrong type; the problem is already reported.
    Bad,
    /// Written with the right type.
    Given(Spanned<T>),
}

impl<T> Field<T> {
    pub(super) fn given(&self) -> Option<&Spanned<T>> {
        match self {
            Field::Given(value) => Some(value),
            Field::Missing | Field::Bad => None,
        }
    }

    pub(super) fn is_missing(&self) -> bool {
        matches!(self, Field::Missing)
    }
}

pub(super) type Strings = Vec<Spanned<String>>;

#[derive(Debug, Default)]
pub(super) struct RawConfig {
    pub calendars: Field<Vec<RawCalendar>>,
    pub offices: Field<Vec<RawOffice>>,
    pub booking: Option<RawBooking>,
    pub privacy: Option<RawPrivacy>,
    pub limits: Field<toml::Table>,
}

#[derive(Debug, Default)]
pub(super) struct RawCalendar {
    /// The table header (`[[holiday_calendar]]`), where whole-table problems are reported.
    pub span: Span,
    /// How messages name this table (`holiday calendar "es-national"`).
    pub label: String,
    pub id: Field<String>,
    pub dates: Field<Strings>,
    pub ics: Field<String>,
}

#[derive(Debug, Default)]
pub(super) struct RawOffice {
    pub span: Span,
    pub label: String,
    pub id: Field<String>,
    pub name: Field<String>,
    pub timezone: Field<String>,
    pub address: Field<String>,
    pub municipality: Field<String>,
    pub province: Field<String>,
    pub holiday_calendars: Field<Strings>,
    pub closed_dates: Field<Strings>,
    pub hours: Field<Vec<RawHours>>,
    pub exceptions: Field<Vec<RawException>>,
    pub services: Field<Vec<RawService>>,
    pub desks: Field<Vec<RawDesk>>,
}

#[derive(Debug, Default)]
pub(super) struct RawHours {
    pub span: Span,
    pub label: String,
    pub days: Field<Strings>,
    pub open: Field<String>,
    pub close: Field<String>,
    pub from: Field<String>,
    pub to: Field<String>,
}

#[derive(Debug, Default)]
pub(super) struct RawException {
    pub span: Span,
    pub label: String,
    pub date: Field<String>,
    pub open: Field<String>,
    pub close: Field<String>,
    pub closed: Field<bool>,
}

#[derive(Debug, Default)]
pub(super) struct RawService {
    pub span: Span,
    pub label: String,
    pub id: Field<String>,
    pub name: Field<String>,
    pub duration_minutes: Field<i64>,
    pub buffer_minutes: Field<i64>,
    pub step_minutes: Field<i64>,
    pub min_notice_minutes: Field<i64>,
    pub max_advance_days: Field<i64>,
    pub max_active_per_citizen: Field<i64>,
    pub description: Field<String>,
    pub requirements: Field<Strings>,
}

#[derive(Debug, Default)]
pub(super) struct RawDesk {
    pub span: Span,
    pub label: String,
    pub id: Field<String>,
    pub services: Field<Strings>,
    pub hours: Field<Vec<RawHours>>,
}

#[derive(Debug, Default)]
pub(super) struct RawBooking {
    pub hold_ttl_seconds: Field<i64>,
}

#[derive(Debug, Default)]
pub(super) struct RawPrivacy {
    pub retain_personal_data_days: Field<i64>,
}

const ROOT_KEYS: &[&str] = &["holiday_calendar", "office", "booking", "privacy", "limits"];
const PRIVACY_KEYS: &[&str] = &["retain_personal_data_days"];
const CALENDAR_KEYS: &[&str] = &["id", "dates", "ics"];
const OFFICE_KEYS: &[&str] = &[
    "id",
    "name",
    "timezone",
    "address",
    "municipality",
    "province",
    "holiday_calendars",
    "closed_dates",
    "hours",
    "exception",
    "service",
    "desk",
];
const HOURS_KEYS: &[&str] = &["days", "open", "close", "from", "to"];
const EXCEPTION_KEYS: &[&str] = &["date", "open", "close", "closed"];
const SERVICE_KEYS: &[&str] = &[
    "id",
    "name",
    "duration_minutes",
    "buffer_minutes",
    "step_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "max_active_per_citizen",
    "description",
    "requirements",
];
const DESK_KEYS: &[&str] = &["id", "services", "hours"];
const BOOKING_KEYS: &[&str] = &["hold_ttl_seconds"];

/// Reads the whole document. Never fails: what cannot be read is reported and left out.
pub(super) fn read(root: &Spanned<DeTable<'_>>, p: &mut Problems) -> RawConfig {
    let mut raw = RawConfig::default();
    let label = "the configuration";
    for (key, v) in root.get_ref().iter() {
        match key.get_ref().as_ref() {
            "holiday_calendar" => {
                raw.calendars = tables(p, v, label, "holiday_calendar", read_calendar);
            }
            "office" => raw.offices = tables(p, v, label, "office", read_office),
            "booking" => match v.get_ref() {
                DeValue::Table(t) => raw.booking = Some(read_booking(p, t)),
                other => wrong_type(p, v, label, "booking", "a table ([booking])", other),
            },
            "privacy" => match v.get_ref() {
                DeValue::Table(t) => raw.privacy = Some(read_privacy(p, t)),
                other => wrong_type(p, v, label, "privacy", "a table ([privacy])", other),
            },
            "limits" => raw.limits = opaque_table(p, v),
            other => unknown_key(p, key, other, label, ROOT_KEYS),
        }
    }
    raw
}

fn read_calendar(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawCalendar {
    let mut c = RawCalendar {
        label: label_of(t, "holiday calendar", "id"),
        span,
        ..RawCalendar::default()
    };
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "id" => c.id = string(p, v, &c.label, "id"),
            "dates" => c.dates = list(p, v, &c.label, "dates", date),
            "ics" => c.ics = string(p, v, &c.label, "ics"),
            other => unknown_key(p, key, other, &c.label, CALENDAR_KEYS),
        }
    }
    c
}

fn read_office(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawOffice {
    let mut o = RawOffice {
        label: label_of(t, "office", "id"),
        span,
        ..RawOffice::default()
    };
    for (key, v) in t.iter() {
        let l = &o.label;
        match key.get_ref().as_ref() {
            "id" => o.id = string(p, v, l, "id"),
            "name" => o.name = string(p, v, l, "name"),
            "timezone" => o.timezone = string(p, v, l, "timezone"),
            "address" => o.address = string(p, v, l, "address"),
            "municipality" => o.municipality = string(p, v, l, "municipality"),
            "province" => o.province = string(p, v, l, "province"),
            "holiday_calendars" => o.holiday_calendars = list(p, v, l, "holiday_calendars", string),
            "closed_dates" => o.closed_dates = list(p, v, l, "closed_dates", date),
            "hours" => {
                let hours_label = format!("{l} opening hours");
                o.hours = tables(p, v, l, "office.hours", |p, t, span| {
                    read_hours(p, t, span, hours_label.clone())
                });
            }
            "exception" => o.exceptions = tables(p, v, l, "office.exception", read_exception),
            "service" => o.services = tables(p, v, l, "office.service", read_service),
            "desk" => o.desks = tables(p, v, l, "office.desk", read_desk),
            other => unknown_key(p, key, other, l, OFFICE_KEYS),
        }
    }
    o
}

fn read_hours(p: &mut Problems, t: &DeTable<'_>, span: Span, label: String) -> RawHours {
    let mut h = RawHours {
        label,
        span,
        ..RawHours::default()
    };
    for (key, v) in t.iter() {
        let l = &h.label;
        match key.get_ref().as_ref() {
            "days" => h.days = list(p, v, l, "days", string),
            "open" => h.open = string(p, v, l, "open"),
            "close" => h.close = string(p, v, l, "close"),
            "from" => h.from = string(p, v, l, "from"),
            "to" => h.to = string(p, v, l, "to"),
            other => unknown_key(p, key, other, l, HOURS_KEYS),
        }
    }
    h
}

fn read_exception(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawException {
    let label = match t.get("date").map(|v| v.get_ref()) {
        Some(DeValue::String(date)) => format!("exception on {date}"),
        Some(DeValue::Datetime(date)) => format!("exception on {date}"),
        _ => "exception".to_owned(),
    };
    let mut e = RawException {
        label,
        span,
        ..RawException::default()
    };
    for (key, v) in t.iter() {
        let l = &e.label;
        match key.get_ref().as_ref() {
            "date" => e.date = date(p, v, l, "date"),
            "open" => e.open = string(p, v, l, "open"),
            "close" => e.close = string(p, v, l, "close"),
            "closed" => e.closed = boolean(p, v, l, "closed"),
            other => unknown_key(p, key, other, l, EXCEPTION_KEYS),
        }
    }
    e
}

fn read_service(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawService {
    let mut s = RawService {
        label: label_of(t, "service", "id"),
        span,
        ..RawService::default()
    };
    for (key, v) in t.iter() {
        let l = &s.label;
        match key.get_ref().as_ref() {
            "id" => s.id = string(p, v, l, "id"),
            "name" => s.name = string(p, v, l, "name"),
            "duration_minutes" => s.duration_minutes = integer(p, v, l, "duration_minutes"),
            "buffer_minutes" => s.buffer_minutes = integer(p, v, l, "buffer_minutes"),
            "step_minutes" => s.step_minutes = integer(p, v, l, "step_minutes"),
            "min_notice_minutes" => s.min_notice_minutes = integer(p, v, l, "min_notice_minutes"),
            "max_advance_days" => s.max_advance_days = integer(p, v, l, "max_advance_days"),
            "max_active_per_citizen" => {
                s.max_active_per_citizen = integer(p, v, l, "max_active_per_citizen");
            }
            "description" => s.description = string(p, v, l, "description"),
            "requirements" => s.requirements = list(p, v, l, "requirements", string),
            other => unknown_key(p, key, other, l, SERVICE_KEYS),
        }
    }
    s
}

fn read_desk(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawDesk {
    let mut d = RawDesk {
        label: label_of(t, "desk", "id"),
        span,
        ..RawDesk::default()
    };
    for (key, v) in t.iter() {
        let l = &d.label;
        match key.get_ref().as_ref() {
            "id" => d.id = string(p, v, l, "id"),
            "services" => d.services = list(p, v, l, "services", string),
            "hours" => {
                let hours_label = format!("{l} opening hours");
                d.hours = tables(p, v, l, "office.desk.hours", |p, t, span| {
                    read_hours(p, t, span, hours_label.clone())
                });
            }
            other => unknown_key(p, key, other, l, DESK_KEYS),
        }
    }
    d
}

fn read_booking(p: &mut Problems, t: &DeTable<'_>) -> RawBooking {
    let mut b = RawBooking::default();
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "hold_ttl_seconds" => {
                b.hold_ttl_seconds = integer(p, v, "[booking]", "hold_ttl_seconds")
            }
            other => unknown_key(p, key, other, "[booking]", BOOKING_KEYS),
        }
    }
    b
}

fn read_privacy(p: &mut Problems, t: &DeTable<'_>) -> RawPrivacy {
    let mut privacy = RawPrivacy::default();
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "retain_personal_data_days" => {
                privacy.retain_personal_data_days =
                    integer(p, v, "[privacy]", "retain_personal_data_days")
            }
            other => unknown_key(p, key, other, "[privacy]", PRIVACY_KEYS),
        }
    }
    privacy
}

/// `[limits]` belongs to another layer: only check that it is a table, keep it verbatim.
fn opaque_table(p: &mut Problems, v: &Value<'_>) -> Field<toml::Table> {
    if !matches!(v.get_ref(), DeValue::Table(_)) {
        wrong_type(
            p,
            v,
            "the configuration",
            "limits",
            "a table ([limits])",
            v.get_ref(),
        );
        return Field::Bad;
    }
    match toml::Table::deserialize(ValueDeserializer::from(v.clone())) {
        Ok(table) => Field::Given(Spanned::new(v.span(), table)),
        Err(error) => {
            let at = error.span().unwrap_or(v.span());
            p.at(&at, format!("[limits]: {}", error.message()));
            Field::Bad
        }
    }
}

/// How to name a table in messages before its id has been checked: `office "madrid"`.
fn label_of(t: &DeTable<'_>, kind: &str, id_key: &str) -> String {
    match t.get(id_key).map(|v| v.get_ref()) {
        Some(DeValue::String(id)) => format!("{kind} {id:?}"),
        _ => kind.to_owned(),
    }
}

fn string(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<String> {
    match v.get_ref() {
        DeValue::String(s) => Field::Given(Spanned::new(v.span(), s.to_string())),
        other => {
            wrong_type(p, v, label, key, "a string", other);
            Field::Bad
        }
    }
}

/// A date: a `"YYYY-MM-DD"` string or a TOML local date, kept as text for `validate`.
fn date(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<String> {
    match v.get_ref() {
        DeValue::String(s) => Field::Given(Spanned::new(v.span(), s.to_string())),
        // A local date displays as `YYYY-MM-DD`; a date-time keeps its time and is refused
        // by `validate` with the value in the message.
        DeValue::Datetime(dt) => Field::Given(Spanned::new(v.span(), dt.to_string())),
        other => {
            wrong_type(p, v, label, key, "a date (\"YYYY-MM-DD\")", other);
            Field::Bad
        }
    }
}

fn integer(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<i64> {
    match v.get_ref() {
        DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
            Ok(n) => Field::Given(Spanned::new(v.span(), n)),
            Err(_) => {
                p.at(&v.span(), format!("{label}: {key} is far too large"));
                Field::Bad
            }
        },
        other => {
            wrong_type(p, v, label, key, "a whole number", other);
            Field::Bad
        }
    }
}

fn boolean(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Field::Given(Spanned::new(v.span(), *b)),
        other => {
            wrong_type(p, v, label, key, "true or false", other);
            Field::Bad
        }
    }
}

/// A list whose items are each read by `item`. One bad item makes the whole list `Bad`, so
/// later checks ("names no services") do not pile up on a problem already reported.
fn list(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    key: &str,
    item: fn(&mut Problems, &Value<'_>, &str, &str) -> Field<String>,
) -> Field<Strings> {
    let DeValue::Array(items) = v.get_ref() else {
        wrong_type(p, v, label, key, "a list", v.get_ref());
        return Field::Bad;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for value in items.iter() {
        match item(p, value, label, &format!("each entry of {key}")) {
            Field::Given(s) => out.push(s),
            Field::Missing | Field::Bad => ok = false,
        }
    }
    if ok {
        Field::Given(Spanned::new(v.span(), out))
    } else {
        Field::Bad
    }
}

/// An array of tables (`[[office.desk]]`), each read by `read` with its header span.
fn tables<T>(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    path: &str,
    mut read: impl FnMut(&mut Problems, &DeTable<'_>, Span) -> T,
) -> Field<Vec<T>> {
    let key = path.rsplit('.').next().unwrap_or(path);
    let DeValue::Array(items) = v.get_ref() else {
        let expected = format!("a list of tables ([[{path}]])");
        wrong_type(p, v, label, key, &expected, v.get_ref());
        return Field::Bad;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for value in items.iter() {
        match value.get_ref() {
            DeValue::Table(t) => out.push(read(p, t, value.span())),
            other => {
                let expected = format!("a table ([[{path}]])");
                wrong_type(
                    p,
                    value,
                    label,
                    &format!("each entry of {key}"),
                    &expected,
                    other,
                );
                ok = false;
            }
        }
    }
    if ok {
        Field::Given(Spanned::new(v.span(), out))
    } else {
        Field::Bad
    }
}

fn wrong_type(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    key: &str,
    expected: &str,
    found: &DeValue<'_>,
) {
    p.at(
        &v.span(),
        format!("{label}: {key} must be {expected}, not {}", kind(found)),
    );
}

fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn unknown_key(
    p: &mut Problems,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    name: &str,
    label: &str,
    known: &[&str],
) {
    let hint = match closest(name, known) {
        Some(near) => format!(" (did you mean {near:?}?)"),
        None => format!(" (known keys: {})", known.join(", ")),
    };
    p.at(&key.span(), format!("{label}: unknown key {name:?}{hint}"));
}

/// The known key within a small edit distance of a typo, if any.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let near = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k);
    // A shortened key (`hold_ttl` for `hold_ttl_seconds`) is far in edits but obvious.
    near.or_else(|| {
        known
            .iter()
            .find(|k| name.len() >= 4 && (k.starts_with(name) || name.starts_with(**k)))
            .copied()
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(
            closest("buffer_minuts", SERVICE_KEYS),
            Some("buffer_minutes")
        );
        assert_eq!(closest("desks", OFFICE_KEYS), Some("desk"));
        assert_eq!(closest("colour", OFFICE_KEYS), None);
        assert_eq!(closest("hold_ttl", BOOKING_KEYS), Some("hold_ttl_seconds"));
        assert_eq!(closest("ics_path", CALENDAR_KEYS), Some("ics"));
        assert_eq!(closest("zone", OFFICE_KEYS), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
