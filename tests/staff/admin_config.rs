//! `PUT /api/v1/admin/config`: validation with lines, refusing changes that strand
//! appointments, `?force=cancel`, desk re-planning, harmless changes, JSON bodies, and
//! other instances picking the change up.

use axum::body::Body;
use axum::http::{Method, Request, header};
use cita::booking::{Actor, BookRequest, BookingError, CitizenInput, Role};
use cita::http::router;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_backends;
use crate::common::{Db, overlapping_pairs};
use crate::support::*;

const DESK_B: &str = r#"
  [[office.desk]]
  id = "b"
  services = ["renovacion-dni"]
"#;

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

async fn put_json(app: &TestApp, token: &str, value: &Value) -> Answer {
    let request = Request::builder()
        .method(Method::PUT)
        .uri("/api/v1/admin/config")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .unwrap();
    app.send(request).await
}

/// (id, name) of each office, by id.
async fn office_names(app: &TestApp) -> Vec<(String, String)> {
    app.get("/api/v1/offices", None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                o["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn invalid_configuration_lists_every_problem_by_line(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let admin = app.staff(Role::Admin, None).await;
    let bad = CONFIG
        .replacen(
            r#"timezone = "Europe/Madrid""#,
            r#"timezone = "Mars/Olympus""#,
            1,
        )
        .replace(
            "id = \"b\"\n  services = [\"renovacion-dni\"]",
            "id = \"b\"\n  services = [\"pasaporte\"]",
        );
    let (zone_line, desk_line) = (line_of(&bad, "Mars/Olympus"), line_of(&bad, "pasaporte"));
    let answer = app.put_config(&admin, &bad, "").await;
    assert_problem(&answer, 422, "validation_failed");
    let body = answer.json();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("line {zone_line}:")), "{detail}");
    assert!(detail.contains(&format!("line {desk_line}:")), "{detail}");
    let lines: Vec<u64> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert!(
        lines.contains(&(zone_line as u64)) && lines.contains(&(desk_line as u64)),
        "{body}"
    );

    // A syntax error, a wrong media type, and the same problems sent as JSON.
    let answer = app.put_config(&admin, "[[office]\nid = 1", "").await;
    assert_problem(&answer, 422, "validation_failed");
    assert_eq!(answer.json()["problems"][0]["line"], 1);
    let answer = app
        .call_with(
            Method::PUT,
            "/api/v1/admin/config",
            Some(&admin),
            None,
            &[("content-type", "application/xml")],
        )
        .await;
    assert_problem(&answer, 415, "validation_failed");
    let as_json: Value = toml::from_str(&bad).unwrap();
    let answer = put_json(&app, &admin, &as_json).await;
    assert_problem(&answer, 422, "validation_failed");
    let body = answer.json();
    assert!(
        body["toml"].as_str().unwrap().contains("Mars/Olympus"),
        "{body}"
    );
    assert_eq!(
        body["problems"].as_array().unwrap().len(),
        lines.len(),
        "{body}"
    );

    // Nothing changed.
    assert_eq!(
        office_names(&app).await,
        [
            ("barcelona".to_owned(), "Oficina de Barcelona".to_owned()),
            ("madrid".to_owned(), "Oficina de Madrid".to_owned()),
        ]
    );
    let answer = app.put_config(&admin, CONFIG, "?force=please").await;
    assert_problem(&answer, 400, "validation_failed");
}

async fn removing_a_desk_is_refused_while_it_strands_then_forced(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let admin = app.staff(Role::Admin, None).await;
    // Two at 09:00 fill both desks; one at 10:00 sits alone on b and can move to a.
    let first = app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    app.clock.advance(chrono::Duration::minutes(1));
    let second = app.book("madrid", DNI, madrid(3, 2, 9, 0), 2).await;
    let alone = app.book("madrid", DNI, madrid(3, 2, 10, 0), 3).await;
    let (on_b, on_a) = if first.appointment.desk_id.as_str() == "b" {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert_eq!(on_a.appointment.desk_id.as_str(), "a");
    assert_eq!(alone.appointment.desk_id.as_str(), "b");
    let without_b = CONFIG.replacen(DESK_B, "", 1);
    assert_ne!(without_b, CONFIG);

    let answer = app.put_config(&admin, &without_b, "").await;
    assert_problem(&answer, 409, "config_conflict");
    let body = answer.json();
    assert_eq!(
        body["appointments"],
        json!([{
            "locator": on_b.appointment.locator.to_string(),
            "office_id": "madrid",
            "start": "2027-03-02T09:00:00+01:00",
            "reason": "no_desk",
        }]),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(on_b.appointment.locator.as_str())
    );
    // Refused: nothing changed anywhere.
    assert_eq!(app.citizen_view(on_b).await, ("booked".into(), 0));
    let agenda = app
        .get(
            "/api/v1/staff/offices/madrid/agenda?date=2027-03-02",
            Some(&admin),
        )
        .await
        .json();
    assert_eq!(agenda["desks"].as_array().unwrap().len(), 2);
    assert_eq!(
        agenda["desks"][1]["appointments"].as_array().unwrap().len(),
        2
    );
    assert_eq!(app.booking().catalog_version(), 1);

    let answer = app.put_config(&admin, &without_b, "?force=cancel").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["version"], 2);
    assert_eq!(body["changed"], true);
    assert_eq!(body["moved"], 1, "the 10:00 one moves to desk a");
    assert_eq!(body["cancelled"].as_array().unwrap().len(), 1);
    assert_eq!(
        body["cancelled"][0]["locator"],
        on_b.appointment.locator.to_string()
    );
    assert_eq!(app.citizen_view(on_b).await, ("cancelled".into(), 1));
    assert_eq!(app.citizen_view(on_a).await, ("booked".into(), 0));
    assert_eq!(
        app.citizen_view(&alone).await,
        ("booked".into(), 0),
        "a desk move is invisible"
    );

    // The agenda shows desk a with both kept appointments; the cancelled one is still
    // listed under its old desk so staff can see what happened.
    let agenda = app
        .get(
            "/api/v1/staff/offices/madrid/agenda?date=2027-03-02",
            Some(&admin),
        )
        .await
        .json();
    let desks = agenda["desks"].as_array().unwrap();
    assert_eq!(desks[0]["desk_id"], "a");
    let on_desk_a: Vec<&str> = desks[0]["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["locator"].as_str().unwrap())
        .collect();
    assert_eq!(
        on_desk_a,
        [
            on_a.appointment.locator.as_str(),
            alone.appointment.locator.as_str()
        ]
    );
    assert_eq!(desks.len(), 2);
    assert_eq!(desks[1]["desk_id"], "b");
    assert_eq!(desks[1]["appointments"][0]["status"], "cancelled");
    assert_eq!(overlapping_pairs(app.booking().store()).await, 0);

    // The audit trail names the admin and the reason.
    let mut conn = app
        .booking()
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT actor_kind, detail FROM audit_log WHERE appointment_id = $1 AND action = 'cancelled'",
    )
    .bind(&on_b.appointment.id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("actor_kind"), "staff");
    assert!(
        row.get::<String, _>("detail")
            .starts_with("configuration change")
    );
    drop(conn);

    // Only one desk is left at 09:00: the slot is full.
    let slots = app
        .get(
            "/api/v1/offices/madrid/services/renovacion-dni/slots?date=2027-03-02",
            None,
        )
        .await
        .json();
    let starts: Vec<&str> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    assert!(!starts.contains(&"2027-03-02T09:00:00+01:00"), "{slots}");
    assert!(starts.contains(&"2027-03-02T09:15:00+01:00"), "{slots}");
}

async fn removed_offices_and_procedures_strand_their_appointments(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let admin = app.staff(Role::Admin, None).await;
    let bcn = app.book("barcelona", DNI, madrid(3, 2, 9, 0), 1).await;
    let tie = app.book("madrid", TIE, madrid(3, 2, 9, 0), 2).await;
    let dni_madrid = app.book("madrid", DNI, madrid(3, 2, 9, 0), 3).await;
    // A past appointment is never stranded: it is over.
    app.clock.set(madrid(3, 2, 9, 45));
    let smaller = {
        let cut = CONFIG.find("[[office]]\nid = \"barcelona\"").unwrap();
        CONFIG[..cut]
            .replace(
                "\n  [[office.service]]\n  id = \"huellas-tie\"\n  name = \"Huellas TIE\"\n  duration_minutes = 30\n",
                "",
            )
            .replace(
                "services = [\"renovacion-dni\", \"huellas-tie\"]",
                "services = [\"renovacion-dni\"]",
            )
    };
    let later_bcn = app.book("barcelona", DNI, madrid(3, 3, 9, 0), 4).await;
    let later_tie = app.book("madrid", TIE, madrid(3, 3, 9, 0), 5).await;
    let answer = app.put_config(&admin, &smaller, "").await;
    assert_problem(&answer, 409, "config_conflict");
    let mut listed: Vec<(String, String)> = answer.json()["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["locator"].as_str().unwrap().to_owned(),
                a["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (
            later_bcn.appointment.locator.to_string(),
            "office_removed".to_owned(),
        ),
        (
            later_tie.appointment.locator.to_string(),
            "service_removed".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(listed, expected);

    let answer = app.put_config(&admin, &smaller, "?force=cancel").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(app.citizen_view(&later_bcn).await.0, "cancelled");
    assert_eq!(app.citizen_view(&later_tie).await.0, "cancelled");
    for past in [&bcn, &tie, &dni_madrid] {
        assert_eq!(app.citizen_view(past).await, ("booked".into(), 0));
    }
    let offices = app.get("/api/v1/offices", None).await.json();
    assert_eq!(offices.as_array().unwrap().len(), 1);
    assert_eq!(offices[0]["services"].as_array().unwrap().len(), 1);
}

async fn harmless_changes_apply_and_reach_other_instances(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let admin = app.staff(Role::Admin, None).await;
    let kept = app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    let other = app_state(&app.db.url, app.clock.clone()).await;
    assert_eq!(other.booking.catalog_version(), 1);

    // The same document changes nothing.
    let answer = app.put_config(&admin, CONFIG, "").await;
    assert_eq!(
        answer.json(),
        json!({"version": 1, "changed": false, "cancelled": [], "moved": 0})
    );

    let renamed = CONFIG.replace("Oficina de Madrid", "Oficina de Madrid — Centro");
    let answer = app.put_config(&admin, &renamed, "").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"version": 2, "changed": true, "cancelled": [], "moved": 0})
    );
    assert_eq!(office_names(&app).await[1].1, "Oficina de Madrid — Centro");
    assert_eq!(app.citizen_view(&kept).await, ("booked".into(), 0));

    // Another instance serves the old catalog until it checks the stored version.
    let other_router = router(other.clone());
    let names = |office: Value| office["name"].as_str().unwrap().to_owned();
    let before = tower::ServiceExt::oneshot(
        other_router.clone(),
        Request::get("/api/v1/offices").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let before: Value = serde_json::from_slice(
        &http_body_util::BodyExt::collect(before.into_body())
            .await
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    assert_eq!(names(before[1].clone()), "Oficina de Madrid");
    assert_eq!(
        other.booking.reload_config_if_changed().await.unwrap(),
        Some(2)
    );
    assert_eq!(
        other.booking.reload_config_if_changed().await.unwrap(),
        None
    );
    assert_eq!(
        other
            .booking
            .catalog()
            .office(&"madrid".into())
            .unwrap()
            .name,
        "Oficina de Madrid — Centro"
    );

    // JSON with the same structure works too.
    let mut as_json: Value = toml::from_str(&renamed).unwrap();
    as_json["office"][1]["name"] = json!("Oficina de Barcelona — Eixample");
    let answer = put_json(&app, &admin, &as_json).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["version"], 3);
    assert_eq!(
        office_names(&app).await[0].1,
        "Oficina de Barcelona — Eixample"
    );
    // An instance never goes back to an older version.
    assert!(
        !app.booking()
            .install_catalog(other.booking.catalog().as_ref().clone(), 2)
    );
    assert_eq!(
        office_names(&app).await[0].1,
        "Oficina de Barcelona — Eixample"
    );
}

/// An instance that has not polled yet must not book under offices that no longer are:
/// its write sees the newer stored configuration under the office lock and retries
/// with it. Here a desk is removed elsewhere, so the stale instance must not fill it.
async fn a_stale_instance_books_under_the_new_configuration(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let admin = app.staff(Role::Admin, None).await;
    let stale = app_state(&app.db.url, app.clock.clone()).await;
    let one_desk = CONFIG.replace(
        "  [[office.desk]]\n  id = \"b\"\n  services = [\"renovacion-dni\"]\n",
        "",
    );
    assert_ne!(one_desk, CONFIG);
    let answer = app.put_config(&admin, &one_desk, "").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(stale.booking.catalog_version(), 1, "it has not polled");

    let at = madrid(3, 2, 10, 0);
    let book = |n: u32| {
        let booking = stale.booking.clone();
        async move {
            let request = BookRequest {
                office_id: "madrid".into(),
                service_id: "renovacion-dni".into(),
                start: at,
                hold_id: None,
                citizen: CitizenInput {
                    name: "Ana".into(),
                    document: dni(n),
                    document_type: None,
                    email: None,
                    phone: None,
                    language: None,
                },
            };
            booking.book(&request, None, &Actor::Citizen).await
        }
    };
    let first = book(501).await.unwrap();
    assert_eq!(first.appointment.desk_id.as_str(), "a");
    assert_eq!(
        stale.booking.catalog_version(),
        2,
        "the write loaded the new configuration"
    );
    assert!(
        matches!(book(502).await, Err(BookingError::SlotUnavailable)),
        "desk b is gone"
    );
}

both_backends!(
    a_stale_instance_books_under_the_new_configuration,
    invalid_configuration_lists_every_problem_by_line,
    removing_a_desk_is_refused_while_it_strands_then_forced,
    removed_offices_and_procedures_strand_their_appointments,
    harmless_changes_apply_and_reach_other_instances,
);
