//! cita's `.ics` output read by real calendar clients: Python `icalendar` (PyPI) and
//! Mozilla `ical.js` (npm, the parser inside Thunderbird), through `scripts/check_ics.sh`.
//!
//! Skips, with a notice, when `python3` or `node` is missing, when a client cannot be
//! installed (no network), or when `CITA_SKIP_ICS_CLIENTS=1`. With `CI=true`, a missing or
//! uninstallable client is a failure instead: CI must not pass without the check.

// Tests may unwrap and panic (clippy.toml allows it inside #[test]; this covers the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use cita::ical::{
    EventInput, InvitationParties, ItipMethod, appointment_calendar, feed_calendar,
    invitation_calendar,
};

fn at(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, d, h, mi, 0).unwrap()
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Returns false (after a notice) when the check cannot run here and that is acceptable.
fn clients_can_run() -> bool {
    if std::env::var("CITA_SKIP_ICS_CLIENTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED ical_clients: CITA_SKIP_ICS_CLIENTS=1");
        return false;
    }
    for tool in ["python3", "node"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(!on_ci(), "CI=true but `{tool}` is not available");
            eprintln!("SKIPPED ical_clients: `{tool}` not found (set CI=true to make this fail)");
            return false;
        }
    }
    true
}

/// What a client must report for one VEVENT.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    file: String,
    uid: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: String,
    sequence: String,
    summary_json: String,
}

fn expect(file: &str, e: &EventInput<'_>) -> Seen {
    Seen {
        file: file.to_owned(),
        uid: e.uid.clone(),
        start: e.start,
        end: e.end,
        status: if e.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
        .to_owned(),
        sequence: e.sequence.to_string(),
        summary_json: json_string(e.summary),
    }
}

/// JSON string literal as Python's `json.dumps(ensure_ascii=False)` and JavaScript's
/// `JSON.stringify` write it, for the characters these tests use.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn parse_line(line: &str) -> (String, Seen) {
    let mut fields = line.split('\t');
    let client = fields.next().unwrap().to_owned();
    let file = fields.next().unwrap().to_owned();
    let mut get = |key: &str| {
        let field = fields
            .next()
            .unwrap_or_else(|| panic!("no {key} in {line:?}"));
        field
            .strip_prefix(key)
            .and_then(|f| f.strip_prefix('='))
            .unwrap_or_else(|| panic!("expected {key}= in {line:?}"))
            .to_owned()
    };
    let uid = get("uid");
    let instant = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .unwrap_or_else(|e| panic!("{client}: bad instant {s:?}: {e}"))
            .to_utc()
    };
    let start = instant(get("start"));
    let end = instant(get("end"));
    let seen = Seen {
        file,
        uid,
        start,
        end,
        status: get("status"),
        sequence: get("sequence"),
        summary_json: get("summary"),
    };
    (client, seen)
}

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

#[test]
fn real_clients_read_cita_calendars() {
    if !clients_can_run() {
        return;
    }
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ical_clients");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let stamp = at(1, 6, 0);
    let booked = EventInput {
        uid: "K7F3QX9P@citas.example.es".to_owned(),
        start: at(29, 8, 30), // Monday after the switch to summer time in Madrid
        end: at(29, 8, 45),
        sequence: 0,
        cancelled: false,
        summary: "Renovación del DNI — Oficina de Madrid",
        location: "Calle de Alcalá 1, 28014 Madrid",
        description: Some("Localizador: K7F3QX9P"),
        last_modified: at(1, 5, 0),
    };
    let mut rescheduled = booked.clone();
    rescheduled.sequence = 1;
    rescheduled.start = at(30, 11, 0);
    rescheduled.end = at(30, 11, 15);
    rescheduled.last_modified = at(1, 5, 30);
    let mut cancelled = rescheduled.clone();
    cancelled.sequence = 2;
    cancelled.cancelled = true;
    cancelled.last_modified = at(1, 5, 45);

    let office = [
        EventInput {
            uid: "A1A1A1A1@citas.example.es".to_owned(),
            start: at(2, 9, 0),
            end: at(2, 9, 20),
            sequence: 0,
            cancelled: false,
            summary: "Autorización de residencia temporal y trabajo por cuenta ajena — \
                      Oficina de Extranjería — Las Palmas de Gran Canaria",
            location: "Calle Subida al Mayorazgo, 13, 35001 Las Palmas de Gran Canaria; \
                       planta baja, ventanilla de atención al público",
            description: Some("Localizador: A1A1A1A1\nMesa 3"),
            last_modified: at(1, 5, 0),
        },
        EventInput {
            uid: "B2B2B2B2@citas.example.es".to_owned(),
            start: at(2, 9, 20),
            end: at(2, 9, 40),
            sequence: 3,
            cancelled: true,
            summary: "Cita; DNI, NIE\\pasaporte\nsegunda línea",
            location: "Calle Subida al Mayorazgo, 13",
            description: None,
            last_modified: at(1, 5, 10),
        },
        EventInput {
            uid: "C3C3C3C3@citas.example.es".to_owned(),
            start: at(2, 8, 0),
            end: at(2, 8, 20),
            sequence: 1,
            cancelled: false,
            summary: "Huellas (TIE) — Extranjería — Las Palmas de Gran Canaria",
            location: "Calle Subida al Mayorazgo, 13",
            description: Some("Localizador: C3C3C3C3"),
            last_modified: at(1, 5, 20),
        },
    ];
    let desk = [office[0].clone(), office[2].clone()];

    let name = "Renovación del DNI — Oficina de Madrid";
    write(
        &dir,
        "booked.ics",
        &appointment_calendar(&booked, stamp, name),
    );
    write(
        &dir,
        "rescheduled.ics",
        &appointment_calendar(&rescheduled, stamp, name),
    );
    write(
        &dir,
        "cancelled.ics",
        &appointment_calendar(&cancelled, stamp, name),
    );
    write(
        &dir,
        "office-feed.ics",
        &feed_calendar(&office, stamp, "Extranjería — Las Palmas de Gran Canaria"),
    );
    write(
        &dir,
        "desk-feed.ics",
        &feed_calendar(&desk, stamp, "Extranjería — Mesa 3"),
    );
    write(
        &dir,
        "empty-feed.ics",
        &feed_calendar(&[], stamp, "Extranjería — Mesa 4"),
    );

    // The e-mailed invitations of the same three changes (iTIP REQUEST, REQUEST, CANCEL),
    // with an office name that needs quoting in ORGANIZER's CN parameter.
    let parties = InvitationParties {
        organizer_name: "Extranjería, \"Madrid\"; planta 1",
        organizer_email: "citas@citas.example.es",
        attendee_email: "ana.garcia+cita@example.es",
    };
    write(
        &dir,
        "invite-booked.ics",
        &invitation_calendar(&booked, stamp, ItipMethod::Request, &parties),
    );
    write(
        &dir,
        "invite-rescheduled.ics",
        &invitation_calendar(&rescheduled, stamp, ItipMethod::Request, &parties),
    );
    let mut cancelling = rescheduled.clone();
    cancelling.sequence = 2;
    write(
        &dir,
        "invite-cancelled.ics",
        &invitation_calendar(&cancelling, stamp, ItipMethod::Cancel, &parties),
    );

    let mut expected = BTreeSet::from([
        expect("booked.ics", &booked),
        expect("rescheduled.ics", &rescheduled),
        expect("cancelled.ics", &cancelled),
        expect("invite-booked.ics", &booked),
        expect("invite-rescheduled.ics", &rescheduled),
        // A CANCEL says STATUS:CANCELLED even when the event given was not marked so.
        expect("invite-cancelled.ics", &cancelled),
    ]);
    expected.extend(office.iter().map(|e| expect("office-feed.ics", e)));
    expected.extend(desk.iter().map(|e| expect("desk-feed.ics", e)));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_ics.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(&dir)
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {}
        Some(3) if !on_ci() => {
            eprintln!(
                "SKIPPED ical_clients: a client could not be installed or run \
                 (set CI=true to make this fail)\n{stderr}"
            );
            return;
        }
        other => panic!("check_ics.sh exited {other:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"),
    }

    let mut by_client: [(&str, BTreeSet<Seen>); 2] = [
        ("python-icalendar", BTreeSet::new()),
        ("ical.js", BTreeSet::new()),
    ];
    for line in stdout
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (client, seen) = parse_line(line);
        let slot = by_client
            .iter_mut()
            .find(|(c, _)| *c == client)
            .unwrap_or_else(|| panic!("unknown client in {line:?}"));
        assert!(
            slot.1.insert(seen),
            "{client} reported an event twice: {line:?}"
        );
    }
    for (client, seen) in &by_client {
        assert_eq!(
            seen, &expected,
            "{client} read something else\nstdout:\n{stdout}"
        );
    }
}
