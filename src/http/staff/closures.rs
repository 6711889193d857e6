//! Closing an office on a date, cancelling what was booked there.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::OfficeId;
use crate::http::openapi::answers::{Busy, NotJson, StaffUnauthorized, TooLarge};

use super::super::AppState;
use super::super::auth::{CLOSURE_ROLES, StaffUser};
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiJson, ApiPath};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    /// First closed local date (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last closed local date, inclusive.
    pub to: NaiveDate,
    #[schema(value_type = contract::ClosureReason)]
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
    params(("office" = String, Path)), request_body = ClosureBody, security(("staff_token" = [])),
    responses(
        (status = 200, description = "closed; `cancelled` counts the appointments cancelled, `stranded` the booked ones left in the range", body = ClosureDone),
        (status = 400, description = "the body is not valid JSON, or the office is not valid UTF-8 once percent-decoded", body = Problem),
        StaffUnauthorized,
        (status = 403, description = "an agent (agents cannot close offices), or a manager closing another office than their own", body = Problem),
        (status = 404, description = "unknown office", body = Problem),
        TooLarge,
        NotJson,
        (status = 422, description = "validation_failed: a body of the wrong shape, `to` before `from` or more than 366 days after it, or a `reason` that is empty or over 500 characters", body = Problem),
        Busy,
    ),
)]
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
