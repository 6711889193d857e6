//! The office's day: every desk's appointments, the next citizen due, and the actions on
//! an appointment (check-in, served, no-show, cancel, undo a check-in).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::booking::{Agenda, BookingError};
use crate::calendar::{local_date, office_local_hours};
use crate::domain::{Appointment, Office, Status, Transition};
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::Page;
use super::{StaffNav, StaffVisit};

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    office_id: Option<String>,
    #[serde(default)]
    date: Option<String>,
    /// `list`: one list by time instead of a column per desk.
    #[serde(default)]
    view: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/agenda.html")]
pub struct AgendaPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    /// Offices to switch to (admins see all).
    pub offices: Vec<(String, String)>,
    pub date: String,
    pub date_label: String,
    pub day_note: Option<String>,
    pub flash: Option<String>,
    /// (action, locator, button text) of the undo offered after a check-in.
    pub undo: Option<(String, String, String)>,
    pub next_due: Option<String>,
    pub counts: String,
    pub list_view: bool,
    pub desks: Vec<DeskView>,
    /// Every appointment by time (the list view).
    pub rows: Vec<RowView>,
    pub previous_href: String,
    pub next_href: String,
    pub today_href: String,
    pub here_href: String,
    pub other_view_href: String,
    pub print_href: String,
    /// Changes whenever an appointment of the day changes (the refresh script compares it).
    pub stamp: String,
}

pub struct DeskView {
    pub name: String,
    pub rows: Vec<RowView>,
}

pub struct RowView {
    pub time: String,
    pub end: String,
    pub desk: String,
    pub locator: String,
    pub procedure: String,
    pub citizen: String,
    pub status: String,
    pub status_class: &'static str,
    pub next: bool,
    /// One-click actions: (action, button text, accessible name).
    pub actions: Vec<(&'static str, String, String)>,
    /// Actions that need a confirmation page: (href, text, accessible name).
    pub confirm: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "staff/print.html")]
pub struct PrintPage {
    pub page: Page,
    pub office_name: String,
    pub date_label: String,
    pub desks: Vec<DeskView>,
}

/// The day asked for, or today in the office's zone.
fn day_of(query: &DayQuery, office: &Office, staff: &StaffVisit) -> NaiveDate {
    query
        .date
        .as_deref()
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or_else(|| local_date(office.timezone, staff.visit.now))
}

/// `/staff/agenda?office_id=..&date=..`.
pub async fn agenda(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Query(query): Query<DayQuery>,
) -> Response {
    let Some(office) = staff.office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let date = day_of(&query, &office, &staff);
    let agenda = match state.booking.agenda(&office.id, date).await {
        Ok(agenda) => agenda,
        Err(error) => return staff.visit.fail(error),
    };
    let day_note = match day_note(&state, &staff.visit.lang, &office, date).await {
        Ok(note) => note,
        Err(error) => return staff.visit.fail(error),
    };
    let flash = std::mem::take(&mut staff.visit.session.staff);
    let lang = staff.visit.lang.clone();
    let list_view = query.view.as_deref() == Some("list");
    let next = next_due(&agenda, &staff);
    let desks = desk_views(&state, &lang, &office, &agenda, next.as_ref(), true);
    let mut rows: Vec<RowView> = Vec::new();
    let mut all: Vec<&Appointment> = agenda
        .desks
        .iter()
        .flat_map(|d| d.appointments.iter())
        .collect();
    all.sort_by_key(|a| (a.start, a.desk_id.to_string()));
    for appointment in &all {
        rows.push(row(
            &state,
            &lang,
            &office,
            appointment,
            next.as_ref(),
            true,
        ));
    }
    let link = |date: NaiveDate, view: bool| {
        format!(
            "/staff/agenda?office_id={}&date={date}{}",
            encode(office.id.as_str()),
            if view { "&view=list" } else { "" }
        )
    };
    let today = local_date(office.timezone, staff.visit.now);
    let next_due = next.and_then(|locator| {
        all.iter().find(|a| a.locator.as_str() == locator).map(|a| {
            lang.t_with(
                "staff-next-due",
                &[
                    ("time", lang.time(a.start, office.timezone).into()),
                    ("name", a.citizen_name.clone().into()),
                    ("procedure", procedure_name(&office, a).into()),
                    ("desk", a.desk_id.to_string().into()),
                ],
            )
        })
    });
    let active = all.iter().filter(|a| a.status.is_active()).count();
    let template = AgendaPage {
        page: staff.page_titled(lang.t("staff-agenda-title")),
        nav: staff.nav("/staff/agenda"),
        offices: staff.offices(&state),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        date: date.to_string(),
        date_label: lang.long_date(date),
        day_note,
        flash: flash.message,
        undo: flash.undo.map(|(action, locator)| {
            let text = lang.t_with(
                "staff-undo-check-in",
                &[("locator", locator.clone().into())],
            );
            (action, locator, text)
        }),
        next_due,
        counts: lang.t_with(
            "staff-agenda-counts",
            &[
                ("total", FluentArg::Number(all.len() as i64)),
                ("active", FluentArg::Number(active as i64)),
            ],
        ),
        list_view,
        desks,
        rows,
        previous_href: link(date - Duration::days(1), list_view),
        next_href: link(date + Duration::days(1), list_view),
        today_href: link(today, list_view),
        here_href: link(date, list_view),
        other_view_href: link(date, !list_view),
        print_href: format!(
            "/staff/agenda/print?office_id={}&date={date}",
            encode(office.id.as_str())
        ),
        stamp: stamp(&agenda),
    };
    staff.visit.render(StatusCode::OK, &template)
}

/// A plain page per desk, for paper.
pub async fn print(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<DayQuery>,
) -> Response {
    let Some(office) = staff.office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let date = day_of(&query, &office, &staff);
    let agenda = match state.booking.agenda(&office.id, date).await {
        Ok(agenda) => agenda,
        Err(error) => return staff.visit.fail(error),
    };
    let lang = staff.visit.lang.clone();
    let template = PrintPage {
        page: staff.page_titled(lang.t("staff-print-title")),
        office_name: office.name.clone(),
        date_label: lang.long_date(date),
        desks: desk_views(&state, &lang, &office, &agenda, None, false),
    };
    staff.visit.render(StatusCode::OK, &template)
}

/// What the agenda says about the day itself: a holiday, closed, or nothing.
async fn day_note(
    state: &AppState,
    lang: &Lang,
    office: &Office,
    date: NaiveDate,
) -> Result<Option<String>, BookingError> {
    let closed = state.booking.office_with_closures(&office.id).await?;
    if !office_local_hours(&closed, date).is_empty() {
        return Ok(None);
    }
    Ok(Some(if closed.holidays.contains(&date) {
        lang.t("staff-day-holiday")
    } else {
        lang.t("staff-day-closed")
    }))
}

/// The locator of the citizen to call next: the first booked appointment of today whose
/// time has not ended.
fn next_due(agenda: &Agenda, staff: &StaffVisit) -> Option<String> {
    agenda
        .desks
        .iter()
        .flat_map(|d| d.appointments.iter())
        .filter(|a| a.status == Status::Booked && a.end > staff.visit.now)
        .filter(|a| a.start - staff.visit.now < Duration::hours(12))
        .min_by_key(|a| (a.start, a.locator.to_string()))
        .map(|a| a.locator.to_string())
}

fn desk_views(
    state: &AppState,
    lang: &Lang,
    office: &Office,
    agenda: &Agenda,
    next: Option<&String>,
    with_actions: bool,
) -> Vec<DeskView> {
    agenda
        .desks
        .iter()
        .map(|desk| DeskView {
            name: lang.t_with("staff-desk", &[("desk", desk.desk_id.to_string().into())]),
            rows: desk
                .appointments
                .iter()
                .map(|a| row(state, lang, office, a, next, with_actions))
                .collect(),
        })
        .collect()
}

fn procedure_name(office: &Office, appointment: &Appointment) -> String {
    office
        .services
        .iter()
        .find(|s| s.id == appointment.service_id)
        .map_or_else(|| appointment.service_id.to_string(), |s| s.name.clone())
}

fn row(
    state: &AppState,
    lang: &Lang,
    office: &Office,
    a: &Appointment,
    next: Option<&String>,
    with_actions: bool,
) -> RowView {
    let time = lang.time(a.start, office.timezone);
    let who = format!("{time} {}", a.citizen_name);
    let named = |id: &str| lang.t_with(id, &[("who", who.clone().into())]);
    let mut actions = Vec::new();
    let mut confirm = Vec::new();
    if with_actions {
        let confirm_href = |action: &str| {
            format!(
                "/staff/confirm?locator={}&action={action}",
                encode(a.locator.as_str())
            )
        };
        match a.status {
            Status::Booked => {
                actions.push((
                    "check-in",
                    lang.t("staff-action-check-in"),
                    named("staff-action-check-in-who"),
                ));
                if a.start <= state.booking.clock().now() {
                    confirm.push((
                        confirm_href("no-show"),
                        lang.t("staff-action-no-show"),
                        named("staff-action-no-show-who"),
                    ));
                }
                confirm.push((
                    confirm_href("cancel"),
                    lang.t("staff-action-cancel"),
                    named("staff-action-cancel-who"),
                ));
            }
            Status::CheckedIn => {
                actions.push((
                    "complete",
                    lang.t("staff-action-complete"),
                    named("staff-action-complete-who"),
                ));
                confirm.push((
                    confirm_href("cancel"),
                    lang.t("staff-action-cancel"),
                    named("staff-action-cancel-who"),
                ));
            }
            _ => {}
        }
    }
    RowView {
        end: lang.time(a.end, office.timezone),
        time,
        desk: a.desk_id.to_string(),
        locator: a.locator.to_string(),
        procedure: procedure_name(office, a),
        citizen: a.citizen_name.clone(),
        status: lang.t(&format!("staff-status-{}", a.status.as_str())),
        status_class: a.status.as_str(),
        next: next.is_some_and(|n| n == a.locator.as_str()),
        actions,
        confirm,
    }
}

/// A short fingerprint of the day's appointments and their statuses.
fn stamp(agenda: &Agenda) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for a in agenda.desks.iter().flat_map(|d| d.appointments.iter()) {
        hash.update(a.locator.as_str());
        hash.update(a.status.as_str());
        hash.update(a.start.timestamp().to_le_bytes());
        hash.update(a.desk_id.as_str());
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

/// The appointment behind `locator` if this member may act on it (404 otherwise, the
/// same for another office's appointment as for an unknown one).
async fn reachable(
    state: &AppState,
    staff: &StaffVisit,
    locator: &str,
) -> Result<Appointment, BookingError> {
    let appointment = state.booking.appointment_by_locator(locator).await?;
    match &staff.member.office_id {
        Some(own) if *own != appointment.office_id => Err(BookingError::NotFound),
        _ => Ok(appointment),
    }
}

/// The agenda of the appointment's day.
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
    let appointment = match reachable(&state, &staff, &form.locator).await {
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
            flash.undo = (transition == Transition::CheckIn)
                .then(|| ("undo-check-in".to_owned(), appointment.locator.to_string()));
        }
        Err(BookingError::InvalidTransition(_)) => {
            flash.message = Some(lang.t_with("staff-done-already", &[("who", who.into())]));
            flash.undo = None;
        }
        Err(BookingError::Validation(_)) if transition == Transition::NoShow => {
            flash.message = Some(lang.t_with("staff-no-show-early", &[("who", who.into())]));
            flash.undo = None;
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
    let appointment = match reachable(&state, &staff, &query.locator).await {
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
