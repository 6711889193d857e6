//! The audit trail (admins; managers for their office): who did what and when, newest
//! first, filtered by day and action, a page at a time ("older" follows the last line).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::{AUDIT_ACTIONS, AuditDetail, BookingError, audit_detail};
use crate::calendar::local_date;
use crate::domain::Office;
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::{FieldError, Page};
use super::{StaffNav, StaffVisit};

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    office_id: Option<String>,
    #[serde(default)]
    day: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
pub struct AuditPageView {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub day: String,
    pub action: String,
    /// `(code, label)` of every action.
    pub actions: Vec<(String, String)>,
    /// When, what, who, appointment, detail.
    pub lines: Vec<[String; 5]>,
    pub older_href: Option<String>,
    pub newest_href: Option<String>,
}

/// The audit page.
pub async fn page(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<AuditQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (day_text, action) = (text(&query.day), text(&query.action));
    let before = match text(&query.before) {
        b if b.is_empty() => None,
        b => match b.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return staff
                    .visit
                    .fail(BookingError::Validation("before must be a number".into()));
            }
        },
    };
    let lang = staff.visit.lang.clone();
    let mut errors = vec![];
    let day = match day_text.as_str() {
        "" => None,
        d => d.parse::<NaiveDate>().ok().or_else(|| {
            errors.push(FieldError {
                field: "day",
                message: lang.t("staff-audit-day-bad"),
            });
            None
        }),
    };
    if !action.is_empty() && !AUDIT_ACTIONS.contains(&action.as_str()) {
        errors.push(FieldError {
            field: "action",
            message: lang.t("staff-audit-action-bad"),
        });
    }
    let mut view = AuditPageView {
        page: staff.page("staff-audit-title"),
        nav: staff.nav("/staff/audit"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(&state),
        actions: AUDIT_ACTIONS
            .iter()
            .map(|a| ((*a).to_owned(), lang.t(&format!("staff-audit-action-{a}"))))
            .collect(),
        day: day_text,
        action,
        lines: vec![],
        older_href: None,
        newest_href: None,
    };
    if !errors.is_empty() {
        view.page.errors = errors;
        return staff.visit.render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    }
    let action = Some(view.action.as_str()).filter(|a| !a.is_empty());
    let trail = match state
        .booking
        .audit_trail(&office.id, day, action, before)
        .await
    {
        Ok(trail) => trail,
        Err(error) => return staff.visit.fail(error),
    };
    view.lines = trail
        .lines
        .iter()
        .map(|line| {
            let at = DateTime::from_timestamp(line.at, 0).unwrap_or_default();
            [
                format!(
                    "{}, {}",
                    lang.short_date(local_date(office.timezone, at)),
                    lang.time(at, office.timezone)
                ),
                lang.t(&format!("staff-audit-action-{}", line.action)),
                match (line.actor_kind.as_str(), &line.actor_name) {
                    ("staff", Some(name)) => name.clone(),
                    (kind, _) => lang.t(&format!("staff-audit-actor-{kind}")),
                },
                line.locator.clone().unwrap_or_default(),
                detail(&lang, &office, &line.action, &line.detail),
            ]
        })
        .collect();
    let here = filter_href(&office, &view.day, &view.action);
    view.older_href = trail.older.map(|id| format!("{here}&before={id}"));
    view.newest_href = before.map(|_| here);
    staff.visit.render(StatusCode::OK, &view)
}

/// A line's detail in the member's language where the system wrote it (the desk of a
/// booking, the times of a move, in the office's zone); a reason staff typed as typed.
fn detail(lang: &Lang, office: &Office, action: &str, detail: &str) -> String {
    let local = |t: DateTime<Utc>| {
        format!(
            "{}, {}",
            lang.short_date(local_date(office.timezone, t)),
            lang.time(t, office.timezone)
        )
    };
    match audit_detail(action, detail) {
        AuditDetail::Desk(desk) => {
            lang.t_with("staff-feed-desk", &[("desk", desk.to_string().into())])
        }
        AuditDetail::Moved { from, to } => lang.t_with(
            "staff-audit-moved",
            &[("from", local(from).into()), ("to", local(to).into())],
        ),
        AuditDetail::HeldBack(seconds) => lang.t_with(
            "staff-audit-held-back",
            &[("minutes", FluentArg::Number((seconds + 59) / 60))],
        ),
        AuditDetail::Text(text) => text,
    }
}

/// The page's address with its filters.
fn filter_href(office: &Office, day: &str, action: &str) -> String {
    format!(
        "/staff/audit?office_id={}&day={}&action={}",
        encode(office.id.as_str()),
        encode(day),
        encode(action)
    )
}
