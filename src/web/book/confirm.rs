//! The last pages: checking the answers, confirming (the booking itself), and the
//! confirmation with the calendar file.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::booking::{Actor, BookRequest, BookingError};
use crate::calendar::local_date;
use crate::http::AppState;

use super::super::Visit;
use super::super::pages::{CheckPage, CheckRow, DonePage};
use super::super::session::{CsrfForm, Draft, Held};
use super::details::{citizen_input, details_page, field_errors};
use super::{chosen, encode, ics_url, when};

/// Check your answers, each with a link to change it.
pub async fn check(State(state): State<AppState>, visit: Visit) -> Response {
    check_page(&state, visit, None)
}

fn check_page(state: &AppState, visit: Visit, message: Option<String>) -> Response {
    let catalog = state.booking.catalog();
    let draft = &visit.session.draft;
    let Some((office, service, start)) = chosen(&catalog, draft) else {
        return visit.redirect("/book");
    };
    let Some(details) = draft.details.clone() else {
        return visit.redirect("/book/details");
    };
    let lang = &visit.lang;
    let none = || lang.t("check-none");
    let document_label = lang.t(&format!("document-type-{}", details.document_type));
    // As it will be stored: upper case, without spaces, dots or dashes.
    let document = crate::domain::Document::parse(&details.document, Some(&details.document_type))
        .map_or_else(|_| details.document.clone(), |d| d.number().to_owned());
    let rows = vec![
        CheckRow {
            label: lang.t("check-procedure"),
            value: service.name.clone(),
            href: "/book".into(),
        },
        CheckRow {
            label: lang.t("check-office"),
            value: format!("{} — {}", office.name, office.address),
            href: format!("/book/office?service_id={}", encode(service.id.as_str())),
        },
        CheckRow {
            label: lang.t("check-when"),
            value: lang.t_with(
                "done-when",
                &[
                    (
                        "date",
                        lang.long_date(local_date(office.timezone, start)).into(),
                    ),
                    ("time", lang.time(start, office.timezone).into()),
                ],
            ),
            href: format!(
                "/book/day?office_id={}&service_id={}",
                encode(office.id.as_str()),
                encode(service.id.as_str())
            ),
        },
        CheckRow {
            label: lang.t("check-name"),
            value: details.name.clone(),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-document"),
            value: format!("{document_label} {document}"),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-email"),
            value: Some(details.email.clone())
                .filter(|e| !e.is_empty())
                .unwrap_or_else(none),
            href: "/book/details".into(),
        },
        CheckRow {
            label: lang.t("check-phone"),
            value: Some(details.phone.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(none),
            href: "/book/details".into(),
        },
    ];
    let status = if message.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let template = CheckPage {
        page: visit.page("check-title"),
        message,
        rows,
    };
    visit.render(status, &template)
}

/// Confirm: book it.
pub async fn confirm(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let catalog = state.booking.catalog();
    let draft = visit.session.draft.clone();
    let Some((office, service, start)) = chosen(&catalog, &draft) else {
        return visit.redirect("/book");
    };
    let Some(details) = draft.details.clone() else {
        return visit.redirect("/book/details");
    };
    if let Some(room) = crate::web::queue::room_first(
        &state,
        &visit,
        (&office.id, &service.id),
        start,
        Some((
            details.document.as_str(),
            Some(details.document_type.as_str()),
        )),
    ) {
        return visit.redirect(&room);
    }
    if let Err(limited) = state.settings.check_document(&details.document).await {
        return visit.fail_api(limited);
    }
    // One key per draft: a double submit or a retry books once.
    let key = draft
        .key
        .clone()
        .unwrap_or_else(crate::booking::secrets::random_id);
    visit.session.draft.key = Some(key.clone());
    let request = BookRequest {
        office_id: office.id.clone(),
        service_id: service.id.clone(),
        start,
        hold_id: draft.hold_id.clone(),
        citizen: citizen_input(&details, &visit.lang),
    };
    match state
        .booking
        .book_from(
            &request,
            Some(&format!("web:{key}")),
            &Actor::Citizen,
            Some(&visit.client.to_string()),
        )
        .await
    {
        Ok(outcome) => {
            visit.session.done = Some(Held {
                locator: outcome.appointment.locator.to_string(),
                token: outcome.token,
                calendar_token: Some(outcome.calendar_token),
            });
            // The details leave the cookie once they are in the appointment.
            visit.session.draft = Draft::default();
            visit.redirect("/book/done")
        }
        Err(BookingError::SlotUnavailable | BookingError::OutsideBookingWindow) => {
            visit.session.draft.hold_id = None;
            let retry = format!(
                "/book/time?office_id={}&service_id={}&date={}&taken={}",
                encode(office.id.as_str()),
                encode(service.id.as_str()),
                local_date(office.timezone, start),
                encode(&start.with_timezone(&office.timezone).to_rfc3339())
            );
            visit.redirect(&retry)
        }
        Err(BookingError::CitizenLimitReached(limit)) => {
            let message = visit.lang.t(crate::web::citizen_limit_message(limit));
            check_page(&state, visit, Some(message))
        }
        Err(BookingError::InvalidDocument(_) | BookingError::Validation(_)) => {
            let problems = citizen_input(&details, &visit.lang).problems();
            let errors = field_errors(&visit.lang, problems);
            details_page(&state, visit, Some(details), errors)
        }
        Err(error) => visit.fail(error),
    }
}

/// The confirmation: the locator, big; when and where; what to bring; the calendar file.
pub async fn done(State(state): State<AppState>, visit: Visit) -> Response {
    let Some(held) = visit.session.done.clone() else {
        return visit.redirect("/");
    };
    let appointment = match state.booking.get(&held.locator, &held.token).await {
        Ok(appointment) => appointment,
        Err(BookingError::NotFound) => return visit.redirect("/"),
        Err(error) => return visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok((office, service)) = catalog.service(&appointment.office_id, &appointment.service_id)
    else {
        return visit.fail(BookingError::NotFound);
    };
    let lang = &visit.lang;
    let template = DonePage {
        page: visit.page("done-title"),
        locator: held.locator.clone(),
        procedure: service.name.clone(),
        when: when(lang, office, appointment.start),
        office: office.name.clone(),
        address: office.address.clone(),
        requirements: service.requirements.clone(),
        ics_url: ics_url(&held),
    };
    visit.render(StatusCode::OK, &template)
}
