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
//!   connection, plus two batches of bookings), and fewer while a queue of writes stands
//!   longer than `write_wait_target_ms` and the database does not work it off
//!   ([`WriteBound`]). Writes all wait for the same database: admitting more only
//!   lengthens the queue every admitted write sits in, so past the bound a write is
//!   answered 503 at once instead of seconds later.
//!
//! A refusal must stay cheap when it is nine requests in ten: it is decided before the
//! rate limits, answered from a prebuilt body, counted in `cita_shed_total` and not logged.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::sync::Semaphore;
use tower_http::request_id::RequestId;

use crate::booking::secrets::Pepper;
use crate::limits::{
    Allowed, LimitSettings, Limited, Limits, Refused, RouteClass, WriteBound, policy_header,
    ratelimit_header,
};

use super::client::ClientKey;
use super::error::{ApiError, ProblemCode};

/// The surge-protection state of one server.
#[derive(Debug)]
pub struct Surge {
    /// `None` with `--no-rate-limit`.
    pub limiters: Option<Limits>,
    in_flight: Arc<Semaphore>,
    /// Places for writes, on top of an `in_flight` permit.
    writes: Arc<WriteBound>,
    /// Requests answered 503 `overloaded`, by the bound that refused them
    /// (`cita_shed_total{bound}`); `shed_in_flight` and `shed_writes` are its two series.
    shed: Family<ShedLabels, Counter>,
    shed_in_flight: Counter,
    shed_writes: Counter,
}

/// The `bound` label of `cita_shed_total`: `in_flight` (`max_in_flight`) or `writes`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ShedLabels {
    bound: &'static str,
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
        let shed = Family::<ShedLabels, Counter>::default();
        let shed_in_flight = shed
            .get_or_create(&ShedLabels { bound: "in_flight" })
            .clone();
        let shed_writes = shed.get_or_create(&ShedLabels { bound: "writes" }).clone();
        Ok(Surge {
            shed,
            shed_in_flight,
            shed_writes,
            limiters,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            writes: Arc::new(
                WriteBound::new(
                    settings.writes_in_flight(database_connections),
                    settings.write_wait_target(),
                )
                .rising_to(settings.writes_in_flight_cap(database_connections)),
            ),
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

    /// Requests shed so far, by bound: counted here, on the refusal path, instead of a
    /// log line each (a surge of refusals must not become a surge of log lines).
    pub fn shed_counters(&self) -> Family<ShedLabels, Counter> {
        self.shed.clone()
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
///
/// Shedding comes first and costs next to nothing, since at ten times the capacity nine
/// requests in ten end here: two counters checked without waiting, a prebuilt answer
/// ([`overloaded`]), a counter incremented (`cita_shed_total`), nothing allocated but the
/// body that names the request, nothing logged. Rate limits (which look up the client's
/// budget) only run for requests the bounds admitted.
pub async fn protect(State(surge): State<Arc<Surge>>, request: Request, next: Next) -> Response {
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = Arc::clone(&surge.in_flight).try_acquire_owned() else {
        surge.shed_in_flight.inc();
        return overloaded(&request);
    };
    let write_place = if writes(request.method()) {
        if !surge.writes.try_acquire() {
            surge.shed_writes.inc();
            return overloaded(&request);
        }
        Some(WritePlace(Arc::clone(&surge.writes)))
    } else {
        None
    };
    let class = RouteClass::of(request.method().as_str(), request.uri().path());
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

/// The 503 `overloaded` problem, as [`ApiError`] renders it (a test holds them equal), but
/// from static parts: the body is the fixed text around the request's id (`instance`), so
/// a refusal costs one small allocation and no serialization.
fn overloaded(request: &Request) -> Response {
    const HEAD: &str = concat!(
        r#"{"type":"https://cita.example/problems/overloaded","#,
        r#""title":"The service is busy","status":503,"#,
        r#""detail":"the service is very busy; please retry in a moment","#,
        r#""code":"overloaded""#,
    );
    const INSTANCE: &str = r#","instance":"urn:cita:request:"#;
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.header_value().as_bytes());
    let body = match id {
        // Request ids are checked to be plain letters, digits and `.:_-` (`access.rs`), so
        // they need no escaping in JSON.
        Some(id)
            if id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(b)) =>
        {
            let mut body = Vec::with_capacity(HEAD.len() + INSTANCE.len() + id.len() + 2);
            body.extend_from_slice(HEAD.as_bytes());
            body.extend_from_slice(INSTANCE.as_bytes());
            body.extend_from_slice(id);
            body.extend_from_slice(b"\"}");
            Bytes::from(body)
        }
        // No id, or one that would need escaping (the request-id layer prevents both).
        _ => Bytes::from([HEAD, "}"].concat()),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response.extensions_mut().insert(ProblemCode("overloaded"));
    response
}

/// The same answer through [`ApiError`], which the prebuilt one must equal.
#[cfg(test)]
fn overloaded_problem() -> ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn parts(response: Response) -> (StatusCode, HeaderMap, serde_json::Value) {
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn the_prebuilt_refusal_is_the_overloaded_problem() {
        let mut request = Request::new(Body::empty());
        let id = HeaderValue::from_static("0f9a-12:x.y_z");
        request.extensions_mut().insert(RequestId::new(id));
        let (status, headers, body) = parts(overloaded(&request)).await;
        let expected = super::super::access::scope_request_id("0f9a-12:x.y_z".to_owned(), async {
            overloaded_problem().into_response()
        })
        .await;
        let (expected_status, expected_headers, expected_body) = parts(expected).await;
        assert_eq!(status, expected_status);
        assert_eq!(body, expected_body);
        assert_eq!(body["instance"], "urn:cita:request:0f9a-12:x.y_z");
        for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
            assert_eq!(headers.get(&name), expected_headers.get(&name), "{name}");
        }
    }

    #[tokio::test]
    async fn an_id_that_would_need_escaping_is_left_out() {
        let mut request = Request::new(Body::empty());
        let id = HeaderValue::from_static("a\"b");
        request.extensions_mut().insert(RequestId::new(id));
        let (_, _, body) = parts(overloaded(&request)).await;
        assert_eq!(body["code"], "overloaded");
        assert!(body.get("instance").is_none());
        let (_, _, plain) = parts(overloaded(&Request::new(Body::empty()))).await;
        assert_eq!(plain, body);
    }
}
