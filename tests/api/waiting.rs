//! A document waits before booking a procedure again after not coming to an appointment
//! of it (`no_show_cool_off_days`) or after cancelling it too often
//! (`max_cancellations` within `cancellations_window_days`): 409 `citizen_limit_reached`
//! for the citizen, while other documents book as usual and staff at the counter may
//! still book for that person; erasing the appointments' personal data does not erase
//! the wait. On both databases.

use chrono::Duration;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

/// Madrid's fingerprint procedure with a 30-day cool-off after a no-show and at most two
/// own cancellations in 30 days.
fn with_waits() -> String {
    let demo = include_str!("../../demo/offices.toml");
    let line = format!("  id = \"{HUELLAS}\"\n");
    assert!(demo.contains(&line));
    demo.replacen(
        &line,
        &format!(
            "{line}  no_show_cool_off_days = 30\n  max_cancellations = 2\n  \
             cancellations_window_days = 30\n"
        ),
        1,
    )
}

/// An administrator's `Authorization` value, after installing `with_waits`.
async fn install(app: &TestApp) -> String {
    let auth = app.admin_auth("waiting-admin").await;
    let answer = app.put_config(&auth, &with_waits()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    auth
}

async fn free_starts(app: &TestApp, date: &str) -> Vec<String> {
    app.slots(MADRID, HUELLAS, date)
        .await
        .into_iter()
        .map(|s| s.start)
        .collect()
}

async fn cancel(app: &TestApp, booked: &Booked) {
    app.post_with_token(
        &format!("/api/v1/appointments/{}/cancel", booked.locator),
        &booked.token,
        &json!({}),
    )
    .await
    .ok(200);
}

async fn cancelling_too_often_makes_the_document_wait(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = install(&app).await;
    let starts = free_starts(&app, "2027-03-02").await;
    let me = dni(51);
    // Book and cancel twice: both allowed. Erasing the cancelled appointments' personal
    // data (the citizen may, at once) does not erase that they were cancelled.
    for start in &starts[..2] {
        let booked = app.book(&BookReq::new(MADRID, HUELLAS, start, &me)).await;
        cancel(&app, &booked).await;
        let erased = app
            .post_with_token(
                &format!("/api/v1/appointments/{}/erase", booked.locator),
                &booked.token,
                &json!({}),
            )
            .await;
        assert_eq!(erased.status, 204);
    }
    // A third booking of the procedure waits for the window.
    let refused = app
        .try_book(&BookReq::new(MADRID, HUELLAS, &starts[2], &me))
        .await
        .problem(409, "citizen_limit_reached");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("waiting period"),
        "{refused}"
    );
    // Other documents are not affected, nor staff booking for this person at the counter.
    app.book(&BookReq::new(MADRID, HUELLAS, &starts[2], &dni(52)))
        .await;
    app.post_json_with(
        &format!("/api/v1/staff/offices/{MADRID}/appointments"),
        &BookReq::new(MADRID, HUELLAS, &starts[3], &me).json(),
        &[("authorization", auth.as_str())],
    )
    .await
    .ok(201);
    // Staff cancellations are not the citizen's doing: they do not count.
    let other = dni(53);
    for start in &starts[4..7] {
        let booked = app
            .book(&BookReq::new(MADRID, HUELLAS, start, &other))
            .await;
        app.post_json_with(
            &format!("/api/v1/staff/appointments/{}/cancel", booked.locator),
            &json!({}),
            &[("authorization", auth.as_str())],
        )
        .await
        .ok(200);
    }
    app.book(&BookReq::new(MADRID, HUELLAS, &starts[7], &other))
        .await;
    // Once the cancellations are 30 days old, the document may book again.
    app.clock.advance(Duration::days(30) + Duration::minutes(1));
    let later = free_starts(&app, "2027-04-01").await;
    app.book(&BookReq::new(MADRID, HUELLAS, &later[0], &me))
        .await;
}

async fn a_no_show_makes_the_document_wait_its_cool_off(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = install(&app).await;
    let me = dni(54);
    let today = free_starts(&app, "2027-03-01").await;
    let missed = app
        .book(&BookReq::new(MADRID, HUELLAS, &today[0], &me))
        .await;
    // After its start, the office records that the citizen did not come.
    app.clock.advance(Duration::hours(4));
    app.post_json_with(
        &format!("/api/v1/staff/appointments/{}/no-show", missed.locator),
        &json!({}),
        &[("authorization", auth.as_str())],
    )
    .await
    .ok(200);
    // The citizen erases the missed appointment's personal data: the wait stays.
    let erased = app
        .post_with_token(
            &format!("/api/v1/appointments/{}/erase", missed.locator),
            &missed.token,
            &json!({}),
        )
        .await;
    assert_eq!(erased.status, 204);
    let tomorrow = free_starts(&app, "2027-03-02").await;
    app.try_book(&BookReq::new(MADRID, HUELLAS, &tomorrow[0], &me))
        .await
        .problem(409, "citizen_limit_reached");
    // Another procedure is not affected.
    let asilo = app.slots(MADRID, ASILO, "2027-03-03").await;
    app.book(&BookReq::new(MADRID, ASILO, &asilo[0].start, &me))
        .await;
    // 30 days after the missed appointment's start, the wait is over.
    app.clock.advance(Duration::days(30));
    let later = free_starts(&app, "2027-04-01").await;
    app.book(&BookReq::new(MADRID, HUELLAS, &later[0], &me))
        .await;
}

both_backends!(
    cancelling_too_often_makes_the_document_wait,
    a_no_show_makes_the_document_wait_its_cool_off,
);
