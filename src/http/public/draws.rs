//! Release draws: a procedure's draws, entering one, an entrant's result, and the public
//! record that lets anyone check a draw.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::{DrawInfo, DrawRecordPublic, EntryRequest, EntryStatus, PublishedEntry};
use crate::domain::{OfficeId, ServiceId};
use crate::draw::Supply;
use crate::http::openapi::answers::{Busy, DatabaseUnavailable, NotJson, TooLarge};

use super::super::AppState;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiJson, ApiPath, BearerToken};
use super::book::CitizenBody;
use super::{AppointmentBody, IssuedTokens, local};

#[derive(Debug, Serialize, ToSchema)]
pub struct DrawBody {
    /// `<office>.<service>.<YYYYMMDD>T<HHMM>`: the release's local date and time.
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    /// When the draw runs; what it leaves goes first come from then on.
    #[schema(value_type = contract::LocalInstant)]
    pub draw_at: String,
    #[schema(value_type = contract::LocalInstant)]
    pub entries_open_at: String,
    #[schema(value_type = contract::LocalInstant)]
    pub entries_close_at: String,
    /// The first and last local dates it gives out.
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    /// `upcoming` (entries not open yet), `open`, `closed` (waiting for the draw) or
    /// `drawn`.
    pub state: String,
    /// SHA-256 (hex) of the seed, public from the moment entries open: the seed cannot be
    /// chosen after seeing the entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_sha256: Option<String>,
    /// The seed, once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// SHA-256 (hex) of the entry list, published when entries close: one line per entry,
    /// `<entry_hash>:<priority 0|1>:<from>:<to>:<part_of_day>`, sorted, joined by `\n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries_sha256: Option<String>,
    pub entries: i64,
    /// Appointments given, once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<i64>,
}

impl DrawBody {
    fn new(state: &AppState, info: &DrawInfo) -> Self {
        let draw = &info.draw;
        let catalog = state.booking.catalog();
        let render = |t: DateTime<Utc>| match catalog.office(&draw.office_id) {
            Ok(office) => local(office, t),
            Err(_) => t.to_rfc3339(),
        };
        let (first_date, last_date) = draw.dates();
        DrawBody {
            id: draw.id.clone(),
            office_id: draw.office_id.to_string(),
            service_id: draw.service_id.to_string(),
            draw_at: render(draw.instant),
            entries_open_at: render(draw.entries_open_at()),
            entries_close_at: render(draw.entries_close_at()),
            first_date,
            last_date,
            state: info.state.as_str().to_owned(),
            seed_sha256: info.seed_sha256.clone(),
            seed: info.seed.clone(),
            entries_sha256: info.entries_sha256.clone(),
            entries: info.entries,
            assigned: info.assigned,
        }
    }
}

/// A procedure's draws from a week ago to two weeks ahead.
#[utoipa::path(get, path = "/api/v1/offices/{office}/services/{service}/draws", tag = "public",
    params(("office" = String, Path), ("service" = String, Path)),
    responses(
        (status = 200, description = "the draws, oldest first (none for a procedure released first come)", body = [DrawBody]),
        (status = 400, description = "malformed path", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn list_draws(
    State(state): State<AppState>,
    ApiPath((office, service)): ApiPath<(String, String)>,
) -> Result<Json<Vec<DrawBody>>, ApiError> {
    let draws = state
        .booking
        .draws_of(&OfficeId::new(office), &ServiceId::new(service))
        .await?;
    Ok(Json(
        draws.iter().map(|d| DrawBody::new(&state, d)).collect(),
    ))
}

/// One draw and where it stands.
#[utoipa::path(get, path = "/api/v1/draws/{draw}", tag = "public",
    params(("draw" = String, Path)),
    responses(
        (status = 200, description = "the draw", body = DrawBody),
        (status = 400, description = "malformed path", body = Problem),
        (status = 404, description = "no such draw", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn get_draw(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DrawBody>, ApiError> {
    let info = state.booking.draw(&id).await?;
    Ok(Json(DrawBody::new(&state, &info)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    #[schema(schema_with = contract::citizen_schema)]
    pub citizen: CitizenBody,
    /// The first and last local dates the entrant can come (within the draw's dates).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `any`, `morning` (starts before 14:00) or `afternoon`.
    #[schema(pattern = "^(any|morning|afternoon)$")]
    pub part_of_day: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryCreated {
    pub draw_id: String,
    /// Reads this entry's result (`GET /api/v1/draw-entries/mine`): a secret for the
    /// entrant.
    #[schema(pattern = "^[0-9a-f]{32,}$")]
    pub token: String,
    /// Eight characters for people to write down: with the document, the result page
    /// (`/draw/result`) shows the result.
    #[schema(value_type = contract::Locator)]
    pub entry_code: String,
    /// With the document, finds this entry in the published list: `entry_hash` is the
    /// SHA-256 (hex) of `<salt>:<document type>:<document number>`.
    pub salt: String,
    pub entry_hash: String,
}

/// Enters the draw, once per document, while its entries are open.
#[utoipa::path(post, path = "/api/v1/draws/{draw}/entries", tag = "public",
    params(("draw" = String, Path)), request_body = EntryBody,
    responses(
        (status = 201, description = "entered", body = EntryCreated),
        (status = 400, description = "the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 404, description = "no such draw", body = Problem),
        (status = 409, description = "draw_closed (entries not open), already_entered, or citizen_limit_reached (the document already has this procedure, or must wait)", body = Problem),
        (status = 422, description = "validation_failed (dates outside the draw's, part_of_day) or invalid_document", body = Problem),
        Busy,
    ),
)]
pub async fn enter_draw(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EntryBody>,
) -> Result<(StatusCode, Json<EntryCreated>), ApiError> {
    state
        .settings
        .check_document(&body.citizen.document)
        .await?;
    let request = EntryRequest {
        citizen: body.citizen.into_input(),
        from: body.from,
        to: body.to,
        part_of_day: body.part_of_day,
    };
    let entered = state.booking.enter_draw(&id, &request).await?;
    Ok((
        StatusCode::CREATED,
        Json(EntryCreated {
            draw_id: entered.draw_id,
            token: entered.token,
            entry_code: entered.entry_code,
            salt: entered.salt,
            entry_hash: entered.entry_hash,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryResultBody {
    pub draw: DrawBody,
    /// `waiting` (not drawn yet), `assigned`, `none` (nothing fitted: the entrant may
    /// enter the next draw, ahead of the others when the office gives that priority) or
    /// `refused` (the time drawn could not be booked: the document already had this
    /// procedure by then, or had to wait).
    pub result: String,
    /// Whether this entry went ahead of the others (it got nothing in the previous draw).
    pub priority: bool,
    /// Place in the draw's order, once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The appointment given, without a token: look it up with its locator and the
    /// document (`POST /api/v1/appointments/lookup`) to manage it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment: Option<AppointmentBody>,
}

/// The result of the entry whose token is sent.
#[utoipa::path(get, path = "/api/v1/draw-entries/mine", tag = "public",
    security(("entry_token" = [])),
    responses(
        (status = 200, description = "the entry's result", body = EntryResultBody),
        (status = 401, description = "no Authorization: Bearer header", body = Problem),
        (status = 404, description = "no entry has that token", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn my_draw_entry(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<Json<EntryResultBody>, ApiError> {
    let status: EntryStatus = state.booking.draw_entry(&token).await?;
    Ok(Json(EntryResultBody {
        draw: DrawBody::new(&state, &status.draw),
        result: status.result,
        priority: status.priority,
        position: status.position,
        appointment: status
            .appointment
            .map(|a| AppointmentBody::new(&state, &a, IssuedTokens::default())),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedEntryBody {
    /// `waiting`, `assigned`, `none` or `refused`.
    pub result: String,
    pub entry_hash: String,
    pub priority: bool,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part_of_day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The start the draw gave it, once drawn (none: nothing fitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<contract::LocalInstant>)]
    pub start: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrawRecordBody {
    pub draw: DrawBody,
    /// What the draw allocated from: desks, hours and the appointments already there
    /// (no personal data), once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub supply: Option<Supply>,
    /// Every entry, without personal data, once entries have closed.
    pub entries: Vec<PublishedEntryBody>,
}

/// Everything needed to check a draw: the entries from when they close; the seed, the
/// supply and the results once drawn (`cita draw verify` recomputes it).
#[utoipa::path(get, path = "/api/v1/draws/{draw}/record", tag = "public",
    params(("draw" = String, Path)),
    responses(
        (status = 200, description = "the public record", body = DrawRecordBody),
        (status = 400, description = "malformed path", body = Problem),
        (status = 404, description = "no such draw", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn draw_record(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DrawRecordBody>, ApiError> {
    let record: DrawRecordPublic = state.booking.draw_record(&id).await?;
    let catalog = state.booking.catalog();
    let office = catalog.office(&record.info.draw.office_id)?;
    let entry = |e: &PublishedEntry| PublishedEntryBody {
        result: e.result.clone(),
        entry_hash: e.entry_hash.clone(),
        priority: e.priority,
        from: e.from,
        to: e.to,
        part_of_day: e.part_of_day.clone(),
        position: e.position,
        start: e.start.map(|t| local(office, t)),
    };
    Ok(Json(DrawRecordBody {
        draw: DrawBody::new(&state, &record.info),
        supply: record.supply.clone(),
        entries: record.entries.iter().map(entry).collect(),
    }))
}
