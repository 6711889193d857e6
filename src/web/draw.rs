//! A release draw's pages: what it is, in plain words, with the form to enter it; the
//! confirmation with the entry code to write down; and the result, found again with the
//! code and the document (as an appointment is with its locator and the document).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::{BookingError, DrawInfo, DrawState, EntryRequest, EntryStatus};
use crate::calendar::local_date;
use crate::domain::Office;
use crate::http::AppState;

use super::Visit;
use super::book::{citizen_input, document_type, document_types, field_errors, when};
use super::i18n::{FluentArg, Lang};
use super::pages::{DrawEnteredPage, DrawPage, DrawResultPage};
use super::session::{Details, EntryHeld};
use super::visit::FieldError;

#[derive(Debug, Deserialize)]
pub struct DrawQuery {
    #[serde(default)]
    id: String,
}

/// The draw named in the address: what it gives out, when, and the form while open.
pub async fn draw(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<DrawQuery>,
) -> Response {
    draw_page(&state, visit, &q.id, Typed::default(), Vec::new()).await
}

/// What the form sent back, to show again with its problems.
#[derive(Debug, Default)]
struct Typed {
    details: Details,
    from: String,
    to: String,
    part: String,
}

/// `at` as the arguments `date` and `time` of a message, on the office's clock (which
/// the time names in the Canaries, an hour behind the peninsula).
pub(super) fn instant_args(
    lang: &Lang,
    office: &Office,
    at: DateTime<Utc>,
) -> Vec<(&'static str, FluentArg)> {
    vec![
        (
            "date",
            lang.long_date(local_date(office.timezone, at)).into(),
        ),
        ("time", clock_time(lang, office, at).into()),
    ]
}

/// `at` on the office's clock, named as the Canaries' time there (an hour behind the
/// peninsula).
pub(crate) fn clock_time(lang: &Lang, office: &Office, at: DateTime<Utc>) -> String {
    let time = lang.time(at, office.timezone);
    if office.timezone == chrono_tz::Atlantic::Canary {
        format!("{time} ({})", lang.t("zone-canary"))
    } else {
        time
    }
}

async fn draw_page(
    state: &AppState,
    visit: Visit,
    id: &str,
    typed: Typed,
    errors: Vec<FieldError>,
) -> Response {
    let info = match state.booking.draw(id).await {
        Ok(info) => info,
        Err(error) => return visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&info.draw.office_id, &info.draw.service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = visit.lang.clone();
    let draw = &info.draw;
    let (first, last) = draw.dates();
    let dates: Vec<(String, String)> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d.to_string(), lang.long_date(d)))
        .collect();
    let mut when_args = instant_args(&lang, office, draw.instant);
    let close = draw.entries_close_at();
    when_args.push((
        "close_date",
        lang.long_date(local_date(office.timezone, close)).into(),
    ));
    when_args.push(("close_time", clock_time(&lang, office, close).into()));
    let status = match info.state {
        DrawState::Open => None,
        DrawState::Upcoming => Some(lang.t_with(
            "draw-not-yet",
            &instant_args(&lang, office, draw.entries_open_at()),
        )),
        DrawState::Closed => {
            Some(lang.t_with("draw-closed", &instant_args(&lang, office, draw.instant)))
        }
        DrawState::Drawn => Some(lang.t("draw-drawn")),
    };
    let part = if typed.part.is_empty() {
        "any".to_owned()
    } else {
        typed.part.clone()
    };
    let details = Details {
        document_type: document_type(&typed.details.document_type),
        ..typed.details
    };
    let mut page = visit.page("draw-title");
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let template = DrawPage {
        page,
        procedure: service.name.clone(),
        office: office.name.clone(),
        how: lang.t("draw-how"),
        when: lang.t_with("draw-when", &when_args),
        dates_text: if first == last {
            lang.t_with("draw-dates-one", &[("first", lang.long_date(first).into())])
        } else {
            lang.t_with(
                "draw-dates",
                &[
                    ("first", lang.long_date(first).into()),
                    ("last", lang.long_date(last).into()),
                ],
            )
        },
        status,
        draw_id: draw.id.clone(),
        from: if typed.from.is_empty() {
            first.to_string()
        } else {
            typed.from
        },
        to: if typed.to.is_empty() {
            last.to_string()
        } else {
            typed.to
        },
        dates,
        parts: ["any", "morning", "afternoon"]
            .into_iter()
            .map(|p| (p, lang.t(&format!("draw-part-{p}"))))
            .collect(),
        part,
        details,
        document_types: document_types(&lang),
    };
    visit.render(status_code, &template)
}

#[derive(Debug, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    draw_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    part_of_day: String,
}

/// Enters the draw; problems are shown at their fields, the page kept as typed.
pub async fn enter(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<EntryForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let typed = Typed {
        details: Details {
            name: form.name.trim().to_owned(),
            document_type: document_type(&form.document_type),
            document: form.document.trim().to_owned(),
            email: form.email.trim().to_owned(),
            phone: String::new(),
        },
        from: form.from.trim().to_owned(),
        to: form.to.trim().to_owned(),
        part: form.part_of_day.trim().to_owned(),
    };
    let citizen = citizen_input(&typed.details, &visit.lang);
    let mut errors = field_errors(&visit.lang, citizen.problems());
    let dates = match (
        typed.from.parse::<NaiveDate>(),
        typed.to.parse::<NaiveDate>(),
    ) {
        (Ok(from), Ok(to)) if from <= to => Some((from, to)),
        _ => None,
    };
    if dates.is_none() {
        errors.push(FieldError {
            field: "from",
            message: visit.lang.t("draw-error-dates"),
        });
    }
    let (Some((from, to)), true) = (dates, errors.is_empty()) else {
        return draw_page(&state, visit, &form.draw_id, typed, errors).await;
    };
    if let Err(limited) = state.settings.check_document(&typed.details.document).await {
        return visit.fail_api(limited);
    }
    let request = EntryRequest {
        citizen,
        from,
        to,
        part_of_day: typed.part.clone(),
    };
    let refusal = match state.booking.enter_draw(&form.draw_id, &request).await {
        Ok(entered) => {
            visit.session.entry = Some(EntryHeld {
                draw_id: entered.draw_id,
                token: entered.token,
                entry_code: entered.entry_code,
                salt: entered.salt,
                entry_hash: entered.entry_hash,
            });
            return visit.redirect("/draw/entered");
        }
        Err(BookingError::AlreadyEntered) => ("document", "draw-error-entered"),
        Err(BookingError::CitizenLimitReached(_)) => ("document", "draw-error-limit"),
        Err(BookingError::InvalidDocument(_)) => ("document", "error-document-format"),
        Err(BookingError::DrawClosed) => ("from", "draw-error-closed"),
        Err(BookingError::Validation(_)) => ("from", "draw-error-dates"),
        Err(error) => return visit.fail(error),
    };
    let errors = vec![FieldError {
        field: refusal.0,
        message: visit.lang.t(refusal.1),
    }];
    draw_page(&state, visit, &form.draw_id, typed, errors).await
}

/// The entry just made: the code to write down, when the draw is, the receipt.
pub async fn entered(State(state): State<AppState>, visit: Visit) -> Response {
    let Some(entry) = visit.session.entry.clone() else {
        return visit.redirect("/draw/result");
    };
    let info: DrawInfo = match state.booking.draw(&entry.draw_id).await {
        Ok(info) => info,
        Err(error) => return visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&info.draw.office_id, &info.draw.service_id) else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = visit.lang.clone();
    let template = DrawEnteredPage {
        page: visit.page("draw-entered-title"),
        procedure: service.name.clone(),
        office: office.name.clone(),
        lead: lang.t_with(
            "draw-entered-lead",
            &instant_args(&lang, office, info.draw.instant),
        ),
        entry_code: entry.entry_code,
        salt: entry.salt,
        entry_hash: entry.entry_hash,
        draw_id: entry.draw_id,
    };
    visit.render(StatusCode::OK, &template)
}

/// The result of the session's entry, or the form to find one.
pub async fn result(State(state): State<AppState>, visit: Visit) -> Response {
    let Some(entry) = visit.session.entry.clone() else {
        return result_page(
            &state,
            visit,
            None,
            String::new(),
            String::new(),
            Vec::new(),
        );
    };
    match state.booking.draw_entry(&entry.token).await {
        Ok(status) => result_page(
            &state,
            visit,
            Some(status),
            String::new(),
            String::new(),
            Vec::new(),
        ),
        Err(BookingError::NotFound) => result_page(
            &state,
            visit,
            None,
            String::new(),
            String::new(),
            Vec::new(),
        ),
        Err(error) => visit.fail(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResultForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entry_code: String,
    #[serde(default)]
    document: String,
}

/// Finds an entry by its code and document; a failure is charged to the client and the
/// code, as a failed appointment look-up is.
pub async fn look_up_result(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<ResultForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let code = form.entry_code.trim().to_owned();
    let document = form.document.trim().to_owned();
    let mut errors = Vec::new();
    if code.is_empty() {
        errors.push(FieldError {
            field: "entry_code",
            message: visit.lang.t("draw-error-code-empty"),
        });
    }
    if document.is_empty() {
        errors.push(FieldError {
            field: "document",
            message: visit.lang.t("error-document-empty"),
        });
    }
    if errors.is_empty() {
        if let Err(limited) = state.settings.check_lookup(visit.client, &code).await {
            return visit.fail_api(limited);
        }
        match state.booking.draw_entry_by_code(&code, &document).await {
            Ok(status) => {
                visit.session.entry = None;
                return result_page(
                    &state,
                    visit,
                    Some(status),
                    String::new(),
                    String::new(),
                    Vec::new(),
                );
            }
            Err(BookingError::NotFound) => {
                state.settings.lookup_failed(visit.client, &code).await;
                errors.push(FieldError {
                    field: "entry_code",
                    message: visit.lang.t("draw-error-not-found"),
                });
            }
            Err(error) => return visit.fail(error),
        }
    }
    result_page(&state, visit, None, code, document, errors)
}

fn result_page(
    state: &AppState,
    visit: Visit,
    status: Option<EntryStatus>,
    code: String,
    document: String,
    errors: Vec<FieldError>,
) -> Response {
    let lang = visit.lang.clone();
    let catalog = state.booking.catalog();
    let mut outcome = None;
    let mut locator = None;
    if let Some(status) = &status
        && let Ok((office, service)) =
            catalog.service(&status.draw.draw.office_id, &status.draw.draw.service_id)
    {
        let heading = format!("{} · {}", service.name, office.name);
        let text = match (status.result.as_str(), &status.appointment) {
            ("assigned", Some(appointment)) => {
                locator = Some(appointment.locator.to_string());
                lang.t_with(
                    "draw-result-assigned",
                    &[("when", when(&lang, office, appointment.start).into())],
                )
            }
            ("refused", _) => lang.t("draw-result-refused"),
            ("none", _) => {
                let mut text = lang.t("draw-result-none");
                if status.draw.draw.rules.priority_to_unlucky {
                    text = format!("{text} {}", lang.t("draw-result-priority"));
                }
                text
            }
            _ => lang.t_with(
                "draw-result-waiting",
                &instant_args(&lang, office, status.draw.draw.instant),
            ),
        };
        outcome = Some((heading, text));
    }
    let mut page = visit.page("draw-result-title");
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let template = DrawResultPage {
        page,
        outcome,
        locator,
        entry_code: code,
        document,
    };
    visit.render(status_code, &template)
}
