//! An office's agenda for a day, every status included.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::Agenda;
use crate::domain::OfficeId;
use crate::http::openapi::answers::{DatabaseUnavailable, StaffUnauthorized};

use super::super::AppState;
use super::super::auth::{ANY_ROLE, StaffUser};
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiPath, ApiQuery};
use super::super::public::local;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgendaQuery {
    /// Local date (YYYY-MM-DD) in the office's time zone.
    pub date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaAppointment {
    #[schema(value_type = contract::Locator)]
    pub locator: String,
    pub service_id: String,
    #[schema(value_type = contract::LocalInstant)]
    pub start: String,
    #[schema(value_type = contract::LocalInstant)]
    pub end: String,
    #[schema(value_type = contract::AppointmentStatus)]
    pub status: String,
    pub citizen_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaDesk {
    pub desk_id: String,
    pub appointments: Vec<AgendaAppointment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaBody {
    pub office_id: String,
    pub date: NaiveDate,
    pub desks: Vec<AgendaDesk>,
}

impl AgendaBody {
    fn new(state: &AppState, agenda: Agenda) -> Result<Self, ApiError> {
        let catalog = state.booking.catalog();
        let office = catalog.office(&agenda.office_id)?;
        Ok(AgendaBody {
            office_id: agenda.office_id.to_string(),
            date: agenda.date,
            desks: agenda
                .desks
                .into_iter()
                .map(|desk| AgendaDesk {
                    desk_id: desk.desk_id.to_string(),
                    appointments: desk
                        .appointments
                        .into_iter()
                        .map(|a| AgendaAppointment {
                            locator: a.locator.to_string(),
                            service_id: a.service_id.to_string(),
                            start: local(office, a.start),
                            end: local(office, a.end),
                            status: a.status.to_string(),
                            citizen_name: a.citizen_name,
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

/// The office's appointments of one local date, per desk (every desk, even empty).
#[utoipa::path(get, path = "/api/v1/staff/offices/{office}/agenda", tag = "staff",
    params(("office" = String, Path), AgendaQuery), security(("staff_token" = [])),
    responses(
        (status = 200, description = "every desk of the office with its appointments starting that date, in any status, by start time", body = AgendaBody),
        (status = 400, description = "malformed path or query parameters: `date` missing or not YYYY-MM-DD, or an unknown parameter", body = Problem),
        StaffUnauthorized,
        (status = 403, description = "a manager or agent asking for another office than their own", body = Problem),
        (status = 404, description = "unknown office", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn get_agenda(
    State(state): State<AppState>,
    user: StaffUser,
    ApiPath(office): ApiPath<String>,
    ApiQuery(query): ApiQuery<AgendaQuery>,
) -> Result<Json<AgendaBody>, ApiError> {
    let office = OfficeId::new(office);
    user.require_role(ANY_ROLE)?;
    user.require_office(&office)?;
    let agenda = state.booking.agenda(&office, query.date).await?;
    Ok(Json(AgendaBody::new(&state, agenda)?))
}
