//! Status changes of one appointment (check-in and its undo, complete, no-show, cancel),
//! each with an optional reason, and the reading of that optional body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::Transition;
use crate::http::openapi::answers::{Busy, RoleForbidden, StaffUnauthorized, TooLarge};

use super::super::AppState;
use super::super::auth::{ANY_ROLE, StaffUser};
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::ApiPath;
use super::super::public::AppointmentBody;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// Kept in the audit trail (for example why staff cancelled).
    #[schema(value_type = Option<contract::TransitionReason>)]
    pub reason: Option<String>,
}

/// The citizen arrived: they wait for their desk.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/check-in", tag = "staff",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body(content = TransitionBody, description = "optional: no body at all means no reason"), security(("staff_token" = [])),
    responses(
        (status = 200, description = "checked in: the appointment, status `checked_in`", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, or the locator is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        RoleForbidden,
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a booked appointment can be checked in", body = Problem),
        TooLarge,
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        Busy,
    ),
)]
pub async fn check_in(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let reason = optional_reason(&headers, &body.map_err(too_large)?)?;
    change(&state, &user, &locator, Transition::CheckIn, reason).await
}

/// A check-in made by mistake (the wrong citizen, the wrong line): back to booked. Only
/// a checked-in appointment can go back; `sequence` does not change (calendars see no
/// difference).
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/undo-check-in", tag = "staff",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body(content = TransitionBody, description = "optional: no body at all means no reason"), security(("staff_token" = [])),
    responses(
        (status = 200, description = "the check-in is undone: the appointment, status `booked` again, `sequence` unchanged", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, or the locator is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        RoleForbidden,
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a checked-in appointment can go back to booked", body = Problem),
        TooLarge,
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        Busy,
    ),
)]
pub async fn undo_check_in(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let reason = optional_reason(&headers, &body.map_err(too_large)?)?;
    change(&state, &user, &locator, Transition::UndoCheckIn, reason).await
}

/// The citizen was served.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/complete", tag = "staff",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body(content = TransitionBody, description = "optional: no body at all means no reason"), security(("staff_token" = [])),
    responses(
        (status = 200, description = "completed: the appointment, status `completed`", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, or the locator is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        RoleForbidden,
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a checked-in appointment can be completed", body = Problem),
        TooLarge,
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        Busy,
    ),
)]
pub async fn complete(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let reason = optional_reason(&headers, &body.map_err(too_large)?)?;
    change(&state, &user, &locator, Transition::Complete, reason).await
}

/// The citizen did not come (only after the appointment's start).
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/no-show", tag = "staff",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body(content = TransitionBody, description = "optional: no body at all means no reason"), security(("staff_token" = [])),
    responses(
        (status = 200, description = "marked as no-show: the appointment, status `no_show`", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, or the locator is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        RoleForbidden,
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a booked appointment can be marked as no-show", body = Problem),
        TooLarge,
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters; or the appointment has not started yet", body = Problem),
        Busy,
    ),
)]
pub async fn no_show(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let reason = optional_reason(&headers, &body.map_err(too_large)?)?;
    change(&state, &user, &locator, Transition::NoShow, reason).await
}

/// Staff cancel a booked or checked-in appointment; `{reason}` is optional.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/cancel", tag = "staff",
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body(content = TransitionBody, description = "optional: no body at all means no reason"), security(("staff_token" = [])),
    responses(
        (status = 200, description = "cancelled: the appointment, status `cancelled`, `sequence` one more", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, or the locator is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        RoleForbidden,
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: the appointment is already cancelled, completed or a no-show", body = Problem),
        TooLarge,
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        Busy,
    ),
)]
pub async fn cancel(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let reason = optional_reason(&headers, &body.map_err(too_large)?)?;
    change(&state, &user, &locator, Transition::Cancel, reason).await
}

/// Unknown locator and another office's appointment: the same 404 (a manager or agent
/// learns nothing about other offices' locators); a change the status machine refuses:
/// 409 `invalid_transition`.
async fn change(
    state: &AppState,
    user: &StaffUser,
    locator: &str,
    transition: Transition,
    reason: Option<String>,
) -> Result<Json<AppointmentBody>, ApiError> {
    user.require_role(ANY_ROLE)?;
    let appointment = state.booking.appointment_by_locator(locator).await?;
    if user.require_office(&appointment.office_id).is_err() {
        return Err(ApiError::not_found());
    }
    let changed = state
        .booking
        .staff_change(&appointment, transition, &user.actor(), reason.as_deref())
        .await?;
    Ok(Json(AppointmentBody::new(
        state,
        &changed,
        super::super::public::IssuedTokens::default(),
    )))
}

/// The body could not be read: it is over [`super::super::BODY_LIMIT`] or the client went away.
pub fn too_large(_: BytesRejection) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "validation_failed",
        "the body is too large or could not be read",
    )
}

/// The optional `{reason}` of a status change: no body (or only whitespace) is `None`;
/// a body must be JSON (415 otherwise).
fn optional_reason(headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "validation_failed",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    Ok(optional_json::<TransitionBody>(body)?.and_then(|b| b.reason))
}

/// A JSON body, parsed.
fn optional_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    serde_json::from_slice(body).map(Some).map_err(|e| {
        if e.is_data() {
            ApiError::validation(e.to_string())
        } else {
            ApiError::bad_request(format!("the body is not valid JSON: {e}"))
        }
    })
}
