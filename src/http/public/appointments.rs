//! What a citizen does with an appointment once booked, by its locator and token: look it
//! up, read it, reschedule, cancel or erase it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::booking::{Actor, BookingError};
use crate::http::openapi::answers::{Busy, DatabaseUnavailable, NotJson, TooLarge};

use super::super::AppState;
use super::super::client::ClientKey;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{AdmissionToken, ApiJson, ApiPath, BearerToken};
use super::{AppointmentBody, IssuedTokens};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    #[schema(value_type = contract::Locator)]
    pub locator: String,
    #[schema(value_type = contract::AnyDocument)]
    pub document: String,
}

/// Finds an appointment by locator and document, and issues a fresh token for it.
#[utoipa::path(post, path = "/api/v1/appointments/lookup", tag = "public", request_body = LookupBody,
    responses(
        (status = 200, description = "the appointment, with a fresh token", body = AppointmentBody),
        (status = 400, description = "the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 404, description = "no appointment with that locator and document", body = Problem),
        (status = 422, description = "validation_failed: a body of the wrong shape", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn lookup_appointment(
    State(state): State<AppState>,
    client: ClientKey,
    ApiJson(body): ApiJson<LookupBody>,
) -> Result<Json<AppointmentBody>, ApiError> {
    // Failed look-ups are charged to the client and the locator, never to the document:
    // anyone may type someone's document, and must not lock them out by failing.
    state.settings.check_lookup(client, &body.locator).await?;
    match state.booking.lookup(&body.locator, &body.document).await {
        Ok(outcome) => Ok(Json(AppointmentBody::new(
            &state,
            &outcome.appointment,
            IssuedTokens::of(&outcome),
        ))),
        Err(error) => {
            if matches!(error, BookingError::NotFound) {
                state.settings.lookup_failed(client, &body.locator).await;
            }
            Err(error.into())
        }
    }
}

/// The appointment, for the holder of its token.
#[utoipa::path(get, path = "/api/v1/appointments/{locator}", tag = "public", params(("locator" = contract::Locator, Path, description = "the appointment's locator")),
    security(("appointment_token" = [])),
    responses(
        (status = 200, description = "the appointment", body = AppointmentBody),
        (status = 400, description = "malformed path or query parameters", body = Problem),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn get_appointment(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiPath(locator): ApiPath<String>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let appointment = state.booking.get(&locator, &token).await?;
    Ok(Json(AppointmentBody::new(
        &state,
        &appointment,
        IssuedTokens::default(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    #[schema(value_type = contract::Instant)]
    pub start: DateTime<FixedOffset>,
    #[schema(value_type = Option<contract::HoldId>)]
    pub hold_id: Option<String>,
}

/// Moves the appointment to another time, or leaves it as it was.
#[utoipa::path(post, path = "/api/v1/appointments/{locator}/reschedule", tag = "public",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator"),
        ("Cita-Admission" = Option<String>, Header, pattern = "^[!-~]{0,128}$", max_length = 128,
        description = "while a waiting room guards the new date: the admission token it gave")),
    request_body = RescheduleBody, security(("appointment_token" = [])),
    responses(
        (status = 200, description = "moved; `sequence` is one more", body = AppointmentBody),
        (status = 400, description = "the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 403, description = "admission_required: a waiting room guards the new date; join it and send its admission token", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        (status = 409, description = "slot_unavailable, citizen_limit_reached or invalid_transition; the appointment is unchanged", body = Problem),
        (status = 422, description = "validation_failed (a body of the wrong shape, or a hold_id of a live hold for another office, procedure, time or document) or outside_booking_window", body = Problem),
        Busy,
    ),
)]
pub async fn reschedule_appointment(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    AdmissionToken(admission): AdmissionToken,
    ApiPath(locator): ApiPath<String>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let start = body.start.with_timezone(&Utc);
    // Only where a waiting room may guard the new date is the appointment read first.
    if state.booking.catalog().has_waiting_rooms() {
        let current = state.booking.get(&locator, &token).await?;
        state.booking.check_admission(
            &current.office_id,
            &current.service_id,
            start,
            Some((
                current.document.as_str(),
                Some(current.document_type.as_str()),
            )),
            admission.as_deref(),
        )?;
    }
    let appointment = state
        .booking
        .reschedule(
            &locator,
            &token,
            start,
            body.hold_id.as_deref(),
            &Actor::Citizen,
        )
        .await?;
    Ok(Json(AppointmentBody::new(
        &state,
        &appointment,
        IssuedTokens::default(),
    )))
}

/// Cancels the appointment.
#[utoipa::path(post, path = "/api/v1/appointments/{locator}/cancel", tag = "public",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), security(("appointment_token" = [])),
    responses(
        (status = 200, description = "cancelled", body = AppointmentBody),
        (status = 400, description = "malformed path or query parameters", body = Problem),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        (status = 409, description = "invalid_transition: already cancelled or attended", body = Problem),
        Busy,
    ),
)]
pub async fn cancel_appointment(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiPath(locator): ApiPath<String>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let (appointment, calendar_token) = state.booking.cancel(&locator, &token).await?;
    Ok(Json(AppointmentBody::new(
        &state,
        &appointment,
        IssuedTokens {
            manage: None,
            calendar: Some(&calendar_token),
        },
    )))
}

/// Erases the citizen's name, document, e-mail and phone from an appointment that has
/// passed or was cancelled (the right of erasure), and revokes its tokens. What stays is
/// anonymous: office, procedure, time and status, for statistics.
#[utoipa::path(post, path = "/api/v1/appointments/{locator}/erase", tag = "public",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), security(("appointment_token" = [])),
    responses(
        (status = 204, description = "erased; the token no longer opens anything"),
        (status = 400, description = "malformed path parameters", body = Problem),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        (status = 409, description = "invalid_transition: the appointment is still to come; cancel it first", body = Problem),
        (status = 503, description = "overloaded or unavailable; retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn erase_appointment(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiPath(locator): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.booking.erase(&locator, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
