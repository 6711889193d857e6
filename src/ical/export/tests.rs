use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap()
}

fn event(uid: &str) -> EventInput<'static> {
    EventInput {
        uid: uid.to_owned(),
        start: at(8, 30),
        end: at(8, 45),
        sequence: 0,
        cancelled: false,
        summary: "Renovación del DNI — Oficina de Madrid",
        location: "Calle de Alcalá 1, Madrid",
        description: None,
        last_modified: at(7, 0),
    }
}

fn folded(line: &str) -> String {
    let mut out = String::new();
    push_folded(&mut out, line);
    out
}

fn escaped(value: &str) -> String {
    let mut out = String::new();
    push_escaped_text(&mut out, value);
    out
}

#[test]
fn short_line_is_not_folded() {
    assert_eq!(folded("UID:abc@host"), "UID:abc@host\r\n");
    let exact = "X".repeat(75);
    assert_eq!(folded(&exact), format!("{exact}\r\n"));
}

#[test]
fn long_ascii_line_folds_at_75_then_74_plus_space() {
    let line = "A".repeat(75 + 74 + 10);
    let out = folded(&line);
    let parts: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(parts.len(), 4, "{out:?}");
    assert_eq!(parts[0].len(), 75);
    assert_eq!(parts[1].len(), 75);
    assert_eq!(parts[2], format!(" {}", "A".repeat(10)));
    assert_eq!(parts[3], "");
}

#[test]
fn fold_never_splits_a_multibyte_character() {
    // 74 ASCII octets then "é" (2 octets): the cut at 75 would fall inside it.
    let line = format!("{}é{}", "a".repeat(74), "b".repeat(10));
    let out = folded(&line);
    assert!(
        out.starts_with(&format!("{}\r\n é", "a".repeat(74))),
        "{out:?}"
    );
}

#[test]
fn escapes_text_specials_and_normalises_line_breaks() {
    assert_eq!(escaped(r"a\b;c,d"), r"a\\b\;c\,d");
    assert_eq!(escaped("1\n2\r\n3\r4"), r"1\n2\n3\n4");
    assert_eq!(escaped("tab\there\u{7}bell\u{0}"), "tab\therebell");
    assert_eq!(escaped("Calle: 3"), "Calle: 3");
}

#[test]
fn negative_sequence_is_written_as_zero() {
    let mut e = event("x@host");
    e.sequence = -4;
    let text = appointment_calendar(&e, at(6, 0), "Cita");
    assert!(text.contains("\r\nSEQUENCE:0\r\n"), "{text}");
}

#[test]
fn invitations_name_their_method_organizer_and_attendee() {
    let parties = InvitationParties {
        organizer_name: "Extranjería, \"Madrid\"",
        organizer_email: "citas@example.es",
        attendee_email: "ana@example.es",
    };
    let request = invitation_calendar(&event("x@host"), at(6, 0), ItipMethod::Request, &parties);
    assert!(request.split("\r\n").all(|line| line.len() <= 75));
    // Unfolded (RFC 5545 §3.1), to read whole properties.
    let request = request.replace("\r\n ", "");
    assert!(request.contains("\r\nMETHOD:REQUEST\r\n"));
    assert!(request.contains("\r\nSTATUS:CONFIRMED\r\n"));
    // The display name is quoted; a double quote cannot be escaped there, so it goes.
    assert!(
        request.contains("\r\nORGANIZER;CN=\"Extranjería, Madrid\":mailto:citas@example.es\r\n")
    );
    assert!(request.contains(
        "\r\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:ana@example.es\r\n"
    ));
    assert!(!request.contains("METHOD:PUBLISH"));
    let cancel = invitation_calendar(&event("x@host"), at(6, 0), ItipMethod::Cancel, &parties);
    assert!(cancel.contains("\r\nMETHOD:CANCEL\r\n"));
    assert!(
        cancel.contains("\r\nSTATUS:CANCELLED\r\n"),
        "a CANCEL is never a live event"
    );
    assert!(cancel.contains("\r\nUID:x@host\r\n"));
}

#[test]
fn empty_location_and_description_are_omitted() {
    let mut e = event("x@host");
    e.location = "";
    e.description = Some("");
    let text = appointment_calendar(&e, at(6, 0), "");
    assert!(!text.contains("LOCATION"));
    assert!(!text.contains("DESCRIPTION"));
    assert!(!text.contains("NAME"));
}

#[test]
fn feed_orders_events_by_start_then_uid() {
    let mut late = event("b@host");
    late.start = at(10, 0);
    late.end = at(10, 15);
    let early_b = event("b2@host");
    let early_a = event("a@host");
    let one = feed_calendar(
        &[late.clone(), early_b.clone(), early_a.clone()],
        at(6, 0),
        "F",
    );
    let two = feed_calendar(&[early_a, late, early_b], at(6, 0), "F");
    assert_eq!(one, two);
    let uids: Vec<&str> = one.lines().filter_map(|l| l.strip_prefix("UID:")).collect();
    assert_eq!(uids, ["a@host", "b2@host", "b@host"]);
}

#[test]
fn dtstamp_detection_is_exact() {
    assert!(is_dtstamp_line("DTSTAMP:20270301T060000Z\r\n"));
    assert!(is_dtstamp_line("dtstamp;X=1:20270301T060000Z\r\n"));
    assert!(!is_dtstamp_line("DTSTAMPX:1\r\n"));
    assert!(!is_dtstamp_line("DTSTART:20270301T060000Z\r\n"));
}

#[test]
fn etag_is_quoted_128_bit_hex() {
    let tag = feed_etag("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    assert_eq!(tag.len(), 34);
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    assert!(tag[1..33].chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn fnv1a_128_matches_reference_vectors() {
    // From the FNV reference test suite: "" and "a".
    let mut h = Fnv1a128::default();
    assert_eq!(h.finish(), 0x6c62272e07bb014262b821756295c58d);
    h.write(b"a");
    assert_eq!(h.finish(), 0xd228cb696f1a8caf78912b704e4a8964);
}

proptest! {
    #[test]
    fn folded_lines_fit_and_unfold_back(
        value in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just(" "), Just("é"), Just("—"), Just("€"), Just("😀"),
                Just("ñ"), Just("x"),
            ],
            0..200,
        )
    ) {
        let line = format!("SUMMARY:{}", value.concat());
        let out = folded(&line);
        prop_assert!(out.ends_with("\r\n"));
        for physical in out.trim_end_matches("\r\n").split("\r\n") {
            prop_assert!(physical.len() <= 75, "{} octets: {:?}", physical.len(), physical);
        }
        prop_assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), line);
    }
}
