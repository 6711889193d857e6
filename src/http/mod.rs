//! HTTP API v1 (DESIGN §6): thin axum handlers over the booking use cases. Every error is
//! problem+json with a stable code.

pub mod admin;
pub mod auth;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod ops;
pub mod public;
pub mod staff;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::Request;
use axum::routing::{get, post, put};
use tower_http::trace::TraceLayer;

use crate::booking::Booking;

/// Largest request body accepted; bookings are a few hundred bytes, configurations more.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Settings the handlers need besides the booking service.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Base URL clients reach this service at, for links such as `ics_url`.
    pub public_url: String,
    /// Host part of iCalendar UIDs (`{locator}@{host}`): stable across instances.
    pub host: String,
}

impl HttpSettings {
    pub fn new(public_url: impl Into<String>) -> Self {
        let public_url: String = public_url.into().trim_end_matches('/').to_owned();
        let host = public_url
            .split("://")
            .nth(1)
            .unwrap_or(&public_url)
            .split(['/', ':'])
            .next()
            .unwrap_or("cita")
            .to_owned();
        HttpSettings { public_url, host }
    }
}

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct AppState {
    pub booking: Booking,
    pub settings: Arc<HttpSettings>,
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/api/v1/offices", get(public::list_offices))
        .route(
            "/api/v1/offices/{office}/services/{service}/days",
            get(public::list_days),
        )
        .route(
            "/api/v1/offices/{office}/services/{service}/slots",
            get(public::list_slots),
        )
        .route("/api/v1/holds", post(public::create_hold))
        .route("/api/v1/appointments", post(public::book_appointment))
        .route(
            "/api/v1/appointments/lookup",
            post(public::lookup_appointment),
        )
        .route(
            "/api/v1/appointments/{locator}",
            get(public::get_appointment),
        )
        .route(
            "/api/v1/appointments/{locator}/reschedule",
            post(public::reschedule_appointment),
        )
        .route(
            "/api/v1/appointments/{locator}/cancel",
            post(public::cancel_appointment),
        )
        .route(
            "/api/v1/appointments/{locator}/calendar.ics",
            get(public::appointment_ics),
        )
        .merge(staff_admin_feed_routes())
        .fallback(|| async { error::ApiError::not_found() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", |p| p.as_str())
                    .to_owned();
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        .with_state(state)
}

// ---------------------------------------------------------------------------------------
// Staff, admin and feeds (DESIGN §6): staff token routes, the configuration, `.ics` feeds.
// ---------------------------------------------------------------------------------------

/// Staff and admin routes (Bearer staff token) and the feeds (token in the URL).
fn staff_admin_feed_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/offices/{office}/agenda",
            get(staff::get_agenda),
        )
        .route(
            "/api/v1/staff/appointments/{locator}/check-in",
            post(staff::check_in),
        )
        .route(
            "/api/v1/staff/appointments/{locator}/complete",
            post(staff::complete),
        )
        .route(
            "/api/v1/staff/appointments/{locator}/no-show",
            post(staff::no_show),
        )
        .route(
            "/api/v1/staff/appointments/{locator}/cancel",
            post(staff::cancel),
        )
        .route(
            "/api/v1/staff/offices/{office}/appointments",
            post(staff::book_walk_in),
        )
        .route(
            "/api/v1/staff/offices/{office}/closures",
            post(staff::close_office),
        )
        .route("/api/v1/admin/config", put(admin::put_config))
        // axum cannot match `{office}.ics` in one segment: the handlers strip `.ics`.
        .route("/feeds/offices/{file}", get(feeds::office_feed))
        .route(
            "/feeds/offices/{office}/desks/{file}",
            get(feeds::desk_feed),
        )
}
