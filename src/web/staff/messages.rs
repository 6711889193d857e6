//! Messages to citizens that could not be sent (managers for their office, admins): what
//! failed, when, why, and a button to send one again (after fixing what was wrong, e.g.
//! the mail server's settings). No address is shown: the locator finds the appointment.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::booking::BookingError;
use crate::booking::NoticeRecord;
use crate::calendar::local_date;
use crate::domain::Office;
use crate::http::AppState;

use super::super::book::encode;
use super::super::visit::Page;
use super::{OfficeQuery, StaffNav, StaffVisit};

#[derive(Template)]
#[template(path = "staff/messages.html")]
pub struct MessagesPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub message: Option<String>,
    pub rows: Vec<Row>,
}

pub struct Row {
    pub id: i64,
    pub what: String,
    pub channel: String,
    pub locator: String,
    pub when: String,
    pub attempts: i64,
    pub error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    office_id: String,
    #[serde(default)]
    id: String,
}

/// The office's failed messages, newest first.
pub async fn list(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Query(query): Query<OfficeQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let message = staff.visit.session.staff.message.take();
    let notices = match state.booking.dead_notices(Some(&office.id)).await {
        Ok(notices) => notices,
        Err(error) => return staff.visit.fail(error),
    };
    let mut rows = Vec::with_capacity(notices.len());
    for notice in &notices {
        let locator = match state
            .booking
            .notice_appointment(&notice.appointment_id)
            .await
        {
            Ok(found) => found.map(|a| a.locator.as_str().to_owned()),
            Err(error) => return staff.visit.fail(error),
        };
        rows.push(row(&staff, &office, notice, locator));
    }
    let template = MessagesPage {
        page: staff.page("staff-messages-title"),
        nav: staff.nav("/staff/messages"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(&state),
        message,
        rows,
    };
    staff.visit.render(StatusCode::OK, &template)
}

/// Queues a failed message of the office again.
pub async fn retry(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Form(form): Form<RetryForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.managed_office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    let Ok(id) = form.id.trim().parse::<i64>() else {
        return staff.not_found();
    };
    match state.booking.retry_notice(id, Some(&office.id)).await {
        Ok(()) => {
            staff.visit.session.staff.message = Some(staff.visit.lang.t("staff-messages-queued"));
            staff.visit.redirect(&format!(
                "/staff/messages?office_id={}",
                encode(office.id.as_str())
            ))
        }
        Err(BookingError::NotFound) => staff.not_found(),
        Err(error) => staff.visit.fail(error),
    }
}

fn row(staff: &StaffVisit, office: &Office, notice: &NoticeRecord, locator: Option<String>) -> Row {
    let lang = &staff.visit.lang;
    let at = chrono::DateTime::from_timestamp(notice.ready_at, 0).unwrap_or_default();
    Row {
        id: notice.id,
        what: lang.t(&format!("staff-messages-event-{}", notice.event)),
        channel: lang.t(&format!("staff-messages-channel-{}", notice.channel)),
        locator: locator.unwrap_or_else(|| "—".to_owned()),
        when: format!(
            "{}, {}",
            lang.short_date(local_date(office.timezone, at)),
            lang.time(at, office.timezone)
        ),
        attempts: notice.attempts,
        error: notice.last_error.clone().unwrap_or_default(),
    }
}
