//! The month calendar of days with free times, shared by booking and rescheduling
//! ([`Calendar`] says which one a visit is in).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use crate::booking::BookingError;
use crate::calendar::{Opening, local_date, office_local_hours};
use crate::domain::{OfficeId, ServiceId};
use crate::http::AppState;

use super::super::Visit;
use super::super::i18n::FluentArg;
use super::super::pages::{DayView, DaysPage};
use super::super::visit::FieldError;
use super::encode;

/// Where the day and time pages lead: booking or rescheduling.
pub(crate) enum Calendar<'a> {
    Book { office: &'a str, service: &'a str },
    Reschedule,
}

impl Calendar<'_> {
    pub(super) fn days_path(&self) -> &'static str {
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
    pub(super) fn fields(&self) -> Vec<(&'static str, String)> {
        match self {
            Calendar::Book { office, service } => vec![
                ("office_id", (*office).to_owned()),
                ("service_id", (*service).to_owned()),
            ],
            Calendar::Reschedule => Vec::new(),
        }
    }

    pub(super) fn link(&self, path: &str, extra: &[(&str, String)]) -> String {
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

/// The date and wall time of a release instant, for the messages that announce it.
pub(super) fn release_args(
    lang: &super::super::i18n::Lang,
    office: &crate::domain::Office,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, FluentArg)> {
    vec![
        (
            "date",
            lang.short_date(local_date(office.timezone, at)).into(),
        ),
        ("time", lang.time(at, office.timezone).into()),
    ]
}

/// The waiting room page of `room`.
fn queue_href(room: &str) -> String {
    format!("/queue?room={}", super::encode(room))
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
    // Rooms matter to a booking only (someone moving an appointment meets the room when
    // choosing the time).
    let room_of = |date, opening| {
        matches!(calendar, Calendar::Book { .. })
            .then(|| {
                state
                    .booking
                    .room_of_day(&office_id, &service_id, date, opening)
            })
            .flatten()
    };
    let admitted: Vec<&str> = visit
        .session
        .queue
        .iter()
        .filter(|held| held.admission.is_some())
        .map(|held| held.room_id.as_str())
        .collect();
    let days = counts
        .into_iter()
        .map(|day| {
            let label = lang.short_date(day.date);
            let mut draw_href = None;
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
            } else if let Opening::At(opens) = day.opening {
                // Released through a waiting room: the day leads to it.
                match room_of(day.date, day.opening) {
                    Some(room) => {
                        draw_href = Some(queue_href(&room.id));
                        (
                            lang.t_with("day-queue", &release_args(&lang, office, opens)),
                            false,
                        )
                    }
                    None => (
                        lang.t_with("day-opens", &release_args(&lang, office, opens)),
                        false,
                    ),
                }
            } else if let Opening::Draw(at) = day.opening {
                // The day's times are the draw's: a day of a booking leads to its page
                // (someone moving an appointment cannot enter).
                if matches!(calendar, Calendar::Book { .. }) {
                    draw_href = crate::booking::DrawRef::at(office, service, at)
                        .map(|draw| format!("/draw?id={}", super::encode(&draw.id)));
                }
                (
                    lang.t_with("day-draw", &release_args(&lang, office, at)),
                    false,
                )
            } else if day.opening == Opening::Never {
                (lang.t("day-not-offered"), false)
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
            // A day a waiting room guards now leads to the room until the visitor is
            // let in.
            let guarded = open
                .then(|| room_of(day.date, day.opening))
                .flatten()
                .filter(|room| !admitted.contains(&room.id.as_str()));
            DayView {
                href: match guarded {
                    Some(room) => Some(queue_href(&room.id)),
                    None => open
                        .then(|| {
                            calendar.link(calendar.times_path(), &[("date", day.date.to_string())])
                        })
                        .or(draw_href),
                },
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
        next_release: crate::calendar::next_release(&service.releases, office.timezone, visit.now)
            .map(|at| lang.t_with("day-next-release", &release_args(&lang, office, at))),
        staff_share: service.staff_share.map(|share| {
            lang.t_with(
                "day-staff-share",
                &[("hours", FluentArg::Number(i64::from(share.until_hours)))],
            )
        }),
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
pub(super) async fn calendar_ids(
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
                .ok_or_else(|| super::super::manage::expired_redirect(visit))
        }
    }
}
