//! Scheduled releases (`[[office.release]]`): before its release instant a date offers no
//! times, `/days` says when it opens, holds and bookings there are refused; at the
//! instant (in the office's zone) it opens for everyone, even for readers whose answer
//! was computed just before; the pages say when. On both databases.

use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;

/// The demo offices plus a weekly release of Las Palmas' DNI renewals (the last office
/// in the file, so the table attaches to it): Mondays at 07:30 Canary time, opening the
/// week two weeks ahead. The test clock starts on Monday 2027-03-01 at 07:00 UTC, which
/// is 07:00 in Las Palmas, before the office opens at 08:00: the release is the first
/// thing that changes availability, so an answer computed at 07:00 must not outlive it.
fn with_release() -> String {
    let demo = include_str!("../../demo/offices.toml");
    format!(
        "{demo}\n  [[office.release]]\n  service = \"{RENOVACION}\"\n  at = \"07:30\"\n  \
         days = [\"mon\"]\n  opens = \"D+14..D+20\"\n"
    )
}

/// Replaces the configuration; the answer's status.
async fn install(app: &TestApp, auth: &str, text: &str) -> u16 {
    app.put_config(auth, text).await.status.as_u16()
}

async fn days(app: &TestApp, from: &str, to: &str) -> Vec<Value> {
    let path =
        format!("/api/v1/offices/{LAS_PALMAS}/services/{RENOVACION}/days?from={from}&to={to}");
    app.get(&path).await.ok(200)["days"]
        .as_array()
        .unwrap()
        .clone()
}

fn day<'a>(days: &'a [Value], date: &str) -> &'a Value {
    days.iter().find(|d| d["date"] == date).unwrap()
}

async fn scheduled_release_opens_its_dates_at_its_hour(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("release-admin").await;
    assert_eq!(install(&app, &auth, &with_release()).await, 200);

    let before = days(&app, "2027-03-01", "2027-03-28").await;
    // Released by earlier Mondays: bookable as before, no `opens_at`.
    let thursday = day(&before, "2027-03-11");
    assert!(thursday["slots"].as_u64().unwrap() > 0, "{thursday}");
    assert!(thursday.get("opens_at").is_none(), "{thursday}");
    // Opened by today's release, at 07:30 in Las Palmas; the week after, next Monday.
    for date in ["2027-03-15", "2027-03-19"] {
        let d = day(&before, date);
        assert_eq!(d["slots"], 0, "{d}");
        assert_eq!(d["opens_at"], "2027-03-01T07:30:00+00:00", "{d}");
    }
    let later = day(&before, "2027-03-22");
    assert_eq!(later["opens_at"], "2027-03-08T07:30:00+00:00", "{later}");
    // Nothing to hold or book there yet.
    let start = "2027-03-15T08:00:00+00:00";
    assert!(
        app.slots(LAS_PALMAS, RENOVACION, "2027-03-15")
            .await
            .is_empty()
    );
    app.post_json(
        "/api/v1/holds",
        &json!({"office_id": LAS_PALMAS, "service_id": RENOVACION, "start": start}),
    )
    .await
    .problem(422, "outside_booking_window");
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(41)))
        .await
        .problem(422, "outside_booking_window");

    // One second before the instant: still closed (an answer computed earlier may be reused until the instant, no later).
    app.clock
        .advance(Duration::minutes(30) - Duration::seconds(1));
    assert_eq!(
        day(&days(&app, "2027-03-01", "2027-03-28").await, "2027-03-15")["slots"],
        0
    );
    // At 07:30 in Las Palmas: open for everyone, although nothing was written.
    app.clock.advance(Duration::seconds(1));
    let after = days(&app, "2027-03-01", "2027-03-28").await;
    let opened = day(&after, "2027-03-15");
    assert!(opened["slots"].as_u64().unwrap() > 0, "{opened}");
    assert!(opened.get("opens_at").is_none(), "{opened}");
    assert_eq!(
        day(&after, "2027-03-22")["opens_at"],
        "2027-03-08T07:30:00+00:00"
    );
    let slots = app.slots(LAS_PALMAS, RENOVACION, "2027-03-15").await;
    assert_eq!(slots[0].start, start);
    app.book(&BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(41)))
        .await;
    assert!(
        app.slots(LAS_PALMAS, RENOVACION, "2027-03-22")
            .await
            .is_empty()
    );
}

async fn the_week_page_says_when_a_day_opens(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("release-admin").await;
    assert_eq!(install(&app, &auth, &with_release()).await, 200);
    let page = app
        .get(&format!(
            "/book/day?office_id={LAS_PALMAS}&service_id={RENOVACION}&week=2027-03-15"
        ))
        .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("Se abre el lunes 1 de marzo a las 07:30"),
        "{html}"
    );
    assert!(
        html.contains("La próxima apertura es el lunes 1 de marzo a las 07:30"),
        "{html}"
    );
    // No link to the times of a day not yet released; typed, its page says when it opens
    // instead of "no free times left".
    assert!(!html.contains("date=2027-03-15"), "{html}");
    let times = app
        .get(&format!(
            "/book/time?office_id={LAS_PALMAS}&service_id={RENOVACION}&date=2027-03-15"
        ))
        .await
        .text();
    assert!(
        times.contains("Se abre el lunes 1 de marzo a las 07:30."),
        "{times}"
    );
    assert!(!times.contains("no quedan horas libres"), "{times}");
}

async fn a_release_past_the_booking_window_is_refused(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let too_far = with_release().replace("D+14..D+20", "D+85..D+91");
    let auth = app.admin_auth("release-admin").await;
    assert_eq!(install(&app, &auth, &too_far).await, 422);
    let unknown = with_release().replace(
        &format!("service = \"{RENOVACION}\""),
        "service = \"pasaporte\"",
    );
    assert_eq!(install(&app, &auth, &unknown).await, 422);
    // Nothing changed: the demo's rolling window still opens 2027-03-15 now.
    let open = days(&app, "2027-03-15", "2027-03-15").await;
    assert!(open[0]["slots"].as_u64().unwrap() > 0);
}

async fn a_cancelled_time_returns_to_sale_only_after_a_random_delay(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let auth = app.admin_auth("release-admin").await;
    assert_eq!(install(&app, &auth, &with_release()).await, 200);
    app.clock.advance(Duration::minutes(30));
    let start = "2027-03-15T08:00:00+00:00";
    let booked = app
        .book(&BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(42)))
        .await;
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, start).await, 0);
    app.post_with_token(
        &format!("/api/v1/appointments/{}/cancel", booked.locator),
        &booked.token,
        &json!({}),
    )
    .await
    .ok(200);
    // Not back on sale at the instant of the cancellation, for anyone.
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, start).await, 0);
    app.try_book(&BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(43)))
        .await
        .problem(409, "slot_unavailable");
    // Within 20 minutes (the default for a procedure with releases) it is.
    app.clock.advance(Duration::minutes(20));
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, start).await, 1);
    app.book(&BookReq::new(LAS_PALMAS, RENOVACION, start, &dni(43)))
        .await;
    // Moving away from a time hands it over just as well: the old time is held back too.
    let moving = app
        .book(&BookReq::new(
            LAS_PALMAS,
            RENOVACION,
            "2027-03-16T08:00:00+00:00",
            &dni(45),
        ))
        .await;
    app.post_with_token(
        &format!("/api/v1/appointments/{}/reschedule", moving.locator),
        &moving.token,
        &json!({"start": "2027-03-16T09:00:00+00:00"}),
    )
    .await
    .ok(200);
    let left = "2027-03-16T08:00:00+00:00";
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, left).await, 0);
    app.clock.advance(Duration::minutes(20));
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, left).await, 1);
    // A procedure without releases gives a cancelled time back at once (as
    // `manage::cancel_frees_the_time_once` shows); `cancelled_return_minutes = 0` does
    // the same for one with releases.
    let at_once = with_release().replace(
        "  duration_minutes = 10\n",
        "  duration_minutes = 10\n  cancelled_return_minutes = 0\n",
    );
    assert_ne!(at_once, with_release());
    assert_eq!(install(&app, &auth, &at_once).await, 200);
    let other = "2027-03-15T08:10:00+00:00";
    let booked = app
        .book(&BookReq::new(LAS_PALMAS, RENOVACION, other, &dni(44)))
        .await;
    app.post_with_token(
        &format!("/api/v1/appointments/{}/cancel", booked.locator),
        &booked.token,
        &json!({}),
    )
    .await
    .ok(200);
    assert_eq!(app.capacity_at(LAS_PALMAS, RENOVACION, other).await, 1);
}

both_backends!(
    a_cancelled_time_returns_to_sale_only_after_a_random_delay,
    scheduled_release_opens_its_dates_at_its_hour,
    the_week_page_says_when_a_day_opens,
    a_release_past_the_booking_window_is_refused,
);
