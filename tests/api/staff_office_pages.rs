//! The managers' office pages through the real router, as a browser without JavaScript
//! uses them: calendar feed links (created and shown once, listed, revoked after a
//! confirmation), statistics (tables, chart and CSV of a day at the counter) and the
//! activity log (names, labels, filters, pages of 50). Also: each page's refusals (bad
//! input, missing CSRF token) and the role matrix (agents and other offices get a 404).

use axum::body::Body;
use axum::http::{Method, Request, header};
use cita::booking::Role;
use serde_json::json;

use crate::both_backends;
use crate::common::*;
use crate::staff_pages::{act, sign_in, staff_cookie, staff_csrf, token_for, tuesday};
use crate::web::{Browser, Page, assert_page, attribute_after, csrf_of, links};

both_backends!(
    feed_links_are_shown_once_and_revoked_after_a_confirmation,
    feed_links_of_other_offices_and_unknown_desks_are_not_found,
    feed_forms_refuse_a_missing_or_foreign_csrf_token,
    statistics_count_a_day_at_the_counter,
    statistics_refuse_bad_ranges,
    the_activity_log_says_who_did_what_newest_first,
    the_activity_log_refuses_bad_filters,
    the_activity_log_writes_a_move_in_words,
    the_activity_log_pages_fifty_lines_at_a_time,
    only_managers_and_admins_of_the_office_reach_these_pages,
);

const FEEDS: &str = "/staff/feeds?office_id=madrid-extranjeria";
const MADRID_NAME: &str = "Oficina de Extranjería — Madrid";
/// Monday 1 to Sunday 7 March 2027, the week of the test's "now".
const WEEK: &str = "office_id=madrid-extranjeria&from=2027-03-01&to=2027-03-07";

// --- helpers -------------------------------------------------------------------------

/// A signed-in staff member's browser, and the page the sign-in landed on.
async fn staff<'a>(
    app: &'a TestApp,
    name: &str,
    role: Role,
    office: Option<&str>,
) -> (Browser<'a>, Page) {
    let token = token_for(app, name, role, office).await;
    let mut browser = Browser::new(app);
    let home = sign_in(&mut browser, &token).await;
    assert_eq!(home.status, 200, "{}", home.body);
    (browser, home)
}

/// A GET with only the browser's staff session cookie, read with its headers (for the
/// CSV download, whose headers matter).
async fn download(app: &TestApp, browser: &Browser<'_>, path: &str) -> Answer {
    let request = Request::get(path)
        .header(header::COOKIE, staff_cookie(browser))
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

/// Undoes the HTML escaping of a text.
fn unescape(text: &str) -> String {
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// A cell's text: tags dropped, entities undone, spaces trimmed.
fn cell_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim())
}

/// The rows of the `section` (`tbody` or `tfoot`) of the first table at or after
/// `marker`: each row's cells (`th` and `td`) as text, and each row's HTML.
fn table(body: &str, marker: &str, section: &str) -> Vec<(Vec<String>, String)> {
    let from = body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{body}"));
    let rest = &body[from..];
    let rest = &rest[..rest.find("</table>").expect("a table that ends")];
    let Some(start) = rest.find(&format!("<{section}>")) else {
        return vec![];
    };
    let inner = &rest[start + section.len() + 2..];
    let inner = &inner[..inner.find(&format!("</{section}>")).unwrap()];
    inner
        .split("<tr")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap_or(row.len())];
            let mut cells = vec![];
            let mut at = 0;
            while let Some(open) = next_cell(&row[at..]) {
                let open = at + open;
                let content = open + row[open..].find('>').unwrap() + 1;
                let close = content + row[content..].find("</t").unwrap_or(row.len() - content);
                cells.push(cell_text(&row[content..close]));
                at = close;
            }
            (cells, row.to_owned())
        })
        .collect()
}

/// Where the next `<td…>` or `<th…>` starts in `html`.
fn next_cell(html: &str) -> Option<usize> {
    ["<td>", "<td ", "<th>", "<th "]
        .iter()
        .filter_map(|tag| html.find(tag))
        .min()
}

/// The cells of each body row of the table after `marker`.
fn rows(body: &str, marker: &str) -> Vec<Vec<String>> {
    table(body, marker, "tbody")
        .into_iter()
        .map(|(cells, _)| cells)
        .collect()
}

/// The audit page's lines: when, what, who, locator, detail.
fn audit_lines(page: &Page) -> Vec<Vec<String>> {
    if page.body.contains("<caption class=\"visually-hidden\">") {
        rows(&page.body, "<caption class=\"visually-hidden\">")
    } else {
        vec![]
    }
}

/// The `href` of the pager's link labelled `label`, if there is one.
fn pager_link(body: &str, label: &str) -> Option<String> {
    let from = body.find("class=\"pager\"")?;
    let nav = &body[from..];
    let nav = &nav[..nav.find("</nav>")?];
    nav.split("<a ")
        .skip(1)
        .find(|a| a.contains(&format!(">{label}</a>")))
        .and_then(|a| attribute_after(a, "class", "href"))
}

/// The link shown once after creating it, split into the feed's path and its token.
fn created_link(page: &Page) -> (String, String) {
    assert_page(page, 200, "es", &["Enlace creado", "id=\"feed-url\""]);
    let url = attribute_after(&page.body, "id=\"feed-url\"", "value").unwrap();
    let path = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("not on the public URL: {url}"))
        .to_owned();
    let token = path.split("?token=").nth(1).unwrap().to_owned();
    assert!(token.len() >= 20, "a long random token: {token}");
    (path, token)
}

/// Creates a feed link from the feeds page `page`; `desk` empty for the whole office.
async fn create_link(browser: &mut Browser<'_>, page: &Page, office: &str, desk: &str) -> Page {
    browser
        .post(
            "/staff/feeds",
            &staff_csrf(page),
            &[("office_id", office), ("desk_id", desk)],
        )
        .await
}

/// The feed's status; a 200 is a calendar.
async fn feed_status(app: &TestApp, path: &str) -> u16 {
    let answer = app.get(path).await;
    if answer.status == 200 {
        assert!(
            answer.content_type().starts_with("text/calendar"),
            "{path}: {}",
            answer.content_type()
        );
        assert!(answer.text().starts_with("BEGIN:VCALENDAR"), "{path}");
    }
    answer.status.as_u16()
}

/// The live links on a feeds page: what each shows, and its id for revoking.
fn listed_links(page: &Page) -> Vec<(String, String)> {
    if !page
        .body
        .contains("<caption class=\"visually-hidden\">Enlaces en uso")
    {
        return vec![];
    }
    table(&page.body, "Enlaces en uso</caption>", "tbody")
        .into_iter()
        .map(|(cells, html)| {
            let id = attribute_after(&html, "name=\"id\"", "value").expect("a revoke form");
            (cells[0].clone(), id)
        })
        .collect()
}

/// The id of the listed link showing `what`.
fn link_id(page: &Page, what: &str) -> String {
    listed_links(page)
        .into_iter()
        .find(|(w, _)| w == what)
        .unwrap_or_else(|| panic!("no link for {what:?} in:\n{}", page.body))
        .1
}

/// POSTs a revocation of link `id` without following a redirect.
async fn revoke(
    browser: &mut Browser<'_>,
    csrf: &str,
    office: &str,
    id: &str,
    confirm: bool,
) -> Page {
    let mut fields = vec![("csrf", csrf), ("office_id", office), ("id", id)];
    if confirm {
        fields.push(("confirm", "yes"));
    }
    browser
        .send(Method::POST, "/staff/feeds/revoke", Some(&fields))
        .await
}

async fn status_of(app: &TestApp, locator: &str) -> &'static str {
    app.state
        .booking
        .appointment_by_locator(locator)
        .await
        .unwrap()
        .status
        .as_str()
}

/// What happened on Tuesday 2 March in Madrid (see [`a_tuesday_at_the_counter`]).
struct CounterDay {
    /// Huellas 09:00: checked in, then served.
    served: Booked,
    /// Huellas 09:15: did not come.
    missed: Booked,
    /// Huellas 09:30: cancelled by the manager; then the citizen erased their data.
    cancelled: Booked,
    /// Huellas 09:45: checked in, undone, checked in again.
    arrived: Booked,
    /// Huellas 10:00: still booked.
    waiting: Booked,
    /// Asilo 11:00 (40 minutes + 5 buffer): still booked.
    asylum: Booked,
}

const CANCEL_REASON: &str = "llamó para anular";

/// Six appointments booked by citizens on Monday at 08:00, then handled on Tuesday from
/// 10:30 by Madrid's manager "marta", signed in then; her browser.
async fn a_tuesday_at_the_counter(app: &TestApp) -> (CounterDay, Browser<'_>) {
    let token = token_for(app, "marta", Role::Manager, Some(MADRID)).await;
    let book = |service: &'static str, time: &'static str, n: u32| async move {
        app.book(&BookReq::new(MADRID, service, &tuesday(time), &dni(n)))
            .await
    };
    let day = CounterDay {
        served: book(HUELLAS, "09:00", 7001).await,
        missed: book(HUELLAS, "09:15", 7002).await,
        cancelled: book(HUELLAS, "09:30", 7003).await,
        arrived: book(HUELLAS, "09:45", 7004).await,
        waiting: book(HUELLAS, "10:00", 7005).await,
        asylum: book(ASILO, "11:00", 7006).await,
    };
    // Tuesday 10:30 in Madrid; a minute between actions.
    app.clock.set(instant("2027-03-02T09:30:00Z"));
    let mut browser = Browser::new(app);
    sign_in(&mut browser, &token).await;
    let agenda = browser
        .get("/staff/agenda?office_id=madrid-extranjeria&date=2027-03-02")
        .await;
    assert_eq!(agenda.status, 200, "{}", agenda.body);
    let mut page = agenda;
    for (locator, action) in [
        (&day.served.locator, "check-in"),
        (&day.served.locator, "complete"),
        (&day.missed.locator, "no-show"),
        (&day.arrived.locator, "check-in"),
        (&day.arrived.locator, "undo-check-in"),
        (&day.arrived.locator, "check-in"),
    ] {
        app.clock.advance(chrono::Duration::minutes(1));
        page = act(&mut browser, &page, locator, action).await;
        assert_eq!(page.status, 200, "{action}: {}", page.body);
    }
    app.clock.advance(chrono::Duration::minutes(1));
    let page = browser
        .post(
            "/staff/appointment",
            &staff_csrf(&page),
            &[
                ("locator", &day.cancelled.locator),
                ("action", "cancel"),
                ("reason", CANCEL_REASON),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The citizen of the cancelled appointment erases their data (allowed at once).
    app.clock.advance(chrono::Duration::minutes(1));
    let erased = app
        .post_with_token(
            &format!("/api/v1/appointments/{}/erase", day.cancelled.locator),
            &day.cancelled.token,
            &json!({}),
        )
        .await;
    assert_eq!(erased.status.as_u16(), 204, "{}", erased.text());
    for (booked, status) in [
        (&day.served, "completed"),
        (&day.missed, "no_show"),
        (&day.cancelled, "cancelled"),
        (&day.arrived, "checked_in"),
        (&day.waiting, "booked"),
        (&day.asylum, "booked"),
    ] {
        assert_eq!(status_of(app, &booked.locator).await, status);
    }
    (day, browser)
}

/// The desks' open minutes in Madrid by weekday (demo/offices.toml): `puesto-1` and
/// `puesto-2` keep the office hours, 09:00–14:00 and on Tuesdays and Thursdays also
/// 16:00–18:30; `puesto-3` works 09:00–13:00 on Mondays, Wednesdays and Fridays.
fn madrid_capacity(weekday: usize) -> i64 {
    let office = |mins: i64| 2 * mins;
    match weekday {
        // Monday, Wednesday, Friday: 2 × 5 h + 4 h.
        0 | 2 | 4 => office(300) + 240,
        // Tuesday, Thursday: 2 × 7.5 h.
        1 | 3 => office(300 + 150),
        _ => 0,
    }
}

// --- feeds ---------------------------------------------------------------------------

async fn feed_links_are_shown_once_and_revoked_after_a_confirmation(db: Db) {
    let Some(app) = spawn(db).await else { return };
    app.book(&BookReq::new(
        MADRID,
        HUELLAS,
        &tuesday("09:00"),
        &dni(4001),
    ))
    .await;
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    let empty = browser.get(FEEDS).await;
    assert_page(
        &empty,
        200,
        "es",
        &[
            "Enlaces de calendario",
            MADRID_NAME,
            "Esta oficina no tiene enlaces de calendario.",
            "<option value=\"puesto-2\">Puesto puesto-2</option>",
        ],
    );
    // The whole office, then one desk: each link shown once, in full.
    let office_page = create_link(&mut browser, &empty, MADRID, "").await;
    assert_page(&office_page, 200, "es", &["Enlace creado: Toda la oficina"]);
    let (office_path, office_token) = created_link(&office_page);
    assert_eq!(
        office_path,
        format!("/feeds/offices/madrid-extranjeria.ics?token={office_token}")
    );
    let desk_page = create_link(&mut browser, &office_page, MADRID, "puesto-2").await;
    assert_page(&desk_page, 200, "es", &["Enlace creado: Puesto puesto-2"]);
    let (desk_path, desk_token) = created_link(&desk_page);
    assert_eq!(
        desk_path,
        format!("/feeds/offices/madrid-extranjeria/desks/puesto-2.ics?token={desk_token}")
    );
    assert_ne!(office_token, desk_token);
    // The page with the new desk link does not show the office's token again.
    assert!(!desk_page.body.contains(&office_token));
    // Both feeds open with their tokens; a desk link opens only its desk.
    assert_eq!(feed_status(&app, &office_path).await, 200);
    assert_eq!(feed_status(&app, &desk_path).await, 200);
    assert_eq!(
        feed_status(
            &app,
            &format!("/feeds/offices/madrid-extranjeria.ics?token={desk_token}")
        )
        .await,
        404
    );
    // The listing: both links, named by what they show; no token anywhere.
    let list = browser.get(FEEDS).await;
    assert_page(&list, 200, "es", &["Enlaces en uso"]);
    for token in [&office_token, &desk_token] {
        assert!(!list.body.contains(token.as_str()), "{token} listed");
    }
    assert!(!list.body.contains("id=\"feed-url\""));
    let listed = listed_links(&list);
    let mut what: Vec<&str> = listed.iter().map(|(w, _)| w.as_str()).collect();
    what.sort_unstable();
    assert_eq!(what, ["Puesto puesto-2", "Toda la oficina"], "{listed:?}");
    // Each says who made it.
    let rows = table(&list.body, "Enlaces en uso</caption>", "tbody");
    assert!(
        rows.iter().all(|(cells, _)| cells[2] == "marta"),
        "{rows:?}"
    );
    let desk_id = link_id(&list, "Puesto puesto-2");
    let office_id = link_id(&list, "Toda la oficina");
    assert_ne!(desk_id, office_id);
    for id in [&desk_id, &office_id] {
        assert!(!id.contains(&desk_token) && !id.contains(&office_token));
    }
    // Revoking asks first, and asking changes nothing.
    let csrf = staff_csrf(&list);
    let check = revoke(&mut browser, &csrf, MADRID, &desk_id, false).await;
    assert_page(
        &check,
        200,
        "es",
        &[
            "¿Revocar este enlace?",
            "Puesto puesto-2 · Creado",
            "name=\"confirm\" value=\"yes\"",
            &format!("name=\"id\" value=\"{desk_id}\""),
        ],
    );
    assert_eq!(feed_status(&app, &desk_path).await, 200);
    assert_eq!(listed_links(&browser.get(FEEDS).await).len(), 2);
    // Confirmed: a redirect to the list, which says so; the feed is gone, the other stays.
    let done = revoke(&mut browser, &csrf, MADRID, &desk_id, true).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some(FEEDS));
    let after = browser.get(FEEDS).await;
    assert_page(&after, 200, "es", &["Se ha revocado el enlace."]);
    assert_eq!(
        listed_links(&after),
        vec![("Toda la oficina".to_owned(), office_id.clone())]
    );
    assert_eq!(feed_status(&app, &desk_path).await, 404);
    assert_eq!(feed_status(&app, &office_path).await, 200);
    // The flash is shown once.
    let again = browser.get(FEEDS).await;
    assert!(!again.body.contains("Se ha revocado el enlace."));
    // A revoked link cannot be revoked again, nor asked about.
    let twice = revoke(&mut browser, &csrf, MADRID, &desk_id, true).await;
    assert_eq!(twice.status, 404, "{}", twice.body);
    let twice = revoke(&mut browser, &csrf, MADRID, &desk_id, false).await;
    assert_eq!(twice.status, 404, "{}", twice.body);
    // In English too.
    let english = browser.get(&format!("{FEEDS}&lang=en")).await;
    assert_page(
        &english,
        200,
        "en",
        &["Calendar feed links", "Links in use", "The whole office"],
    );
    // A link made with the command line says so (the page is in English by now).
    let before = table(
        &browser.get(FEEDS).await.body,
        "Links in use</caption>",
        "tbody",
    )
    .len();
    app.state
        .booking
        .issue_feed_token(&cita::domain::OfficeId::new(MADRID), None, None)
        .await
        .unwrap();
    let rows = table(
        &browser.get(FEEDS).await.body,
        "Links in use</caption>",
        "tbody",
    );
    assert_eq!(rows.len(), before + 1, "{rows:?}");
    let by_cli: Vec<_> = rows
        .iter()
        .filter(|(cells, _)| cells[2] == "the command line")
        .collect();
    assert_eq!(by_cli.len(), 1, "{rows:?}");
}

async fn feed_links_of_other_offices_and_unknown_desks_are_not_found(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (mut manager, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    let (mut admin, _) = staff(&app, "root", Role::Admin, None).await;
    // The admin creates Barcelona's link, choosing the office.
    let bcn_form = admin
        .get("/staff/feeds?office_id=barcelona-extranjeria")
        .await;
    assert_page(
        &bcn_form,
        200,
        "es",
        &[
            "Oficina de Extranjería — Barcelona",
            "<option value=\"mesa-a\">",
        ],
    );
    assert!(!bcn_form.body.contains("puesto-2"), "Madrid's desks");
    let created = create_link(&mut admin, &bcn_form, BARCELONA, "").await;
    let (bcn_path, _) = created_link(&created);
    assert!(bcn_path.starts_with("/feeds/offices/barcelona-extranjeria.ics?token="));
    let bcn_list = admin
        .get("/staff/feeds?office_id=barcelona-extranjeria")
        .await;
    let bcn_id = link_id(&bcn_list, "Toda la oficina");
    // Madrid's manager cannot revoke it, neither as Madrid's nor as Barcelona's.
    let madrid_page = manager.get(FEEDS).await;
    let csrf = staff_csrf(&madrid_page);
    for (office, confirm) in [
        (MADRID, false),
        (MADRID, true),
        (BARCELONA, false),
        (BARCELONA, true),
    ] {
        let page = revoke(&mut manager, &csrf, office, &bcn_id, confirm).await;
        assert_eq!(page.status, 404, "{office} {confirm}: {}", page.body);
    }
    // Nor the admin from Madrid's page: the id is Barcelona's.
    let admin_csrf = staff_csrf(&bcn_list);
    let page = revoke(&mut admin, &admin_csrf, MADRID, &bcn_id, true).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert_eq!(feed_status(&app, &bcn_path).await, 200);
    assert_eq!(
        listed_links(
            &admin
                .get("/staff/feeds?office_id=barcelona-extranjeria")
                .await
        )
        .len(),
        1
    );
    // Madrid's manager sees no Barcelona links and creates none there.
    assert_eq!(
        manager
            .get("/staff/feeds?office_id=barcelona-extranjeria")
            .await
            .status,
        404
    );
    let page = create_link(&mut manager, &madrid_page, BARCELONA, "").await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(!page.body.contains("feed-url"));
    // A desk that does not exist, or is another office's: 404, and nothing created.
    for desk in ["puesto-9", "mesa-a"] {
        let page = create_link(&mut manager, &madrid_page, MADRID, desk).await;
        assert_eq!(page.status, 404, "{desk}: {}", page.body);
        assert!(!page.body.contains("feed-url"));
    }
    // An unknown office, even for the admin.
    let page = create_link(&mut admin, &bcn_list, "nowhere", "").await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert_eq!(
        admin.get("/staff/feeds?office_id=nowhere").await.status,
        404
    );
    assert!(listed_links(&manager.get(FEEDS).await).is_empty());
    assert!(
        app.state
            .booking
            .feed_links(&cita::domain::OfficeId::new(MADRID))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn feed_forms_refuse_a_missing_or_foreign_csrf_token(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    let (_, other_home) = staff(&app, "luis", Role::Manager, Some(MADRID)).await;
    let foreign = csrf_of(&other_home.body);
    let page = browser.get(FEEDS).await;
    let created = create_link(&mut browser, &page, MADRID, "").await;
    let (path, _) = created_link(&created);
    let id = link_id(&browser.get(FEEDS).await, "Toda la oficina");
    for csrf in ["", foreign.as_str()] {
        let refused = browser
            .post(
                "/staff/feeds",
                csrf,
                &[("office_id", MADRID), ("desk_id", "")],
            )
            .await;
        assert_eq!(
            refused.status, 403,
            "create with {csrf:?}: {}",
            refused.body
        );
        assert!(!refused.body.contains("feed-url"));
        for confirm in [false, true] {
            let refused = revoke(&mut browser, csrf, MADRID, &id, confirm).await;
            assert_eq!(
                refused.status, 403,
                "revoke with {csrf:?}: {}",
                refused.body
            );
        }
    }
    // Nothing created, nothing revoked.
    assert_eq!(listed_links(&browser.get(FEEDS).await).len(), 1);
    assert_eq!(feed_status(&app, &path).await, 200);
}

// --- statistics ----------------------------------------------------------------------

async fn statistics_count_a_day_at_the_counter(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // An appointment on Barcelona's Tuesday does not count for Madrid.
    app.book(&BookReq::new(
        BARCELONA,
        HUELLAS,
        "2027-03-02T08:30:00+01:00",
        &dni(7100),
    ))
    .await;
    let (day, mut browser) = a_tuesday_at_the_counter(&app).await;
    let page = browser
        .get(&format!("/staff/statistics?{WEEK}&lang=es"))
        .await;
    // The week's capacity: Monday to Friday, none at the weekend.
    let week_capacity: i64 = (0..7).map(madrid_capacity).sum();
    assert_eq!(week_capacity, 4320);
    // 6 booked; used: four 15-minute huellas not cancelled and one 40-minute asylum.
    let used = 4 * 15 + 40;
    assert_eq!(
        format!("{:.1}", used as f64 * 100.0 / week_capacity as f64),
        "2.3"
    );
    assert_page(
        &page,
        200,
        "es",
        &[
            "Estadísticas",
            MADRID_NAME,
            "Del lunes, 1 de marzo de 2027 al domingo, 7 de marzo de 2027: 6 citas; \
             se ha usado el 2,3 % del tiempo de los puestos.",
            "<svg class=\"chart\"",
            "value=\"2027-03-01\"",
            "value=\"2027-03-07\"",
        ],
    );
    // By procedure: the range's figures, shares over the week's capacity.
    assert_eq!(
        rows(&page.body, "aria-labelledby=\"by-procedure\""),
        [
            ["Toma de huellas (TIE)", "5", "2", "1", "1", "1,4 %"],
            [
                "Solicitud de protección internacional",
                "1",
                "0",
                "0",
                "0",
                "0,9 %"
            ],
        ]
    );
    let total = table(&page.body, "aria-labelledby=\"by-procedure\"", "tfoot");
    assert_eq!(
        total[0].0,
        ["Todos los trámites", "6", "2", "1", "1", "2,3 %"]
    );
    // By day: seven days; Tuesday has everything (100 of 900 minutes), the rest nothing.
    let days = rows(&page.body, "aria-labelledby=\"by-day\"");
    assert_eq!(days.len(), 7, "{days:?}");
    assert_eq!(days[1], ["martes 2 de marzo", "6", "2", "1", "1", "11,1 %"]);
    assert_eq!(days[0], ["lunes 1 de marzo", "0", "0", "0", "0", "0,0 %"]);
    for (i, row) in days.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert_eq!(row[1..], ["0", "0", "0", "0", "0,0 %"], "day {i}");
    }
    // The chart: one stacked bar (attended, no-show, still to come, cancelled) on Tuesday.
    for class in ["bar-attended", "bar-no-show", "bar-booked", "bar-cancelled"] {
        assert_eq!(
            page.body
                .matches(&format!("<rect class=\"{class}\""))
                .count(),
            1,
            "{class}"
        );
    }
    // Scale 8: 2 attended are 50 px from the base line at 208.
    assert!(
        page.body.contains(
            "<rect class=\"bar-attended\" x=\"62.0\" y=\"158.0\" width=\"14\" height=\"50.0\"/>"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains(">2/3</text>"));
    // The CSV link keeps the range.
    let csv_links = links(&page.body, "/staff/statistics.csv");
    assert_eq!(
        csv_links,
        [format!("/staff/statistics.csv?{WEEK}")],
        "{}",
        page.body
    );
    // In English: its dates, its number format.
    let english = browser
        .get(&format!("/staff/statistics?{WEEK}&lang=en"))
        .await;
    assert_page(
        &english,
        200,
        "en",
        &[
            "From Monday 1 March 2027 to Sunday 7 March 2027: 6 appointments, 2.3% of the desks' time used.",
        ],
    );
    let days = rows(&english.body, "aria-labelledby=\"by-day\"");
    assert_eq!(days[1], ["Tuesday 2 March", "6", "2", "1", "1", "11.1%"]);
    // The CSV: a header, then one row per day and procedure offered.
    let csv = download(&app, &browser, &csv_links[0]).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"cita-madrid-extranjeria-2027-03-01-2027-03-07.csv\""
    );
    let text = csv.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "date,procedure_id,procedure,booked,attended,no_show,cancelled,used_minutes,\
         capacity_minutes,capacity_share_percent"
    );
    assert_eq!(lines.len(), 1 + 7 * 2, "{text}");
    let mut expected = vec![];
    for (i, date) in (1..=7).map(|d| format!("2027-03-0{d}")).enumerate() {
        let capacity = madrid_capacity(i);
        let (huellas, asilo) = if i == 1 {
            ("5,2,1,1,60", "1,0,0,0,40")
        } else {
            ("0,0,0,0,0", "0,0,0,0,0")
        };
        let share = |minutes: i64| {
            if capacity == 0 {
                "0.0".to_owned()
            } else {
                format!("{:.1}", minutes as f64 * 100.0 / capacity as f64)
            }
        };
        let used = |counts: &str| counts.rsplit(',').next().unwrap().parse::<i64>().unwrap();
        expected.push(format!(
            "{date},huellas-tie,Toma de huellas (TIE),{huellas},{capacity},{}",
            share(used(huellas))
        ));
        expected.push(format!(
            "{date},asilo,Solicitud de protección internacional,{asilo},{capacity},{}",
            share(used(asilo))
        ));
    }
    assert_eq!(lines[1..], expected[..], "{text}");
    assert!(lines.contains(&"2027-03-02,huellas-tie,Toma de huellas (TIE),5,2,1,1,60,900,6.7"));
    assert!(
        lines.contains(&"2027-03-01,asilo,Solicitud de protección internacional,0,0,0,0,0,840,0.0")
    );
    // The erased appointment still counts (its row stays, without personal data).
    assert_eq!(status_of(&app, &day.cancelled.locator).await, "cancelled");
    // Barcelona's own statistics do not show Madrid's day, only its own appointment.
    let (mut bcn, _) = staff(&app, "jordi", Role::Manager, Some(BARCELONA)).await;
    let theirs = bcn
        .get("/staff/statistics?from=2027-03-01&to=2027-03-07")
        .await;
    assert_page(&theirs, 200, "es", &["Oficina de Extranjería — Barcelona"]);
    let total = table(&theirs.body, "aria-labelledby=\"by-procedure\"", "tfoot");
    assert_eq!(total[0].0[1..5], ["1", "0", "0", "0"]);
    // The default range: two weeks back, two weeks ahead, today (Tuesday) included.
    let default = browser.get("/staff/statistics?lang=es").await;
    assert_page(
        &default,
        200,
        "es",
        &["value=\"2027-02-16\"", "value=\"2027-03-15\""],
    );
    assert_eq!(rows(&default.body, "aria-labelledby=\"by-day\"").len(), 28);
}

async fn statistics_refuse_bad_ranges(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    let base = "/staff/statistics?office_id=madrid-extranjeria";
    let cases: [(&str, &[&str]); 5] = [
        (
            "from=ayer&to=2027-03-07",
            &["href=\"#from\"", "Escribe el primer día como fecha."],
        ),
        (
            "from=2027-03-01&to=2027-02-30",
            &["href=\"#to\"", "Escribe el último día como fecha."],
        ),
        ("from=2027-03-07&to=2027-03-01", &["href=\"#to\""]),
        (
            "from=2027-01-01&to=2028-02-04",
            &["href=\"#to\"", "Elige como mucho 366 días."],
        ),
        // 367 days, both ends counted: one too many.
        (
            "from=2027-01-01&to=2028-01-02",
            &["href=\"#to\"", "Elige como mucho 366 días."],
        ),
    ];
    for (query, texts) in cases {
        let page = browser.get(&format!("{base}&{query}")).await;
        assert_page(&page, 422, "es", texts);
        assert!(page.body.contains("error-summary"), "{query}");
        // No figures for a range that is not one.
        assert!(!page.body.contains("<svg class=\"chart\""), "{query}");
        assert!(!page.body.contains("by-day"), "{query}");
        // What was typed is kept.
        let (from, to) = query.split_once('&').unwrap();
        for typed in [&from[5..], &to[3..]] {
            assert!(
                page.body.contains(&format!("value=\"{typed}\"")),
                "{query}: {typed} not kept"
            );
        }
        // The CSV of the same range: a problem page, not a file.
        let csv = download(
            &app,
            &browser,
            &format!("/staff/statistics.csv?office_id=madrid-extranjeria&{query}"),
        )
        .await;
        assert!(
            csv.status.is_client_error(),
            "{query}: {} {}",
            csv.status,
            csv.text()
        );
        assert!(csv.content_type().starts_with("text/html"), "{query}");
        assert!(!csv.text().contains("procedure_id"));
        assert!(csv.headers.get(header::CONTENT_DISPOSITION).is_none());
    }
    // The longest range allowed: 366 days, both ends counted.
    let longest = browser
        .get(&format!("{base}&from=2027-01-01&to=2028-01-01"))
        .await;
    assert_eq!(longest.status, 200, "{}", longest.body);
    assert_eq!(rows(&longest.body, "aria-labelledby=\"by-day\"").len(), 366);
    // One day is a range.
    let one = browser
        .get(&format!("{base}&from=2027-03-02&to=2027-03-02"))
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(rows(&one.body, "aria-labelledby=\"by-day\"").len(), 1);
    let csv = download(
        &app,
        &browser,
        "/staff/statistics.csv?office_id=madrid-extranjeria&from=2028-01-01&to=2028-12-31",
    )
    .await;
    assert_eq!(csv.status, 200, "leap year: {}", csv.text());
    assert_eq!(csv.text().lines().count(), 1 + 366 * 2);
}

// --- audit ---------------------------------------------------------------------------

async fn the_activity_log_says_who_did_what_newest_first(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (day, mut browser) = a_tuesday_at_the_counter(&app).await;
    let page = browser.get("/staff/audit?lang=es").await;
    assert_page(&page, 200, "es", &["Registro de actividad", MADRID_NAME]);
    let lines = audit_lines(&page);
    // Newest first: the erasure, the cancellation, the counter's actions backwards, then
    // the six bookings by the citizens.
    let summary: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| (l[1].as_str(), l[2].as_str(), l[3].as_str()))
        .collect();
    let citizen = "La persona citada";
    let expected = [
        ("Datos personales borrados", citizen, &day.cancelled.locator),
        ("Anulada", "marta", &day.cancelled.locator),
        ("Llegada registrada", "marta", &day.arrived.locator),
        ("Llegada deshecha", "marta", &day.arrived.locator),
        ("Llegada registrada", "marta", &day.arrived.locator),
        ("No vino", "marta", &day.missed.locator),
        ("Atendida", "marta", &day.served.locator),
        ("Llegada registrada", "marta", &day.served.locator),
        ("Reservada", citizen, &day.asylum.locator),
        ("Reservada", citizen, &day.waiting.locator),
        ("Reservada", citizen, &day.arrived.locator),
        ("Reservada", citizen, &day.cancelled.locator),
        ("Reservada", citizen, &day.missed.locator),
        ("Reservada", citizen, &day.served.locator),
    ];
    let expected: Vec<(&str, &str, &str)> = expected
        .iter()
        .map(|(a, w, l)| (*a, *w, l.as_str()))
        .collect();
    assert_eq!(summary, expected, "{}", page.body);
    // When: the office's local time; the reason of the cancellation as its detail.
    assert_eq!(lines[1][0], "martes 2 de marzo, 10:37");
    assert_eq!(lines[1][4], CANCEL_REASON);
    assert_eq!(lines[13][0], "lunes 1 de marzo, 08:00");
    // A booking's detail: its desk, in words.
    assert!(
        lines[13][4].starts_with("Puesto puesto-"),
        "{:?}",
        lines[13]
    );
    // No older lines: no pager links.
    assert_eq!(pager_link(&page.body, "Anteriores"), None);
    assert_eq!(pager_link(&page.body, "Lo más reciente"), None);
    // One action: only its line.
    let no_show = browser.get("/staff/audit?action=no_show").await;
    assert_page(
        &no_show,
        200,
        "es",
        &["<option value=\"no_show\" selected>No vino</option>"],
    );
    let only = audit_lines(&no_show);
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(
        only[0][1..4],
        ["No vino", "marta", day.missed.locator.as_str()]
    );
    // One day: Monday has the bookings, Tuesday the rest.
    let monday = audit_lines(&browser.get("/staff/audit?day=2027-03-01").await);
    assert_eq!(monday.len(), 6);
    assert!(
        monday
            .iter()
            .all(|l| l[1] == "Reservada" && l[2] == citizen)
    );
    let tuesday_lines = audit_lines(&browser.get("/staff/audit?day=2027-03-02").await);
    assert_eq!(tuesday_lines.len(), 8);
    assert!(tuesday_lines.iter().all(|l| l[1] != "Reservada"));
    // Both: Tuesday's check-ins.
    let both = audit_lines(
        &browser
            .get("/staff/audit?day=2027-03-02&action=checked_in")
            .await,
    );
    assert_eq!(both.len(), 3);
    let none = browser
        .get("/staff/audit?day=2027-03-01&action=checked_in")
        .await;
    assert_page(&none, 200, "es", &["No hay nada que coincida."]);
    // Another day: nothing.
    let other = browser.get("/staff/audit?day=2027-03-10").await;
    assert_page(
        &other,
        200,
        "es",
        &["No hay nada que coincida.", "value=\"2027-03-10\""],
    );
    assert!(audit_lines(&other).is_empty());
    // In English.
    let english = browser.get("/staff/audit?lang=en").await;
    assert_page(&english, 200, "en", &["Activity log"]);
    let lines = audit_lines(&english);
    assert_eq!(lines[0][1..3], ["Personal data erased", "The citizen"]);
    assert_eq!(lines[5][1..3], ["Did not come", "marta"]);
    assert_eq!(lines[3][1], "Check-in undone");
    assert_eq!(lines[6][1], "Served");
    assert_eq!(lines[13][1..3], ["Booked", "The citizen"]);
    assert_eq!(lines[1][0], "Tuesday 2 March, 10:37");
    let none = browser.get("/staff/audit?day=2027-03-10&lang=en").await;
    assert_page(&none, 200, "en", &["Nothing matches."]);
    // The admin sees Madrid's log when choosing Madrid, and not in Barcelona's.
    let (mut admin, _) = staff(&app, "root", Role::Admin, None).await;
    let madrid = admin
        .get("/staff/audit?office_id=madrid-extranjeria&lang=es")
        .await;
    assert_eq!(audit_lines(&madrid).len(), 14);
    let barcelona = admin
        .get("/staff/audit?office_id=barcelona-extranjeria")
        .await;
    assert_page(&barcelona, 200, "es", &["No hay nada que coincida."]);
    // A staff member whose access was revoked is still named in the history.
    assert!(app.state.booking.revoke_staff_user("marta").await.unwrap());
    let lines = audit_lines(
        &admin
            .get("/staff/audit?office_id=madrid-extranjeria&action=no_show")
            .await,
    );
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0][2], "marta", "{:?}", lines[0]);
}

async fn the_activity_log_writes_a_move_in_words(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            &tuesday("09:00"),
            &dni(4201),
        ))
        .await;
    app.post_with_token(
        &format!("/api/v1/appointments/{}/reschedule", booked.locator),
        &booked.token,
        &serde_json::json!({"start": tuesday("10:15")}),
    )
    .await
    .ok(200);
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    let page = browser.get("/staff/audit?action=rescheduled").await;
    let lines = audit_lines(&page);
    assert_eq!(lines.len(), 1, "{}", page.body);
    // The times in the office's zone and in words, not the stored UTC text.
    assert_eq!(
        lines[0][4],
        "Del martes 2 de marzo, 09:00 al martes 2 de marzo, 10:15"
    );
}

async fn the_activity_log_refuses_bad_filters(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    app.book(&BookReq::new(
        MADRID,
        HUELLAS,
        &tuesday("09:00"),
        &dni(4101),
    ))
    .await;
    let bad_day = browser.get("/staff/audit?day=2027-02-30").await;
    assert_page(
        &bad_day,
        422,
        "es",
        &[
            "error-summary",
            "href=\"#day\"",
            "Escribe el día como fecha, o déjalo vacío.",
            "value=\"2027-02-30\"",
        ],
    );
    assert!(audit_lines(&bad_day).is_empty());
    let bad_action = browser.get("/staff/audit?action=deleted&lang=en").await;
    assert_page(
        &bad_action,
        422,
        "en",
        &["href=\"#action\"", "Choose one of the listed actions."],
    );
    assert!(audit_lines(&bad_action).is_empty());
    // Both at once: both explained.
    let both = browser
        .get("/staff/audit?day=tomorrow&action=x&lang=es")
        .await;
    assert_page(&both, 422, "es", &["href=\"#day\"", "href=\"#action\""]);
    // A page position that is not a line id: a client error, not a server error.
    for before in ["abc", "1.5", "99999999999999999999999"] {
        let page = browser.get(&format!("/staff/audit?before={before}")).await;
        assert!(
            (400..500).contains(&page.status),
            "before={before}: {} {}",
            page.status,
            page.body
        );
        assert!(page.body.contains("<html lang=\"es\">"));
    }
    // Empty filters are no filters.
    let page = browser.get("/staff/audit?day=&action=&before=").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(audit_lines(&page).len(), 1);
}

async fn the_activity_log_pages_fifty_lines_at_a_time(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (mut browser, _) = staff(&app, "marta", Role::Manager, Some(MADRID)).await;
    // Tuesday's huellas times in Madrid, each at both desks: 60 places.
    let times: Vec<String> = (9..14)
        .chain(16..19)
        .flat_map(|h| [0, 15, 30, 45].map(|m| format!("{h:02}:{m:02}")))
        .filter(|t| t.as_str() < "18:30")
        .collect();
    let starts: Vec<&String> = times.iter().flat_map(|t| [t, t]).collect();
    let mut locators = vec![];
    let book = async |n: usize| {
        let booked = app
            .book(&BookReq::new(
                MADRID,
                HUELLAS,
                &tuesday(starts[n]),
                &dni(5000 + n as u32),
            ))
            .await;
        booked.locator
    };
    for n in 0..50 {
        locators.push(book(n).await);
    }
    // Exactly one page: no "Older".
    let page = browser.get("/staff/audit").await;
    assert_eq!(audit_lines(&page).len(), 50);
    assert_eq!(pager_link(&page.body, "Anteriores"), None);
    for n in 50..55 {
        locators.push(book(n).await);
    }
    let first = browser.get("/staff/audit").await;
    let lines = audit_lines(&first);
    assert_eq!(lines.len(), 50);
    assert_eq!(pager_link(&first.body, "Lo más reciente"), None);
    // Newest first.
    let shown: Vec<&str> = lines.iter().map(|l| l[3].as_str()).collect();
    let newest: Vec<&str> = locators.iter().rev().take(50).map(String::as_str).collect();
    assert_eq!(shown, newest);
    let older = pager_link(&first.body, "Anteriores").expect("an Older link");
    assert!(
        older.starts_with("/staff/audit?office_id=madrid-extranjeria&")
            && older.contains("&before="),
        "{older}"
    );
    let second = browser.get(&older).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let rest: Vec<String> = audit_lines(&second)
        .into_iter()
        .map(|l| l[3].clone())
        .collect();
    let oldest: Vec<String> = locators[..5].iter().rev().cloned().collect();
    assert_eq!(rest, oldest);
    assert_eq!(pager_link(&second.body, "Anteriores"), None);
    let back = pager_link(&second.body, "Lo más reciente").expect("a Newest link");
    assert!(!back.contains("before="), "{back}");
    let again = browser.get(&back).await;
    assert_eq!(audit_lines(&again), lines);
    // The pager keeps the filters.
    let filtered = browser
        .get("/staff/audit?action=booked&day=2027-03-01&lang=en")
        .await;
    assert_eq!(audit_lines(&filtered).len(), 50);
    let older = pager_link(&filtered.body, "Older").expect("an Older link");
    assert!(
        older.contains("day=2027-03-01") && older.contains("action=booked"),
        "{older}"
    );
    let second = browser.get(&older).await;
    assert_eq!(audit_lines(&second).len(), 5);
    assert!(pager_link(&second.body, "Newest").is_some());
    // Another day's filter pages nothing.
    let none = browser.get("/staff/audit?day=2027-03-02&lang=es").await;
    assert_page(&none, 200, "es", &["No hay nada que coincida."]);
    assert_eq!(pager_link(&none.body, "Anteriores"), None);
}

// --- roles ---------------------------------------------------------------------------

async fn only_managers_and_admins_of_the_office_reach_these_pages(db: Db) {
    let Some(app) = spawn(db).await else { return };
    app.book(&BookReq::new(
        MADRID,
        HUELLAS,
        &tuesday("09:00"),
        &dni(4201),
    ))
    .await;
    // A Madrid link, to see that nobody else can list it.
    let (mut owner, _) = staff(&app, "owner", Role::Manager, Some(MADRID)).await;
    let page = owner.get(FEEDS).await;
    let (feed_path, _) = created_link(&create_link(&mut owner, &page, MADRID, "").await);
    let madrid_link = link_id(&owner.get(FEEDS).await, "Toda la oficina");
    let madrid_pages = [
        FEEDS.to_owned(),
        format!("/staff/statistics?{WEEK}"),
        format!("/staff/statistics.csv?{WEEK}"),
        "/staff/audit?office_id=madrid-extranjeria".to_owned(),
    ];
    let people = [
        ("admin", Role::Admin, None),
        ("manager-madrid", Role::Manager, Some(MADRID)),
        ("agent-madrid", Role::Agent, Some(MADRID)),
        ("manager-bcn", Role::Manager, Some(BARCELONA)),
        ("agent-bcn", Role::Agent, Some(BARCELONA)),
    ];
    for (name, role, office) in people {
        let (mut browser, home) = staff(&app, name, role, office).await;
        let manages = role != Role::Agent;
        let madrid = manages && office.is_none_or(|o| o == MADRID);
        // The menu links to these pages only for those who may see them.
        for href in ["/staff/statistics", "/staff/feeds", "/staff/audit"] {
            assert_eq!(
                home.body.contains(&format!("href=\"{href}\"")),
                manages,
                "{name} {href}"
            );
        }
        for path in &madrid_pages {
            let answer = download(&app, &browser, path).await;
            let expected = if madrid { 200 } else { 404 };
            assert_eq!(answer.status, expected, "{name} GET {path}");
            if !madrid {
                let body = answer.text();
                assert!(!body.contains(&madrid_link), "{name} {path}");
                assert!(!body.contains("procedure_id"), "{name} {path}");
            }
        }
        // Their own office's pages, without choosing it.
        for path in ["/staff/feeds", "/staff/statistics", "/staff/audit"] {
            let expected = if manages { 200 } else { 404 };
            assert_eq!(
                browser.get(path).await.status,
                expected,
                "{name} GET {path}"
            );
        }
        // Unknown offices, even for admins.
        for path in [
            "/staff/feeds?office_id=nowhere",
            "/staff/statistics?office_id=nowhere",
            "/staff/statistics.csv?office_id=nowhere",
            "/staff/audit?office_id=nowhere",
        ] {
            assert_eq!(browser.get(path).await.status, 404, "{name} GET {path}");
        }
        // Forms: creating or revoking Madrid's links.
        let csrf = staff_csrf(&home);
        let created = browser
            .post(
                "/staff/feeds",
                &csrf,
                &[("office_id", MADRID), ("desk_id", "")],
            )
            .await;
        assert_eq!(
            created.status,
            if madrid { 200 } else { 404 },
            "{name} creates: {}",
            created.body
        );
        if !madrid {
            for confirm in [false, true] {
                let page = revoke(&mut browser, &csrf, MADRID, &madrid_link, confirm).await;
                assert_eq!(page.status, 404, "{name} revokes: {}", page.body);
            }
        }
    }
    // The first link lived through it all; the admin and Madrid's manager added theirs.
    assert_eq!(feed_status(&app, &feed_path).await, 200);
    assert_eq!(listed_links(&owner.get(FEEDS).await).len(), 3);
}
