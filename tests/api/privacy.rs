//! What a stranger can learn (DESIGN §4.5, §13): nothing about someone else's appointment
//! from their document alone — no locator, time, office or count in any answer — and a
//! probe at a closed or full time learns nothing about the document at all.

use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;

both_backends!(
    a_stranger_with_someones_document_never_learns_their_locator,
    a_probe_at_a_closed_or_full_time_learns_nothing_about_the_document,
    the_calendar_token_opens_only_the_calendar_and_rotates,
    a_hold_for_a_document_serves_only_that_document,
    personal_data_is_erased_after_its_retention_and_statistics_stay,
    a_citizen_erases_their_own_data_once_the_appointment_is_over,
);

/// Tuesday 2027-03-02, the owner's time.
const OWNER_SLOT: &str = "2027-03-02T09:00:00+01:00";

/// Asserts that nothing in `answer` (body or any header) mentions any of `secrets`.
#[track_caller]
pub fn assert_reveals_nothing(answer: &Answer, secrets: &[&str]) {
    let body = answer.text().to_lowercase();
    for secret in secrets {
        let secret = secret.to_lowercase();
        assert!(
            !body.contains(&secret),
            "the answer reveals {secret:?}: {body}"
        );
        for (name, value) in &answer.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).to_lowercase();
            assert!(
                !value.contains(&secret),
                "header {name} reveals {secret:?}: {value}"
            );
        }
    }
}

fn book_body(office: &str, service: &str, start: &str, document: &str) -> Value {
    json!({
        "office_id": office, "service_id": service, "start": start,
        "citizen": {"name": "Someone Else", "document": document},
    })
}

async fn a_stranger_with_someones_document_never_learns_their_locator(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let owner = dni(5);
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &owner))
        .await;
    // What the owner's appointment is: none of it may reach the stranger.
    let secrets = [
        booked.locator.as_str(),
        "09:00",
        "T08:00",
        "madrid",
        "1 active",
    ];

    // Book the same procedure at another time, and in another office.
    let same_procedure = app
        .post_json(
            "/api/v1/appointments",
            &book_body(MADRID, HUELLAS, "2027-03-02T11:00:00+01:00", &owner),
        )
        .await;
    same_procedure.problem(409, "citizen_limit_reached");
    assert_reveals_nothing(&same_procedure, &secrets);
    let elsewhere = app
        .post_json(
            "/api/v1/appointments",
            &book_body(BARCELONA, HUELLAS, "2027-03-03T10:10:00+01:00", &owner),
        )
        .await;
    elsewhere.problem(409, "citizen_limit_reached");
    assert_reveals_nothing(&elsewhere, &secrets);

    // Book another procedure over the owner's time.
    let overlap = app
        .post_json(
            "/api/v1/appointments",
            &book_body(MADRID, ASILO, "2027-03-02T09:00:00+01:00", &owner),
        )
        .await;
    overlap.problem(409, "citizen_limit_reached");
    assert_reveals_nothing(&overlap, &secrets);

    // Book another procedure at a free time (allowed), then move it over the owner's.
    let mine = app
        .post_json(
            "/api/v1/appointments",
            &book_body(MADRID, ASILO, "2027-03-02T12:00:00+01:00", &owner),
        )
        .await
        .ok(201);
    let moved = app
        .post_with_token(
            &format!(
                "/api/v1/appointments/{}/reschedule",
                mine["locator"].as_str().unwrap()
            ),
            mine["token"].as_str().unwrap(),
            &json!({"start": "2027-03-02T09:00:00+01:00"}),
        )
        .await;
    moved.problem(409, "citizen_limit_reached");
    assert_reveals_nothing(&moved, &secrets);

    // Hold the owner's time naming the document.
    let hold = app
        .post_json(
            "/api/v1/holds",
            &json!({"office_id": MADRID, "service_id": HUELLAS,
                    "start": "2027-03-02T10:00:00+01:00", "citizen_document": owner}),
        )
        .await;
    assert!(hold.status.is_success() || hold.status.is_client_error());
    assert_reveals_nothing(&hold, &secrets);

    // Look up with the document and guessed locators.
    for guess in ["ZZZZZZZZ", "00000000", "7K3MZQ2D"] {
        let lookup = app
            .post_json(
                "/api/v1/appointments/lookup",
                &json!({"locator": guess, "document": owner}),
            )
            .await;
        lookup.problem(404, "not_found");
        assert_reveals_nothing(&lookup, &secrets);
    }
}

async fn a_probe_at_a_closed_or_full_time_learns_nothing_about_the_document(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let owner = dni(5);
    app.book(&BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &owner))
        .await;
    // Fill both huellas desks at 10:00 with other people.
    let full = "2027-03-02T10:00:00+01:00";
    for n in [6, 7] {
        app.book(&BookReq::new(MADRID, HUELLAS, full, &dni(n)))
            .await;
    }
    assert_eq!(app.capacity_at(MADRID, HUELLAS, full).await, 0);
    // The owner's document at a full time, on a Sunday, at a time off the grid and
    // past the booking window: the same answers a stranger's document gets.
    let stranger = dni(8);
    for (start, status, code) in [
        (full, 409, "slot_unavailable"),
        ("2027-03-07T10:00:00+01:00", 409, "slot_unavailable"),
        ("2027-03-02T10:05:00+01:00", 409, "slot_unavailable"),
        ("2027-06-01T10:00:00+02:00", 422, "outside_booking_window"),
    ] {
        let mut bodies = vec![];
        for document in [&owner, &stranger] {
            let answer = app
                .post_json(
                    "/api/v1/appointments",
                    &book_body(MADRID, HUELLAS, start, document),
                )
                .await;
            bodies.push(answer.problem(status, code));
        }
        assert_eq!(bodies[0], bodies[1], "at {start}");
    }
}

fn ics_path(locator: &str, token: &str) -> String {
    format!("/api/v1/appointments/{locator}/calendar.ics?token={token}")
}

async fn the_calendar_token_opens_only_the_calendar_and_rotates(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &dni(5)))
        .await;
    let (locator, manage, calendar) = (&booked.locator, &booked.token, &booked.calendar_token);
    assert!(
        booked.body["ics_url"]
            .as_str()
            .unwrap()
            .ends_with(calendar.as_str())
    );
    assert!(
        !booked.body["ics_url"]
            .as_str()
            .unwrap()
            .contains(manage.as_str())
    );
    app.get(&ics_path(locator, calendar)).await;
    assert_eq!(app.get(&ics_path(locator, calendar)).await.status, 200);
    // The manage token does not open the calendar file (it would travel in a URL)...
    app.get(&ics_path(locator, manage))
        .await
        .problem(404, "not_found");
    // ...and the calendar token opens nothing else.
    let path = format!("/api/v1/appointments/{locator}");
    app.get_with_token(&path, calendar)
        .await
        .problem(404, "not_found");
    for action in ["reschedule", "cancel", "erase"] {
        app.post_with_token(
            &format!("{path}/{action}"),
            calendar,
            &json!({"start": "2027-03-02T11:00:00+01:00"}),
        )
        .await
        .problem(404, "not_found");
    }
    app.get_with_token(&path, manage).await.ok(200);
    // A new look-up replaces the calendar token: a leaked link stops working.
    let found = app
        .post_json(
            "/api/v1/appointments/lookup",
            &json!({"locator": locator, "document": dni(5)}),
        )
        .await
        .ok(200);
    let second = found["calendar_token"].as_str().unwrap();
    app.get(&ics_path(locator, calendar))
        .await
        .problem(404, "not_found");
    assert_eq!(app.get(&ics_path(locator, second)).await.status, 200);
    // So does a cancellation; its answer carries the new one, which shows it cancelled.
    let cancelled = app
        .post_with_token(&format!("{path}/cancel"), manage, &json!({}))
        .await
        .ok(200);
    let third = cancelled["calendar_token"].as_str().unwrap();
    assert!(cancelled["ics_url"].as_str().unwrap().ends_with(third));
    app.get(&ics_path(locator, second))
        .await
        .problem(404, "not_found");
    let ics = app.get(&ics_path(locator, third)).await;
    assert_eq!(ics.status, 200);
    assert!(ics.text().contains("STATUS:CANCELLED"));
    assert!(cancelled.get("token").is_none(), "no new manage token");
}

async fn a_hold_for_a_document_serves_only_that_document(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let hold = |start: &str, document: &str| {
        json!({"office_id": MADRID, "service_id": HUELLAS, "start": start,
               "citizen_document": document})
    };
    let first = app
        .post_json("/api/v1/holds", &hold(OWNER_SLOT, &dni(5)))
        .await
        .ok(201);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, OWNER_SLOT).await, 1);
    // A new hold for the same document replaces the last one: one live hold each.
    let later = "2027-03-02T11:00:00+01:00";
    let second = app
        .post_json("/api/v1/holds", &hold(later, &dni(5).to_lowercase()))
        .await
        .ok(201);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, OWNER_SLOT).await, 2);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, later).await, 1);
    // The replaced hold is no longer a hold: booking with it is an ordinary booking.
    let mut with_first = BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &dni(7));
    with_first.hold_id = Some(first["hold_id"].as_str().unwrap().to_owned());
    app.book(&with_first).await;
    // Someone else cannot book with the document's hold...
    let mut stolen = BookReq::new(MADRID, HUELLAS, later, &dni(6));
    stolen.hold_id = Some(second["hold_id"].as_str().unwrap().to_owned());
    let refused = app.try_book(&stolen).await;
    refused.problem(422, "validation_failed");
    assert_reveals_nothing(&refused, &[&dni(5)]);
    // ...its owner can.
    let mut own = BookReq::new(MADRID, HUELLAS, later, &dni(5));
    own.hold_id = stolen.hold_id.clone();
    app.book(&own).await;
    // A document that is not one is refused before anything is held.
    app.post_json("/api/v1/holds", &hold(later, "12345678A"))
        .await
        .problem(422, "invalid_document");
}

/// The stored personal fields of the appointment `locator`: name, document, e-mail,
/// phone, and whether it was erased.
async fn stored_person(
    app: &TestApp,
    locator: &str,
) -> (String, String, Option<String>, Option<String>, bool) {
    let row: (String, String, Option<String>, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT citizen_name, document, email, phone, erased_at FROM appointments WHERE locator = $1",
    )
    .bind(locator)
    .fetch_one(app.state.booking.store().sql_pool().expect("an SQL store"))
    .await
    .unwrap();
    (row.0, row.1, row.2, row.3, row.4.is_some())
}

/// Appointments per office, procedure, status and start: what statistics count.
async fn statistics(app: &TestApp) -> Vec<(String, String, String, i64, i64)> {
    sqlx::query_as(
        "SELECT office_id, service_id, status, start_at, COUNT(*) FROM appointments \
         GROUP BY office_id, service_id, status, start_at ORDER BY office_id, service_id, status, start_at",
    )
    .fetch_all(app.state.booking.store().sql_pool().expect("an SQL store"))
    .await
    .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.state.booking.store().sql_pool().expect("an SQL store"))
        .await
        .unwrap()
}

async fn personal_data_is_erased_after_its_retention_and_statistics_stay(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let old = app
        .book(&BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &dni(5)))
        .await;
    // A hold that expires, and a booking under an Idempotency-Key (kept 24 h).
    app.post_json(
        "/api/v1/holds",
        &json!({"office_id": MADRID, "service_id": HUELLAS, "start": "2027-03-03T09:00:00+01:00"}),
    )
    .await
    .ok(201);
    app.post_json_with(
        "/api/v1/appointments",
        &BookReq::new(MADRID, HUELLAS, "2027-03-03T10:00:00+01:00", &dni(6)).json(),
        &[("idempotency-key", "retention-1")],
    )
    .await
    .ok(201);
    // A month later, another booking six weeks ahead.
    app.clock.advance(chrono::Duration::days(30));
    let recent = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-04-15T09:00:00+02:00",
            &dni(7),
        ))
        .await;
    let before = statistics(&app).await;
    // 92 days after the first two (retention: 90 days), 48 after the last.
    app.clock
        .set(instant(OWNER_SLOT) + chrono::Duration::days(92));
    let purged = app.state.booking.purge().await.unwrap();
    assert_eq!(purged.appointments, 2, "{purged:?}");
    assert_eq!(purged.holds, 1, "{purged:?}");
    assert_eq!(purged.idempotency_keys, 1, "{purged:?}");
    assert!(purged.tokens >= 4, "{purged:?}");
    assert_eq!(
        stored_person(&app, &old.locator).await,
        (String::new(), String::new(), None, None, true)
    );
    let kept = stored_person(&app, &recent.locator).await;
    assert_eq!(kept.1, dni(7));
    assert!(!kept.4);
    // Statistics are whole; nothing personal is left of the first one anywhere.
    assert_eq!(statistics(&app).await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM holds").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
    let documents: Vec<String> = sqlx::query_scalar("SELECT document FROM citizens")
        .fetch_all(app.state.booking.store().sql_pool().expect("an SQL store"))
        .await
        .unwrap();
    assert!(!documents.contains(&dni(5)), "{documents:?}");
    app.post_json(
        "/api/v1/appointments/lookup",
        &json!({"locator": old.locator, "document": dni(5)}),
    )
    .await
    .problem(404, "not_found");
    // Purging again erases nothing more.
    assert_eq!(app.state.booking.purge().await.unwrap().appointments, 0);
}

async fn a_citizen_erases_their_own_data_once_the_appointment_is_over(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, OWNER_SLOT, &dni(5)))
        .await;
    let path = format!("/api/v1/appointments/{}", booked.locator);
    // Still to come: cancel first.
    app.post_with_token(&format!("{path}/erase"), &booked.token, &json!({}))
        .await
        .problem(409, "invalid_transition");
    app.post_json(&format!("{path}/erase"), &json!({}))
        .await
        .problem(401, "unauthorized");
    app.post_with_token(
        &format!("{path}/erase"),
        "0123456789abcdef0123456789abcdef01234567",
        &json!({}),
    )
    .await
    .problem(404, "not_found");
    assert!(!stored_person(&app, &booked.locator).await.4);
    // Once it has passed, it can be erased; every token stops working.
    app.clock
        .set(instant(OWNER_SLOT) + chrono::Duration::hours(2));
    let erased = app
        .post_with_token(&format!("{path}/erase"), &booked.token, &json!({}))
        .await;
    assert_eq!(erased.status.as_u16(), 204, "{}", erased.text());
    assert_eq!(
        stored_person(&app, &booked.locator).await,
        (String::new(), String::new(), None, None, true)
    );
    app.get_with_token(&path, &booked.token)
        .await
        .problem(404, "not_found");
    app.get(&format!(
        "{path}/calendar.ics?token={}",
        booked.calendar_token
    ))
    .await
    .problem(404, "not_found");
    // A cancelled appointment can be erased at once.
    let other = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-03-04T09:00:00+01:00",
            &dni(6),
        ))
        .await;
    let other_path = format!("/api/v1/appointments/{}", other.locator);
    app.post_with_token(&format!("{other_path}/cancel"), &other.token, &json!({}))
        .await
        .ok(200);
    let erased = app
        .post_with_token(&format!("{other_path}/erase"), &other.token, &json!({}))
        .await;
    assert_eq!(erased.status.as_u16(), 204, "{}", erased.text());
    assert!(stored_person(&app, &other.locator).await.4);
}
