//! Prometheus metrics (DESIGN §10): what operators watch, served at `GET /metrics`.
//!
//! Contract:
//! - Every answer of the router, matched or not, is counted once in
//!   `http_requests_total{route,method,status}` and timed (until the response head is
//!   ready) in `http_request_duration_seconds{route}`. `route` is the matched route
//!   *template* (`/api/v1/appointments/{locator}`), or `unmatched`; `method` is a standard
//!   method or `other`. No label ever holds a raw path, locator, token or document, so the
//!   number of series stays bounded whatever clients send.
//! - `cita_bookings_total` counts appointments made: `201` answers of the booking routes,
//!   except `Idempotency-Key` replays (the handler marks those with [`IdempotentReplay`]).
//! - `cita_holds_total` counts `201` answers of `POST /api/v1/holds`.
//! - `cita_conflicts_total{code}` counts `409` answers by problem code (`slot_unavailable`,
//!   `citizen_limit_reached`, `invalid_transition`, ...), read from the [`ProblemCode`] that
//!   every problem answer carries.
//! - `cita_writes_limit` and `cita_writes_in_flight` (with surge protection on) are the
//!   writes load shedding admits at once right now and the writes in flight, read at
//!   scrape time: a limit well under `max_writes_in_flight` says writes wait for the
//!   database longer than `write_wait_target_ms`.
//!
//! - `cita_shed_total{bound}` (with surge protection on): requests refused 503
//!   `overloaded` by the in-flight bound (`in_flight`) or the writes bound (`writes`);
//!   a refusal writes no log line, so this is where a surge shows.
//!
//! - `cita_booking_batches_total` and `cita_booking_batched_total`: transactions that wrote
//!   bookings and the bookings they carried; their ratio is how many bookings share a
//!   transaction (and a disk flush) under load. Read at scrape time from the booking
//!   service's plain counters ([`BatchStats`]).
//!
//! - `cita_outbox_messages{state}` (`queued`, `due`, `sent`, `dead`, `dropped`) and
//!   `cita_outbox_oldest_due_seconds`: the notifications' outbox as the database holds it,
//!   read at scrape time (so every instance reports the same shared queue). `due` is the
//!   part of `queued` whose time has come; a growing oldest age says no worker keeps up.
//!
//! Everything else is counted here, in the HTTP layer, from routes, statuses and problem codes:
//! the booking use cases stay free of metrics. The registry belongs to one router (see
//! [`super::router`]), so tests that run many apps in one process read each app's own
//! numbers. The exposition is OpenMetrics text (`prometheus-client`), which Prometheus
//! negotiates and scrapes natively.

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use super::error::{ApiError, ProblemCode};
use crate::booking::BatchStats;

/// The `route` label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// Route templates whose `201` answers are new appointments (public and staff bookings).
pub const BOOKING_ROUTES: &[&str] = &[
    "/api/v1/appointments",
    "/api/v1/staff/offices/{office}/appointments",
];

/// Route template whose `201` answers are new holds.
pub const HOLD_ROUTE: &str = "/api/v1/holds";

/// The 409 codes the API can answer, exported as zero from the start so that `rate()`
/// and alerts work before the first conflict.
const KNOWN_CONFLICT_CODES: &[&str] = &[
    "slot_unavailable",
    "citizen_limit_reached",
    "invalid_transition",
    "config_conflict",
];

/// Upper bounds (seconds) of the latency buckets: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The OpenMetrics text content type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Marks a `201` that replays an earlier booking (same `Idempotency-Key`), so that
/// `cita_bookings_total` counts each appointment once.
#[derive(Debug, Clone, Copy)]
pub struct IdempotentReplay;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

/// One registry and its metrics; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    bookings: Counter,
    holds: Counter,
    conflicts: Family<CodeLabels, Counter>,
    writes_limit: Gauge,
    writes_in_flight: Gauge,
    outbox: Family<StateLabels, Gauge>,
    outbox_oldest: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let bookings = Counter::default();
        let holds = Counter::default();
        let conflicts = Family::<CodeLabels, Counter>::default();
        for code in KNOWN_CONFLICT_CODES {
            let _ = conflicts.get_or_create(&CodeLabels { code });
        }
        registry.register(
            "http_requests",
            "HTTP requests answered, by matched route template, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response head), by route template",
            durations.clone(),
        );
        registry.register(
            "cita_bookings",
            "Appointments booked over HTTP (Idempotency-Key replays excluded)",
            bookings.clone(),
        );
        registry.register("cita_holds", "Slot holds created", holds.clone());
        registry.register(
            "cita_conflicts",
            "409 Conflict answers, by problem code",
            conflicts.clone(),
        );
        let writes_limit = Gauge::default();
        let writes_in_flight = Gauge::default();
        registry.register(
            "cita_writes_limit",
            "Writes admitted at once right now (load shedding's adaptive bound)",
            writes_limit.clone(),
        );
        registry.register(
            "cita_writes_in_flight",
            "Writes in flight right now",
            writes_in_flight.clone(),
        );
        let outbox = Family::<StateLabels, Gauge>::default();
        let outbox_oldest = Gauge::default();
        registry.register(
            "cita_outbox_messages",
            "Notifications in the outbox, by state (queued, due, sent, dead, dropped)",
            outbox.clone(),
        );
        registry.register(
            "cita_outbox_oldest_due_seconds",
            "Seconds since the oldest notification still waiting became due",
            outbox_oldest.clone(),
        );
        Metrics {
            outbox,
            outbox_oldest,
            registry,
            requests,
            durations,
            bookings,
            holds,
            conflicts,
            writes_limit,
            writes_in_flight,
        }
    }

    /// `cita_shed_total{bound}`: requests answered 503 `overloaded` by load shedding, by
    /// the bound that refused them (`in_flight` or `writes`), counted by the surge layer.
    pub fn register_shed(&mut self, shed: Family<super::surge::ShedLabels, Counter>) {
        self.registry.register(
            "cita_shed",
            "Requests refused by load shedding (503 overloaded), by bound: in_flight or writes",
            shed,
        );
    }

    /// Exports the booking service's batch counters with this registry.
    pub fn register_batches(&mut self, stats: Arc<BatchStats>) {
        self.registry
            .register_collector(Box::new(BatchCollector(stats)));
    }

    /// Counts one answered request.
    fn observe(&self, route: &str, method: &Method, response: &Response, seconds: f64) {
        let status = response.status();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method_label(method),
                status: status.as_u16(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
        if status == StatusCode::CREATED && method == Method::POST {
            if BOOKING_ROUTES.contains(&route)
                && response.extensions().get::<IdempotentReplay>().is_none()
            {
                self.bookings.inc();
            }
            if route == HOLD_ROUTE {
                self.holds.inc();
            }
        }
        if status == StatusCode::CONFLICT
            && let Some(ProblemCode(code)) = response.extensions().get::<ProblemCode>()
        {
            self.conflicts.get_or_create(&CodeLabels { code }).inc();
        }
    }

    /// The exposition text.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[derive(Debug)]
struct BatchCollector(Arc<BatchStats>);

impl Collector for BatchCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counters = [
            (
                "cita_booking_batches",
                "Transactions that wrote bookings (one per batch of concurrent bookings of an office)",
                self.0.batches(),
            ),
            (
                "cita_booking_batched",
                "Bookings carried by those transactions",
                self.0.bookings(),
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

/// A bounded label for the method: the standard ones by name, anything else `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware (`axum::middleware::from_fn_with_state`) that records every answer.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    metrics.observe(&route, &method, &response, started.elapsed().as_secs_f64());
    response
}

/// Prometheus scrape target.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "OpenMetrics text exposition", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(
    State(state): State<super::AppState>,
    Extension(metrics): Extension<Arc<Metrics>>,
) -> Result<Response, ApiError> {
    if let Some(surge) = &state.settings.surge {
        metrics
            .writes_limit
            .set(i64::try_from(surge.writes_limit()).unwrap_or(i64::MAX));
        metrics
            .writes_in_flight
            .set(i64::try_from(surge.writes_in_flight()).unwrap_or(i64::MAX));
    }
    // The queue is read from the database; a scrape while it is down shows the last
    // figures rather than failing.
    if let Ok(counts) = state.booking.outbox_counts().await {
        for (state, value) in [
            ("queued", counts.queued),
            ("due", counts.due),
            ("sent", counts.sent),
            ("dead", counts.dead),
            ("dropped", counts.dropped),
        ] {
            metrics
                .outbox
                .get_or_create(&StateLabels { state })
                .set(value);
        }
        metrics.outbox_oldest.set(counts.oldest_due_seconds);
    }
    let body = metrics.render().map_err(|e| ApiError::internal(&e))?;
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}
