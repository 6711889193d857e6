//! Signing in and out: a staff token pasted once becomes a server-side session.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::http::AppState;

use super::super::i18n::cookie;
use super::super::session::CsrfForm;
use super::super::visit::{FieldError, Page, Visit};
use super::{STAFF_COOKIE, StaffVisit, with_session_cookie};

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
pub struct SignInPage {
    pub page: Page,
    pub message: Option<String>,
}

/// `/staff`: the agenda when signed in, the sign-in page otherwise.
pub async fn home(visit: Result<StaffVisit, Response>) -> Response {
    match visit {
        Ok(staff) => staff.visit.redirect("/staff/agenda"),
        Err(to_sign_in) => to_sign_in,
    }
}

/// The sign-in form.
pub async fn form(mut visit: Visit) -> Response {
    let message = visit.session.staff.message.take();
    let template = SignInPage {
        page: visit.page("staff-sign-in-title"),
        message,
    };
    visit.render(StatusCode::OK, &template)
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

/// The key failed sign-ins are counted under: the client's own, so that nobody can lock
/// every staff member out by failing from many addresses.
fn failure_key(visit: &Visit) -> String {
    format!("staff-sign-in:{}", visit.client)
}

/// Trades the token for a session (a new one each time: the old session, if any, ends).
pub async fn sign_in(
    State(state): State<AppState>,
    visit: Visit,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let key = failure_key(&visit);
    if let Err(limited) = state.settings.check_lookup(visit.client, &key).await {
        return visit.fail_api(limited);
    }
    let opened = match state
        .booking
        .open_staff_session(&form.token, state.settings.staff_idle)
        .await
    {
        Ok(opened) => opened,
        Err(error) => return visit.fail(error),
    };
    let Some(opened) = opened else {
        state.settings.lookup_failed(visit.client, &key).await;
        let mut page = visit.page("staff-sign-in-title");
        page.errors.push(FieldError {
            field: "token",
            message: visit.lang.t("staff-sign-in-wrong"),
        });
        let template = SignInPage {
            page,
            message: None,
        };
        return visit.render(StatusCode::UNAUTHORIZED, &template);
    };
    if let Some(old) = cookie(&headers, STAFF_COOKIE) {
        let _ = state
            .booking
            .close_staff_session(&old, state.settings.staff_idle)
            .await;
    }
    let secure = visit.secure();
    with_session_cookie(visit.redirect("/staff/agenda"), &opened.id, secure)
}

/// Ends the session and forgets the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    staff: StaffVisit,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let id = cookie(&headers, STAFF_COOKIE).unwrap_or_default();
    if let Err(error) = state
        .booking
        .close_staff_session(&id, state.settings.staff_idle)
        .await
    {
        return staff.visit.fail(error);
    }
    let mut visit = staff.visit;
    visit.session.staff.message = Some(visit.lang.t("staff-signed-out"));
    let secure = visit.secure();
    with_session_cookie(visit.redirect("/staff/sign-in"), "", secure)
}
