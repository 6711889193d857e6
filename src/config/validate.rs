//! Value and cross-reference checks: raw structs in, domain values out.
//!
//! Every check reports its own problem and carries on, so one pass lists them all. A check
//! that fails returns `Err(Reported)`; later checks that depend on that value are skipped
//! rather than reporting the same mistake again in other words.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::RangeInclusive;

use chrono::NaiveDate;
use chrono_tz::Tz;
use toml::Spanned;

use super::shape::{
    Field, RawCalendar, RawConfig, RawDesk, RawException, RawHours, RawOffice, RawService, Span,
};
use super::{BookingSettings, Config, HolidayCalendar, PrivacySettings, Problems};
use crate::domain::{
    DateException, Desk, DeskId, ExceptionHours, HolidayCalendarId, MonthDay, Office, OfficeId,
    OpeningRule, Season, Service, ServiceId, WallTime, Weekdays,
};
use crate::ical::holiday_dates_from_ics;
use crate::limits::LimitSettings;

/// The allocator keeps desk sets in 128-bit masks.
pub(super) const MAX_DESKS_PER_OFFICE: usize = 128;
pub(super) const MAX_ID_LEN: usize = 64;
const MINUTES_PER_DAY: u32 = 24 * 60;
/// Booking further ahead than a year is not something a public office plans for.
const MAX_ADVANCE_DAYS: u32 = 366;

/// A problem about this value has already been reported.
#[derive(Debug)]
struct Reported;

type Checked<T> = Result<T, Reported>;

/// Builds the configuration. Returns `None` only after reporting at least one problem.
pub(super) fn build(
    raw: &RawConfig,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    p: &mut Problems,
) -> Option<Config> {
    let booking = booking(p, raw);
    let privacy = privacy(p, raw);
    let calendars = calendars(p, raw, read_file);
    let offices = offices(p, raw, &calendars);
    let limits = limits(p, raw);
    Some(Config {
        holiday_calendars: calendars.list.ok()?,
        offices: offices.ok()?,
        booking: booking.ok()?,
        privacy: privacy.ok()?,
        limits: limits.ok()?,
    })
}

fn privacy(p: &mut Problems, raw: &RawConfig) -> Checked<PrivacySettings> {
    let Some(privacy) = &raw.privacy else {
        return Ok(PrivacySettings::default());
    };
    let retain_personal_data_days = number(
        p,
        &privacy.retain_personal_data_days,
        "[privacy]",
        "retain_personal_data_days",
        PrivacySettings::RETENTION_RANGE,
        Some(PrivacySettings::DEFAULT_RETENTION_DAYS),
        &(0..0),
    )?;
    Ok(PrivacySettings {
        retain_personal_data_days,
    })
}

/// `[limits]` is read by the surge-protection layer's own schema; its complaint is
/// reported at the section's line.
fn limits(p: &mut Problems, raw: &RawConfig) -> Checked<LimitSettings> {
    let Some(table) = raw.limits.given() else {
        return Ok(LimitSettings::default());
    };
    LimitSettings::from_table(Some(table.get_ref())).map_err(|message| {
        p.at(&table.span(), message);
        Reported
    })
}

fn booking(p: &mut Problems, raw: &RawConfig) -> Checked<BookingSettings> {
    let Some(b) = &raw.booking else {
        return Ok(BookingSettings::default());
    };
    let hold_ttl_seconds = number(
        p,
        &b.hold_ttl_seconds,
        "[booking]",
        "hold_ttl_seconds",
        BookingSettings::HOLD_TTL_RANGE,
        Some(BookingSettings::DEFAULT_HOLD_TTL_SECONDS),
        &(0..0),
    )?;
    Ok(BookingSettings { hold_ttl_seconds })
}

/// Holiday calendars by id, so offices can resolve theirs.
struct Calendars {
    /// Every well-formed id; `None` dates when the calendar itself had a problem.
    dates: HashMap<String, Option<BTreeSet<NaiveDate>>>,
    /// False when some calendar's id could not be read: then an "unknown calendar" may just
    /// be that one, so it is not reported again.
    complete: bool,
    list: Checked<Vec<HolidayCalendar>>,
}

fn calendars(
    p: &mut Problems,
    raw: &RawConfig,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Calendars {
    let mut out = Calendars {
        dates: HashMap::new(),
        complete: !matches!(raw.calendars, Field::Bad),
        list: Ok(Vec::new()),
    };
    let Some(list) = raw.calendars.given() else {
        return out;
    };
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    let mut ok = true;
    for c in list.get_ref() {
        let well_formed = id(p, &c.id, &c.label, "holiday calendar", &c.span);
        if well_formed.is_err() {
            out.complete = false;
        }
        let id = well_formed.and_then(|id| unique(p, &mut seen, id, "holiday calendar"));
        let dates = calendar_dates(p, c, read_file);
        if let Ok(id) = &id {
            out.dates
                .insert(id.get_ref().clone(), dates.as_ref().ok().cloned());
        }
        match (id, dates) {
            (Ok(id), Ok(dates)) => built.push(HolidayCalendar {
                id: HolidayCalendarId::new(id.get_ref().as_str()),
                dates,
            }),
            _ => ok = false,
        }
    }
    out.list = if ok { Ok(built) } else { Err(Reported) };
    out
}

fn calendar_dates(
    p: &mut Problems,
    c: &RawCalendar,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Checked<BTreeSet<NaiveDate>> {
    match (&c.dates, &c.ics) {
        (Field::Given(_), Field::Given(_)) => {
            p.at(
                &c.span,
                format!("{} has both dates and ics; give one of them", c.label),
            );
            Err(Reported)
        }
        (Field::Missing, Field::Missing) => {
            p.at(
                &c.span,
                format!(
                    "{} needs dates = [\"YYYY-MM-DD\", …] or ics = \"file.ics\"",
                    c.label
                ),
            );
            Err(Reported)
        }
        (Field::Given(dates), _) => {
            date_set(p, dates, &c.label, "dates").map(|d| d.into_keys().collect())
        }
        (_, Field::Given(path)) => {
            let at = path.span();
            let path = path.get_ref();
            let text = read_file(path).map_err(|e| {
                p.at(&at, format!("{}: cannot read {path:?}: {e}", c.label));
                Reported
            })?;
            holiday_dates_from_ics(&text).map_err(|e| {
                p.at(&at, format!("{}: {path:?} was refused: {e}", c.label));
                Reported
            })
        }
        _ => Err(Reported),
    }
}

/// Facts about services that must agree across offices.
#[derive(Default)]
struct SharedServices {
    /// Service id -> (max_active_per_citizen, where it was set, which office).
    max_active: HashMap<String, (u32, Span, String)>,
}

fn offices(p: &mut Problems, raw: &RawConfig, calendars: &Calendars) -> Checked<Vec<Office>> {
    let list = match &raw.offices {
        Field::Given(list) if !list.get_ref().is_empty() => list.get_ref(),
        Field::Bad => return Err(Reported),
        _ => {
            p.at(
                &(0..0),
                "the configuration defines no offices; add at least one [[office]]",
            );
            return Err(Reported);
        }
    };
    let mut seen = HashMap::new();
    let mut shared = SharedServices::default();
    let mut built = Vec::new();
    let mut ok = true;
    for o in list {
        let unique_id = id(p, &o.id, &o.label, "office", &o.span)
            .and_then(|id| unique(p, &mut seen, id, "office"));
        match office(p, o, unique_id, calendars, &mut shared) {
            Ok(office) => built.push(office),
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(built) } else { Err(Reported) }
}

fn office(
    p: &mut Problems,
    o: &RawOffice,
    id: Checked<&Spanned<String>>,
    calendars: &Calendars,
    shared: &mut SharedServices,
) -> Checked<Office> {
    let label = &o.label;
    let name = text(p, &o.name, label, "name", &o.span);
    let timezone = timezone(p, &o.timezone, label, &o.span);
    let address = text(p, &o.address, label, "address", &o.span);
    let municipality = optional_text(p, &o.municipality, label, "municipality", 100);
    let province = optional_text(p, &o.province, label, "province", 100);
    let holidays = holiday_refs(p, o, calendars);
    let closed_dates = match &o.closed_dates {
        Field::Given(dates) => date_set(p, dates, label, "closed_dates"),
        Field::Missing => Ok(BTreeMap::new()),
        Field::Bad => Err(Reported),
    };
    let hours = match &o.hours {
        Field::Given(rules) => opening_rules(p, rules.get_ref()),
        Field::Missing => Ok(Vec::new()),
        Field::Bad => Err(Reported),
    };
    let exceptions = exceptions(p, o, closed_dates.as_ref().ok());
    let services = services(p, o, shared);
    let desks = desks(p, o, &services);
    if let Field::Given(list) = &o.desks {
        office_without_hours(p, o, list.get_ref());
    }

    let (
        Ok(id),
        Ok(name),
        Ok(timezone),
        Ok(address),
        Ok((holiday_calendars, holidays)),
        Ok(closed_dates),
        Ok(hours),
        Ok(exceptions),
        Ok(services),
        Ok(desks),
        Ok(municipality),
        Ok(province),
    ) = (
        id,
        name,
        timezone,
        address,
        holidays,
        closed_dates,
        hours,
        exceptions,
        services.built,
        desks,
        municipality,
        province,
    )
    else {
        return Err(Reported);
    };
    Ok(Office {
        id: OfficeId::new(id.get_ref().as_str()),
        name,
        timezone,
        address,
        municipality,
        province,
        holiday_calendars,
        holidays,
        closed_dates: closed_dates.into_keys().collect(),
        hours,
        exceptions,
        services,
        desks,
    })
}

fn timezone(p: &mut Problems, f: &Field<String>, label: &str, table: &Span) -> Checked<Tz> {
    let zone = required(p, f, label, "timezone", table)?;
    let name = zone.get_ref().trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let hint = match chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
    {
        Some(tz) => format!("did you mean {:?}?", tz.name()),
        None => "use an IANA name such as \"Europe/Madrid\" or \"Atlantic/Canary\"".to_owned(),
    };
    p.at(
        &zone.span(),
        format!("{label}: unknown time zone {:?} ({hint})", zone.get_ref()),
    );
    Err(Reported)
}

/// The office's calendar ids and the union of their dates.
fn holiday_refs(
    p: &mut Problems,
    o: &RawOffice,
    calendars: &Calendars,
) -> Checked<(Vec<HolidayCalendarId>, BTreeSet<NaiveDate>)> {
    let refs = match &o.holiday_calendars {
        Field::Given(refs) => refs.get_ref(),
        Field::Missing => return Ok((Vec::new(), BTreeSet::new())),
        Field::Bad => return Err(Reported),
    };
    let mut ids = Vec::new();
    let mut dates = BTreeSet::new();
    let mut ok = true;
    for r in refs {
        match calendars.dates.get(r.get_ref()) {
            Some(Some(calendar)) => {
                ids.push(HolidayCalendarId::new(r.get_ref().as_str()));
                dates.extend(calendar.iter().copied());
            }
            // The calendar exists but has its own problem, already reported.
            Some(None) => ok = false,
            None => {
                ok = false;
                if calendars.complete {
                    p.at(
                        &r.span(),
                        format!(
                            "{} names unknown holiday calendar {:?}",
                            o.label,
                            r.get_ref()
                        ),
                    );
                }
            }
        }
    }
    if ok { Ok((ids, dates)) } else { Err(Reported) }
}

fn exceptions(
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

fn opening_rules(p: &mut Problems, list: &[RawHours]) -> Checked<Vec<OpeningRule>> {
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
    let days = weekdays(p, h);
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

fn weekdays(p: &mut Problems, h: &RawHours) -> Checked<Weekdays> {
    let names = required(p, &h.days, &h.label, "days", &h.span)?;
    if names.get_ref().is_empty() {
        p.at(
            &names.span(),
            format!(
                "{}: days is empty; list some of mon, tue, wed, thu, fri, sat, sun",
                h.label
            ),
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
                        "{}: unknown weekday {:?}; use mon, tue, wed, thu, fri, sat, sun",
                        h.label,
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

fn wall_time(
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

/// The office's services, plus what desks need to check their references.
struct Services {
    built: Checked<Vec<Service>>,
    /// Ids that read well, with their spans.
    ids: Vec<Spanned<String>>,
    /// False when some service id could not be read.
    complete: bool,
}

fn services(p: &mut Problems, o: &RawOffice, shared: &mut SharedServices) -> Services {
    let list = match &o.services {
        Field::Given(list) => list.get_ref().as_slice(),
        Field::Missing => &[],
        Field::Bad => {
            return Services {
                built: Err(Reported),
                ids: Vec::new(),
                complete: false,
            };
        }
    };
    let mut out = Services {
        built: Ok(Vec::new()),
        ids: Vec::new(),
        complete: true,
    };
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    for s in list {
        let id = id(p, &s.id, &s.label, "service", &s.span);
        match &id {
            Ok(id) => out.ids.push(Spanned::new(id.span(), id.get_ref().clone())),
            Err(Reported) => out.complete = false,
        }
        let id = id.and_then(|id| unique(p, &mut seen, id, "service"));
        match service(p, s, id, &o.label, shared) {
            Ok(service) => built.push(service),
            Err(Reported) => out.built = Err(Reported),
        }
    }
    if out.built.is_ok() {
        out.built = Ok(built);
    }
    out
}

fn service(
    p: &mut Problems,
    s: &RawService,
    id: Checked<&Spanned<String>>,
    office: &str,
    shared: &mut SharedServices,
) -> Checked<Service> {
    let l = &s.label;
    let at = &s.span;
    let name = text(p, &s.name, l, "name", at);
    let duration = number(
        p,
        &s.duration_minutes,
        l,
        "duration_minutes",
        1..=MINUTES_PER_DAY,
        None,
        at,
    );
    let buffer = number(
        p,
        &s.buffer_minutes,
        l,
        "buffer_minutes",
        0..=MINUTES_PER_DAY,
        Some(0),
        at,
    );
    let step = match &duration {
        Ok(duration) => number(
            p,
            &s.step_minutes,
            l,
            "step_minutes",
            1..=MINUTES_PER_DAY,
            Some(*duration),
            at,
        ),
        Err(Reported) => Err(Reported),
    };
    let min_notice = number(
        p,
        &s.min_notice_minutes,
        l,
        "min_notice_minutes",
        0..=MAX_ADVANCE_DAYS * MINUTES_PER_DAY,
        Some(0),
        at,
    );
    let max_advance = number(
        p,
        &s.max_advance_days,
        l,
        "max_advance_days",
        0..=MAX_ADVANCE_DAYS,
        Some(60),
        at,
    );
    let max_active = number(
        p,
        &s.max_active_per_citizen,
        l,
        "max_active_per_citizen",
        1..=u32::MAX,
        Some(1),
        at,
    );

    if let (Ok(duration), Ok(buffer)) = (&duration, &buffer)
        && duration + buffer > MINUTES_PER_DAY
    {
        p.at(
            at,
            format!(
                "{l}: duration_minutes + buffer_minutes is {} minutes, longer than a day",
                duration + buffer
            ),
        );
        return Err(Reported);
    }
    // The latest bookable start is before the end of the day `advance` days ahead.
    if let (Ok(notice), Ok(advance)) = (&min_notice, &max_advance)
        && *notice >= (advance + 1) * MINUTES_PER_DAY
    {
        let span = s
            .min_notice_minutes
            .given()
            .map_or(at.clone(), |v| v.span());
        p.at(
            &span,
            format!(
                "{l}: min_notice_minutes {notice} reaches past max_advance_days {advance}, so nothing could ever be booked"
            ),
        );
        return Err(Reported);
    }
    if let (Ok(limit), Ok(id)) = (&max_active, &id) {
        let span = s
            .max_active_per_citizen
            .given()
            .map_or(id.span(), |v| v.span());
        match shared.max_active.get(id.get_ref()) {
            Some((other, first, other_office)) if other != limit => {
                let line = p.line(first.start);
                p.at(
                    &span,
                    format!(
                        "{l} allows {limit} active appointment(s) per citizen here but {other} in {other_office} (line {line}); the same service id is one procedure and its limit counts across offices, so they must agree"
                    ),
                );
                return Err(Reported);
            }
            Some(_) => {}
            None => {
                shared
                    .max_active
                    .insert(id.get_ref().clone(), (*limit, span, office.to_owned()));
            }
        }
    }

    let description = optional_text(p, &s.description, l, "description", 1000);
    let requirements = match &s.requirements {
        Field::Given(items) => items
            .get_ref()
            .iter()
            .map(|item| {
                let text = item.get_ref().trim();
                if text.is_empty() || text.chars().count() > 300 {
                    p.at(
                        &item.span(),
                        format!("{l}: each of requirements must be 1 to 300 characters"),
                    );
                    Err(Reported)
                } else {
                    Ok(text.to_owned())
                }
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Checked<Vec<String>>>(),
        Field::Missing => Ok(Vec::new()),
        Field::Bad => Err(Reported),
    };
    let id = id?;
    Ok(Service {
        id: ServiceId::new(id.get_ref().as_str()),
        description: description?,
        requirements: requirements?,
        name: name?,
        duration_minutes: duration?,
        buffer_minutes: buffer?,
        step_minutes: step?,
        min_notice_minutes: min_notice?,
        max_advance_days: max_advance?,
        max_active_per_citizen: max_active?,
    })
}

fn desks(p: &mut Problems, o: &RawOffice, services: &Services) -> Checked<Vec<Desk>> {
    let list = match &o.desks {
        Field::Given(list) if !list.get_ref().is_empty() => list.get_ref(),
        Field::Bad => return Err(Reported),
        _ => {
            p.at(
                &o.span,
                format!("{} has no desks; add at least one [[office.desk]]", o.label),
            );
            return Err(Reported);
        }
    };
    let known: HashSet<&str> = services
        .ids
        .iter()
        .map(|id| id.get_ref().as_str())
        .collect();
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    let mut ok = true;
    let mut all_refs_read = true;
    let mut served = HashSet::new();
    for (i, d) in list.iter().enumerate() {
        if i == MAX_DESKS_PER_OFFICE {
            p.at(
                &d.span,
                format!(
                    "{} has more than {MAX_DESKS_PER_OFFICE} desks ({} is number {}); an office can have at most {MAX_DESKS_PER_OFFICE}",
                    o.label,
                    d.label,
                    i + 1
                ),
            );
            ok = false;
        }
        let id =
            id(p, &d.id, &d.label, "desk", &d.span).and_then(|id| unique(p, &mut seen, id, "desk"));
        let refs = desk_services(p, d, &known, services.complete);
        match &d.services {
            Field::Given(list) => {
                served.extend(list.get_ref().iter().map(|s| s.get_ref().as_str()))
            }
            Field::Missing | Field::Bad => all_refs_read = false,
        }
        let hours = match &d.hours {
            Field::Given(rules) if rules.get_ref().is_empty() => {
                p.at(
                    &rules.span(),
                    format!(
                        "{}: hours is an empty list; remove it to use the office hours",
                        d.label
                    ),
                );
                Err(Reported)
            }
            Field::Given(rules) => opening_rules(p, rules.get_ref()).map(Some),
            Field::Missing => Ok(None),
            Field::Bad => Err(Reported),
        };
        match (id, refs, hours) {
            (Ok(id), Ok(services), Ok(hours)) => built.push(Desk {
                id: DeskId::new(id.get_ref().as_str()),
                services,
                hours,
            }),
            _ => ok = false,
        }
    }
    if all_refs_read {
        for id in &services.ids {
            if !served.contains(id.get_ref().as_str()) {
                ok = false;
                p.at(
                    &id.span(),
                    format!(
                        "service {:?} is not served by any desk; add it to some desk's services",
                        id.get_ref()
                    ),
                );
            }
        }
    }
    if ok { Ok(built) } else { Err(Reported) }
}

fn desk_services(
    p: &mut Problems,
    d: &RawDesk,
    known: &HashSet<&str>,
    known_is_complete: bool,
) -> Checked<BTreeSet<ServiceId>> {
    let names = required(p, &d.services, &d.label, "services", &d.span)?;
    if names.get_ref().is_empty() {
        p.at(
            &names.span(),
            format!(
                "{} serves no services; list at least one service id",
                d.label
            ),
        );
        return Err(Reported);
    }
    let mut out = BTreeSet::new();
    let mut ok = true;
    for name in names.get_ref() {
        if known.contains(name.get_ref().as_str()) {
            out.insert(ServiceId::new(name.get_ref().as_str()));
        } else {
            ok = false;
            if known_is_complete {
                p.at(
                    &name.span(),
                    format!("{} names unknown service {:?}", d.label, name.get_ref()),
                );
            }
        }
    }
    if ok { Ok(out) } else { Err(Reported) }
}

/// Desks without their own hours inherit the office's; with none there, they never open.
fn office_without_hours(p: &mut Problems, o: &RawOffice, desks: &[RawDesk]) {
    let office_has_hours = match &o.hours {
        Field::Given(rules) => !rules.get_ref().is_empty(),
        Field::Missing => false,
        Field::Bad => return,
    };
    if office_has_hours {
        return;
    }
    let closed: Vec<&str> = desks
        .iter()
        .filter(|d| d.hours.is_missing())
        .map(|d| d.label.as_str())
        .collect();
    if !closed.is_empty() {
        p.at(
            &o.span,
            format!(
                "{} has no [[office.hours]], so {} without hours of its own would never open",
                o.label,
                closed.join(", ")
            ),
        );
    }
}

// --- small readers ---------------------------------------------------------------------

fn required<'f, T>(
    p: &mut Problems,
    f: &'f Field<T>,
    label: &str,
    key: &str,
    table: &Span,
) -> Checked<&'f Spanned<T>> {
    match f {
        Field::Given(v) => Ok(v),
        Field::Bad => Err(Reported),
        Field::Missing => {
            p.at(table, format!("{label} is missing {key}"));
            Err(Reported)
        }
    }
}

fn optional<T>(f: &Field<T>) -> Checked<Option<&Spanned<T>>> {
    match f {
        Field::Given(v) => Ok(Some(v)),
        Field::Missing => Ok(None),
        Field::Bad => Err(Reported),
    }
}

/// A required, non-blank text such as a name or an address.
fn text(
    p: &mut Problems,
    f: &Field<String>,
    label: &str,
    key: &str,
    table: &Span,
) -> Checked<String> {
    let v = required(p, f, label, key, table)?;
    let trimmed = v.get_ref().trim();
    if trimmed.is_empty() {
        p.at(&v.span(), format!("{label}: {key} must not be empty"));
        return Err(Reported);
    }
    Ok(trimmed.to_owned())
}

/// An optional text: absent is `None`; given, it must hold 1 to `max` characters once
/// trimmed.
fn optional_text(
    p: &mut Problems,
    f: &Field<String>,
    label: &str,
    key: &str,
    max: usize,
) -> Checked<Option<String>> {
    match f {
        Field::Missing => Ok(None),
        Field::Bad => Err(Reported),
        Field::Given(v) => {
            let trimmed = v.get_ref().trim();
            if trimmed.is_empty() || trimmed.chars().count() > max {
                p.at(
                    &v.span(),
                    format!("{label}: {key} must be 1 to {max} characters"),
                );
                return Err(Reported);
            }
            Ok(Some(trimmed.to_owned()))
        }
    }
}

/// Ids appear in URLs and feeds: 1–64 characters of `a-z 0-9 _ -`.
fn id<'f>(
    p: &mut Problems,
    f: &'f Field<String>,
    label: &str,
    kind: &str,
    table: &Span,
) -> Checked<&'f Spanned<String>> {
    let v = required(p, f, label, "id", table)?;
    let id = v.get_ref();
    let well_formed = (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !well_formed {
        p.at(
            &v.span(),
            format!(
                "{kind} id {id:?} must be 1 to {MAX_ID_LEN} characters of a-z, 0-9, \"_\" and \"-\" (ids appear in URLs)"
            ),
        );
        return Err(Reported);
    }
    Ok(v)
}

fn unique<'v>(
    p: &mut Problems,
    seen: &mut HashMap<String, Span>,
    id: &'v Spanned<String>,
    kind: &str,
) -> Checked<&'v Spanned<String>> {
    if let Some(first) = seen.get(id.get_ref()) {
        let line = p.line(first.start);
        p.at(
            &id.span(),
            format!(
                "{kind} id {:?} is already used on line {line}",
                id.get_ref()
            ),
        );
        return Err(Reported);
    }
    seen.insert(id.get_ref().clone(), id.span());
    Ok(id)
}

/// A whole number in `range`; `default` when the key is absent (`None`: it is required).
fn number(
    p: &mut Problems,
    f: &Field<i64>,
    label: &str,
    key: &str,
    range: RangeInclusive<u32>,
    default: Option<u32>,
    table: &Span,
) -> Checked<u32> {
    let v = match (f, default) {
        (Field::Missing, Some(default)) => return Ok(default),
        _ => required(p, f, label, key, table)?,
    };
    match u32::try_from(*v.get_ref()) {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => {
            let allowed = if *range.end() == u32::MAX {
                format!("at least {}", range.start())
            } else {
                format!("between {} and {}", range.start(), range.end())
            };
            p.at(
                &v.span(),
                format!("{label}: {key} must be {allowed}, not {}", v.get_ref()),
            );
            Err(Reported)
        }
    }
}

fn date(p: &mut Problems, v: &Spanned<String>, label: &str, key: &str) -> Checked<NaiveDate> {
    parse_date(v.get_ref().trim()).ok_or_else(|| {
        p.at(
            &v.span(),
            format!(
                "{label}: {key} {:?} is not a date like \"2027-01-06\" (YYYY-MM-DD)",
                v.get_ref()
            ),
        );
        Reported
    })
}

/// Dates with where each was written (duplicates are harmless and merge).
fn date_set(
    p: &mut Problems,
    list: &Spanned<Vec<Spanned<String>>>,
    label: &str,
    key: &str,
) -> Checked<BTreeMap<NaiveDate, Span>> {
    let mut out = BTreeMap::new();
    let mut ok = true;
    for v in list.get_ref() {
        match date(p, v, label, key) {
            Ok(d) => {
                out.entry(d).or_insert(v.span());
            }
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(out) } else { Err(Reported) }
}

/// Strict `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::from_ymd_opt(
        text.get(0..4)?.parse().ok()?,
        text.get(5..7)?.parse().ok()?,
        text.get(8..10)?.parse().ok()?,
    )
}
