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
use crate::http::AppState;

use super::Visit;
use super::i18n::FluentArg;
use super::pages::QueuePage;
use super::session::QueueHeld;
use super::visit::FieldError;

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
            match state.booking.ticket_status(&held.ticket).await {
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
    render(
        &state,
        visit,
        &info,
        status.as_ref(),
        (Vec::new(), "dni".to_owned(), String::new()),
    )
}

/// Where to send a visitor who may not hold or book `start` for `document` yet because a
/// waiting room guards its date and that document has not been let in: that room's page.
/// `None`: go ahead. Without a document, the one the visitor joined the room with.
pub(crate) fn room_first(
    state: &AppState,
    visit: &Visit,
    (office_id, service_id): (&crate::domain::OfficeId, &crate::domain::ServiceId),
    start: DateTime<Utc>,
    document: Option<(&str, Option<&str>)>,
) -> Option<String> {
    let held = visit.session.queue.as_ref();
    let document = document
        .or_else(|| held.map(|held| (held.document.as_str(), Some(held.document_type.as_str()))));
    let admission = held.and_then(|held| held.admission.as_deref());
    match state
        .booking
        .check_admission(office_id, service_id, start, document, admission)
    {
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
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document: String,
}

/// Takes a place in the line for the document typed (or a new ticket for the place it
/// has); a document that is not one is shown again at its field.
pub async fn join(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<JoinForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let back = format!("/queue?room={}", super::book::encode(&form.room));
    let document_type = super::book::document_type(&form.document_type);
    let document = form.document.trim().to_owned();
    let problem = if document.is_empty() {
        Some("error-document-empty")
    } else if let Err(limited) = state.settings.check_document(&document).await {
        return visit.fail_api(limited);
    } else {
        match state
            .booking
            .join_room(&form.room, &document, Some(&document_type))
            .await
        {
            Ok(joined) => {
                visit.session.queue = Some(QueueHeld {
                    room_id: form.room.clone(),
                    ticket: joined.ticket,
                    document_type,
                    document,
                    admission: joined.status.admission.map(|a| a.token),
                });
                return visit.redirect(&back);
            }
            Err(BookingError::InvalidDocument(_)) => Some("error-document-format"),
            // Not open (any more): the page says so.
            Err(BookingError::RoomClosed) => return visit.redirect(&back),
            Err(error) => return visit.fail(error),
        }
    };
    let info = match state.booking.room(&form.room).await {
        Ok(info) => info,
        Err(error) => return visit.fail(error),
    };
    let errors = problem
        .map(|key| FieldError {
            field: "document",
            message: visit.lang.t(key),
        })
        .into_iter()
        .collect();
    render(
        &state,
        visit,
        &info,
        None,
        (errors, document_type, document),
    )
}

fn render(
    state: &AppState,
    visit: Visit,
    info: &RoomInfo,
    status: Option<&TicketStatus>,
    (errors, document_type, document): (Vec<FieldError>, String, String),
) -> Response {
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&info.room.office_id, &info.room.service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = visit.lang.clone();
    let room = &info.room;
    let now = visit.now;
    let at = |instant| FluentArg::from(super::draw::clock_time(&lang, office, instant));
    let mut how_args = super::draw::instant_args(&lang, office, room.instant);
    how_args.push(("opens", at(room.opens_at())));
    let how = lang.t_with("queue-how", &how_args);
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
    let mut page = visit.page("queue-title");
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let template = QueuePage {
        page,
        document_types: super::book::document_types(&lang),
        document_type,
        document,
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
    let mut response = visit.render(status_code, &template);
    if let Some(seconds) = refresh
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert("refresh", value);
    }
    response
}
