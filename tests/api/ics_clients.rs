//! Appointment calendars fetched over HTTP and read by real clients (Python `icalendar`
//! and Mozilla `ical.js`, through `scripts/check_ics.sh`): a booked, a rescheduled and a
//! cancelled appointment. The instants the clients read must be the API's instants.
//!
//! Skips with a notice when `python3` or `node` is missing, a client cannot be installed,
//! or `CITA_SKIP_ICS_CLIENTS=1`; with `CI=true` a missing client is a failure instead
//! (the same rules as `tests/ical_clients.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::both_backends;
use crate::common::*;

both_backends!(real_clients_read_appointment_calendars);

/// One run of the script at a time: it may install the clients on first use.
static SCRIPT: Mutex<()> = Mutex::new(());

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// False (after a notice) when the check cannot run here and that is acceptable.
fn clients_can_run() -> bool {
    if std::env::var("CITA_SKIP_ICS_CLIENTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED api ics_clients: CITA_SKIP_ICS_CLIENTS=1");
        return false;
    }
    for tool in ["python3", "node"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(!on_ci(), "CI=true but `{tool}` is not available");
            eprintln!(
                "SKIPPED api ics_clients: `{tool}` not found (set CI=true to make this fail)"
            );
            return false;
        }
    }
    true
}

/// What the API says about one appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    uid: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: &'static str,
    sequence: String,
}

/// One VEVENT as a client printed it (`CLIENT FILE uid=.. start=.. end=.. status=.. sequence=..`).
fn parse_line(line: &str) -> (String, String, Expected) {
    let fields: Vec<&str> = line.split('\t').collect();
    let get = |key: &str| {
        fields
            .iter()
            .find_map(|f| f.strip_prefix(key).and_then(|f| f.strip_prefix('=')))
            .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
    };
    let status = match get("status") {
        "CONFIRMED" => "CONFIRMED",
        "CANCELLED" => "CANCELLED",
        other => panic!("unexpected status {other:?} in {line:?}"),
    };
    (
        fields[0].to_owned(),
        fields[1].to_owned(),
        Expected {
            uid: get("uid").to_owned(),
            start: instant(get("start")),
            end: instant(get("end")),
            status,
            sequence: get("sequence").to_owned(),
        },
    )
}

async fn real_clients_read_appointment_calendars(db: Db) {
    if !clients_can_run() {
        return;
    }
    let Some(app) = spawn(db).await else { return };
    // Booked in Madrid in winter.
    let booked = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-03-02T09:00:00+01:00",
            &dni(1),
        ))
        .await;
    // Rescheduled across the switch to summer time.
    let moved = app
        .book(&BookReq::new(
            MADRID,
            HUELLAS,
            "2027-03-02T09:15:00+01:00",
            &dni(2),
        ))
        .await;
    let rescheduled = app
        .post_with_token(
            &format!("/api/v1/appointments/{}/reschedule", moved.locator),
            &moved.token,
            &json!({"start": "2027-04-06T09:00:00+02:00"}),
        )
        .await
        .ok(200);
    assert_eq!(rescheduled["sequence"], 1);
    // Cancelled in the Canaries (UTC+0 in winter).
    let gone = app
        .book(&BookReq::new(
            LAS_PALMAS,
            RENOVACION,
            "2027-03-02T08:00:00+00:00",
            &dni(3),
        ))
        .await;
    let cancelled = app
        .post_with_token(
            &format!("/api/v1/appointments/{}/cancel", gone.locator),
            &gone.token,
            &json!({}),
        )
        .await
        .ok(200);

    let dir = tempfile::Builder::new()
        .prefix("api-ics-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mut expected = BTreeMap::new();
    // The cancellation's answer carries the calendar token that replaced the booking's.
    let cancelled_token = cancelled["calendar_token"].as_str().unwrap().to_owned();
    for (file, appointment, token) in [
        ("booked.ics", &booked.body, &booked.calendar_token),
        ("rescheduled.ics", &rescheduled, &moved.calendar_token),
        ("cancelled.ics", &cancelled, &cancelled_token),
    ] {
        let locator = appointment["locator"].as_str().unwrap();
        let answer = app
            .get(&format!(
                "/api/v1/appointments/{locator}/calendar.ics?token={token}"
            ))
            .await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text());
        assert!(answer.content_type().starts_with("text/calendar"));
        std::fs::write(dir.path().join(file), &answer.body).unwrap();
        expected.insert(
            file.to_owned(),
            Expected {
                uid: format!("{locator}@citas.example.es"),
                start: instant(appointment["start"].as_str().unwrap()),
                end: instant(appointment["end"].as_str().unwrap()),
                status: if appointment["status"] == "cancelled" {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                },
                sequence: appointment["sequence"].to_string(),
            },
        );
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_ics.sh");
    let path: PathBuf = dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let _one_at_a_time = SCRIPT.lock().unwrap_or_else(|p| p.into_inner());
        Command::new("bash").arg(&script).arg(&path).output()
    })
    .await
    .unwrap()
    .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {}
        Some(3) if !on_ci() => {
            eprintln!(
                "SKIPPED api ics_clients: a client could not be installed or run \
                 (set CI=true to make this fail)\n{stderr}"
            );
            return;
        }
        other => panic!("check_ics.sh exited {other:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"),
    }

    let mut seen: BTreeMap<String, BTreeMap<String, Expected>> = BTreeMap::new();
    for line in stdout
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (client, file, event) = parse_line(line);
        let name = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let previous = seen.entry(client).or_default().insert(name, event);
        assert!(previous.is_none(), "one VEVENT per file: {line:?}");
    }
    let clients: Vec<&String> = seen.keys().collect();
    assert_eq!(clients, ["ical.js", "python-icalendar"], "{stdout}");
    for (client, events) in &seen {
        assert_eq!(events, &expected, "{client} read something else\n{stdout}");
    }
}
