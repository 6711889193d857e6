//! Each use case, its happy path and its refusals, on both backends.

use chrono::Duration;
use cita::booking::{Actor, BookingError};
use cita::domain::{Status, Transition};

use crate::both_backends;
use crate::common::*;
use sqlx::Row;

/// 2027-03-02 (Tuesday) 09:00 Madrid = 08:00 UTC.
fn tuesday(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    utc(2027, 3, 2, h - 1, m)
}

async fn book_then_get_lookup_and_cancel(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let booked = b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 0), "12345678z"),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    let a = &booked.appointment;
    assert_eq!(a.status, Status::Booked);
    assert_eq!(a.end - a.start, Duration::minutes(15));
    assert_eq!(a.document, "12345678Z");
    assert_eq!(a.sequence, 0);

    let got = b.get(a.locator.as_str(), &booked.token).await.unwrap();
    assert_eq!(got.id, a.id);
    // Lower case locators work; a wrong token and an unknown locator look the same.
    assert!(
        b.get(&a.locator.as_str().to_lowercase(), &booked.token)
            .await
            .is_ok()
    );
    assert!(matches!(
        b.get(a.locator.as_str(), "not-the-token").await,
        Err(BookingError::NotFound)
    ));
    assert!(matches!(
        b.get("ZZZZZZZZ", &booked.token).await,
        Err(BookingError::NotFound)
    ));
    assert!(matches!(
        b.get("bad!", &booked.token).await,
        Err(BookingError::NotFound)
    ));

    // Lookup needs the document too, in any spelling, and issues a new token.
    let found = b.lookup(a.locator.as_str(), "12.345.678-Z").await.unwrap();
    assert_ne!(found.token, booked.token);
    assert!(b.get(a.locator.as_str(), &found.token).await.is_ok());
    assert!(
        b.get(a.locator.as_str(), &booked.token).await.is_ok(),
        "earlier tokens stay valid"
    );
    assert!(matches!(
        b.lookup(a.locator.as_str(), "00000000T").await,
        Err(BookingError::NotFound)
    ));

    let cancelled = b.cancel(a.locator.as_str(), &booked.token).await.unwrap();
    let (cancelled, _calendar_token) = cancelled;
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.sequence, 1);
    assert!(matches!(
        b.cancel(a.locator.as_str(), &booked.token).await,
        Err(BookingError::InvalidTransition(_))
    ));
    // The slot is free again: the same citizen can book it.
    b.book(
        &request("madrid", "renovacion-dni", tuesday(9, 0), "12345678Z"),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
}

async fn refusals_are_typed(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let err = |r: Result<_, BookingError>| r.map(|_: cita::booking::BookOutcome| ()).unwrap_err();
    // Not on the 15-minute grid.
    let e = err(b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 7), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    // Closed (Saturday).
    let e = err(b
        .book(
            &request("madrid", "renovacion-dni", utc(2027, 3, 6, 9, 0), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    // In the past and too far ahead.
    let e = err(b
        .book(
            &request("madrid", "renovacion-dni", utc(2027, 2, 26, 9, 0), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::OutsideBookingWindow), "{e:?}");
    let e = err(b
        .book(
            &request("madrid", "renovacion-dni", utc(2027, 6, 1, 8, 0), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::OutsideBookingWindow), "{e:?}");
    // Unknown office or service.
    let e = err(b
        .book(
            &request("toledo", "renovacion-dni", tuesday(9, 0), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::NotFound), "{e:?}");
    let e = err(b
        .book(
            &request("madrid", "pasaporte", tuesday(9, 0), &dni(1)),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::NotFound), "{e:?}");
    // Bad document.
    let e = err(b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 0), "12345678A"),
            None,
            &CITIZEN,
        )
        .await);
    assert!(matches!(e, BookingError::InvalidDocument(_)), "{e:?}");
    assert_eq!(
        count_status(app.store(), "booked").await,
        0,
        "no refusal wrote anything"
    );
}

async fn capacity_and_reassignment(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let t = tuesday(10, 0);
    // Desk a serves dni+tie, desk b only dni. A dni booking may land on a; a tie booking
    // at the same time must still fit by moving the dni one to b.
    let slots = b
        .slots(&"madrid".into(), &"renovacion-dni".into(), t.date_naive())
        .await
        .unwrap();
    let at_t = slots.iter().find(|s| s.start == t).unwrap();
    assert_eq!(at_t.capacity, 2);
    b.book(
        &request("madrid", "renovacion-dni", t, &dni(10)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    b.book(
        &request("madrid", "huellas-tie", t, &dni(11)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    let e = b
        .book(
            &request("madrid", "renovacion-dni", t, &dni(12)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    assert_eq!(overlapping_pairs(app.store()).await, 0);
    assert!(misplaced_appointments(app.store()).await.is_empty());
    let slots = b
        .slots(&"madrid".into(), &"renovacion-dni".into(), t.date_naive())
        .await
        .unwrap();
    assert!(
        slots.iter().all(|s| s.start != t),
        "a full start is not listed"
    );
}

async fn per_citizen_rules(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let doc = dni(20);
    b.book(
        &request("madrid", "renovacion-dni", tuesday(9, 0), &doc),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    // Same procedure in another office: over the limit of 1.
    let e = b
        .book(
            &request("barcelona", "renovacion-dni", tuesday(12, 0), &doc),
            None,
            &CITIZEN,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::CitizenLimitReached(_)), "{e:?}");
    // Another procedure overlapping in time: refused.
    let e = b
        .book(
            &request("barcelona", "huellas-tie", tuesday(9, 0), &doc),
            None,
            &CITIZEN,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::CitizenLimitReached(_)), "{e:?}");
    // Another procedure at another time: fine.
    b.book(
        &request("barcelona", "huellas-tie", tuesday(11, 0), &doc),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
}

async fn holds_reserve_and_expire(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let t = tuesday(13, 30);
    // Two desks serve dni: two holds fill the start, a third is refused.
    let h1 = b
        .hold(&"madrid".into(), &"renovacion-dni".into(), t, &visitor())
        .await
        .unwrap();
    let _h2 = b
        .hold(&"madrid".into(), &"renovacion-dni".into(), t, &visitor())
        .await
        .unwrap();
    assert_eq!(h1.expires_at, test_now() + Duration::seconds(300));
    let e = b
        .hold(&"madrid".into(), &"renovacion-dni".into(), t, &visitor())
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    let e = b
        .book(
            &request("madrid", "renovacion-dni", t, &dni(30)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    // The holder books with the hold.
    let mut with_hold = request("madrid", "renovacion-dni", t, &dni(31));
    with_hold.hold_id = Some(h1.hold_id.clone());
    b.book(&with_hold, None, &CITIZEN).await.unwrap();
    // A hold for another time cannot be used here.
    let h3 = b
        .hold(
            &"madrid".into(),
            &"renovacion-dni".into(),
            tuesday(13, 0),
            &visitor(),
        )
        .await
        .unwrap();
    let mut wrong = request("madrid", "renovacion-dni", t, &dni(32));
    wrong.hold_id = Some(h3.hold_id);
    assert!(matches!(
        b.book(&wrong, None, &CITIZEN).await,
        Err(BookingError::Validation(_))
    ));
    // After expiry the second hold no longer counts: the slot is bookable again.
    app.clock.advance(Duration::seconds(301));
    let slots = b
        .slots(&"madrid".into(), &"renovacion-dni".into(), t.date_naive())
        .await
        .unwrap();
    assert_eq!(
        slots.iter().find(|s| s.start == t).map(|s| s.capacity),
        Some(1)
    );
    b.book(
        &request("madrid", "renovacion-dni", t, &dni(33)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    // Booking with an expired hold books the slot if it is still available.
    let late = b
        .hold(
            &"madrid".into(),
            &"renovacion-dni".into(),
            tuesday(12, 0),
            &visitor(),
        )
        .await
        .unwrap();
    app.clock.advance(Duration::seconds(600));
    let mut expired = request("madrid", "renovacion-dni", tuesday(12, 0), &dni(34));
    expired.hold_id = Some(late.hold_id);
    b.book(&expired, None, &CITIZEN).await.unwrap();
}

async fn reschedule_is_atomic(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let mine = b
        .book(
            &request("madrid", "huellas-tie", tuesday(9, 0), &dni(40)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    let loc = mine.appointment.locator.as_str();
    // Desk a is the only one for tie: fill 11:00 with someone else's tie.
    b.book(
        &request("madrid", "huellas-tie", tuesday(11, 0), &dni(41)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    let e = b
        .reschedule(loc, &mine.token, tuesday(11, 0), None, &CITIZEN)
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::SlotUnavailable), "{e:?}");
    let unchanged = b.get(loc, &mine.token).await.unwrap();
    assert_eq!(unchanged.start, tuesday(9, 0));
    assert_eq!(unchanged.sequence, 0);
    // Moving by 15 minutes into its own old time works.
    let moved = b
        .reschedule(loc, &mine.token, tuesday(9, 30), None, &CITIZEN)
        .await
        .unwrap();
    assert_eq!(moved.start, tuesday(9, 30));
    assert_eq!(moved.end, tuesday(10, 0));
    assert_eq!(moved.sequence, 1);
    // The old time is free again.
    b.book(
        &request("madrid", "huellas-tie", tuesday(9, 0), &dni(42)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    // After check-in no reschedule.
    b.staff_transition(
        loc,
        Transition::CheckIn,
        &Actor::Staff {
            user: "agent".into(),
        },
    )
    .await
    .unwrap();
    let e = b
        .reschedule(loc, &mine.token, tuesday(12, 0), None, &CITIZEN)
        .await
        .unwrap_err();
    assert!(matches!(e, BookingError::InvalidTransition(_)), "{e:?}");
    assert_eq!(overlapping_pairs(app.store()).await, 0);
}

async fn staff_status_machine(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let staff = Actor::Staff {
        user: "maria".into(),
    };
    let a = b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 0), &dni(50)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    let loc = a.appointment.locator.as_str();
    // No-show before the start is refused.
    assert!(matches!(
        b.staff_transition(loc, Transition::NoShow, &staff).await,
        Err(BookingError::Validation(_))
    ));
    assert!(matches!(
        b.staff_transition(loc, Transition::Complete, &staff).await,
        Err(BookingError::InvalidTransition(_))
    ));
    let checked = b
        .staff_transition(loc, Transition::CheckIn, &staff)
        .await
        .unwrap();
    assert_eq!(checked.status, Status::CheckedIn);
    let done = b
        .staff_transition(loc, Transition::Complete, &staff)
        .await
        .unwrap();
    assert_eq!(done.status, Status::Completed);
    assert!(matches!(
        b.staff_transition(loc, Transition::Cancel, &staff).await,
        Err(BookingError::InvalidTransition(_))
    ));
    let other = b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 15), &dni(51)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    app.clock.set(tuesday(9, 30));
    let gone = b
        .staff_transition(
            other.appointment.locator.as_str(),
            Transition::NoShow,
            &staff,
        )
        .await
        .unwrap();
    assert_eq!(gone.status, Status::NoShow);
    assert!(matches!(
        b.staff_transition("ZZZZZZZZ", Transition::CheckIn, &staff)
            .await,
        Err(BookingError::NotFound)
    ));
    // Every change is in the audit trail with its actor.
    let mut conn = app
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let actions: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, actor_kind FROM audit_log WHERE appointment_id = $1 ORDER BY id",
    )
    .bind(&a.appointment.id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        actions,
        vec![
            ("booked".to_string(), "citizen".to_string()),
            ("checked_in".to_string(), "staff".to_string()),
            ("completed".to_string(), "staff".to_string())
        ]
    );
}

async fn closures_cancel_what_they_strand(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let staff = Actor::Staff {
        user: "manager".into(),
    };
    let a = b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 0), &dni(60)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    b.book(
        &request("madrid", "huellas-tie", utc(2027, 3, 3, 9, 0), &dni(61)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    b.book(
        &request("madrid", "huellas-tie", utc(2027, 3, 4, 9, 0), &dni(62)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();
    // A second instance on the same database has read the office's closures already.
    let other = connect_booking(&app._db.url, app.clock.clone()).await;
    other
        .book(
            &request("madrid", "renovacion-dni", utc(2027, 3, 5, 9, 0), &dni(63)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    let out = b
        .close(
            &"madrid".into(),
            date(2027, 3, 2),
            date(2027, 3, 3),
            "huelga",
            true,
            &staff,
        )
        .await
        .unwrap();
    assert_eq!(out.cancelled, 2);
    // Both instances book against the new closure at once.
    for instance in [b, &other] {
        let refused = instance
            .book(
                &request("madrid", "renovacion-dni", tuesday(10, 0), &dni(64)),
                None,
                &CITIZEN,
            )
            .await;
        assert!(
            matches!(refused, Err(BookingError::SlotUnavailable)),
            "{refused:?}"
        );
    }
    let cancelled = b
        .get(a.appointment.locator.as_str(), &a.token)
        .await
        .unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.sequence, 1);
    let days = b
        .days(
            &"madrid".into(),
            &"renovacion-dni".into(),
            date(2027, 3, 1),
            date(2027, 3, 5),
        )
        .await
        .unwrap();
    let counts: Vec<u32> = days.iter().map(|d| d.slots).collect();
    assert_eq!(counts[1], 0, "closed day offers nothing");
    assert_eq!(counts[2], 0, "closed day offers nothing");
    assert!(counts[3] > 0 && counts[4] > 0);
    assert!(matches!(
        b.close(
            &"madrid".into(),
            date(2027, 3, 5),
            date(2027, 3, 4),
            "x",
            true,
            &staff
        )
        .await,
        Err(BookingError::Validation(_))
    ));
    // Without cancelling, booked appointments stay and are reported.
    let out = b
        .close(
            &"madrid".into(),
            date(2027, 3, 4),
            date(2027, 3, 4),
            "obras",
            false,
            &staff,
        )
        .await
        .unwrap();
    assert_eq!((out.cancelled, out.stranded), (0, 1));
}

async fn idempotency_keys(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let b = &app.booking;
    let req = request("madrid", "renovacion-dni", tuesday(10, 0), &dni(70));
    let first = b.book(&req, Some("key-1"), &CITIZEN).await.unwrap();
    let again = b.book(&req, Some("key-1"), &CITIZEN).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.appointment.id, first.appointment.id);
    assert_ne!(again.token, first.token, "a replay carries a fresh token");
    assert!(
        b.get(first.appointment.locator.as_str(), &again.token)
            .await
            .is_ok()
    );
    let mut other = req.clone();
    other.start = tuesday(10, 15);
    assert!(matches!(
        b.book(&other, Some("key-1"), &CITIZEN).await,
        Err(BookingError::IdempotencyKeyReused)
    ));
    assert_eq!(count_status(app.store(), "booked").await, 1);
    // Keys expire after 24 h: the same key then starts afresh (and hits the citizen limit).
    app.clock.advance(Duration::hours(25));
    let e = b.book(&req, Some("key-1"), &CITIZEN).await.unwrap_err();
    assert!(matches!(e, BookingError::CitizenLimitReached(_)), "{e:?}");
}

both_backends!(
    book_then_get_lookup_and_cancel,
    refusals_are_typed,
    capacity_and_reassignment,
    per_citizen_rules,
    holds_reserve_and_expire,
    reschedule_is_atomic,
    staff_status_machine,
    closures_cancel_what_they_strand,
    idempotency_keys,
    configuration_import_is_idempotent,
);

async fn configuration_import_is_idempotent(db: Db) {
    use cita::booking::{ConfigSource, ImportOutcome, import_config, load_stored_config};
    let Some(app) = spawn(db).await else { return };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/offices.toml");
    let source = ConfigSource::read(&path).unwrap();
    assert!(
        !source.files.is_empty(),
        "the fixture names an .ics file, stored with it"
    );
    let first = import_config(app.store(), &source, test_now())
        .await
        .unwrap();
    let ImportOutcome::Imported { version } = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        import_config(app.store(), &source, test_now())
            .await
            .unwrap(),
        ImportOutcome::Unchanged { version }
    );
    let (stored, stored_version) = load_stored_config(app.store()).await.unwrap().unwrap();
    assert_eq!(stored, source);
    assert_eq!(stored_version, version);
    assert_eq!(
        stored.parse().unwrap().offices,
        source.parse().unwrap().offices
    );
    let mut changed = source.clone();
    changed.toml.push_str("\n# edited\n");
    assert_eq!(
        import_config(app.store(), &changed, test_now())
            .await
            .unwrap(),
        ImportOutcome::Imported {
            version: version + 1
        }
    );
    // An invalid document is refused and leaves the stored one in place.
    let broken = ConfigSource::inline("[[office]]\nid = 3\n");
    assert!(
        import_config(app.store(), &broken, test_now())
            .await
            .is_err()
    );
    assert_eq!(
        load_stored_config(app.store()).await.unwrap().unwrap().0,
        changed
    );
}

/// The PostgreSQL backstop: even a write that bypasses the allocator cannot put two
/// active appointments on one desk at overlapping times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_exclusion_constraint_refuses_overlap() {
    let Some(app) = spawn(Db::Postgres).await else {
        return;
    };
    let b = &app.booking;
    let first = b
        .book(
            &request("madrid", "renovacion-dni", tuesday(9, 0), &dni(80)),
            None,
            &CITIZEN,
        )
        .await
        .unwrap();
    let mut clash = first.appointment.clone();
    clash.id = "clash".into();
    clash.locator = cita::domain::Locator::parse("CLASH000").unwrap();
    clash.start += Duration::minutes(5);
    clash.end += Duration::minutes(5);
    clash.occupied_until += Duration::minutes(5);
    let mut tx = app.store().begin_write().await.unwrap();
    tx.conn().insert_appointment(&clash).await.unwrap();
    // The constraint is deferred (so a transaction may swap desks): it fires at commit.
    let error = tx.commit().await.unwrap_err();
    assert!(
        error.is_retryable(),
        "exclusion violations are lost races to retry: {error:?}"
    );
    assert_eq!(overlapping_pairs(app.store()).await, 0);
}

/// A writer that waited for an office's lock sees everything the holder committed: here a
/// closure added by another instance while the booking waited. (Read by the locking
/// statement itself, the closure mark would come from the snapshot taken before the wait,
/// and this instance would reuse the closures it read earlier and book a closed day.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_waiters_see_what_the_holder_committed() {
    let Some(app) = spawn(Db::Postgres).await else {
        return;
    };
    let b = &app.booking;
    // This instance reads (and keeps) Madrid's closures: none yet.
    b.book(
        &request("madrid", "renovacion-dni", tuesday(9, 0), &dni(90)),
        None,
        &CITIZEN,
    )
    .await
    .unwrap();

    // Another writer holds the office's lock and closes Wednesday.
    let mut holder = app.store().begin_write().await.unwrap();
    holder.conn().lock_office(&"madrid".into()).await.unwrap();
    sqlx::query(
        "INSERT INTO office_closures (office_id, from_date, to_date, reason, created_at) \
         VALUES ('madrid', '2027-03-03', '2027-03-03', 'obras', 0)",
    )
    .execute(holder.sql().expect("an SQL transaction"))
    .await
    .unwrap();

    let waiting = {
        let b = b.clone();
        tokio::spawn(async move {
            let wednesday = tuesday(10, 0) + Duration::days(1);
            b.book(
                &request("madrid", "renovacion-dni", wednesday, &dni(91)),
                None,
                &CITIZEN,
            )
            .await
        })
    };
    // The booking is now waiting for the lock (it cannot finish before the commit).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the booking waits for the office");
    holder.commit().await.unwrap();

    let answer = waiting.await.unwrap();
    assert!(answer.is_err(), "booked a closed day: {answer:?}");
    assert_eq!(count_status(app.store(), "booked").await, 1);
}

/// The blocks of the appointments table and its indexes that `statement` read, run on
/// `conn` in a transaction that is rolled back: the backend's own counters before and
/// after (a function's statements count, catalog reads do not).
async fn appointment_blocks_read(conn: &mut sqlx::AnyConnection, statement: &str) -> i64 {
    const READ: &str = "SELECT sum(pg_stat_get_xact_blocks_fetched(c.oid))::bigint FROM pg_class c \
         WHERE c.oid = 'appointments'::regclass \
            OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'appointments'::regclass)";
    let sql = format!("BEGIN; {READ}; {statement}; {READ}");
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
    let count = |row: Option<&sqlx::any::AnyRow>| row.expect("a count").get::<i64, _>(0);
    count(rows.last()) - count(rows.first())
}

/// A booking's locking read stays on the indexes however the tables grow: its statements'
/// plans are made once per connection, and one made while the tables were nearly empty
/// must not turn into a scan of every appointment later. (A join of the windows with the
/// appointments, which this function once had, read about 900 blocks here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_booking_reads_stay_on_the_indexes_as_tables_grow() {
    let Some(app) = spawn(Db::Postgres).await else {
        return;
    };
    let mut conn = app
        .store()
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let at = |hours: i64| (test_now() + Duration::hours(hours)).timestamp();
    let begin = |document: &str, hours: i64| {
        format!(
            "SELECT cita_book_begin(ARRAY['{document}'], ARRAY['madrid'], {now}, ARRAY['madrid'], \
             ARRAY[{from}]::bigint[], ARRAY[{to}]::bigint[], ARRAY[]::text[], ARRAY[]::text[])",
            now = test_now().timestamp(),
            from = at(hours),
            to = at(hours) + 900,
        )
    };
    // Plans made on near-empty tables, as on a fresh deployment.
    for n in 0..8 {
        appointment_blocks_read(&mut conn, &begin(&dni(n), 24)).await;
    }
    // 20,000 appointments, one an hour on desk a.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO appointments (id, locator, office_id, service_id, desk_id, start_at, end_at, \
         occupied_until, status, sequence, citizen_name, document, document_type, created_at, \
         updated_at) \
         SELECT 'grown' || i, 'G' || lpad(i::text, 7, '0'), 'madrid', 'renovacion-dni', 'a', \
         {base} + i * 3600, {base} + i * 3600 + 900, {base} + i * 3600 + 900, 'booked', 0, \
         'Ciudadana', 'G' || i, 'passport', 0, 0 FROM generate_series(1, 20000) AS i",
        base = test_now().timestamp()
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    let whole_table = appointment_blocks_read(&mut conn, "SELECT count(*) FROM appointments").await;
    assert!(
        whole_table > 200,
        "reading every appointment took {whole_table} blocks"
    );
    // A citizen with an appointment, and a window in the middle of the grown history.
    let touched = appointment_blocks_read(&mut conn, &begin("G10000", 10_000)).await;
    assert!(
        touched < 100,
        "the locking read took {touched} blocks of appointments (all of them: {whole_table})"
    );
}
