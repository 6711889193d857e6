//! The `.ics` export contract (DESIGN §9), checked on the bytes and through the
//! `icalendar` crate's parser.

// Tests may unwrap and panic (clippy.toml allows it inside #[test]; this covers the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone, Utc};
use cita::ical::{EventInput, appointment_calendar, feed_calendar, feed_etag};
use icalendar::parser::{Component, read_calendar, unfold};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const LONG_SUMMARY: &str = "Autorización de residencia temporal y trabajo por cuenta ajena — \
     Oficina de Extranjería — Las Palmas de Gran Canaria (cita con documentación completa)";
const LONG_LOCATION: &str = "Calle Subida al Mayorazgo, 13, 35001 Las Palmas de Gran Canaria, \
     Las Palmas, España; planta baja, ventanilla de atención al público";

fn booked() -> EventInput<'static> {
    EventInput {
        uid: "K7F3QX9P@citas.example.es".to_owned(),
        start: at(2027, 3, 1, 8, 30),
        end: at(2027, 3, 1, 8, 45),
        sequence: 0,
        cancelled: false,
        summary: "Renovación del DNI — Oficina de Madrid",
        location: "Calle de Alcalá 1, 28014 Madrid",
        description: Some("Localizador: K7F3QX9P"),
        last_modified: at(2027, 2, 20, 10, 0),
    }
}

fn long_event() -> EventInput<'static> {
    EventInput {
        uid: "Z9Z9Z9Z9@citas.example.es".to_owned(),
        start: at(2027, 3, 29, 9, 0),
        end: at(2027, 3, 29, 9, 20),
        sequence: 2,
        cancelled: false,
        summary: LONG_SUMMARY,
        location: LONG_LOCATION,
        description: Some(
            "Localizador: Z9Z9Z9Z9\nMesa 3\nTraiga el pasaporte, el formulario EX-17 y la tasa 790-012; \
             sin ellos no podrá ser atendido. Ruta C:\\citas\\2027",
        ),
        last_modified: at(2027, 3, 2, 12, 0),
    }
}

fn dtstamp() -> DateTime<Utc> {
    at(2027, 2, 25, 6, 0)
}

/// The physical lines, checked to be CRLF-terminated, at most 75 octets and valid UTF-8
/// each (a fold inside a multibyte character would make a line invalid UTF-8).
fn physical_lines(text: &str) -> Vec<&str> {
    let body = text.strip_suffix('\n').expect("must end with a line break");
    let mut lines = Vec::new();
    for raw in body.as_bytes().split(|&b| b == b'\n') {
        let line = raw
            .strip_suffix(b"\r")
            .unwrap_or_else(|| panic!("line without CR before LF: {raw:?}"));
        assert!(!line.contains(&b'\r'), "bare CR in {line:?}");
        assert!(
            line.len() <= 75,
            "{} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(line)
        );
        lines.push(std::str::from_utf8(line).expect("each physical line is valid UTF-8"));
    }
    lines
}

fn prop<'a>(component: &'a Component<'a>, name: &str) -> &'a str {
    let found: Vec<_> = component
        .properties
        .iter()
        .filter(|p| p.name.as_str() == name)
        .collect();
    assert_eq!(found.len(), 1, "{name} must appear exactly once");
    found[0].val.as_str()
}

fn has_prop(component: &Component<'_>, name: &str) -> bool {
    component.properties.iter().any(|p| p.name.as_str() == name)
}

fn check_event(parsed: &Component<'_>, input: &EventInput<'_>, stamp: DateTime<Utc>) {
    assert_eq!(parsed.name.as_str(), "VEVENT");
    assert_eq!(prop(parsed, "UID"), input.uid);
    assert_eq!(
        prop(parsed, "DTSTAMP"),
        stamp.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        prop(parsed, "DTSTART"),
        input.start.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        prop(parsed, "DTEND"),
        input.end.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(prop(parsed, "SEQUENCE"), input.sequence.to_string());
    let status = if input.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    assert_eq!(prop(parsed, "STATUS"), status);
    assert_eq!(prop(parsed, "SUMMARY"), input.summary);
    assert_eq!(prop(parsed, "LOCATION"), input.location);
    match input.description {
        Some(d) => assert_eq!(prop(parsed, "DESCRIPTION"), d),
        None => assert!(!has_prop(parsed, "DESCRIPTION")),
    }
    assert_eq!(
        prop(parsed, "LAST-MODIFIED"),
        input.last_modified.format("%Y%m%dT%H%M%SZ").to_string()
    );
    for p in &parsed.properties {
        assert!(p.params.is_empty(), "{} has parameters", p.name.as_str());
    }
}

fn calendar_header(text: &str) -> Vec<(String, String)> {
    let unfolded = unfold(text);
    let cal = read_calendar(&unfolded).expect("parses");
    cal.properties
        .iter()
        .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
        .collect()
}

#[test]
fn appointment_has_the_rfc_5545_calendar_header() {
    let text = appointment_calendar(&booked(), dtstamp(), "Cita previa");
    let lines = physical_lines(&text);
    assert_eq!(
        &lines[..6],
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//cita//cita previa//ES",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "NAME:Cita previa",
        ]
    );
    assert_eq!(lines.last(), Some(&"END:VCALENDAR"));
    assert!(!text.contains("X-WR-CALNAME"));
}

#[test]
fn appointment_event_round_trips_through_the_parser() {
    let event = booked();
    let text = appointment_calendar(&event, dtstamp(), "Cita previa");
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    assert_eq!(cal.components.len(), 1);
    check_event(&cal.components[0], &event, dtstamp());
}

#[test]
fn times_are_utc_and_never_carry_a_tzid() {
    let text = appointment_calendar(&booked(), dtstamp(), "Cita previa");
    let lines = physical_lines(&text);
    assert!(lines.contains(&"DTSTART:20270301T083000Z"), "{text}");
    assert!(lines.contains(&"DTEND:20270301T084500Z"));
    assert!(lines.contains(&"DTSTAMP:20270225T060000Z"));
    assert!(lines.contains(&"LAST-MODIFIED:20270220T100000Z"));
    assert!(!text.contains("TZID"));
    assert!(!text.contains("VTIMEZONE"));
}

#[test]
fn instants_are_truncated_to_the_second() {
    let mut event = booked();
    event.start = at(2027, 3, 1, 8, 30) + chrono::Duration::milliseconds(999);
    let text = appointment_calendar(&event, dtstamp(), "Cita previa");
    assert!(physical_lines(&text).contains(&"DTSTART:20270301T083000Z"));
}

#[test]
fn uid_sequence_and_status_are_the_callers() {
    let mut event = booked();
    event.sequence = 1;
    event.start = at(2027, 3, 2, 11, 0);
    event.end = at(2027, 3, 2, 11, 15);
    let text = appointment_calendar(&event, dtstamp(), "Cita previa");
    let lines = physical_lines(&text);
    assert!(lines.contains(&"UID:K7F3QX9P@citas.example.es"));
    assert!(lines.contains(&"SEQUENCE:1"));
    assert!(lines.contains(&"STATUS:CONFIRMED"));
    assert!(lines.contains(&"DTSTART:20270302T110000Z"));
}

#[test]
fn cancelled_event_has_status_cancelled() {
    let mut event = booked();
    event.cancelled = true;
    event.sequence = 2;
    let text = appointment_calendar(&event, dtstamp(), "Cita previa");
    let lines = physical_lines(&text);
    assert!(lines.contains(&"STATUS:CANCELLED"));
    assert!(!lines.contains(&"STATUS:CONFIRMED"));
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    check_event(&cal.components[0], &event, dtstamp());
}

#[test]
fn long_multibyte_values_fold_within_75_octets_and_unfold_back() {
    let event = long_event();
    for text in [
        appointment_calendar(
            &event,
            dtstamp(),
            "Extranjería — Las Palmas de Gran Canaria",
        ),
        feed_calendar(
            std::slice::from_ref(&event),
            dtstamp(),
            "Extranjería — Las Palmas",
        ),
    ] {
        let lines = physical_lines(&text);
        assert!(
            lines.iter().any(|l| l.starts_with(' ')),
            "long values must be folded"
        );
        let unfolded = unfold(&text);
        let cal = read_calendar(&unfolded).expect("parses");
        check_event(&cal.components[0], &event, dtstamp());
    }
}

#[test]
fn a_fold_that_would_split_a_character_moves_before_it() {
    // "SUMMARY:" is 8 octets; 66 more ASCII octets put "í" (2 octets) at octets 75-76.
    let summary = format!("{}í — Las Palmas de Gran Canaria", "x".repeat(66));
    let mut event = booked();
    event.summary = &summary;
    let text = appointment_calendar(&event, dtstamp(), "");
    let lines = physical_lines(&text);
    let at_summary = lines
        .iter()
        .position(|l| l.starts_with("SUMMARY:"))
        .unwrap();
    assert_eq!(lines[at_summary].len(), 74);
    assert!(lines[at_summary + 1].starts_with(" í — "));
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    assert_eq!(prop(&cal.components[0], "SUMMARY"), summary);
}

#[test]
fn text_is_escaped_and_parses_back_unchanged() {
    let summary = "Cita; DNI, pasaporte\\NIE\nsegunda línea";
    let location = "Calle Mayor, 3; 1º";
    let description = "Mesa 2\r\nVentanilla 4\rFin";
    let mut event = booked();
    event.summary = summary;
    event.location = location;
    event.description = Some(description);
    let text = appointment_calendar(&event, dtstamp(), "Cita, previa; Madrid");
    let lines = physical_lines(&text);
    assert!(lines.contains(&r"SUMMARY:Cita\; DNI\, pasaporte\\NIE\nsegunda línea"));
    assert!(lines.contains(&r"LOCATION:Calle Mayor\, 3\; 1º"));
    assert!(lines.contains(&r"DESCRIPTION:Mesa 2\nVentanilla 4\nFin"));
    assert!(lines.contains(&r"NAME:Cita\, previa\; Madrid"));

    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    let parsed = &cal.components[0];
    assert_eq!(prop(parsed, "SUMMARY"), summary);
    assert_eq!(prop(parsed, "LOCATION"), location);
    // Every kind of line break comes back as a plain newline.
    assert_eq!(prop(parsed, "DESCRIPTION"), "Mesa 2\nVentanilla 4\nFin");
}

fn office_feed() -> Vec<EventInput<'static>> {
    let mut rescheduled = booked();
    rescheduled.uid = "M2M2M2M2@citas.example.es".to_owned();
    rescheduled.sequence = 1;
    rescheduled.start = at(2027, 3, 1, 9, 0);
    rescheduled.end = at(2027, 3, 1, 9, 15);
    let mut cancelled = booked();
    cancelled.uid = "C4C4C4C4@citas.example.es".to_owned();
    cancelled.sequence = 3;
    cancelled.cancelled = true;
    cancelled.start = at(2027, 3, 1, 10, 0);
    cancelled.end = at(2027, 3, 1, 10, 15);
    vec![cancelled, booked(), rescheduled]
}

#[test]
fn feed_has_name_refresh_interval_and_every_event_in_start_order() {
    let events = office_feed();
    let text = feed_calendar(&events, dtstamp(), "Oficina de Madrid — agenda");
    physical_lines(&text);
    let header = calendar_header(&text);
    let get = |name: &str| {
        header
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("VERSION"), Some("2.0"));
    assert_eq!(get("PRODID"), Some("-//cita//cita previa//ES"));
    assert_eq!(get("CALSCALE"), Some("GREGORIAN"));
    assert_eq!(get("METHOD"), Some("PUBLISH"));
    assert_eq!(get("X-WR-CALNAME"), Some("Oficina de Madrid — agenda"));
    assert_eq!(get("REFRESH-INTERVAL"), Some("PT1H"));
    assert_eq!(get("X-PUBLISHED-TTL"), Some("PT1H"));
    assert!(text.contains("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));

    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    assert_eq!(cal.components.len(), 3);
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.start);
    for (parsed, input) in cal.components.iter().zip(&expected) {
        check_event(parsed, input, dtstamp());
    }
}

#[test]
fn empty_feed_is_a_well_formed_calendar() {
    let text = feed_calendar(&[], dtstamp(), "Mesa 1");
    physical_lines(&text);
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).expect("parses");
    assert!(cal.components.is_empty());
}

#[test]
fn etag_ignores_dtstamp_and_input_order() {
    let events = office_feed();
    let one = feed_calendar(&events, dtstamp(), "Oficina");
    let later = feed_calendar(&events, at(2027, 2, 25, 7, 13), "Oficina");
    assert_ne!(one, later);
    assert_eq!(feed_etag(&one), feed_etag(&later));
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(
        feed_etag(&one),
        feed_etag(&feed_calendar(&reversed, at(2027, 2, 26, 0, 0), "Oficina"))
    );
}

#[test]
fn etag_changes_when_an_event_changes() {
    let events = office_feed();
    let base = feed_etag(&feed_calendar(&events, dtstamp(), "Oficina"));

    let mut cancelled = events.clone();
    cancelled[1].cancelled = true;
    cancelled[1].sequence += 1;
    let mut moved = events.clone();
    moved[2].start = at(2027, 3, 1, 9, 30);
    moved[2].end = at(2027, 3, 1, 9, 45);
    let mut renamed = events.clone();
    renamed[0].summary = "Renovación del pasaporte — Oficina de Madrid";
    let fewer = events[..2].to_vec();

    let mut tags = vec![base];
    for changed in [cancelled, moved, renamed, fewer] {
        tags.push(feed_etag(&feed_calendar(&changed, dtstamp(), "Oficina")));
    }
    tags.push(feed_etag(&feed_calendar(
        &events,
        dtstamp(),
        "Otra oficina",
    )));
    let distinct: std::collections::BTreeSet<_> = tags.iter().collect();
    assert_eq!(distinct.len(), tags.len(), "{tags:?}");
}
