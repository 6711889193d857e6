//! The citizens' web pages (DESIGN §12): book, see, reschedule and cancel a cita previa
//! from any phone, in Spanish or English, without JavaScript.
//!
//! Contract:
//! - Server-rendered HTML (askama templates in `templates/`, checked at compile time),
//!   one CSS file and a few lines of optional JavaScript, all served from here; nothing
//!   from another host.
//! - The pages call the same use cases as the API ([`crate::booking::Booking`]), never
//!   the API over HTTP, and never a second copy of a rule. Form fields are named as the
//!   API's JSON fields (`office_id`, `service_id`, `start`, `date`, `name`, `document`,
//!   `document_type`, `email`, `phone`, `locator`).
//! - One question per page. Every POST carries the session's CSRF token and answers with
//!   a redirect (303) or the same page with an error summary; no token, document or name
//!   is ever put in a URL.
//! - Problems (4xx, 5xx, and the API layers' 429 and 503) render as pages in the
//!   visitor's language ([`html_problems`]), never as JSON.

mod book;
mod draw;
pub mod i18n;
mod info;
mod manage;
mod mine;
mod pages;
pub(crate) mod queue;
pub mod session;
pub mod staff;
mod visit;
pub(crate) use draw::clock_time;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::BodyExt;

use crate::http::AppState;

pub use visit::Visit;

/// Every page route, the citizens' and the staff's (the API's are in
/// `http::route_table`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(info::start))
        .route("/accesibilidad", get(info::accessibility))
        .route("/privacidad", get(info::privacy))
        .route("/static/cita.css", get(info::stylesheet))
        .route("/static/cita.js", get(info::script))
        .route("/static/staff.js", get(info::staff_script))
        .route("/static/icon.svg", get(info::icon))
        .route("/manifest.webmanifest", get(info::manifest))
        .route("/book", get(book::procedures))
        .route("/book/office", get(book::offices))
        .route("/book/day", get(book::days))
        .route("/book/time", get(book::times).post(book::choose_time))
        .route("/book/details", get(book::details).post(book::save_details))
        .route("/book/extend", axum::routing::post(book::extend))
        .route("/book/check", get(book::check).post(book::confirm))
        .route("/book/done", get(book::done))
        .route("/draw", get(draw::draw).post(draw::enter))
        .route("/queue", get(queue::queue).post(queue::join))
        .route("/draw/entered", get(draw::entered))
        .route("/draw/result", get(draw::result).post(draw::look_up_result))
        .route("/manage", get(manage::find).post(manage::look_up))
        .route("/manage/appointment", get(manage::appointment))
        .route("/manage/day", get(manage::days))
        .route("/manage/time", get(manage::times).post(manage::reschedule))
        .route(
            "/manage/cancel",
            get(manage::confirm_cancel).post(manage::cancel),
        )
        .route("/manage/cancelled", get(manage::cancelled))
        .route("/my", get(mine::mine).post(mine::request))
        .route("/my/open", get(mine::open))
        .route("/my/calendar", axum::routing::post(mine::create_feed))
        .route(
            "/my/calendar/revoke",
            axum::routing::post(mine::revoke_feed),
        )
        .route("/my/leave", axum::routing::post(mine::leave))
        .merge(staff::routes())
}

/// Whether `path` is a page (not the API, a feed, an operations endpoint or an asset):
/// its problems are shown as pages.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/feeds/")
        || path.starts_with("/static/")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/manifest.webmanifest"
        ))
}

/// Turns the problem+json answers of the layers in front of the pages (rate limits, load
/// shedding, unknown paths and methods) into pages in the visitor's language, keeping
/// their status and `Retry-After`.
pub async fn html_problems(request: Request, next: Next) -> Response {
    if !is_page(request.uri().path()) {
        return next.run(request).await;
    }
    let lang = i18n::Lang::negotiate(
        query_lang(request.uri().query()).as_deref(),
        request.headers(),
    );
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let problem: serde_json::Value = match body.collect().await {
        Ok(bytes) => serde_json::from_slice(&bytes.to_bytes()).unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    };
    let retry_after = parts
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let code = problem["code"].as_str().unwrap_or("internal_error");
    let reference = problem["instance"]
        .as_str()
        .and_then(|i| i.rsplit(':').next())
        .map(str::to_owned);
    let mut page = pages::problem_page(&lang, parts.status, code, retry_after, reference);
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    for (name, value) in &parts.headers {
        if name.as_str() == "x-request-id" || name.as_str().starts_with("ratelimit") {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// `?lang=xx` of a query string.
fn query_lang(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "lang")
        .map(|(_, value)| value.to_owned())
}

/// An HTML answer with the headers every page carries: no caching of personal pages, no
/// framing, no sniffing, and nothing loaded from another host.
/// The message that tells a citizen which of their limits refused a booking or a change.
pub(crate) fn citizen_limit_message(limit: crate::booking::CitizenLimit) -> &'static str {
    use crate::booking::CitizenLimit;
    match limit {
        CitizenLimit::Procedure => "check-limit-procedure",
        CitizenLimit::Overlap => "check-limit-overlap",
        CitizenLimit::Reschedules => "check-limit-reschedules",
        CitizenLimit::Waiting => "check-limit-waiting",
    }
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
