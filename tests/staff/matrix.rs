//! Who may do what: every role (and no or a revoked token) against every staff and admin
//! endpoint, each cell on an appointment in the right state so only access decides.

use axum::http::Method;
use cita::booking::{Actor, Role};
use cita::domain::Transition;
use serde_json::json;

use crate::both_backends;
use crate::common::Db;
use crate::support::*;

const ENDPOINTS: [&str; 9] = [
    "agenda",
    "check-in",
    "undo-check-in",
    "complete",
    "no-show",
    "cancel",
    "walk-in",
    "closures",
    "config",
];

/// The status changes, each on its own appointment per actor.
const TRANSITIONS: [&str; 5] = ["check-in", "undo-check-in", "complete", "no-show", "cancel"];

async fn role_endpoint_matrix(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = app.booking();
    let madrid_office = cita::domain::OfficeId::new("madrid");
    let revoked = b
        .add_staff_user("revoked-agent", Role::Agent, Some(&madrid_office))
        .await
        .unwrap()
        .token;
    assert!(b.revoke_staff_user("revoked-agent").await.unwrap());
    let actors: Vec<(&str, Option<String>)> = vec![
        ("admin", Some(app.staff(Role::Admin, None).await)),
        (
            "manager A",
            Some(app.staff(Role::Manager, Some("madrid")).await),
        ),
        (
            "agent A",
            Some(app.staff(Role::Agent, Some("madrid")).await),
        ),
        (
            "manager B",
            Some(app.staff(Role::Manager, Some("barcelona")).await),
        ),
        ("no token", None),
        ("revoked", Some(revoked)),
    ];

    // Tuesday: per actor one booked appointment for check-in, no-show and cancel, and one
    // checked-in for undo-check-in and for complete; two desks take two appointments per
    // 15-minute start.
    let mut n = 0u32;
    let mut cells = Vec::new();
    for _ in &actors {
        let mut row = Vec::new();
        for endpoint in TRANSITIONS {
            n += 1;
            let slot = (n - 1) / 2;
            let start = madrid(3, 2, 9 + slot / 4, (slot % 4) * 15);
            let booked = app.book("madrid", DNI, start, n).await;
            if endpoint == "undo-check-in" || endpoint == "complete" {
                b.staff_change(
                    &booked.appointment,
                    Transition::CheckIn,
                    &Actor::System,
                    None,
                )
                .await
                .unwrap();
            }
            row.push(booked.appointment.locator.to_string());
        }
        cells.push(row);
    }
    // Tuesday 13:00: every one of them has started, so a no-show can be recorded.
    app.clock.set(madrid(3, 2, 13, 0));

    let mut actual = Vec::new();
    for (i, (name, token)) in actors.iter().enumerate() {
        let token = token.as_deref();
        let mut statuses = Vec::new();
        let agenda = app
            .get("/api/v1/staff/offices/madrid/agenda?date=2027-03-02", token)
            .await;
        statuses.push(agenda.status.as_u16());
        for (locator, action) in cells[i].iter().zip(TRANSITIONS) {
            let answer = app
                .call(
                    Method::POST,
                    &format!("/api/v1/staff/appointments/{locator}/{action}"),
                    token,
                    None,
                )
                .await;
            statuses.push(answer.status.as_u16());
        }
        let walk_in = json!({
            "office_id": "madrid",
            "service_id": DNI,
            "start": (madrid(3, 3, 9, 0) + chrono::Duration::minutes(15 * i as i64)).to_rfc3339(),
            "citizen": {"name": format!("Walk-in {name}"), "document": dni(900 + i as u32)},
        });
        let answer = app
            .call(
                Method::POST,
                "/api/v1/staff/offices/madrid/appointments",
                token,
                Some(&walk_in),
            )
            .await;
        statuses.push(answer.status.as_u16());
        let closure = json!({"from": "2027-03-15", "to": "2027-03-15", "reason": "Formación", "cancel_appointments": false});
        let answer = app
            .call(
                Method::POST,
                "/api/v1/staff/offices/madrid/closures",
                token,
                Some(&closure),
            )
            .await;
        statuses.push(answer.status.as_u16());
        let answer = match token {
            Some(token) => app.put_config(token, CONFIG, "").await,
            None => {
                app.call(Method::PUT, "/api/v1/admin/config", None, None)
                    .await
            }
        };
        statuses.push(answer.status.as_u16());
        // Every refusal is the right problem.
        for (status, endpoint) in statuses.iter().zip(ENDPOINTS) {
            assert!(
                [200, 201, 401, 403, 404].contains(status),
                "{name} {endpoint}: {status}"
            );
        }
        actual.push((*name, statuses));
    }
    let expected = vec![
        ("admin", vec![200, 200, 200, 200, 200, 200, 201, 200, 200]),
        (
            "manager A",
            vec![200, 200, 200, 200, 200, 200, 201, 200, 403],
        ),
        ("agent A", vec![200, 200, 200, 200, 200, 200, 201, 403, 403]),
        // Another office's appointments answer 404, as unknown locators do: staff learn
        // nothing about other offices' locators. The office's own pages answer 403.
        (
            "manager B",
            vec![403, 404, 404, 404, 404, 404, 403, 403, 403],
        ),
        ("no token", vec![401; 9]),
        ("revoked", vec![401; 9]),
    ];
    assert_eq!(actual, expected, "columns: {ENDPOINTS:?}");

    // The refusals carry their codes; the manager of B reaches B.
    let manager_b = actors[3].1.as_deref();
    let answer = app
        .get(
            "/api/v1/staff/offices/madrid/agenda?date=2027-03-02",
            manager_b,
        )
        .await;
    assert_problem(&answer, 403, "forbidden");
    let answer = app
        .get(
            "/api/v1/staff/offices/barcelona/agenda?date=2027-03-02",
            manager_b,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = app
        .get("/api/v1/staff/offices/madrid/agenda?date=2027-03-02", None)
        .await;
    assert_problem(&answer, 401, "unauthorized");
    let answer = app
        .get(
            "/api/v1/staff/offices/madrid/agenda?date=2027-03-02",
            Some("not-a-token"),
        )
        .await;
    assert_problem(&answer, 401, "unauthorized");
    let answer = app
        .call_with(
            Method::GET,
            "/api/v1/staff/offices/madrid/agenda?date=2027-03-02",
            None,
            None,
            &[("authorization", "Basic abc")],
        )
        .await;
    assert_problem(&answer, 401, "unauthorized");
    // Manager B on an appointment of A and anyone on an unknown locator: the same 404,
    // so staff cannot tell other offices' locators from free ones.
    let other_office = app
        .call(
            Method::POST,
            &format!("/api/v1/staff/appointments/{}/cancel", cells[0][0]),
            manager_b,
            None,
        )
        .await;
    assert_problem(&other_office, 404, "not_found");
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/staff/appointments/ZZZZZZZZ/cancel",
            manager_b,
            None,
        )
        .await;
    assert_problem(&unknown, 404, "not_found");
    let without_instance = |body: &[u8]| {
        let mut value: serde_json::Value = serde_json::from_slice(body).unwrap();
        value.as_object_mut().unwrap().remove("instance");
        value
    };
    assert_eq!(
        without_instance(&other_office.body),
        without_instance(&unknown.body)
    );
}

both_backends!(role_endpoint_matrix);
