//! Closing the office for some days (a strike, a power cut): the dates and a reason, then
//! the appointments it would cancel — listed before anything happens — then confirm.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::booking::{BookingError, ClosureProblem, closure_problems};
use crate::calendar::local_date;
use crate::domain::Office;
use crate::http::AppState;

use super::super::i18n::FluentArg;
use super::super::visit::{FieldError, Page};
use super::{OfficeQuery, StaffNav, StaffVisit, date_range};

#[derive(Debug, Default, Deserialize)]
pub struct ClosureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    office_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "staff/closures.html")]
pub struct ClosuresPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub message: Option<String>,
    /// After a preview: what confirming would do, and the appointments it cancels.
    pub preview: Option<Preview>,
}

pub struct Preview {
    pub summary: String,
    pub appointments: Vec<(String, String, String)>,
}

/// The closure form.
pub async fn form(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Query(query): Query<OfficeQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let message = staff.visit.session.staff.message.take();
    let today = local_date(office.timezone, staff.visit.now).to_string();
    let form = ClosureForm {
        from: today.clone(),
        to: today,
        ..ClosureForm::default()
    };
    render(&state, staff, &office, &form, Vec::new(), message, None)
}

fn render(
    state: &AppState,
    staff: StaffVisit,
    office: &Office,
    form: &ClosureForm,
    errors: Vec<FieldError>,
    message: Option<String>,
    preview: Option<Preview>,
) -> Response {
    let mut page = staff.page("staff-closures-title");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let template = ClosuresPage {
        page,
        nav: staff.nav("/staff/closures"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(state),
        from: form.from.trim().to_owned(),
        to: form.to.trim().to_owned(),
        reason: form.reason.trim().to_owned(),
        message,
        preview,
    };
    staff.visit.render(status, &template)
}

/// The dates and reason, or each problem at its field.
fn checked(
    staff: &StaffVisit,
    form: &ClosureForm,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let lang = &staff.visit.lang;
    let dates = date_range(lang, &form.from, &form.to);
    let mut errors = dates.clone().err().unwrap_or_default();
    for problem in closure_problems(dates.clone().ok(), &form.reason) {
        let (field, id) = match problem {
            // Already said by `date_range`.
            ClosureProblem::ToBeforeFrom => continue,
            ClosureProblem::TooLong => ("to", "staff-closure-too-long"),
            ClosureProblem::Reason => ("reason", "staff-closure-reason-bad"),
        };
        errors.push(FieldError {
            field,
            message: lang.t(id),
        });
    }
    match dates {
        Ok(dates) if errors.is_empty() => Ok(dates),
        _ => Err(errors),
    }
}

/// What the closure would cancel, listed, with a confirm button.
pub async fn preview(
    State(state): State<AppState>,
    staff: StaffVisit,
    Form(form): Form<ClosureForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.managed_office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    let (from, to) = match checked(&staff, &form) {
        Ok(dates) => dates,
        Err(errors) => return render(&state, staff, &office, &form, errors, None, None),
    };
    let booked = match state
        .booking
        .closure_preview(&office.id, from, to, &form.reason)
        .await
    {
        Ok(booked) => booked,
        Err(error) => return staff.visit.fail(error),
    };
    let lang = staff.visit.lang.clone();
    let preview = Preview {
        summary: lang.t_with(
            "staff-closure-preview",
            &[
                ("from", lang.long_date(from).into()),
                ("to", lang.long_date(to).into()),
                ("count", FluentArg::Number(booked.len() as i64)),
            ],
        ),
        appointments: booked
            .iter()
            .map(|a| {
                (
                    format!(
                        "{}, {}",
                        lang.short_date(local_date(office.timezone, a.start)),
                        lang.time(a.start, office.timezone)
                    ),
                    a.citizen_name.clone(),
                    a.locator.to_string(),
                )
            })
            .collect(),
    };
    render(
        &state,
        staff,
        &office,
        &form,
        Vec::new(),
        None,
        Some(preview),
    )
}

/// Closes the office and cancels what it strands; back to the form with how many.
pub async fn confirm(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Form(form): Form<ClosureForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.managed_office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    let (from, to) = match checked(&staff, &form) {
        Ok(dates) => dates,
        Err(errors) => return render(&state, staff, &office, &form, errors, None, None),
    };
    let outcome = state
        .booking
        .close(
            &office.id,
            from,
            to,
            &form.reason,
            true,
            &staff.member.actor(),
        )
        .await;
    match outcome {
        Ok(outcome) => {
            let lang = staff.visit.lang.clone();
            staff.visit.session.staff.message = Some(lang.t_with(
                "staff-closure-done",
                &[
                    ("from", lang.long_date(from).into()),
                    ("to", lang.long_date(to).into()),
                    ("count", FluentArg::Number(i64::from(outcome.cancelled))),
                ],
            ));
            staff.visit.redirect(&format!(
                "/staff/closures?office_id={}",
                super::super::book::encode(office.id.as_str())
            ))
        }
        Err(BookingError::Validation(_)) => {
            let errors = checked(&staff, &form).err().unwrap_or_default();
            render(&state, staff, &office, &form, errors, None, None)
        }
        Err(error) => staff.visit.fail(error),
    }
}
