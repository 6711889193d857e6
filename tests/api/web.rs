//! The citizens' pages (DESIGN §12) through the real router, as a browser without
//! JavaScript uses them: cookies kept, forms posted with their CSRF token, redirects
//! followed. Every page of the booking and managing journeys in both languages, the
//! session cookie's flags, CSRF refusals, error states, and that no document, name or
//! token ever reaches a URL.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, header};

use crate::both_backends;
use crate::common::*;

both_backends!(
    the_whole_journey_in_spanish_and_english,
    forms_refuse_a_missing_or_foreign_csrf_token,
    the_details_form_explains_each_problem_and_keeps_what_was_typed,
    a_time_taken_meanwhile_leads_back_to_the_nearest_free_ones,
    the_hold_can_be_extended_twice,
    problems_are_pages_in_the_visitors_language,
);

/// A browser: its cookies, and every URL it was sent to.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    pub(crate) seen_urls: Vec<String>,
    pub(crate) set_cookies: Vec<String>,
    /// Every HTML page received: its URL and size in bytes.
    pages: Vec<(String, usize)>,
}

/// A page as the browser got it.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    /// The `Refresh` header: the page reloads itself after this many seconds.
    pub(crate) refresh: Option<String>,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
            seen_urls: Vec::new(),
            set_cookies: Vec::new(),
            pages: Vec::new(),
        }
    }

    pub(crate) async fn send(
        &mut self,
        method: Method,
        url: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        match form {
            Some(fields) => {
                let body = form_encode(fields).into_bytes();
                self.send_body(method, url, Some("application/x-www-form-urlencoded"), body)
                    .await
            }
            None => self.send_body(method, url, None, Vec::new()).await,
        }
    }

    /// Sends `body` as it is, with `content_type` if any, and the browser's cookies;
    /// keeps the cookies it is given back.
    pub(crate) async fn send_body(
        &mut self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Page {
        self.seen_urls.push(url.to_owned());
        let mut request = Request::builder().method(method).uri(url);
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(header::COOKIE, cookie.join("; "));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let answer = self.app.send(request.body(Body::from(body)).unwrap()).await;
        for value in answer.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap().to_owned();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
            self.set_cookies.push(text);
        }
        let location = answer
            .headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        if let Some(location) = &location {
            self.seen_urls.push(location.clone());
        }
        if answer.content_type().starts_with("text/html") {
            self.pages.push((url.to_owned(), answer.body.len()));
        }
        Page {
            status: answer.status.as_u16(),
            location,
            refresh: answer
                .headers
                .get("refresh")
                .map(|r| r.to_str().unwrap().to_owned()),
            body: answer.text(),
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> Page {
        self.send(Method::GET, url, None).await
    }

    /// POSTs `fields` (with the page's CSRF token) and follows a 303.
    pub(crate) async fn post(&mut self, url: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", csrf)];
        all.extend_from_slice(fields);
        let answer = self.send(Method::POST, url, Some(&all)).await;
        match (answer.status, &answer.location) {
            (303, Some(location)) => {
                let location = location.clone();
                self.get(&location).await
            }
            _ => answer,
        }
    }

    /// POSTs `fields` (the CSRF token among them, if any) and `file` as
    /// `multipart/form-data`. Unlike [`Browser::post`] it does not follow a 303, so that
    /// the redirect itself can be checked.
    pub(crate) async fn post_multipart(
        &mut self,
        url: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Page {
        let (content_type, body) = multipart_body(fields, file);
        self.send_body(Method::POST, url, Some(&content_type), body)
            .await
    }
}

/// A `multipart/form-data` body of `fields` and an optional file `(field, filename,
/// bytes)`, as a browser sends a form with `enctype="multipart/form-data"`.
pub(crate) fn multipart_body(
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = "----citaTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        assert!(!value.contains(boundary), "the boundary is in {name}");
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        assert!(
            !bytes
                .windows(boundary.len())
                .any(|w| w == boundary.as_bytes()),
            "the boundary is in the file"
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The HTML-unescaped value of the first `attribute="…"` after `marker` in `body`.
pub(crate) fn attribute_after(body: &str, marker: &str, attribute: &str) -> Option<String> {
    let from = body.find(marker)?;
    let rest = &body[from..];
    let start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = rest[start..].find('"')? + start;
    Some(
        rest[start..end]
            .replace("&#38;", "&")
            .replace("&amp;", "&")
            .replace("&#43;", "+"),
    )
}

pub(crate) fn csrf_of(body: &str) -> String {
    attribute_after(body, "name=\"csrf\"", "value").expect("a form with a CSRF token")
}

/// Every `href` of links that start with `prefix`.
pub(crate) fn links(body: &str, prefix: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"))
        .filter(|href| href.starts_with(prefix))
        .collect()
}

/// Asserts a page in `lang` with status `status` whose body contains every one of `texts`.
#[track_caller]
pub(crate) fn assert_page(page: &Page, status: u16, lang: &str, texts: &[&str]) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(
        page.body.contains(&format!("<html lang=\"{lang}\">")),
        "not in {lang}: {}",
        page.body
    );
    for text in texts {
        assert!(page.body.contains(text), "no {text:?} in:\n{}", page.body);
    }
}

/// Texts of each language the journey checks.
struct Words {
    lang: &'static str,
    start: &'static str,
    procedure: &'static str,
    office: &'static str,
    day: &'static str,
    time: &'static str,
    details: &'static str,
    check: &'static str,
    done: &'static str,
    locator: &'static str,
    manage: &'static str,
    moved: &'static str,
    cancel: &'static str,
    cancelled: &'static str,
}

const SPANISH: Words = Words {
    lang: "es",
    start: "Pedir cita",
    procedure: "¿Qué trámite quieres hacer?",
    office: "¿En qué oficina?",
    day: "¿Qué día?",
    time: "¿A qué hora?",
    details: "Tus datos",
    check: "Comprueba tu cita",
    done: "Cita confirmada",
    locator: "Tu localizador",
    manage: "Tu cita",
    moved: "Hemos cambiado tu cita",
    cancel: "¿Seguro que quieres anular la cita?",
    cancelled: "Cita anulada",
};

const ENGLISH: Words = Words {
    lang: "en",
    start: "Book an appointment",
    procedure: "What do you need to do?",
    office: "Which office?",
    day: "Which day?",
    time: "At what time?",
    details: "Your details",
    check: "Check your appointment",
    done: "Appointment confirmed",
    locator: "Your locator",
    manage: "Your appointment",
    moved: "We have changed your appointment",
    cancel: "Are you sure you want to cancel the appointment?",
    cancelled: "Appointment cancelled",
};

async fn the_whole_journey_in_spanish_and_english(db: Db) {
    let Some(app) = spawn(db).await else { return };
    for (words, document, name) in [
        (&SPANISH, dni(31_415_926), "Ana García López"),
        (&ENGLISH, dni(27_182_818), "John Smith Brown"),
    ] {
        journey(&app, words, &document, name).await;
    }
}

async fn journey(app: &TestApp, w: &Words, document: &str, name: &str) {
    let mut browser = Browser::new(app);
    let first = if w.lang == "es" { "/" } else { "/?lang=en" };
    let start = browser.get(first).await;
    assert_page(
        &start,
        200,
        w.lang,
        &[w.start, "href=\"/book\"", "href=\"/manage\""],
    );
    // The language is remembered from here on.
    let procedures = browser.get("/book").await;
    assert_page(
        &procedures,
        200,
        w.lang,
        &[w.procedure, "Renovación del DNI"],
    );
    let office_link = links(&procedures.body, "/book/office?service_id=renovacion-dni");
    let offices = browser.get(&office_link[0]).await;
    assert_page(&offices, 200, w.lang, &[w.office, "Las Palmas"]);
    let day_link = links(&offices.body, "/book/day?")[0].clone();
    let days = browser.get(&day_link).await;
    assert_page(&days, 200, w.lang, &[w.day]);
    // 1 March 2027 is a Monday: Tuesday 2 March has free times.
    let time_link = links(&days.body, "/book/time?")
        .into_iter()
        .find(|l| l.ends_with("date=2027-03-02"))
        .expect("Tuesday is bookable");
    let times = browser.get(&time_link).await;
    assert_page(&times, 200, w.lang, &[w.time, "name=\"start\""]);
    let start_value = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    assert!(
        start_value.starts_with("2027-03-02T08:00:00+00:00"),
        "{start_value}"
    );
    let csrf = csrf_of(&times.body);
    let details = browser
        .post(
            "/book/time",
            &csrf,
            &[
                ("office_id", LAS_PALMAS),
                ("service_id", RENOVACION),
                ("date", "2027-03-02"),
                ("start", &start_value),
            ],
        )
        .await;
    assert_page(&details, 200, w.lang, &[w.details, "07:05"]);
    assert_eq!(
        app.capacity_at(LAS_PALMAS, RENOVACION, &start_value).await,
        0
    );
    let check = browser
        .post(
            "/book/details",
            &csrf,
            &[
                ("name", name),
                ("document_type", "dni"),
                ("document", &document.to_lowercase()),
                ("email", "someone@example.es"),
                ("phone", ""),
            ],
        )
        .await;
    assert_page(
        &check,
        200,
        w.lang,
        &[w.check, name, document, "someone@example.es"],
    );
    let done = browser.post("/book/check", &csrf, &[]).await;
    assert_page(&done, 200, w.lang, &[w.done, w.locator, "Calle Ejemplo 3"]);
    let locator = done
        .body
        .split("<p class=\"locator\"><strong>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(locator.len(), 8);
    // The calendar file opens with the link on the page.
    let ics = links(&done.body, "/api/v1/appointments/")[0].clone();
    let calendar = browser.get(&ics).await;
    assert_eq!(calendar.status, 200);
    assert!(calendar.body.contains(&format!("UID:{locator}@")));
    assert_light(app, &browser).await;
    // Manage it: find, reschedule, cancel.
    let mut browser = Browser::new(app);
    let find = browser.get(&format!("/manage?lang={}", w.lang)).await;
    let csrf = csrf_of(&find.body);
    let appointment = browser
        .post(
            "/manage",
            &csrf,
            &[("locator", &locator.to_lowercase()), ("document", document)],
        )
        .await;
    assert_page(
        &appointment,
        200,
        w.lang,
        &[w.manage, &locator, "/manage/day"],
    );
    let days = browser.get("/manage/day").await;
    let time_link = links(&days.body, "/manage/time?")
        .into_iter()
        .find(|l| l.ends_with("date=2027-03-03"))
        .expect("Wednesday is bookable");
    let times = browser.get(&time_link).await;
    let new_start = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let moved = browser
        .post(
            "/manage/time",
            &csrf,
            &[("date", "2027-03-03"), ("start", &new_start)],
        )
        .await;
    assert_page(&moved, 200, w.lang, &[w.moved, "08:00"]);
    let confirm = browser.get("/manage/cancel").await;
    assert_page(&confirm, 200, w.lang, &[w.cancel]);
    let cancelled = browser.post("/manage/cancel", &csrf, &[]).await;
    assert_page(&cancelled, 200, w.lang, &[w.cancelled]);
    let found = app
        .post_json(
            "/api/v1/appointments/lookup",
            &serde_json::json!({"locator": locator, "document": document}),
        )
        .await
        .ok(200);
    assert_eq!(found["status"], "cancelled");
    // Nothing personal or secret in any URL the browser was sent to.
    for url in &browser.seen_urls {
        for secret in [document, &document.to_lowercase(), name, "someone"] {
            assert!(!url.contains(secret), "{url} holds {secret}");
        }
    }
    for cookie in &browser.set_cookies {
        assert!(!cookie.contains(document), "{cookie}");
    }
    assert_light(app, &browser).await;
}

/// Each page with the stylesheet (and the script, which every page may load) weighs at
/// most 30 KB, uncompressed: what a slow phone network carries in about a second.
async fn assert_light(app: &TestApp, browser: &Browser<'_>) {
    let css = app.get("/static/cita.css").await;
    let js = app.get("/static/cita.js").await;
    assert_eq!((css.status.as_u16(), js.status.as_u16()), (200, 200));
    assert!(css.content_type().starts_with("text/css"));
    let assets = css.body.len() + js.body.len();
    assert!(browser.pages.len() >= 7, "{:?}", browser.pages);
    for (url, size) in &browser.pages {
        assert!(size + assets <= 30 * 1024, "{url}: {size} + {assets} bytes");
    }
}

async fn forms_refuse_a_missing_or_foreign_csrf_token(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let mut mine = Browser::new(&app);
    let mut theirs = Browser::new(&app);
    let times = mine
        .get("/book/time?office_id=las-palmas-dni&service_id=renovacion-dni&date=2027-03-02")
        .await;
    let start = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let their_page = theirs.get("/manage").await;
    let their_csrf = csrf_of(&their_page.body);
    let fields = [
        ("office_id", LAS_PALMAS),
        ("service_id", RENOVACION),
        ("date", "2027-03-02"),
        ("start", start.as_str()),
    ];
    for csrf in ["", "0123456789abcdef0123456789abcdef01234567", &their_csrf] {
        let refused = mine.post("/book/time", csrf, &fields).await;
        assert_page(&refused, 403, "es", &["La página ha caducado"]);
    }
    for (path, extra) in [
        ("/book/details", vec![("name", "Ana")]),
        ("/book/check", vec![]),
        ("/book/extend", vec![]),
        (
            "/manage",
            vec![("locator", "ABCDEFGH"), ("document", "12345678Z")],
        ),
        (
            "/manage/time",
            vec![("date", "2027-03-02"), ("start", start.as_str())],
        ),
        ("/manage/cancel", vec![]),
        (
            "/queue",
            vec![("room", "las-palmas-dni.renovacion-dni.20270301T0730")],
        ),
        ("/draw", vec![("draw_id", "x")]),
    ] {
        let refused = mine.post(path, "forged", &extra).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
    }
    // Nothing was held.
    assert!(app.capacity_at(LAS_PALMAS, RENOVACION, &start).await > 0);
    // The session cookie: encrypted, HttpOnly, SameSite, Secure (the service is on https).
    let session = mine
        .set_cookies
        .iter()
        .find(|c| c.starts_with("cita_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    let mut english = Browser::new(&app);
    english.get("/?lang=en").await;
    let lang_cookie = english
        .set_cookies
        .iter()
        .find(|c| c.starts_with("lang="))
        .unwrap();
    assert!(lang_cookie.contains("lang=en") && lang_cookie.contains("SameSite=Lax"));
}

/// Chooses the first time of Tuesday 2 March in Las Palmas; returns the details page,
/// the CSRF token and the start.
async fn choose_a_time(browser: &mut Browser<'_>, lang: &str) -> (Page, String, String) {
    let times = browser
        .get(&format!(
            "/book/time?office_id=las-palmas-dni&service_id=renovacion-dni&date=2027-03-02&lang={lang}"
        ))
        .await;
    let start = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let csrf = csrf_of(&times.body);
    let details = browser
        .post(
            "/book/time",
            &csrf,
            &[
                ("office_id", LAS_PALMAS),
                ("service_id", RENOVACION),
                ("date", "2027-03-02"),
                ("start", &start),
            ],
        )
        .await;
    (details, csrf, start)
}

async fn the_details_form_explains_each_problem_and_keeps_what_was_typed(db: Db) {
    let Some(app) = spawn(db).await else { return };
    for (lang, letter, empty_name, email) in [
        (
            "es",
            "La letra no corresponde al número",
            "Escribe tu nombre y apellidos",
            "Ese correo no parece válido",
        ),
        (
            "en",
            "The letter does not match the number",
            "Write your full name",
            "That email does not look right",
        ),
    ] {
        let mut browser = Browser::new(&app);
        let (_, csrf, _) = choose_a_time(&mut browser, lang).await;
        let page = browser
            .post(
                "/book/details",
                &csrf,
                &[
                    ("name", " "),
                    ("document_type", "dni"),
                    ("document", "12345678A"),
                    ("email", "not-an-email"),
                    ("phone", "600 000 000"),
                ],
            )
            .await;
        assert_page(&page, 422, lang, &[letter, empty_name, email]);
        // The summary links each problem to its field, which says so too.
        for field in ["document", "name", "email"] {
            assert!(page.body.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(
                page.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        // Listed in the order of the fields on the page.
        let at = |field: &str| page.body.find(&format!("href=\"#{field}\"")).unwrap();
        assert!(at("name") < at("document") && at("document") < at("email"));
        assert!(page.body.contains("value=\"12345678A\""));
        assert!(page.body.contains("value=\"600 000 000\""));
        assert!(page.body.contains("<title>Error: "));
        // Fixed, it goes on.
        let check = browser
            .post(
                "/book/details",
                &csrf,
                &[
                    ("name", "Ana"),
                    ("document_type", "nie"),
                    ("document", "x-0000000-t"),
                    ("email", ""),
                    ("phone", ""),
                ],
            )
            .await;
        assert_eq!(check.status, 200, "{}", check.body);
        assert!(check.body.contains("X0000000T"));
    }
}

async fn a_time_taken_meanwhile_leads_back_to_the_nearest_free_ones(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let mut late = Browser::new(&app);
    let times = late
        .get("/book/time?office_id=las-palmas-dni&service_id=renovacion-dni&date=2027-03-02")
        .await;
    let start = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let csrf = csrf_of(&times.body);
    // Someone else books it first (Las Palmas has one desk).
    app.book(&BookReq::new(LAS_PALMAS, RENOVACION, &start, &dni(1)))
        .await;
    let back = late
        .post(
            "/book/time",
            &csrf,
            &[
                ("office_id", LAS_PALMAS),
                ("service_id", RENOVACION),
                ("date", "2027-03-02"),
                ("start", &start),
            ],
        )
        .await;
    assert_page(
        &back,
        200,
        "es",
        &["Esa hora se acaba de ocupar", "08:10, 08:20, 08:30."],
    );
    assert!(!back.body.contains(&format!("value=\"{start}\"")));
}

async fn the_hold_can_be_extended_twice(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let mut browser = Browser::new(&app);
    let (details, csrf, _) = choose_a_time(&mut browser, "es").await;
    // 08:00 in Las Palmas now; held for 5 minutes.
    assert!(details.body.contains("hasta las 07:05"), "{}", details.body);
    app.clock.advance(chrono::Duration::minutes(4));
    let extended = browser.post("/book/extend", &csrf, &[]).await;
    assert!(
        extended.body.contains("unos minutos más, hasta las 07:09"),
        "{}",
        extended.body
    );
    let again = browser.post("/book/extend", &csrf, &[]).await;
    assert!(again.body.contains("hasta las 07:09"));
    assert!(
        !again.body.contains("action=\"/book/extend\""),
        "no third time"
    );
    app.clock.advance(chrono::Duration::minutes(6));
    let expired = browser.get("/book/details").await;
    assert!(
        expired
            .body
            .contains("Ha pasado el tiempo que te guardábamos la hora")
    );
}

async fn problems_are_pages_in_the_visitors_language(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let mut browser = Browser::new(&app);
    let missing = browser.get("/no-such-page").await;
    assert_page(&missing, 404, "es", &["No encontramos esta página"]);
    let unknown = browser.get("/book/office?service_id=nothing&lang=en").await;
    assert_page(&unknown, 404, "en", &["We cannot find this page"]);
    let csrf = csrf_of(&browser.get("/manage").await.body);
    let found = browser
        .post(
            "/manage",
            &csrf,
            &[("locator", "ZZZZZZZZ"), ("document", &dni(3))],
        )
        .await;
    assert_page(
        &found,
        422,
        "en",
        &["There is no appointment with that locator and that document"],
    );
    // No page ever shows JSON.
    for page in [&missing, &unknown, &found] {
        assert!(!page.body.contains("\"code\""));
    }
    // Without a booking under way, the later steps send back to the start.
    let mut fresh = Browser::new(&app);
    for path in ["/book/details", "/book/check"] {
        let answer = fresh.get(path).await;
        assert_eq!(
            (answer.status, answer.location.as_deref()),
            (303, Some("/book"))
        );
    }
    let answer = fresh.get("/manage/appointment").await;
    assert_eq!(answer.location.as_deref(), Some("/manage?notice=expired"));
    // An unknown method on a page.
    let answer = fresh.send(Method::DELETE, "/book", None).await;
    assert_eq!(answer.status, 405);
    assert!(answer.body.contains("<html lang=\"es\">"));
}
