//! What a citizen looks at before booking: the offices with their procedures, the days
//! with free times, and the free times of a day.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::DrawRef;
use crate::booking::Opening;
use crate::domain::{OfficeId, ServiceId};
use crate::http::openapi::answers::DatabaseUnavailable;

use super::super::AppState;
use super::super::contract;
use super::super::error::{ApiError, Problem};
use super::super::extract::{ApiPath, ApiQuery};
use super::local;

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
    /// When this date's times are released, for a procedure released on a schedule
    /// (`[[office.release]]`) whose release has not happened yet; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<contract::LocalInstant>)]
    pub opens_at: Option<String>,
    /// For a date given out by a release draw that has not run yet: the draw to enter
    /// (`/api/v1/draws/{draw}`); `opens_at` is then the draw's instant, after which what
    /// is left goes first come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draw_id: Option<String>,
    /// For a date released through a waiting room that is upcoming or in force: the room
    /// to join (`/api/v1/waiting-rooms/{room}`); holds and bookings of the date need its
    /// admission while it is in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_room_id: Option<String>,
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
        DatabaseUnavailable,
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
    let catalog = state.booking.catalog();
    let office = catalog.office(&office_id)?;
    Ok(Json(DaysBody {
        office_id: office_id.to_string(),
        service_id: service_id.to_string(),
        timezone: office.timezone.name().to_owned(),
        days: days
            .into_iter()
            .map(|d| DayBody {
                date: d.date,
                slots: d.slots,
                opens_at: match d.opening {
                    Opening::At(instant) | Opening::Draw(instant) => Some(local(office, instant)),
                    Opening::Open | Opening::Never => None,
                },
                draw_id: match d.opening {
                    Opening::Draw(instant) => catalog
                        .service(&office_id, &service_id)
                        .ok()
                        .and_then(|(office, service)| DrawRef::at(office, service, instant))
                        .map(|draw| draw.id),
                    _ => None,
                },
                waiting_room_id: state
                    .booking
                    .room_of_day(&office_id, &service_id, d.date, d.opening)
                    .map(|room| room.id),
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
        DatabaseUnavailable,
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
