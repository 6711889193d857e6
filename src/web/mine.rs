//! "Mis citas": a citizen asks for a link to their appointments (document and e-mail
//! address), opens it from the mailbox, and sees every appointment still to come in every
//! office, with a personal calendar link to subscribe to. The link's token leaves the
//! address bar at once (a redirect); what it opens stays in the visit's encrypted session
//! until the link expires.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::booking::CitizenOwner;
use crate::booking::{BookingError, CitizenAccess, owner_document, owner_email};
use crate::calendar::local_date;
use crate::domain::DocumentError;
use crate::http::AppState;

use super::Visit;
use super::book::encode;
use super::visit::{FieldError, Page};

/// What an opened link lets this visit see, until when (Unix seconds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CitizenHeld {
    pub document: String,
    pub email: String,
    pub until: i64,
}

#[derive(Template)]
#[template(path = "mine.html")]
pub struct MinePage {
    pub page: Page,
    pub message: Option<String>,
    /// The request form's values (empty when signed in).
    pub document: String,
    pub email: String,
    /// The link was asked for: the same words whatever matched.
    pub sent: bool,
    /// Signed in: the appointments and the calendar links.
    pub signed_in: bool,
    pub appointments: Vec<Row>,
    pub feeds: Vec<FeedRow>,
    /// A calendar link just made, and the same as `webcal://` (calendar apps open
    /// those): shown once.
    pub created: Option<(String, String)>,
}

pub struct Row {
    pub procedure: String,
    pub office: String,
    pub address: String,
    pub when: String,
    pub locator: String,
}

pub struct FeedRow {
    pub id: String,
    pub created: String,
}

#[derive(Debug, Deserialize)]
pub struct MineForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    id: String,
}

#[derive(Debug, Deserialize)]
pub struct OpenQuery {
    #[serde(default)]
    token: String,
}

fn held_owner(visit: &Visit) -> Option<(CitizenOwner, i64)> {
    let held = visit.session.citizen.as_ref()?;
    (held.until > visit.now.timestamp()).then(|| {
        (
            CitizenOwner {
                document: held.document.clone(),
                email: held.email.clone(),
            },
            held.until,
        )
    })
}

/// The form, or (with an opened link) the appointments.
pub async fn mine(State(state): State<AppState>, mut visit: Visit) -> Response {
    let mut message = visit.session.notice.take();
    let sent = std::mem::take(&mut visit.session.link_sent);
    match held_owner(&visit) {
        Some((owner, _)) => signed_in(&state, visit, &owner, message, None).await,
        None => {
            // A list opened earlier on this device has closed: say why the form is back.
            if visit.session.citizen.take().is_some() && message.is_none() {
                message = Some(visit.lang.t("mine-closed"));
            }
            form_page(
                visit,
                StatusCode::OK,
                message,
                sent,
                String::new(),
                String::new(),
                vec![],
            )
        }
    }
}

/// Asks for the link. Malformed input is shown at its field; anything else gets the same
/// answer, whether or not an appointment matched.
pub async fn request(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<MineForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let (document, email) = (
        form.document.trim().to_owned(),
        form.email.trim().to_owned(),
    );
    let (owner_document, owner_email) = (owner_document(&document), owner_email(&email));
    let mut errors = Vec::new();
    if let Err(problem) = &owner_document {
        errors.push(FieldError {
            field: "document",
            message: visit.lang.t(match problem {
                _ if document.is_empty() => "error-document-empty",
                DocumentError::WrongCheckLetter => "error-document-letter",
                _ => "error-document-format",
            }),
        });
    }
    if owner_email.is_none() {
        errors.push(FieldError {
            field: "email",
            message: visit.lang.t(if email.is_empty() {
                "mine-error-email-empty"
            } else {
                "mine-error-email"
            }),
        });
    }
    let (Ok(document_number), Some(address)) = (owner_document, owner_email) else {
        return form_page(
            visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            false,
            document,
            email,
            errors,
        );
    };
    let owner = CitizenOwner {
        document: document_number,
        email: address,
    };
    // Charged to the document as a booking is (and, as a look-up, to the client): nobody
    // can fill someone's mailbox with links.
    if let Err(limited) = state.settings.check_document(&owner.document).await {
        return visit.fail_api(limited);
    }
    match state
        .booking
        .request_citizen_link(&owner, Some(&visit.lang.code()))
        .await
    {
        // Then a GET: reloading the page does not send the form (and a mail) again.
        Ok(()) => {
            visit.session.link_sent = true;
            visit.redirect("/my")
        }
        Err(error) => visit.fail(error),
    }
}

/// The e-mailed link: opens the appointments for this visit, then leaves the address bar.
pub async fn open(
    State(state): State<AppState>,
    mut visit: Visit,
    Query(query): Query<OpenQuery>,
) -> Response {
    match state.booking.open_citizen_link(&query.token).await {
        Ok(CitizenAccess { owner, until }) => {
            visit.session.citizen = Some(CitizenHeld {
                document: owner.document,
                email: owner.email,
                until: until.timestamp(),
            });
            visit.redirect("/my")
        }
        Err(BookingError::NotFound) => {
            let message = Some(visit.lang.t("mine-link-expired"));
            form_page(
                visit,
                StatusCode::NOT_FOUND,
                message,
                false,
                String::new(),
                String::new(),
                vec![],
            )
        }
        Err(error) => visit.fail(error),
    }
}

/// Makes a personal calendar link and shows it once.
pub async fn create_feed(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<MineForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let Some((owner, _)) = held_owner(&visit) else {
        return visit.redirect("/my");
    };
    match state.booking.create_citizen_feed(&owner).await {
        Ok((id, token)) => {
            let url = format!(
                "{}/feeds/citizens/{}.ics?token={token}",
                state.settings.public_url,
                encode(&id)
            );
            signed_in(&state, visit, &owner, None, Some(url)).await
        }
        Err(BookingError::Validation(_)) => {
            let message = Some(visit.lang.t("mine-feeds-full"));
            signed_in(&state, visit, &owner, message, None).await
        }
        Err(error) => visit.fail(error),
    }
}

/// Revokes one of the citizen's calendar links.
pub async fn revoke_feed(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<MineForm>,
) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    let Some((owner, _)) = held_owner(&visit) else {
        return visit.redirect("/my");
    };
    match state
        .booking
        .revoke_citizen_feed(&owner, form.id.trim())
        .await
    {
        Ok(()) => {
            visit.session.notice = Some(visit.lang.t("mine-feed-revoked"));
            visit.redirect("/my")
        }
        Err(error) => visit.fail(error),
    }
}

/// Forgets the opened link on this device, and says so on the form.
pub async fn leave(mut visit: Visit, Form(form): Form<MineForm>) -> Response {
    if !visit.csrf_ok(&form.csrf) {
        return visit.expired();
    }
    visit.session.citizen = None;
    visit.session.notice = Some(visit.lang.t("mine-left"));
    visit.redirect("/my")
}

fn form_page(
    visit: Visit,
    status: StatusCode,
    message: Option<String>,
    sent: bool,
    document: String,
    email: String,
    errors: Vec<FieldError>,
) -> Response {
    let mut page = visit.page("mine-title");
    page.errors = errors;
    let template = MinePage {
        page,
        message,
        document,
        email,
        sent,
        signed_in: false,
        appointments: Vec::new(),
        feeds: Vec::new(),
        created: None,
    };
    visit.render(status, &template)
}

async fn signed_in(
    state: &AppState,
    visit: Visit,
    owner: &CitizenOwner,
    message: Option<String>,
    created: Option<String>,
) -> Response {
    let created = created.map(|url| {
        let webcal = match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.clone(),
        };
        (url, webcal)
    });
    let (appointments, feeds) = match (
        state.booking.citizen_upcoming(owner).await,
        state.booking.citizen_feeds(owner).await,
    ) {
        (Ok(a), Ok(f)) => (a, f),
        (Err(error), _) | (_, Err(error)) => return visit.fail(error),
    };
    let catalog = state.booking.catalog();
    let lang = &visit.lang;
    let rows = appointments
        .iter()
        .filter_map(|a| {
            let office = catalog.office(&a.office_id).ok()?;
            let procedure = office
                .service(&a.service_id)
                .map_or(a.service_id.to_string(), |s| s.name.clone());
            Some(Row {
                procedure,
                office: office.name.clone(),
                address: office.address.clone(),
                when: lang.t_with(
                    "done-when",
                    &[
                        (
                            "date",
                            lang.long_date(local_date(office.timezone, a.start)).into(),
                        ),
                        ("time", super::clock_time(lang, office, a.start).into()),
                    ],
                ),
                locator: a.locator.to_string(),
            })
        })
        .collect();
    let madrid = chrono_tz::Europe::Madrid;
    let feed_rows = feeds
        .iter()
        .map(|f| {
            let at = DateTime::from_timestamp(f.created_at, 0).unwrap_or_default();
            FeedRow {
                id: f.id.clone(),
                created: lang.short_date(local_date(madrid, at)),
            }
        })
        .collect();
    let template = MinePage {
        page: visit.page("mine-list-title"),
        message,
        document: String::new(),
        email: String::new(),
        sent: false,
        signed_in: true,
        appointments: rows,
        feeds: feed_rows,
        created,
    };
    visit.render(StatusCode::OK, &template)
}
