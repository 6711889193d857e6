//! The office's day: every desk's appointments, the next citizen due, and the actions on
//! an appointment (check-in, served, no-show, cancel, undo a check-in).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::{Agenda, BookingError};
use crate::calendar::{local_date, office_local_hours};
use crate::domain::{Appointment, Office, Status, Transition};
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::Page;
use super::{StaffNav, StaffVisit, agenda_of, procedure_name};

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
    /// (locator, button text) of the undo offered after a check-in.
    pub undo: Option<(String, String)>,
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

/// The office and day asked for (today in the office's zone by default) and its agenda;
/// `NotFound` for an unknown office or another office than a manager's or agent's own.
async fn load_day(
    state: &AppState,
    staff: &StaffVisit,
    query: &DayQuery,
) -> Result<(Office, NaiveDate, Agenda), BookingError> {
    let office = staff
        .office(state, query.office_id.as_deref())
        .ok_or(BookingError::NotFound)?;
    let date = query
        .date
        .as_deref()
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or_else(|| local_date(office.timezone, staff.visit.now));
    let agenda = state.booking.agenda(&office.id, date).await?;
    Ok((office, date, agenda))
}

/// `/staff/agenda?office_id=..&date=..`.
pub async fn agenda(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Query(query): Query<DayQuery>,
) -> Response {
    let (office, date, agenda) = match load_day(&state, &staff, &query).await {
        Ok(day) => day,
        Err(error) => return staff.visit.fail(error),
    };
    let day_note = match day_note(&state, &staff.visit.lang, &office, date).await {
        Ok(note) => note,
        Err(error) => return staff.visit.fail(error),
    };
    let flash = std::mem::take(&mut staff.visit.session.staff);
    let lang = staff.visit.lang.clone();
    let now = staff.visit.now;
    let today = local_date(office.timezone, now);
    let list_view = query.view.as_deref() == Some("list");
    let mut all: Vec<&Appointment> = agenda
        .desks
        .iter()
        .flat_map(|d| d.appointments.iter())
        .collect();
    all.sort_by_key(|a| (a.start, a.desk_id.to_string()));
    let next = if date == today {
        next_due(&all, now)
    } else {
        None
    };
    let rows = Rows {
        lang: &lang,
        office: &office,
        next: next.map(|a| a.locator.as_str()),
        actions_at: Some(now),
    };
    let (desks, by_time) = if list_view {
        (Vec::new(), all.iter().map(|a| rows.row(a)).collect())
    } else {
        (rows.desks(&agenda), Vec::new())
    };
    let link = |date: NaiveDate, view: bool| {
        format!(
            "/staff/agenda?office_id={}&date={date}{}",
            encode(office.id.as_str()),
            if view { "&view=list" } else { "" }
        )
    };
    let next_due = next.map(|a| {
        lang.t_with(
            "staff-next-due",
            &[
                ("time", lang.time(a.start, office.timezone).into()),
                ("name", a.citizen_name.clone().into()),
                ("procedure", procedure_name(&office, a).into()),
                ("desk", a.desk_id.to_string().into()),
            ],
        )
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
        undo: flash.undo_check_in.map(|locator| {
            let text = lang.t_with(
                "staff-undo-check-in",
                &[("locator", locator.clone().into())],
            );
            (locator, text)
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
        rows: by_time,
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
    let (office, date, agenda) = match load_day(&state, &staff, &query).await {
        Ok(day) => day,
        Err(error) => return staff.visit.fail(error),
    };
    let lang = staff.visit.lang.clone();
    let rows = Rows {
        lang: &lang,
        office: &office,
        next: None,
        actions_at: None,
    };
    let template = PrintPage {
        page: staff.page_titled(lang.t("staff-print-title")),
        office_name: office.name.clone(),
        date_label: lang.long_date(date),
        desks: rows.desks(&agenda),
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

/// The citizen to call next on today's agenda (`all`, by start): the first booked
/// appointment whose time has not ended.
fn next_due<'a>(all: &[&'a Appointment], now: DateTime<Utc>) -> Option<&'a Appointment> {
    all.iter()
        .copied()
        .find(|a| a.status == Status::Booked && a.end > now)
}

/// How the agenda's appointments are shown.
struct Rows<'a> {
    lang: &'a Lang,
    office: &'a Office,
    /// The locator of the citizen due next, shown apart.
    next: Option<&'a str>,
    /// Offer the actions allowed at this instant; `None`: no actions (the print view).
    actions_at: Option<DateTime<Utc>>,
}

impl Rows<'_> {
    fn desks(&self, agenda: &Agenda) -> Vec<DeskView> {
        agenda
            .desks
            .iter()
            .map(|desk| DeskView {
                name: desk.desk_id.to_string(),
                rows: desk.appointments.iter().map(|a| self.row(a)).collect(),
            })
            .collect()
    }

    fn row(&self, a: &Appointment) -> RowView {
        let (lang, zone) = (self.lang, self.office.timezone);
        let time = lang.time(a.start, zone);
        let who = format!("{time} {}", a.citizen_name);
        let named = |id: &str| lang.t_with(id, &[("who", who.clone().into())]);
        let confirm_href = |action: &str| {
            format!(
                "/staff/confirm?locator={}&action={action}",
                encode(a.locator.as_str())
            )
        };
        let cancel = || {
            (
                confirm_href("cancel"),
                lang.t("staff-action-cancel"),
                named("staff-action-cancel-who"),
            )
        };
        let mut actions = Vec::new();
        let mut confirm = Vec::new();
        match (a.status, self.actions_at) {
            (Status::Booked, Some(now)) => {
                actions.push((
                    "check-in",
                    lang.t("staff-action-check-in"),
                    named("staff-action-check-in-who"),
                ));
                if a.start <= now {
                    confirm.push((
                        confirm_href("no-show"),
                        lang.t("staff-action-no-show"),
                        named("staff-action-no-show-who"),
                    ));
                }
                confirm.push(cancel());
            }
            (Status::CheckedIn, Some(_)) => {
                actions.push((
                    "complete",
                    lang.t("staff-action-complete"),
                    named("staff-action-complete-who"),
                ));
                confirm.push(cancel());
            }
            _ => {}
        }
        RowView {
            end: lang.time(a.end, zone),
            time,
            desk: a.desk_id.to_string(),
            locator: a.locator.to_string(),
            procedure: procedure_name(self.office, a),
            citizen: a.citizen_name.clone(),
            status: lang.t(&format!("staff-status-{}", a.status.as_str())),
            status_class: a.status.as_str(),
            next: self.next == Some(a.locator.as_str()),
            actions,
            confirm,
        }
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
