//! Waiting rooms (`[[office.release]] waiting_room = true`): whoever joins in the minutes
//! before a first-come release gets a random place, later arrivals go behind in order,
//! the line is let in at a set rate, and while the room is in force holds and bookings of
//! the release's dates need the admission token it gives — for the document that joined
//! (one place per document, however many addresses). On both databases.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;
use crate::web::{Browser, assert_page, attribute_after, csrf_of};

both_backends!(
    the_line_is_drawn_at_the_release_and_let_in_at_its_rate,
    room_settings_are_checked,
    a_person_waits_in_the_room_on_the_pages,
);

/// The demo offices plus a first-come release of Las Palmas' DNI renewals behind a
/// waiting room: Mondays at 07:30 (UTC in March), giving out the Monday two weeks later;
/// the room opens at 07:15, lets in two places a minute and closes at 08:30. The tests'
/// clock starts at 07:00 on Monday 2027-03-01.
fn with_room() -> String {
    let demo = include_str!("../../demo/offices.toml");
    format!(
        "{demo}\n  [[office.release]]\n  service = \"{RENOVACION}\"\n  at = \"07:30\"\n  \
         days = [\"mon\"]\n  opens = \"D+14..D+14\"\n  waiting_room = true\n  \
         admit_per_minute = 2\n"
    )
}

const ROOM: &str = "las-palmas-dni.renovacion-dni.20270301T0730";
const DATE: &str = "2027-03-15";

/// A request from `address`, with extra headers.
pub(crate) async fn from(
    app: &TestApp,
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let mut request = request.body(body).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(
        address.parse().unwrap(),
        40000,
    )));
    app.send(request).await
}

async fn join(app: &TestApp, address: &str, document: &str) -> Answer {
    from(
        app,
        address,
        "POST",
        &format!("/api/v1/waiting-rooms/{ROOM}/tickets"),
        &[],
        Some(&json!({ "document": document })),
    )
    .await
}

async fn mine(app: &TestApp, address: &str, ticket: &str) -> Answer {
    let auth = format!("Bearer {ticket}");
    from(
        app,
        address,
        "GET",
        "/api/v1/waiting-room-tickets/mine",
        &[("authorization", &auth)],
        None,
    )
    .await
}

fn booking(start: &str, n: u32) -> Value {
    BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(n)).json()
}

async fn book_from(app: &TestApp, address: &str, body: &Value, admission: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = admission
        .map(|a| ("cita-admission", a))
        .into_iter()
        .collect();
    from(
        app,
        address,
        "POST",
        "/api/v1/appointments",
        &headers,
        Some(body),
    )
    .await
}

async fn the_line_is_drawn_at_the_release_and_let_in_at_its_rate(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("room-admin").await;
    let answer = app.put_config(&auth, &with_room()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // Announced with the date: when it opens and through which room.
    let days = app
        .get(&format!(
            "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/days?from={DATE}&to={DATE}"
        ))
        .await
        .ok(200);
    assert_eq!(days["days"][0]["opens_at"], "2027-03-01T07:30:00+00:00");
    assert_eq!(days["days"][0]["waiting_room_id"], ROOM);
    let room = app
        .get(&format!("/api/v1/waiting-rooms/{ROOM}"))
        .await
        .ok(200);
    assert_eq!(room["state"], "upcoming");
    assert_eq!(room["opens_at"], "2027-03-01T07:15:00+00:00");
    assert_eq!(room["closes_at"], "2027-03-01T08:30:00+00:00");
    join(&app, "10.0.0.1", &dni(1))
        .await
        .problem(409, "room_closed");

    // 07:20: four people join; before the release nobody has a place yet.
    app.clock.advance(Duration::minutes(20));
    let people = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"];
    let documents: Vec<String> = (1..=4).map(dni).collect();
    let mut tickets = Vec::new();
    for (address, document) in people.iter().zip(&documents) {
        let joined = join(&app, address, document).await.ok(201);
        assert_eq!(joined["room"]["state"], "open");
        assert!(joined.get("ahead").is_none(), "{joined}");
        tickets.push(joined["ticket"].as_str().unwrap().to_owned());
    }
    // One place per document: joining again, from any address, keeps the place with a new
    // ticket (the old one stops working); a bot's thousand addresses buy nothing.
    for address in ["10.0.0.1", "10.0.7.7", "10.9.9.9"] {
        let again = join(&app, address, &documents[0]).await.ok(201);
        mine(&app, people[0], &tickets[0])
            .await
            .problem(404, "not_found");
        tickets[0] = again["ticket"].as_str().unwrap().to_owned();
    }
    assert_eq!(
        app.get(&format!("/api/v1/waiting-rooms/{ROOM}"))
            .await
            .ok(200)["waiting"],
        4
    );
    join(&app, "10.0.0.1", "12345678A")
        .await
        .problem(422, "invalid_document");
    // Before the room lets anyone in, the dates need an admission.
    app.clock.advance(Duration::minutes(11)); // 07:31
    let start = format!("{DATE}T08:00:00+00:00");
    book_from(&app, people[0], &booking(&start, 1), None)
        .await
        .problem(403, "admission_required");

    // The four early places in a random order; two a minute from 07:30.
    let mut ahead = Vec::new();
    for (address, ticket) in people.iter().zip(&tickets) {
        let status = mine(&app, address, ticket).await.ok(200);
        ahead.push(status["ahead"].as_i64().unwrap());
        let admitted = status["ahead"].as_i64().unwrap() <= 2;
        assert_eq!(
            status.get("admission_token").is_some(),
            admitted,
            "{status}"
        );
    }
    assert_eq!(
        ahead.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([0, 1, 2, 3])
    );
    // Who comes now goes behind them, in order.
    let late = join(&app, "10.0.0.5", &dni(5)).await.ok(201);
    assert_eq!(late["ahead"], 4);
    assert_eq!(late["admitted_at"], "2027-03-01T07:32:00+00:00");

    // The first in line books with its token, for its document, from anywhere.
    let first = ahead.iter().position(|&a| a == 0).unwrap();
    let n = u32::try_from(first).unwrap() + 1;
    let status = mine(&app, "10.0.3.3", &tickets[first]).await.ok(200);
    let token = status["admission_token"].as_str().unwrap().to_owned();
    // The same token for another document, forged, or not a token: refused.
    book_from(&app, people[first], &booking(&start, 9), Some(&token))
        .await
        .problem(403, "admission_required");
    let (expires, tag) = token.split_once('.').unwrap();
    let forged = format!("{}.{tag}", expires.parse::<i64>().unwrap() + 600);
    book_from(&app, people[first], &booking(&start, n), Some(&forged))
        .await
        .problem(403, "admission_required");
    book_from(&app, people[first], &booking(&start, n), Some("nonsense"))
        .await
        .problem(403, "admission_required");
    // An empty header is no token at all.
    book_from(&app, people[first], &booking(&start, n), Some(""))
        .await
        .problem(403, "admission_required");
    let long = "9".repeat(200);
    book_from(&app, people[first], &booking(&start, n), Some(&long))
        .await
        .problem(400, "validation_failed");
    // A hold must name the document the token is for.
    let hold_body = json!({"office_id": LAS_PALMAS, "service_id": RENOVACION, "start": start});
    from(
        &app,
        "10.0.3.3",
        "POST",
        "/api/v1/holds",
        &[("cita-admission", &token)],
        Some(&hold_body),
    )
    .await
    .problem(403, "admission_required");
    let mut named = hold_body.clone();
    named["citizen_document"] = json!(dni(n));
    let hold = from(
        &app,
        "10.0.3.3",
        "POST",
        "/api/v1/holds",
        &[("cita-admission", &token)],
        Some(&named),
    )
    .await
    .ok(201);
    let mut body = booking(&start, n);
    body["hold_id"] = hold["hold_id"].clone();
    let booked = book_from(&app, "10.0.3.3", &body, Some(&token))
        .await
        .ok(201);
    // Moving it within the release's dates needs the admission too.
    let path = format!(
        "/api/v1/appointments/{}/reschedule",
        booked["locator"].as_str().unwrap()
    );
    let auth_header = format!("Bearer {}", booked["token"].as_str().unwrap());
    let moved = json!({"start": format!("{DATE}T09:00:00+00:00")});
    from(
        &app,
        "10.0.3.3",
        "POST",
        &path,
        &[("authorization", &auth_header)],
        Some(&moved),
    )
    .await
    .problem(403, "admission_required");
    from(
        &app,
        "10.0.3.3",
        "POST",
        &path,
        &[("authorization", &auth_header), ("cita-admission", &token)],
        Some(&moved),
    )
    .await
    .ok(200);
    // Staff booking at the counter need no room.
    app.post_json_with(
        &format!("/api/v1/staff/offices/{LAS_PALMAS}/appointments"),
        &booking(&format!("{DATE}T08:10:00+00:00"), 30),
        &[("authorization", auth.as_str())],
    )
    .await
    .ok(201);
    // A token expires after ten minutes; asking again renews it. The second in line
    // books a later time.
    let second = ahead.iter().position(|&a| a == 1).unwrap();
    let m = u32::try_from(second).unwrap() + 1;
    let old = mine(&app, people[second], &tickets[second]).await.ok(200)["admission_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(Duration::minutes(11)); // 07:42
    let later = format!("{DATE}T08:20:00+00:00");
    book_from(&app, people[second], &booking(&later, m), Some(&old))
        .await
        .problem(403, "admission_required");
    let renewed = mine(&app, people[second], &tickets[second]).await.ok(200);
    let token = renewed["admission_token"].as_str().unwrap();
    book_from(&app, people[second], &booking(&later, m), Some(token))
        .await
        .ok(201);
    // Once the room closes (08:30) the dates are first come, first served.
    app.clock.advance(Duration::minutes(48)); // 08:30
    assert_eq!(
        app.get(&format!("/api/v1/waiting-rooms/{ROOM}"))
            .await
            .ok(200)["state"],
        "closed"
    );
    join(&app, "10.0.0.6", &dni(6))
        .await
        .problem(409, "room_closed");
    book_from(
        &app,
        "10.0.0.7",
        &booking(&format!("{DATE}T08:30:00+00:00"), 7),
        None,
    )
    .await
    .ok(201);
    app.get("/api/v1/waiting-rooms/nowhere.nothing.20270301T0730")
        .await
        .problem(404, "not_found");
    app.get("/api/v1/waiting-rooms/not-a-room")
        .await
        .problem(404, "not_found");
}

async fn room_settings_are_checked(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("room-admin").await;
    let both = with_room().replace(
        "  waiting_room = true\n",
        "  waiting_room = true\n  draw = true\n",
    );
    let answer = app.put_config(&auth, &both).await;
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert!(
        answer
            .text()
            .contains("a draw and a waiting room do not go together")
    );
    let stray = with_room().replace("  waiting_room = true\n", "");
    let answer = app.put_config(&auth, &stray).await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .text()
            .contains("admit_per_minute is a setting of a waiting room")
    );
    let zero = with_room().replace("admit_per_minute = 2", "admit_per_minute = 0");
    assert_eq!(app.put_config(&auth, &zero).await.status, 422);
}

async fn a_person_waits_in_the_room_on_the_pages(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("room-admin").await;
    assert_eq!(app.put_config(&auth, &with_room()).await.status, 200);
    let week = format!("/book/day?office_id={LAS_PALMAS}&service_id={RENOVACION}&week={DATE}");
    let queue = format!("/queue?room={ROOM}");
    let mut browser = Browser::new(&app);
    // Before the room opens: the week says how the date opens and leads to the room,
    // which says when to come back.
    let days = browser.get(&week).await;
    assert_page(
        &days,
        200,
        "es",
        &[
            "con sala de espera",
            &format!("href=\"{}\"", queue.replace('&', "&amp;")),
        ],
    );
    let early = browser.get(&queue).await;
    assert_page(
        &early,
        200,
        "es",
        &["todavía no está abierta", "llegar antes no da ventaja"],
    );
    assert!(!early.body.contains("Entrar en la sala de espera"));
    // 07:20: in, waiting for the draw of places; the page refreshes itself.
    app.clock.advance(Duration::minutes(20));
    let open = browser.get(&queue).await;
    assert_page(
        &open,
        200,
        "es",
        &["Entrar en la sala de espera", "name=\"document\""],
    );
    let csrf = csrf_of(&open.body);
    let wrong = browser
        .post(
            "/queue",
            &csrf,
            &[
                ("room", ROOM),
                ("document_type", "dni"),
                ("document", "1234"),
            ],
        )
        .await;
    assert_page(&wrong, 422, "es", &["no parece un DNI", "value=\"1234\""]);
    let me = dni(40);
    let inside = browser
        .post(
            "/queue",
            &csrf,
            &[("room", ROOM), ("document_type", "dni"), ("document", &me)],
        )
        .await;
    assert_page(
        &inside,
        200,
        "es",
        &["Ya estás dentro", "07:30", "cada 30 segundos"],
    );
    assert_eq!(inside.refresh.as_deref(), Some("30"));
    // Someone else, not let in, choosing a time is sent to the room.
    app.clock.advance(Duration::minutes(11)); // 07:31
    let mut other = Browser::new(&app);
    let times = other
        .get(&format!(
            "/book/time?office_id={LAS_PALMAS}&service_id={RENOVACION}&date={DATE}"
        ))
        .await;
    let start = attribute_after(&times.body, "name=\"start\"", "value").unwrap();
    let fields = [
        ("office_id", LAS_PALMAS),
        ("service_id", RENOVACION),
        ("date", DATE),
        ("start", start.as_str()),
    ];
    let sent = other
        .send(
            axum::http::Method::POST,
            "/book/time",
            Some(&[&[("csrf", csrf_of(&times.body).as_str())][..], &fields[..]].concat()),
        )
        .await;
    assert_eq!(
        (sent.status, sent.location.as_deref()),
        (303, Some(queue.as_str()))
    );
    // The first in line is let in at 07:30: the room says so and leads to the dates,
    // whose times it may now hold.
    let turn = browser.get(&queue).await;
    assert_page(&turn, 200, "es", &["Ya es tu turno", "Elegir fecha y hora"]);
    assert_eq!(turn.refresh, None);
    let days = browser.get(&week).await;
    assert!(
        days.body.contains("/book/time?"),
        "the free day leads to its times"
    );
    let times = browser
        .get(&format!(
            "/book/time?office_id={LAS_PALMAS}&service_id={RENOVACION}&date={DATE}"
        ))
        .await;
    let details = browser
        .post("/book/time", &csrf_of(&times.body), &fields)
        .await;
    assert_page(&details, 200, "es", &["name=\"document\""]);
}
