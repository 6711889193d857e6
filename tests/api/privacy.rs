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
