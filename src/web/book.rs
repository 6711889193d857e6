//! Booking, one question per page: procedure → office → day → time (which takes a hold)
//! → details → check → confirmation. The day and time pages serve rescheduling too
//! ([`Calendar`]).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::{
    Actor, BookRequest, BookingError, CitizenInput, CitizenLimit, CitizenProblem, HoldOwner,
};
use crate::calendar::{local_date, office_local_hours};
use crate::domain::{DocumentError, Office, OfficeId, Service, ServiceId};
use crate::http::AppState;
use crate::http::error::ApiError;

use super::Visit;
use super::i18n::{FluentArg, Lang};
use super::pages::{
    CheckPage, CheckRow, DayView, DaysPage, DetailsPage, DonePage, OfficeView, OfficesPage,
    ProcedureView, ProceduresPage, TimeView, TimesPage,
};
use super::session::{CsrfForm, Details, Draft, Held};
use super::visit::FieldError;

/// How many times a citizen may ask for more time on one hold.
const MAX_EXTENSIONS: u8 = 2;

/// The procedures, each once however many offices offer it.
pub async fn procedures(State(state): State<AppState>, visit: Visit) -> Response {
    let catalog = state.booking.catalog();
    let mut grouped: BTreeMap<String, (Service, Vec<u32>)> = BTreeMap::new();
    for office in catalog.offices() {
        for service in &office.services {
            grouped
                .entry(service.id.to_string())
                .or_insert_with(|| (service.clone(), Vec::new()))
                .1
                .push(service.duration_minutes);
        }
    }
    let mut procedures: Vec<ProcedureView> = grouped
        .into_iter()
        .map(|(id, (service, durations))| {
            let (low, high) = (
                durations.iter().min().copied().unwrap_or(0),
                durations.iter().max().copied().unwrap_or(0),
            );
            let minutes = if low == high {
                low.to_string()
            } else {
                format!("{low}–{high}")
            };
            ProcedureView {
                duration: visit
                    .lang
                    .t_with("procedure-duration", &[("minutes", minutes.into())]),
                offices: visit.lang.t_with(
                    "procedure-offices",
                    &[("count", FluentArg::Number(durations.len() as i64))],
                ),
                href: format!("/book/office?service_id={}", encode(&id)),
                name: service.name,
                description: service.description,
                requirements: service.requirements,
            }
        })
        .collect();
    procedures.sort_by(|a, b| a.name.cmp(&b.name));
    let template = ProceduresPage {
        page: visit.page("procedure-title"),
        procedures,
    };
    visit.render(StatusCode::OK, &template)
}

#[derive(Debug, Deserialize)]
pub struct OfficesQuery {
    service_id: String,
    #[serde(default)]
    q: String,
}

/// The offices that offer a procedure, each with its first day with free times.
pub async fn offices(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<OfficesQuery>,
) -> Response {
    let catalog = state.booking.catalog();
    let service_id = ServiceId::new(query.service_id.as_str());
    let offering: Vec<&Office> = catalog
        .offices()
        .filter(|o| o.service(&service_id).is_some())
        .collect();
    let Some(procedure) = offering
        .first()
        .and_then(|o| o.service(&service_id))
        .map(|s| s.name.clone())
    else {
        return visit.fail(BookingError::NotFound);
    };
    let wanted = fold(query.q.trim());
    let shown: Vec<&Office> = offering
        .iter()
        .copied()
        .filter(|o| wanted.is_empty() || place_of(o).contains(&wanted))
        .collect();
    let mut offices = Vec::new();
    for office in &shown {
        let Some(service) = office.service(&service_id) else {
            continue;
        };
        let today = local_date(office.timezone, visit.now);
        let days = i64::from(service.max_advance_days.min(61));
        let first = match state
            .booking
            .days(&office.id, &service_id, today, today + Duration::days(days))
            .await
        {
            Ok(list) => list.into_iter().find(|d| d.slots > 0).map(|d| d.date),
            Err(error) => return visit.fail(error),
        };
        offices.push(OfficeView {
            name: office.name.clone(),
            address: office.address.clone(),
            next: match first {
                Some(date) => visit.lang.t_with(
                    "office-next",
                    &[("date", visit.lang.short_date(date).into())],
                ),
                None => visit
                    .lang
                    .t_with("office-none", &[("days", FluentArg::Number(days + 1))]),
            },
            available: first.is_some(),
            href: format!(
                "/book/day?office_id={}&service_id={}",
                encode(office.id.as_str()),
                encode(service_id.as_str())
            ),
        });
    }
    let none_found = (offices.is_empty() && !wanted.is_empty()).then(|| {
        visit
            .lang
            .t_with("office-none-found", &[("query", query.q.trim().into())])
    });
    let template = OfficesPage {
        page: visit.page("office-title"),
        procedure: visit
            .lang
            .t_with("office-for", &[("procedure", procedure.into())]),
        service_id: query.service_id.clone(),
        query: query.q.trim().to_owned(),
        show_filter: offering.len() > 1,
        none_found,
        offices,
    };
    visit.render(StatusCode::OK, &template)
}

/// Lower case without accents, for the office filter ("Málaga" finds "malaga").
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            other => other,
        })
        .collect()
}

/// What the office filter searches: municipality, province, name and address.
fn place_of(office: &Office) -> String {
    fold(&format!(
        "{} {} {} {}",
        office.municipality.as_deref().unwrap_or(""),
        office.province.as_deref().unwrap_or(""),
        office.name,
        office.address
    ))
}

/// Percent-encodes a query value (ids are `a-z 0-9 _ -`, dates and instants ASCII).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Where the day and time pages lead: booking or rescheduling.
pub(crate) enum Calendar<'a> {
    Book { office: &'a str, service: &'a str },
    Reschedule,
}

impl Calendar<'_> {
    fn days_path(&self) -> &'static str {
        match self {
            Calendar::Book { .. } => "/book/day",
            Calendar::Reschedule => "/manage/day",
        }
    }

    fn times_path(&self) -> &'static str {
        match self {
            Calendar::Book { .. } => "/book/time",
            Calendar::Reschedule => "/manage/time",
        }
    }

    /// The query fields that name the office and procedure (none when rescheduling: the
    /// session's appointment does).
    fn fields(&self) -> Vec<(&'static str, String)> {
        match self {
            Calendar::Book { office, service } => vec![
                ("office_id", (*office).to_owned()),
                ("service_id", (*service).to_owned()),
            ],
            Calendar::Reschedule => Vec::new(),
        }
    }

    fn link(&self, path: &str, extra: &[(&str, String)]) -> String {
        let pairs: Vec<String> = self
            .fields()
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        if pairs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", pairs.join("&"))
        }
    }

    fn back(&self) -> String {
        match self {
            Calendar::Book { service, .. } => {
                format!("/book/office?service_id={}", encode(service))
            }
            Calendar::Reschedule => "/manage/appointment".to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DaysQuery {
    office_id: String,
    service_id: String,
    week: Option<String>,
}

/// A week of days with their number of free times.
pub async fn days(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<DaysQuery>,
) -> Response {
    let calendar = Calendar::Book {
        office: &query.office_id,
        service: &query.service_id,
    };
    let week = query
        .week
        .as_deref()
        .and_then(|w| w.parse::<NaiveDate>().ok());
    days_page(&state, visit, &calendar, week, None, "day-title").await
}

/// The week page of `calendar` from the Monday of `week` (default: the week of the first
/// free day), with a typed-date problem if any.
pub(crate) async fn days_page(
    state: &AppState,
    mut visit: Visit,
    calendar: &Calendar<'_>,
    week: Option<NaiveDate>,
    typed_error: Option<(String, String)>,
    title_id: &str,
) -> Response {
    let (office_id, service_id) = match calendar_ids(calendar, state, &visit).await {
        Ok(ids) => ids,
        Err(response) => return response,
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&office_id, &service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let today = local_date(office.timezone, visit.now);
    let last = today + Duration::days(i64::from(service.max_advance_days));
    let start = match week {
        Some(week) => week.clamp(today, last),
        None => {
            let ahead = today + Duration::days(i64::from(service.max_advance_days.min(61)));
            match state
                .booking
                .days(&office_id, &service_id, today, ahead)
                .await
            {
                Ok(list) => list
                    .into_iter()
                    .find(|d| d.slots > 0)
                    .map_or(today, |d| d.date),
                Err(error) => return visit.fail(error),
            }
        }
    };
    let monday = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
    let sunday = monday + Duration::days(6);
    let counts = match state
        .booking
        .days(&office_id, &service_id, monday, sunday)
        .await
    {
        Ok(list) => list,
        Err(error) => return visit.fail(error),
    };
    let closed = match state.booking.office_with_closures(&office_id).await {
        Ok(office) => office,
        Err(error) => return visit.fail(error),
    };
    let lang = visit.lang.clone();
    let days = counts
        .into_iter()
        .map(|day| {
            let label = lang.short_date(day.date);
            let (status, open) = if day.date < today {
                (lang.t("day-past"), false)
            } else if day.date > last {
                (lang.t("day-not-yet"), false)
            } else if office_local_hours(&closed, day.date).is_empty() {
                let holiday = closed.holidays.contains(&day.date);
                (
                    lang.t(if holiday { "day-holiday" } else { "day-closed" }),
                    false,
                )
            } else if day.slots == 0 {
                (lang.t("day-full"), false)
            } else {
                (
                    lang.t_with(
                        "day-free",
                        &[("count", FluentArg::Number(i64::from(day.slots)))],
                    ),
                    true,
                )
            };
            DayView {
                href: open.then(|| {
                    calendar.link(calendar.times_path(), &[("date", day.date.to_string())])
                }),
                label,
                status,
            }
        })
        .collect();
    let example = (today + Duration::days(7)).to_string();
    let (typed, errors) = match typed_error {
        Some((typed, message)) => (
            typed,
            vec![FieldError {
                field: "date",
                message,
            }],
        ),
        None => (String::new(), Vec::new()),
    };
    let mut page = visit.page(title_id);
    page.errors = errors;
    let template = DaysPage {
        back_href: calendar.back(),
        procedure: service.name.clone(),
        office: office.name.clone(),
        week: lang.t_with(
            "day-week",
            &[
                ("from", lang.short_date(monday).into()),
                ("to", lang.short_date(sunday).into()),
            ],
        ),
        days,
        previous_href: (monday > today).then(|| {
            calendar.link(
                calendar.days_path(),
                &[("week", (monday - Duration::days(7)).to_string())],
            )
        }),
        next_href: (sunday < last).then(|| {
            calendar.link(
                calendar.days_path(),
                &[("week", (monday + Duration::days(7)).to_string())],
            )
        }),
        time_action: calendar.times_path().to_owned(),
        hidden: calendar.fields(),
        typed,
        date_hint: lang.t_with("day-typed-hint", &[("example", example.into())]),
        min_date: today.to_string(),
        max_date: last.to_string(),
        page,
    };
    let status = if template.page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    visit.session.touched = visit.now.timestamp();
    visit.render(status, &template)
}

/// The office and procedure a calendar is about: the query's, or the managed
/// appointment's.
async fn calendar_ids(
    calendar: &Calendar<'_>,
    state: &AppState,
    visit: &Visit,
) -> Result<(OfficeId, ServiceId), Response> {
    match calendar {
        Calendar::Book { office, service } => {
            Ok((OfficeId::new(*office), ServiceId::new(*service)))
        }
        Calendar::Reschedule => {
            let managed = visit.session.managed.as_ref();
            let found = match managed {
                Some(held) => state.booking.get(&held.locator, &held.token).await.ok(),
                None => None,
            };
            found
                .map(|a| (a.office_id, a.service_id))
                .ok_or_else(|| super::manage::expired_redirect(visit))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TimesQuery {
    office_id: String,
    service_id: String,
    #[serde(default)]
    date: String,
    /// A time that was just taken (RFC 3339): say so and point at the nearest ones.
    taken: Option<String>,
}

/// The free times of a day, as buttons that take a hold.
pub async fn times(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<TimesQuery>,
) -> Response {
    let calendar = Calendar::Book {
        office: &query.office_id,
        service: &query.service_id,
    };
    times_page(
        &state,
        visit,
        &calendar,
        &query.date,
        query.taken.as_deref(),
        None,
    )
    .await
}

/// The times page of `calendar` on `date` (or the week page with an error when `date` is
/// not a date).
pub(crate) async fn times_page(
    state: &AppState,
    visit: Visit,
    calendar: &Calendar<'_>,
    date: &str,
    taken: Option<&str>,
    message: Option<String>,
) -> Response {
    let Ok(date) = date.trim().parse::<NaiveDate>() else {
        let example =
            (local_date(chrono_tz::Europe::Madrid, visit.now) + Duration::days(7)).to_string();
        let message = visit
            .lang
            .t_with("day-bad-date", &[("example", example.into())]);
        let title = match calendar {
            Calendar::Book { .. } => "day-title",
            Calendar::Reschedule => "manage-reschedule-title",
        };
        return days_page(
            state,
            visit,
            calendar,
            None,
            Some((date.to_owned(), message)),
            title,
        )
        .await;
    };
    let (office_id, service_id) = match calendar_ids(calendar, state, &visit).await {
        Ok(ids) => ids,
        Err(response) => return response,
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&office_id, &service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let slots = match state.booking.slots(&office_id, &service_id, date).await {
        Ok(slots) => slots,
        Err(error) => return visit.fail(error),
    };
    let lang = &visit.lang;
    let taken = taken
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc());
    let mut nearest: Vec<DateTime<Utc>> = slots.iter().map(|s| s.start).collect();
    if let Some(taken) = taken {
        nearest.sort_by_key(|start| (*start - taken).num_seconds().abs());
    }
    nearest.truncate(3);
    let verb = match calendar {
        Calendar::Book { .. } => "time-choose",
        Calendar::Reschedule => "manage-reschedule-choose",
    };
    let times = slots
        .iter()
        .map(|slot| {
            let label = lang.time(slot.start, office.timezone);
            TimeView {
                start: slot.start.with_timezone(&office.timezone).to_rfc3339(),
                full: lang.t_with(verb, &[("time", label.clone().into())]),
                near: taken.is_some() && nearest.contains(&slot.start),
                label,
            }
        })
        .collect();
    let message = message.or_else(|| {
        taken.map(|_| {
            let list: Vec<String> = {
                let mut sorted = nearest.clone();
                sorted.sort();
                sorted
                    .iter()
                    .map(|t| lang.time(*t, office.timezone))
                    .collect()
            };
            if list.is_empty() {
                lang.t("time-none")
            } else {
                format!("{} {}.", lang.t("time-taken"), list.join(", "))
            }
        })
    });
    let (title, note, action, mut hidden) = match calendar {
        Calendar::Book { .. } => (
            "time-title",
            "time-hold-note",
            "/book/time",
            calendar.fields(),
        ),
        Calendar::Reschedule => (
            "manage-reschedule-time-title",
            "manage-reschedule-note",
            "/manage/time",
            Vec::new(),
        ),
    };
    hidden.push(("date", date.to_string()));
    let template = TimesPage {
        page: visit.page(title),
        back_href: calendar.link(calendar.days_path(), &[("week", date.to_string())]),
        procedure: service.name.clone(),
        office: office.name.clone(),
        date: lang.long_date(date),
        zone_note: zone_note(lang, office),
        message,
        hold_note: lang.t(note),
        action: action.to_owned(),
        hidden,
        times,
    };
    visit.render(StatusCode::OK, &template)
}

/// Names the zone when it is not the peninsula's ("hora canaria").
fn zone_note(lang: &Lang, office: &Office) -> Option<String> {
    (office.timezone == chrono_tz::Atlantic::Canary).then(|| lang.t("time-zone-note"))
}

#[derive(Debug, Deserialize)]
pub struct ChooseTime {
    #[serde(default)]
    csrf: String,
    office_id: String,
    service_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start: String,
}

/// A time was chosen: hold it and ask for the details.
pub async fn choose_time(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<ChooseTime>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let retry = format!(
        "/book/time?office_id={}&service_id={}&date={}&taken={}",
        encode(&form.office_id),
        encode(&form.service_id),
        encode(&form.date),
        encode(&form.start)
    );
    let Ok(start) = DateTime::parse_from_rfc3339(form.start.trim()) else {
        return visit.redirect(&retry);
    };
    let start = start.to_utc();
    let office_id = OfficeId::new(form.office_id.as_str());
    let service_id = ServiceId::new(form.service_id.as_str());
    // The time chosen before is let go: one hold per person at a time.
    if let Some(previous) = visit.session.draft.hold_id.take() {
        let _ = state.booking.release_hold(&previous).await;
    }
    let owner = HoldOwner {
        client: visit.client.to_string(),
        document: None,
        max_per_client: state.settings.holds_per_client,
    };
    let (hold_id, hold_expires) = match state
        .booking
        .hold(&office_id, &service_id, start, &owner)
        .await
    {
        Ok(hold) => (Some(hold.hold_id), Some(hold.expires_at.timestamp())),
        // Holding in other tabs too: go on without one (the booking checks again).
        Err(BookingError::HoldLimitReached) => (None, None),
        Err(
            BookingError::SlotUnavailable
            | BookingError::OutsideBookingWindow
            | BookingError::NotFound,
        ) => return visit.redirect(&retry),
        Err(error) => return visit.fail(error),
    };
    let draft = &mut visit.session.draft;
    if draft.office_id.as_deref() != Some(form.office_id.as_str())
        || draft.service_id.as_deref() != Some(form.service_id.as_str())
    {
        draft.key = None;
    }
    draft.office_id = Some(form.office_id.clone());
    draft.service_id = Some(form.service_id.clone());
    draft.start = Some(start.timestamp());
    draft.hold_id = hold_id;
    draft.hold_expires = hold_expires;
    draft.extensions = 0;
    let next = if draft.details.is_some() {
        "/book/check"
    } else {
        "/book/details"
    };
    visit.redirect(next)
}

/// The chosen office, procedure and start of the draft, if it has them all.
fn chosen<'c>(
    catalog: &'c crate::booking::Catalog,
    draft: &Draft,
) -> Option<(&'c Office, &'c Service, DateTime<Utc>)> {
    let office = OfficeId::new(draft.office_id.as_deref()?);
    let service = ServiceId::new(draft.service_id.as_deref()?);
    let (office, service) = catalog.service(&office, &service).ok()?;
    let start = DateTime::from_timestamp(draft.start?, 0)?;
    Some((office, service, start))
}

/// "Renovación del DNI · martes 12 de enero, 10:15 · Oficina ..."
fn describe(lang: &Lang, office: &Office, service: &Service, start: DateTime<Utc>) -> String {
    format!(
        "{} · {}, {} · {}",
        service.name,
        lang.short_date(local_date(office.timezone, start)),
        lang.time(start, office.timezone),
        office.name
    )
}

/// The details form, with how long the time is kept.
pub async fn details(State(state): State<AppState>, visit: Visit) -> Response {
    details_page(&state, visit, None, Vec::new())
}

fn details_page(
    state: &AppState,
    visit: Visit,
    typed: Option<Details>,
    errors: Vec<FieldError>,
) -> Response {
    let catalog = state.booking.catalog();
    let draft = &visit.session.draft;
    let Some((office, service, start)) = chosen(&catalog, draft) else {
        return visit.redirect("/book");
    };
    let lang = &visit.lang;
    let now = visit.now.timestamp();
    let expires = draft.hold_expires.unwrap_or(0);
    let live = draft.hold_id.is_some() && expires > now;
    let expires_at = DateTime::from_timestamp(expires, 0).unwrap_or(visit.now);
    let hold_text = if live {
        let key = if draft.extensions > 0 {
            "details-held-extended"
        } else {
            "details-held"
        };
        lang.t_with(
            key,
            &[("time", lang.time(expires_at, office.timezone).into())],
        )
    } else {
        lang.t("details-hold-expired")
    };
    let details = typed
        .or_else(|| draft.details.clone())
        .unwrap_or_else(|| Details {
            document_type: "dni".into(),
            ..Details::default()
        });
    let mut page = visit.page("details-title");
    page.errors = errors;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let template = DetailsPage {
        back_href: format!(
            "/book/time?office_id={}&service_id={}&date={}",
            encode(office.id.as_str()),
            encode(service.id.as_str()),
            local_date(office.timezone, start)
        ),
        summary: describe(lang, office, service, start),
        hold_text,
        expired: !live,
        can_extend: live && draft.extensions < MAX_EXTENSIONS,
        expires_at: if live { expires } else { 0 },
        details,
        document_types: document_types(lang),
        privacy: lang.t_with(
            "details-privacy",
            &[
                ("days", FluentArg::Number(catalog.retention.num_days())),
                ("link", "/privacidad".into()),
            ],
        ),
        page,
    };
    visit.render(status, &template)
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

/// The citizen's details as the booking layer takes them.
/// The document types a form offers, with their names: (`document_type`, label).
pub(crate) fn document_types(lang: &Lang) -> Vec<(&'static str, String)> {
    ["dni", "nie", "passport"]
        .into_iter()
        .map(|code| (code, lang.t(&format!("document-type-{code}"))))
        .collect()
}

/// The `document_type` a form sent, as one of [`document_types`] (a DNI when unknown).
pub(crate) fn document_type(sent: &str) -> String {
    match sent {
        "nie" | "passport" => sent.to_owned(),
        _ => "dni".to_owned(),
    }
}

pub(crate) fn citizen_input(details: &Details) -> CitizenInput {
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    CitizenInput {
        name: details.name.clone(),
        document: details.document.clone(),
        document_type: optional(&details.document_type),
        email: optional(&details.email),
        phone: optional(&details.phone),
    }
}

/// Each problem at its field, in plain words, in the order of the fields on the page (the
/// error summary lists them top to bottom, as a reader meets them).
pub(crate) fn field_errors(lang: &Lang, problems: Vec<CitizenProblem>) -> Vec<FieldError> {
    const ORDER: [&str; 4] = ["name", "document", "email", "phone"];
    let mut errors: Vec<FieldError> = problems
        .into_iter()
        .map(|problem| {
            let (field, id) = match problem {
                CitizenProblem::NameEmpty => ("name", "error-name-empty"),
                CitizenProblem::NameTooLong => ("name", "error-name-long"),
                CitizenProblem::Document(DocumentError::Empty) => {
                    ("document", "error-document-empty")
                }
                CitizenProblem::Document(DocumentError::WrongCheckLetter) => {
                    ("document", "error-document-letter")
                }
                CitizenProblem::Document(DocumentError::InvalidPassport) => {
                    ("document", "error-document-passport")
                }
                CitizenProblem::Document(_) => ("document", "error-document-format"),
                CitizenProblem::Email => ("email", "error-email"),
                CitizenProblem::Phone => ("phone", "error-phone"),
            };
            FieldError {
                field,
                message: lang.t(id),
            }
        })
        .collect();
    errors.sort_by_key(|error| ORDER.iter().position(|field| *field == error.field));
    errors
}

/// The details were sent: keep them (on the visitor's device, encrypted) and check.
pub async fn save_details(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<DetailsForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let typed = Details {
        name: form.name.trim().to_owned(),
        document_type: document_type(&form.document_type),
        document: form.document.trim().to_owned(),
        email: form.email.trim().to_owned(),
        phone: form.phone.trim().to_owned(),
    };
    let problems = citizen_input(&typed).problems();
    if !problems.is_empty() {
        let errors = field_errors(&visit.lang, problems);
        return details_page(&state, visit, Some(typed), errors);
    }
    visit.session.draft.details = Some(typed);
    visit.redirect("/book/check")
}

/// More time to fill in the form (WCAG 2.2.1), twice at most.
pub async fn extend(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let draft = &visit.session.draft;
    if let Some(hold) = draft.hold_id.clone()
        && draft.extensions < MAX_EXTENSIONS
    {
        match state.booking.extend_hold(&hold).await {
            Ok(Some(expires)) => {
                visit.session.draft.hold_expires = Some(expires.timestamp());
                visit.session.draft.extensions += 1;
            }
            Ok(None) => {}
            Err(error) => return visit.fail(error),
        }
    }
    visit.redirect("/book/details")
}

/// Check your answers, each with a link to change it.
pub async fn check(State(state): State<AppState>, visit: Visit) -> Response {
    check_page(&state, visit, None)
}

fn check_page(state: &AppState, visit: Visit, message: Option<String>) -> Response {
    let catalog = state.booking.catalog();
    let draft = &visit.session.draft;
    let Some((office, service, start)) = chosen(&catalog, draft) else {
        return visit.redirect("/book");
    };
    let Some(details) = draft.details.clone() else {
        return visit.redirect("/book/details");
    };
    let lang = &visit.lang;
    let none = || lang.t("check-none");
    let document_label = lang.t(&format!("document-type-{}", details.document_type));
    // As it will be stored: upper case, without spaces, dots or dashes.
    let document = crate::domain::Document::parse(&details.document, Some(&details.document_type))
        .map_or_else(|_| details.document.clone(), |d| d.number().to_owned());
    let rows = vec![
        CheckRow {
            label: lang.t("check-procedure"),
            value: service.name.clone(),
            href: "/book".into(),
        },
        CheckRow {
            label: lang.t("check-office"),
            value: format!("{} — {}", office.name, office.address),
            href: format!("/book/office?service_id={}", encode(service.id.as_str())),
        },
        CheckRow {
            label: lang.t("check-when"),
            value: lang.t_with(
                "done-when",
                &[
                    (
                        "date",
                        lang.long_date(local_date(office.timezone, start)).into(),
                    ),
                    ("time", lang.time(start, office.timezone).into()),
                ],
            ),
            href: format!(
                "/book/day?office_id={}&service_id={}",
                encode(office.id.as_str()),
                encode(service.id.as_str())
            ),
        },
        CheckRow {
            label: lang.t("check-name"),
            value: details.name.clone(),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-document"),
            value: format!("{document_label} {document}"),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-email"),
            value: Some(details.email.clone())
                .filter(|e| !e.is_empty())
                .unwrap_or_else(none),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-phone"),
            value: Some(details.phone.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(none),
            href: "/book/details".into(),
        },
    ];
    let status = if message.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let template = CheckPage {
        page: visit.page("check-title"),
        message,
        rows,
    };
    visit.render(status, &template)
}

/// Confirm: book it.
pub async fn confirm(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let catalog = state.booking.catalog();
    let draft = visit.session.draft.clone();
    let Some((office, service, start)) = chosen(&catalog, &draft) else {
        return visit.redirect("/book");
    };
    let Some(details) = draft.details.clone() else {
        return visit.redirect("/book/details");
    };
    if let Err(limited) = state.settings.check_document(&details.document) {
        return visit.fail_api(limited);
    }
    // One key per draft: a double submit or a retry books once.
    let key = draft
        .key
        .clone()
        .unwrap_or_else(crate::booking::secrets::random_id);
    visit.session.draft.key = Some(key.clone());
    let request = BookRequest {
        office_id: office.id.clone(),
        service_id: service.id.clone(),
        start,
        hold_id: draft.hold_id.clone(),
        citizen: citizen_input(&details),
    };
    match state
        .booking
        .book(&request, Some(&format!("web:{key}")), &Actor::Citizen)
        .await
    {
        Ok(outcome) => {
            visit.session.done = Some(Held {
                locator: outcome.appointment.locator.to_string(),
                token: outcome.token,
                calendar_token: Some(outcome.calendar_token),
            });
            // The details leave the cookie once they are in the appointment.
            visit.session.draft = Draft::default();
            visit.redirect("/book/done")
        }
        Err(BookingError::SlotUnavailable | BookingError::OutsideBookingWindow) => {
            visit.session.draft.hold_id = None;
            let retry = format!(
                "/book/time?office_id={}&service_id={}&date={}&taken={}",
                encode(office.id.as_str()),
                encode(service.id.as_str()),
                local_date(office.timezone, start),
                encode(&start.with_timezone(&office.timezone).to_rfc3339())
            );
            visit.redirect(&retry)
        }
        Err(BookingError::CitizenLimitReached(limit)) => {
            let id = match limit {
                CitizenLimit::Procedure => "check-limit-procedure",
                CitizenLimit::Overlap => "check-limit-overlap",
            };
            let message = visit.lang.t(id);
            check_page(&state, visit, Some(message))
        }
        Err(BookingError::InvalidDocument(_) | BookingError::Validation(_)) => {
            let problems = citizen_input(&details).problems();
            let errors = field_errors(&visit.lang, problems);
            details_page(&state, visit, Some(details), errors)
        }
        Err(error) => visit.fail(error),
    }
}

/// The confirmation: the locator, big; when and where; what to bring; the calendar file.
pub async fn done(State(state): State<AppState>, visit: Visit) -> Response {
    let Some(held) = visit.session.done.clone() else {
        return visit.redirect("/");
    };
    let appointment = match state.booking.get(&held.locator, &held.token).await {
        Ok(appointment) => appointment,
        Err(BookingError::NotFound) => return visit.redirect("/"),
        Err(error) => return visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&appointment.office_id, &appointment.service_id)
    else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = &visit.lang;
    let template = DonePage {
        page: visit.page("done-title"),
        locator: held.locator.clone(),
        procedure: service.name.clone(),
        when: when(lang, office, appointment.start),
        office: office.name.clone(),
        address: office.address.clone(),
        requirements: service.requirements.clone(),
        ics_url: ics_url(&held),
    };
    visit.render(StatusCode::OK, &template)
}

/// "martes, 12 de enero de 2027, a las 10:15" (and the zone where it is not the
/// peninsula's).
pub(crate) fn when(lang: &Lang, office: &Office, start: DateTime<Utc>) -> String {
    let text = lang.t_with(
        "done-when",
        &[
            (
                "date",
                lang.long_date(local_date(office.timezone, start)).into(),
            ),
            ("time", lang.time(start, office.timezone).into()),
        ],
    );
    if office.timezone == chrono_tz::Atlantic::Canary {
        format!("{text} ({})", lang.t("zone-canary"))
    } else {
        text
    }
}

/// The `.ics` link, with the calendar token (never the manage token).
pub(crate) fn ics_url(held: &Held) -> String {
    format!(
        "/api/v1/appointments/{}/calendar.ics?token={}",
        encode(&held.locator),
        encode(held.calendar_token.as_deref().unwrap_or(""))
    )
}

impl Visit {
    /// The page for a use case's refusal or failure.
    pub(crate) fn fail(self, error: BookingError) -> Response {
        self.fail_api(ApiError::from(error))
    }

    /// The page for an API layer's problem (a rate limit, for one).
    pub(crate) fn fail_api(self, error: ApiError) -> Response {
        let page = super::pages::problem_page(
            &self.lang,
            error.status,
            error.code,
            error.retry_after,
            crate::http::access::current_request_id(),
        );
        let mut page = page;
        if let Some(seconds) = error.retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            page.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        self.respond(page)
    }
}
