//! The appointment as an iCalendar file, and the event and response shapes the calendar
//! feeds share with it.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::{Appointment, Office};
use crate::http::openapi::answers::DatabaseUnavailable;
use crate::ical::{EventInput, appointment_calendar};

use super::super::AppState;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiPath, ApiQuery};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The appointment's calendar token (calendar apps cannot send headers); its manage
    /// token does not open the file.
    pub token: String,
}

/// The appointment as an iCalendar file.
#[utoipa::path(get, path = "/api/v1/appointments/{locator}/calendar.ics", tag = "public",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator"), TokenQuery),
    responses(
        (status = 200, description = "RFC 5545 calendar with one VEVENT", content_type = "text/calendar", body = String),
        (status = 400, description = "no token", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn appointment_ics(
    State(state): State<AppState>,
    ApiPath(locator): ApiPath<String>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let appointment = state
        .booking
        .get_for_calendar(&locator, &query.token)
        .await?;
    let catalog = state.booking.catalog();
    let office = catalog.office(&appointment.office_id)?;
    let summary = event_summary(office, &appointment);
    let event = event_input(&state, office, &appointment, &summary, None);
    let body = appointment_calendar(&event, state.booking.clock().now(), &summary);
    Ok(calendar_response(body))
}

/// "Procedure — Office" in plain words.
pub fn event_summary(office: &Office, appointment: &Appointment) -> String {
    let procedure = office
        .service(&appointment.service_id)
        .map_or(appointment.service_id.as_str(), |s| s.name.as_str());
    format!("{procedure} — {}", office.name)
}

pub fn event_input<'a>(
    state: &AppState,
    office: &'a Office,
    appointment: &Appointment,
    summary: &'a str,
    description: Option<&'a str>,
) -> EventInput<'a> {
    EventInput {
        uid: format!("{}@{}", appointment.locator, state.settings.host),
        start: appointment.start,
        end: appointment.end,
        sequence: appointment.sequence,
        cancelled: appointment.status == crate::domain::Status::Cancelled,
        summary,
        location: &office.address,
        description,
        last_modified: appointment.updated_at,
    }
}

pub fn calendar_response(body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    response
}
