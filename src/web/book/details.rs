//! The citizen's details: the form, its checking (shared with the counter's walk-in form),
//! and asking for more time on the hold.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde::Deserialize;

use crate::booking::{CitizenInput, CitizenProblem};
use crate::calendar::local_date;
use crate::domain::{DocumentError, MESSAGE_LANGUAGES};
use crate::http::AppState;

use super::super::Visit;
use super::super::i18n::{FluentArg, Lang};
use super::super::pages::DetailsPage;
use super::super::session::{CsrfForm, Details};
use super::super::visit::FieldError;
use super::{chosen, describe, encode};

/// How many times a citizen may ask for more time on one hold.
const MAX_EXTENSIONS: u8 = 2;

/// The details form, with how long the time is kept.
pub async fn details(State(state): State<AppState>, visit: Visit) -> Response {
    details_page(&state, visit, None, Vec::new())
}

pub(super) fn details_page(
    state: &AppState,
    visit: Visit,
    typed: Option<Details>,
    errors: Vec<FieldError>,
) -> Response {
    let catalog = state.booking.catalog();
    let draft = &visit.session.draft;
    let Some((office, service, start)) = chosen(&catalog, draft) else {
        return visit.redirect("/book");
    };
    let lang = &visit.lang;
    let now = visit.now.timestamp();
    let expires = draft.hold_expires.unwrap_or(0);
    let live = draft.hold_id.is_some() && expires > now;
    let expires_at = DateTime::from_timestamp(expires, 0).unwrap_or(visit.now);
    let hold_text = if live {
        let key = if draft.extensions > 0 {
            "details-held-extended"
        } else {
            "details-held"
        };
        lang.t_with(
            key,
            &[("time", lang.time(expires_at, office.timezone).into())],
        )
    } else {
        lang.t("details-hold-expired")
    };
    // The document a waiting room let in, if any: the booking must be for it.
    let queued = visit.session.queue.as_ref().map(|held| Details {
        document_type: held.document_type.clone(),
        document: held.document.clone(),
        ..Details::default()
    });
    let details = typed
        .or_else(|| draft.details.clone())
        .or(queued)
        .unwrap_or_else(|| Details {
            document_type: "dni".into(),
            ..Details::default()
        });
    let mut page = visit.page("details-title");
    page.errors = errors;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let template = DetailsPage {
        back_href: format!(
            "/book/time?office_id={}&service_id={}&date={}",
            encode(office.id.as_str()),
            encode(service.id.as_str()),
            local_date(office.timezone, start)
        ),
        summary: describe(lang, office, service, start),
        hold_text,
        expired: !live,
        can_extend: live && draft.extensions < MAX_EXTENSIONS,
        expires_at: if live { expires } else { 0 },
        details,
        document_types: document_types(lang),
        privacy: lang.t_with(
            "details-privacy",
            &[
                ("days", FluentArg::Number(catalog.retention.num_days())),
                ("link", "/privacidad".into()),
            ],
        ),
        page,
    };
    visit.render(status, &template)
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

/// The citizen's details as the booking layer takes them.
/// The document types a form offers, with their names: (`document_type`, label).
pub(crate) fn document_types(lang: &Lang) -> Vec<(&'static str, String)> {
    ["dni", "nie", "passport"]
        .into_iter()
        .map(|code| (code, lang.t(&format!("document-type-{code}"))))
        .collect()
}

/// The `document_type` a form sent, as one of [`document_types`] (a DNI when unknown).
pub(crate) fn document_type(sent: &str) -> String {
    match sent {
        "nie" | "passport" => sent.to_owned(),
        _ => "dni".to_owned(),
    }
}

/// What a form typed, with the page's language for the citizen's messages.
pub(crate) fn citizen_input(details: &Details, lang: &Lang) -> CitizenInput {
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    CitizenInput {
        name: details.name.clone(),
        document: details.document.clone(),
        document_type: optional(&details.document_type),
        email: optional(&details.email),
        phone: optional(&details.phone),
        language: Some(lang.code()).filter(|code| MESSAGE_LANGUAGES.contains(&code.as_str())),
    }
}

/// Each problem at its field, in plain words, in the order of the fields on the page (the
/// error summary lists them top to bottom, as a reader meets them).
pub(crate) fn field_errors(lang: &Lang, problems: Vec<CitizenProblem>) -> Vec<FieldError> {
    const ORDER: [&str; 4] = ["name", "document", "email", "phone"];
    let mut errors: Vec<FieldError> = problems
        .into_iter()
        .filter_map(|problem| {
            let (field, id) = match problem {
                CitizenProblem::NameEmpty => ("name", "error-name-empty"),
                CitizenProblem::NameTooLong => ("name", "error-name-long"),
                CitizenProblem::Document(DocumentError::Empty) => {
                    ("document", "error-document-empty")
                }
                CitizenProblem::Document(DocumentError::WrongCheckLetter) => {
                    ("document", "error-document-letter")
                }
                CitizenProblem::Document(DocumentError::InvalidPassport) => {
                    ("document", "error-document-passport")
                }
                CitizenProblem::Document(_) => ("document", "error-document-format"),
                CitizenProblem::Email => ("email", "error-email"),
                CitizenProblem::Phone => ("phone", "error-phone"),
                // The pages send only their own language, which is always one of them.
                CitizenProblem::Language => return None,
            };
            Some(FieldError {
                field,
                message: lang.t(id),
            })
        })
        .collect();
    errors.sort_by_key(|error| ORDER.iter().position(|field| *field == error.field));
    errors
}

/// The details were sent: keep them (on the visitor's device, encrypted) and check.
pub async fn save_details(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<DetailsForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let typed = Details {
        name: form.name.trim().to_owned(),
        document_type: document_type(&form.document_type),
        document: form.document.trim().to_owned(),
        email: form.email.trim().to_owned(),
        phone: form.phone.trim().to_owned(),
    };
    let problems = citizen_input(&typed, &visit.lang).problems();
    if !problems.is_empty() {
        let errors = field_errors(&visit.lang, problems);
        return details_page(&state, visit, Some(typed), errors);
    }
    visit.session.draft.details = Some(typed);
    visit.redirect("/book/check")
}

/// More time to fill in the form (WCAG 2.2.1), twice at most.
pub async fn extend(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let draft = &visit.session.draft;
    if let Some(hold) = draft.hold_id.clone()
        && draft.extensions < MAX_EXTENSIONS
    {
        match state.booking.extend_hold(&hold).await {
            Ok(Some(expires)) => {
                visit.session.draft.hold_expires = Some(expires.timestamp());
                visit.session.draft.extensions += 1;
            }
            Ok(None) => {}
            Err(error) => return visit.fail(error),
        }
    }
    visit.redirect("/book/details")
}
