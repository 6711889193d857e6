//! The citizen's calendar by API (the pages are `/my`): ask for the e-mailed link, then,
//! with its token as the bearer, read every appointment still to come (in every office)
//! and make or revoke personal calendar feeds.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::CitizenOwner;
use crate::booking::{BookingError, citizen_owner};
use crate::http::openapi::answers::{DatabaseUnavailable, NotJson, TooLarge};

use super::super::AppState;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiJson, ApiPath, BearerToken};
use super::{AppointmentBody, IssuedTokens};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenLinkBody {
    #[schema(value_type = contract::AnyDocument)]
    pub document: String,
    #[schema(value_type = contract::Email)]
    pub email: String,
}

/// The answer to a link request: the same whatever matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenLinkAnswer {
    /// Always `requested`: a link goes to the address only when appointments to come were
    /// booked with this document and this address.
    pub status: &'static str,
}

/// Asks for a link to the citizen's appointments, mailed to the address given at
/// booking. Charged as a look-up to the client and as a booking to the document.
#[utoipa::path(post, path = "/api/v1/citizen-links", tag = "public", request_body = CitizenLinkBody,
    responses(
        (status = 202, description = "requested: if appointments to come were booked with this document and this address, a link (valid 30 minutes) is on its way to it", body = CitizenLinkAnswer),
        (status = 400, description = "the body is not JSON", body = Problem),
        TooLarge,
        NotJson,
        (status = 422, description = "validation_failed: a body of the wrong shape, a document or an address that cannot be one", body = Problem),
        (status = 429, description = "rate_limited: too many look-ups from this client", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn request_citizen_link(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CitizenLinkBody>,
) -> Result<(StatusCode, Json<CitizenLinkAnswer>), ApiError> {
    if !contract::is_any_document(&body.document) || !contract::is_email(&body.email) {
        return Err(BookingError::Validation(
            "document must be a DNI, NIE or passport number and email an e-mail address".into(),
        )
        .into());
    }
    let answer = (
        StatusCode::ACCEPTED,
        Json(CitizenLinkAnswer {
            status: "requested",
        }),
    );
    // Shaped like a document but not one (a DNI with a wrong letter): nothing can match.
    let Ok(owner) = citizen_owner(&body.document, &body.email) else {
        return Ok(answer);
    };
    // Charged to the document as a booking is (the route's class charges the client as
    // a look-up): nobody can fill someone's mailbox with links.
    state.settings.check_document(&owner.document).await?;
    state.booking.request_citizen_link(&owner, None).await?;
    Ok(answer)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenFeedBody {
    pub id: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// The feed's URL with its token: only in the answer that makes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyAppointmentsBody {
    /// Booked or checked in, still to come, soonest first, in every office.
    pub appointments: Vec<AppointmentBody>,
    /// The personal calendar feeds in use (without their tokens).
    pub feeds: Vec<CitizenFeedBody>,
}

async fn owner_of(state: &AppState, token: &str) -> Result<CitizenOwner, ApiError> {
    Ok(state.booking.open_citizen_link(token).await?.owner)
}

/// The citizen's appointments still to come and calendar feeds, with the link's token.
#[utoipa::path(get, path = "/api/v1/my/appointments", tag = "public",
    security(("citizen_link" = [])),
    responses(
        (status = 200, description = "the appointments and the feeds", body = MyAppointmentsBody),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "an unknown or expired link", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn my_appointments(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<Json<MyAppointmentsBody>, ApiError> {
    let owner = owner_of(&state, &token).await?;
    let appointments = state.booking.citizen_upcoming(&owner).await?;
    let feeds = state.booking.citizen_feeds(&owner).await?;
    Ok(Json(MyAppointmentsBody {
        appointments: appointments
            .iter()
            .map(|a| AppointmentBody::new(&state, a, IssuedTokens::default()))
            .collect(),
        feeds: feeds
            .into_iter()
            .map(|f| CitizenFeedBody {
                id: f.id,
                created_at: chrono::DateTime::from_timestamp(f.created_at, 0)
                    .unwrap_or_default()
                    .to_rfc3339(),
                url: None,
            })
            .collect(),
    }))
}

/// Makes a personal calendar feed of the citizen's appointments; its URL (with a
/// read-only token) is shown this once.
#[utoipa::path(post, path = "/api/v1/my/calendar-feeds", tag = "public",
    security(("citizen_link" = [])),
    responses(
        (status = 201, description = "the feed, with its URL", body = CitizenFeedBody),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "an unknown or expired link", body = Problem),
        (status = 422, description = "validation_failed: already 5 feeds; revoke one first", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn create_my_feed(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<(StatusCode, Json<CitizenFeedBody>), ApiError> {
    let owner = owner_of(&state, &token).await?;
    let (id, feed_token) = state.booking.create_citizen_feed(&owner).await?;
    let url = format!(
        "{}/feeds/citizens/{id}.ics?token={feed_token}",
        state.settings.public_url
    );
    Ok((
        StatusCode::CREATED,
        Json(CitizenFeedBody {
            id,
            created_at: state.booking.clock().now().to_rfc3339(),
            url: Some(url),
        }),
    ))
}

/// Revokes one of the citizen's calendar feeds: calendars using it stop updating.
#[utoipa::path(post, path = "/api/v1/my/calendar-feeds/{feed}/revoke", tag = "public",
    params(("feed" = String, Path, description = "the feed's id", max_length = 64)),
    security(("citizen_link" = [])),
    responses(
        (status = 204, description = "revoked"),
        (status = 400, description = "malformed path parameters", body = Problem),
        (status = 401, description = "missing or malformed Authorization", body = Problem),
        (status = 404, description = "an unknown or expired link, or no such feed of this citizen", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn revoke_my_feed(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiPath(feed): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let owner = owner_of(&state, &token).await?;
    state.booking.revoke_citizen_feed(&owner, &feed).await?;
    Ok(StatusCode::NO_CONTENT)
}
