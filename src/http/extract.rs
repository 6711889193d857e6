//! Extractors whose rejections are problem+json answers instead of axum's plain text.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::error::ApiError;

/// A JSON body; syntax errors are 400, shape errors 422, a wrong content type 415.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query parameters; malformed ones are 400.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; malformed ones are 400.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Authorization: Bearer <token>`; missing or malformed is 401 whatever the resource.
#[derive(Debug, Clone)]
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        let text = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is malformed"))?;
        let (scheme, token) = text
            .split_once(' ')
            .ok_or_else(|| ApiError::unauthorized("the Authorization header is malformed"))?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > 256 {
            return Err(ApiError::unauthorized(
                "the Authorization header is malformed",
            ));
        }
        Ok(BearerToken(token.to_owned()))
    }
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
            })?;
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// The optional `Cita-Admission` header: a waiting room's admission token, needed to hold
/// or book a release's dates while its room is in force.
#[derive(Debug, Clone)]
pub struct AdmissionToken(pub Option<String>);

impl AdmissionToken {
    pub const HEADER: &'static str = "cita-admission";
}

impl<S: Send + Sync> FromRequestParts<S> for AdmissionToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(Self::HEADER) else {
            return Ok(AdmissionToken(None));
        };
        match value.to_str() {
            // Empty: no token (as if the header were not sent).
            Ok(text) if text.trim().is_empty() => Ok(AdmissionToken(None)),
            Ok(text) if text.len() <= 128 => Ok(AdmissionToken(Some(text.trim().to_owned()))),
            _ => Err(ApiError::bad_request(
                "the Cita-Admission header must be the admission token a waiting room gave",
            )),
        }
    }
}
