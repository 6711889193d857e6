//! Request ids and the access log.
//!
//! Every request gets an `X-Request-Id` (tower-http's request-id layers): the client's own
//! when it sends a well-formed one (1–64 letters, digits, `.`, `_`, `:` or `-`), a new
//! random one otherwise, since whatever it holds is written to the log. The answer
//! carries it back, and every problem body names it in `instance`, so a citizen's
//! screenshot of an error leads straight to its log line.
//!
//! The access log is one `info` line per request on the `cita::access` target: method,
//! route template (never the path itself, which holds locators), status, latency,
//! request id and the client as a keyed digest. Never a token, a query string, a locator,
//! a document or a name.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Instrument;

use crate::booking::secrets::{Pepper, random_id};

use super::client::ClientKey;

/// The header that carries request ids.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request being answered, for the problem bodies made while answering.
    static CURRENT: String;
}

/// The id of the request this task is answering, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `answer` as the answer to the request `id` (tests of problem bodies).
#[cfg(test)]
pub(super) async fn scope_request_id<F: Future>(id: String, answer: F) -> F::Output {
    CURRENT.scope(id, answer).await
}

/// New ids: 128 random bits as hex.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&random_id()).ok().map(RequestId::new)
    }
}

/// Whether a client-sent id may be kept (and so logged) as it is.
fn well_formed(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Drops a malformed `X-Request-Id` before the request-id layer, which then makes a new
/// one (it keeps whatever the client sent otherwise).
pub async fn drop_malformed_id(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let values: Vec<&HeaderValue> = headers.get_all(&REQUEST_ID).iter().collect();
    if values.len() > 1 || values.first().is_some_and(|id| !well_formed(id)) {
        headers.remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// Logs one line per request, and makes the request id known to problem bodies and to
/// every log line written while answering it.
pub async fn log_access(State(pepper): State<Pepper>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_owned();
    // The keyed digest costs a keyed hash: only when the line is written (not for every
    // refused request of a surge while the log is at `warn`).
    let client = if tracing::enabled!(target: "cita::access", tracing::Level::INFO) {
        request
            .extensions()
            .get::<ClientKey>()
            .map_or_else(String::new, |key| {
                pepper.digest("client", &key.to_string())[..16].to_owned()
            })
    } else {
        String::new()
    };
    // Every line logged while answering carries the request id (the span's field), so one
    // request can be followed through the log.
    let span = tracing::info_span!("request", request_id = %id);
    let response = CURRENT
        .scope(id.clone(), next.run(request))
        .instrument(span)
        .await;
    tracing::info!(
        target: "cita::access",
        method = %method,
        route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = id,
        client,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_kept() {
        for good in ["abc", "0f9a-12:x.y_z", &"a".repeat(64)] {
            assert!(well_formed(&HeaderValue::from_str(good).unwrap()), "{good}");
        }
        for bad in [
            "",
            &"a".repeat(65),
            "a b",
            "x\"y",
            "line\tbreak",
            "12345678Z é",
        ] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).unwrap();
            assert!(!well_formed(&value), "{bad}");
        }
    }
}
