//! The free times of a day, and choosing one (which takes a hold).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::{BookingError, HoldOwner};
use crate::calendar::local_date;
use crate::domain::{Office, OfficeId, ServiceId};
use crate::http::AppState;

use super::super::Visit;
use super::super::i18n::Lang;
use super::super::pages::{TimeView, TimesPage};
use super::calendar::{Calendar, calendar_ids, days_page, release_args};
use super::encode;

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
    // A date not released yet is not full: say when it opens.
    let opening = match state.booking.opening(&office_id, &service_id, date).await {
        Ok(opening) => opening,
        Err(error) => return visit.fail(error),
    };
    let none = match opening {
        crate::calendar::Opening::At(at) if slots.is_empty() => {
            format!(
                "{}.",
                lang.t_with("day-opens", &release_args(lang, office, at))
            )
        }
        crate::calendar::Opening::Draw(at) if slots.is_empty() => {
            format!(
                "{}.",
                lang.t_with("day-draw", &release_args(lang, office, at))
            )
        }
        crate::calendar::Opening::Never => lang.t("time-not-offered"),
        _ => lang.t("time-none"),
    };
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
        none,
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
    if let Some(room) =
        crate::web::queue::room_first(&state, &visit, (&office_id, &service_id), start, None)
    {
        return visit.redirect(&room);
    }
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
