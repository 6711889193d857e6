//! HTTP API v1 (DESIGN §6): thin axum handlers over the booking use cases. Every error is
//! problem+json with a stable code, including unknown routes (404) and methods (405).
//! Every route is in one table ([`route_table`]), documented in OpenAPI (`openapi.rs`)
//! and counted in Prometheus metrics by its route template (`metrics.rs`).

pub mod access;
pub mod admin;
pub mod auth;
pub mod client;
pub mod contract;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod public;
pub mod staff;
pub mod surge;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::handler::Handler;
use axum::http::{Method, Request, StatusCode};
use axum::routing::{MethodRouter, get, post, put};
use axum::{Extension, Router, middleware};
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
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
    /// Rate limits and load shedding; `None` leaves the API unprotected (tests).
    pub surge: Option<Arc<surge::Surge>>,
    /// How a request's client is identified (proxies, address grouping).
    pub clients: client::ClientKeys,
    /// Live holds one client may have at once (`[limits] holds_per_client`).
    pub holds_per_client: u32,
    /// A staff page session unused this long is over (`serve --staff-idle-minutes`).
    pub staff_idle: chrono::Duration,
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
        HttpSettings {
            public_url,
            host,
            surge: None,
            clients: client::ClientKeys::default(),
            holds_per_client: crate::limits::LimitSettings::default().holds_per_client,
            staff_idle: chrono::Duration::hours(8),
        }
    }

    /// With clients identified by `clients` (`--trust-proxy`, `[limits]` prefixes).
    pub fn with_clients(mut self, clients: client::ClientKeys) -> Self {
        self.clients = clients;
        self
    }

    /// With surge protection (DESIGN §8).
    pub fn with_surge(mut self, surge: surge::Surge) -> Self {
        self.surge = Some(Arc::new(surge));
        self
    }

    /// Charges a booking to its document; 429 when over the limit.
    pub async fn check_document(&self, document: &str) -> Result<(), error::ApiError> {
        match &self.surge {
            Some(surge) => surge.check_document(document).await,
            None => Ok(()),
        }
    }

    /// 429 when `client` or `locator` failed too many look-ups lately.
    pub async fn check_lookup(
        &self,
        client: client::ClientKey,
        locator: &str,
    ) -> Result<(), error::ApiError> {
        match &self.surge {
            Some(surge) => surge.check_lookup(client, locator).await,
            None => Ok(()),
        }
    }

    /// Charges a failed look-up to the client and the locator.
    pub async fn lookup_failed(&self, client: client::ClientKey, locator: &str) {
        if let Some(surge) = &self.surge {
            surge.lookup_failed(client, locator).await;
        }
    }
}

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct AppState {
    pub booking: Booking,
    pub settings: Arc<HttpSettings>,
}

/// The API's routes, each a method, a path template and a handler. Every route is
/// registered through this table, which builds the router and lists the route, so that
/// the OpenAPI tests can prove each one is documented (see [`route_table`] and
/// `openapi.rs`). Register staff, admin and feed routes the same way.
#[derive(Debug, Default)]
pub struct RouteTable {
    router: Router<AppState>,
    entries: Vec<(Method, &'static str)>,
}

impl RouteTable {
    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.entries.push((method, path));
        // Several methods on one path merge into one `MethodRouter`.
        self.router = self.router.route(path, route);
        self
    }

    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    pub fn put<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, put(handler))
    }
}

/// Every route of the API, in one table.
fn routes() -> RouteTable {
    RouteTable::default()
        .get("/healthz", ops::healthz)
        .get("/readyz", ops::readyz)
        .get("/metrics", metrics::metrics)
        .get("/api/v1/openapi.json", openapi::openapi_json)
        .get("/api/v1/offices", public::list_offices)
        .get(
            "/api/v1/offices/{office}/services/{service}/days",
            public::list_days,
        )
        .get(
            "/api/v1/offices/{office}/services/{service}/slots",
            public::list_slots,
        )
        .post("/api/v1/holds", public::create_hold)
        .post("/api/v1/appointments", public::book_appointment)
        .post("/api/v1/appointments/lookup", public::lookup_appointment)
        .get("/api/v1/appointments/{locator}", public::get_appointment)
        .post(
            "/api/v1/appointments/{locator}/reschedule",
            public::reschedule_appointment,
        )
        .post(
            "/api/v1/appointments/{locator}/cancel",
            public::cancel_appointment,
        )
        .post(
            "/api/v1/appointments/{locator}/erase",
            public::erase_appointment,
        )
        .get(
            "/api/v1/appointments/{locator}/calendar.ics",
            public::appointment_ics,
        )
        .get(
            "/api/v1/offices/{office}/services/{service}/draws",
            public::list_draws,
        )
        .get("/api/v1/draws/{draw}", public::get_draw)
        .post("/api/v1/draws/{draw}/entries", public::enter_draw)
        .get("/api/v1/draws/{draw}/record", public::draw_record)
        .get("/api/v1/draw-entries/mine", public::my_draw_entry)
        .get("/api/v1/waiting-rooms/{room}", public::get_room)
        .post("/api/v1/waiting-rooms/{room}/tickets", public::join_room)
        .get("/api/v1/waiting-room-tickets/mine", public::my_ticket)
        // Staff and admin (Bearer staff token).
        .get("/api/v1/staff/offices/{office}/agenda", staff::get_agenda)
        .post(
            "/api/v1/staff/appointments/{locator}/check-in",
            staff::check_in,
        )
        .post(
            "/api/v1/staff/appointments/{locator}/undo-check-in",
            staff::undo_check_in,
        )
        .post(
            "/api/v1/staff/appointments/{locator}/complete",
            staff::complete,
        )
        .post(
            "/api/v1/staff/appointments/{locator}/no-show",
            staff::no_show,
        )
        .post("/api/v1/staff/appointments/{locator}/cancel", staff::cancel)
        .post(
            "/api/v1/staff/offices/{office}/appointments",
            staff::book_walk_in,
        )
        .post(
            "/api/v1/staff/offices/{office}/closures",
            staff::close_office,
        )
        .put("/api/v1/admin/config", admin::put_config)
        // Feeds (token in the URL). axum cannot match `{office}.ics` in one segment: the
        // handlers strip `.ics`.
        .get("/feeds/offices/{file}", feeds::office_feed)
        .get("/feeds/offices/{office}/desks/{file}", feeds::desk_feed)
        .get("/feeds/citizens/{file}", feeds::citizen_feed)
        .post("/api/v1/citizen-links", public::request_citizen_link)
        .get("/api/v1/my/appointments", public::my_appointments)
        .post("/api/v1/my/calendar-feeds", public::create_my_feed)
        .post(
            "/api/v1/my/calendar-feeds/{feed}/revoke",
            public::revoke_my_feed,
        )
}

/// Logs answers that went wrong. A 503 is load shedding doing its job (or the database
/// out of reach, which `/readyz` reports): at debug level, so a surge of refused requests
/// does not turn into a surge of log lines. Other 5xx are errors (their cause is logged
/// where they are made).
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis();
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms, "answered 503");
        }
        other => tracing::error!(classification = %other, latency_ms, "response failed"),
    }
}

/// The (method, path template) of every route, for the OpenAPI completeness check.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().entries
}

/// The whole API. Each call has its own metrics registry.
pub fn router(state: AppState) -> Router {
    let mut metrics = metrics::Metrics::new();
    metrics.register_batches(state.booking.batch_stats());
    if let Some(surge) = &state.settings.surge {
        metrics.register_shed(surge.shed_counters());
    }
    let metrics = Arc::new(metrics);
    // The citizens' and the staff's pages beside the API, under the same protections.
    let mut routes = routes().router.merge(crate::web::routes());
    if let Some(surge) = &state.settings.surge {
        // Inside the metrics layer, so refused requests are counted by route and status.
        routes = routes.layer(middleware::from_fn_with_state(
            Arc::clone(surge),
            surge::protect,
        ));
    }
    routes
        .fallback(|| async { error::ApiError::not_found() })
        // After every route: answers 405 as problem+json (axum keeps the `Allow` header).
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        // Problems of page paths (a 429, a 503, an unknown page) become pages.
        .layer(middleware::from_fn(crate::web::html_problems))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |p| p.as_str());
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_failure(log_failure),
        )
        .layer(Extension(metrics.clone()))
        .layer(middleware::from_fn_with_state(metrics, metrics::record))
        .layer(middleware::from_fn_with_state(
            state.booking.pepper().clone(),
            access::log_access,
        ))
        .layer(PropagateRequestIdLayer::new(access::REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(
            access::REQUEST_ID.clone(),
            access::RandomRequestId,
        ))
        .layer(middleware::from_fn(access::drop_malformed_id))
        // Outermost: every layer and handler after it knows the client.
        .layer(middleware::from_fn_with_state(
            state.settings.clients,
            client::identify,
        ))
        .with_state(state)
}
