//! Browsing: offices, free days and free times (DESIGN §6, public).

use serde_json::Value;

use crate::both_backends;
use crate::common::*;

both_backends!(
    offices_lists_the_demo_offices,
    days_counts_bookable_starts_on_every_date,
    days_refuses_bad_ranges_and_unknown_things,
    days_and_slots_outside_the_window_are_empty,
    slots_show_capacity_in_the_office_offset,
    slots_of_closed_days_are_empty,
    a_full_start_disappears_from_slots,
);

async fn offices_lists_the_demo_offices(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let body = app.get("/api/v1/offices").await.ok(200);
    let offices = body.as_array().unwrap();
    let ids: Vec<&str> = offices.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [BARCELONA, LAS_PALMAS, MADRID]);
    let office = |id: &str| offices.iter().find(|o| o["id"] == id).unwrap();
    assert_eq!(office(LAS_PALMAS)["timezone"], "Atlantic/Canary");
    assert_eq!(office(MADRID)["timezone"], "Europe/Madrid");
    assert_eq!(
        office(MADRID)["name"],
        "Oficina de Extranjería — Madrid",
        "names keep their accents and dashes"
    );
    assert_eq!(office(MADRID)["address"], "Calle Ejemplo 1, 28001 Madrid");
    let services: Vec<(&str, u64)> = office(MADRID)["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(s["name"].is_string());
            (
                s["id"].as_str().unwrap(),
                s["duration_minutes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(services, [(HUELLAS, 15), (ASILO, 40)]);
    assert_eq!(office(BARCELONA)["services"][0]["duration_minutes"], 20);
    assert_eq!(office(LAS_PALMAS)["services"][0]["id"], RENOVACION);
}

fn days_path(office: &str, service: &str, query: &str) -> String {
    format!("/api/v1/offices/{office}/services/{service}/days?{query}")
}

fn day_counts(body: &Value) -> Vec<(String, u64)> {
    body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["slots"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn days_counts_bookable_starts_on_every_date(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let body = app
        .get(&days_path(MADRID, HUELLAS, "from=2027-03-01&to=2027-03-07"))
        .await
        .ok(200);
    assert_eq!(body["office_id"], MADRID);
    assert_eq!(body["service_id"], HUELLAS);
    assert_eq!(body["timezone"], "Europe/Madrid");
    // Mon-Fri 09:00-14:00 every 15 minutes (20 starts), plus 16:00-18:30 on Tuesday and
    // Thursday (10 more); the weekend is closed.
    let expected: Vec<(String, u64)> = [
        ("2027-03-01", 20),
        ("2027-03-02", 30),
        ("2027-03-03", 20),
        ("2027-03-04", 30),
        ("2027-03-05", 20),
        ("2027-03-06", 0),
        ("2027-03-07", 0),
    ]
    .into_iter()
    .map(|(d, n)| (d.to_owned(), n))
    .collect();
    assert_eq!(day_counts(&body), expected);

    // Good Friday (national holiday from the .ics) and Madrid's closed date.
    let body = app
        .get(&days_path(MADRID, HUELLAS, "from=2027-03-25&to=2027-03-26"))
        .await
        .ok(200);
    assert_eq!(
        day_counts(&body),
        [("2027-03-25".to_owned(), 30), ("2027-03-26".to_owned(), 0)]
    );
    let body = app
        .get(&days_path(MADRID, HUELLAS, "from=2027-04-12&to=2027-04-12"))
        .await
        .ok(200);
    assert_eq!(day_counts(&body), [("2027-04-12".to_owned(), 0)]);

    // The longest range allowed: 62 dates, every one listed.
    let body = app
        .get(&days_path(
            LAS_PALMAS,
            RENOVACION,
            "from=2027-03-01&to=2027-05-01",
        ))
        .await
        .ok(200);
    let days = day_counts(&body);
    assert_eq!(days.len(), 62);
    assert_eq!(days[0].0, "2027-03-01");
    assert_eq!(days[61].0, "2027-05-01");
}

async fn days_refuses_bad_ranges_and_unknown_things(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // 63 dates.
    let body = app
        .get(&days_path(MADRID, HUELLAS, "from=2027-03-01&to=2027-05-02"))
        .await
        .problem(422, "validation_failed");
    assert!(body["detail"].as_str().unwrap().contains("62"), "{body}");
    app.get(&days_path(MADRID, HUELLAS, "from=2027-03-10&to=2027-03-09"))
        .await
        .problem(422, "validation_failed");
    // Malformed or missing query parameters.
    for query in [
        "from=2027-02-30&to=2027-03-09",
        "from=01/03/2027&to=2027-03-09",
        "from=2027-03-01",
        "",
        "from=2027-03-01&to=2027-03-02&extra=1",
    ] {
        app.get(&days_path(MADRID, HUELLAS, query))
            .await
            .problem(400, "validation_failed");
    }
    app.get("/api/v1/offices/madrid-extranjeria/services/huellas-tie/slots?date=tomorrow")
        .await
        .problem(400, "validation_failed");
    // Unknown office, unknown service, and a service another office offers.
    for (office, service) in [
        ("nowhere", HUELLAS),
        (MADRID, "nothing"),
        (MADRID, RENOVACION),
    ] {
        app.get(&days_path(office, service, "from=2027-03-01&to=2027-03-02"))
            .await
            .problem(404, "not_found");
        app.get(&format!(
            "/api/v1/offices/{office}/services/{service}/slots?date=2027-03-02"
        ))
        .await
        .problem(404, "not_found");
    }
}

async fn days_and_slots_outside_the_window_are_empty(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // The past, and beyond max_advance_days (60 for huellas: the last date is 2027-04-30).
    for query in [
        "from=2027-02-01&to=2027-02-05",
        "from=2027-05-03&to=2027-05-07",
    ] {
        let body = app.get(&days_path(MADRID, HUELLAS, query)).await.ok(200);
        let days = day_counts(&body);
        assert_eq!(days.len(), 5);
        assert!(days.iter().all(|(_, n)| *n == 0), "{days:?}");
    }
    let days = day_counts(
        &app.get(&days_path(MADRID, HUELLAS, "from=2027-04-30&to=2027-05-03"))
            .await
            .ok(200),
    );
    assert!(
        days[0].1 > 0,
        "the last day of the window is open: {days:?}"
    );
    assert_eq!(days[3].1, 0, "{days:?}");
    // asilo: 30 days ahead, so not 2027-04-01.
    let body = app
        .get(&days_path(MADRID, ASILO, "from=2027-03-31&to=2027-04-01"))
        .await
        .ok(200);
    let days = day_counts(&body);
    assert!(days[0].1 > 0 && days[1].1 == 0, "{days:?}");
    for (service, date) in [
        (HUELLAS, "2027-02-26"),
        (HUELLAS, "2027-05-03"),
        (ASILO, "2027-04-01"),
    ] {
        assert!(app.slots(MADRID, service, date).await.is_empty());
    }
}

async fn slots_show_capacity_in_the_office_offset(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let body = app
        .get("/api/v1/offices/madrid-extranjeria/services/huellas-tie/slots?date=2027-03-02")
        .await
        .ok(200);
    assert_eq!(body["office_id"], MADRID);
    assert_eq!(body["service_id"], HUELLAS);
    assert_eq!(body["date"], "2027-03-02");
    assert_eq!(body["timezone"], "Europe/Madrid");
    let slots = app.slots(MADRID, HUELLAS, "2027-03-02").await;
    assert_eq!(slots.len(), 30);
    // Two desks serve huellas-tie.
    assert_eq!(
        slots[0],
        Slot {
            start: "2027-03-02T09:00:00+01:00".into(),
            end: "2027-03-02T09:15:00+01:00".into(),
            capacity: 2,
        }
    );
    assert_eq!(slots[20].start, "2027-03-02T16:00:00+01:00");
    for pair in slots.windows(2) {
        assert!(
            instant(&pair[0].start) < instant(&pair[1].start),
            "ascending"
        );
    }
    for slot in &slots {
        assert_eq!(
            instant(&slot.end) - instant(&slot.start),
            chrono::Duration::minutes(15)
        );
        assert!(slot.capacity >= 1);
    }
    // Summer time in Madrid, winter in the Canaries (UTC+0), summer there (+01:00).
    assert_eq!(
        app.slots(MADRID, HUELLAS, "2027-04-05").await[0].start,
        "2027-04-05T09:00:00+02:00"
    );
    let canary = app.slots(LAS_PALMAS, RENOVACION, "2027-03-02").await;
    assert_eq!(
        canary[0],
        Slot {
            start: "2027-03-02T08:00:00+00:00".into(),
            end: "2027-03-02T08:10:00+00:00".into(),
            capacity: 1,
        }
    );
    assert_eq!(canary.len(), 42);
    assert_eq!(
        app.slots(LAS_PALMAS, RENOVACION, "2027-04-05").await[0].start,
        "2027-04-05T08:00:00+01:00"
    );
    // Minimum notice: it is 08:00 in Madrid and asilo needs 120 minutes.
    assert_eq!(
        app.slots(MADRID, ASILO, "2027-03-01").await[0].start,
        "2027-03-01T10:00:00+01:00"
    );
}

async fn slots_of_closed_days_are_empty(db: Db) {
    let Some(app) = spawn(db).await else { return };
    for date in ["2027-03-07", "2027-03-26", "2027-04-12"] {
        let body = app
            .get(&format!(
                "/api/v1/offices/{MADRID}/services/{HUELLAS}/slots?date={date}"
            ))
            .await
            .ok(200);
        assert_eq!(body["slots"], serde_json::json!([]), "{date}");
    }
}

async fn a_full_start_disappears_from_slots(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let start = "2027-03-03T09:15:00+01:00";
    app.book(&BookReq::new(MADRID, HUELLAS, start, &dni(1)))
        .await;
    assert_eq!(app.capacity_at(MADRID, HUELLAS, start).await, 1);
    app.book(&BookReq::new(MADRID, HUELLAS, start, &dni(2)))
        .await;
    let slots = app.slots(MADRID, HUELLAS, "2027-03-03").await;
    let starts: Vec<&str> = slots.iter().map(|s| s.start.as_str()).collect();
    assert!(!starts.contains(&start), "{starts:?}");
    assert!(starts.contains(&"2027-03-03T09:00:00+01:00"));
    assert!(starts.contains(&"2027-03-03T09:30:00+01:00"));
    assert_eq!(slots.len(), 19);
    let days = app
        .get(&days_path(MADRID, HUELLAS, "from=2027-03-03&to=2027-03-03"))
        .await
        .ok(200);
    assert_eq!(days["days"][0]["slots"], 19);
}
