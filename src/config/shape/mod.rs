//! Shape check: walks `toml`'s spanned document into raw structs, reporting unknown keys
//! and values of the wrong type. Values are not interpreted here (times, dates and ids stay
//! text); every field keeps its span so later problems point at the right line.
//!
//! This walks the document by hand rather than through `#[derive(Deserialize)]` because
//! serde stops at the first wrong type or unknown key, and the contract is to report all.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod sections;
mod values;

use sections::{read_booking, read_calendar, read_office, read_privacy};
use values::{opaque_table, tables, unknown_key, wrong_type};

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
    pub releases: Field<Vec<RawRelease>>,
}

#[derive(Debug, Default)]
pub(super) struct RawRelease {
    pub span: Span,
    pub label: String,
    pub service: Field<String>,
    pub at: Field<String>,
    pub days: Field<Strings>,
    pub opens: Field<String>,
    pub draw: Field<bool>,
    pub entries_open_hours: Field<i64>,
    pub entries_close_minutes: Field<i64>,
    pub priority_to_unlucky: Field<bool>,
    pub waiting_room: Field<bool>,
    pub room_opens_minutes: Field<i64>,
    pub admit_per_minute: Field<i64>,
    pub room_closes_minutes: Field<i64>,
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
    pub max_reschedules: Field<i64>,
    pub cancelled_return_minutes: Field<i64>,
    pub no_show_cool_off_days: Field<i64>,
    pub max_cancellations: Field<i64>,
    pub cancellations_window_days: Field<i64>,
    pub staff_share_percent: Field<i64>,
    pub staff_share_until_hours: Field<i64>,
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
    pub reminder_hours: Field<Vec<i64>>,
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
    "release",
];
const RELEASE_KEYS: &[&str] = &[
    "service",
    "at",
    "days",
    "opens",
    "draw",
    "entries_open_hours",
    "entries_close_minutes",
    "priority_to_unlucky",
    "waiting_room",
    "room_opens_minutes",
    "admit_per_minute",
    "room_closes_minutes",
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
    "max_reschedules",
    "cancelled_return_minutes",
    "no_show_cool_off_days",
    "max_cancellations",
    "cancellations_window_days",
    "staff_share_percent",
    "staff_share_until_hours",
    "description",
    "requirements",
];
const DESK_KEYS: &[&str] = &["id", "services", "hours"];
const BOOKING_KEYS: &[&str] = &["hold_ttl_seconds", "reminder_hours"];

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
