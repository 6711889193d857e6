//! Holding a time and booking it: the request bodies, and the answer of a new booking
//! (also given by the staff's booking on a citizen's behalf).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::{Actor, BookOutcome, BookRequest, CitizenInput, HoldOwner};
use crate::domain::{OfficeId, ServiceId};
use crate::http::openapi::answers::{Busy, NotJson, TooLarge};

use super::super::AppState;
use super::super::client::ClientKey;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{AdmissionToken, ApiJson, IdempotencyKey};
use super::super::metrics::IdempotentReplay;
use super::{AppointmentBody, IssuedTokens, local};

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
    params(("Cita-Admission" = Option<String>, Header, pattern = "^[!-~]{0,128}$", max_length = 128,
        description = "while a waiting room guards the date: the admission token it gave for the citizen's document (see /api/v1/waiting-rooms)")),
    responses(
        (status = 201, description = "held until `expires_at`", body = HoldCreated),
        (status = 400, description = "the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 403, description = "admission_required: a waiting room guards that date; join it and send its admission token", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable, or hold_limit_reached: this client already holds as many times as it may", body = Problem),
        (status = 422, description = "validation_failed, invalid_document or outside_booking_window", body = Problem),
        Busy,
    ),
)]
pub async fn create_hold(
    State(state): State<AppState>,
    client: ClientKey,
    AdmissionToken(admission): AdmissionToken,
    ApiJson(body): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<HoldCreated>), ApiError> {
    let (office_id, service_id) = (
        OfficeId::new(body.office_id),
        ServiceId::new(body.service_id),
    );
    state.booking.check_admission(
        &office_id,
        &service_id,
        body.start.with_timezone(&Utc),
        body.citizen_document.as_deref().map(|d| (d, None)),
        admission.as_deref(),
    )?;
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
    /// `es` or `en`: the language of the citizen's messages (Spanish when missing).
    pub language: Option<String>,
}

impl CitizenBody {
    pub fn into_input(self) -> CitizenInput {
        CitizenInput {
            name: self.name,
            document: self.document,
            document_type: self.document_type,
            email: self.email,
            phone: self.phone,
            language: self.language,
        }
    }
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
            citizen: self.citizen.into_input(),
        }
    }
}

/// Books an appointment. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "public", request_body = BookBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", max_length = 255,
        description = "1 to 255 visible ASCII characters; a retry with the same key and body replays the first answer"),
        ("Cita-Admission" = Option<String>, Header, pattern = "^[!-~]{0,128}$", max_length = 128,
        description = "while a waiting room guards the date: the admission token it gave for the citizen's document (see /api/v1/waiting-rooms)")),
    responses(
        (status = 201, description = "booked (or the replay of an earlier booking under the same Idempotency-Key), with a token", body = AppointmentBody),
        (status = 400, description = "the body is not JSON, or the Idempotency-Key is not 1 to 255 visible ASCII characters", body = Problem),
        TooLarge,
        NotJson,
        (status = 403, description = "admission_required: a waiting room guards that date; join it and send its admission token", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable (not a free candidate start) or citizen_limit_reached", body = Problem),
        (status = 422, description = "validation_failed (a body of the wrong shape, or a hold_id of a live hold for another office, procedure, time or document), invalid_document (a wrong check letter), outside_booking_window or idempotency_key_reused", body = Problem),
        Busy,
    ),
)]
pub async fn book_appointment(
    State(state): State<AppState>,
    client: ClientKey,
    IdempotencyKey(key): IdempotencyKey,
    AdmissionToken(admission): AdmissionToken,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<Response, ApiError> {
    state.booking.check_admission(
        &OfficeId::new(body.office_id.as_str()),
        &ServiceId::new(body.service_id.as_str()),
        body.start.with_timezone(&Utc),
        Some((
            body.citizen.document.as_str(),
            body.citizen.document_type.as_deref(),
        )),
        admission.as_deref(),
    )?;
    state
        .settings
        .check_document(&body.citizen.document)
        .await?;
    // Keys are scoped to the client that sends them, so nobody can take a key another
    // client will send and have its booking answered with theirs.
    let key = key.map(|key| {
        let client = state.booking.pepper().digest("client", &client.to_string());
        format!("client:{client}:{key}")
    });
    let outcome = state
        .booking
        .book_from(
            &body.into_request(None),
            key.as_deref(),
            &Actor::Citizen,
            Some(&client.to_string()),
        )
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
