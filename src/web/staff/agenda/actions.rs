//! Acting on an appointment from the agenda (check-in, complete, no-show, cancel), with
//! the confirmation page for the changes that ask for one.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::booking::BookingError;
use crate::calendar::local_date;
use crate::domain::Transition;
use crate::http::AppState;
use crate::web::visit::Page;

use super::super::{StaffNav, StaffVisit, agenda_of, procedure_name};

#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    locator: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// A status change from the agenda or a confirmation page; back to the agenda with what
/// happened (and an undo after a check-in).
pub async fn act(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Form(form): Form<ActForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(transition) = transition_of(&form.action) else {
        return staff.not_found();
    };
    let appointment = match staff.appointment(&state, &form.locator).await {
        Ok(appointment) => appointment,
        Err(error) => return staff.visit.fail(error),
    };
    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
    let back = agenda_of(&state, &appointment);
    let lang = staff.visit.lang.clone();
    let who = format!(
        "{} ({})",
        appointment.citizen_name,
        appointment.locator.as_str()
    );
    let flash = &mut staff.visit.session.staff;
    match state
        .booking
        .staff_change(&appointment, transition, &staff.member.actor(), reason)
        .await
    {
        Ok(_) => {
            flash.message = Some(lang.t_with(
                &format!("staff-done-{}", form.action),
                &[("who", who.into())],
            ));
            flash.undo_check_in =
                (transition == Transition::CheckIn).then(|| appointment.locator.to_string());
        }
        Err(BookingError::InvalidTransition(_)) => {
            flash.message = Some(lang.t_with("staff-done-already", &[("who", who.into())]));
            flash.undo_check_in = None;
        }
        Err(BookingError::Validation(_)) if transition == Transition::NoShow => {
            flash.message = Some(lang.t_with("staff-no-show-early", &[("who", who.into())]));
            flash.undo_check_in = None;
        }
        Err(error) => return staff.visit.fail(error),
    }
    staff.visit.redirect(&back)
}

fn transition_of(action: &str) -> Option<Transition> {
    Some(match action {
        "check-in" => Transition::CheckIn,
        "complete" => Transition::Complete,
        "no-show" => Transition::NoShow,
        "cancel" => Transition::Cancel,
        "undo-check-in" => Transition::UndoCheckIn,
        _ => return None,
    })
}

#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    locator: String,
    #[serde(default)]
    action: String,
}

#[derive(Template)]
#[template(path = "staff/confirm.html")]
pub struct ConfirmPage {
    pub page: Page,
    pub nav: StaffNav,
    pub summary: String,
    pub question: String,
    pub locator: String,
    pub action: String,
    pub with_reason: bool,
    pub button: String,
    pub back_href: String,
}

/// "Cancel this appointment?" / "Mark as not come?": what it is, a reason, confirm.
pub async fn confirm(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<ConfirmQuery>,
) -> Response {
    if !matches!(query.action.as_str(), "cancel" | "no-show") {
        return staff.not_found();
    }
    let appointment = match staff.appointment(&state, &query.locator).await {
        Ok(appointment) => appointment,
        Err(error) => return staff.visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok(office) = catalog.office(&appointment.office_id) else {
        return staff.not_found();
    };
    let lang = staff.visit.lang.clone();
    let summary = format!(
        "{} · {}, {} · {} · {}",
        appointment.citizen_name,
        lang.short_date(local_date(office.timezone, appointment.start)),
        lang.time(appointment.start, office.timezone),
        procedure_name(office, &appointment),
        appointment.locator.as_str()
    );
    let cancel = query.action == "cancel";
    let template = ConfirmPage {
        page: staff.page(if cancel {
            "staff-cancel-title"
        } else {
            "staff-no-show-title"
        }),
        nav: staff.nav(""),
        summary,
        question: lang.t(if cancel {
            "staff-cancel-question"
        } else {
            "staff-no-show-question"
        }),
        locator: appointment.locator.to_string(),
        action: query.action.clone(),
        with_reason: cancel,
        button: lang.t(if cancel {
            "staff-cancel-button"
        } else {
            "staff-no-show-button"
        }),
        back_href: agenda_of(&state, &appointment),
    };
    staff.visit.render(StatusCode::OK, &template)
}
