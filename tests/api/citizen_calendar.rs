//! The citizen's calendar: a link mailed (through a real SMTP server) to the address given
//! at booking opens every appointment of that document and address across offices, by
//! API and on the pages; a personal feed made from it follows bookings, moves and
//! cancellations, and stops when revoked. Knowing the document alone opens nothing.

use axum::http::Method;
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;
use crate::mail_sink::{SmtpSink, part};
use crate::notifications::{deliver, mailing_app};
use crate::web::{Browser, assert_page, csrf_of};

both_backends!(
    a_mailed_link_opens_the_appointments_of_one_document_and_address,
    the_personal_feed_follows_every_change_until_it_is_revoked,
    the_pages_ask_for_the_link_and_show_the_appointments,
    asking_refuses_bad_input_and_answers_the_same_whatever_matched,
);

const MADRID_SLOT: &str = "2027-03-02T09:00:00+01:00";
const CANARY_SLOT: &str = "2027-03-03T10:00:00+00:00";

fn book_body(office: &str, service: &str, start: &str, n: u32, email: &str, lang: &str) -> Value {
    json!({"office_id": office, "service_id": service, "start": start,
           "citizen": {"name": "Ana García López", "document": dni(n), "email": email, "language": lang}})
}

/// Two appointments of document 50 and ana@example.es (in two offices, the address typed
/// differently), one of the same document with another address, one of another document
/// with the same address. Their confirmations are sent.
async fn four_bookings(app: &TestApp) -> Vec<Value> {
    let bookings = [
        book_body(MADRID, HUELLAS, MADRID_SLOT, 50, "ana@example.es", "en"),
        book_body(
            LAS_PALMAS,
            RENOVACION,
            CANARY_SLOT,
            50,
            "Ana@Example.ES",
            "es",
        ),
        book_body(
            MADRID,
            ASILO,
            "2027-03-04T09:00:00+01:00",
            50,
            "otra@example.es",
            "es",
        ),
        book_body(
            LAS_PALMAS,
            RENOVACION,
            "2027-03-03T11:00:00+00:00",
            51,
            "ana@example.es",
            "es",
        ),
    ];
    let mut answers = Vec::new();
    for body in &bookings {
        answers.push(app.post_json("/api/v1/appointments", body).await.ok(201));
    }
    deliver(app).await;
    answers
}

/// Asks for the link by API and returns the token of the mailed one.
async fn link_token(app: &TestApp, sink: &SmtpSink, document: &str, email: &str) -> String {
    let before = sink.messages().len();
    let asked = app
        .post_json(
            "/api/v1/citizen-links",
            &json!({"document": document, "email": email}),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    assert_eq!(asked.json(), json!({"status": "requested"}));
    assert_eq!(deliver(app).await.sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), before + 1);
    let text = part(messages.last().unwrap(), "text/plain");
    let start = text.find("/my/open?token=").expect("a link") + "/my/open?token=".len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

fn locators(answer: &Value) -> Vec<String> {
    let mut all: Vec<String> = answer["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["locator"].as_str().unwrap().to_owned())
        .collect();
    all.sort();
    all
}

fn locator_of(answer: &Value) -> String {
    answer["locator"].as_str().unwrap().to_owned()
}

async fn a_mailed_link_opens_the_appointments_of_one_document_and_address(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    let booked = four_bookings(&app).await;
    // Typed another way: lower case, dashes, the address in capitals.
    let typed = format!("{}-{}", &dni(50)[..8], dni(50)[8..].to_lowercase());
    let token = link_token(&app, &sink, &typed, "ANA@example.es").await;
    let link_mail = sink.messages().last().unwrap().clone();
    // In the language of the appointment it was sent through (the soonest: English).
    assert!(
        link_mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Your appointments"),
        "{link_mail}"
    );
    assert_eq!(link_mail["rcpt_tos"], json!(["ana@example.es"]));
    let raw = sink.raw_messages().pop().unwrap();
    assert!(!raw.contains(&dni(50)), "no document in the mail");
    for answer in &booked {
        assert!(
            !raw.contains(answer["token"].as_str().unwrap()),
            "no booking token"
        );
    }

    let mine = app
        .get_with_token("/api/v1/my/appointments", &token)
        .await
        .ok(200);
    let mut expected = vec![locator_of(&booked[0]), locator_of(&booked[1])];
    expected.sort();
    assert_eq!(
        locators(&mine),
        expected,
        "both offices, neither other address nor document"
    );
    assert!(
        mine["appointments"][0].get("token").is_none(),
        "no appointment token"
    );
    assert_eq!(mine["feeds"], json!([]));
    // Without the link: 401; with a wrong one: 404; a link lasts 30 minutes.
    assert_eq!(app.get("/api/v1/my/appointments").await.status, 401);
    app.get_with_token("/api/v1/my/appointments", &"0".repeat(64))
        .await
        .problem(404, "not_found");
    app.clock.advance(Duration::minutes(31));
    app.get_with_token("/api/v1/my/appointments", &token)
        .await
        .problem(404, "not_found");
}

async fn the_personal_feed_follows_every_change_until_it_is_revoked(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    let booked = four_bookings(&app).await;
    let token = link_token(&app, &sink, &dni(50), "ana@example.es").await;
    let made = app
        .raw(
            Method::POST,
            "/api/v1/my/calendar-feeds",
            &[("authorization", &format!("Bearer {token}"))],
            "",
        )
        .await
        .ok(201);
    let url = made["url"].as_str().unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    let path = url.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    assert!(
        path.starts_with(&format!("/feeds/citizens/{id}.ics?token=")),
        "{path}"
    );
    let listed = app
        .get_with_token("/api/v1/my/appointments", &token)
        .await
        .ok(200);
    assert_eq!(listed["feeds"][0]["id"], id.as_str());
    assert!(
        listed["feeds"][0].get("url").is_none(),
        "the token is shown once"
    );

    let feed = app.get(&path).await;
    assert_eq!(feed.status, 200);
    assert!(feed.content_type().starts_with("text/calendar"));
    let text = feed.text();
    let (madrid, canary) = (locator_of(&booked[0]), locator_of(&booked[1]));
    assert!(
        text.contains(&format!("UID:{madrid}@citas.example.es")),
        "{text}"
    );
    assert!(
        text.contains(&format!("UID:{canary}@citas.example.es")),
        "{text}"
    );
    assert!(!text.contains(&locator_of(&booked[2])) && !text.contains(&locator_of(&booked[3])));
    assert!(!text.contains(&dni(50)), "no document in the feed");
    let etag = feed.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .raw(Method::GET, &path, &[("if-none-match", &etag)], "")
        .await;
    assert_eq!(again.status, 304);

    // Moved, then cancelled: the feed shows each change with the next sequence.
    let manage = |what: &str| format!("/api/v1/appointments/{madrid}/{what}");
    let madrid_token = booked[0]["token"].as_str().unwrap();
    app.post_with_token(
        &manage("reschedule"),
        madrid_token,
        &json!({"start": "2027-03-05T10:00:00+01:00"}),
    )
    .await
    .ok(200);
    let moved = app.get(&path).await.text();
    assert!(moved.contains("DTSTART:20270305T090000Z"), "{moved}");
    assert!(moved.contains("SEQUENCE:1"), "{moved}");
    app.post_with_token(&manage("cancel"), madrid_token, &json!({}))
        .await
        .ok(200);
    let cancelled = app.get(&path).await.text();
    assert!(
        cancelled.contains("STATUS:CANCELLED") && cancelled.contains("SEQUENCE:2"),
        "{cancelled}"
    );
    // A new booking of the same document and address appears by itself.
    let later = app
        .post_json(
            "/api/v1/appointments",
            &book_body(
                MADRID,
                HUELLAS,
                "2027-03-08T09:00:00+01:00",
                50,
                "ana@example.es",
                "es",
            ),
        )
        .await
        .ok(201);
    assert!(app.get(&path).await.text().contains(&locator_of(&later)));

    // Anything wrong is the same 404; revoked, it stops.
    let wrong = path.replace("token=", "token=0");
    app.get(&wrong).await.problem(404, "not_found");
    app.get(&format!("/feeds/citizens/{id}.txt?token=x"))
        .await
        .problem(404, "not_found");
    let revoke = format!("/api/v1/my/calendar-feeds/{id}/revoke");
    let auth = format!("Bearer {token}");
    assert_eq!(
        app.raw(Method::POST, &revoke, &[("authorization", &auth)], "")
            .await
            .status,
        204
    );
    app.get(&path).await.problem(404, "not_found");
    app.raw(Method::POST, &revoke, &[("authorization", &auth)], "")
        .await
        .problem(404, "not_found");
    // Five at most.
    for _ in 0..5 {
        app.raw(
            Method::POST,
            "/api/v1/my/calendar-feeds",
            &[("authorization", &auth)],
            "",
        )
        .await
        .ok(201);
    }
    app.raw(
        Method::POST,
        "/api/v1/my/calendar-feeds",
        &[("authorization", &auth)],
        "",
    )
    .await
    .problem(422, "validation_failed");
    // Once no appointment of the document keeps its personal data, the feeds go.
    for answer in [&booked[1], &booked[2], &later] {
        let locator = locator_of(answer);
        let token = answer["token"].as_str().unwrap();
        let _ = app
            .post_with_token(
                &format!("/api/v1/appointments/{locator}/cancel"),
                token,
                &json!({}),
            )
            .await;
        app.post_with_token(
            &format!("/api/v1/appointments/{locator}/erase"),
            token,
            &json!({}),
        )
        .await;
    }
    app.post_with_token(&manage("erase"), madrid_token, &json!({}))
        .await;
    app.state.booking.purge().await.unwrap();
    let owner = cita::booking::citizen_owner(&dni(50), "ana@example.es").unwrap();
    assert!(
        app.state
            .booking
            .citizen_feeds(&owner)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_pages_ask_for_the_link_and_show_the_appointments(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    let booked = four_bookings(&app).await;
    let mut browser = Browser::new(&app);
    let start = browser.get("/").await;
    assert!(
        start.body.contains("href=\"/my\""),
        "the start page leads there"
    );
    let form = browser.get("/my").await;
    assert_page(&form, 200, "es", &["Mis citas", "Enviarme el enlace"]);
    let csrf = csrf_of(&form.body);
    let refused = browser
        .post(
            "/my",
            "",
            &[("document", &dni(50)), ("email", "ana@example.es")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let wrong = browser
        .post(
            "/my",
            &csrf,
            &[("document", "¿?"), ("email", "no es un correo")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("aria-invalid=\"true\""));
    let sent = browser
        .post(
            "/my",
            &csrf,
            &[("document", &dni(50)), ("email", "ana@example.es")],
        )
        .await;
    assert_page(&sent, 200, "es", &["Revisa tu correo"]);
    // Reloading it shows the form again, and sends nothing more.
    assert_page(
        &browser.get("/my").await,
        200,
        "es",
        &["Enviarme el enlace"],
    );
    // The same page for a document and address that match nothing: no mail.
    let unknown = browser
        .post(
            "/my",
            &csrf,
            &[("document", &dni(52)), ("email", "ana@example.es")],
        )
        .await;
    assert_eq!(unknown.body, sent.body);
    assert_eq!(deliver(&app).await.sent, 1);
    let text = part(sink.messages().last().unwrap(), "text/plain");
    let link = text
        .lines()
        .find(|l| l.contains("/my/open?token="))
        .unwrap()
        .trim()
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();

    // Another visitor with an invalid link sees how to ask again.
    let mut stranger = Browser::new(&app);
    let expired = stranger.get("/my/open?token=nothing").await;
    assert_page(&expired, 404, "es", &["ha caducado o no es válido"]);

    let opened = browser.get(&link).await;
    assert_eq!(
        (opened.status, opened.location.as_deref()),
        (303, Some("/my"))
    );
    let list = browser.get("/my").await;
    assert_page(
        &list,
        200,
        "es",
        &[
            "Tus citas",
            &locator_of(&booked[0]),
            &locator_of(&booked[1]),
            "Crear un enlace de calendario",
        ],
    );
    assert!(!list.body.contains(&locator_of(&booked[2])) && !list.body.contains(&dni(50)));
    // The stranger's session opened nothing.
    assert_page(
        &stranger.get("/my").await,
        200,
        "es",
        &["Enviarme el enlace"],
    );
    let csrf = csrf_of(&list.body);
    let made = browser.post("/my/calendar", &csrf, &[]).await;
    assert_page(
        &made,
        200,
        "es",
        &["Cópialo ahora", "/feeds/citizens/", "webcal://"],
    );
    let id = made
        .body
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let revoked = browser
        .post("/my/calendar/revoke", &csrf, &[("id", &id)])
        .await;
    assert_page(&revoked, 200, "es", &["ya no funciona"]);
    let gone = browser
        .post("/my/calendar/revoke", &csrf, &[("id", &id)])
        .await;
    assert_eq!(gone.status, 404);
    let left = browser.post("/my/leave", &csrf, &[]).await;
    assert_page(&left, 200, "es", &["Enviarme el enlace"]);
    // 30 minutes after the link was made the list closes, even in a session kept alive,
    // and the page says why.
    let reopened = browser.get(&link).await;
    assert_eq!(reopened.status, 303);
    app.clock.advance(Duration::minutes(20));
    assert_page(&browser.get("/my").await, 200, "es", &["Tus citas"]);
    app.clock.advance(Duration::minutes(11));
    assert_page(
        &browser.get("/my").await,
        200,
        "es",
        &["Enviarme el enlace", "pasaron 30 minutos"],
    );
}

async fn asking_refuses_bad_input_and_answers_the_same_whatever_matched(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    four_bookings(&app).await;
    let before = sink.messages().len();
    let ask = |document: &str, email: &str| json!({"document": document, "email": email});
    for body in [
        ask("x", "ana@example.es"),
        ask(&dni(50), "no address"),
        ask(&dni(50), "ana@example"),
        json!({"document": dni(50)}),
        json!({"document": dni(50), "email": "ana@example.es", "extra": 1}),
    ] {
        app.post_json("/api/v1/citizen-links", &body)
            .await
            .problem(422, "validation_failed");
    }
    // A DNI with a wrong letter, a document without appointments, another address:
    // the same answer as a match, and no mail.
    let wrong_letter = format!("{}A", &dni(50)[..8]);
    for body in [
        ask(&wrong_letter, "ana@example.es"),
        ask(&dni(53), "ana@example.es"),
        ask(&dni(50), "someone@example.es"),
    ] {
        let answer = app.post_json("/api/v1/citizen-links", &body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()),
            (202, json!({"status": "requested"}))
        );
    }
    assert_eq!(deliver(&app).await.taken, 0);
    assert_eq!(sink.messages().len(), before);
    // A link request is not retried long after it was asked for.
    app.post_json("/api/v1/citizen-links", &ask(&dni(50), "ana@example.es"))
        .await;
    app.clock.advance(Duration::minutes(40));
    assert_eq!(deliver(&app).await.dropped, 1);
}

/// Link requests spend the client's look-up budget and the document's booking budget:
/// nobody fills a mailbox with links, from one address or from many.
#[tokio::test]
async fn link_requests_are_rate_limited_per_client_and_per_document() {
    use cita::limits::{LimitSettings, Rate};

    use crate::surge::{limits, post_from, protected};

    let settings = LimitSettings {
        lookup: Rate {
            per_minute: 6,
            burst: 3,
        },
        document: Rate {
            per_minute: 6,
            burst: 2,
        },
        ..limits()
    };
    let app = protected(settings, false).await;
    let ask = |n: u32| json!({"document": dni(n), "email": "ana@example.es"});
    // One address, other documents each time: the look-up budget runs out.
    let statuses = {
        let mut statuses = Vec::new();
        for n in 0..4 {
            let answer = app
                .send(post_from("10.0.0.9", "/api/v1/citizen-links", &ask(60 + n)))
                .await;
            statuses.push(answer.status.as_u16());
        }
        statuses
    };
    assert_eq!(statuses, [202, 202, 202, 429]);
    // One document from many addresses: its budget runs out.
    let mut statuses = Vec::new();
    for n in 0..3 {
        let address = format!("10.0.1.{n}");
        let answer = app
            .send(post_from(&address, "/api/v1/citizen-links", &ask(70)))
            .await;
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [202, 202, 429]);
}
