//! The citizens' API (DESIGN §6): offices, free days and times, holds, bookings, look-up,
//! reschedule, cancel and the appointment's calendar file.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::{Actor, BookOutcome, BookRequest, BookingError, CitizenInput, HoldOwner};
use crate::domain::{Appointment, Office, OfficeId, ServiceId};
use crate::ical::{EventInput, appointment_calendar};

use super::AppState;
use super::client::ClientKey;
use super::contract;
use super::error::{ApiError, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, BearerToken, IdempotencyKey};
use super::metrics::IdempotentReplay;

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeSummary {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub address: String,
    pub services: Vec<ServiceSummary>,
}

/// The offices and the procedures each one offers.
#[utoipa::path(get, path = "/api/v1/offices", tag = "public", responses((status = 200, description = "the offices and their procedures", body = [OfficeSummary])))]
pub async fn list_offices(State(state): State<AppState>) -> Json<Vec<OfficeSummary>> {
    let catalog = state.booking.catalog();
    Json(
        catalog
            .offices()
            .map(|o| OfficeSummary {
                id: o.id.to_string(),
                name: o.name.clone(),
                timezone: o.timezone.name().to_owned(),
                address: o.address.clone(),
                services: o
                    .services
                    .iter()
                    .map(|s| ServiceSummary {
                        id: s.id.to_string(),
                        name: s.name.clone(),
                        duration_minutes: s.duration_minutes,
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// First local date (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last local date, inclusive; at most 62 days after `from`.
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayBody {
    pub date: NaiveDate,
    pub slots: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaysBody {
    pub office_id: String,
    pub service_id: String,
    pub timezone: String,
    pub days: Vec<DayBody>,
}

/// How many bookable times each date in a range has.
#[utoipa::path(get, path = "/api/v1/offices/{office}/services/{service}/days", tag = "public",
    params(("office" = String, Path), ("service" = String, Path), DaysQuery),
    responses(
        (status = 200, description = "every date of the range; 0 when closed, full or outside the booking window", body = DaysBody),
        (status = 400, description = "malformed path or query parameters", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 422, description = "validation_failed: `to` before `from`, or a range of more than 62 days (`to` - `from` >= 62): a limit across two parameters that the schema cannot state", body = Problem),
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn list_days(
    State(state): State<AppState>,
    ApiPath((office, service)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DaysQuery>,
) -> Result<Json<DaysBody>, ApiError> {
    let (office_id, service_id) = (OfficeId::new(office), ServiceId::new(service));
    let days = state
        .booking
        .days(&office_id, &service_id, query.from, query.to)
        .await?;
    let timezone = state
        .booking
        .catalog()
        .office(&office_id)?
        .timezone
        .name()
        .to_owned();
    Ok(Json(DaysBody {
        office_id: office_id.to_string(),
        service_id: service_id.to_string(),
        timezone,
        days: days
            .into_iter()
            .map(|d| DayBody {
                date: d.date,
                slots: d.slots,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    /// Local date (YYYY-MM-DD).
    pub date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotBody {
    #[schema(value_type = contract::LocalInstant)]
    pub start: String,
    #[schema(value_type = contract::LocalInstant)]
    pub end: String,
    #[schema(minimum = 1)]
    pub capacity: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotsBody {
    pub office_id: String,
    pub service_id: String,
    pub date: NaiveDate,
    pub timezone: String,
    pub slots: Vec<SlotBody>,
}

/// Bookable times of one date, with how many more appointments fit at each.
#[utoipa::path(get, path = "/api/v1/offices/{office}/services/{service}/slots", tag = "public",
    params(("office" = String, Path), ("service" = String, Path), SlotsQuery),
    responses(
        (status = 200, description = "bookable starts, ascending; empty when closed, full or outside the booking window", body = SlotsBody),
        (status = 400, description = "malformed path or query parameters", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn list_slots(
    State(state): State<AppState>,
    ApiPath((office, service)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<SlotsQuery>,
) -> Result<Json<SlotsBody>, ApiError> {
    let (office_id, service_id) = (OfficeId::new(office), ServiceId::new(service));
    let slots = state
        .booking
        .slots(&office_id, &service_id, query.date)
        .await?;
    let catalog = state.booking.catalog();
    let office = catalog.office(&office_id)?;
    Ok(Json(SlotsBody {
        office_id: office_id.to_string(),
        service_id: service_id.to_string(),
        date: query.date,
        timezone: office.timezone.name().to_owned(),
        slots: slots
            .into_iter()
            .map(|s| SlotBody {
                start: local(office, s.start),
                end: local(office, s.end),
                capacity: s.capacity,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub office_id: String,
    pub service_id: String,
    /// RFC 3339 with offset, e.g. `2027-03-29T09:00:00+02:00`.
    #[schema(value_type = contract::Instant)]
    pub start: DateTime<FixedOffset>,
    /// The DNI or NIE of the person the time is held for, if known already: the hold then
    /// replaces that document's previous one, and only a booking for it may use it.
    #[schema(value_type = Option<contract::DniOrNie>)]
    pub citizen_document: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldCreated {
    #[schema(value_type = contract::HoldId)]
    pub hold_id: String,
    #[schema(value_type = contract::LocalInstant)]
    pub start: String,
    #[schema(value_type = contract::LocalInstant)]
    pub end: String,
    #[schema(value_type = contract::LocalInstant)]
    pub expires_at: String,
}

/// Keeps a time for a few minutes while the citizen fills in the form.
#[utoipa::path(post, path = "/api/v1/holds", tag = "public", request_body = HoldBody,
    responses(
        (status = 201, description = "held until `expires_at`", body = HoldCreated),
        (status = 400, description = "the body is not JSON", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable, or hold_limit_reached: this client already holds as many times as it may", body = Problem),
        (status = 422, description = "validation_failed, invalid_document or outside_booking_window", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn create_hold(
    State(state): State<AppState>,
    client: ClientKey,
    ApiJson(body): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<HoldCreated>), ApiError> {
    let (office_id, service_id) = (
        OfficeId::new(body.office_id),
        ServiceId::new(body.service_id),
    );
    let owner = HoldOwner {
        client: client.to_string(),
        document: body.citizen_document,
        max_per_client: state.settings.holds_per_client,
    };
    let hold = state
        .booking
        .hold(
            &office_id,
            &service_id,
            body.start.with_timezone(&Utc),
            &owner,
        )
        .await?;
    let catalog = state.booking.catalog();
    let office = catalog.office(&office_id)?;
    Ok((
        StatusCode::CREATED,
        Json(HoldCreated {
            hold_id: hold.hold_id,
            start: local(office, hold.start),
            end: local(office, hold.end),
            expires_at: local(office, hold.expires_at),
        }),
    ))
}

/// The citizen of a booking. Its schema is [`contract::citizen_schema`]: which document
/// is valid depends on `document_type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenBody {
    pub name: String,
    /// DNI, NIE or passport number; spaces, dots and dashes are ignored.
    pub document: String,
    /// `dni`, `nie` or `passport`; without it a DNI or NIE is expected.
    pub document_type: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    pub office_id: String,
    pub service_id: String,
    #[schema(value_type = contract::Instant)]
    pub start: DateTime<FixedOffset>,
    #[schema(value_type = Option<contract::HoldId>)]
    pub hold_id: Option<String>,
    #[schema(schema_with = contract::citizen_schema)]
    pub citizen: CitizenBody,
}

impl BookBody {
    pub fn into_request(self, office_id: Option<OfficeId>) -> BookRequest {
        BookRequest {
            office_id: office_id.unwrap_or_else(|| OfficeId::new(self.office_id)),
            service_id: ServiceId::new(self.service_id),
            start: self.start.with_timezone(&Utc),
            hold_id: self.hold_id,
            citizen: CitizenInput {
                name: self.citizen.name,
                document: self.citizen.document,
                document_type: self.citizen.document_type,
                email: self.citizen.email,
                phone: self.citizen.phone,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentBody {
    #[schema(value_type = contract::Locator)]
    pub locator: String,
    /// The bearer token that reads, reschedules, cancels and erases this appointment: a
    /// secret for its owner. Only in answers that issue one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{32,}$")]
    pub token: Option<String>,
    /// A token that opens only the appointment's `.ics` file (it travels in a URL, into
    /// calendar apps and their sync services). A new look-up or a cancellation replaces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{32,}$")]
    pub calendar_token: Option<String>,
    pub office_id: String,
    pub service_id: String,
    #[schema(value_type = contract::LocalInstant)]
    pub start: String,
    #[schema(value_type = contract::LocalInstant)]
    pub end: String,
    #[schema(value_type = contract::AppointmentStatus)]
    pub status: String,
    /// Bumped by every change calendar apps must see (reschedule, cancellation).
    #[schema(minimum = 0)]
    pub sequence: i64,
    /// The appointment as an iCalendar file, with the calendar token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ics_url: Option<String>,
}

/// The tokens an answer hands out, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssuedTokens<'a> {
    pub manage: Option<&'a str>,
    pub calendar: Option<&'a str>,
}

impl<'a> IssuedTokens<'a> {
    /// Both tokens of a booking or a look-up.
    pub fn of(outcome: &'a BookOutcome) -> Self {
        IssuedTokens {
            manage: Some(&outcome.token),
            calendar: Some(&outcome.calendar_token),
        }
    }
}

impl AppointmentBody {
    pub fn new(state: &AppState, appointment: &Appointment, tokens: IssuedTokens<'_>) -> Self {
        let catalog = state.booking.catalog();
        let render = |t: DateTime<Utc>| match catalog.office(&appointment.office_id) {
            Ok(office) => local(office, t),
            Err(_) => t.to_rfc3339(),
        };
        AppointmentBody {
            locator: appointment.locator.to_string(),
            token: tokens.manage.map(str::to_owned),
            calendar_token: tokens.calendar.map(str::to_owned),
            office_id: appointment.office_id.to_string(),
            service_id: appointment.service_id.to_string(),
            start: render(appointment.start),
            end: render(appointment.end),
            status: appointment.status.to_string(),
            sequence: appointment.sequence,
            ics_url: tokens.calendar.map(|t| {
                format!(
                    "{}/api/v1/appointments/{}/calendar.ics?token={t}",
                    state.settings.public_url, appointment.locator
                )
            }),
        }
    }
}

/// Books an appointment. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "public", request_body = BookBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", max_length = 255,
        description = "1 to 255 visible ASCII characters; a retry with the same key and body replays the first answer")),
    responses(
        (status = 201, description = "booked (or the replay of an earlier booking under the same Idempotency-Key), with a token", body = AppointmentBody),
        (status = 400, description = "the body is not JSON, or the Idempotency-Key is not 1 to 255 visible ASCII characters", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable (not a free candidate start) or citizen_limit_reached", body = Problem),
        (status = 422, description = "validation_failed (a body of the wrong shape, or a hold_id of a live hold for another office, procedure, time or document), invalid_document (a wrong check letter), outside_booking_window or idempotency_key_reused", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn book_appointment(
    State(state): State<AppState>,
    client: ClientKey,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<Response, ApiError> {
    state.settings.check_document(&body.citizen.document)?;
    // Keys are scoped to the client that sends them, so nobody can take a key another
    // client will send and have its booking answered with theirs.
    let key = key.map(|key| {
        let client = state.booking.pepper().digest("client", &client.to_string());
        format!("client:{client}:{key}")
    });
    let outcome = state
        .booking
        .book(&body.into_request(None), key.as_deref(), &Actor::Citizen)
        .await?;
    let mut response = created(&state, &outcome).into_response();
    if outcome.replayed {
        // Not a new appointment: keeps `cita_bookings_total` honest.
        response.extensions_mut().insert(IdempotentReplay);
    }
    Ok(response)
}

pub fn created(state: &AppState, outcome: &BookOutcome) -> (StatusCode, Json<AppointmentBody>) {
    (
        StatusCode::CREATED,
        Json(AppointmentBody::new(
            state,
            &outcome.appointment,
            IssuedTokens::of(outcome),
        )),
    )
}

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
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 404, description = "no appointment with that locator and document", body = Problem),
        (status = 422, description = "validation_failed: a body of the wrong shape", body = Problem),
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn lookup_appointment(
    State(state): State<AppState>,
    client: ClientKey,
    ApiJson(body): ApiJson<LookupBody>,
) -> Result<Json<AppointmentBody>, ApiError> {
    // Failed look-ups are charged to the client and the locator, never to the document:
    // anyone may type someone's document, and must not lock them out by failing.
    state.settings.check_lookup(client, &body.locator)?;
    match state.booking.lookup(&body.locator, &body.document).await {
        Ok(outcome) => Ok(Json(AppointmentBody::new(
            &state,
            &outcome.appointment,
            IssuedTokens::of(&outcome),
        ))),
        Err(error) => {
            if matches!(error, BookingError::NotFound) {
                state.settings.lookup_failed(client, &body.locator);
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
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
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
    params(("locator" = contract::Locator, Path, description = "the appointment's locator")), request_body = RescheduleBody, security(("appointment_token" = [])),
    responses(
        (status = 200, description = "moved; `sequence` is one more", body = AppointmentBody),
        (status = 400, description = "the body is not JSON", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 415, description = "the body is not declared as application/json", body = Problem),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "unknown locator or wrong token", body = Problem),
        (status = 409, description = "slot_unavailable, citizen_limit_reached or invalid_transition; the appointment is unchanged", body = Problem),
        (status = 422, description = "validation_failed (a body of the wrong shape, or a hold_id of a live hold for another office, procedure, time or document) or outside_booking_window", body = Problem),
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
    ),
)]
pub async fn reschedule_appointment(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiPath(locator): ApiPath<String>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Json<AppointmentBody>, ApiError> {
    let start = body.start.with_timezone(&Utc);
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
        (status = 503, description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds", body = Problem),
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
        (status = 503, description = "unavailable: the database is out of reach; retry after Retry-After seconds", body = Problem),
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

/// An instant as RFC 3339 with the office's offset at that instant.
pub fn local(office: &Office, instant: DateTime<Utc>) -> String {
    instant.with_timezone(&office.timezone).to_rfc3339()
}
