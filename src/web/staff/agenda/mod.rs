//! The office's day: every desk's appointments, the next citizen due, and the actions on
//! an appointment (check-in, served, no-show, cancel, undo a check-in).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::booking::{Agenda, BookingError};
use crate::calendar::{local_date, office_local_hours};
use crate::domain::{Appointment, Office};
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::Page;
use super::{StaffNav, StaffVisit, procedure_name};

mod actions;
mod rows;

pub use actions::{act, confirm};
use rows::{Rows, next_due, stamp};

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
