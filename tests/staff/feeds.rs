//! Staff calendar feeds: token checks (all failures look the same), contents, `ETag` and
//! 304, cancelled events kept for 48 hours, desk feeds.

use axum::http::{Method, header};
use chrono::Duration;
use cita::booking::{Actor, BookOutcome};
use cita::domain::{DeskId, OfficeId, Transition};

use crate::both_backends;
use crate::common::Db;
use crate::support::*;

async fn feed_token(app: &TestApp, office: &str, desk: Option<&str>) -> String {
    app.booking()
        .issue_feed_token(&OfficeId::new(office), desk.map(DeskId::new).as_ref(), None)
        .await
        .unwrap()
}

fn office_feed(office: &str, token: &str) -> String {
    format!("/feeds/offices/{office}.ics?token={token}")
}

fn desk_feed(office: &str, desk: &str, token: &str) -> String {
    format!("/feeds/offices/{office}/desks/{desk}.ics?token={token}")
}

/// The `VEVENT` of `booked` in `body` (unfolded), if present.
fn event_of(body: &str, booked: &BookOutcome) -> Option<String> {
    let unfolded = body.replace("\r\n ", "");
    let uid = format!("UID:{}@cita.test", booked.appointment.locator);
    unfolded
        .split("BEGIN:VEVENT")
        .find(|e| e.contains(&uid))
        .map(str::to_owned)
}

async fn feed_tokens_guard_feeds(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let booked = app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    let office = feed_token(&app, "madrid", None).await;
    let desk_a = feed_token(&app, "madrid", Some("a")).await;
    let barcelona = feed_token(&app, "barcelona", None).await;
    let revoked = feed_token(&app, "madrid", None).await;
    assert!(app.booking().revoke_feed_token(&revoked).await.unwrap());

    let answer = app.get(&office_feed("madrid", &office), None).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(
        answer.header(header::CACHE_CONTROL),
        Some("private, max-age=300")
    );
    let body = answer.text();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    let event = event_of(&body, &booked).expect("the appointment is in the feed");
    assert!(event.contains("STATUS:CONFIRMED"), "{event}");
    assert!(
        event.contains("SUMMARY:Renovación del DNI — Ciudadana 1"),
        "{event}"
    );
    assert!(
        event.contains(&format!("Locator {}", booked.appointment.locator)),
        "{event}"
    );
    assert!(
        event.contains(&format!("desk {}", booked.appointment.desk_id)),
        "{event}"
    );
    assert!(event.contains("DTSTART:20270302T080000Z"), "{event}");
    assert!(body.contains("X-WR-CALNAME:Oficina de Madrid"), "{body}");

    // An office token opens its desks' feeds too.
    assert_eq!(
        app.get(&desk_feed("madrid", "a", &office), None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&desk_feed("madrid", "a", &desk_a), None)
            .await
            .status,
        200
    );
    // Every failure is the same 404.
    for uri in [
        "/feeds/offices/madrid.ics".to_owned(),
        office_feed("madrid", ""),
        office_feed("madrid", "nope"),
        office_feed("madrid", &barcelona),
        office_feed("madrid", &revoked),
        office_feed("madrid", &desk_a),
        desk_feed("madrid", "b", &desk_a),
        desk_feed("madrid", "z", &office),
        office_feed("toledo", &office),
        format!("/feeds/offices/madrid?token={office}"),
        format!("/feeds/offices/madrid.ical?token={office}"),
        format!("/feeds/offices/madrid/desks/a?token={office}"),
    ] {
        let answer = app.get(&uri, None).await;
        assert_eq!(answer.status, 404, "{uri}: {}", answer.text());
    }
    assert_eq!(
        app.get(&office_feed("barcelona", &barcelona), None)
            .await
            .status,
        200
    );
}

async fn etags_answer_if_none_match(db: Db) {
    let Some(app) = spawn(db).await else { return };
    app.book("madrid", DNI, madrid(3, 2, 9, 0), 1).await;
    let token = feed_token(&app, "madrid", None).await;
    let uri = office_feed("madrid", &token);
    let first = app.get(&uri, None).await;
    let etag = first.header(header::ETAG).unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // Later (another DTSTAMP) the content and so the tag are the same.
    app.clock.advance(Duration::minutes(10));
    let again = app.get(&uri, None).await;
    assert_eq!(again.header(header::ETAG), Some(etag.as_str()));
    assert_ne!(again.body, first.body, "DTSTAMP moved");

    let other = format!("\"x\", W/{etag}");
    for value in [etag.as_str(), "*", other.as_str()] {
        let answer = app
            .call_with(Method::GET, &uri, None, None, &[("if-none-match", value)])
            .await;
        assert_eq!(answer.status, 304, "{value}");
        assert!(answer.body.is_empty());
        assert_eq!(answer.header(header::ETAG), Some(etag.as_str()));
        assert_eq!(
            answer.header(header::CACHE_CONTROL),
            Some("private, max-age=300")
        );
    }
    let answer = app
        .call_with(
            Method::GET,
            &uri,
            None,
            None,
            &[("if-none-match", "\"stale\"")],
        )
        .await;
    assert_eq!(answer.status, 200);

    // A change makes a new tag, and the old one no longer matches.
    app.book("madrid", DNI, madrid(3, 2, 9, 15), 2).await;
    let answer = app
        .call_with(Method::GET, &uri, None, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(answer.status, 200);
    assert_ne!(answer.header(header::ETAG), Some(etag.as_str()));
    // A wrong token never gets a 304, even with a matching tag.
    let answer = app
        .call_with(
            Method::GET,
            &office_feed("madrid", "nope"),
            None,
            None,
            &[("if-none-match", "*")],
        )
        .await;
    assert_eq!(answer.status, 404);
}

async fn cancelled_events_stay_for_48_hours(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let token = feed_token(&app, "madrid", None).await;
    let uri = office_feed("madrid", &token);
    let cancelled = app.book("madrid", DNI, madrid(3, 4, 9, 0), 1).await;
    let kept = app.book("madrid", DNI, madrid(3, 4, 9, 15), 2).await;
    let absent = app.book("madrid", DNI, madrid(3, 1, 9, 0), 3).await;
    let before = event_of(&app.get(&uri, None).await.text(), &cancelled).unwrap();
    assert!(before.contains("SEQUENCE:0") && before.contains("STATUS:CONFIRMED"));

    app.booking()
        .cancel(cancelled.appointment.locator.as_str(), &cancelled.token)
        .await
        .unwrap();
    let body = app.get(&uri, None).await.text();
    let after = event_of(&body, &cancelled).expect("a cancelled event stays");
    assert!(after.contains("STATUS:CANCELLED"), "{after}");
    assert!(after.contains("SEQUENCE:1"), "{after}");

    // A no-show drops out at once.
    app.clock.set(madrid(3, 1, 9, 5));
    app.booking()
        .staff_change(
            &absent.appointment,
            Transition::NoShow,
            &Actor::System,
            None,
        )
        .await
        .unwrap();
    let body = app.get(&uri, None).await.text();
    assert!(event_of(&body, &absent).is_none(), "{body}");
    assert!(event_of(&body, &cancelled).is_some());

    // 47 hours after the cancellation it is still there; after 48 it is gone.
    app.clock.set(test_now_plus(Duration::hours(47)));
    assert!(event_of(&app.get(&uri, None).await.text(), &cancelled).is_some());
    app.clock
        .set(test_now_plus(Duration::hours(48) + Duration::seconds(1)));
    let body = app.get(&uri, None).await.text();
    assert!(event_of(&body, &cancelled).is_none(), "{body}");
    assert!(event_of(&body, &kept).is_some());

    // Events stay for 7 days after their start, then drop out too.
    app.clock.set(madrid(3, 11, 9, 14));
    assert!(event_of(&app.get(&uri, None).await.text(), &kept).is_some());
    app.clock.set(madrid(3, 11, 9, 16));
    assert!(event_of(&app.get(&uri, None).await.text(), &kept).is_none());
}

/// The cancellation in [`cancelled_events_stay_for_48_hours`] happens at `test_now()`.
fn test_now_plus(by: Duration) -> chrono::DateTime<chrono::Utc> {
    crate::common::test_now() + by
}

async fn desk_feeds_list_only_their_desk(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // The TIE can only go to a; the dni at the same time then goes to b.
    let tie = app.book("madrid", TIE, madrid(3, 2, 9, 0), 1).await;
    let dni_b = app.book("madrid", DNI, madrid(3, 2, 9, 0), 2).await;
    assert_eq!(tie.appointment.desk_id.as_str(), "a");
    assert_eq!(dni_b.appointment.desk_id.as_str(), "b");
    let token = feed_token(&app, "madrid", None).await;
    let a = app
        .get(&desk_feed("madrid", "a", &token), None)
        .await
        .text();
    let b = app
        .get(&desk_feed("madrid", "b", &token), None)
        .await
        .text();
    assert!(
        event_of(&a, &tie).is_some() && event_of(&a, &dni_b).is_none(),
        "{a}"
    );
    assert!(
        event_of(&b, &dni_b).is_some() && event_of(&b, &tie).is_none(),
        "{b}"
    );
    assert!(a.contains("X-WR-CALNAME:Oficina de Madrid — a"), "{a}");
    let office = app.get(&office_feed("madrid", &token), None).await.text();
    assert!(event_of(&office, &tie).is_some() && event_of(&office, &dni_b).is_some());
}

both_backends!(
    feed_tokens_guard_feeds,
    etags_answer_if_none_match,
    cancelled_events_stay_for_48_hours,
    desk_feeds_list_only_their_desk,
);
