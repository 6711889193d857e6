//! The office staff's pages through the real router, as a browser without JavaScript uses
//! them: sign in with a staff token, run a day at the counter (check-in, undo, served,
//! no-show, cancel), book a walk-in, close the office after seeing what it cancels, sign
//! out. Also: the session cookie's flags, idle expiry and rotation, CSRF refusals on
//! every POST, failed sign-ins limited, and the role matrix (another office is a 404).

use chrono::Duration;
use cita::booking::Role;
use cita::limits::{LimitSettings, Rate};

use crate::both_backends;
use crate::common::*;
use crate::surge::{limits, protected};
use crate::web::{Browser, Page, assert_page, attribute_after, csrf_of};

both_backends!(
    signing_in_opens_a_session_that_signing_out_ends,
    a_session_ends_when_idle_and_a_new_sign_in_replaces_it,
    every_staff_form_refuses_a_missing_or_foreign_csrf_token,
    a_day_at_the_counter,
    a_walk_in_is_booked_from_the_counter,
    a_closure_lists_what_it_cancels_before_it_is_confirmed,
    agents_and_managers_reach_only_their_own_office,
);

/// Tuesday 2027-03-02 in Madrid at `hh:mm`.
pub(crate) fn tuesday(time: &str) -> String {
    format!("2027-03-02T{time}:00+01:00")
}

const TUESDAY_AGENDA: &str = "/staff/agenda?office_id=madrid-extranjeria&date=2027-03-02";

pub(crate) async fn token_for(
    app: &TestApp,
    name: &str,
    role: Role,
    office: Option<&str>,
) -> String {
    let office = office.map(cita::domain::OfficeId::new);
    app.state
        .booking
        .add_staff_user(name, role, office.as_ref())
        .await
        .unwrap()
        .token
}

/// Signs `browser` in with `token`; the page it lands on.
pub(crate) async fn sign_in(browser: &mut Browser<'_>, token: &str) -> Page {
    let form = browser.get("/staff/sign-in").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = csrf_of(&form.body);
    browser
        .post("/staff/sign-in", &csrf, &[("token", token)])
        .await
}

/// The last staff session cookie the browser was given, as `name=value`.
pub(crate) fn staff_cookie(browser: &Browser<'_>) -> String {
    browser
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with("cita_staff="))
        .and_then(|c| c.split(';').next())
        .expect("a staff session cookie")
        .to_owned()
}

/// The status of the agenda asked for with only `cookie` (a copied session cookie).
async fn agenda_with_cookie(app: &TestApp, cookie: String) -> u16 {
    let request = axum::http::Request::get("/staff/agenda")
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(request).await.status.as_u16()
}

/// A closure of Madrid on Tuesday 2 March 2027 for `reason`, as the form sends it.
fn tuesday_closure(reason: &str) -> [(&'static str, &str); 4] {
    [
        ("office_id", MADRID),
        ("from", "2027-03-02"),
        ("to", "2027-03-02"),
        ("reason", reason),
    ]
}

/// The action buttons' form token on a staff page.
pub(crate) fn staff_csrf(page: &Page) -> String {
    csrf_of(&page.body)
}

async fn signing_in_opens_a_session_that_signing_out_ends(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "ana", Role::Agent, Some(MADRID)).await;
    let mut browser = Browser::new(&app);
    // Not signed in: every staff page leads to the sign-in page.
    for path in [
        "/staff",
        "/staff/agenda",
        "/staff/walk-in",
        "/staff/closures",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/staff/sign-in"), "{path}");
    }
    // A wrong token: 401, the problem at the field, nothing opened.
    let form = browser.get("/staff/sign-in").await;
    let wrong = browser
        .post(
            "/staff/sign-in",
            &csrf_of(&form.body),
            &[("token", "not-a-token")],
        )
        .await;
    assert_page(
        &wrong,
        401,
        "es",
        &["error-summary", "href=\"#token\"", "no es válida"],
    );
    assert!(
        !browser
            .set_cookies
            .iter()
            .any(|c| c.starts_with("cita_staff="))
    );
    // The right one: the agenda, and a session cookie with strict flags.
    let agenda = sign_in(&mut browser, &token).await;
    assert_page(&agenda, 200, "es", &["Agenda del día", "ana (ventanilla)"]);
    let cookie = browser
        .set_cookies
        .iter()
        .find(|c| c.starts_with("cita_staff="))
        .expect("a staff session cookie")
        .clone();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/staff", "Secure"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(
        !cookie.contains(&token),
        "the token itself is not the cookie"
    );
    // The token never appears in a URL or a page.
    assert!(browser.seen_urls.iter().all(|u| !u.contains(&token)));
    assert!(!agenda.body.contains(&token));
    // Signing out ends the session on the server: the old cookie opens nothing.
    let stolen = staff_cookie(&browser);
    let out = browser
        .post("/staff/sign-out", &staff_csrf(&agenda), &[])
        .await;
    assert_page(&out, 200, "es", &["Has salido"]);
    assert_eq!(agenda_with_cookie(&app, stolen).await, 303);
    // A revoked user's session ends too.
    let mut again = Browser::new(&app);
    sign_in(&mut again, &token).await;
    assert!(app.state.booking.revoke_staff_user("ana").await.unwrap());
    assert_eq!(again.get("/staff/agenda").await.status, 303);
}

async fn a_session_ends_when_idle_and_a_new_sign_in_replaces_it(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "ana", Role::Manager, Some(MADRID)).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    // In use every few hours: it stays open past the idle limit in total.
    for _ in 0..3 {
        app.clock.advance(Duration::hours(7));
        assert_eq!(browser.get("/staff/agenda").await.status, 200);
    }
    // Eight hours without use: over.
    app.clock.advance(Duration::hours(8) + Duration::minutes(1));
    let page = browser.get("/staff/agenda").await;
    assert_eq!(page.location.as_deref(), Some("/staff/sign-in"));
    // Each sign-in is a new session id; the previous one stops working.
    sign_in(&mut browser, &token).await;
    let first = staff_cookie(&browser);
    sign_in(&mut browser, &token).await;
    let second = staff_cookie(&browser);
    assert_ne!(first, second);
    assert_eq!(agenda_with_cookie(&app, first).await, 303);
    assert_eq!(agenda_with_cookie(&app, second).await, 200);
    // Idle sessions do not pile up: a sign-in sweeps them (here one left open in another
    // browser, never signed out).
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM staff_sessions")
            .fetch_one(app.state.booking.store().sql_pool().expect("an SQL store"))
            .await
            .unwrap()
    };
    assert_eq!(
        sessions().await,
        1,
        "a new sign-in ended the one it replaced"
    );
    sign_in(&mut Browser::new(&app), &token).await;
    assert_eq!(sessions().await, 2);
    app.clock.advance(Duration::hours(9));
    sign_in(&mut Browser::new(&app), &token).await;
    assert_eq!(sessions().await, 1, "only the newest is left");
}

async fn every_staff_form_refuses_a_missing_or_foreign_csrf_token(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "root", Role::Admin, None).await;
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &dni(501)))
        .await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    // Another signed-in browser's token is foreign here.
    let mut other = Browser::new(&app);
    let foreign = staff_csrf(&sign_in(&mut other, &token).await);
    let forms: [(&str, Vec<(&str, &str)>); 6] = [
        (
            "/staff/appointment",
            vec![("locator", &booked.locator), ("action", "check-in")],
        ),
        ("/staff/walk-in", vec![("office_id", MADRID)]),
        ("/staff/closures", tuesday_closure("x").to_vec()),
        ("/staff/closures/confirm", tuesday_closure("x").to_vec()),
        ("/staff/sign-out", vec![]),
        ("/staff/sign-in", vec![("token", &token)]),
    ];
    for (path, fields) in &forms {
        for csrf in ["", foreign.as_str()] {
            let answer = browser.post(path, csrf, fields).await;
            assert_eq!(answer.status, 403, "{path} with {csrf:?}: {}", answer.body);
        }
    }
    // Nothing happened: still booked, not closed, still signed in.
    let agenda = browser.get(TUESDAY_AGENDA).await;
    assert_page(&agenda, 200, "es", &["Reservada", &booked.locator]);
    assert!(
        !agenda.body.contains("La oficina está cerrada"),
        "{}",
        agenda.body
    );
    let appointment = app
        .state
        .booking
        .appointment_by_locator(&booked.locator)
        .await
        .unwrap();
    assert_eq!(appointment.status.as_str(), "booked");
}

/// Posts `action` on `locator` with `page`'s form token, and follows to the agenda.
pub(crate) async fn act(
    browser: &mut Browser<'_>,
    page: &Page,
    locator: &str,
    action: &str,
) -> Page {
    browser
        .post(
            "/staff/appointment",
            &staff_csrf(page),
            &[("locator", locator), ("action", action)],
        )
        .await
}

async fn a_day_at_the_counter(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "ana", Role::Agent, Some(MADRID)).await;
    let first = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &dni(601)))
        .await;
    let second = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("09:15"), &dni(602)))
        .await;
    let third = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("09:30"), &dni(603)))
        .await;
    // Tuesday 08:50 in Madrid: the first citizen is next.
    app.clock.set(instant("2027-03-02T07:50:00Z"));
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    let agenda = browser.get(&format!("{TUESDAY_AGENDA}&lang=en")).await;
    assert_page(
        &agenda,
        200,
        "en",
        &[
            "Next:",
            "09:00",
            "3 appointments, 3 to come",
            "Tuesday 2 March 2027",
        ],
    );
    let next = attribute_after(&agenda.body, "slot booked next", "class").is_some();
    assert!(next, "the next citizen stands out: {}", agenda.body);
    assert!(agenda.body.contains(&first.locator));
    // No "did not come" before the time has come.
    assert!(!agenda.body.contains("action=no-show"), "{}", agenda.body);
    // Check-in, with an undo offered; undo puts it back.
    let after = act(&mut browser, &agenda, &first.locator, "check-in").await;
    assert_page(
        &after,
        200,
        "en",
        &["has arrived", "Undo the arrival of", "Arrived"],
    );
    let undone = act(&mut browser, &after, &first.locator, "undo-check-in").await;
    assert_page(&undone, 200, "en", &["is booked again"]);
    let status = |locator: String| {
        let app = &app;
        async move {
            app.state
                .booking
                .appointment_by_locator(&locator)
                .await
                .unwrap()
                .status
                .as_str()
        }
    };
    assert_eq!(status(first.locator.clone()).await, "booked");
    let page = act(&mut browser, &undone, &first.locator, "check-in").await;
    let page = act(&mut browser, &page, &first.locator, "complete").await;
    assert_page(&page, 200, "en", &["served"]);
    assert_eq!(status(first.locator.clone()).await, "completed");
    // Acting twice is harmless: it says the appointment had already changed.
    let page = act(&mut browser, &page, &first.locator, "complete").await;
    assert_page(&page, 200, "en", &["had already changed"]);
    // A no-show is refused before the start, and needs a confirmation after it.
    let early = act(&mut browser, &page, &second.locator, "no-show").await;
    assert_page(&early, 200, "en", &["once their time has passed"]);
    assert_eq!(status(second.locator.clone()).await, "booked");
    app.clock.set(instant("2027-03-02T08:20:00Z"));
    let agenda = browser.get(&format!("{TUESDAY_AGENDA}&lang=en")).await;
    let confirm_href = format!(
        "/staff/confirm?locator={}&#38;action=no-show",
        second.locator
    );
    assert!(agenda.body.contains(&confirm_href), "{}", agenda.body);
    let confirm = browser
        .get(&format!(
            "/staff/confirm?locator={}&action=no-show&lang=en",
            second.locator
        ))
        .await;
    assert_page(
        &confirm,
        200,
        "en",
        &["Mark as did not come?", "Yes, did not come"],
    );
    assert_eq!(
        status(second.locator.clone()).await,
        "booked",
        "a confirmation page changes nothing"
    );
    let page = act(&mut browser, &confirm, &second.locator, "no-show").await;
    assert_page(&page, 200, "en", &["marked as did not come"]);
    assert_eq!(status(second.locator.clone()).await, "no_show");
    // Cancel: a confirmation with a reason, then cancelled.
    let confirm = browser
        .get(&format!(
            "/staff/confirm?locator={}&action=cancel&lang=es",
            third.locator
        ))
        .await;
    assert_page(
        &confirm,
        200,
        "es",
        &["¿Anular esta cita?", "Motivo (opcional)"],
    );
    let page = browser
        .post(
            "/staff/appointment",
            &staff_csrf(&confirm),
            &[
                ("locator", &third.locator),
                ("action", "cancel"),
                ("reason", "la persona llamó"),
            ],
        )
        .await;
    assert_page(&page, 200, "es", &["anulada", "Anulada"]);
    assert_eq!(status(third.locator.clone()).await, "cancelled");
    // Unknown actions and locators are a 404 page.
    let bad = act(&mut browser, &page, &third.locator, "delete").await;
    assert_eq!(bad.status, 404);
    let bad = act(&mut browser, &page, "ZZZZZZZZ", "check-in").await;
    assert_eq!(bad.status, 404);
    let bad = browser
        .get("/staff/confirm?locator=ZZZZZZZZ&action=cancel")
        .await;
    assert_eq!(bad.status, 404);
    // A list view and a print view of the same day.
    let list = browser.get(&format!("{TUESDAY_AGENDA}&view=list")).await;
    assert_page(
        &list,
        200,
        "es",
        &[
            "<table class=\"agenda-list\"",
            "Atendida",
            "No vino",
            "Anulada",
        ],
    );
    let print = browser
        .get("/staff/agenda/print?office_id=madrid-extranjeria&date=2027-03-02")
        .await;
    assert_page(&print, 200, "es", &["print-desk", &first.locator]);
    // A typed day that is not a date falls back to today; a holiday says so.
    let holiday = browser
        .get("/staff/agenda?office_id=madrid-extranjeria&date=2027-01-06")
        .await;
    assert_page(&holiday, 200, "es", &["Es festivo"]);
}

async fn a_walk_in_is_booked_from_the_counter(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "ana", Role::Agent, Some(MADRID)).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    let start = browser.get("/staff/walk-in").await;
    assert_page(
        &start,
        200,
        "es",
        &["Cita en ventanilla o por teléfono", "Elige un trámite"],
    );
    let times = browser
        .get("/staff/walk-in?office_id=madrid-extranjeria&service_id=huellas-tie")
        .await;
    assert_page(
        &times,
        200,
        "es",
        &["Próximas horas libres", "name=\"start\""],
    );
    let first_time = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let key = attribute_after(&times.body, "name=\"key\"", "value").unwrap();
    let csrf = staff_csrf(&times);
    let base = [
        ("office_id", MADRID),
        ("service_id", HUELLAS),
        ("date", ""),
        ("key", key.as_str()),
        ("document_type", "dni"),
    ];
    // No time, a wrong letter: each problem at its field, what was typed kept.
    let mut fields = base.to_vec();
    fields.extend([("name", "Pilar Gómez"), ("document", "12345678A")]);
    let wrong = browser.post("/staff/walk-in", &csrf, &fields).await;
    assert_page(
        &wrong,
        422,
        "es",
        &[
            "error-summary",
            "href=\"#start\"",
            "href=\"#document\"",
            "Elige una hora",
            "value=\"Pilar Gómez\"",
        ],
    );
    // Right: booked, the locator shown big, and on the agenda.
    let document = dni(777);
    let mut fields = base.to_vec();
    fields.extend([
        ("name", "Pilar Gómez"),
        ("document", &document),
        ("start", &first_time),
    ]);
    let done = browser.post("/staff/walk-in", &csrf, &fields).await;
    assert_page(
        &done,
        200,
        "es",
        &["Cita reservada", "class=\"locator\"", "Pilar Gómez"],
    );
    let locator = done
        .body
        .split("class=\"locator\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let appointment = app
        .state
        .booking
        .appointment_by_locator(&locator)
        .await
        .unwrap();
    assert_eq!(appointment.citizen_name, "Pilar Gómez");
    // The same form again (a double submit) books nothing more.
    let again = browser.post("/staff/walk-in", &csrf, &fields).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(
        again.body.contains(&locator),
        "the replay shows the same appointment"
    );
    // The document is not in any URL.
    assert!(browser.seen_urls.iter().all(|u| !u.contains(&document)));
    // The same citizen again for the procedure: refused in words for staff.
    let times = browser
        .get("/staff/walk-in?office_id=madrid-extranjeria&service_id=huellas-tie")
        .await;
    let another = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let key = attribute_after(&times.body, "name=\"key\"", "value").unwrap();
    let fields = [
        ("office_id", MADRID),
        ("service_id", HUELLAS),
        ("date", ""),
        ("key", key.as_str()),
        ("document_type", "dni"),
        ("name", "Pilar Gómez"),
        ("document", document.as_str()),
        ("start", another.as_str()),
    ];
    let refused = browser
        .post("/staff/walk-in", &staff_csrf(&times), &fields)
        .await;
    assert_page(
        &refused,
        422,
        "es",
        &["Esta persona ya tiene una cita para este trámite"],
    );
    // A chosen day lists that day's times.
    let day = browser
        .get("/staff/walk-in?office_id=madrid-extranjeria&service_id=huellas-tie&date=2027-03-03")
        .await;
    assert_page(
        &day,
        200,
        "es",
        &[
            "Horas libres el miércoles, 3 de marzo de 2027",
            "2027-03-03T",
        ],
    );
}

async fn a_closure_lists_what_it_cancels_before_it_is_confirmed(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = token_for(&app, "marta", Role::Manager, Some(MADRID)).await;
    let one = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("10:00"), &dni(801)))
        .await;
    let two = app
        .book(&BookReq::new(MADRID, ASILO, &tuesday("11:00"), &dni(802)))
        .await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    let form = browser.get("/staff/closures").await;
    assert_page(
        &form,
        200,
        "es",
        &["Cerrar la oficina", "Primer día cerrado"],
    );
    let csrf = staff_csrf(&form);
    // Bad input: each problem at its field.
    let bad = browser
        .post(
            "/staff/closures",
            &csrf,
            &[
                ("office_id", MADRID),
                ("from", "2027-03-03"),
                ("to", "2027-03-02"),
                ("reason", " "),
            ],
        )
        .await;
    assert_page(
        &bad,
        422,
        "es",
        &["href=\"#to\"", "href=\"#reason\"", "no puede ser anterior"],
    );
    let bad = browser
        .post(
            "/staff/closures",
            &csrf,
            &[
                ("office_id", MADRID),
                ("from", "mañana"),
                ("to", "2027-03-02"),
                ("reason", "huelga"),
            ],
        )
        .await;
    assert_page(&bad, 422, "es", &["href=\"#from\""]);
    // The preview lists both and cancels nothing.
    let fields = tuesday_closure("huelga general");
    let preview = browser.post("/staff/closures", &csrf, &fields).await;
    assert_page(
        &preview,
        200,
        "es",
        &[
            "anulará 2 citas",
            &one.locator,
            &two.locator,
            "Cerrar y anular las citas",
        ],
    );
    for locator in [&one.locator, &two.locator] {
        let a = app
            .state
            .booking
            .appointment_by_locator(locator)
            .await
            .unwrap();
        assert_eq!(a.status.as_str(), "booked", "a preview cancels nothing");
    }
    // Confirmed: both cancelled, and the page says how many.
    let done = browser
        .post("/staff/closures/confirm", &staff_csrf(&preview), &fields)
        .await;
    assert_page(&done, 200, "es", &["Se han anulado 2 citas"]);
    for locator in [&one.locator, &two.locator] {
        let a = app
            .state
            .booking
            .appointment_by_locator(locator)
            .await
            .unwrap();
        assert_eq!(a.status.as_str(), "cancelled");
    }
    let agenda = browser.get(TUESDAY_AGENDA).await;
    assert_page(&agenda, 200, "es", &["La oficina está cerrada este día"]);
}

async fn agents_and_managers_reach_only_their_own_office(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let madrid_booking = app
        .book(&BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &dni(901)))
        .await;
    let people = [
        ("admin", Role::Admin, None),
        ("manager-madrid", Role::Manager, Some(MADRID)),
        ("agent-madrid", Role::Agent, Some(MADRID)),
        ("manager-bcn", Role::Manager, Some(BARCELONA)),
        ("agent-bcn", Role::Agent, Some(BARCELONA)),
    ];
    for (name, role, office) in people {
        let token = token_for(&app, name, role, office).await;
        let mut browser = Browser::new(&app);
        let home = sign_in(&mut browser, &token).await;
        let madrid = office.is_none_or(|o| o == MADRID);
        let closes = role != Role::Agent;
        let expect = |allowed: bool| if allowed { 200 } else { 404 };
        let gets = [
            (TUESDAY_AGENDA.to_owned(), expect(madrid)),
            (
                "/staff/agenda/print?office_id=madrid-extranjeria&date=2027-03-02".to_owned(),
                expect(madrid),
            ),
            (
                "/staff/walk-in?office_id=madrid-extranjeria".to_owned(),
                expect(madrid),
            ),
            (
                "/staff/closures?office_id=madrid-extranjeria".to_owned(),
                expect(madrid && closes),
            ),
            ("/staff/closures".to_owned(), expect(closes)),
            (
                format!(
                    "/staff/confirm?locator={}&action=cancel",
                    madrid_booking.locator
                ),
                expect(madrid),
            ),
            ("/staff/agenda?office_id=nowhere".to_owned(), 404),
            (
                "/staff/statistics?office_id=madrid-extranjeria".to_owned(),
                expect(madrid && closes),
            ),
            (
                "/staff/statistics.csv?office_id=madrid-extranjeria".to_owned(),
                expect(madrid && closes),
            ),
            (
                "/staff/feeds?office_id=madrid-extranjeria".to_owned(),
                expect(madrid && closes),
            ),
            (
                "/staff/audit?office_id=madrid-extranjeria".to_owned(),
                expect(madrid && closes),
            ),
            ("/staff/statistics".to_owned(), expect(closes)),
            ("/staff/feeds".to_owned(), expect(closes)),
            ("/staff/audit".to_owned(), expect(closes)),
            ("/staff/config".to_owned(), expect(role == Role::Admin)),
        ];
        for (path, status) in &gets {
            let page = browser.get(path).await;
            assert_eq!(page.status, *status, "{name} GET {path}");
            if *status == 404 {
                assert!(
                    !page.body.contains(&madrid_booking.locator),
                    "{name} {path}"
                );
            }
        }
        // The menu offers exactly the pages the role may open.
        for (href, shown) in [
            ("/staff/closures", closes),
            ("/staff/statistics", closes),
            ("/staff/feeds", closes),
            ("/staff/audit", closes),
            ("/staff/config", role == Role::Admin),
        ] {
            assert_eq!(
                home.body.contains(&format!("href=\"{href}\"")),
                shown,
                "{name} menu {href}"
            );
        }
        // Acting on Madrid's appointment from another office: 404, and nothing changes.
        if !madrid {
            let csrf = staff_csrf(&home);
            let page = browser
                .post(
                    "/staff/appointment",
                    &csrf,
                    &[("locator", &madrid_booking.locator), ("action", "check-in")],
                )
                .await;
            assert_eq!(page.status, 404, "{name}");
            let page = browser
                .post("/staff/closures/confirm", &csrf, &tuesday_closure("x"))
                .await;
            assert_eq!(page.status, 404, "{name}");
            let page = browser
                .post(
                    "/staff/walk-in",
                    &csrf,
                    &[("office_id", MADRID), ("service_id", HUELLAS)],
                )
                .await;
            assert_eq!(page.status, 404, "{name}");
            let page = browser
                .post(
                    "/staff/feeds",
                    &csrf,
                    &[("office_id", MADRID), ("desk_id", "")],
                )
                .await;
            assert_eq!(page.status, 404, "{name} creates a Madrid feed link");
            let page = browser
                .post(
                    "/staff/feeds/revoke",
                    &csrf,
                    &[("office_id", MADRID), ("id", "0"), ("confirm", "yes")],
                )
                .await;
            assert_eq!(page.status, 404, "{name} revokes a Madrid feed link");
        }
        if madrid && !closes {
            let page = browser
                .post(
                    "/staff/closures/confirm",
                    &staff_csrf(&home),
                    &tuesday_closure("x"),
                )
                .await;
            assert_eq!(page.status, 404, "{name} may not close");
        }
    }
    let a = app
        .state
        .booking
        .appointment_by_locator(&madrid_booking.locator)
        .await
        .unwrap();
    assert_eq!(a.status.as_str(), "booked");
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client() {
    let settings = LimitSettings {
        browse: Rate {
            per_minute: 6000,
            burst: 1000,
        },
        failed_lookups: Rate {
            per_minute: 3,
            burst: 3,
        },
        ..limits()
    };
    let app = protected(settings, false).await;
    let token = token_for(&app, "ana", Role::Agent, Some(MADRID)).await;
    let mut browser = Browser::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let form = browser.get("/staff/sign-in").await;
        let answer = browser
            .post(
                "/staff/sign-in",
                &csrf_of(&form.body),
                &[("token", "guess")],
            )
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(&statuses[..3], &[401, 401, 401], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    // The limited page is a page, not JSON.
    let form = browser.get("/staff/sign-in").await;
    let limited = browser
        .post("/staff/sign-in", &csrf_of(&form.body), &[("token", &token)])
        .await;
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("<html lang="), "{}", limited.body);
}
