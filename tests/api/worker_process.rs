//! A `cita worker` process killed with SIGKILL while it sends (in the middle of an SMTP
//! conversation, before the server has accepted the message) on PostgreSQL: the messages
//! it had taken are sent by another worker process once its lease runs out, each exactly
//! once at the SMTP server.

use std::time::{Duration, Instant};

use cita::clock::{Clock, SystemClock};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::common::*;
use crate::mail_sink::SmtpSink;
use crate::notifications::distinct_ids;

const MESSAGES: usize = 10;
/// The sink answers each recipient this late, so a worker spends most of its time inside
/// SMTP conversations that have not delivered anything yet.
const RCPT_DELAY_MS: u64 = 400;
const LEASE_SECONDS: &str = "5";

fn worker(database_url: &str, sink: &SmtpSink) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cita"))
        .args(["worker", "--notify-lease-seconds", LEASE_SECONDS])
        .env("DATABASE_URL", database_url)
        .env("CITA_SMTP_URL", sink.url())
        .env("CITA_MAIL_FROM", "Cita previa <citas@citas.example.es>")
        .env("CITA_PUBLIC_URL", PUBLIC_URL)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("start cita worker")
}

async fn wait_for(what: &str, patience: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < patience,
            "waited {patience:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_send_on_postgres_leaves_its_messages_to_another_once() {
    let Some(sink) = SmtpSink::start_slow(RCPT_DELAY_MS) else {
        return;
    };
    // Its bookings write e-mail messages; its own worker is never run.
    let Some(app) = crate::notifications::mailing_app(Db::Postgres, &sink).await else {
        return;
    };
    // The worker processes run on the real clock: book on it too.
    let now = SystemClock.now();
    app.clock.set(now);
    let mut date = now.date_naive() + chrono::Days::new(2);
    let mut booked = 0;
    while booked < MESSAGES {
        for slot in app.slots(MADRID, HUELLAS, &date.to_string()).await {
            if booked == MESSAGES {
                break;
            }
            let body = json!({"office_id": MADRID, "service_id": HUELLAS, "start": slot.start,
                "citizen": {"name": "Ana García López", "document": dni(300 + booked as u32),
                            "email": format!("ana.{booked}@example.es")}});
            app.post_json("/api/v1/appointments", &body).await.ok(201);
            booked += 1;
        }
        date = date.succ_opt().unwrap();
    }
    let url = app.database_url().unwrap().to_owned();
    let mut first = worker(&url, &sink);
    // Two messages through, then into the third's conversation: kill it there.
    wait_for("two messages", Duration::from_secs(60), || {
        sink.messages().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(RCPT_DELAY_MS / 2)).await;
    first.start_kill().expect("SIGKILL the worker");
    first.wait().await.expect("the killed worker");
    let at_kill = sink.messages().len();
    assert!(
        at_kill < MESSAGES,
        "the worker had finished before it was killed"
    );
    let mut second = worker(&url, &sink);
    wait_for("every message", Duration::from_secs(60), || {
        sink.messages().len() >= MESSAGES
    })
    .await;
    // Let the second worker finish recording, then make sure nothing more comes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    second.start_kill().expect("stop the second worker");
    let messages = sink.messages();
    let distinct = distinct_ids(&messages);
    eprintln!(
        "killed after {at_kill} messages; the SMTP server received {} messages, {} distinct",
        messages.len(),
        distinct
    );
    assert_eq!(messages.len(), MESSAGES, "each message exactly once");
    assert_eq!(distinct, MESSAGES);
    let counts = app.state.booking.outbox_counts().await.unwrap();
    assert_eq!(counts.sent, MESSAGES as i64);
}
