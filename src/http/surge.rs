//! Surge protection at the edge (DESIGN §8): load shedding past bounds of requests in
//! flight, and per-client rate limits by route class, answered at once with 503
//! `overloaded` or 429 `rate_limited` (with `Retry-After` and the IETF `RateLimit-Policy`
//! and `RateLimit` fields). Health and metrics endpoints are never limited or shed.
//!
//! Two bounds, both checked without waiting:
//! - every request takes a place of `max_in_flight` (cheap reads mostly answer from
//!   shared availability, so this bound is large);
//! - a write (any method but `GET`/`HEAD`) also takes a place of the writes bound, sized
//!   to what the database serves: at most `max_writes_in_flight` (by default two per pool
//!   connection, plus two batches of bookings), and fewer while writes wait longer than `write_wait_target_ms` for
//!   their turn there ([`WriteBound`]). Writes all wait for the same database: admitting
//!   more only lengthens the queue every admitted write sits in, so past the bound a
//!   write is answered 503 at once instead of seconds later.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::booking::secrets::Pepper;
use crate::limits::{
    Allowed, LimitSettings, Limited, Limits, Refused, RouteClass, WriteBound, policy_header,
    ratelimit_header,
};

use super::client::ClientKey;
use super::error::ApiError;

/// The surge-protection state of one server.
#[derive(Debug)]
pub struct Surge {
    /// `None` with `--no-rate-limit`.
    pub limiters: Option<Limits>,
    in_flight: Arc<Semaphore>,
    /// Places for writes, on top of an `in_flight` permit.
    writes: Arc<WriteBound>,
}

impl Surge {
    /// Protection for a server whose database pool holds `database_connections`
    /// (the default bound on writes in flight derives from it). The keys of shared limits
    /// (`[limits] shared`) are hashed with a key derived from `pepper`, the database's
    /// secret, so every instance names the same budgets and Redis holds no address.
    pub fn new(
        settings: &LimitSettings,
        database_connections: u32,
        rate_limited: bool,
        pepper: &Pepper,
    ) -> Result<Self, String> {
        let limiters = if rate_limited {
            let mut key = [0u8; 32];
            key.copy_from_slice(&pepper.key_material("shared-limits")[..32]);
            Some(Limits::new(settings, key)?)
        } else {
            None
        };
        Ok(Surge {
            limiters,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            writes: Arc::new(WriteBound::new(
                settings.writes_in_flight(database_connections),
                settings.write_wait_target(),
            )),
        })
    }

    /// The most writes this server ever admits at once (`max_writes_in_flight`).
    pub fn max_writes_in_flight(&self) -> usize {
        self.writes.ceiling()
    }

    /// The writes admitted at once right now.
    pub fn writes_limit(&self) -> usize {
        self.writes.limit()
    }

    /// Writes in flight now.
    pub fn writes_in_flight(&self) -> usize {
        self.writes.in_flight()
    }

    /// Charges a booking to the document (normalized as the booking layer does).
    pub async fn check_document(&self, raw_document: &str) -> Result<(), ApiError> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        let document = crate::domain::document::normalize(raw_document);
        limiters
            .check_document(&document)
            .await
            .map(|_| ())
            .map_err(|refused| refusal("document", refused))
    }

    /// 429 when the client or the locator has failed too many look-ups lately.
    pub async fn check_lookup(&self, client: ClientKey, locator: &str) -> Result<(), ApiError> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        limiters
            .check_lookup(client.address(), locator)
            .await
            .map_err(|refused| refusal("failed-lookup", refused))
    }

    /// A look-up failed: charged to the client and to the locator.
    pub async fn lookup_failed(&self, client: ClientKey, locator: &str) {
        if let Some(limiters) = &self.limiters {
            limiters.lookup_failed(client.address(), locator).await;
        }
    }
}

/// Paths that must answer even when everything else is refused.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The middleware: shed, then limit, then run the request.
pub async fn protect(State(surge): State<Arc<Surge>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if exempt(&path) {
        return next.run(request).await;
    }
    let Ok(_permit) = Arc::clone(&surge.in_flight).try_acquire_owned() else {
        return overloaded().into_response();
    };
    let write_place = if writes(request.method()) {
        if !surge.writes.try_acquire() {
            return overloaded().into_response();
        }
        Some(WritePlace(Arc::clone(&surge.writes)))
    } else {
        None
    };
    let class = RouteClass::of(request.method().as_str(), &path);
    let (Some(limiters), Some(class)) = (&surge.limiters, class) else {
        return run(request, next, write_place.as_ref()).await;
    };
    let address = request
        .extensions()
        .get::<ClientKey>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), ClientKey::address);
    match limiters.check_client(class, address).await {
        Ok(allowed) => {
            let mut response = run(request, next, write_place.as_ref()).await;
            add_headers(response.headers_mut(), class.name(), allowed);
            response
        }
        Err(refused) => refusal(class.name(), refused).into_response(),
    }
}

/// Runs the request; for a write, tells the writes bound how long it waited for the
/// database.
async fn run(request: Request, next: Next, write: Option<&WritePlace>) -> Response {
    let Some(WritePlace(bound)) = write else {
        return next.run(request).await;
    };
    let (response, waited) = crate::booking::measure_waits(next.run(request)).await;
    if let Some(waited) = waited {
        bound.observe_wait(waited, Instant::now());
    }
    response
}

/// A write's place in the writes bound, given back when the request ends (answered or
/// abandoned).
struct WritePlace(Arc<WriteBound>);

impl Drop for WritePlace {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// Whether a request may write to the database: every method but `GET` and `HEAD` (a
/// look-up by locator and document also issues a token).
fn writes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

fn overloaded() -> ApiError {
    ApiError {
        retry_after: Some(1),
        ..ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the service is very busy; please retry in a moment",
        )
    }
}

fn add_headers(headers: &mut HeaderMap, name: &str, allowed: Allowed) {
    if let Ok(value) = HeaderValue::from_str(&policy_header(name, allowed.limit)) {
        headers.insert("ratelimit-policy", value);
    }
    if let Ok(value) = HeaderValue::from_str(&ratelimit_header(
        name,
        allowed.remaining,
        allowed.reset_seconds,
    )) {
        headers.insert("ratelimit", value);
    }
}

fn refusal(name: &str, refused: Refused) -> ApiError {
    match refused {
        Refused::Limited(limited) => rate_limited(name, limited),
        Refused::Unavailable => ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service cannot check its limits right now; please retry in a moment",
            )
        },
    }
}

fn rate_limited(name: &str, limited: Limited) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "too many requests; please retry in {} s",
            limited.retry_after_seconds
        ),
    );
    error.retry_after = Some(limited.retry_after_seconds);
    error.rate_limit = Some((
        policy_header(name, limited.limit),
        ratelimit_header(name, 0, limited.retry_after_seconds),
    ));
    error
}
