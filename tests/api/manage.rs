//! After booking: look-up, reading with the token, reschedule, cancel and the calendar
//! file; who may do what (DESIGN §4.5, §6).

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

both_backends!(
    lookup_issues_a_fresh_token,
    reading_needs_the_token_and_reveals_nothing_without_it,
    reschedule_moves_the_appointment_atomically,
    cancel_frees_the_time_once,
    calendar_file_needs_the_token,
);

const SLOT: &str = "2027-03-02T09:00:00+01:00";
const LATER: &str = "2027-03-02T11:00:00+01:00";

fn appointment_path(locator: &str) -> String {
    format!("/api/v1/appointments/{locator}")
}

async fn lookup_issues_a_fresh_token(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(5)))
        .await;
    let lookup = |locator: &str, document: &str| json!({"locator": locator, "document": document});
    let found = app
        .post_json(
            "/api/v1/appointments/lookup",
            &lookup(&booked.locator, &dni(5)),
        )
        .await
        .ok(200);
    assert_eq!(found["locator"], booked.locator.as_str());
    assert_eq!(found["start"], SLOT);
    assert_eq!(found["status"], "booked");
    let fresh = found["token"].as_str().unwrap();
    assert_ne!(fresh, booked.token);
    let calendar = found["calendar_token"].as_str().unwrap();
    assert_ne!(calendar, booked.calendar_token);
    assert!(found["ics_url"].as_str().unwrap().ends_with(calendar));
    // Locators in any case, documents with spaces and dashes; old and new tokens work.
    let document = format!("{} {}-{}", &dni(5)[..4], &dni(5)[4..8], &dni(5)[8..]);
    let again = app
        .post_json(
            "/api/v1/appointments/lookup",
            &lookup(&booked.locator.to_lowercase(), &document.to_lowercase()),
        )
        .await
        .ok(200);
    assert_eq!(again["locator"], booked.locator.as_str());
    for token in [booked.token.as_str(), fresh] {
        app.get_with_token(&appointment_path(&booked.locator), token)
            .await
            .ok(200);
    }
    // Wrong document, unknown or malformed locator: the same 404.
    let not_found = [
        lookup(&booked.locator, &dni(6)),
        lookup(&booked.locator, "12345678A"),
        lookup("ZZZZZZZZ", &dni(5)),
        lookup("not-a-locator!", &dni(5)),
    ];
    let mut bodies = vec![];
    for body in &not_found {
        bodies.push(
            app.post_json("/api/v1/appointments/lookup", body)
                .await
                .problem(404, "not_found"),
        );
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    app.post_json(
        "/api/v1/appointments/lookup",
        &json!({"locator": booked.locator, "document": dni(5), "office": MADRID}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn reading_needs_the_token_and_reveals_nothing_without_it(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(5)))
        .await;
    let other = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(6)))
        .await;
    let path = appointment_path(&booked.locator);
    let body = app.get_with_token(&path, &booked.token).await.ok(200);
    assert_eq!(body["locator"], booked.locator.as_str());
    assert_eq!(body["start"], SLOT);
    assert_eq!(body["end"], "2027-03-02T09:15:00+01:00");
    assert_eq!(body["status"], "booked");
    assert_eq!(body["sequence"], 0);
    assert!(body.get("token").is_none(), "reading issues no token");
    // Lower-case locator.
    app.get_with_token(
        &appointment_path(&booked.locator.to_lowercase()),
        &booked.token,
    )
    .await
    .ok(200);
    // Another appointment's token, a made-up token, an unknown locator: one answer.
    let wrong_token = app
        .get_with_token(&path, &other.token)
        .await
        .problem(404, "not_found");
    let made_up = app
        .get_with_token(&path, "0123456789abcdef")
        .await
        .problem(404, "not_found");
    let unknown = app
        .get_with_token(&appointment_path("ZZZZZZZZ"), &booked.token)
        .await
        .problem(404, "not_found");
    assert_eq!(wrong_token, unknown);
    assert_eq!(made_up, unknown);
    // Missing or malformed Authorization: 401, whatever the locator.
    for locator in [booked.locator.as_str(), "ZZZZZZZZ", "nonsense"] {
        let path = appointment_path(locator);
        app.get(&path).await.problem(401, "unauthorized");
        for value in [
            "Basic dXNlcjpwYXNz".to_owned(),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            booked.token.clone(),
            format!("Bearer {}", "x".repeat(300)),
        ] {
            app.raw(Method::GET, &path, &[("authorization", &value)], "")
                .await
                .problem(401, "unauthorized");
        }
    }
    // The same rules for the changes.
    for action in ["cancel", "reschedule"] {
        let path = format!("/api/v1/appointments/ZZZZZZZZ/{action}");
        app.post_json(&path, &json!({"start": LATER}))
            .await
            .problem(401, "unauthorized");
        let path = format!("/api/v1/appointments/{}/{action}", booked.locator);
        let body = if action == "cancel" {
            json!({})
        } else {
            json!({"start": LATER})
        };
        app.post_with_token(&path, &other.token, &body)
            .await
            .problem(404, "not_found");
    }
    assert_eq!(
        app.get_with_token(&path, &booked.token).await.ok(200)["status"],
        "booked"
    );
}

async fn reschedule_moves_the_appointment_atomically(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(5)))
        .await;
    let path = format!("/api/v1/appointments/{}/reschedule", booked.locator);
    let moved = app
        .post_with_token(&path, &booked.token, &json!({"start": LATER}))
        .await
        .ok(200);
    assert_eq!(moved["locator"], booked.locator.as_str());
    assert_eq!(moved["start"], LATER);
    assert_eq!(moved["end"], "2027-03-02T11:15:00+01:00");
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["status"], "booked");
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 2);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, LATER).await, 1);
    // Into summer time: the answer carries the new offset.
    let summer = app
        .post_with_token(
            &path,
            &booked.token,
            &json!({"start": "2027-04-06T09:00:00+02:00"}),
        )
        .await
        .ok(200);
    assert_eq!(summer["start"], "2027-04-06T09:00:00+02:00");
    assert_eq!(summer["sequence"], 2);
    // A full time: refused, and nothing changes.
    let full = "2027-03-03T10:00:00+01:00";
    app.book(&BookReq::new(MADRID, HUELLAS, full, &dni(6)))
        .await;
    app.book(&BookReq::new(MADRID, HUELLAS, full, &dni(7)))
        .await;
    app.post_with_token(&path, &booked.token, &json!({"start": full}))
        .await
        .problem(409, "slot_unavailable");
    app.post_with_token(
        &path,
        &booked.token,
        &json!({"start": "2027-03-03T10:05:00+01:00"}),
    )
    .await
    .problem(409, "slot_unavailable");
    app.post_with_token(
        &path,
        &booked.token,
        &json!({"start": "2027-06-01T09:00:00+02:00"}),
    )
    .await
    .problem(422, "outside_booking_window");
    app.post_with_token(&path, &booked.token, &json!({"start": LATER, "desk": "a"}))
        .await
        .problem(422, "validation_failed");
    let now = app
        .get_with_token(&appointment_path(&booked.locator), &booked.token)
        .await
        .ok(200);
    assert_eq!(now["start"], "2027-04-06T09:00:00+02:00");
    assert_eq!(now["sequence"], 2);
    assert_eq!(
        app.capacity_at(MADRID, HUELLAS, "2027-04-06T09:00:00+02:00")
            .await,
        1
    );
    assert_eq!(app.capacity_at(MADRID, HUELLAS, full).await, 0);
    // A third move is past the procedure's `max_reschedules` (2 unless configured), even
    // to a free time; the appointment stays where it is.
    let third = app
        .post_with_token(&path, &booked.token, &json!({"start": LATER}))
        .await
        .problem(409, "citizen_limit_reached");
    assert!(
        third["detail"]
            .as_str()
            .unwrap()
            .contains("changed as many times as allowed")
    );
    assert_eq!(app.capacity_at(MADRID, HUELLAS, LATER).await, 2);
    // Into a time held for it (another appointment, with its moves left).
    let other = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(8)))
        .await;
    let hold = app
        .post_json(
            "/api/v1/holds",
            &json!({"office_id": MADRID, "service_id": HUELLAS, "start": LATER}),
        )
        .await
        .ok(201);
    let held = app
        .post_with_token(
            &format!("/api/v1/appointments/{}/reschedule", other.locator),
            &other.token,
            &json!({"start": LATER, "hold_id": hold["hold_id"]}),
        )
        .await
        .ok(200);
    assert_eq!(held["sequence"], 1);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, LATER).await, 1);
}

async fn cancel_frees_the_time_once(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(5)))
        .await;
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 1);
    let path = format!("/api/v1/appointments/{}/cancel", booked.locator);
    let cancelled = app
        .post_with_token(&path, &booked.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["sequence"], 1,
        "calendar clients must see the change"
    );
    assert_eq!(cancelled["start"], SLOT);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 2);
    // A bodiless POST cancels too; it is not a second cancellation.
    let again = app
        .raw(
            Method::POST,
            &path,
            &[("authorization", &format!("Bearer {}", booked.token))],
            "",
        )
        .await
        .problem(409, "invalid_transition");
    assert!(again["detail"].is_string());
    app.post_with_token(&path, &booked.token, &json!({}))
        .await
        .problem(409, "invalid_transition");
    app.post_with_token(
        &format!("/api/v1/appointments/{}/reschedule", booked.locator),
        &booked.token,
        &json!({"start": LATER}),
    )
    .await
    .problem(409, "invalid_transition");
    // Still readable, and the person may book again.
    let read = app
        .get_with_token(&appointment_path(&booked.locator), &booked.token)
        .await
        .ok(200);
    assert_eq!(read["status"], "cancelled");
    app.book(&BookReq::new(MADRID, HUELLAS, LATER, &dni(5)))
        .await;
}

async fn calendar_file_needs_the_token(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(5)))
        .await;
    let ics_url = booked.body["ics_url"].as_str().unwrap();
    let path = ics_url.strip_prefix(PUBLIC_URL).unwrap();
    let answer = app.get(path).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text());
    assert!(answer.content_type().starts_with("text/calendar"));
    let text = answer.text();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains(&format!("UID:{}@citas.example.es\r\n", booked.locator)));
    // 09:00 in Madrid in winter is 08:00 UTC.
    assert!(text.contains("DTSTART:20270302T080000Z\r\n"), "{text}");
    assert!(text.contains("SEQUENCE:0\r\n") && text.contains("STATUS:CONFIRMED\r\n"));
    let calendar =
        |locator: &str, query: &str| format!("/api/v1/appointments/{locator}/calendar.ics{query}");
    let other = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(6)))
        .await;
    let wrong = app
        .get(&calendar(
            &booked.locator,
            &format!("?token={}", other.calendar_token),
        ))
        .await
        .problem(404, "not_found");
    let unknown = app
        .get(&calendar(
            "ZZZZZZZZ",
            &format!("?token={}", booked.calendar_token),
        ))
        .await
        .problem(404, "not_found");
    assert_eq!(wrong, unknown);
    app.get(&calendar(&booked.locator, ""))
        .await
        .problem(400, "validation_failed");
    app.get(&calendar(&booked.locator, "?token="))
        .await
        .problem(404, "not_found");
}
