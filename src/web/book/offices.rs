//! The first two questions: which procedure, then which office (searchable by place).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use serde::Deserialize;

use crate::booking::BookingError;
use crate::calendar::local_date;
use crate::domain::{Office, Service, ServiceId};
use crate::http::AppState;

use super::super::Visit;
use super::super::i18n::FluentArg;
use super::super::pages::{OfficeView, OfficesPage, ProcedureView, ProceduresPage};
use super::encode;

/// The procedures, each once however many offices offer it.
pub async fn procedures(State(state): State<AppState>, visit: Visit) -> Response {
    let catalog = state.booking.catalog();
    let mut grouped: BTreeMap<String, (Service, Vec<u32>)> = BTreeMap::new();
    for office in catalog.offices() {
        for service in &office.services {
            grouped
                .entry(service.id.to_string())
                .or_insert_with(|| (service.clone(), Vec::new()))
                .1
                .push(service.duration_minutes);
        }
    }
    let mut procedures: Vec<ProcedureView> = grouped
        .into_iter()
        .map(|(id, (service, durations))| {
            let (low, high) = (
                durations.iter().min().copied().unwrap_or(0),
                durations.iter().max().copied().unwrap_or(0),
            );
            let minutes = if low == high {
                low.to_string()
            } else {
                format!("{low}–{high}")
            };
            ProcedureView {
                duration: visit
                    .lang
                    .t_with("procedure-duration", &[("minutes", minutes.into())]),
                offices: visit.lang.t_with(
                    "procedure-offices",
                    &[("count", FluentArg::Number(durations.len() as i64))],
                ),
                href: format!("/book/office?service_id={}", encode(&id)),
                name: service.name,
                description: service.description,
                requirements: service.requirements,
            }
        })
        .collect();
    procedures.sort_by(|a, b| a.name.cmp(&b.name));
    let template = ProceduresPage {
        page: visit.page("procedure-title"),
        procedures,
    };
    visit.render(StatusCode::OK, &template)
}

#[derive(Debug, Deserialize)]
pub struct OfficesQuery {
    service_id: String,
    #[serde(default)]
    q: String,
}

/// The offices that offer a procedure, each with its first day with free times.
pub async fn offices(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<OfficesQuery>,
) -> Response {
    let catalog = state.booking.catalog();
    let service_id = ServiceId::new(query.service_id.as_str());
    let offering: Vec<&Office> = catalog
        .offices()
        .filter(|o| o.service(&service_id).is_some())
        .collect();
    let Some(procedure) = offering
        .first()
        .and_then(|o| o.service(&service_id))
        .map(|s| s.name.clone())
    else {
        return visit.fail(BookingError::NotFound);
    };
    let wanted = fold(query.q.trim());
    let shown: Vec<&Office> = offering
        .iter()
        .copied()
        .filter(|o| wanted.is_empty() || place_of(o).contains(&wanted))
        .collect();
    let mut offices = Vec::new();
    for office in &shown {
        let Some(service) = office.service(&service_id) else {
            continue;
        };
        let today = local_date(office.timezone, visit.now);
        let days = i64::from(service.max_advance_days.min(61));
        let first = match state
            .booking
            .days(&office.id, &service_id, today, today + Duration::days(days))
            .await
        {
            Ok(list) => list.into_iter().find(|d| d.slots > 0).map(|d| d.date),
            Err(error) => return visit.fail(error),
        };
        offices.push(OfficeView {
            name: office.name.clone(),
            address: office.address.clone(),
            next: match first {
                Some(date) => visit.lang.t_with(
                    "office-next",
                    &[("date", visit.lang.short_date(date).into())],
                ),
                None => visit
                    .lang
                    .t_with("office-none", &[("days", FluentArg::Number(days + 1))]),
            },
            available: first.is_some(),
            href: format!(
                "/book/day?office_id={}&service_id={}",
                encode(office.id.as_str()),
                encode(service_id.as_str())
            ),
        });
    }
    let none_found = (offices.is_empty() && !wanted.is_empty()).then(|| {
        visit
            .lang
            .t_with("office-none-found", &[("query", query.q.trim().into())])
    });
    let template = OfficesPage {
        page: visit.page("office-title"),
        procedure: visit
            .lang
            .t_with("office-for", &[("procedure", procedure.into())]),
        service_id: query.service_id.clone(),
        query: query.q.trim().to_owned(),
        show_filter: offering.len() > 1,
        none_found,
        offices,
    };
    visit.render(StatusCode::OK, &template)
}

/// Lower case without accents, for the office filter ("Málaga" finds "malaga").
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            other => other,
        })
        .collect()
}

/// What the office filter searches: municipality, province, name and address.
fn place_of(office: &Office) -> String {
    fold(&format!(
        "{} {} {} {}",
        office.municipality.as_deref().unwrap_or(""),
        office.province.as_deref().unwrap_or(""),
        office.name,
        office.address
    ))
}
