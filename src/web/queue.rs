//! A waiting room's page: what it is, in plain words, with the button to take a place;
//! then the place and an honest estimate, refreshed by the browser itself (`Refresh`
//! header: no JavaScript needed); then, once let in, the way to the dates.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::booking::{BookingError, RoomInfo, RoomState, TicketStatus};
use crate::domain::Office;
use crate::http::AppState;

use super::Visit;
use super::i18n::{FluentArg, Lang};
use super::pages::QueuePage;
use super::session::QueueHeld;

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    room: String,
}

/// The room named in the address, and the visitor's place in it if they have one.
pub async fn queue(
    State(state): State<AppState>,
    mut visit: Visit,
    Query(q): Query<QueueQuery>,
) -> Response {
    let held = visit
        .session
        .queue
        .clone()
        .filter(|held| held.room_id == q.room);
    let (info, status) = match &held {
        Some(held) => {
            match state
                .booking
                .ticket_status(&held.ticket, &visit.client.to_string())
                .await
            {
                Ok(status) => (status.info.clone(), Some(status)),
                // The ticket was replaced (joined again elsewhere) or purged: start over.
                Err(BookingError::NotFound) => {
                    visit.session.queue = None;
                    match state.booking.room(&q.room).await {
                        Ok(info) => (info, None),
                        Err(error) => return visit.fail(error),
                    }
                }
                Err(error) => return visit.fail(error),
            }
        }
        None => match state.booking.room(&q.room).await {
            Ok(info) => (info, None),
            Err(error) => return visit.fail(error),
        },
    };
    if let (Some(status), Some(held)) = (&status, visit.session.queue.as_mut()) {
        held.admission = status.admission.as_ref().map(|a| a.token.clone());
    }
    render(&state, visit, &info, status.as_ref())
}

/// Where to send a visitor who may not hold or book `start` yet because a waiting room
/// guards its date and they have not been let in: that room's page. `None`: go ahead.
pub(crate) fn room_first(
    state: &AppState,
    visit: &Visit,
    office_id: &crate::domain::OfficeId,
    service_id: &crate::domain::ServiceId,
    start: DateTime<Utc>,
) -> Option<String> {
    let admission = visit
        .session
        .queue
        .as_ref()
        .and_then(|held| held.admission.as_deref());
    match state.booking.check_admission(
        office_id,
        service_id,
        start,
        &visit.client.to_string(),
        admission,
    ) {
        Err(BookingError::AdmissionRequired(room)) => {
            Some(format!("/queue?room={}", super::book::encode(&room)))
        }
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    room: String,
}

/// Takes a place in the line (or a new ticket for the place this address has).
pub async fn join(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<JoinForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let back = format!("/queue?room={}", super::book::encode(&form.room));
    match state
        .booking
        .join_room(&form.room, &visit.client.to_string())
        .await
    {
        Ok(joined) => {
            visit.session.queue = Some(QueueHeld {
                room_id: form.room.clone(),
                ticket: joined.ticket,
                admission: joined.status.admission.map(|a| a.token),
            });
            visit.redirect(&back)
        }
        // Not open (any more): the page says so.
        Err(BookingError::RoomClosed) => visit.redirect(&back),
        Err(error) => visit.fail(error),
    }
}

/// `at` on the office's clock, named as the Canaries' time there.
fn clock(lang: &Lang, office: &Office, at: DateTime<Utc>) -> String {
    let time = lang.time(at, office.timezone);
    if office.timezone == chrono_tz::Atlantic::Canary {
        format!("{time} ({})", lang.t("zone-canary"))
    } else {
        time
    }
}

fn render(
    state: &AppState,
    visit: Visit,
    info: &RoomInfo,
    status: Option<&TicketStatus>,
) -> Response {
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&info.room.office_id, &info.room.service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = visit.lang.clone();
    let room = &info.room;
    let now = visit.now;
    let at = |instant| FluentArg::from(clock(&lang, office, instant));
    let release_date =
        FluentArg::from(lang.long_date(crate::calendar::local_date(office.timezone, room.instant)));
    let how = lang.t_with(
        "queue-how",
        &[
            ("date", release_date.clone()),
            ("time", at(room.instant)),
            ("opens", at(room.opens_at())),
        ],
    );
    // What to say, whether to offer the button, how soon to look again.
    let (message, can_join, refresh, go) = match (info.state, status) {
        (RoomState::Upcoming, _) => (
            lang.t_with("queue-not-yet", &[("opens", at(room.opens_at()))]),
            false,
            None,
            false,
        ),
        (RoomState::Closed, _) => (lang.t("queue-closed"), false, None, true),
        (_, None) => (lang.t("queue-join-lead"), true, None, false),
        (_, Some(status)) if status.other_address => {
            (lang.t("queue-other-address"), true, None, false)
        }
        (RoomState::Open, Some(_)) => (
            lang.t_with("queue-waiting-draw", &[("time", at(room.instant))]),
            false,
            Some(30),
            false,
        ),
        (RoomState::Admitting, Some(status)) => match (status.admission.as_ref(), status.ahead) {
            (Some(_), _) => (lang.t("queue-your-turn"), false, None, true),
            (None, Some(ahead)) => {
                let admitted_at = status.admitted_at.unwrap_or(now);
                let minutes = (admitted_at - now).num_seconds().max(0).div_euclid(60) + 1;
                (
                    lang.t_with(
                        "queue-place",
                        &[
                            ("place", FluentArg::Number(ahead + 1)),
                            ("total", FluentArg::Number(info.waiting)),
                            ("minutes", FluentArg::Number(minutes)),
                            ("time", at(admitted_at)),
                        ],
                    ),
                    false,
                    Some(if minutes <= 1 { 10 } else { 20 }),
                    false,
                )
            }
            (None, None) => (lang.t("queue-join-lead"), true, None, false),
        },
    };
    let dates_href = format!(
        "/book/day?office_id={}&service_id={}&week={}",
        super::book::encode(office.id.as_str()),
        super::book::encode(service.id.as_str()),
        room.dates.0
    );
    let template = QueuePage {
        page: visit.page("queue-title"),
        procedure: service.name.clone(),
        office: office.name.clone(),
        how,
        message,
        room_id: room.id.clone(),
        can_join,
        dates_href: go.then_some(dates_href),
        refresh: refresh.map(|seconds: i64| {
            lang.t_with("queue-refresh", &[("seconds", FluentArg::Number(seconds))])
        }),
    };
    let mut response = visit.render(StatusCode::OK, &template);
    if let Some(seconds) = refresh
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert("refresh", value);
    }
    response
}
