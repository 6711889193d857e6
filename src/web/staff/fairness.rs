//! The fairness report (managers for their office, admins): per release in a range, how
//! many entered, who got the appointments — the public, staff, how many documents one
//! address booked for, the busiest 1 % of addresses' share — how fast they went and how
//! many were cancelled; as a table, a chart drawn on the server and a CSV download
//! ([`crate::booking::fairness_csv`], the same as `cita report fairness`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use crate::booking::{MAX_FAIRNESS_DAYS, ReleaseFairness, fairness_csv, fairness_svg};
use crate::calendar::local_date;
use crate::domain::Office;
use crate::http::AppState;

use super::super::book::encode;
use super::super::i18n::{FluentArg, Lang};
use super::super::visit::Page;
use super::StaffNav;
use super::StaffVisit;
use super::statistics::{
    RangeQuery, checked_within, csv_download, csv_range, decimal, percent, status_of, text_range,
};

#[derive(Template)]
#[template(path = "staff/fairness.html")]
pub struct FairnessPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    /// One row of cells per release, when the range is good.
    pub rows: Option<Vec<[String; 10]>>,
    pub chart: String,
    pub csv_href: String,
}

/// The fairness page.
pub async fn page(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<RangeQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let (from, to) = text_range(&staff, &office, &query);
    let (errors, rows, chart, csv_href) =
        match checked_within(&staff, &from, &to, MAX_FAIRNESS_DAYS) {
            Err(errors) => (errors, None, String::new(), String::new()),
            Ok((first, last)) => match state.booking.fairness(&office.id, first, last).await {
                Ok(found) => (
                    vec![],
                    Some(cells(&staff.visit.lang, &office, &found)),
                    chart(&staff.visit.lang, &office, &found),
                    format!(
                        "/staff/fairness.csv?office_id={}&from={first}&to={last}",
                        encode(office.id.as_str())
                    ),
                ),
                Err(error) => return staff.visit.fail(error),
            },
        };
    let status = status_of(&errors);
    let mut page = staff.page("staff-fairness-title");
    page.errors = errors;
    let template = FairnessPage {
        page,
        nav: staff.nav("/staff/fairness"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(&state),
        from,
        to,
        rows,
        chart,
        csv_href,
    };
    staff.visit.render(status, &template)
}

/// The same figures as CSV, one line per release.
pub async fn csv(
    State(state): State<AppState>,
    staff: StaffVisit,
    Query(query): Query<RangeQuery>,
) -> Response {
    let (staff, office, first, last) = match csv_range(&state, staff, &query, MAX_FAIRNESS_DAYS) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    match state.booking.fairness(&office.id, first, last).await {
        Ok(found) => csv_download(
            staff,
            &format!("cita-fairness-{}-{first}-{last}.csv", office.id),
            fairness_csv(&found),
        ),
        Err(error) => staff.visit.fail(error),
    }
}

fn cells(lang: &Lang, office: &Office, rows: &[ReleaseFairness]) -> Vec<[String; 10]> {
    let none = || "—".to_owned();
    rows.iter()
        .map(|r| {
            let f = &r.figures;
            [
                r.service_name.clone(),
                format!(
                    "{}, {}",
                    lang.short_date(local_date(office.timezone, r.instant)),
                    lang.time(r.instant, office.timezone)
                ),
                lang.t(&format!("staff-fairness-mode-{}", r.mode)),
                r.entrants.map_or_else(none, |n| n.to_string()),
                lang.t_with(
                    "staff-fairness-given",
                    &[
                        ("public", FluentArg::Number(f.public as i64)),
                        ("staff", FluentArg::Number(f.staff as i64)),
                    ],
                ),
                f.client_keys.to_string(),
                if f.client_keys == 0 {
                    none()
                } else {
                    format!(
                        "{} ({})",
                        decimal(lang, f.documents_per_key, 2),
                        f.most_documents_per_key
                    )
                },
                if f.client_keys == 0 {
                    none()
                } else {
                    percent(lang, f.top_share * 100.0)
                },
                f.sold_out_after.map_or_else(none, |s| {
                    lang.t_with(
                        "staff-fairness-seconds",
                        &[("seconds", FluentArg::Number(s))],
                    )
                }),
                match r.held_back_mean_seconds {
                    Some(seconds) => lang.t_with(
                        "staff-fairness-cancelled-back",
                        &[
                            ("count", FluentArg::Number(r.citizen_cancellations)),
                            ("minutes", FluentArg::Number((seconds + 59) / 60)),
                        ],
                    ),
                    None => r.citizen_cancellations.to_string(),
                },
            ]
        })
        .collect()
}

/// The chart, in the page's language and the office's time.
fn chart(lang: &Lang, office: &Office, rows: &[ReleaseFairness]) -> String {
    let label = |r: &ReleaseFairness| {
        lang.t_with(
            "staff-fairness-bar",
            &[
                ("procedure", r.service_name.clone().into()),
                (
                    "when",
                    format!(
                        "{}, {}",
                        lang.short_date(local_date(office.timezone, r.instant)),
                        lang.time(r.instant, office.timezone)
                    )
                    .into(),
                ),
                (
                    "mode",
                    lang.t(&format!("staff-fairness-mode-{}", r.mode)).into(),
                ),
                ("count", FluentArg::Number(r.figures.public as i64)),
            ],
        )
    };
    fairness_svg(rows, &lang.t("staff-fairness-chart"), label, |p| {
        percent(lang, p)
    })
}
