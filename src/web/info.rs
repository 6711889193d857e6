//! The start page, the accessibility statement, the privacy notice and the static files.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

use super::Visit;
use super::i18n::FluentArg;
use super::pages::{InfoPage, StartPage};

/// Start: what cita previa is, and the two things people come to do.
pub async fn start(visit: Visit) -> Response {
    let template = StartPage {
        page: visit.page("start-title"),
    };
    visit.render(StatusCode::OK, &template)
}

/// The accessibility statement Royal Decree 1112/2018 requires.
pub async fn accessibility(visit: Visit) -> Response {
    let template = InfoPage {
        paragraphs: (1..=5)
            .map(|n| visit.lang.t(&format!("accessibility-{n}")))
            .collect(),
        page: visit.page("accessibility-title"),
    };
    visit.render(StatusCode::OK, &template)
}

/// What is collected, why, for how long, and who sees it.
pub async fn privacy(State(state): State<AppState>, visit: Visit) -> Response {
    let days = state.booking.catalog().retention.num_days();
    let template = InfoPage {
        paragraphs: (1..=5)
            .map(|n| {
                visit.lang.t_with(
                    &format!("privacy-{n}"),
                    &[("days", FluentArg::Number(days))],
                )
            })
            .collect(),
        page: visit.page("privacy-title"),
    };
    visit.render(StatusCode::OK, &template)
}

/// A file compiled into the binary, cached for a day.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/cita.css"),
    )
}

pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/cita.js"),
    )
}

pub async fn staff_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/staff.js"),
    )
}

pub async fn icon() -> Response {
    asset("image/svg+xml", include_str!("../../static/icon.svg"))
}

pub async fn manifest() -> Response {
    asset(
        "application/manifest+json",
        include_str!("../../static/manifest.webmanifest"),
    )
}
