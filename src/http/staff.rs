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
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::Agenda;
use crate::domain::{OfficeId, Transition};

use super::AppState;
use super::auth::{ANY_ROLE, CLOSURE_ROLES, StaffUser};
use super::error::{ApiError, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey};
use super::public::{self, AppointmentBody, BookBody, local};

/// The staff operations, merged into the API document (`openapi.rs`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(get_agenda, check_in, complete, no_show, cancel, book_walk_in, close_office),
    tags((name = "staff", description = "Office staff: agenda, status changes, walk-ins, closures"))
)]
pub struct StaffApi;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AgendaQuery {
    /// Local date (YYYY-MM-DD) in the office's time zone.
    pub date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaAppointment {
    pub locator: String,
    pub service_id: String,
    pub start: String,
    pub end: String,
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
    params(("office" = String, Path), AgendaQuery), security(("bearer" = [])),
    responses((status = 200, body = AgendaBody), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
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
    pub reason: Option<String>,
}

/// The citizen arrived: they wait for their desk.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/check-in", tag = "staff",
    params(("locator" = String, Path)), request_body(content = Option<TransitionBody>), security(("bearer" = [])),
    responses((status = 200, body = AppointmentBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn check_in(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    change(
        &state,
        &user,
        &locator,
        Transition::CheckIn,
        &body.map_err(too_large)?,
    )
    .await
}

/// The citizen was served.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/complete", tag = "staff",
    params(("locator" = String, Path)), request_body(content = Option<TransitionBody>), security(("bearer" = [])),
    responses((status = 200, body = AppointmentBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn complete(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    change(
        &state,
        &user,
        &locator,
        Transition::Complete,
        &body.map_err(too_large)?,
    )
    .await
}

/// The citizen did not come (only after the appointment's start).
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/no-show", tag = "staff",
    params(("locator" = String, Path)), request_body(content = Option<TransitionBody>), security(("bearer" = [])),
    responses((status = 200, body = AppointmentBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn no_show(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    change(
        &state,
        &user,
        &locator,
        Transition::NoShow,
        &body.map_err(too_large)?,
    )
    .await
}

/// Staff cancel a booked or checked-in appointment; `{reason}` is optional.
#[utoipa::path(post, path = "/api/v1/staff/appointments/{locator}/cancel", tag = "staff",
    params(("locator" = String, Path)), request_body(content = Option<TransitionBody>), security(("bearer" = [])),
    responses((status = 200, body = AppointmentBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(locator): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AppointmentBody>, ApiError> {
    change(
        &state,
        &user,
        &locator,
        Transition::Cancel,
        &body.map_err(too_large)?,
    )
    .await
}

/// Unknown locator: 404; another office's appointment: 403; a change the status machine
/// refuses: 409 `invalid_transition`.
async fn change(
    state: &AppState,
    user: &StaffUser,
    locator: &str,
    transition: Transition,
    body: &[u8],
) -> Result<Json<AppointmentBody>, ApiError> {
    user.require_role(ANY_ROLE)?;
    let reason = optional_json::<TransitionBody>(body)?.and_then(|b| b.reason);
    let appointment = state.booking.appointment_by_locator(locator).await?;
    user.require_office(&appointment.office_id)?;
    let changed = state
        .booking
        .staff_change(&appointment, transition, &user.actor(), reason.as_deref())
        .await?;
    Ok(Json(AppointmentBody::new(state, &changed, None)))
}

/// The body could not be read: it is over [`super::BODY_LIMIT`] or the client went away.
pub fn too_large(_: BytesRejection) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "validation_failed",
        "the body is too large or could not be read",
    )
}

/// An optional JSON body: nothing (or only whitespace) is `None`.
fn optional_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
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
    params(("office" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = BookBody,
    security(("bearer" = [])),
    responses((status = 201, body = AppointmentBody), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
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
    params(("office" = String, Path)), request_body = ClosureBody, security(("bearer" = [])),
    responses((status = 200, body = ClosureDone), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
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
