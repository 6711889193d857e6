//! Every error answer is RFC 9457 `application/problem+json` with a stable `code`
//! (DESIGN §6). Server errors are logged and never reveal their detail to the client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::booking::BookingError;

/// Seconds a client is asked to wait when the database is out of reach.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

/// A problem answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
    /// `RateLimit-Policy` and `RateLimit` field values, for 429.
    pub rate_limit: Option<(String, String)>,
}

/// The `code` of a problem answer, also kept in the response's extensions so that
/// middleware (metrics) can read it without parsing the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemCode(pub &'static str);

/// The body of every error answer (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    pub code: String,
    /// This occurrence: the request's id (also in the `X-Request-Id` header), which
    /// leads to its line in the access log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
            rate_limit: None,
        }
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "validation_failed", detail)
    }

    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "nothing here matches the request",
        )
    }

    /// The path exists but not with this method; axum adds the `Allow` header.
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this resource does not accept that method",
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// The database is out of reach (or out of space): 503 `unavailable` with
    /// `Retry-After`, at once rather than after a long wait. Nothing was changed.
    pub fn unavailable() -> Self {
        ApiError {
            retry_after: Some(UNAVAILABLE_RETRY_SECONDS),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service cannot reach its database right now; nothing was changed, \
                 please try again in a few seconds",
            )
        }
    }

    /// A failure of ours: logged with its cause, answered without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; please try again",
        )
    }

    fn title(&self) -> &'static str {
        match self.code {
            "validation_failed" => "The request is not valid",
            "invalid_document" => "The identity document is not valid",
            "not_found" => "Not found",
            "method_not_allowed" => "Method not allowed",
            "slot_unavailable" => "That time is not available",
            "outside_booking_window" => "That time cannot be booked yet or any more",
            "citizen_limit_reached" => "Limit of appointments reached",
            "idempotency_key_reused" => "Idempotency-Key reused with another request",
            "invalid_transition" => "The appointment cannot change that way",
            "unauthorized" => "Authentication required",
            "forbidden" => "Not allowed",
            "rate_limited" => "Too many requests",
            "overloaded" => "The service is busy",
            "config_conflict" => "The change would strand appointments",
            "hold_limit_reached" => "Too many times held at once",
            "unavailable" => "The service is temporarily unavailable",
            _ => "Internal error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!(
                "https://cita.example/problems/{}",
                self.code.replace('_', "-")
            ),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            instance: super::access::current_request_id()
                .map(|id| format!("urn:cita:request:{id}")),
        };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ProblemCode(self.code));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        if let Some((policy, state)) = &self.rate_limit {
            for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.insert(name, value);
                }
            }
        }
        response
    }
}

impl From<BookingError> for ApiError {
    fn from(error: BookingError) -> Self {
        use StatusCode as S;
        match error {
            BookingError::Validation(detail) => ApiError::validation(detail),
            BookingError::InvalidDocument(e) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_document", e.to_string())
            }
            BookingError::NotFound => ApiError::not_found(),
            BookingError::SlotUnavailable => ApiError::new(
                S::CONFLICT,
                "slot_unavailable",
                "that time is no longer available; please choose another one",
            ),
            BookingError::OutsideBookingWindow => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "outside_booking_window",
                "that time is too soon or too far ahead for this procedure",
            ),
            BookingError::CitizenLimitReached(limit) => {
                ApiError::new(S::CONFLICT, "citizen_limit_reached", limit.to_string())
            }
            BookingError::IdempotencyKeyReused => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request",
            ),
            BookingError::InvalidTransition(e) => {
                ApiError::new(S::CONFLICT, "invalid_transition", e.to_string())
            }
            BookingError::Contention => {
                tracing::warn!("a write lost every race it retried; answered 503 overloaded");
                ApiError {
                    retry_after: Some(1),
                    ..ApiError::new(
                        S::SERVICE_UNAVAILABLE,
                        "overloaded",
                        "the office is very busy right now; please retry",
                    )
                }
            }
            BookingError::HoldLimitReached => ApiError::new(
                S::CONFLICT,
                "hold_limit_reached",
                "you are already holding as many times as you may; book one of them or wait \
                 a few minutes until they expire",
            ),
            BookingError::DrawClosed => ApiError::new(
                S::CONFLICT,
                "draw_closed",
                "this draw is not taking entries now: see its entries_open_at and \
                 entries_close_at",
            ),
            BookingError::AlreadyEntered => ApiError::new(
                S::CONFLICT,
                "already_entered",
                "this document has already entered this draw; one entry per person",
            ),
            BookingError::AdmissionRequired(room) => ApiError::new(
                S::FORBIDDEN,
                "admission_required",
                format!(
                    "these dates are being released through a waiting room: join it with POST \
                     /api/v1/waiting-rooms/{room}/tickets, and once let in send the admission \
                     token in the Cita-Admission header"
                ),
            ),
            BookingError::RoomClosed => ApiError::new(
                S::CONFLICT,
                "room_closed",
                "this waiting room is not open now: see its opens_at and closes_at",
            ),
            BookingError::Unavailable => ApiError::unavailable(),
            BookingError::Store(e) if e.is_unavailable() => ApiError::unavailable(),
            BookingError::Store(e) => ApiError::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "validation_failed",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => ApiError::validation(e.body_text()),
            JsonRejection::BytesRejection(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "validation_failed",
                "the body is too large or could not be read",
            ),
            other => ApiError::bad_request(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request(rejection.body_text())
    }
}
