//! Calendar feeds for staff (DESIGN §6 "Feeds", §9): an office's or one desk's
//! appointments as a subscribed `.ics`.
//!
//! Contract:
//! - `GET /feeds/offices/{office}.ics?token=T` and
//!   `GET /feeds/offices/{office}/desks/{desk}.ics?token=T`. Calendar apps cannot send
//!   headers, so the feed token is in the URL. An office token opens the office feed and its
//!   desks' feeds; a desk token only its desk's. Anything wrong (no token, unknown or
//!   revoked token, another office or desk, unknown office or desk, a name not ending in
//!   `.ics`) is the same 404, so the answer tells nothing about what exists.
//! - Events as [`crate::booking::Booking::feed`] selects them; `SUMMARY` names the
//!   procedure and the citizen, `DESCRIPTION` the locator and the desk.
//! - `ETag` (content only, not `DTSTAMP`), `If-None-Match` (a list, weak or strong, or `*`)
//!   answered with 304 and no body; `Cache-Control: private, max-age=300`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::{DeskId, OfficeId};
use crate::http::openapi::answers::DatabaseUnavailable;
use crate::ical::{feed_calendar, feed_etag};

use super::AppState;
use super::error::{ApiError, Problem};
use super::extract::ApiPath;
use super::public::{calendar_response, event_input};

/// Feeds are personal (citizens' names): shared caches must not keep them; clients may
/// reuse one for five minutes.
const CACHE_CONTROL: &str = "private, max-age=300";

/// The feed operations, merged into the API document (`openapi.rs`). Documented under
/// the route templates the router serves (`{file}` is `{office}.ics` or `{desk}.ics`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(office_feed, desk_feed, citizen_feed),
    tags((name = "feeds", description = "Subscribed iCalendar feeds: staff calendars, and a citizen's own appointments"))
)]
pub struct FeedsApi;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The feed token (`cita feed-token`).
    pub token: Option<String>,
}

/// An office's appointments as a subscribed calendar.
#[utoipa::path(get, path = "/feeds/offices/{file}", tag = "feeds",
    params(("file" = String, Path, description = "`{office}.ics`"), FeedQuery),
    responses(
        (status = 200, description = "the office's appointments as an RFC 5545 calendar, with ETag and Cache-Control: private, max-age=300", content_type = "text/calendar", body = String),
        (status = 304, description = "If-None-Match names the feed's current ETag (or is `*`): not modified, no body"),
        (status = 400, description = "the file name is not valid UTF-8 once percent-decoded", body = Problem),
        (status = 404, description = "no such feed: no token, an unknown or revoked token, a token for another office, an unknown office or a name not ending in `.ics` all answer the same", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn office_feed(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
    query: Result<Query<FeedQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let office = OfficeId::new(ics_stem(&file)?);
    feed(&state, &office, None, token(query)?, &headers).await
}

/// One desk's appointments as a subscribed calendar.
#[utoipa::path(get, path = "/feeds/offices/{office}/desks/{file}", tag = "feeds",
    params(("office" = String, Path), ("file" = String, Path, description = "`{desk}.ics`"), FeedQuery),
    responses(
        (status = 200, description = "the desk's appointments as an RFC 5545 calendar, with ETag and Cache-Control: private, max-age=300", content_type = "text/calendar", body = String),
        (status = 304, description = "If-None-Match names the feed's current ETag (or is `*`): not modified, no body"),
        (status = 400, description = "the office or file name is not valid UTF-8 once percent-decoded", body = Problem),
        (status = 404, description = "no such feed: no token, an unknown or revoked token, a token for another office or desk, an unknown office or desk or a name not ending in `.ics` all answer the same", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn desk_feed(
    State(state): State<AppState>,
    ApiPath((office, file)): ApiPath<(String, String)>,
    query: Result<Query<FeedQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let office = OfficeId::new(office);
    let desk = DeskId::new(ics_stem(&file)?);
    feed(&state, &office, Some(&desk), token(query)?, &headers).await
}

/// `name.ics` -> `name`; anything else is not a feed.
/// A citizen's appointments in every office, as a subscribed calendar (made from the
/// e-mailed link of `/my`).
#[utoipa::path(get, path = "/feeds/citizens/{file}", tag = "feeds",
    params(("file" = String, Path, description = "`{feed id}.ics`"), FeedQuery),
    responses(
        (status = 200, description = "the citizen's appointments from a week back on (cancelled ones for two days after), as an RFC 5545 calendar, with ETag and Cache-Control: private, max-age=300", content_type = "text/calendar", body = String),
        (status = 304, description = "If-None-Match names the feed's current ETag (or is `*`): not modified, no body"),
        (status = 400, description = "the file name is not valid UTF-8 once percent-decoded", body = Problem),
        (status = 404, description = "no such feed: no token, an unknown or revoked token or feed, or a name not ending in `.ics` all answer the same", body = Problem),
        DatabaseUnavailable,
    ),
)]
pub async fn citizen_feed(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
    query: Result<Query<FeedQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = ics_stem(&file)?;
    let token = token(query)?;
    let appointments = match state.booking.citizen_feed(id, &token).await {
        Err(crate::booking::BookingError::NotFound) => return Err(ApiError::not_found()),
        other => other?,
    };
    let catalog = state.booking.catalog();
    let summaries: Vec<(String, String)> = appointments
        .iter()
        .filter_map(|a| {
            let office = catalog.office(&a.office_id).ok()?;
            Some((
                super::public::event_summary(office, a),
                format!("Localizador / Locator: {}", a.locator),
            ))
        })
        .collect();
    let events: Vec<_> = appointments
        .iter()
        .filter_map(|a| catalog.office(&a.office_id).ok().map(|office| (a, office)))
        .zip(&summaries)
        .map(|((a, office), (summary, description))| {
            event_input(&state, office, a, summary, Some(description.as_str()))
        })
        .collect();
    let body = feed_calendar(
        &events,
        state.booking.clock().now(),
        "Mis citas / My appointments",
    );
    Ok(calendar_answer(body, &headers))
}

fn ics_stem(file: &str) -> Result<&str, ApiError> {
    file.strip_suffix(".ics")
        .filter(|stem| !stem.is_empty())
        .ok_or_else(ApiError::not_found)
}

fn token(query: Result<Query<FeedQuery>, QueryRejection>) -> Result<String, ApiError> {
    query
        .ok()
        .and_then(|Query(q)| q.token)
        .ok_or_else(ApiError::not_found)
}

async fn feed(
    state: &AppState,
    office_id: &OfficeId,
    desk: Option<&DeskId>,
    token: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if !state
        .booking
        .feed_token_allows(&token, office_id, desk)
        .await?
    {
        return Err(ApiError::not_found());
    }
    let appointments = state.booking.feed(office_id, desk).await?;
    let catalog = state.booking.catalog();
    let office = catalog.office(office_id)?;
    let texts: Vec<(String, String)> = appointments
        .iter()
        .map(|a| {
            let procedure = office
                .service(&a.service_id)
                .map_or(a.service_id.as_str(), |s| s.name.as_str());
            (
                format!("{procedure} — {}", a.citizen_name),
                format!("Locator {}, desk {}", a.locator, a.desk_id),
            )
        })
        .collect();
    let events: Vec<_> = appointments
        .iter()
        .zip(&texts)
        .map(|(a, (summary, description))| {
            event_input(state, office, a, summary, Some(description.as_str()))
        })
        .collect();
    let name = match desk {
        None => office.name.clone(),
        Some(desk) => format!("{} — {desk}", office.name),
    };
    let body = feed_calendar(&events, state.booking.clock().now(), &name);
    Ok(calendar_answer(body, headers))
}

/// A feed's answer: 304 when `If-None-Match` names its tag, with `ETag` and
/// `Cache-Control` either way.
fn calendar_answer(body: String, headers: &HeaderMap) -> Response {
    let etag = feed_etag(&body);
    let fresh = if_none_match(headers, &etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        calendar_response(body)
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, v.parse().unwrap());
            h
        };
        assert!(if_none_match(&with("\"abc\""), tag));
        assert!(if_none_match(&with("\"x\", W/\"abc\""), tag));
        assert!(if_none_match(&with("*"), tag));
        assert!(!if_none_match(&with("\"abd\""), tag));
        assert!(!if_none_match(&HeaderMap::new(), tag));
    }

    #[test]
    fn the_staff_admin_and_feed_documents_list_every_route() {
        use utoipa::OpenApi;
        let mut paths: Vec<String> = [
            super::super::staff::StaffApi::openapi(),
            super::super::admin::AdminApi::openapi(),
            FeedsApi::openapi(),
        ]
        .into_iter()
        .flat_map(|doc| doc.paths.paths.into_keys())
        .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "/api/v1/admin/config",
                "/api/v1/staff/appointments/{locator}/cancel",
                "/api/v1/staff/appointments/{locator}/check-in",
                "/api/v1/staff/appointments/{locator}/complete",
                "/api/v1/staff/appointments/{locator}/no-show",
                "/api/v1/staff/appointments/{locator}/undo-check-in",
                "/api/v1/staff/offices/{office}/agenda",
                "/api/v1/staff/offices/{office}/appointments",
                "/api/v1/staff/offices/{office}/closures",
                "/feeds/citizens/{file}",
                "/feeds/offices/{file}",
                "/feeds/offices/{office}/desks/{file}",
            ]
        );
    }

    #[test]
    fn only_ics_names_are_feeds() {
        assert_eq!(ics_stem("madrid.ics").unwrap(), "madrid");
        assert!(ics_stem("madrid").is_err());
        assert!(ics_stem(".ics").is_err());
    }
}
