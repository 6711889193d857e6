//! Error answers many operations share, described once: the handlers' `responses(...)`
//! name these instead of repeating the same status and text (each is filed under
//! `application/problem+json` by [`super::corrections::ProblemJson`]).

use utoipa::IntoResponses;

use crate::http::error::Problem;

/// Every operation that takes a body.
#[derive(IntoResponses)]
#[response(status = 413, description = "the body is too large")]
pub(crate) struct TooLarge(#[allow(dead_code)] Problem);

/// Every operation that writes: the surge protection's bound, or the database.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "overloaded (too busy) or unavailable (the database is out of reach); retry after Retry-After seconds"
)]
pub(crate) struct Busy(#[allow(dead_code)] Problem);

/// Staff and admin reads, which the surge protection's write bound does not hold back.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "unavailable: the database is out of reach; retry after Retry-After seconds"
)]
pub(crate) struct DatabaseUnavailable(#[allow(dead_code)] Problem);

/// Every staff operation.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "missing or malformed Authorization, or an unknown or revoked staff token"
)]
pub(crate) struct StaffUnauthorized(#[allow(dead_code)] Problem);

/// Staff operations not every role may use.
#[derive(IntoResponses)]
#[response(status = 403, description = "the staff member's role may not do this")]
pub(crate) struct RoleForbidden(#[allow(dead_code)] Problem);

/// Operations with a JSON body.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "the body is not declared as application/json"
)]
pub(crate) struct NotJson(#[allow(dead_code)] Problem);
