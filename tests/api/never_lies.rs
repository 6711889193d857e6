//! Invariant 2 over HTTP (DESIGN §4.2): if `/slots` shows capacity k for a start, exactly
//! k bookings of it succeed, one by one, and the next one is refused; after each, `/slots`
//! shows one place less (and drops the start at zero). Starts are drawn with a seeded RNG
//! from several offices, procedures and dates, so bookings of one procedure change what
//! another can still get (Madrid's desks serve different mixes).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::both_backends;
use crate::common::*;

both_backends!(availability_never_lies);

const ROUNDS: usize = 16;

async fn availability_never_lies(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let mut rng = StdRng::seed_from_u64(0x00C1_7A00);
    let procedures = [
        (MADRID, HUELLAS),
        (MADRID, ASILO),
        (BARCELONA, HUELLAS),
        (LAS_PALMAS, RENOVACION),
    ];
    // Monday (asilo's notice applies), Tuesday (afternoon hours), Wednesday, Friday.
    let dates = ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-05"];
    let mut document = 10_000;
    let mut checked = 0;
    for round in 0..ROUNDS {
        let (office, service) = procedures[rng.random_range(0..procedures.len())];
        let date = dates[rng.random_range(0..dates.len())];
        let slots = app.slots(office, service, date).await;
        if slots.is_empty() {
            continue;
        }
        let slot = slots[rng.random_range(0..slots.len())].clone();
        let context = format!("round {round}: {office} {service} {}", slot.start);
        for taken in 1..=slot.capacity {
            document += 1;
            let mut request = BookReq::new(office, service, &slot.start, &dni(document));
            if rng.random_bool(0.3) {
                // Hold first: the hold takes the place, its booking keeps it.
                let hold = app
                    .post_json(
                        "/api/v1/holds",
                        &json!({"office_id": office, "service_id": service, "start": slot.start}),
                    )
                    .await
                    .ok(201);
                assert_eq!(
                    app.capacity_at(office, service, &slot.start).await,
                    slot.capacity - taken,
                    "{context}: after hold {taken}"
                );
                request.hold_id = Some(hold["hold_id"].as_str().unwrap().to_owned());
            }
            let answer = app.try_book(&request).await;
            assert_eq!(
                answer.status.as_u16(),
                201,
                "{context}: booking {taken} of {} refused: {}",
                slot.capacity,
                answer.text()
            );
            let left = app.capacity_at(office, service, &slot.start).await;
            assert_eq!(
                left,
                slot.capacity - taken,
                "{context}: after booking {taken}"
            );
            checked += 1;
        }
        let listed = app.slots(office, service, date).await;
        assert!(
            listed.iter().all(|s| s.start != slot.start),
            "{context}: a full start is still listed"
        );
        document += 1;
        app.try_book(&BookReq::new(office, service, &slot.start, &dni(document)))
            .await
            .problem(409, "slot_unavailable");
        app.post_json(
            "/api/v1/holds",
            &json!({"office_id": office, "service_id": service, "start": slot.start}),
        )
        .await
        .problem(409, "slot_unavailable");
    }
    assert!(checked >= ROUNDS, "only {checked} bookings were checked");
}
