//! The staff routes' answers: agenda contents, each status change and its refusals (an
//! undone check-in too), walk-ins with `Idempotency-Key`, closures.

use axum::body::Body;
use axum::http::{Method, Request, header};
use cita::booking::Role;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_backends;
use crate::common::Db;
use crate::support::*;

const AGENDA: &str = "/api/v1/staff/offices/madrid/agenda";

fn action(locator: &str, action: &str) -> String {
    format!("/api/v1/staff/appointments/{locator}/{action}")
}

async fn agenda_lists_every_desk_and_the_day_by_start(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let agent = app.staff(Role::Agent, Some("madrid")).await;
    // A TIE needs desk a; the dni at the same time goes to b; a later dni, then one
    // cancelled; and one on another day that must not show.
    let late = app.book("madrid", DNI, madrid(3, 2, 10, 0), 3).await;
    let tie = app.book("madrid", TIE, madrid(3, 2, 9, 0), 1).await;
    let early = app.book("madrid", DNI, madrid(3, 2, 9, 0), 2).await;
    let gone = app.book("madrid", DNI, madrid(3, 2, 9, 30), 4).await;
    app.booking()
        .cancel(gone.appointment.locator.as_str(), &gone.token)
        .await
        .unwrap();
    app.book("madrid", DNI, madrid(3, 3, 9, 0), 5).await;

    let answer = app
        .get(&format!("{AGENDA}?date=2027-03-02"), Some(&agent))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["office_id"], "madrid");
    assert_eq!(body["date"], "2027-03-02");
    let desks = body["desks"].as_array().unwrap();
    let ids: Vec<&str> = desks
        .iter()
        .map(|d| d["desk_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let on = |desk: usize| -> Vec<(String, String, String)> {
        desks[desk]["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["locator"].as_str().unwrap().to_owned(),
                    a["start"].as_str().unwrap().to_owned(),
                    a["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all: Vec<_> = on(0).into_iter().chain(on(1)).collect();
    assert_eq!(all.len(), 4, "{body}");
    // The TIE is on a; every desk's list is by start; times carry Madrid's offset.
    assert_eq!(on(0)[0].0, tie.appointment.locator.to_string());
    for desk in [0, 1] {
        let starts: Vec<_> = on(desk).iter().map(|a| a.1.clone()).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
    }
    let find = |locator: &str| all.iter().find(|a| a.0 == locator).unwrap().clone();
    assert_eq!(
        find(early.appointment.locator.as_str()).1,
        "2027-03-02T09:00:00+01:00"
    );
    assert_eq!(find(late.appointment.locator.as_str()).2, "booked");
    assert_eq!(find(gone.appointment.locator.as_str()).2, "cancelled");
    let first = &desks[0]["appointments"][0];
    assert_eq!(first["service_id"], TIE);
    assert_eq!(first["end"], "2027-03-02T09:30:00+01:00");
    assert_eq!(first["citizen_name"], "Ciudadana 1");

    // An empty day lists the desks with nothing on them; bad dates are 400.
    let answer = app
        .get(&format!("{AGENDA}?date=2027-03-06"), Some(&agent))
        .await;
    assert_eq!(
        answer.json()["desks"],
        json!([{"desk_id": "a", "appointments": []}, {"desk_id": "b", "appointments": []}])
    );
    let answer = app
        .get(&format!("{AGENDA}?date=tomorrow"), Some(&agent))
        .await;
    assert_problem(&answer, 400, "validation_failed");
    let admin = app.staff(Role::Admin, None).await;
    let answer = app
        .get(
            "/api/v1/staff/offices/toledo/agenda?date=2027-03-02",
            Some(&admin),
        )
        .await;
    assert_problem(&answer, 404, "not_found");
}

async fn transitions_and_their_refusals(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let agent = app.staff(Role::Agent, Some("madrid")).await;
    let token = Some(agent.as_str());
    let served = app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    let absent = app.book("madrid", DNI, madrid(3, 2, 9, 15), 2).await;
    let cancelled = app.book("madrid", DNI, madrid(3, 2, 9, 30), 3).await;
    let (s, a, c) = (
        served.appointment.locator.to_string(),
        absent.appointment.locator.to_string(),
        cancelled.appointment.locator.to_string(),
    );

    // Completing before check-in, and a no-show before the start, are refused.
    let answer = app
        .call(Method::POST, &action(&s, "complete"), token, None)
        .await;
    assert_problem(&answer, 409, "invalid_transition");
    let answer = app
        .call(Method::POST, &action(&a, "no-show"), token, None)
        .await;
    assert_problem(&answer, 422, "validation_failed");

    let answer = app
        .call(Method::POST, &action(&s, "check-in"), token, None)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["status"], "checked_in");
    assert_eq!(body["locator"], s.as_str());
    assert_eq!(body["sequence"], 0);
    assert!(
        body.get("token").is_none(),
        "staff answers issue no citizen token"
    );
    let answer = app
        .call(Method::POST, &action(&s, "check-in"), token, None)
        .await;
    assert_problem(&answer, 409, "invalid_transition");
    // Lower-case locators work too.
    let answer = app
        .call(
            Method::POST,
            &action(&s.to_lowercase(), "complete"),
            token,
            None,
        )
        .await;
    assert_eq!(answer.json()["status"], "completed", "{}", answer.text());
    let answer = app
        .call(Method::POST, &action(&s, "cancel"), token, None)
        .await;
    assert_problem(&answer, 409, "invalid_transition");

    app.clock.set(madrid(3, 2, 9, 20));
    let answer = app
        .call(Method::POST, &action(&a, "no-show"), token, None)
        .await;
    assert_eq!(answer.json()["status"], "no_show", "{}", answer.text());
    let answer = app
        .call(Method::POST, &action(&a, "check-in"), token, None)
        .await;
    assert_problem(&answer, 409, "invalid_transition");

    let reason = json!({"reason": "La ciudadana llamó para anular"});
    // A body that is not declared as JSON is refused, and changes nothing.
    let as_text = Request::builder()
        .method(Method::POST)
        .uri(action(&c, "cancel"))
        .header(header::AUTHORIZATION, format!("Bearer {agent}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(reason.to_string()))
        .unwrap();
    assert_problem(&app.send(as_text).await, 415, "validation_failed");
    let answer = app
        .call(Method::POST, &action(&c, "cancel"), token, Some(&reason))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["status"], "cancelled");
    assert_eq!(
        answer.json()["sequence"],
        1,
        "calendars must see the cancellation"
    );
    assert_eq!(app.citizen_view(&cancelled).await, ("cancelled".into(), 1));
    let answer = app
        .call(Method::POST, &action(&c, "cancel"), token, None)
        .await;
    assert_problem(&answer, 409, "invalid_transition");
    let answer = app
        .call(
            Method::POST,
            &action(&c, "cancel"),
            token,
            Some(&json!({"why": 1})),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 422, "{}", answer.text());

    // The audit trail names the staff member and keeps the reason.
    let mut conn = app
        .booking()
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT actor_kind, actor_id, detail FROM audit_log WHERE appointment_id = $1 AND action = 'cancelled'",
    )
    .bind(&cancelled.appointment.id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("actor_kind"), "staff");
    assert!(row.get::<Option<String>, _>("actor_id").is_some());
    assert_eq!(
        row.get::<String, _>("detail"),
        "La ciudadana llamó para anular"
    );

    let answer = app
        .call(Method::POST, &action("ZZZZZZZZ", "check-in"), token, None)
        .await;
    assert_problem(&answer, 404, "not_found");
    let answer = app
        .call(Method::POST, &action("bad!", "check-in"), token, None)
        .await;
    assert_eq!(answer.status.as_u16(), 404);
}

/// The actions of an appointment's audit trail, oldest first, with the actor kind and
/// the detail.
async fn audit_trail(app: &TestApp, appointment_id: &str) -> Vec<(String, String, String)> {
    let mut conn = app
        .booking()
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    sqlx::query(
        "SELECT action, actor_kind, detail FROM audit_log WHERE appointment_id = $1 ORDER BY id",
    )
    .bind(appointment_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .into_iter()
    .map(|row| {
        (
            row.get::<String, _>("action"),
            row.get::<String, _>("actor_kind"),
            row.get::<String, _>("detail"),
        )
    })
    .collect()
}

async fn undo_check_in_returns_to_booked(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let agent = app.staff(Role::Agent, Some("madrid")).await;
    let token = Some(agent.as_str());
    let manager_b = app.staff(Role::Manager, Some("barcelona")).await;
    let arrived = app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    let served = app.book("madrid", DNI, madrid(3, 2, 9, 15), 2).await;
    let cancelled = app.book("madrid", DNI, madrid(3, 2, 9, 30), 3).await;
    let (l, s, c) = (
        arrived.appointment.locator.to_string(),
        served.appointment.locator.to_string(),
        cancelled.appointment.locator.to_string(),
    );
    let undo = |locator: &str| action(locator, "undo-check-in");

    // A booked appointment has no check-in to undo.
    let answer = app.call(Method::POST, &undo(&l), token, None).await;
    assert_problem(&answer, 409, "invalid_transition");
    assert_eq!(app.citizen_view(&arrived).await, ("booked".into(), 0));

    // The agent of the office checks in, then undoes it: booked again, same sequence.
    let answer = app
        .call(Method::POST, &action(&l, "check-in"), token, None)
        .await;
    assert_eq!(answer.json()["status"], "checked_in", "{}", answer.text());
    let before = answer.json()["sequence"].clone();

    // The manager of another office gets the 404 of an unknown locator, and changes
    // nothing.
    let other_office = app
        .call(Method::POST, &undo(&l), Some(&manager_b), None)
        .await;
    assert_problem(&other_office, 404, "not_found");
    let unknown = app
        .call(Method::POST, &undo("ZZZZZZZZ"), Some(&manager_b), None)
        .await;
    assert_problem(&unknown, 404, "not_found");
    let without_instance = |body: &[u8]| {
        let mut value: Value = serde_json::from_slice(body).unwrap();
        value.as_object_mut().unwrap().remove("instance");
        value
    };
    assert_eq!(
        without_instance(&other_office.body),
        without_instance(&unknown.body)
    );
    assert_eq!(app.citizen_view(&arrived).await, ("checked_in".into(), 0));
    let answer = app.call(Method::POST, &undo("ZZZZZZZZ"), token, None).await;
    assert_problem(&answer, 404, "not_found");

    // Bad bodies are 4xx problems and change nothing.
    let raw = |content_type: &str, body: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(undo(&l))
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let answer = app.send(raw("application/json", "{not json")).await;
    assert_problem(&answer, 400, "validation_failed");
    let answer = app
        .send(raw("text/plain", r#"{"reason": "wrong person"}"#))
        .await;
    assert_problem(&answer, 415, "validation_failed");
    let too_long = json!({"reason": "x".repeat(501)});
    let answer = app
        .call(Method::POST, &undo(&l), token, Some(&too_long))
        .await;
    assert_problem(&answer, 422, "validation_failed");
    let answer = app
        .call(Method::POST, &undo(&l), token, Some(&json!({"why": "x"})))
        .await;
    assert_problem(&answer, 422, "validation_failed");
    let answer = app
        .call(Method::POST, &undo(&l), token, Some(&json!({"reason": 7})))
        .await;
    assert_problem(&answer, 422, "validation_failed");
    assert_eq!(app.citizen_view(&arrived).await, ("checked_in".into(), 0));
    assert_eq!(
        audit_trail(&app, &arrived.appointment.id)
            .await
            .iter()
            .filter(|(action, ..)| action == "check_in_undone")
            .count(),
        0,
        "a refused undo leaves no trace"
    );

    let reason = json!({"reason": "Se registró a otra persona"});
    let answer = app
        .call(Method::POST, &undo(&l), token, Some(&reason))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["status"], "booked");
    assert_eq!(body["locator"], l.as_str());
    assert_eq!(body["sequence"], before, "calendars see no change");
    assert!(
        body.get("token").is_none(),
        "staff answers issue no citizen token"
    );
    assert_eq!(app.citizen_view(&arrived).await, ("booked".into(), 0));
    let trail = audit_trail(&app, &arrived.appointment.id).await;
    let last = trail.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str(), last.2.as_str()),
        ("check_in_undone", "staff", "Se registró a otra persona"),
        "{trail:?}"
    );
    // Undone once, it cannot be undone again; the citizen can be checked in again.
    let answer = app.call(Method::POST, &undo(&l), token, None).await;
    assert_problem(&answer, 409, "invalid_transition");
    let answer = app
        .call(Method::POST, &action(&l, "check-in"), token, None)
        .await;
    assert_eq!(answer.json()["status"], "checked_in", "{}", answer.text());
    // Lower-case locators work too; no body is no reason.
    let answer = app
        .call(Method::POST, &undo(&l.to_lowercase()), token, None)
        .await;
    assert_eq!(answer.json()["status"], "booked", "{}", answer.text());
    let trail = audit_trail(&app, &arrived.appointment.id).await;
    let actions: Vec<&str> = trail.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "booked",
            "checked_in",
            "check_in_undone",
            "checked_in",
            "check_in_undone"
        ]
    );
    assert_eq!(trail.last().unwrap().2, "");

    // A completed or cancelled appointment cannot go back to booked.
    for step in ["check-in", "complete"] {
        let answer = app.call(Method::POST, &action(&s, step), token, None).await;
        assert_eq!(answer.status, 200, "{step}: {}", answer.text());
    }
    let answer = app.call(Method::POST, &undo(&s), token, None).await;
    assert_problem(&answer, 409, "invalid_transition");
    assert_eq!(app.citizen_view(&served).await, ("completed".into(), 0));
    for step in ["check-in", "cancel"] {
        let answer = app.call(Method::POST, &action(&c, step), token, None).await;
        assert_eq!(answer.status, 200, "{step}: {}", answer.text());
    }
    let answer = app.call(Method::POST, &undo(&c), token, None).await;
    assert_problem(&answer, 409, "invalid_transition");
    assert_eq!(app.citizen_view(&cancelled).await, ("cancelled".into(), 1));
}

fn walk_in_body(office: &str, start: &str, document: &str) -> Value {
    json!({
        "office_id": office,
        "service_id": DNI,
        "start": start,
        "citizen": {"name": "Pedro Pérez", "document": document, "phone": "+34 600 000 000"},
    })
}

async fn walk_ins_honour_idempotency_keys(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let manager = app.staff(Role::Manager, Some("madrid")).await;
    let token = Some(manager.as_str());
    let uri = "/api/v1/staff/offices/madrid/appointments";
    let body = walk_in_body("madrid", "2027-03-01T12:00:00+01:00", &dni(7));
    let key = [("idempotency-key", "walk-in-7")];

    let first = app
        .call_with(Method::POST, uri, token, Some(&body), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let first = first.json();
    assert_eq!(first["status"], "booked");
    assert_eq!(first["office_id"], "madrid");
    assert!(
        first["token"].is_string(),
        "the citizen gets a token on paper"
    );
    let again = app
        .call_with(Method::POST, uri, token, Some(&body), &key)
        .await;
    assert_eq!(again.status, 201, "{}", again.text());
    let again = again.json();
    assert_eq!(
        again["locator"], first["locator"],
        "a replay books nothing new"
    );
    assert_ne!(again["token"], first["token"]);
    let other = walk_in_body("madrid", "2027-03-01T12:15:00+01:00", &dni(7));
    let answer = app
        .call_with(Method::POST, uri, token, Some(&other), &key)
        .await;
    assert_problem(&answer, 422, "idempotency_key_reused");
    assert_eq!(
        crate::common::count_status(app.booking().store(), "booked").await,
        1
    );

    // The office in the path must be the body's.
    let answer = app
        .call(
            Method::POST,
            uri,
            token,
            Some(&walk_in_body(
                "barcelona",
                "2027-03-01T12:30:00+01:00",
                &dni(8),
            )),
        )
        .await;
    assert_problem(&answer, 422, "validation_failed");
    // The booking rules still apply: a taken time, a bad document.
    let answer = app
        .call(
            Method::POST,
            uri,
            token,
            Some(&walk_in_body(
                "madrid",
                "2027-03-01T12:00:00+01:00",
                &dni(7),
            )),
        )
        .await;
    assert_problem(&answer, 409, "citizen_limit_reached");
    let answer = app
        .call(
            Method::POST,
            uri,
            token,
            Some(&walk_in_body(
                "madrid",
                "2027-03-01T12:30:00+01:00",
                "12345678A",
            )),
        )
        .await;
    assert_problem(&answer, 422, "invalid_document");

    // The audit trail records a staff booking.
    let mut conn = app
        .booking()
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let kind: String =
        sqlx::query_scalar("SELECT actor_kind FROM audit_log WHERE action = 'booked'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(kind, "staff");
}

async fn closures_cancel_and_report(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let manager = app.staff(Role::Manager, Some("madrid")).await;
    let token = Some(manager.as_str());
    let uri = "/api/v1/staff/offices/madrid/closures";
    let thursday = app.book("madrid", DNI, madrid(3, 4, 9, 0), 1).await;
    let thursday_2 = app.book("madrid", TIE, madrid(3, 4, 11, 0), 2).await;
    let friday = app.book("madrid", DNI, madrid(3, 5, 9, 0), 3).await;

    // Without cancelling, booked appointments are reported as stranded.
    let body = json!({"from": "2027-03-05", "to": "2027-03-05", "reason": "Huelga"});
    let answer = app.call(Method::POST, uri, token, Some(&body)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["cancelled"], 0);
    assert_eq!(answer.json()["stranded"], 1);
    assert_eq!(app.citizen_view(&friday).await, ("booked".into(), 0));

    let body = json!({"from": "2027-03-04", "to": "2027-03-04", "reason": "Corte de luz", "cancel_appointments": true});
    let answer = app.call(Method::POST, uri, token, Some(&body)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let done = answer.json();
    assert_eq!(done["cancelled"], 2);
    assert_eq!(done["stranded"], 0);
    assert_eq!(done["office_id"], "madrid");
    assert_eq!(app.citizen_view(&thursday).await, ("cancelled".into(), 1));
    assert_eq!(app.citizen_view(&thursday_2).await, ("cancelled".into(), 1));
    // Nothing can be booked on the closed day any more.
    let slots = app
        .get(
            "/api/v1/offices/madrid/services/renovacion-dni/slots?date=2027-03-04",
            None,
        )
        .await;
    assert_eq!(slots.json()["slots"], json!([]), "{}", slots.text());

    let bad = json!({"from": "2027-03-05", "to": "2027-03-04", "reason": "x"});
    let answer = app.call(Method::POST, uri, token, Some(&bad)).await;
    assert_problem(&answer, 422, "validation_failed");
    let bad = json!({"from": "2027-03-05", "to": "2027-03-05", "reason": "  "});
    let answer = app.call(Method::POST, uri, token, Some(&bad)).await;
    assert_problem(&answer, 422, "validation_failed");
    let bad = json!({"from": "2027-03-05"});
    let answer = app.call(Method::POST, uri, token, Some(&bad)).await;
    assert_problem(&answer, 422, "validation_failed");
}

both_backends!(
    agenda_lists_every_desk_and_the_day_by_start,
    transitions_and_their_refusals,
    undo_check_in_returns_to_booked,
    walk_ins_honour_idempotency_keys,
    closures_cancel_and_report,
);
