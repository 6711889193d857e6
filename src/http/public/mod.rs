//! The citizens' API (DESIGN §6): offices, free days and times, holds, bookings, look-up,
//! reschedule, cancel and the appointment's calendar file.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::booking::BookOutcome;
use crate::domain::{Appointment, Office};

use super::AppState;
use super::contract;

mod appointments;
mod availability;
mod book;
mod calendar;
mod draws;
mod mine;
mod rooms;

// Whole modules, so that the `__path_*` items utoipa generates for each handler (named by
// the OpenAPI document and the route table as `public::handler`) come along.
pub use appointments::*;
pub use availability::*;
pub use book::*;
pub use calendar::*;
pub use draws::*;
pub use mine::*;
pub use rooms::*;

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

/// An instant as RFC 3339 with the office's offset at that instant.
pub fn local(office: &Office, instant: DateTime<Utc>) -> String {
    instant.with_timezone(&office.timezone).to_rfc3339()
}
