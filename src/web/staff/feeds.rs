//! Calendar feed links (managers for their office, admins): create an office's or a
//! desk's `.ics` link — shown once, since only its hash is stored — with a copy button and
//! how to subscribe in Google Calendar, Outlook and Thunderbird; list the live links and
//! revoke one after a confirmation (calendars using it stop updating).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::booking::FeedLink;
use crate::calendar::local_date;
use crate::domain::{DeskId, Office};
use crate::http::AppState;

use super::super::book::encode;
use super::super::visit::Page;
use super::{OfficeQuery, StaffNav, StaffVisit};

#[derive(Template)]
#[template(path = "staff/feeds.html")]
pub struct FeedsPage {
    pub page: Page,
    pub nav: StaffNav,
    pub office_id: String,
    pub office_name: String,
    pub offices: Vec<(String, String)>,
    pub message: Option<String>,
    /// `(desk id, label)`; an empty id is the whole office.
    pub scopes: Vec<(String, String)>,
    /// A link just created: shown once.
    pub created: Option<Created>,
    /// A link about to be revoked: the confirmation.
    pub revoking: Option<Row>,
    pub links: Vec<Row>,
}

pub struct Created {
    pub what: String,
    pub url: String,
}

pub struct Row {
    pub id: String,
    pub what: String,
    pub created: String,
    /// Who made it (a staff name, or "the command line").
    pub by: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    office_id: String,
    /// Create: the desk, empty for the whole office. Revoke: unused.
    #[serde(default)]
    desk_id: String,
    /// Revoke: the link's id.
    #[serde(default)]
    id: String,
    /// Revoke: `yes` once the person confirmed.
    #[serde(default)]
    confirm: Option<String>,
}

/// The office's live links and the form for a new one.
pub async fn list(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Query(query): Query<OfficeQuery>,
) -> Response {
    let Some(office) = staff.managed_office(&state, query.office_id.as_deref()) else {
        return staff.not_found();
    };
    let message = staff.visit.session.staff.message.take();
    render(&state, staff, &office, message, None, None).await
}

/// Creates a link and shows it, once.
pub async fn create(
    State(state): State<AppState>,
    staff: StaffVisit,
    Form(form): Form<FeedForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.managed_office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    let desk = Some(form.desk_id.trim())
        .filter(|d| !d.is_empty())
        .map(DeskId::new);
    if desk.as_ref().is_some_and(|d| office.desk(d).is_none()) {
        return staff.not_found();
    }
    let token = match state
        .booking
        .issue_feed_token(&office.id, desk.as_ref(), Some(&staff.member))
        .await
    {
        Ok(token) => token,
        Err(error) => return staff.visit.fail(error),
    };
    let base = &state.settings.public_url;
    let office_path = encode(office.id.as_str());
    let url = match &desk {
        None => format!("{base}/feeds/offices/{office_path}.ics?token={token}"),
        Some(desk) => format!(
            "{base}/feeds/offices/{office_path}/desks/{}.ics?token={token}",
            encode(desk.as_str())
        ),
    };
    let created = Created {
        what: scope_label(&staff, desk.as_ref()),
        url,
    };
    render(&state, staff, &office, None, Some(created), None).await
}

/// Revokes a link: first the confirmation, then (with `confirm`) the revocation.
pub async fn revoke(
    State(state): State<AppState>,
    mut staff: StaffVisit,
    Form(form): Form<FeedForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return staff.expired();
    }
    let Some(office) = staff.managed_office(&state, Some(&form.office_id)) else {
        return staff.not_found();
    };
    if form.confirm.as_deref() != Some("yes") {
        return render(&state, staff, &office, None, None, Some(&form.id)).await;
    }
    match state.booking.revoke_feed_link(&office.id, &form.id).await {
        Ok(true) => {
            staff.visit.session.staff.message = Some(staff.visit.lang.t("staff-feed-revoked"));
            staff.visit.redirect(&format!(
                "/staff/feeds?office_id={}",
                encode(office.id.as_str())
            ))
        }
        Ok(false) => staff.not_found(),
        Err(error) => staff.visit.fail(error),
    }
}

async fn render(
    state: &AppState,
    staff: StaffVisit,
    office: &Office,
    message: Option<String>,
    created: Option<Created>,
    revoking: Option<&str>,
) -> Response {
    let links = match state.booking.feed_links(&office.id).await {
        Ok(links) => links,
        Err(error) => return staff.visit.fail(error),
    };
    // The link to confirm revoking: one of this office's live links, or 404.
    let revoking = match revoking.map(|id| links.iter().find(|l| l.id == id)) {
        None => None,
        Some(Some(link)) => Some(row(&staff, office, link)),
        Some(None) => return staff.not_found(),
    };
    let mut scopes = vec![(String::new(), scope_label(&staff, None))];
    scopes.extend(
        office
            .desks
            .iter()
            .map(|d| (d.id.to_string(), scope_label(&staff, Some(&d.id)))),
    );
    let template = FeedsPage {
        page: staff.page("staff-feeds-title"),
        nav: staff.nav("/staff/feeds"),
        office_id: office.id.to_string(),
        office_name: office.name.clone(),
        offices: staff.offices(state),
        message,
        scopes,
        links: links.iter().map(|l| row(&staff, office, l)).collect(),
        created,
        revoking,
    };
    staff.visit.render(StatusCode::OK, &template)
}

fn row(staff: &StaffVisit, office: &Office, link: &FeedLink) -> Row {
    let lang = &staff.visit.lang;
    Row {
        id: link.id.clone(),
        what: scope_label(staff, link.desk_id.as_ref()),
        created: format!(
            "{}, {}",
            lang.short_date(local_date(office.timezone, link.created_at)),
            lang.time(link.created_at, office.timezone)
        ),
        by: link
            .created_by
            .clone()
            .unwrap_or_else(|| lang.t("staff-feed-by-cli")),
    }
}

/// "The whole office" or "Desk X".
fn scope_label(staff: &StaffVisit, desk: Option<&DeskId>) -> String {
    let lang = &staff.visit.lang;
    match desk {
        None => lang.t("staff-feed-whole-office"),
        Some(desk) => lang.t_with("staff-feed-desk", &[("desk", desk.to_string().into())]),
    }
}
