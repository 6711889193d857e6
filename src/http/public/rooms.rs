//! Waiting rooms in front of first-come releases: a room and its line, joining it, and
//! a place's status with its admission token once let in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::{RoomInfo, TicketStatus};
use crate::http::openapi::answers::{Busy, DatabaseUnavailable, NotJson, TooLarge};

use super::super::AppState;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiJson, ApiPath, BearerToken};
use super::local;

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomBody {
    /// `<office>.<service>.<YYYYMMDD>T<HHMM>`: the release's local date and time.
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    /// When the room opens: whoever joins from then until the release gets a random place.
    #[schema(value_type = contract::LocalInstant)]
    pub opens_at: String,
    /// The release instant: the line is ordered and starts being let in.
    #[schema(value_type = contract::LocalInstant)]
    pub release_at: String,
    /// Until then, holds and bookings of the release's dates need an admission token.
    #[schema(value_type = contract::LocalInstant)]
    pub closes_at: String,
    pub admit_per_minute: u32,
    /// `upcoming`, `open` (taking places), `admitting` or `closed`.
    pub state: String,
    /// Places in line so far.
    pub waiting: i64,
}

impl RoomBody {
    fn new(state: &AppState, info: &RoomInfo) -> Result<Self, ApiError> {
        let catalog = state.booking.catalog();
        let office = catalog.office(&info.room.office_id)?;
        let room = &info.room;
        Ok(RoomBody {
            id: room.id.clone(),
            office_id: room.office_id.to_string(),
            service_id: room.service_id.to_string(),
            opens_at: local(office, room.opens_at()),
            release_at: local(office, room.instant),
            closes_at: local(office, room.closes_at()),
            admit_per_minute: room.rules.admit_per_minute,
            state: info.state.as_str().to_owned(),
            waiting: info.waiting,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketBody {
    pub room: RoomBody,
    /// Places ahead of this one, once the release instant has ordered the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<i64>,
    /// When this place is let in, once the line is ordered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<contract::LocalInstant>)]
    pub admitted_at: Option<String>,
    /// Once let in: send it as the `Cita-Admission` header with holds and bookings of the
    /// release's dates for the document that joined (a hold must name it in
    /// `citizen_document`); ask again for a fresh one when it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<contract::LocalInstant>)]
    pub admission_expires_at: Option<String>,
}

impl TicketBody {
    fn new(state: &AppState, status: &TicketStatus) -> Result<Self, ApiError> {
        let catalog = state.booking.catalog();
        let office = catalog.office(&status.info.room.office_id)?;
        Ok(TicketBody {
            room: RoomBody::new(state, &status.info)?,
            ahead: status.ahead,
            admitted_at: status.admitted_at.map(|at| local(office, at)),
            admission_token: status.admission.as_ref().map(|a| a.token.clone()),
            admission_expires_at: status
                .admission
                .as_ref()
                .map(|a| local(office, a.expires_at)),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketCreated {
    /// Reads this place's status (`GET /api/v1/waiting-room-tickets/mine`): a secret.
    #[schema(pattern = "^[0-9a-f]{32,}$")]
    pub ticket: String,
    #[serde(flatten)]
    pub status: TicketBody,
}

/// One waiting room and how many are in line.
#[utoipa::path(get, path = "/api/v1/waiting-rooms/{room}", tag = "public",
    params(("room" = String, Path)),
    responses(
        (status = 200, description = "the room", body = RoomBody),
        (status = 400, description = "malformed path", body = Problem),
        (status = 404, description = "no such room", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn get_room(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RoomBody>, ApiError> {
    let info = state.booking.room(&id).await?;
    Ok(Json(RoomBody::new(&state, &info)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The document the appointment will be for: one place per document.
    #[schema(value_type = contract::DniOrNie)]
    pub document: String,
    /// `dni`, `nie` or `passport`; without it a DNI or NIE is expected.
    pub document_type: Option<String>,
}

/// Takes a place in the room's line for a document (one per document: joining again
/// keeps the place and gives a new ticket, the old one stops working).
#[utoipa::path(post, path = "/api/v1/waiting-rooms/{room}/tickets", tag = "public",
    params(("room" = String, Path)), request_body = JoinBody,
    responses(
        (status = 201, description = "in line", body = TicketCreated),
        (status = 400, description = "malformed path, or the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 404, description = "no such room", body = Problem),
        (status = 409, description = "room_closed: not open yet, or over", body = Problem),
        (status = 422, description = "validation_failed or invalid_document", body = Problem),
        Busy,
    ),
)]
pub async fn join_room(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<(StatusCode, Json<TicketCreated>), ApiError> {
    state.settings.check_document(&body.document).await?;
    let joined = state
        .booking
        .join_room(&id, &body.document, body.document_type.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TicketCreated {
            ticket: joined.ticket,
            status: TicketBody::new(&state, &joined.status)?,
        }),
    ))
}

/// The place whose ticket is sent: how many are ahead, when it is let in, and then its
/// admission token.
#[utoipa::path(get, path = "/api/v1/waiting-room-tickets/mine", tag = "public",
    security(("ticket" = [])),
    responses(
        (status = 200, description = "the place", body = TicketBody),
        (status = 401, description = "no Authorization: Bearer header", body = Problem),
        (status = 404, description = "no place has that ticket", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn my_ticket(
    State(state): State<AppState>,
    BearerToken(ticket): BearerToken,
) -> Result<Json<TicketBody>, ApiError> {
    let status = state.booking.ticket_status(&ticket).await?;
    Ok(Json(TicketBody::new(&state, &status)?))
}
