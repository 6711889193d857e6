//! A booking at the counter or by phone, for citizens without digital access: procedure,
//! the next free times (or a chosen day's), name and document, book; then the locator,
//! big enough to read out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate};
use serde::Deserialize;

use crate::booking::{BookRequest, BookingError, CitizenLimit};
use crate::calendar::local_date;
use crate::domain::{Office, ServiceId};
use crate::http::AppState;

use super::super::book::{citizen_input, document_type, document_types, field_errors};
use super::super::session::Details;
use super::super::visit::{FieldError, Page};
use super::{StaffNav, StaffVisit, agenda_of, procedure_name};

/// How many days ahead "the next free times" looks.
const LOOK_AHEAD_DAYS: i64 = 14;
/// How many of the next free times are offered.
const NEXT_TIMES: usize = 8;

#[derive(Debug, Default, Deserialize)]
pub struct WalkInQuery {
    #[serde(default)]
    office_id: Option<String>,
    #[serde(default)]
    service_id: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/walk_in.html")]
pub struct WalkInPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub services: Vec<(String, String)>,
    pub service_id: String,
    pub date: String,
    /// What the times are: "the next free times" or the chosen day.
    pub times_title: String,
    pub times: Vec<TimeChoice>,
    pub chosen: String,
    pub details: Details,
    pub document_types: Vec<(&'static str, String)>,
    pub key: String,
    pub message: Option<String>,
}

pub struct TimeChoice {
    pub value: String,
    pub label: String,
}

/// The walk-in page: procedure, times, the citizen's details.
pub async fn times(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<WalkInQuery>,
) -> Response {
    let Some(office) = staff.office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    walk_in_page(
        &state,
        staff,
        &office,
        &query,
        WalkInForm::default(),
        Vec::new(),
        None,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct WalkInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    office_id: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start: String,
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
    /// One key per form: a double submit books once.
    #[serde(default)]
    key: String,
}

impl WalkInForm {
    fn details(&self) -> Details {
        Details {
            name: self.name.trim().to_owned(),
            document_type: document_type(&self.document_type),
            document: self.document.trim().to_owned(),
            email: self.email.trim().to_owned(),
            phone: self.phone.trim().to_owned(),
        }
    }
}

async fn walk_in_page(
    state: &AppState,
    staff: StaffVisit,
    office: &Office,
    query: &WalkInQuery,
    form: WalkInForm,
    errors: Vec<FieldError>,
    message: Option<String>,
) -> Response {
    let lang = staff.visit.lang.clone();
    let service = query
        .service_id
        .as_deref()
        .and_then(|id| office.services.iter().find(|s| s.id.as_str() == id))
        .or_else(|| (office.services.len() == 1).then(|| &office.services[0]));
    let today = local_date(office.timezone, staff.visit.now);
    let date = query
        .date
        .as_deref()
        .and_then(|d| d.trim().parse::<NaiveDate>().ok());
    let mut times = Vec::new();
    let mut times_title = String::new();
    if let Some(service) = service {
        // One count of the coming days first, then the times of the days that have some.
        let days: Vec<NaiveDate> = match date {
            Some(date) => vec![date],
            None => {
                let last = today + Duration::days(LOOK_AHEAD_DAYS - 1);
                match state
                    .booking
                    .staff_days(&office.id, &service.id, today, last)
                    .await
                {
                    Ok(days) => days
                        .into_iter()
                        .filter(|d| d.slots > 0)
                        .map(|d| d.date)
                        .collect(),
                    Err(error) => return staff.visit.fail(error),
                }
            }
        };
        for day in days {
            let slots = match state
                .booking
                .staff_slots(&office.id, &service.id, day)
                .await
            {
                Ok(slots) => slots,
                Err(BookingError::OutsideBookingWindow | BookingError::Validation(_)) => vec![],
                Err(error) => return staff.visit.fail(error),
            };
            let day_label = if day == today {
                lang.t("staff-today")
            } else {
                lang.short_date(day)
            };
            for slot in slots {
                times.push(TimeChoice {
                    value: slot.start.with_timezone(&office.timezone).to_rfc3339(),
                    label: format!("{day_label} · {}", lang.time(slot.start, office.timezone)),
                });
            }
            if date.is_none() && times.len() >= NEXT_TIMES {
                break;
            }
        }
        if date.is_none() {
            times.truncate(NEXT_TIMES);
        }
        times_title = match date {
            Some(date) => lang.t_with(
                "staff-walk-in-times-on",
                &[("date", lang.long_date(date).into())],
            ),
            None => lang.t("staff-walk-in-next-times"),
        };
    }
    let mut page = staff.page("staff-walk-in-title");
    page.errors = errors;
    let template = WalkInPage {
        page,
        nav: staff.nav("/staff/walk-in"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(state),
        services: office
            .services
            .iter()
            .map(|s| (s.id.to_string(), s.name.clone()))
            .collect(),
        service_id: service.map(|s| s.id.to_string()).unwrap_or_default(),
        date: date.map(|d| d.to_string()).unwrap_or_default(),
        times_title,
        times,
        chosen: form.start.clone(),
        details: form.details(),
        document_types: document_types(&lang),
        key: if form.key.is_empty() {
            crate::booking::secrets::random_id()
        } else {
            form.key.clone()
        },
        message,
    };
    let status = if template.page.errors.is_empty() && template.message.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    staff.visit.render(status, &template)
}

/// Books the chosen time for the citizen at the counter or on the phone.
pub async fn book(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Form(form): Form<WalkInForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    let query = WalkInQuery {
        office_id: Some(form.office_id.clone()),
        service_id: Some(form.service_id.clone()),
        date: Some(form.date.clone()).filter(|d| !d.is_empty()),
    };
    let lang = staff.visit.lang.clone();
    let details = form.details();
    let mut errors = field_errors(&lang, citizen_input(&details, &lang).problems());
    let start = DateTime::parse_from_rfc3339(form.start.trim()).ok();
    if start.is_none() {
        errors.insert(
            0,
            FieldError {
                field: "start",
                message: lang.t("staff-walk-in-no-time"),
            },
        );
    }
    let Some(start) = start.filter(|_| errors.is_empty()) else {
        return walk_in_page(&state, staff, &office, &query, form, errors, None).await;
    };
    let request = BookRequest {
        office_id: office.id.clone(),
        service_id: ServiceId::new(form.service_id.as_str()),
        start: start.to_utc(),
        hold_id: None,
        citizen: citizen_input(&details, &lang),
    };
    let key = format!("staff:{}:web:{}", staff.member.id, form.key);
    let outcome = state
        .booking
        .book(&request, Some(&key), &staff.member.actor())
        .await;
    let message = match outcome {
        Ok(outcome) => {
            staff.visit.session.staff.booked = Some(outcome.appointment.locator.to_string());
            return staff.visit.redirect("/staff/walk-in/done");
        }
        Err(BookingError::SlotUnavailable | BookingError::OutsideBookingWindow) => {
            lang.t("staff-walk-in-taken")
        }
        Err(BookingError::CitizenLimitReached(CitizenLimit::Procedure)) => {
            lang.t("staff-walk-in-limit-procedure")
        }
        Err(BookingError::CitizenLimitReached(CitizenLimit::Overlap)) => {
            lang.t("staff-walk-in-limit-overlap")
        }
        Err(BookingError::NotFound) => return staff.not_found(),
        Err(BookingError::IdempotencyKeyReused) => lang.t("staff-walk-in-taken"),
        Err(error) => return staff.visit.fail(error),
    };
    let form = WalkInForm {
        start: String::new(),
        key: String::new(),
        ..form
    };
    walk_in_page(
        &state,
        staff,
        &office,
        &query,
        form,
        Vec::new(),
        Some(message),
    )
    .await
}

#[derive(Template)]
#[template(path = "staff/walk_in_done.html")]
pub struct WalkInDonePage {
    pub page: Page,
    pub nav: StaffNav,
    pub locator: String,
    pub spelled: String,
    pub summary: String,
    pub agenda_href: String,
}

/// The locator of the walk-in just booked, to read out or print.
pub async fn done(State(state): State<AppState>, staff: StaffVisit) -> Response {
    let Some(locator) = staff.visit.session.staff.booked.clone() else {
        return staff.visit.redirect("/staff/walk-in");
    };
    let appointment = match staff.appointment(&state, &locator).await {
        Ok(appointment) => appointment,
        Err(error) => return staff.visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let Ok(office) = catalog.office(&appointment.office_id) else {
        return staff.not_found();
    };
    let lang = staff.visit.lang.clone();
    let template = WalkInDonePage {
        page: staff.page("staff-walk-in-done-title"),
        nav: staff.nav("/staff/walk-in"),
        spelled: locator
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" "),
        summary: format!(
            "{} · {} · {}, {} · {}",
            appointment.citizen_name,
            procedure_name(office, &appointment),
            lang.long_date(local_date(office.timezone, appointment.start)),
            lang.time(appointment.start, office.timezone),
            office.address
        ),
        agenda_href: agenda_of(&state, &appointment),
        locator,
    };
    staff.visit.render(StatusCode::OK, &template)
}
