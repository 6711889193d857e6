//! Managing an appointment: find it by locator and document, see it, reschedule it
//! (the same day and time pages as booking, atomically), cancel it after a confirmation.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde::Deserialize;

use crate::booking::{Actor, BookingError};
use crate::domain::{Appointment, Office, Service, Status};
use crate::http::AppState;

use super::Visit;
use super::book::{Calendar, days_page, ics_url, times_page, when};
use super::pages::{AppointmentPage, CancelPage, CancelledPage, ManageFindPage};
use super::session::{CsrfForm, Held};
use super::visit::FieldError;

#[derive(Debug, Deserialize)]
pub struct FindQuery {
    notice: Option<String>,
}

/// Where a visit whose search expired goes.
pub(crate) fn expired_redirect(visit: &Visit) -> Response {
    let _ = visit;
    let mut response = axum::response::IntoResponse::into_response(StatusCode::SEE_OTHER);
    response.headers_mut().insert(
        axum::http::header::LOCATION,
        axum::http::HeaderValue::from_static("/manage?notice=expired"),
    );
    response
}

/// The search form: locator and document.
pub async fn find(visit: Visit, Query(query): Query<FindQuery>) -> Response {
    let message =
        (query.notice.as_deref() == Some("expired")).then(|| visit.lang.t("manage-expired"));
    let template = ManageFindPage {
        page: visit.page("manage-find-title"),
        message,
        locator: String::new(),
        document: String::new(),
    };
    visit.render(StatusCode::OK, &template)
}

#[derive(Debug, Deserialize)]
pub struct FindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    locator: String,
    #[serde(default)]
    document: String,
}

/// Looks the appointment up; a failure is charged to the client and the locator, as the
/// API's look-up is.
pub async fn look_up(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<FindForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let locator = form.locator.trim().to_owned();
    let document = form.document.trim().to_owned();
    let mut errors = Vec::new();
    if locator.is_empty() {
        errors.push(FieldError {
            field: "locator",
            message: visit.lang.t("error-locator-empty"),
        });
    }
    if document.is_empty() {
        errors.push(FieldError {
            field: "document",
            message: visit.lang.t("error-document-empty"),
        });
    }
    if errors.is_empty() {
        if let Err(limited) = state.settings.check_lookup(visit.client, &locator).await {
            return visit.fail_api(limited);
        }
        match state.booking.lookup(&locator, &document).await {
            Ok(outcome) => {
                visit.session.managed = Some(Held {
                    locator: outcome.appointment.locator.to_string(),
                    token: outcome.token,
                    calendar_token: Some(outcome.calendar_token),
                });
                return visit.redirect("/manage/appointment");
            }
            Err(BookingError::NotFound) => {
                state.settings.lookup_failed(visit.client, &locator).await;
                errors.push(FieldError {
                    field: "locator",
                    message: visit.lang.t("manage-not-found"),
                });
            }
            Err(error) => return visit.fail(error),
        }
    }
    let mut page = visit.page("manage-find-title");
    page.errors = errors;
    let template = ManageFindPage {
        page,
        message: None,
        locator,
        document,
    };
    visit.render(StatusCode::UNPROCESSABLE_ENTITY, &template)
}

/// The managed appointment, or where to go when there is none.
async fn managed(state: &AppState, visit: &Visit) -> Result<(Held, Appointment), Response> {
    let Some(held) = visit.session.managed.clone() else {
        return Err(expired_redirect(visit));
    };
    match state.booking.get(&held.locator, &held.token).await {
        Ok(appointment) => Ok((held, appointment)),
        Err(_) => Err(expired_redirect(visit)),
    }
}

fn office_of<'c>(
    catalog: &'c crate::booking::Catalog,
    appointment: &Appointment,
) -> Option<(&'c Office, &'c Service)> {
    catalog
        .service(&appointment.office_id, &appointment.service_id)
        .ok()
}

#[derive(Debug, Deserialize)]
pub struct AppointmentQuery {
    notice: Option<String>,
}

/// The appointment, with what can be done with it.
pub async fn appointment(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<AppointmentQuery>,
) -> Response {
    let (held, appointment) = match managed(&state, &visit).await {
        Ok(found) => found,
        Err(response) => return visit.respond(response),
    };
    let catalog = state.booking.catalog();
    let Some((office, service)) = office_of(&catalog, &appointment) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = &visit.lang;
    let can_change = appointment.status == Status::Booked && appointment.start > visit.now;
    let can_move = can_change && service.may_reschedule(&appointment);
    let template = AppointmentPage {
        page: visit.page("manage-title"),
        message: (query.notice.as_deref() == Some("moved")).then(|| lang.t("manage-moved")),
        locator: held.locator.clone(),
        status: lang.t(&format!("status-{}", appointment.status.as_str())),
        procedure: service.name.clone(),
        when: when(lang, office, appointment.start),
        office: office.name.clone(),
        address: office.address.clone(),
        can_change,
        can_move,
        ics_url: held.calendar_token.as_ref().map(|_| ics_url(&held)),
    };
    visit.render(StatusCode::OK, &template)
}

#[derive(Debug, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

/// The new day.
pub async fn days(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<WeekQuery>,
) -> Response {
    let week = query.week.as_deref().and_then(|w| w.parse().ok());
    days_page(
        &state,
        visit,
        &Calendar::Reschedule,
        week,
        None,
        "manage-reschedule-title",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    #[serde(default)]
    date: String,
    taken: Option<String>,
}

/// The new time.
pub async fn times(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<DateQuery>,
) -> Response {
    times_page(
        &state,
        visit,
        &Calendar::Reschedule,
        &query.date,
        query.taken.as_deref(),
        None,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RescheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start: String,
}

/// Moves the appointment: the new time is secured before the old one is let go.
pub async fn reschedule(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<RescheduleForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let Some(held) = visit.session.managed.clone() else {
        let response = expired_redirect(&visit);
        return visit.respond(response);
    };
    let retry = format!(
        "/manage/time?date={}&taken={}",
        super::book::encode(&form.date),
        super::book::encode(&form.start)
    );
    let Ok(start) = DateTime::parse_from_rfc3339(form.start.trim()) else {
        return visit.redirect(&retry);
    };
    if state.booking.catalog().has_waiting_rooms()
        && let Ok(current) = state.booking.get(&held.locator, &held.token).await
        && let Some(room) = crate::web::queue::room_first(
            &state,
            &visit,
            (&current.office_id, &current.service_id),
            start.to_utc(),
            Some((
                current.document.as_str(),
                Some(current.document_type.as_str()),
            )),
        )
    {
        return visit.redirect(&room);
    }
    match state
        .booking
        .reschedule(
            &held.locator,
            &held.token,
            start.to_utc(),
            None,
            &Actor::Citizen,
        )
        .await
    {
        Ok(_) => visit.redirect("/manage/appointment?notice=moved"),
        Err(BookingError::SlotUnavailable | BookingError::OutsideBookingWindow) => {
            visit.redirect(&retry)
        }
        Err(BookingError::CitizenLimitReached(limit)) => {
            let message = visit.lang.t(super::citizen_limit_message(limit));
            times_page(
                &state,
                visit,
                &Calendar::Reschedule,
                &form.date,
                None,
                Some(message),
            )
            .await
        }
        Err(BookingError::NotFound) => {
            let response = expired_redirect(&visit);
            visit.respond(response)
        }
        Err(error) => visit.fail(error),
    }
}

/// Are you sure?
pub async fn confirm_cancel(State(state): State<AppState>, visit: Visit) -> Response {
    let (_, appointment) = match managed(&state, &visit).await {
        Ok(found) => found,
        Err(response) => return visit.respond(response),
    };
    let catalog = state.booking.catalog();
    let Some((office, procedure)) = office_of(&catalog, &appointment) else {
        return visit.fail(BookingError::NotFound);
    };
    let template = CancelPage {
        summary: format!(
            "{} · {}",
            procedure.name,
            when(&visit.lang, office, appointment.start)
        ),
        page: visit.page("manage-cancel-title"),
    };
    visit.render(StatusCode::OK, &template)
}

/// Cancels.
pub async fn cancel(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let Some(held) = visit.session.managed.clone() else {
        let response = expired_redirect(&visit);
        return visit.respond(response);
    };
    match state.booking.cancel(&held.locator, &held.token).await {
        Ok((_, calendar_token)) => {
            visit.session.managed = Some(Held {
                calendar_token: Some(calendar_token),
                ..held
            });
            visit.redirect("/manage/cancelled")
        }
        // Cancelled already (another tab): show it as it is.
        Err(BookingError::InvalidTransition(_)) => visit.redirect("/manage/appointment"),
        Err(BookingError::NotFound) => {
            let response = expired_redirect(&visit);
            visit.respond(response)
        }
        Err(error) => visit.fail(error),
    }
}

/// It is cancelled; book again?
pub async fn cancelled(State(state): State<AppState>, visit: Visit) -> Response {
    let (_, appointment) = match managed(&state, &visit).await {
        Ok(found) => found,
        Err(response) => return visit.respond(response),
    };
    if appointment.status != Status::Cancelled {
        return visit.redirect("/manage/appointment");
    }
    let catalog = state.booking.catalog();
    let Some((office, _)) = office_of(&catalog, &appointment) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = &visit.lang;
    let date = lang.long_date(crate::calendar::local_date(
        office.timezone,
        appointment.start,
    ));
    let message = lang.t_with(
        "cancelled-lead",
        &[
            ("date", date.into()),
            ("time", lang.time(appointment.start, office.timezone).into()),
        ],
    );
    let template = CancelledPage {
        page: visit.page("cancelled-title"),
        message,
    };
    visit.render(StatusCode::OK, &template)
}
