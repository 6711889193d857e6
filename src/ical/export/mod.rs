//! iCalendar export: one appointment as an `.ics` file, and office or desk feeds
//! (DESIGN §9, §6 "Feeds").
//!
//! Contract:
//! - Pure: the caller passes every value, including `DTSTAMP` (no clock is read here) and
//!   each event's `UID` (`{locator}@{host}`, never invented here), so the same input
//!   always gives the same bytes.
//! - Output is RFC 5545: `VERSION:2.0`, `PRODID` (see [`PRODID`]), `CALSCALE:GREGORIAN`,
//!   `METHOD:PUBLISH`; every instant in UTC (`YYYYMMDDTHHMMSSZ`, truncated to the second),
//!   never `TZID=`; TEXT values escaped (`\\`, `\;`, `\,`, `\n`); every line ends in CRLF
//!   and is folded so that no line exceeds 75 octets, splitting only between UTF-8
//!   characters.
//! - [`feed_etag`] depends on the content only: two bodies that differ only in `DTSTAMP`
//!   get the same tag.
//!
//! Why not the `icalendar` crate's writer (we still use its parser, in tests): it writes
//! the current time as `DTSTAMP` and a random `UID` whenever one is missing, hiding a clock
//! read and invented ids; it leaves `X-WR-CALNAME`/`NAME` unescaped (an office name with a
//! comma or semicolon corrupts the line); it passes a bare carriage return in TEXT through
//! as a raw CR, breaking CRLF framing; and its `ttl` writes chrono's `PT3600S` rather than
//! `PT1H`. The subset we need is small enough to write exactly.

use chrono::{DateTime, Utc};

/// `PRODID` of every calendar cita writes (RFC 5545 §3.7.3: an FPI naming the product and
/// its language).
pub const PRODID: &str = "-//cita//cita previa//ES";

/// How often subscribed calendar apps should refetch a feed. An hour keeps reschedules and
/// cancellations visible the same morning without hammering the server.
pub const FEED_REFRESH: &str = "PT1H";

/// Longest content line in octets, excluding the CRLF (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

const UTC_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// One appointment as a `VEVENT`, filled by the caller from whatever storage it uses, so
/// this module needs no database types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInput<'a> {
    /// `{locator}@{host}`: stable across reschedules and cancellation, so calendar apps
    /// update the event instead of adding a second one.
    pub uid: String,
    /// Start instant; rendered in UTC to the second.
    pub start: DateTime<Utc>,
    /// End instant (exclusive); must be after `start`.
    pub end: DateTime<Utc>,
    /// The appointment's sequence, raised on every reschedule or cancellation so clients
    /// take the newer version. Negative values (never valid) are written as 0.
    pub sequence: i64,
    /// `STATUS:CANCELLED` when true, `STATUS:CONFIRMED` otherwise.
    pub cancelled: bool,
    /// Procedure and office, e.g. "Renovación del DNI — Oficina de Madrid".
    pub summary: &'a str,
    /// The office's address; omitted when empty.
    pub location: &'a str,
    /// Extra text (locator, desk on staff feeds); omitted when `None` or empty.
    pub description: Option<&'a str>,
    /// When the appointment last changed.
    pub last_modified: DateTime<Utc>,
}

/// One appointment as a complete calendar (`METHOD:PUBLISH`), for the citizen's
/// "add to calendar" download.
///
/// `calendar_name` is written as RFC 7986 `NAME` only, not `X-WR-CALNAME`: some clients
/// (Outlook among them) treat a file carrying `X-WR-CALNAME` as a whole calendar to add
/// beside the user's own, rather than one event to put into it.
pub fn appointment_calendar(
    event: &EventInput,
    dtstamp: DateTime<Utc>,
    calendar_name: &str,
) -> String {
    let mut w = Writer::default();
    w.calendar_header();
    if !calendar_name.is_empty() {
        w.text("NAME", calendar_name);
    }
    w.event(event, dtstamp);
    w.raw("END", "VCALENDAR");
    w.out
}

/// What an invitation asks of the calendar that receives it (iTIP, RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItipMethod {
    /// Add the event, or replace the copy with a lower `SEQUENCE` (a reschedule).
    Request,
    /// Remove the event with this `UID` (sent with `STATUS:CANCELLED`).
    Cancel,
}

/// Who sends an invitation and who receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitationParties<'a> {
    /// The office's display name (`ORGANIZER;CN=`).
    pub organizer_name: &'a str,
    /// The sender's address (`ORGANIZER:mailto:`).
    pub organizer_email: &'a str,
    /// The citizen's address: the one the message goes to (`ATTENDEE:mailto:`).
    pub attendee_email: &'a str,
}

/// One appointment as an e-mailed invitation (`METHOD:REQUEST` or `METHOD:CANCEL`):
/// calendar apps add it, move it when a `REQUEST` with a higher `SEQUENCE` comes, and
/// remove it on `CANCEL`, all by its `UID`. The citizen is the attendee, already
/// accepted (`PARTSTAT=ACCEPTED`, `RSVP=FALSE`): nobody is asked to answer.
pub fn invitation_calendar(
    event: &EventInput,
    dtstamp: DateTime<Utc>,
    method: ItipMethod,
    parties: &InvitationParties,
) -> String {
    let mut w = Writer::default();
    w.calendar_header_with(match method {
        ItipMethod::Request => "REQUEST",
        ItipMethod::Cancel => "CANCEL",
    });
    let cancelled = EventInput {
        cancelled: event.cancelled || method == ItipMethod::Cancel,
        ..event.clone()
    };
    w.event_with(&cancelled, dtstamp, Some(parties));
    w.raw("END", "VCALENDAR");
    w.out
}

/// A subscribed feed (an office's or a desk's appointments), `METHOD:PUBLISH`, named with
/// `X-WR-CALNAME` and RFC 7986 `NAME`, and asking clients to refresh hourly
/// (`REFRESH-INTERVAL` and the older `X-PUBLISHED-TTL`).
///
/// Events are written ordered by start, then `UID`, whatever order the caller passes, so
/// the body (and its [`feed_etag`]) does not depend on the order rows come back from the
/// database. UIDs must be unique within a feed. An empty feed has no components: RFC 5545's
/// grammar asks for at least one, but calendar apps accept an empty calendar and anything
/// else would be a made-up event.
pub fn feed_calendar(events: &[EventInput], dtstamp: DateTime<Utc>, calendar_name: &str) -> String {
    let mut w = Writer::default();
    w.calendar_header();
    if !calendar_name.is_empty() {
        w.text("X-WR-CALNAME", calendar_name);
        w.text("NAME", calendar_name);
    }
    w.raw("REFRESH-INTERVAL;VALUE=DURATION", FEED_REFRESH);
    w.raw("X-PUBLISHED-TTL", FEED_REFRESH);
    let mut ordered: Vec<&EventInput> = events.iter().collect();
    ordered.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    for event in ordered {
        w.event(event, dtstamp);
    }
    w.raw("END", "VCALENDAR");
    w.out
}

/// A strong `ETag` for a feed body, so subscribed clients polling hourly get `304 Not
/// Modified` until an appointment actually changes.
///
/// `DTSTAMP` lines (and any continuation lines of them) are left out of the hash because
/// they carry the time the body was generated, which changes on every request. The hash is
/// 128-bit FNV-1a, fixed by its specification (unlike std's `DefaultHasher`), so tags stay
/// the same across builds and servers behind a balancer. Not a security boundary: it only
/// has to change when the content changes.
pub fn feed_etag(body: &str) -> String {
    let mut hash = Fnv1a128::default();
    let mut skipping = false;
    for line in body.split_inclusive('\n') {
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if !continuation {
            skipping = is_dtstamp_line(line);
        }
        if !skipping {
            hash.write(line.as_bytes());
        }
    }
    format!("\"{:032x}\"", hash.finish())
}

fn is_dtstamp_line(line: &str) -> bool {
    const NAME: &str = "DTSTAMP";
    line.get(..NAME.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(NAME))
        && matches!(line.as_bytes().get(NAME.len()), Some(b':' | b';'))
}

/// FNV-1a with the 128-bit parameters from the FNV specification
/// (draft-eastlake-fnv): offset basis and prime below.
#[derive(Debug)]
struct Fnv1a128(u128);

impl Default for Fnv1a128 {
    fn default() -> Self {
        Self(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d)
    }
}

impl Fnv1a128 {
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u128 {
        self.0
    }
}

/// Accumulates content lines, folded and CRLF-terminated.
#[derive(Debug, Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn calendar_header(&mut self) {
        self.calendar_header_with("PUBLISH");
    }

    fn calendar_header_with(&mut self, method: &str) {
        self.raw("BEGIN", "VCALENDAR");
        self.raw("VERSION", "2.0");
        self.raw("PRODID", PRODID);
        self.raw("CALSCALE", "GREGORIAN");
        self.raw("METHOD", method);
    }

    fn event(&mut self, event: &EventInput, dtstamp: DateTime<Utc>) {
        self.event_with(event, dtstamp, None);
    }

    fn event_with(
        &mut self,
        event: &EventInput,
        dtstamp: DateTime<Utc>,
        parties: Option<&InvitationParties>,
    ) {
        self.raw("BEGIN", "VEVENT");
        self.text("UID", &event.uid);
        if let Some(parties) = parties {
            self.raw(
                &format!("ORGANIZER;CN={}", quoted_param(parties.organizer_name)),
                &format!("mailto:{}", uri_safe(parties.organizer_email)),
            );
            self.raw(
                "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE",
                &format!("mailto:{}", uri_safe(parties.attendee_email)),
            );
        }
        self.utc("DTSTAMP", dtstamp);
        self.utc("DTSTART", event.start);
        self.utc("DTEND", event.end);
        self.raw("SEQUENCE", &event.sequence.max(0).to_string());
        self.raw(
            "STATUS",
            if event.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            },
        );
        self.text("SUMMARY", event.summary);
        if !event.location.is_empty() {
            self.text("LOCATION", event.location);
        }
        if let Some(description) = event.description.filter(|d| !d.is_empty()) {
            self.text("DESCRIPTION", description);
        }
        self.utc("LAST-MODIFIED", event.last_modified);
        self.raw("END", "VEVENT");
    }

    /// A property whose value needs no escaping (names, numbers, fixed keywords).
    fn raw(&mut self, name: &str, value: &str) {
        let mut line = String::with_capacity(name.len() + 1 + value.len());
        line.push_str(name);
        line.push(':');
        line.push_str(value);
        push_folded(&mut self.out, &line);
    }

    /// A TEXT property (RFC 5545 §3.3.11), escaped.
    fn text(&mut self, name: &str, value: &str) {
        let mut line = String::with_capacity(name.len() + 1 + value.len() + 8);
        line.push_str(name);
        line.push(':');
        push_escaped_text(&mut line, value);
        push_folded(&mut self.out, &line);
    }

    /// A DATE-TIME property in UTC form, which needs no `VTIMEZONE`.
    fn utc(&mut self, name: &str, at: DateTime<Utc>) {
        self.raw(name, &at.format(UTC_FORMAT).to_string());
    }
}

/// A parameter value in double quotes (RFC 5545 §3.1: it may then hold `:`, `;` and `,`);
/// a double quote cannot be escaped there, so it is dropped, as are control characters.
fn quoted_param(value: &str) -> String {
    let inner: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{inner}\"")
}

/// An address as written in a `mailto:` URI value: whitespace and control characters,
/// which no valid address has, are dropped rather than break the line.
fn uri_safe(address: &str) -> String {
    address
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect()
}

/// Escapes a TEXT value: `\` `;` `,` and line breaks get a backslash. Any line break
/// (`\r\n`, `\r`, `\n`) becomes `\n`, because a raw CR would end the content line. Other
/// ASCII control characters are not allowed in TEXT at all, so they are dropped (tabs
/// are kept).
fn push_escaped_text(out: &mut String, value: &str) {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            c if c.is_ascii_control() => {}
            c => out.push(c),
        }
    }
}

/// Appends one logical content line, folded at 75 octets (RFC 5545 §3.1) and terminated by
/// CRLF. Each continuation line starts with one space, which counts towards its 75 octets.
/// Splits only on UTF-8 character boundaries, so no client sees half a character.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    while rest.len() > limit {
        let mut cut = limit;
        // A UTF-8 character is at most 4 octets, so this stops at limit - 3 at the latest.
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        limit = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests;
