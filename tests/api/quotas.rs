//! Channel quotas (`staff_share_percent`, `staff_share_until_hours`): part of each day is
//! kept for staff booking for people by phone or at the counter. The public sees and
//! takes only its own part (holds included); staff see and take everything; what staff
//! have not used opens to everyone at the lead time. On both databases.

use chrono::Duration;
use serde_json::json;

use crate::both_backends;
use crate::common::*;
use crate::staff_pages::{sign_in, token_for};
use crate::web::{Browser, assert_page};
use cita::booking::Role;

both_backends!(
    the_public_takes_only_its_part_of_the_day,
    what_staff_leave_opens_to_all_at_the_lead_time,
);

/// Las Palmas' DNI renewals (one desk, 08:00–15:00, ten minutes: 42 a day) with 90 % of
/// each day kept for staff: the public may take 4.
fn with_share() -> String {
    let demo = include_str!("../../demo/offices.toml");
    let line = format!("  id = \"{RENOVACION}\"\n");
    assert!(demo.contains(&line));
    demo.replacen(&line, &format!("{line}  staff_share_percent = 90\n"), 1)
}

async fn install(app: &TestApp) -> String {
    let auth = app.admin_auth("quota-admin").await;
    let answer = app.put_config(&auth, &with_share()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    auth
}

/// Thursday, three days after the tests' "now" (Monday 07:00 in Las Palmas): beyond the
/// 48-hour lead time.
const DAY: &str = "2027-03-04";
const NEXT_DAY: &str = "2027-03-05";

async fn starts(app: &TestApp, date: &str) -> Vec<String> {
    app.slots(LAS_PALMAS, RENOVACION, date)
        .await
        .into_iter()
        .map(|s| s.start)
        .collect()
}

async fn day_count(app: &TestApp, date: &str) -> u64 {
    let days = app
        .get(&format!(
            "/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/days?from={date}&to={date}"
        ))
        .await
        .ok(200);
    days["days"][0]["slots"].as_u64().unwrap()
}

async fn staff_book(app: &TestApp, auth: &str, start: &str, document: &str) -> Answer {
    app.post_json_with(
        &format!("/api/v1/staff/offices/{LAS_PALMAS}/appointments"),
        &BookReq::new(LAS_PALMAS, RENOVACION, start, document).json(),
        &[("authorization", auth)],
    )
    .await
}

async fn the_public_takes_only_its_part_of_the_day(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = install(&app).await;
    let free = starts(&app, DAY).await;
    assert_eq!(
        free.len(),
        42,
        "the whole day is on offer while the public part lasts"
    );
    assert_eq!(day_count(&app, DAY).await, 42);
    // Staff bookings do not count against the public's part.
    staff_book(&app, &auth, &free[41], &dni(70)).await.ok(201);
    // Three bookings and a hold take the public's four places.
    let mut booked = Vec::new();
    for (n, start) in free[..3].iter().enumerate() {
        booked.push(
            app.book(&BookReq::new(
                LAS_PALMAS,
                RENOVACION,
                start,
                &dni(71 + n as u32),
            ))
            .await,
        );
    }
    let hold = app
        .post_json(
            "/api/v1/holds",
            &json!({"office_id": LAS_PALMAS, "service_id": RENOVACION, "start": free[3]}),
        )
        .await
        .ok(201);
    // Nothing more on offer to the public that day, the next day untouched; the week page
    // says why, in plain words.
    assert!(starts(&app, DAY).await.is_empty());
    let week = Browser::new(&app)
        .get(&format!(
            "/book/day?office_id={LAS_PALMAS}&service_id={RENOVACION}&week={DAY}"
        ))
        .await;
    assert_page(
        &week,
        200,
        "es",
        &[
            "se guarda para quien la pide por teléfono o en la oficina",
            "48 horas antes",
            "Completo",
        ],
    );
    assert_eq!(day_count(&app, DAY).await, 0);
    assert_eq!(starts(&app, NEXT_DAY).await.len(), 42);
    // Every way in is refused as taken: booking, holding, moving there.
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, &free[10], &dni(75)))
        .await
        .problem(409, "slot_unavailable");
    app.post_json(
        "/api/v1/holds",
        &json!({"office_id": LAS_PALMAS, "service_id": RENOVACION, "start": free[10]}),
    )
    .await
    .problem(409, "slot_unavailable");
    let elsewhere = starts(&app, NEXT_DAY).await;
    let mover = app
        .book(&BookReq::new(
            LAS_PALMAS,
            RENOVACION,
            &elsewhere[0],
            &dni(76),
        ))
        .await;
    app.post_with_token(
        &format!("/api/v1/appointments/{}/reschedule", mover.locator),
        &mover.token,
        &json!({"start": free[10]}),
    )
    .await
    .problem(409, "slot_unavailable");
    // The hold's own booking goes through: it was one of the four.
    let mut from_hold = BookReq::new(LAS_PALMAS, RENOVACION, &free[3], &dni(77));
    from_hold.hold_id = Some(hold["hold_id"].as_str().unwrap().to_owned());
    app.book(&from_hold).await;
    // A public appointment moves within its own day: it takes no second place.
    app.post_with_token(
        &format!("/api/v1/appointments/{}/reschedule", booked[0].locator),
        &booked[0].token,
        &json!({"start": free[11]}),
    )
    .await
    .ok(200);
    // Staff book the kept part for someone at the counter, on the page as by the API.
    let token = token_for(&app, "rosa", Role::Agent, Some(LAS_PALMAS)).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &token).await;
    let counter = browser
        .get(&format!(
            "/staff/walk-in?office_id={LAS_PALMAS}&service_id={RENOVACION}&date={DAY}"
        ))
        .await;
    assert_page(&counter, 200, "es", &["name=\"start\""]);
    assert!(
        counter.body.contains(&format!("value=\"{}\"", free[12])),
        "staff see the kept times"
    );
    staff_book(&app, &auth, &free[12], &dni(78)).await.ok(201);
    // A public cancellation gives its place back to the public.
    app.post_with_token(
        &format!("/api/v1/appointments/{}/cancel", booked[1].locator),
        &booked[1].token,
        &json!({}),
    )
    .await
    .ok(200);
    assert!(day_count(&app, DAY).await > 0);
    app.book(&BookReq::new(LAS_PALMAS, RENOVACION, &free[20], &dni(79)))
        .await;
    assert_eq!(day_count(&app, DAY).await, 0);
}

async fn what_staff_leave_opens_to_all_at_the_lead_time(db: Db) {
    let Some(app) = spawn(db).await else { return };
    install(&app).await;
    let free = starts(&app, DAY).await;
    for (n, start) in free[..4].iter().enumerate() {
        app.book(&BookReq::new(
            LAS_PALMAS,
            RENOVACION,
            start,
            &dni(80 + n as u32),
        ))
        .await;
    }
    assert_eq!(day_count(&app, DAY).await, 0);
    // 48 hours before 08:00 on Thursday is 08:00 on Tuesday (UTC+0 in the Canaries in
    // March): one second before, still kept; at it, the first start is open to all, and
    // each later start as its own 48 hours come.
    let first_open = instant(&free[4]) - Duration::hours(48);
    let now = test_now();
    app.clock.advance(first_open - now - Duration::seconds(1));
    assert_eq!(day_count(&app, DAY).await, 0);
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, &free[4], &dni(84)))
        .await
        .problem(409, "slot_unavailable");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(starts(&app, DAY).await, vec![free[4].clone()]);
    assert_eq!(day_count(&app, DAY).await, 1);
    app.clock.advance(Duration::minutes(30));
    assert_eq!(day_count(&app, DAY).await, 4);
    app.book(&BookReq::new(LAS_PALMAS, RENOVACION, &free[5], &dni(85)))
        .await;
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, &free[30], &dni(86)))
        .await
        .problem(409, "slot_unavailable");
}
