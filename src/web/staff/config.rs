//! The office configuration (admins): the configuration in force shown read-only, a new
//! one pasted or uploaded and checked problem by problem (each by line), and — when it
//! would strand appointments — those appointments listed with an explicit "cancel them and
//! apply" button. Confirming cancels only the appointments listed: if another one would be
//! stranded by then, the page lists the new set and asks again
//! ([`OnStranded::CancelOnly`]).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::booking::ConfigProblem;
use crate::booking::{BookingError, ConfigChangeError, OnStranded, Stranded};
use crate::calendar::local_date;
use crate::domain::Locator;
use crate::http::AppState;
use crate::http::auth::ADMIN_ONLY;

use super::super::i18n::FluentArg;
use super::super::visit::{FieldError, Page};
use super::{StaffNav, StaffVisit};

#[derive(Template)]
#[template(path = "staff/config.html")]
pub struct ConfigPage {
    pub page: Page,
    pub nav: StaffNav,
    pub message: Option<String>,
    /// The stored configuration's version and lines (empty before any import).
    pub version: Option<i64>,
    pub current: Vec<String>,
    /// The text in the edit box: the configuration in force, or the one just sent back.
    pub draft: String,
    /// Why the draft is not a valid configuration: line number, that line's text (so
    /// it can be found in the edit box, which has no numbers), what is wrong.
    pub problems: Vec<(usize, String, String)>,
    /// The appointments the draft would strand, with the button to cancel them.
    pub stranded: Option<StrandedList>,
}

pub struct StrandedList {
    pub summary: String,
    /// Office, when, procedure, citizen, locator, why.
    pub rows: Vec<[String; 6]>,
    /// The listed locators, sent back with the confirmation.
    pub agreed: String,
    pub confirm: String,
}

/// What the configuration form sends (multipart, so that a file can be uploaded).
#[derive(Debug, Default)]
struct ConfigForm {
    csrf: String,
    toml: String,
    file: Option<Vec<u8>>,
    agreed: Option<String>,
}

/// The configuration in force and the form to change it.
pub async fn show(State(state): State<AppState>, mut staff: StaffVisit) -> Response {
    if !staff.may(ADMIN_ONLY) {
        return staff.not_found();
    }
    let message = staff.visit.session.staff.message.take();
    let (current, version) = match stored(&state).await {
        Ok(stored) => stored,
        Err(error) => return staff.visit.fail(error),
    };
    let draft = current.clone();
    render(
        staff,
        StatusCode::OK,
        Draft {
            current,
            version,
            draft,
            problems: vec![],
            stranded: None,
            message,
            errors: vec![],
        },
    )
}

/// Checks and applies a new configuration, or shows why not.
pub async fn change(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    multipart: Multipart,
) -> Response {
    let form = match read_form(multipart).await {
        Ok(form) => form,
        Err(status) => {
            let lang = staff.visit.lang.clone();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                // Nothing was read, not even the form token: say why, change nothing.
                return staff.visit.respond(super::super::pages::problem_page(
                    &lang,
                    status,
                    "config_too_large",
                    None,
                    None,
                ));
            }
            return staff.visit.respond(super::super::pages::problem_page(
                &lang,
                StatusCode::BAD_REQUEST,
                "bad_request",
                None,
                None,
            ));
        }
    };
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    if !staff.may(ADMIN_ONLY) {
        return staff.not_found();
    }
    let (current, version) = match stored(&state).await {
        Ok(stored) => stored,
        Err(error) => return staff.visit.fail(error),
    };
    let lang = staff.visit.lang.clone();
    let mut draft = Draft {
        current,
        version,
        draft: form.toml.replace("\r\n", "\n"),
        problems: vec![],
        stranded: None,
        message: None,
        errors: vec![],
    };
    if let Some(file) = form.file.filter(|f| !f.is_empty()) {
        match String::from_utf8(file) {
            // Without the byte-order mark some editors write first.
            Ok(text) => draft.draft = text.trim_start_matches('\u{feff}').replace("\r\n", "\n"),
            Err(_) => {
                draft.errors.push(FieldError {
                    field: "file",
                    message: lang.t("staff-config-file-bad"),
                });
                return render(staff, StatusCode::UNPROCESSABLE_ENTITY, draft);
            }
        }
    }
    if draft.draft.trim().is_empty() {
        draft.errors.push(FieldError {
            field: "toml",
            message: lang.t("staff-config-empty"),
        });
        return render(staff, StatusCode::UNPROCESSABLE_ENTITY, draft);
    }
    let on_stranded = match form.agreed.as_deref() {
        None => OnStranded::Refuse,
        Some(agreed) => OnStranded::CancelOnly(
            agreed
                .split_whitespace()
                .filter_map(|l| Locator::parse(l).ok())
                .collect::<BTreeSet<_>>(),
        ),
    };
    match state
        .booking
        .change_config(&draft.draft, on_stranded, &staff.member.actor())
        .await
    {
        Ok(applied) => {
            staff.visit.session.staff.message = Some(if applied.changed {
                lang.t_with(
                    "staff-config-applied",
                    &[
                        ("version", FluentArg::Number(applied.version)),
                        (
                            "cancelled",
                            FluentArg::Number(applied.cancelled.len() as i64),
                        ),
                        ("moved", FluentArg::Number(applied.moved as i64)),
                    ],
                )
            } else {
                lang.t("staff-config-unchanged")
            });
            staff.visit.redirect("/staff/config")
        }
        Err(ConfigChangeError::Invalid(error)) => {
            draft.errors.push(FieldError {
                field: "toml",
                message: lang.t_with(
                    "staff-config-invalid",
                    &[("count", FluentArg::Number(error.problems().len() as i64))],
                ),
            });
            draft.problems = error.problems().to_vec();
            render(staff, StatusCode::UNPROCESSABLE_ENTITY, draft)
        }
        Err(ConfigChangeError::Conflict(stranded)) => {
            draft.stranded = Some(stranded_list(&state, &staff, &stranded));
            render(staff, StatusCode::CONFLICT, draft)
        }
        Err(ConfigChangeError::Booking(error)) => staff.visit.fail(error),
    }
}

/// The page's state between the handlers and the template.
struct Draft {
    current: String,
    version: Option<i64>,
    draft: String,
    problems: Vec<ConfigProblem>,
    stranded: Option<StrandedList>,
    message: Option<String>,
    errors: Vec<FieldError>,
}

fn render(staff: StaffVisit, status: StatusCode, draft: Draft) -> Response {
    let mut page = staff.page("staff-config-title");
    page.errors = draft.errors;
    let template = ConfigPage {
        page,
        nav: staff.nav("/staff/config"),
        message: draft.message,
        version: draft.version,
        current: draft.current.lines().map(str::to_owned).collect(),
        problems: draft
            .problems
            .into_iter()
            .map(|p| {
                let text = draft.draft.lines().nth(p.line.saturating_sub(1));
                (
                    p.line,
                    text.unwrap_or_default().trim().to_owned(),
                    p.message,
                )
            })
            .collect(),
        draft: draft.draft,
        stranded: draft.stranded,
    };
    staff.visit.render(status, &template)
}

/// The stored configuration's text and version (empty and `None` before any import).
async fn stored(state: &AppState) -> Result<(String, Option<i64>), BookingError> {
    Ok(match state.booking.stored_config().await? {
        Some((toml, version)) => (toml, Some(version)),
        None => (String::new(), None),
    })
}

/// The stranded appointments as rows, in the staff member's language.
fn stranded_list(state: &AppState, staff: &StaffVisit, stranded: &[Stranded]) -> StrandedList {
    let lang = &staff.visit.lang;
    let catalog = state.booking.catalog();
    let rows = stranded
        .iter()
        .map(|s| {
            let a = &s.appointment;
            let office = catalog.office(&a.office_id).ok();
            let (office_name, when, procedure) = match office {
                Some(office) => (
                    office.name.clone(),
                    format!(
                        "{}, {}",
                        lang.short_date(local_date(office.timezone, a.start)),
                        lang.time(a.start, office.timezone)
                    ),
                    super::procedure_name(office, a),
                ),
                None => (
                    a.office_id.to_string(),
                    a.start.format("%Y-%m-%d %H:%M UTC").to_string(),
                    a.service_id.to_string(),
                ),
            };
            [
                office_name,
                when,
                procedure,
                a.citizen_name.clone(),
                a.locator.to_string(),
                lang.t(&format!("staff-config-strand-{}", s.reason.code())),
            ]
        })
        .collect();
    let count = FluentArg::Number(stranded.len() as i64);
    StrandedList {
        summary: lang.t_with("staff-config-strands", &[("count", count.clone())]),
        rows,
        agreed: stranded
            .iter()
            .map(|s| s.appointment.locator.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        confirm: lang.t_with("staff-config-cancel-them", &[("count", count)]),
    }
}

/// The most a configuration form may carry: the text box (which starts as the whole
/// configuration in force) and a file, each well under it.
pub const CONFIG_FORM_LIMIT: usize = 2 * 1024 * 1024;

/// Reads the multipart form; `Err` with the status to answer when it is malformed (400)
/// or over [`CONFIG_FORM_LIMIT`] (413).
async fn read_form(mut multipart: Multipart) -> Result<ConfigForm, StatusCode> {
    let mut form = ConfigForm::default();
    let failed = |e: MultipartError| e.status();
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf" => form.csrf = field.text().await.map_err(failed)?,
            "toml" => form.toml = field.text().await.map_err(failed)?,
            "agreed" => form.agreed = Some(field.text().await.map_err(failed)?),
            "file" => form.file = Some(field.bytes().await.map_err(failed)?.to_vec()),
            _ => {}
        }
    }
    Ok(form)
}
