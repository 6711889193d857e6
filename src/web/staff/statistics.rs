//! Statistics (managers for their office, admins): per day and per procedure over a chosen
//! range, booked / attended / no-show / cancelled and the share of capacity used, as
//! tables, a bar chart drawn on the server ([`super::chart`]) and a CSV download with the
//! same figures per day and procedure.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use crate::booking::{BookingError, Counts, MAX_STATISTICS_DAYS, Statistics, share_percent};
use crate::calendar::local_date;
use crate::domain::{Office, ServiceId};
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::{FieldError, Page};
use super::{StaffNav, StaffVisit, chart, date_range};

#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    #[serde(default)]
    pub(super) office_id: Option<String>,
    #[serde(default)]
    pub(super) from: Option<String>,
    #[serde(default)]
    pub(super) to: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/statistics.html")]
pub struct StatisticsPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub figures: Option<Figures>,
}

/// The figures as the page shows them.
pub struct Figures {
    pub summary: String,
    pub chart: String,
    /// Date, booked, attended, no-show, cancelled, share of capacity.
    pub days: Vec<[String; 6]>,
    /// Procedure, booked, attended, no-show, cancelled, share of capacity.
    pub services: Vec<[String; 6]>,
    pub total: [String; 6],
    pub csv_href: String,
}

/// The statistics page.
pub async fn page(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<RangeQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let (from, to) = text_range(&staff, &office, &query);
    let (errors, figures) = match checked(&staff, &from, &to) {
        Err(errors) => (errors, None),
        Ok((first, last)) => match state.booking.statistics(&office.id, first, last).await {
            Ok(stats) => (vec![], Some(figures(&staff.visit.lang, &office, &stats))),
            Err(error) => return staff.visit.fail(error),
        },
    };
    let status = status_of(&errors);
    let mut page = staff.page("staff-stats-title");
    page.errors = errors;
    let template = StatisticsPage {
        page,
        nav: staff.nav("/staff/statistics"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(&state),
        from,
        to,
        figures,
    };
    staff.visit.render(status, &template)
}

/// The same figures as CSV, one row per day and procedure offered.
pub async fn csv(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<RangeQuery>,
) -> Response {
    let (staff, office, first, last) = match csv_range(&state, staff, &query, MAX_STATISTICS_DAYS) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let stats = match state.booking.statistics(&office.id, first, last).await {
        Ok(stats) => stats,
        Err(error) => return staff.visit.fail(error),
    };
    let body = csv_text(&office, &stats);
    csv_download(
        staff,
        &format!("cita-{}-{first}-{last}.csv", office.id),
        body,
    )
}

/// The office and range a CSV download asks for (at most `max_days`), or the answer
/// refusing it: 404 for an office the member does not manage, 422 for a bad range.
pub(super) fn csv_range(
    state: &AppState,
    staff: StaffVisit,
    query: &RangeQuery,
    max_days: i64,
) -> Result<(StaffVisit, Office, NaiveDate, NaiveDate), Box<Response>> {
    let Some(office) = staff.managed_office(state, query.office_id.as_deref()) else {
        return Err(Box::new(staff.not_found()));
    };
    let (from, to) = text_range(&staff, &office, query);
    match checked_within(&staff, &from, &to, max_days) {
        Ok((first, last)) => Ok((staff, office, first, last)),
        Err(_) => Err(Box::new(staff.visit.fail(BookingError::Validation(
            "from and to must be dates, from before to".into(),
        )))),
    }
}

/// 422 when the form came back with problems.
pub(super) fn status_of(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// `body` as a CSV file named `name` to download.
pub(super) fn csv_download(staff: StaffVisit, name: &str, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    staff.visit.respond(response)
}

/// The range asked for as written; by default four weeks around today (the last two
/// and the next two), so the days already booked show too.
pub(super) fn text_range(
    staff: &StaffVisit,
    office: &Office,
    query: &RangeQuery,
) -> (String, String) {
    let today = local_date(office.timezone, staff.visit.now);
    let or = |given: &Option<String>, default: NaiveDate| {
        given
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map_or_else(|| default.to_string(), str::to_owned)
    };
    (
        or(&query.from, today - Duration::days(14)),
        or(&query.to, today + Duration::days(13)),
    )
}

/// The range, or each problem at its field.
fn checked(
    staff: &StaffVisit,
    from: &str,
    to: &str,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    checked_within(staff, from, to, MAX_STATISTICS_DAYS)
}

/// [`checked`] with at most `max_days` days.
pub(super) fn checked_within(
    staff: &StaffVisit,
    from: &str,
    to: &str,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let lang = &staff.visit.lang;
    let (first, last) = date_range(lang, from, to)?;
    if (last - first).num_days() >= max_days {
        return Err(vec![FieldError {
            field: "to",
            message: lang.t_with(
                "staff-stats-too-long",
                &[("days", FluentArg::Number(max_days))],
            ),
        }]);
    }
    Ok((first, last))
}

fn figures(lang: &Lang, office: &Office, stats: &Statistics) -> Figures {
    let row = |label: String, c: &Counts, capacity: i64| {
        [
            label,
            c.booked.to_string(),
            c.attended.to_string(),
            c.no_show.to_string(),
            c.cancelled.to_string(),
            percent(lang, share_percent(c.used_minutes, capacity)),
        ]
    };
    let summary = lang.t_with(
        "staff-stats-summary",
        &[
            ("from", lang.long_date(stats.from).into()),
            ("to", lang.long_date(stats.to).into()),
            ("booked", FluentArg::Number(i64::from(stats.total.booked))),
            (
                "share",
                percent(
                    lang,
                    share_percent(stats.total.used_minutes, stats.capacity_minutes),
                )
                .into(),
            ),
        ],
    );
    Figures {
        chart: chart::day_bars(&stats.days, &summary, |d| {
            format!("{}/{}", d.date.day(), d.date.month())
        }),
        days: stats
            .days
            .iter()
            .map(|d| row(lang.short_date(d.date), &d.total, d.capacity_minutes))
            .collect(),
        services: stats
            .by_service
            .iter()
            .map(|(id, c)| row(service_name(office, id), c, stats.capacity_minutes))
            .collect(),
        total: row(
            lang.t("staff-stats-total"),
            &stats.total,
            stats.capacity_minutes,
        ),
        csv_href: format!(
            "/staff/statistics.csv?office_id={}&from={}&to={}",
            encode(office.id.as_str()),
            stats.from,
            stats.to
        ),
        summary,
    }
}

pub(super) fn percent(lang: &Lang, value: f64) -> String {
    let text = decimal(lang, value, 1);
    if lang.code() == "es" {
        format!("{text} %")
    } else {
        format!("{text}%")
    }
}

/// `value` with `places` decimals, written with the language's decimal mark.
pub(super) fn decimal(lang: &Lang, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    if lang.code() == "es" {
        text.replace('.', ",")
    } else {
        text
    }
}

fn service_name(office: &Office, id: &ServiceId) -> String {
    office
        .service(id)
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// One row per day and procedure (every one offered, zeros included), so a spreadsheet
/// sees a regular grid.
fn csv_text(office: &Office, stats: &Statistics) -> String {
    let mut out = String::from(
        "date,procedure_id,procedure,booked,attended,no_show,cancelled,used_minutes,capacity_minutes,capacity_share_percent\r\n",
    );
    for day in &stats.days {
        for (id, c) in &day.by_service {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{:.1}\r\n",
                day.date,
                csv_field(id.as_str()),
                csv_field(&service_name(office, id)),
                c.booked,
                c.attended,
                c.no_show,
                c.cancelled,
                c.used_minutes,
                day.capacity_minutes,
                share_percent(c.used_minutes, day.capacity_minutes)
            ));
        }
    }
    out
}

/// A CSV field: quoted when needed, and never read as a formula by a spreadsheet.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Huellas"), "Huellas");
        assert_eq!(csv_field("A, B"), "\"A, B\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-2,3"), "\"'-2,3\"");
    }
}
