//! The office staff's pages: sign in with a staff token, run the day from the agenda
//! (check-in, served, no-show, cancel), book walk-ins and phone calls, close the office.
//!
//! Contract:
//! - A staff token is pasted once on `/staff/sign-in` and traded for a server-side session
//!   ([`crate::booking::StaffSession`]); the browser keeps only a random session id in the
//!   `cita_staff` cookie (`HttpOnly`, `SameSite=Strict`, path `/staff`, `Secure` over
//!   HTTPS). The token never appears in a URL or a page.
//! - Every page but the sign-in needs a live session ([`StaffVisit`]); without one it
//!   sends the browser to the sign-in page. Every POST carries the session's CSRF token.
//! - Roles as in the API (`http::auth`): agents and managers see and act on their own
//!   office only — another office's pages and appointments answer 404, as if they did not
//!   exist; closures need a manager or an admin.
//! - The pages call the same use cases as the API; nothing here is a second copy of a rule.

mod agenda;
mod audit;
mod chart;
mod closures;
mod config;
mod fairness;
mod feeds;
mod messages;
mod sign_in;
mod statistics;
mod walk_in;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::booking::{BookingError, Role, StaffMember};
use crate::calendar::local_date;
use crate::domain::{Appointment, Office, OfficeId};
use crate::http::AppState;
use crate::http::auth::{ADMIN_ONLY, CLOSURE_ROLES};

use super::book::encode;
use super::i18n::Lang;
use super::i18n::cookie;
use super::session::same_token;
use super::visit::{FieldError, Page, Visit};

/// The staff session cookie: a random id, nothing else.
pub const STAFF_COOKIE: &str = "cita_staff";

/// Every staff page route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(sign_in::home))
        .route("/staff/sign-in", get(sign_in::form).post(sign_in::sign_in))
        .route("/staff/sign-out", post(sign_in::sign_out))
        .route("/staff/agenda", get(agenda::agenda))
        .route("/staff/agenda/print", get(agenda::print))
        .route("/staff/appointment", post(agenda::act))
        .route("/staff/confirm", get(agenda::confirm))
        .route("/staff/walk-in", get(walk_in::times).post(walk_in::book))
        .route("/staff/walk-in/done", get(walk_in::done))
        .route(
            "/staff/closures",
            get(closures::form).post(closures::preview),
        )
        .route("/staff/closures/confirm", post(closures::confirm))
        .route(
            "/staff/config",
            get(config::show)
                .post(config::change)
                .layer(DefaultBodyLimit::max(config::CONFIG_FORM_LIMIT)),
        )
        .route("/staff/feeds", get(feeds::list).post(feeds::create))
        .route("/staff/feeds/revoke", post(feeds::revoke))
        .route("/staff/messages", get(messages::list))
        .route("/staff/messages/retry", post(messages::retry))
        .route("/staff/statistics", get(statistics::page))
        .route("/staff/statistics.csv", get(statistics::csv))
        .route("/staff/fairness", get(fairness::page))
        .route("/staff/fairness.csv", get(fairness::csv))
        .route("/staff/audit", get(audit::page))
}

/// What the staff pages remember between a POST and the page it leads to (in the
/// encrypted session cookie of [`Visit`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffFlash {
    /// What just happened, in the staff member's language.
    pub message: Option<String>,
    /// The locator of an appointment just checked in, whose check-in may be undone.
    pub undo_check_in: Option<String>,
    /// A walk-in just booked: its locator.
    pub booked: Option<String>,
}

/// `?office_id=`: the office a page is about (admins choose; others have their own).
#[derive(Debug, Default, Deserialize)]
pub struct OfficeQuery {
    #[serde(default)]
    pub office_id: Option<String>,
}

/// A staff page request: a [`Visit`] with a signed-in staff member.
pub struct StaffVisit {
    pub visit: Visit,
    pub member: StaffMember,
    pub csrf: String,
}

impl std::fmt::Debug for StaffVisit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffVisit")
            .field("member", &self.member.name)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts<AppState> for StaffVisit {
    /// The sign-in page (a redirect), or a problem page when the database is unreachable.
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(visit) = Visit::from_request_parts(parts, state).await;
        let id = cookie(&parts.headers, STAFF_COOKIE).unwrap_or_default();
        match state
            .booking
            .staff_session(&id, state.settings.staff_idle)
            .await
        {
            Ok(Some(session)) => Ok(StaffVisit {
                visit,
                member: session.member,
                csrf: session.csrf,
            }),
            Ok(None) => Err(visit.redirect("/staff/sign-in")),
            Err(error) => Err(visit.fail(error)),
        }
    }
}

impl StaffVisit {
    /// The frame of a staff page, with the staff session's form token.
    pub fn page(&self, title_id: &str) -> Page {
        let mut page = self.visit.page(title_id);
        page.csrf.clone_from(&self.csrf);
        page
    }

    /// The frame of a staff page with a title of its own.
    pub fn page_titled(&self, title: String) -> Page {
        let mut page = self.visit.page_titled(title);
        page.csrf.clone_from(&self.csrf);
        page
    }

    /// The staff menu for this member, `current` marked.
    pub fn nav(&self, current: &str) -> StaffNav {
        let lang = &self.visit.lang;
        let mut links = vec![
            ("/staff/agenda", "staff-nav-agenda"),
            ("/staff/walk-in", "staff-nav-walk-in"),
        ];
        if self.may(CLOSURE_ROLES) {
            links.push(("/staff/closures", "staff-nav-closures"));
            links.push(("/staff/statistics", "staff-nav-stats"));
            links.push(("/staff/fairness", "staff-nav-fairness"));
            links.push(("/staff/feeds", "staff-nav-feeds"));
            links.push(("/staff/messages", "staff-nav-messages"));
            links.push(("/staff/audit", "staff-nav-audit"));
        }
        if self.may(ADMIN_ONLY) {
            links.push(("/staff/config", "staff-nav-config"));
        }
        StaffNav {
            who: lang.t_with(
                "staff-signed-in-as",
                &[
                    ("name", self.member.name.clone().into()),
                    (
                        "role",
                        lang.t(&format!("staff-role-{}", self.member.role)).into(),
                    ),
                ],
            ),
            links: links
                .into_iter()
                .map(|(href, id)| NavLink {
                    href,
                    label: lang.t(id),
                    current: href == current,
                })
                .collect(),
        }
    }

    /// Whether the member's role is one of `roles`.
    pub fn may(&self, roles: &[Role]) -> bool {
        roles.contains(&self.member.role)
    }

    /// Whether a POST came back with this staff session's token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        same_token(&self.csrf, sent)
    }

    /// The office this member works at, or the one asked for (admins): `None` when a
    /// manager or agent asks for another office, or the office does not exist — both
    /// answer 404.
    pub fn office(&self, state: &AppState, asked: Option<&str>) -> Option<Office> {
        let catalog = state.booking.catalog();
        let id = match (&self.member.office_id, asked.filter(|a| !a.is_empty())) {
            (Some(own), None) => own.clone(),
            (Some(own), Some(asked)) if own.as_str() == asked => own.clone(),
            (Some(_), Some(_)) => return None,
            (None, Some(asked)) => OfficeId::new(asked),
            (None, None) => catalog.offices().next()?.id.clone(),
        };
        catalog.office(&id).ok().cloned()
    }

    /// [`StaffVisit::office`] for the pages that run an office (closures, statistics,
    /// calendar links, activity log): `None` (404) for agents too.
    pub fn managed_office(&self, state: &AppState, asked: Option<&str>) -> Option<Office> {
        if self.may(CLOSURE_ROLES) {
            self.office(state, asked)
        } else {
            None
        }
    }

    /// The offices this member may choose among (admins: all).
    pub fn offices(&self, state: &AppState) -> Vec<(String, String)> {
        state
            .booking
            .catalog()
            .offices()
            .filter(|o| {
                self.member
                    .office_id
                    .as_ref()
                    .is_none_or(|own| *own == o.id)
            })
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect()
    }

    /// The appointment behind `locator` if this member may act on it: `NotFound` for
    /// another office's appointment as for an unknown one, so nothing is learnt.
    pub async fn appointment(
        &self,
        state: &AppState,
        locator: &str,
    ) -> Result<Appointment, BookingError> {
        let appointment = state.booking.appointment_by_locator(locator).await?;
        match &self.member.office_id {
            Some(own) if *own != appointment.office_id => Err(BookingError::NotFound),
            _ => Ok(appointment),
        }
    }

    /// The 404 page (another office's, or an unknown, page or appointment).
    pub fn not_found(self) -> Response {
        self.visit.fail(BookingError::NotFound)
    }

    /// The 403 page telling that a form expired.
    pub fn expired(self) -> Response {
        self.visit.expired()
    }
}

/// The `from` and `to` date fields of a form: both dates, or the problem of each at its
/// field (a range that runs backwards too). What else limits a range is the caller's.
fn date_range(
    lang: &Lang,
    from: &str,
    to: &str,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let first = from.trim().parse::<NaiveDate>().ok();
    let last = to.trim().parse::<NaiveDate>().ok();
    let mut errors = Vec::new();
    if first.is_none() {
        errors.push(FieldError {
            field: "from",
            message: lang.t("staff-closure-from-bad"),
        });
    }
    if last.is_none() {
        errors.push(FieldError {
            field: "to",
            message: lang.t("staff-closure-to-bad"),
        });
    }
    match first.zip(last) {
        Some((first, last)) if last < first => {
            errors.push(FieldError {
                field: "to",
                message: lang.t("staff-closure-to-before"),
            });
            Err(errors)
        }
        Some(range) => Ok(range),
        None => Err(errors),
    }
}

/// The procedure's name; its id when the configuration no longer has it (the agenda
/// keeps showing such appointments).
fn procedure_name(office: &Office, appointment: &Appointment) -> String {
    office
        .services
        .iter()
        .find(|s| s.id == appointment.service_id)
        .map_or_else(|| appointment.service_id.to_string(), |s| s.name.clone())
}

/// The agenda of the appointment's office and local day.
fn agenda_of(state: &AppState, appointment: &Appointment) -> String {
    let catalog = state.booking.catalog();
    let date = catalog
        .office(&appointment.office_id)
        .map(|o| local_date(o.timezone, appointment.start))
        .unwrap_or_else(|_| appointment.start.date_naive());
    format!(
        "/staff/agenda?office_id={}&date={date}",
        encode(appointment.office_id.as_str())
    )
}

/// The staff menu.
#[derive(Debug)]
pub struct StaffNav {
    pub who: String,
    pub links: Vec<NavLink>,
}

#[derive(Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The `cita_staff` cookie carrying `id` (empty `id`: the cookie removed).
fn session_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let lifetime = if id.is_empty() { "; Max-Age=0" } else { "" };
    HeaderValue::from_str(&format!(
        "{STAFF_COOKIE}={id}; Path=/staff; HttpOnly; SameSite=Strict{secure}{lifetime}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("cita_staff=; Path=/staff; Max-Age=0"))
}

/// `response` with the staff session cookie set to `id`.
fn with_session_cookie(mut response: Response, id: &str, secure: bool) -> Response {
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(id, secure));
    response
}
