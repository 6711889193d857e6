//! The staff API (DESIGN §6 "Staff"): an office's agenda, status changes, walk-in and phone
//! bookings, and closures. Every route needs a staff token ([`StaffUser`]); managers and
//! agents reach only their own office (403 otherwise), agents cannot close offices.
//!
//! Status changes answer the appointment as the public API shows it; the agenda shows
//! every status, so staff see cancellations and no-shows too.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::Agenda;
use crate::domain::{OfficeId, Transition};

use super::AppState;
use super::auth::{ANY_ROLE, CLOSURE_ROLES, StaffUser};
use super::contract;
use super::error::{ApiError, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey};
use super::public::{self, AppointmentBody, BookBody, local};

/// The staff operations, merged into the API document (`openapi.rs`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(get_agenda, check_in, undo_check_in, complete, no_show, cancel, book_walk_in, close_office),
    tags((name = "staff", description = "Office staff: agenda, status changes, walk-ins, closures"))
)]
pub struct StaffApi;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgendaQuery {
    /// Local date (YYYY-MM-DD) in the office's time zone.
    pub date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaAppointment {
    #[schema(value_type = contract::Locator)]
    pub locator: String,
    pub service_id: String,
    #[schema(value_type = contract::LocalInstant)]
    pub start: String,
    #[schema(value_type = contract::LocalInstant)]
    pub end: String,
    #[schema(value_type = contract::AppointmentStatus)]
    pub status: String,
    pub citizen_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaDesk {
    pub desk_id: String,
    pub appointments: Vec<AgendaAppointment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaBody {
    pub office_id: String,
    pub date: NaiveDate,
    pub desks: Vec<AgendaDesk>,
}

impl AgendaBody {
    fn new(state: &AppState, agenda: Agenda) -> Result<Self, ApiError> {
        let catalog = state.booking.catalog();
        let office = catalog.office(&agenda.office_id)?;
        Ok(AgendaBody {
            office_id: agenda.office_id.to_string(),
            date: agenda.date,
            desks: agenda
                .desks
                .into_iter()
                .map(|desk| AgendaDesk {
                    desk_id: desk.desk_id.to_string(),
                    appointments: desk
                        .appointments
                        .into_iter()
                        .map(|a| AgendaAppointment {
                            locator: a.locator.to_string(),
                            service_id: a.service_id.to_string(),
                            start: local(office, a.start),
                            end: local(office, a.end),
                            status: a.status.to_string(),
                            citizen_name: a.citizen_name,
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

/// The office's appointments of one local date, per desk (every desk, even empty).
#[utoipa::path(get, path = "/api/v1/staff/offices/{office}/agenda", tag = "staff",
    params(("office" = String, Path), AgendaQuery), security(("staff_token" = [])),
    responses(
        (status = 200, description = "every desk of the office with its appointments starting that date, in any status, by start time", body = AgendaBody),
        (status = 400, description = "malformed path or query parameters: `date` missing or not YYYY-MM-DD, or an unknown parameter", body = Problem),
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "a manager or agent asking for another office than their own", body = Problem),
        (status = 404, description = "unknown office", body = Problem),
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn get_agenda(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(office): ApiPath<String>,
    ApiQuery(query): ApiQuery<AgendaQuery>,
) -> Result<Json<AgendaBody>, ApiError> {
    let office = OfficeId::new(office);
    user.require_role(ANY_ROLE)?;
    user.require_office(&office)?;
    let agenda = state.booking.agenda(&office, query.date).await?;
    Ok(Json(AgendaBody::new(&state, agenda)?))
}

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
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "the staff member's role may not do this", body = Problem),
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a booked appointment can be checked in", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "the staff member's role may not do this", body = Problem),
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a checked-in appointment can go back to booked", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "the staff member's role may not do this", body = Problem),
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a checked-in appointment can be completed", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "the staff member's role may not do this", body = Problem),
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: only a booked appointment can be marked as no-show", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters; or the appointment has not started yet", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "the staff member's role may not do this", body = Problem),
        (status = 404, description = "unknown locator, or an appointment of another office than the manager's or agent's own", body = Problem),
        (status = 409, description = "invalid_transition: the appointment is already cancelled, completed or a no-show", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "a body was sent without Content-Type: application/json", body = Problem),
        (status = 422, description = "validation_failed: an unknown member, a `reason` that is not a string, or a `reason` over 500 characters or with control characters", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        super::public::IssuedTokens::default(),
    )))
}

/// The body could not be read: it is over [`super::BODY_LIMIT`] or the client went away.
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

/// Books at the counter or by phone for a citizen: the public booking body, the office
/// from the path (it must match `office_id`). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/staff/offices/{office}/appointments", tag = "staff",
    params(("office" = String, Path), ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", max_length = 255,
        description = "1 to 255 visible ASCII characters; a retry with the same key and body replays the first answer")), request_body = BookBody,
    security(("staff_token" = [])),
    responses(
        (status = 201, description = "booked (or the replay of an earlier booking under the same Idempotency-Key), with a token for the citizen", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, the Idempotency-Key is not 1 to 255 visible ASCII characters, or the office is not valid UTF-8 once percent-decoded", body = Problem),
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "a manager or agent booking for another office than their own", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable (not a free candidate start) or citizen_limit_reached", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 422, description = "validation_failed (also when `office_id` is not the office in the path), invalid_document, outside_booking_window or idempotency_key_reused", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn book_walk_in(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(office): ApiPath<String>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<(StatusCode, Json<AppointmentBody>), ApiError> {
    let office = OfficeId::new(office);
    user.require_role(ANY_ROLE)?;
    user.require_office(&office)?;
    if body.office_id != office.as_str() {
        return Err(ApiError::validation(format!(
            "office_id {:?} does not match the office in the path ({office})",
            body.office_id
        )));
    }
    // A staff member's keys are theirs alone: nobody else's request can match them.
    let key = key.map(|key| format!("staff:{}:{key}", user.0.id));
    let outcome = state
        .booking
        .book(
            &body.into_request(Some(office)),
            key.as_deref(),
            &user.actor(),
        )
        .await?;
    Ok(public::created(&state, &outcome))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    /// First closed local date (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last closed local date, inclusive.
    pub to: NaiveDate,
    #[schema(value_type = contract::ClosureReason)]
    pub reason: String,
    /// Cancel the booked appointments in the range (their calendars see it); otherwise
    /// they stay and are reported as `stranded`.
    #[serde(default)]
    pub cancel_appointments: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureDone {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Appointments cancelled by this closure.
    pub cancelled: u32,
    /// Booked appointments left in the closed range (staff must call those citizens).
    pub stranded: u32,
}

/// Closes the office on a range of local dates: nothing new is booked there.
#[utoipa::path(post, path = "/api/v1/staff/offices/{office}/closures", tag = "staff",
    params(("office" = String, Path)), request_body = ClosureBody, security(("staff_token" = [])),
    responses(
        (status = 200, description = "closed; `cancelled` counts the appointments cancelled, `stranded` the booked ones left in the range", body = ClosureDone),
        (status = 400, description = "the body is not valid JSON, or the office is not valid UTF-8 once percent-decoded", body = Problem),
        (status = 401, description = "missing or malformed Authorization, or an unknown or revoked staff token", body = Problem),
        (status = 403, description = "an agent (agents cannot close offices), or a manager closing another office than their own", body = Problem),
        (status = 404, description = "unknown office", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 422, description = "validation_failed: a body of the wrong shape, `to` before `from` or more than 366 days after it, or a `reason` that is empty or over 500 characters", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn close_office(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(office): ApiPath<String>,
    ApiJson(body): ApiJson<ClosureBody>,
) -> Result<Json<ClosureDone>, ApiError> {
    let office = OfficeId::new(office);
    user.require_role(CLOSURE_ROLES)?;
    user.require_office(&office)?;
    let outcome = state
        .booking
        .close(
            &office,
            body.from,
            body.to,
            &body.reason,
            body.cancel_appointments,
            &user.actor(),
        )
        .await?;
    Ok(Json(ClosureDone {
        office_id: office.to_string(),
        from: body.from,
        to: body.to,
        cancelled: outcome.cancelled,
        stranded: outcome.stranded,
    }))
}
