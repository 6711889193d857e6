//! The fairness report (`Booking::fairness`, `/staff/fairness`, its CSV): per release, the
//! appointments the public and staff got on its dates, how many documents each client
//! address booked for and the busiest 1 % of addresses' share, citizens' cancellations;
//! the addresses' digests go with personal data. On both databases.

use chrono::{Duration, NaiveDate};
use cita::booking::Role;
use serde_json::json;

use crate::both_backends;
use crate::common::*;
use crate::rooms::from;
use crate::staff_pages::{sign_in, token_for};
use crate::web::{Browser, assert_page};

both_backends!(a_farm_of_documents_behind_one_address_shows_in_the_report);

/// Las Palmas' DNI renewals released first come on Mondays at 07:30 (UTC in March), the
/// Monday two weeks later: the tests' clock starts at 07:00 on Monday 2027-03-01.
fn with_release() -> String {
    let demo = include_str!("../../demo/offices.toml");
    format!(
        "{demo}\n  [[office.release]]\n  service = \"{RENOVACION}\"\n  at = \"07:30\"\n  \
         days = [\"mon\"]\n  opens = \"D+14..D+14\"\n"
    )
}

fn booking(minute: u32, n: u32) -> serde_json::Value {
    let start = format!(
        "2027-03-15T{:02}:{:02}:00+00:00",
        8 + minute / 60,
        minute % 60
    );
    BookReq::new(LAS_PALMAS, RENOVACION, &start, &dni(n)).json()
}

async fn a_farm_of_documents_behind_one_address_shows_in_the_report(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("fair-admin").await;
    assert_eq!(app.put_config(&auth, &with_release()).await.status, 200);
    app.clock.advance(Duration::minutes(31)); // 07:31: released
    // Three people, each from their own address; one address books for three documents.
    let mut minute = 0;
    let mut booked = Vec::new();
    for (address, n) in [
        ("10.0.0.1", 1),
        ("10.0.0.2", 2),
        ("10.0.0.3", 3),
        ("10.0.9.9", 10),
        ("10.0.9.9", 11),
        ("10.0.9.9", 12),
    ] {
        let answer = from(
            &app,
            address,
            "POST",
            "/api/v1/appointments",
            &[],
            Some(&booking(minute, n)),
        )
        .await
        .ok(201);
        booked.push(answer);
        minute += 10;
    }
    // Staff book one for someone at the counter; a person cancels theirs.
    app.post_json_with(
        &format!("/api/v1/staff/offices/{LAS_PALMAS}/appointments"),
        &booking(minute, 20),
        &[("authorization", auth.as_str())],
    )
    .await
    .ok(201);
    app.post_with_token(
        &format!(
            "/api/v1/appointments/{}/cancel",
            booked[0]["locator"].as_str().unwrap()
        ),
        booked[0]["token"].as_str().unwrap(),
        &json!({}),
    )
    .await
    .ok(200);

    let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let office = cita::domain::OfficeId::new(LAS_PALMAS);
    let report = app.state.booking.fairness(&office, day, day).await.unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    let release = &report[0];
    assert_eq!(release.mode, "first-come");
    assert_eq!(release.entrants, None);
    let given = NaiveDate::from_ymd_opt(2027, 3, 15).unwrap();
    assert_eq!(release.dates, (given, given));
    let f = &release.figures;
    assert_eq!((f.public, f.staff, f.client_keys), (6, 1, 4), "{f:?}");
    assert_eq!(f.most_documents_per_key, 3);
    assert!(
        (f.top_share - 0.5).abs() < 1e-9,
        "the farm took 3 of 6: {f:?}"
    );
    assert_eq!(f.sold_out_after, None, "42 times, 6 taken");
    assert_eq!(release.citizen_cancellations, 1);
    // The cancelled time went back on sale after a random delay of up to 20 minutes.
    let held = release.held_back_mean_seconds.unwrap();
    assert!((1..=20 * 60).contains(&held), "{held}");
    // Outside the range, nothing; a range too long or backwards is refused.
    let later = NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
    assert!(
        app.state
            .booking
            .fairness(&office, later, later)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.state
            .booking
            .fairness(&office, later, day)
            .await
            .is_err()
    );

    // The manager's page and its CSV say the same.
    let token = token_for(&app, "marta", Role::Manager, Some(LAS_PALMAS)).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    let page = browser
        .get(&format!(
            "/staff/fairness?office_id={LAS_PALMAS}&from=2027-03-01&to=2027-03-01"
        ))
        .await;
    assert_page(
        &page,
        200,
        "es",
        &[
            "Equidad de las aperturas",
            "Por orden de llegada",
            "6 por internet, 1 en ventanilla",
            "50,0 %",
            "<svg",
        ],
    );
    let csv = browser
        .get(&format!(
            "/staff/fairness.csv?office_id={LAS_PALMAS}&from=2027-03-01&to=2027-03-01"
        ))
        .await;
    assert_eq!(csv.status, 200);
    let line = csv.body.lines().nth(1).unwrap().to_owned();
    assert!(line.starts_with(&format!("{RENOVACION},2027-03-01T07:30:00+00:00,first-come,2027-03-15,2027-03-15,,6,1,4,1.50,3,0.5000,,1,")), "{line}");
    // An agent at the counter does not see it.
    let agent = token_for(&app, "luis", Role::Agent, Some(LAS_PALMAS)).await;
    let mut counter = Browser::new(&app);
    sign_in(&mut counter, &agent).await;
    let refused = counter
        .get(&format!("/staff/fairness?office_id={LAS_PALMAS}"))
        .await;
    assert_eq!(refused.status, 404);
    let bad = browser
        .get(&format!(
            "/staff/fairness?office_id={LAS_PALMAS}&from=2027-03-02&to=2027-03-01"
        ))
        .await;
    assert_eq!(bad.status, 422);

    // The addresses' digests go with personal data (90 days after the appointments).
    app.clock.advance(Duration::days(14 + 91));
    app.state.booking.purge().await.unwrap();
    let report = app.state.booking.fairness(&office, day, day).await.unwrap();
    assert_eq!(report[0].figures.client_keys, 0);
    assert_eq!(report[0].figures.public, 6);
}
