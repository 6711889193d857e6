//! Notifications end to end: changes write their messages in their own transaction, a
//! worker mails them through a real SMTP server (aiosmtpd), and calendar invitations
//! update in place across book → reschedule → cancel (checked with Python's `icalendar`
//! in the server and the `icalendar` crate here). Faults: the server down then back,
//! a permanent refusal, a worker that dies holding a lease.

use chrono::Duration;
use cita::notify::NotifySettings;
use cita::notify::mail::SmtpSettings;
use icalendar::{Calendar, CalendarComponent, Component};
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::*;
use crate::mail_sink::{SmtpSink, part};

both_backends!(
    book_move_cancel_mails_one_invitation_that_updates_in_place,
    spanish_is_the_default_and_canary_times_say_so,
    reminders_are_sent_when_due_and_follow_every_change,
    no_contact_no_message_and_a_refused_change_writes_none,
    mail_waits_while_the_server_is_down_and_goes_once_when_it_is_back,
    a_refused_address_is_left_for_staff_who_can_retry_it,
    a_worker_that_dies_holding_messages_loses_them_to_another_after_the_lease,
    the_queue_is_on_metrics,
    managers_see_the_offices_unsent_messages_and_send_them_again,
);

const SLOT: &str = "2027-03-02T09:00:00+01:00";
const LATER: &str = "2027-03-03T10:00:00+01:00";
const FROM: &str = "Cita previa <citas@citas.example.es>";

/// An app that mails through `sink`, retrying after a second, three attempts at most.
pub async fn mailing_app(db: Db, sink: &SmtpSink) -> Option<TestApp> {
    let settings = NotifySettings {
        smtp: Some(SmtpSettings {
            url: sink.url(),
            from: FROM.to_owned(),
        }),
        retry_base: Duration::seconds(1),
        max_attempts: 3,
        ..NotifySettings::new(PUBLIC_URL)
    };
    spawn_notifying(db, settings).await
}

fn booking(
    office: &str,
    service: &str,
    start: &str,
    n: u32,
    email: Option<&str>,
    language: Option<&str>,
) -> Value {
    let mut citizen = json!({"name": "Ana García López", "document": dni(n)});
    if let Some(email) = email {
        citizen["email"] = json!(email);
    }
    if let Some(language) = language {
        citizen["language"] = json!(language);
    }
    json!({"office_id": office, "service_id": service, "start": start, "citizen": citizen})
}

/// Runs worker rounds until one takes nothing.
pub async fn deliver(app: &TestApp) -> cita::notify::Round {
    let notifier = app.notifier.as_ref().expect("a worker");
    let mut total = cita::notify::Round::default();
    loop {
        let round = notifier.round().await.expect("a round");
        if round.taken == 0 {
            return total;
        }
        total.taken += round.taken;
        total.sent += round.sent;
        total.retried += round.retried;
        total.dead += round.dead;
        total.dropped += round.dropped;
        total.lost += round.lost;
    }
}

/// A sink, an app mailing through it, and one booking at [`SLOT`] for document `n` with
/// the address `email`: its answer.
async fn booked_with_mail(db: Db, n: u32, email: &str) -> Option<(SmtpSink, TestApp, Value)> {
    let sink = SmtpSink::start()?;
    let app = mailing_app(db, &sink).await?;
    let booked = app
        .post_json(
            "/api/v1/appointments",
            &booking(MADRID, HUELLAS, SLOT, n, Some(email), None),
        )
        .await
        .ok(201);
    Some((sink, app, booked))
}

/// How many different `Message-ID`s the messages carry.
pub fn distinct_ids(messages: &[Value]) -> usize {
    let mut ids: Vec<&str> = messages
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

/// The one VEVENT of an `.ics` text, parsed by the `icalendar` crate, with its METHOD.
fn parse_ics(text: &str) -> (String, icalendar::Event) {
    let calendar: Calendar = text.parse().expect("the invitation parses");
    let method = calendar
        .property_value("METHOD")
        .expect("a METHOD")
        .to_owned();
    let event = calendar
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => Some(e.clone()),
            _ => None,
        })
        .expect("one VEVENT");
    (method, event)
}

async fn book_move_cancel_mails_one_invitation_that_updates_in_place(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    let booked = app
        .post_json(
            "/api/v1/appointments",
            &booking(MADRID, HUELLAS, SLOT, 5, Some("ana@example.es"), Some("en")),
        )
        .await
        .ok(201);
    let locator = booked["locator"].as_str().unwrap().to_owned();
    let token = booked["token"].as_str().unwrap().to_owned();
    let calendar_token = booked["calendar_token"].as_str().unwrap().to_owned();
    let round = deliver(&app).await;
    assert_eq!((round.sent, round.retried, round.dead), (1, 0, 0));

    let moved_path = format!("/api/v1/appointments/{locator}/reschedule");
    app.post_with_token(&moved_path, &token, &json!({"start": LATER}))
        .await
        .ok(200);
    deliver(&app).await;
    let cancelled = app
        .post_with_token(
            &format!("/api/v1/appointments/{locator}/cancel"),
            &token,
            &json!({}),
        )
        .await
        .ok(200);
    deliver(&app).await;
    // Nothing is sent twice: another round finds nothing.
    assert_eq!(deliver(&app).await.taken, 0);

    let messages = sink.messages();
    assert_eq!(messages.len(), 3, "one message per change: {messages:#?}");
    let uid = format!("{locator}@citas.example.es");
    let expected = [
        (
            "Appointment confirmed",
            "REQUEST",
            0,
            "CONFIRMED",
            "2027-03-02T08:00:00+00:00",
        ),
        (
            "Appointment changed",
            "REQUEST",
            1,
            "CONFIRMED",
            "2027-03-03T09:00:00+00:00",
        ),
        (
            "Appointment cancelled",
            "CANCEL",
            2,
            "CANCELLED",
            "2027-03-03T09:00:00+00:00",
        ),
    ];
    for (message, (subject, method, sequence, status, start)) in messages.iter().zip(expected) {
        assert!(
            message["subject"].as_str().unwrap().starts_with(subject),
            "{}",
            message["subject"]
        );
        assert_eq!(message["rcpt_tos"], json!(["ana@example.es"]));
        assert_eq!(message["mail_from"], "citas@citas.example.es");
        // Both the text/calendar alternative and the attached file, parsed by Python's
        // icalendar in the server.
        let calendars = message["calendars"].as_array().unwrap();
        assert_eq!(calendars.len(), 2, "{message}");
        for calendar in calendars {
            assert_eq!(calendar["method"], method);
            assert_eq!(calendar["mime_method"], method);
            let event = &calendar["events"][0];
            assert_eq!(event["uid"], uid.as_str());
            assert_eq!(event["sequence"], sequence);
            assert_eq!(event["status"], status);
            assert_eq!(event["dtstart"], start);
            assert_eq!(event["attendee"], "mailto:ana@example.es");
            assert_eq!(event["organizer"], "mailto:citas@citas.example.es");
        }
        // And by the icalendar crate here.
        let (parsed_method, event) = parse_ics(&part(message, "text/calendar"));
        assert_eq!(parsed_method, method);
        assert_eq!(event.get_uid(), Some(uid.as_str()));
        assert_eq!(event.get_sequence(), Some(sequence as u32));
        let text = part(message, "text/plain");
        let html = part(message, "text/html");
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(text.contains(&locator), "{text}");
        assert!(text.contains("Oficina de Extranjería — Madrid"), "{text}");
    }
    let confirmation = part(&messages[0], "text/plain");
    assert!(
        confirmation.contains("Tuesday 2 March 2027"),
        "{confirmation}"
    );
    assert!(confirmation.contains("09:00"), "{confirmation}");
    assert!(
        confirmation.contains(&format!("{PUBLIC_URL}/manage")),
        "{confirmation}"
    );
    let moved = part(&messages[1], "text/plain");
    assert!(
        moved.contains("Wednesday 3 March 2027") && moved.contains("10:00"),
        "{moved}"
    );
    assert!(
        moved.contains("It was: Tuesday 2 March 2027 at 09:00."),
        "{moved}"
    );
    assert!(part(&messages[2], "text/plain").contains(&format!("{PUBLIC_URL}/book")));
    // One Message-ID per (appointment, sequence, kind).
    assert_eq!(distinct_ids(&messages), 3);
    // No document number and no token in any message, raw bytes included.
    let new_calendar_token = cancelled["calendar_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for raw in sink.raw_messages() {
        for secret in [
            dni(5),
            token.clone(),
            calendar_token.clone(),
            new_calendar_token.clone(),
        ] {
            assert!(
                secret.is_empty() || !raw.contains(&secret),
                "a message carries {secret}"
            );
        }
        assert!(!raw.contains("token="), "a message carries a token link");
    }
}

async fn spanish_is_the_default_and_canary_times_say_so(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    app.post_json(
        "/api/v1/appointments",
        &booking(
            LAS_PALMAS,
            RENOVACION,
            "2027-03-02T09:00:00+00:00",
            6,
            Some("ana@example.es"),
            None,
        ),
    )
    .await
    .ok(201);
    deliver(&app).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let subject = messages[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("Cita confirmada"), "{subject}");
    let text = part(&messages[0], "text/plain");
    assert!(text.contains("martes, 2 de marzo de 2027"), "{text}");
    assert!(text.contains("09:00 (hora canaria)"), "{text}");
    assert!(text.contains("Hola, Ana García López:"), "{text}");
    assert!(part(&messages[0], "text/html").contains("<html lang=\"es\">"));
    // A language cita does not write in is refused at booking.
    app.post_json(
        "/api/v1/appointments",
        &booking(
            LAS_PALMAS,
            RENOVACION,
            "2027-03-02T10:00:00+00:00",
            7,
            None,
            Some("fr"),
        ),
    )
    .await
    .problem(422, "validation_failed");
}

async fn reminders_are_sent_when_due_and_follow_every_change(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    // Far enough ahead for both reminders (24 h and 2 h before).
    let start = "2027-03-04T09:00:00+01:00";
    let booked = app
        .post_json(
            "/api/v1/appointments",
            &booking(
                MADRID,
                HUELLAS,
                start,
                8,
                Some("ana@example.es"),
                Some("en"),
            ),
        )
        .await
        .ok(201);
    let token = booked["token"].as_str().unwrap().to_owned();
    let locator = booked["locator"].as_str().unwrap().to_owned();
    deliver(&app).await;
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!((counts.sent, counts.queued, counts.due), (1, 2, 0));
    // The day before, one hour after the 24-hour reminder's time: it goes, once.
    app.clock.advance(Duration::hours(50)); // now 2027-03-03T09:00Z
    let round = deliver(&app).await;
    assert_eq!(round.sent, 1);
    let messages = sink.messages();
    let reminder = messages.last().unwrap();
    assert!(
        reminder["subject"]
            .as_str()
            .unwrap()
            .starts_with("Reminder"),
        "{reminder}"
    );
    assert!(reminder["calendars"].as_array().unwrap().is_empty());
    // Moving it drops the 2-hour reminder of the old time and schedules the new time's.
    let new_start = "2027-03-08T10:00:00+01:00";
    app.post_with_token(
        &format!("/api/v1/appointments/{locator}/reschedule"),
        &token,
        &json!({"start": new_start}),
    )
    .await
    .ok(200);
    deliver(&app).await;
    app.clock.advance(Duration::hours(22)); // past the old 2-hour reminder's time
    assert_eq!(deliver(&app).await.sent, 0, "no reminder for the old time");
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!(counts.queued, 2, "the new time's two reminders wait");
    // Cancelling drops them: nothing more is ever sent for it.
    app.post_with_token(
        &format!("/api/v1/appointments/{locator}/cancel"),
        &token,
        &json!({}),
    )
    .await
    .ok(200);
    deliver(&app).await;
    app.clock.advance(Duration::days(10));
    assert_eq!(deliver(&app).await.taken, 0);
    let subjects: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "Appointment confirmed",
            "Reminder",
            "Appointment changed",
            "Appointment cancelled"
        ]
    );
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!((counts.queued, counts.sent, counts.dropped), (0, 4, 3));
}

async fn no_contact_no_message_and_a_refused_change_writes_none(db: Db) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    app.post_json(
        "/api/v1/appointments",
        &booking(MADRID, HUELLAS, SLOT, 9, None, None),
    )
    .await
    .ok(201);
    assert_eq!(app.state.booking.outbox_counts().await.unwrap().queued, 0);
    app.post_json(
        "/api/v1/appointments",
        &booking(MADRID, HUELLAS, SLOT, 10, Some("luis@example.es"), None),
    )
    .await
    .ok(201);
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!(counts.queued, 3, "a confirmation and two reminders");
    // A second appointment for the procedure is refused: its transaction rolls back,
    // and with it any message.
    app.post_json(
        "/api/v1/appointments",
        &booking(MADRID, HUELLAS, LATER, 10, Some("luis@example.es"), None),
    )
    .await
    .problem(409, "citizen_limit_reached");
    assert_eq!(app.state.booking.outbox_counts().await.unwrap().queued, 3);
    deliver(&app).await;
    assert_eq!(sink.messages().len(), 1);
}

async fn mail_waits_while_the_server_is_down_and_goes_once_when_it_is_back(db: Db) {
    let Some(mut sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(db, &sink).await else {
        return;
    };
    let times = ["09:00", "09:15", "09:30", "09:45", "10:00"];
    for (i, time) in times.iter().enumerate() {
        app.post_json(
            "/api/v1/appointments",
            &booking(
                MADRID,
                HUELLAS,
                &format!("2027-03-02T{time}:00+01:00"),
                20 + i as u32,
                Some("ana@example.es"),
                None,
            ),
        )
        .await
        .ok(201);
    }
    sink.stop();
    let round = deliver(&app).await;
    assert_eq!((round.sent, round.retried, round.dead), (0, 5, 0));
    // Still down at the second attempt.
    app.clock.advance(Duration::seconds(2));
    let round = deliver(&app).await;
    assert_eq!((round.sent, round.retried), (0, 5));
    sink.restart();
    app.clock.advance(Duration::seconds(5));
    let round = deliver(&app).await;
    assert_eq!((round.sent, round.retried, round.dead), (5, 0, 0));
    app.clock.advance(Duration::seconds(60));
    assert_eq!(deliver(&app).await.taken, 0);
    let messages = sink.messages();
    assert_eq!(messages.len(), 5, "each message exactly once");
    let distinct = distinct_ids(&messages);
    assert_eq!(distinct, 5);
}

async fn a_refused_address_is_left_for_staff_who_can_retry_it(db: Db) {
    let Some((_sink, app, _)) = booked_with_mail(db, 30, "reject-me@example.es").await else {
        return;
    };
    let round = deliver(&app).await;
    assert_eq!(round.dead, 1, "a 550 is permanent: no retries");
    let dead = app.state.booking.dead_notices(None).await.unwrap();
    assert_eq!(dead.len(), 1);
    let error = dead[0].last_error.clone().unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(
        !error.contains("reject-me"),
        "the server's words quote the address: {error}"
    );
    assert_eq!(
        metrics_value(&app, "cita_outbox_messages{state=\"dead\"}").await,
        1.0
    );
    // Retrying (after the address is fixed, say) queues it again from scratch.
    app.state
        .booking
        .retry_notice(dead[0].id, None)
        .await
        .unwrap();
    assert!(
        app.state
            .booking
            .retry_notice(dead[0].id, None)
            .await
            .is_err(),
        "only a dead message"
    );
    let round = deliver(&app).await;
    assert_eq!(round.taken, 1);
    let again = app.state.booking.dead_notices(None).await.unwrap();
    assert_eq!(again[0].attempts, 1);
}

async fn a_worker_that_dies_holding_messages_loses_them_to_another_after_the_lease(db: Db) {
    let Some((sink, app, _)) = booked_with_mail(db, 31, "ana@example.es").await else {
        return;
    };
    // A worker takes the message and dies before sending it.
    let dead_worker = "worker-killed-mid-batch";
    let taken = app
        .state
        .booking
        .claim_notices(dead_worker, Duration::seconds(120), 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    // Another finds nothing while the lease lasts...
    assert_eq!(deliver(&app).await.taken, 0);
    app.clock.advance(Duration::seconds(121));
    // ...and sends it once it has run out.
    assert_eq!(deliver(&app).await.sent, 1);
    // Should the first one come back to life, its outcome is not recorded.
    let late = app
        .state
        .booking
        .finish_notice(taken[0].id, dead_worker, &cita::store::NoticeOutcome::Sent)
        .await
        .unwrap();
    assert!(!late);
    assert_eq!(sink.messages().len(), 1);
}

async fn the_queue_is_on_metrics(db: Db) {
    let Some((_sink, app, _)) = booked_with_mail(db, 32, "ana@example.es").await else {
        return;
    };
    app.clock.advance(Duration::seconds(30));
    assert_eq!(
        metrics_value(&app, "cita_outbox_messages{state=\"due\"}").await,
        1.0
    );
    assert_eq!(
        metrics_value(&app, "cita_outbox_messages{state=\"queued\"}").await,
        3.0
    );
    assert_eq!(
        metrics_value(&app, "cita_outbox_oldest_due_seconds").await,
        30.0
    );
    deliver(&app).await;
    assert_eq!(
        metrics_value(&app, "cita_outbox_messages{state=\"sent\"}").await,
        1.0
    );
    assert_eq!(
        metrics_value(&app, "cita_outbox_oldest_due_seconds").await,
        0.0
    );
}

async fn metrics_value(app: &TestApp, series: &str) -> f64 {
    sample(&app.metrics().await, series)
}

/// Two workers share one PostgreSQL queue: 1,000 bookings, each confirmation counted at
/// the SMTP server exactly once, and both workers did part of the work.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_send_each_of_a_thousand_confirmations_once() {
    const BOOKINGS: usize = 1000;
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let Some(app) = mailing_app(Db::Postgres, &sink).await else {
        return;
    };
    let booking = app.state.booking.clone();
    // Free starts from the next days, as many times over as each has capacity.
    let mut starts = Vec::new();
    let mut date = chrono::NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
    while starts.len() < BOOKINGS {
        for slot in app.slots(MADRID, HUELLAS, &date.to_string()).await {
            for _ in 0..slot.capacity {
                starts.push(instant(&slot.start));
            }
        }
        date = date.succ_opt().unwrap();
    }
    starts.truncate(BOOKINGS);
    let mut bookings = tokio::task::JoinSet::new();
    for (i, start) in starts.into_iter().enumerate() {
        let booking = booking.clone();
        bookings.spawn(async move {
            let request = cita::booking::BookRequest {
                office_id: cita::domain::OfficeId::new(MADRID),
                service_id: cita::domain::ServiceId::new(HUELLAS),
                start,
                hold_id: None,
                citizen: cita::booking::CitizenInput {
                    name: "Ana García López".into(),
                    document: dni(100_000 + i as u32),
                    document_type: None,
                    email: Some(format!("ana.{i}@example.es")),
                    phone: None,
                    language: None,
                },
            };
            booking
                .book(&request, None, &cita::booking::Actor::Citizen)
                .await
                .expect("a free time books")
        });
    }
    while let Some(done) = bookings.join_next().await {
        done.expect("a booking task");
    }
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let settings = NotifySettings {
                smtp: Some(SmtpSettings {
                    url: sink.url(),
                    from: FROM.to_owned(),
                }),
                ..NotifySettings::new(PUBLIC_URL)
            };
            let notifier = cita::notify::Notifier::new(booking.clone(), settings).unwrap();
            tokio::spawn(async move {
                let mut sent = 0;
                let mut lost = 0;
                loop {
                    let round = notifier.round().await.expect("a round");
                    sent += round.sent;
                    lost += round.lost;
                    if round.taken == 0 {
                        return (sent, lost);
                    }
                }
            })
        })
        .collect();
    let mut per_worker = Vec::new();
    for worker in workers {
        per_worker.push(worker.await.unwrap());
    }
    let messages = sink.messages();
    let distinct = distinct_ids(&messages);
    eprintln!(
        "two workers: {per_worker:?} (sent, lost); the SMTP server received {} messages, {} distinct",
        messages.len(),
        distinct
    );
    assert_eq!(messages.len(), BOOKINGS, "each confirmation exactly once");
    assert_eq!(distinct, BOOKINGS);
    assert!(
        per_worker
            .iter()
            .all(|(sent, lost)| *sent > 0 && *lost == 0),
        "{per_worker:?}"
    );
    assert_eq!(per_worker.iter().map(|(s, _)| s).sum::<usize>(), BOOKINGS);
    let counts = booking.outbox_counts().await.unwrap();
    assert_eq!((counts.sent, counts.due), (BOOKINGS as i64, 0));
}

async fn managers_see_the_offices_unsent_messages_and_send_them_again(db: Db) {
    use cita::booking::Role;

    use crate::staff_pages::{sign_in, token_for};
    use crate::web::{Browser, assert_page, csrf_of};

    let Some((_sink, app, booked)) = booked_with_mail(db, 33, "reject-me@example.es").await else {
        return;
    };
    let locator = booked["locator"].as_str().unwrap();
    assert_eq!(deliver(&app).await.dead, 1);
    let id = app.state.booking.dead_notices(None).await.unwrap()[0]
        .id
        .to_string();

    let mut manager = Browser::new(&app);
    let home = sign_in(
        &mut manager,
        &token_for(&app, "marta", Role::Manager, Some(MADRID)).await,
    )
    .await;
    assert!(
        home.body.contains("/staff/messages"),
        "the menu links the page"
    );
    let page = manager
        .get("/staff/messages?office_id=madrid-extranjeria")
        .await;
    assert_page(
        &page,
        200,
        "es",
        &[
            "Mensajes no enviados",
            "Confirmación",
            "Correo",
            locator,
            "the mail server answered 550",
        ],
    );
    assert!(!page.body.contains("reject-me"), "no address on the page");
    let csrf = csrf_of(&page.body);
    // Refused: no CSRF token, another office's manager, an id that is not a number.
    let refused = manager
        .post(
            "/staff/messages/retry",
            "",
            &[("office_id", MADRID), ("id", &id)],
        )
        .await;
    assert_eq!(refused.status, 403);
    let bad = manager
        .post(
            "/staff/messages/retry",
            &csrf,
            &[("office_id", MADRID), ("id", "x'1")],
        )
        .await;
    assert_eq!(bad.status, 404);
    let mut other = Browser::new(&app);
    let other_home = sign_in(
        &mut other,
        &token_for(&app, "jordi", Role::Manager, Some(BARCELONA)).await,
    )
    .await;
    let foreign = other
        .post(
            "/staff/messages/retry",
            &csrf_of(&other_home.body),
            &[("office_id", BARCELONA), ("id", &id)],
        )
        .await;
    assert_eq!(foreign.status, 404, "another office's message");
    assert_eq!(
        other
            .get("/staff/messages?office_id=madrid-extranjeria")
            .await
            .status,
        404
    );
    let mut agent = Browser::new(&app);
    sign_in(
        &mut agent,
        &token_for(&app, "pepe", Role::Agent, Some(MADRID)).await,
    )
    .await;
    assert_eq!(agent.get("/staff/messages").await.status, 404);
    assert_eq!(app.state.booking.outbox_counts().await.unwrap().dead, 1);
    // Sent again: it leaves the list.
    let done = manager
        .post(
            "/staff/messages/retry",
            &csrf,
            &[("office_id", MADRID), ("id", &id)],
        )
        .await;
    assert_page(
        &done,
        200,
        "es",
        &[
            "El mensaje se enviará de nuevo",
            "No hay mensajes sin enviar.",
        ],
    );
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!((counts.dead, counts.due), (0, 1));
}
