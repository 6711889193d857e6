//! Holds and bookings: the answers, every refusal, and `Idempotency-Key` (DESIGN §6).

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

both_backends!(
    a_hold_takes_capacity_until_it_expires,
    a_hold_is_consumed_by_its_booking,
    hold_refusals,
    booking_answers_the_appointment,
    booked_times_carry_the_office_offset,
    booking_refusals_from_the_rules,
    booking_refusals_from_the_request,
    idempotency_key_replays_and_refuses_reuse,
    hostile_inputs_get_clear_problems,
);

const SLOT: &str = "2027-03-02T09:00:00+01:00";

async fn a_hold_takes_capacity_until_it_expires(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let hold = json!({"office_id": MADRID, "service_id": HUELLAS, "start": SLOT});
    let body = app.post_json("/api/v1/holds", &hold).await.ok(201);
    assert!(body["hold_id"].as_str().unwrap().len() >= 32);
    assert_eq!(body["start"], SLOT);
    assert_eq!(body["end"], "2027-03-02T09:15:00+01:00");
    // hold_ttl_seconds = 300 from now (08:00 in Madrid).
    assert_eq!(body["expires_at"], "2027-03-01T08:05:00+01:00");
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 1);
    app.post_json("/api/v1/holds", &hold).await.ok(201);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 0);
    app.post_json("/api/v1/holds", &hold)
        .await
        .problem(409, "slot_unavailable");
    app.try_book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)))
        .await
        .problem(409, "slot_unavailable");
    // Expired holds are simply ignored.
    app.clock.advance(chrono::Duration::seconds(301));
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 2);
    app.post_json("/api/v1/holds", &hold).await.ok(201);
}

async fn a_hold_is_consumed_by_its_booking(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let hold = json!({"office_id": MADRID, "service_id": HUELLAS, "start": SLOT});
    let first = app.post_json("/api/v1/holds", &hold).await.ok(201);
    app.post_json("/api/v1/holds", &hold).await.ok(201);
    // Full with two holds; the first hold's owner still books.
    let mut request = BookReq::new(MADRID, HUELLAS, SLOT, &dni(1));
    request.hold_id = Some(first["hold_id"].as_str().unwrap().to_owned());
    app.book(&request).await;
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 0);
    app.try_book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(2)))
        .await
        .problem(409, "slot_unavailable");
    // A hold for another time is a mistake in the request.
    let other = app
        .post_json(
            "/api/v1/holds",
            &json!({"office_id": MADRID, "service_id": HUELLAS, "start": "2027-03-02T10:00:00+01:00"}),
        )
        .await
        .ok(201);
    let mut request = BookReq::new(MADRID, HUELLAS, "2027-03-02T11:00:00+01:00", &dni(3));
    request.hold_id = Some(other["hold_id"].as_str().unwrap().to_owned());
    app.try_book(&request)
        .await
        .problem(422, "validation_failed");
    // An expired hold books the slot if it is still free.
    app.clock.advance(chrono::Duration::seconds(600));
    let mut request = BookReq::new(MADRID, HUELLAS, "2027-03-02T10:00:00+01:00", &dni(3));
    request.hold_id = Some(other["hold_id"].as_str().unwrap().to_owned());
    app.book(&request).await;
}

async fn hold_refusals(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let hold = |office: &str, service: &str, start: &str| json!({"office_id": office, "service_id": service, "start": start});
    app.post_json("/api/v1/holds", &hold("nowhere", HUELLAS, SLOT))
        .await
        .problem(404, "not_found");
    app.post_json("/api/v1/holds", &hold(MADRID, RENOVACION, SLOT))
        .await
        .problem(404, "not_found");
    // Not one of the procedure's starts.
    app.post_json(
        "/api/v1/holds",
        &hold(MADRID, HUELLAS, "2027-03-02T09:07:00+01:00"),
    )
    .await
    .problem(409, "slot_unavailable");
    // Today, already gone; and beyond max_advance_days.
    app.post_json(
        "/api/v1/holds",
        &hold(MADRID, HUELLAS, "2027-02-26T09:00:00+01:00"),
    )
    .await
    .problem(422, "outside_booking_window");
    app.post_json(
        "/api/v1/holds",
        &hold(MADRID, HUELLAS, "2027-05-03T09:00:00+02:00"),
    )
    .await
    .problem(422, "outside_booking_window");
    app.post_json("/api/v1/holds", &hold(MADRID, HUELLAS, "tomorrow at nine"))
        .await
        .problem(422, "validation_failed");
    app.post_json("/api/v1/holds", &json!({"office_id": MADRID}))
        .await
        .problem(422, "validation_failed");
}

async fn booking_answers_the_appointment(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(7)))
        .await;
    let body = &booked.body;
    let locator = booked.locator.as_str();
    assert_eq!(locator.len(), 8);
    assert!(
        locator
            .bytes()
            .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
        "Crockford base32: {locator}"
    );
    assert!(booked.token.len() >= 32, "at least 128 bits");
    assert!(booked.calendar_token.len() >= 32, "at least 128 bits");
    assert_ne!(booked.token, booked.calendar_token);
    assert_eq!(body["office_id"], MADRID);
    assert_eq!(body["service_id"], HUELLAS);
    assert_eq!(body["start"], SLOT);
    assert_eq!(body["end"], "2027-03-02T09:15:00+01:00");
    assert_eq!(body["status"], "booked");
    assert_eq!(body["sequence"], 0);
    assert_eq!(
        body["ics_url"],
        format!(
            "{PUBLIC_URL}/api/v1/appointments/{locator}/calendar.ics?token={}",
            booked.calendar_token
        )
    );
    // Nothing personal is echoed back.
    let text = body.to_string();
    assert!(!text.contains(&dni(7)) && !text.contains("Ana"), "{text}");
    // Two bookings get different locators and tokens.
    let other = app
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(8)))
        .await;
    assert_ne!(other.locator, booked.locator);
    assert_ne!(other.token, booked.token);
}

async fn booked_times_carry_the_office_offset(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let cases = [
        // Madrid in winter and in summer.
        (
            MADRID,
            HUELLAS,
            "2027-03-02T09:00:00+01:00",
            "2027-03-02T09:00:00+01:00",
        ),
        (
            MADRID,
            HUELLAS,
            "2027-04-05T09:00:00+02:00",
            "2027-04-05T09:00:00+02:00",
        ),
        // The Canaries in winter are UTC+0, in summer UTC+1.
        (
            LAS_PALMAS,
            RENOVACION,
            "2027-03-02T08:00:00+00:00",
            "2027-03-02T08:00:00+00:00",
        ),
        (
            LAS_PALMAS,
            RENOVACION,
            "2027-04-06T08:00:00+01:00",
            "2027-04-06T08:00:00+01:00",
        ),
        // Any offset is accepted; the answer uses the office's.
        (
            MADRID,
            HUELLAS,
            "2027-03-03T08:15:00Z",
            "2027-03-03T09:15:00+01:00",
        ),
        (
            BARCELONA,
            HUELLAS,
            "2027-03-02T10:30:00+02:00",
            "2027-03-02T09:30:00+01:00",
        ),
    ];
    for (n, (office, service, sent, shown)) in cases.into_iter().enumerate() {
        let booked = app
            .book(&BookReq::new(office, service, sent, &dni(100 + n as u32)))
            .await;
        assert_eq!(booked.start, shown);
        assert_eq!(
            offset_of(booked.body["end"].as_str().unwrap()),
            offset_of(shown)
        );
    }
}

async fn booking_refusals_from_the_rules(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // Not a start of the procedure.
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-02T09:05:00+01:00",
        &dni(1),
    ))
    .await
    .problem(409, "slot_unavailable");
    // Closed (Sunday).
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-07T09:00:00+01:00",
        &dni(1),
    ))
    .await
    .problem(409, "slot_unavailable");
    // Too late today, too far ahead, too little notice.
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-02-26T09:00:00+01:00",
        &dni(1),
    ))
    .await
    .problem(422, "outside_booking_window");
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-05-03T09:00:00+02:00",
        &dni(1),
    ))
    .await
    .problem(422, "outside_booking_window");
    app.try_book(&BookReq::new(
        MADRID,
        ASILO,
        "2027-03-01T09:00:00+01:00",
        &dni(1),
    ))
    .await
    .problem(422, "outside_booking_window");
    // A DNI whose letter is wrong, an NIE whose letter is wrong, a malformed document.
    for document in ["12345678A", "X1234567A", "1234"] {
        app.try_book(&BookReq::new(MADRID, HUELLAS, SLOT, document))
            .await
            .problem(422, "invalid_document");
    }
    // Unknown office or service.
    app.try_book(&BookReq::new("nowhere", HUELLAS, SLOT, &dni(1)))
        .await
        .problem(404, "not_found");
    // One active appointment per procedure per person, across offices; never two at once.
    app.book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)))
        .await;
    let body = app
        .try_book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-03-04T09:00:00+01:00",
            &dni(1),
        ))
        .await
        .problem(409, "citizen_limit_reached");
    assert!(!body["detail"].as_str().unwrap().contains(&dni(1)));
    app.try_book(&BookReq::new(
        BARCELONA,
        HUELLAS,
        "2027-03-04T09:10:00+01:00",
        &dni(1),
    ))
    .await
    .problem(409, "citizen_limit_reached");
    // The same person written differently is the same person.
    let spaced = format!("{}-{} {}", &dni(1)[..4], &dni(1)[4..8], &dni(1)[8..]).to_lowercase();
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-05T09:00:00+01:00",
        &spaced,
    ))
    .await
    .problem(409, "citizen_limit_reached");
    app.try_book(&BookReq::new(
        MADRID,
        ASILO,
        "2027-03-02T09:00:00+01:00",
        &dni(1),
    ))
    .await
    .problem(409, "citizen_limit_reached");
}

async fn booking_refusals_from_the_request(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let path = "/api/v1/appointments";
    let good = BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)).json();
    // Unknown field, missing field, wrong type: well-formed JSON of the wrong shape.
    let mut unknown = good.clone();
    unknown["surprise"] = json!(true);
    let mut unknown_inner = good.clone();
    unknown_inner["citizen"]["nickname"] = json!("Ani");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("citizen");
    let mut wrong_type = good.clone();
    wrong_type["start"] = json!(1_800_000_000);
    let mut empty_name = good.clone();
    empty_name["citizen"]["name"] = json!("  ");
    for body in [unknown, unknown_inner, missing, wrong_type, empty_name] {
        app.post_json(path, &body)
            .await
            .problem(422, "validation_failed");
    }
    // Not JSON at all.
    let json_type = [("content-type", "application/json")];
    app.raw(Method::POST, path, &json_type, "{\"office_id\": ")
        .await
        .problem(400, "validation_failed");
    // Not declared as JSON.
    for headers in [
        vec![("content-type", "text/plain")],
        vec![("content-type", "application/x-www-form-urlencoded")],
        vec![],
    ] {
        app.raw(Method::POST, path, &headers, good.to_string())
            .await
            .problem(415, "validation_failed");
    }
    // Larger than the body limit.
    let mut huge = good.clone();
    huge["citizen"]["name"] = json!("a".repeat(cita::http::BODY_LIMIT + 1));
    app.post_json(path, &huge)
        .await
        .problem(413, "validation_failed");
    // A malformed Idempotency-Key.
    app.post_json_with(path, &good, &[("idempotency-key", "")])
        .await
        .problem(400, "validation_failed");
    // None of this booked anything.
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 2);
}

async fn idempotency_key_replays_and_refuses_reuse(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let path = "/api/v1/appointments";
    let request = BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)).json();
    let key = [("idempotency-key", "a4f0c6de-2b7e-4c61-9d8e-1f2a3b4c5d6e")];
    let first = app.post_json_with(path, &request, &key).await.ok(201);
    let again = app.post_json_with(path, &request, &key).await.ok(201);
    assert_eq!(again["locator"], first["locator"]);
    assert_eq!(again["start"], first["start"]);
    assert_eq!(again["sequence"], first["sequence"]);
    assert_ne!(
        again["token"], first["token"],
        "a replay issues a fresh token"
    );
    // Both tokens open the one appointment, which took one place.
    let locator = first["locator"].as_str().unwrap();
    for token in [&first["token"], &again["token"]] {
        app.get_with_token(
            &format!("/api/v1/appointments/{locator}"),
            token.as_str().unwrap(),
        )
        .await
        .ok(200);
    }
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 1);
    // Same key, other body.
    let other = BookReq::new(MADRID, HUELLAS, SLOT, &dni(2)).json();
    app.post_json_with(path, &other, &key)
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 1);
    // Another key is another request.
    let other_key = [("idempotency-key", "second")];
    app.post_json_with(path, &other, &other_key).await.ok(201);
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 0);
}

/// Invariant 6: odd input is a 4xx problem (or an empty answer), never a 500 or a panic.
async fn hostile_inputs_get_clear_problems(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // Dates at the ends of what the types hold.
    for date in ["0001-01-01", "9999-12-31"] {
        assert!(app.slots(LAS_PALMAS, RENOVACION, date).await.is_empty());
    }
    let days = app
        .get(&format!(
            "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/days?from=9999-12-25&to=9999-12-31"
        ))
        .await
        .ok(200);
    assert_eq!(days["days"].as_array().unwrap().len(), 7);
    app.get(&format!(
        "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/slots?date=262143-12-31"
    ))
    .await
    .problem(400, "validation_failed");
    for start in ["9999-12-31T23:59:59+14:00", "0000-01-01T00:00:00-12:00"] {
        let hold = json!({"office_id": MADRID, "service_id": HUELLAS, "start": start});
        app.post_json("/api/v1/holds", &hold)
            .await
            .problem(422, "outside_booking_window");
        app.try_book(&BookReq::new(MADRID, HUELLAS, start, &dni(1)))
            .await
            .problem(422, "outside_booking_window");
    }
    // Seconds that are not a start, and an offset far from the office's.
    for start in ["2027-03-02T09:00:00.5+01:00", "2027-03-02T09:00:00-23:59"] {
        app.try_book(&BookReq::new(MADRID, HUELLAS, start, &dni(1)))
            .await
            .problem(409, "slot_unavailable");
    }
    // Bodies that are not the expected JSON object.
    let json_type = [("content-type", "application/json")];
    for body in [&b""[..], &[0xff, 0xfe], b"nul", b"{\"office_id\": \"x\","] {
        app.raw(
            Method::POST,
            "/api/v1/appointments",
            &json_type,
            body.to_vec(),
        )
        .await
        .problem(400, "validation_failed");
    }
    for body in ["[]", "null", "\"book me\"", "{\"office_id\": 1}"] {
        app.raw(Method::POST, "/api/v1/appointments", &json_type, body)
            .await
            .problem(422, "validation_failed");
    }
    // A path segment that is not UTF-8.
    app.get_with_token("/api/v1/appointments/%FF", "abc")
        .await
        .problem(400, "validation_failed");
    app.get("/api/v1/appointments/%FF")
        .await
        .problem(401, "unauthorized");
    // Control characters and absurd lengths in the citizen's details.
    let mut body = BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)).json();
    body["citizen"]["name"] = json!("Ana\u{0}García");
    app.post_json("/api/v1/appointments", &body)
        .await
        .problem(422, "validation_failed");
    body["citizen"]["name"] = json!("a".repeat(201));
    app.post_json("/api/v1/appointments", &body)
        .await
        .problem(422, "validation_failed");
    body["citizen"]["name"] = json!("Ana");
    body["citizen"]["email"] = json!("not an address");
    app.post_json("/api/v1/appointments", &body)
        .await
        .problem(422, "validation_failed");
    // Hold ids no hold can have: a NUL (which the database cannot even store), a
    // control character, quotes and backslashes, a novel.
    body["citizen"]["email"] = json!(null);
    for hold_id in ["h\u{0}", "h\u{7}", "a b", &"h".repeat(65)] {
        body["hold_id"] = json!(hold_id);
        app.post_json("/api/v1/appointments", &body)
            .await
            .problem(422, "validation_failed");
    }
    // Quotes and backslashes are just an unknown hold: booked without one.
    body["hold_id"] = json!("h');DROP/**/TABLE/**/holds;--\\");
    let booked = app.post_json("/api/v1/appointments", &body).await.ok(201);
    let reschedule = format!(
        "/api/v1/appointments/{}/reschedule",
        booked["locator"].as_str().unwrap()
    );
    let token = booked["token"].as_str().unwrap();
    app.post_with_token(
        &reschedule,
        token,
        &json!({"start": SLOT, "hold_id": "h\u{0}"}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(app.capacity_at(MADRID, HUELLAS, SLOT).await, 1);
}
