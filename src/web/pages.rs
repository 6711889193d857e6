//! The page templates (`templates/*.html`) and the values they show. Handlers fill them;
//! every text comes from the language files, every value is escaped by askama.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::{FluentArg, Lang};
use super::session::Details;
use super::visit::Page;

#[derive(Template)]
#[template(path = "start.html")]
pub struct StartPage {
    pub page: Page,
}

#[derive(Template)]
#[template(path = "info.html")]
pub struct InfoPage {
    pub page: Page,
    pub paragraphs: Vec<String>,
}

#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub page: Page,
    pub message: String,
    pub reference: Option<String>,
}

#[derive(Template)]
#[template(path = "draw.html")]
pub struct DrawPage {
    pub page: Page,
    pub procedure: String,
    pub office: String,
    pub how: String,
    pub when: String,
    pub dates_text: String,
    /// Why the form is not shown (not open yet, closed, drawn); `None` while open.
    pub status: Option<String>,
    pub draw_id: String,
    /// The dates it gives out: (`YYYY-MM-DD`, label).
    pub dates: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub parts: Vec<(&'static str, String)>,
    pub part: String,
    pub details: Details,
    pub document_types: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "draw_entered.html")]
pub struct DrawEnteredPage {
    pub page: Page,
    pub procedure: String,
    pub office: String,
    pub lead: String,
    pub entry_code: String,
    pub salt: String,
    pub entry_hash: String,
    pub draw_id: String,
}

#[derive(Template)]
#[template(path = "draw_result.html")]
pub struct DrawResultPage {
    pub page: Page,
    /// (procedure · office, what happened), when an entry was found.
    pub outcome: Option<(String, String)>,
    pub locator: Option<String>,
    pub entry_code: String,
    pub document: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub page: Page,
    pub procedure: String,
    pub office: String,
    /// How the room works, in plain words.
    pub how: String,
    /// Where the visitor stands.
    pub message: String,
    pub room_id: String,
    /// Whether to offer the form that takes a place.
    pub can_join: bool,
    pub document_types: Vec<(&'static str, String)>,
    /// As typed, when the form comes back with a problem.
    pub document_type: String,
    pub document: String,
    /// The way to the dates, once let in (or once the room is over).
    pub dates_href: Option<String>,
    /// That the browser reloads the page by itself, and how soon.
    pub refresh: Option<String>,
}

#[derive(Template)]
#[template(path = "procedures.html")]
pub struct ProceduresPage {
    pub page: Page,
    pub procedures: Vec<ProcedureView>,
}

pub struct ProcedureView {
    pub name: String,
    pub description: Option<String>,
    pub requirements: Vec<String>,
    pub duration: String,
    pub offices: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "offices.html")]
pub struct OfficesPage {
    pub page: Page,
    pub procedure: String,
    pub service_id: String,
    pub query: String,
    pub show_filter: bool,
    pub none_found: Option<String>,
    pub offices: Vec<OfficeView>,
}

pub struct OfficeView {
    pub name: String,
    pub address: String,
    pub next: String,
    pub available: bool,
    pub href: String,
}

#[derive(Template)]
#[template(path = "days.html")]
pub struct DaysPage {
    pub page: Page,
    pub back_href: String,
    pub procedure: String,
    pub office: String,
    pub week: String,
    /// When the procedure's next scheduled release is, if it has releases.
    pub next_release: Option<String>,
    /// That part of each day is kept for phone and counter bookings, if it is.
    pub staff_share: Option<String>,
    pub days: Vec<DayView>,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    /// Where the typed date goes (GET), with these hidden fields.
    pub time_action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub typed: String,
    pub date_hint: String,
    pub min_date: String,
    pub max_date: String,
}

pub struct DayView {
    pub label: String,
    pub status: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "times.html")]
pub struct TimesPage {
    pub page: Page,
    pub back_href: String,
    pub procedure: String,
    pub office: String,
    pub date: String,
    pub zone_note: Option<String>,
    pub message: Option<String>,
    pub hold_note: String,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub times: Vec<TimeView>,
    /// What to say when there are no times: none left, or when they are released.
    pub none: String,
}

pub struct TimeView {
    /// RFC 3339 with the office's offset: the form's `start`.
    pub start: String,
    pub label: String,
    /// What the button does, for screen readers ("Reservar las 10:15").
    pub full: String,
    /// Among the nearest to a time that was just taken.
    pub near: bool,
}

#[derive(Template)]
#[template(path = "details.html")]
pub struct DetailsPage {
    pub page: Page,
    pub back_href: String,
    pub summary: String,
    pub hold_text: String,
    pub expired: bool,
    pub can_extend: bool,
    pub expires_at: i64,
    pub details: Details,
    pub document_types: Vec<(&'static str, String)>,
    /// From the language files (it holds a link); the retention days are a number.
    pub privacy: String,
}

#[derive(Template)]
#[template(path = "check.html")]
pub struct CheckPage {
    pub page: Page,
    pub message: Option<String>,
    pub rows: Vec<CheckRow>,
}

pub struct CheckRow {
    pub label: String,
    pub value: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "done.html")]
pub struct DonePage {
    pub page: Page,
    pub locator: String,
    pub procedure: String,
    pub when: String,
    pub office: String,
    pub address: String,
    pub requirements: Vec<String>,
    pub ics_url: String,
}

#[derive(Template)]
#[template(path = "manage_find.html")]
pub struct ManageFindPage {
    pub page: Page,
    pub message: Option<String>,
    pub locator: String,
    pub document: String,
}

#[derive(Template)]
#[template(path = "appointment.html")]
pub struct AppointmentPage {
    pub page: Page,
    pub message: Option<String>,
    pub locator: String,
    pub status: String,
    pub procedure: String,
    pub when: String,
    pub office: String,
    pub address: String,
    pub can_change: bool,
    /// Whether it may still be moved to another time (`max_reschedules`).
    pub can_move: bool,
    pub ics_url: Option<String>,
}

#[derive(Template)]
#[template(path = "cancel.html")]
pub struct CancelPage {
    pub page: Page,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "cancelled.html")]
pub struct CancelledPage {
    pub page: Page,
    pub message: String,
}

/// The page for a problem answer: what happened and what to do, in plain words.
pub fn problem_page(
    lang: &Lang,
    status: StatusCode,
    code: &str,
    retry_after: Option<u64>,
    reference: Option<String>,
) -> Response {
    let seconds = FluentArg::Number(i64::try_from(retry_after.unwrap_or(5)).unwrap_or(5));
    let (title, message) = match (status.as_u16(), code) {
        (404, _) | (405, _) => (
            lang.t("problem-not-found-title"),
            lang.t("problem-not-found"),
        ),
        (429, _) => (
            lang.t("problem-rate-limited-title"),
            lang.t_with("problem-rate-limited", &[("seconds", seconds)]),
        ),
        (503, "unavailable") => (
            lang.t("problem-unavailable-title"),
            lang.t("problem-unavailable"),
        ),
        (503, _) => (
            lang.t("problem-busy-title"),
            lang.t_with("problem-busy", &[("seconds", seconds)]),
        ),
        (403, "csrf") => (lang.t("problem-expired-title"), lang.t("problem-expired")),
        (413, "config_too_large") => (
            lang.t("staff-config-too-large-title"),
            lang.t("staff-config-too-large"),
        ),
        _ => (lang.t("problem-title"), lang.t("problem-other")),
    };
    let page = Page {
        lang: lang.clone(),
        title,
        csrf: String::new(),
        switch: Vec::new(),
        errors: Vec::new(),
    };
    let template = ProblemPage {
        reference: reference.map(|id| lang.t_with("problem-reference", &[("id", id.into())])),
        page,
        message,
    };
    match template.render() {
        Ok(body) => super::html(status, body),
        Err(_) => super::html(status, lang.t("problem-title")),
    }
}
