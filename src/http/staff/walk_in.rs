//! Booking at the counter or by phone on a citizen's behalf.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::domain::OfficeId;
use crate::http::openapi::answers::{Busy, NotJson, StaffUnauthorized, TooLarge};

use super::super::AppState;
use super::super::auth::{ANY_ROLE, StaffUser};
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiJson, ApiPath, IdempotencyKey};
use super::super::public::{self, AppointmentBody, BookBody};

/// Books at the counter or by phone for a citizen: the public booking body, the office
/// from the path (it must match `office_id`). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/staff/offices/{office}/appointments", tag = "staff",
    params(("office" = String, Path), ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", max_length = 255,
        description = "1 to 255 visible ASCII characters; a retry with the same key and body replays the first answer")), request_body = BookBody,
    security(("staff_token" = [])),
    responses(
        (status = 201, description = "booked (or the replay of an earlier booking under the same Idempotency-Key), with a token for the citizen", body = AppointmentBody),
        (status = 400, description = "the body is not valid JSON, the Idempotency-Key is not 1 to 255 visible ASCII characters, or the office is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        (status = 403, description = "a manager or agent booking for another office than their own", body = Problem),
        (status = 404, description = "unknown office or procedure", body = Problem),
        (status = 409, description = "slot_unavailable (not a free candidate start) or citizen_limit_reached", body = Problem),
        TooLarge,
        NotJson,
        (status = 422, description = "validation_failed (also when `office_id` is not the office in the path), invalid_document, outside_booking_window or idempotency_key_reused", body = Problem),
        Busy,
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
