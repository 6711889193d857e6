//! Booking, one question per page: procedure → office → day → time (which takes a hold)
//! → details → check → confirmation. The day and time pages serve rescheduling too
//! ([`Calendar`]).

use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::booking::BookingError;
use crate::calendar::local_date;
use crate::domain::{Office, OfficeId, Service, ServiceId};
use crate::http::error::ApiError;

use super::Visit;
use super::i18n::Lang;
use super::session::{Draft, Held};

mod calendar;
mod confirm;
mod details;
mod offices;
mod times;

pub use calendar::days;
pub(crate) use calendar::{Calendar, days_page};
pub use confirm::{check, confirm, done};
pub(crate) use details::{citizen_input, document_type, document_types, field_errors};
pub use details::{details, extend, save_details};
pub use offices::{offices, procedures};
pub(crate) use times::times_page;
pub use times::{choose_time, times};

/// Percent-encodes a query value (ids are `a-z 0-9 _ -`, dates and instants ASCII).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The chosen office, procedure and start of the draft, if it has them all.
fn chosen<'c>(
    catalog: &'c crate::booking::Catalog,
    draft: &Draft,
) -> Option<(&'c Office, &'c Service, DateTime<Utc>)> {
    let office = OfficeId::new(draft.office_id.as_deref()?);
    let service = ServiceId::new(draft.service_id.as_deref()?);
    let (office, service) = catalog.service(&office, &service).ok()?;
    let start = DateTime::from_timestamp(draft.start?, 0)?;
    Some((office, service, start))
}

/// "Renovación del DNI · martes 12 de enero, 10:15 · Oficina ..."
fn describe(lang: &Lang, office: &Office, service: &Service, start: DateTime<Utc>) -> String {
    format!(
        "{} · {}, {} · {}",
        service.name,
        lang.short_date(local_date(office.timezone, start)),
        lang.time(start, office.timezone),
        office.name
    )
}

/// "martes, 12 de enero de 2027, a las 10:15" (and the zone where it is not the
/// peninsula's).
pub(crate) fn when(lang: &Lang, office: &Office, start: DateTime<Utc>) -> String {
    let text = lang.t_with(
        "done-when",
        &[
            (
                "date",
                lang.long_date(local_date(office.timezone, start)).into(),
            ),
            ("time", lang.time(start, office.timezone).into()),
        ],
    );
    if office.timezone == chrono_tz::Atlantic::Canary {
        format!("{text} ({})", lang.t("zone-canary"))
    } else {
        text
    }
}

/// The `.ics` link, with the calendar token (never the manage token).
pub(crate) fn ics_url(held: &Held) -> String {
    format!(
        "/api/v1/appointments/{}/calendar.ics?token={}",
        encode(&held.locator),
        encode(held.calendar_token.as_deref().unwrap_or(""))
    )
}

impl Visit {
    /// The page for a use case's refusal or failure.
    pub(crate) fn fail(self, error: BookingError) -> Response {
        self.fail_api(ApiError::from(error))
    }

    /// The page for an API layer's problem (a rate limit, for one).
    pub(crate) fn fail_api(self, error: ApiError) -> Response {
        let page = super::pages::problem_page(
            &self.lang,
            error.status,
            error.code,
            error.retry_after,
            crate::http::access::current_request_id(),
        );
        let mut page = page;
        if let Some(seconds) = error.retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            page.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        self.respond(page)
    }
}
