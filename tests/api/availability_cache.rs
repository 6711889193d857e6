//! The availability answers an instance keeps (whole answers and per-day counts) are
//! never stale: after a write on one instance, the next read on another says exactly what
//! an instance that never answered before says (two instances, one database; on
//! PostgreSQL when `CITA_TEST_POSTGRES_URL` is set, as behind a load balancer).

use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;

both_backends!(
    every_write_on_one_instance_is_read_by_the_other,
    untouched_days_keep_their_counts_and_time_still_moves_them,
);

const FROM: &str = "2027-03-01";
const TO: &str = "2027-04-29";
/// A Tuesday morning in Madrid (UTC+1).
const SLOT: &str = "2027-03-02T09:00:00+01:00";
/// Three weeks later, after the change to summer time (UTC+2).
const LATER: &str = "2027-03-30T10:00:00+02:00";

fn days_path(service: &str) -> String {
    format!("/api/v1/offices/{MADRID}/services/{service}/days?from={FROM}&to={TO}")
}

async fn days(app: &TestApp, service: &str) -> Value {
    app.get(&days_path(service)).await.ok(200)["days"].clone()
}

fn slots_on(days: &Value, date: &str) -> u64 {
    days.as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} in {days}"))["slots"]
        .as_u64()
        .unwrap()
}

/// `reader`'s answers for both procedures equal a fresh instance's (one that never
/// answered, so keeps nothing), and the counts of `date` for HUELLAS are `expected`.
async fn agrees(reader: &TestApp, step: &str, date: &str, expected: u64) {
    let fresh = reader.twin().await;
    for service in [HUELLAS, ASILO] {
        assert_eq!(
            days(reader, service).await,
            days(&fresh, service).await,
            "{step}: {service} as a fresh instance says"
        );
    }
    assert_eq!(
        slots_on(&days(reader, HUELLAS).await, date),
        expected,
        "{step}: free starts on {date}"
    );
}

async fn every_write_on_one_instance_is_read_by_the_other(db: Db) {
    let Some(reader) = spawn(db).await else {
        return;
    };
    let writer = reader.twin().await;
    let before = days(&reader, HUELLAS).await;
    let tuesday = slots_on(&before, "2027-03-02");
    let later = slots_on(&before, "2027-03-30");
    // Read twice: the second answer is the kept one.
    assert_eq!(days(&reader, HUELLAS).await, before);
    days(&reader, ASILO).await;

    // Two desks serve HUELLAS: a start goes when both are taken.
    writer
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(1)))
        .await;
    agrees(&reader, "one booked", "2027-03-02", tuesday).await;
    let second = writer
        .book(&BookReq::new(MADRID, HUELLAS, SLOT, &dni(2)))
        .await;
    agrees(&reader, "both desks booked", "2027-03-02", tuesday - 1).await;

    let path = format!("/api/v1/appointments/{}/reschedule", second.locator);
    writer
        .post_with_token(&path, &second.token, &json!({"start": LATER}))
        .await
        .ok(200);
    agrees(&reader, "moved away", "2027-03-02", tuesday).await;
    let other = writer
        .book(&BookReq::new(MADRID, HUELLAS, LATER, &dni(3)))
        .await;
    agrees(&reader, "moved in", "2027-03-30", later - 1).await;

    let path = format!("/api/v1/appointments/{}/cancel", other.locator);
    writer
        .post_with_token(&path, &other.token, &json!({}))
        .await
        .ok(200);
    agrees(&reader, "cancelled", "2027-03-30", later).await;

    // A hold takes its desk on the other instance too, until it expires (5 minutes).
    let hold = json!({"office_id": MADRID, "service_id": HUELLAS, "start": SLOT});
    writer.post_json("/api/v1/holds", &hold).await.ok(201);
    agrees(&reader, "held", "2027-03-02", tuesday - 1).await;
    reader.clock.advance(Duration::minutes(5));
    agrees(&reader, "hold expired", "2027-03-02", tuesday).await;

    // A closure staff add on one instance closes the dates on the other.
    let auth = writer.admin_auth("cierre").await;
    let closure = json!({"from": "2027-03-02", "to": "2027-03-02", "reason": "Obras",
                         "cancel_appointments": true});
    writer
        .post_json_with(
            &format!("/api/v1/staff/offices/{MADRID}/closures"),
            &closure,
            &[("authorization", &auth)],
        )
        .await
        .ok(200);
    agrees(&reader, "closed", "2027-03-02", 0).await;
}

async fn untouched_days_keep_their_counts_and_time_still_moves_them(db: Db) {
    let Some(reader) = spawn(db).await else {
        return;
    };
    let writer = reader.twin().await;
    let before = days(&reader, HUELLAS).await;
    writer
        .book(&BookReq::new(MADRID, HUELLAS, LATER, &dni(4)))
        .await;
    let after = days(&reader, HUELLAS).await;
    assert_eq!(after, days(&reader.twin().await, HUELLAS).await);
    // Only the 30th's count moved (by nothing: a second desk is free), every other date
    // is as it was.
    assert_eq!(before, after);

    // At 09:00 on Monday the first's morning starts are past: the kept count of today
    // must follow the clock, not only writes.
    let today = slots_on(&after, "2027-03-01");
    assert!(today > 0, "free starts today in {after}");
    reader.clock.advance(Duration::hours(2));
    let moved = days(&reader, HUELLAS).await;
    assert!(slots_on(&moved, "2027-03-01") < today, "{moved}");
    assert_eq!(moved, days(&reader.twin().await, HUELLAS).await);

    // Past midnight, the first is gone from the window and a new date entered it.
    reader.clock.advance(Duration::hours(16));
    let next_day = days(&reader, HUELLAS).await;
    assert_eq!(slots_on(&next_day, "2027-03-01"), 0);
    assert_eq!(next_day, days(&reader.twin().await, HUELLAS).await);
}
