//! Random edits of a text file, as a fuzzer mutates its corpus: byte ranges deleted,
//! inserted or replaced, truncations, lines duplicated, dropped, swapped or inserted, and
//! values swapped for odd ones, with the vocabulary of TOML (the office configuration) or
//! iCalendar (holiday files). Shared by `tests/fuzz_parsers.rs` and the HTTP fuzz tests
//! (`tests/api/fuzz.rs`).

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::{Index, select};

/// One random edit of a text, as a fuzzer mutates its corpus.
#[derive(Debug, Clone)]
pub enum Edit {
    Delete {
        at: Index,
        len: usize,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Replace {
        at: Index,
        len: usize,
        bytes: Vec<u8>,
    },
    Truncate {
        at: Index,
    },
    DuplicateLine {
        line: Index,
    },
    DeleteLine {
        line: Index,
    },
    SwapLines {
        a: Index,
        b: Index,
    },
    /// Replaces what follows the format's separator (`=`, `:`) on a line.
    SetValue {
        line: Index,
        value: String,
    },
    InsertLine {
        at: Index,
        line: String,
    },
}

/// The vocabulary a format is edited with.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub separator: u8,
    pub tokens: &'static [&'static str],
    pub values: &'static [&'static str],
    pub lines: &'static [&'static str],
}

pub const TOML: Format = Format {
    separator: b'=',
    tokens: &[
        "[",
        "]",
        "[[",
        "]]",
        "{",
        "}",
        "\"",
        "'",
        "\"\"\"",
        "'''",
        "=",
        ",",
        ".",
        "#",
        "\n",
        "\r\n",
        "\\",
        "\\u",
        "\\U0010FFFF",
        "\t",
        " ",
        "0x",
        "1e",
        "_",
        "-",
        "+",
        ":",
        "T",
        "Z",
        "\u{0}",
        "\u{feff}",
        "é",
    ],
    values: &[
        "\"\"",
        "\"x\"",
        "0",
        "-1",
        "1",
        "65535",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "1e400",
        "-0.0",
        "nan",
        "inf",
        "-inf",
        "true",
        "[]",
        "[\"\"]",
        "[1, \"a\"]",
        "[[]]",
        "{}",
        "{ per_minute = 0, burst = 0 }",
        "{ per_minute = 4294967295, burst = 4294967295 }",
        "\"00:00\"",
        "\"23:59\"",
        "\"24:00\"",
        "\"23:60\"",
        "\"9:00\"",
        "\"14:00\"",
        "\"02-29\"",
        "\"02-30\"",
        "\"13-01\"",
        "\"00-00\"",
        "\"2027-02-29\"",
        "\"2028-02-29\"",
        "\"9999-12-31\"",
        "\"0000-01-01\"",
        "\"+275760-09-13\"",
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        "07:32:00",
        "\"Mars/Olympus_Mons\"",
        "\"UTC\"",
        "\"Europe/Madrid\"",
        "\"Atlantic/Canary\"",
        "\"es-national\"",
        "\"madrid-local\"",
        "\"madrid-extranjeria\"",
        "\"puesto-1\"",
        "\"huellas-tie\"",
        "\"asilo\"",
        "[\"mon\"]",
        "[\"sun\", \"sat\"]",
        "[\"xyz\"]",
        "[\"mon\", \"mon\"]",
        "[\"es-national\", \"nope\"]",
        "\"es-holidays.ics\"",
        "\"missing.ics\"",
        "\"../../etc/passwd\"",
        "\"\\u0000\"",
        "\"ñ\"",
        "'literal'",
        "\"\"\"multi\nline\"\"\"",
    ],
    lines: &[
        "[[office]]",
        "[[office.desk]]",
        "[[office.service]]",
        "[[office.hours]]",
        "[[office.exception]]",
        "[[office.desk.hours]]",
        "[[holiday_calendar]]",
        "[booking]",
        "[limits]",
        "[office]",
        "[limits.browse]",
        "id = \"x\"",
        "id = \"madrid-extranjeria\"",
        "services = [\"asilo\"]",
        "services = []",
        "ics = \"es-holidays.ics\"",
        "ics = \"nope.ics\"",
        "dates = [\"2027-01-01\", \"2027-01-01\"]",
        "holiday_calendars = [\"nope\"]",
        "closed = true",
        "closed = false",
        "step_minutes = 0",
        "duration_minutes = 0",
        "duration_minutes = 1441",
        "buffer_minutes = 1440",
        "max_advance_days = 100000",
        "min_notice_minutes = -5",
        "max_active_per_citizen = 0",
        "hold_ttl_seconds = 0",
        "from = \"02-30\"",
        "to = \"01-01\"",
        "date = \"2027-02-29\"",
        "open = \"18:00\"",
        "close = \"09:00\"",
        "max_in_flight = 0",
        "unknown_key = 1",
    ],
};

pub const ICS: Format = Format {
    separator: b':',
    tokens: &[
        "BEGIN:",
        "END:",
        "VEVENT",
        "VCALENDAR",
        "VALARM",
        ":",
        ";",
        "=",
        "\r\n",
        "\n",
        "\r\n ",
        "\n\t",
        "\"",
        ",",
        "\\",
        "\\n",
        "DTSTART",
        "DTEND",
        "VALUE=DATE",
        "\u{0}",
        "é",
    ],
    values: &[
        "",
        "20270101",
        "20271231",
        "99991231",
        "00000101",
        "20270230",
        "20270229",
        "20280229",
        "2027-01-01",
        "2027",
        "20270101T100000Z",
        "20270101T100000",
        "FREQ=YEARLY",
        "P1D",
        "P2W",
        "P0D",
        "P366D",
        "P367D",
        "P99999999999999999999D",
        "P18446744073709551615W",
        "P1W2D",
        "PT1H",
        "-P1D",
        "CANCELLED",
        "CONFIRMED",
        "VEVENT",
        "VCALENDAR",
        "\"quoted\"",
        "a\\,b\\;c\\n",
    ],
    lines: &[
        "BEGIN:VEVENT",
        "END:VEVENT",
        "BEGIN:VCALENDAR",
        "END:VCALENDAR",
        "BEGIN:VALARM",
        "END:VALARM",
        "BEGIN:",
        "END:",
        "RRULE:FREQ=YEARLY",
        "RDATE:20270101",
        "EXRULE:FREQ=DAILY",
        "DTSTART:20270101T100000Z",
        "DTSTART;VALUE=DATE:20270101",
        "DTSTART;VALUE=DATE-TIME:20270101",
        "DTSTART;TZID=Europe/Madrid:20270101T000000",
        "DTEND;VALUE=DATE:20260101",
        "DTEND;VALUE=DATE:99991231",
        "DURATION:P400D",
        "DURATION:PT25H",
        "STATUS:CANCELLED",
        "SUMMARY:",
        "SUMMARY;LANGUAGE=es:Fiesta",
        "UID:",
        " folded continuation",
        "\tfolded continuation",
        ":",
        ";",
    ],
};

pub fn pos(at: &Index, len: usize) -> usize {
    // `Index` needs a non-empty range; one past the end is a valid place to edit too.
    at.index(len + 1)
}

pub fn apply(text: &str, edits: &[Edit], format: &Format) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        match edit {
            Edit::Delete { at, len } => {
                let start = pos(at, bytes.len());
                let end = (start + len).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Insert { at, bytes: new } => {
                let start = pos(at, bytes.len());
                bytes.splice(start..start, new.iter().copied());
            }
            Edit::Replace {
                at,
                len,
                bytes: new,
            } => {
                let start = pos(at, bytes.len());
                let end = (start + len).min(bytes.len());
                bytes.splice(start..end, new.iter().copied());
            }
            Edit::Truncate { at } => bytes.truncate(pos(at, bytes.len())),
            Edit::DuplicateLine { line } => edit_lines(&mut bytes, |lines| {
                let i = line.index(lines.len());
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }),
            Edit::DeleteLine { line } => edit_lines(&mut bytes, |lines| {
                lines.remove(line.index(lines.len()));
            }),
            Edit::SwapLines { a, b } => edit_lines(&mut bytes, |lines| {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
            }),
            Edit::SetValue { line, value } => edit_lines(&mut bytes, |lines| {
                // A line with a value (a key, or a property other than BEGIN and END).
                let with_value: Vec<usize> = (0..lines.len())
                    .filter(|&i| {
                        let name = lines[i].split(|&b| b == format.separator).next();
                        lines[i].contains(&format.separator)
                            && !name.is_some_and(|n| {
                                n.eq_ignore_ascii_case(b"BEGIN") || n.eq_ignore_ascii_case(b"END")
                            })
                    })
                    .collect();
                if with_value.is_empty() {
                    return;
                }
                let target = &mut lines[with_value[line.index(with_value.len())]];
                if let Some(i) = target.iter().position(|&b| b == format.separator) {
                    target.truncate(i + 1);
                }
                if format.separator == b'=' {
                    target.push(b' ');
                }
                target.extend_from_slice(value.as_bytes());
            }),
            Edit::InsertLine { at, line } => edit_lines(&mut bytes, |lines| {
                let i = pos(at, lines.len());
                lines.insert(i, line.as_bytes().to_vec());
            }),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Edits `bytes` as lines split at `\n` (a `\r` stays with its line).
pub fn edit_lines(bytes: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    edit(&mut lines);
    *bytes = lines.join(&b'\n');
}

/// Bytes to insert: raw bytes, or a few of the format's tokens.
pub fn fragment(format: Format) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..16),
        proptest::collection::vec(select(format.tokens), 1..4).prop_map(|t| t.concat().into()),
    ]
}

/// A value for `SetValue`: one of the format's odd values, a number, a random word, or a
/// value shaped like a time or date with multi-byte characters in it (byte offsets that
/// are not character boundaries).
pub fn odd_value(format: Format) -> impl Strategy<Value = String> {
    let quoted = format.separator == b'=';
    prop_oneof![
        4 => select(format.values).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "[ -~]{0,12}",
        1 => any::<String>(),
        1 => "[0-9é€ñ:T-]{3,11}".prop_map(move |s| if quoted { format!("\"{s}\"") } else { s }),
    ]
}

pub fn edit(format: Format) -> impl Strategy<Value = Edit> {
    // Byte-level edits mostly break the syntax; line and value edits keep it and reach the
    // validation rules, so they come more often.
    prop_oneof![
        1 => (any::<Index>(), 1..64usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (any::<Index>(), fragment(format)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        1 => (any::<Index>(), 1..32usize, fragment(format))
            .prop_map(|(at, len, bytes)| Edit::Replace { at, len, bytes }),
        1 => any::<Index>().prop_map(|at| Edit::Truncate { at }),
        2 => any::<Index>().prop_map(|line| Edit::DuplicateLine { line }),
        2 => any::<Index>().prop_map(|line| Edit::DeleteLine { line }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
        6 => (any::<Index>(), odd_value(format))
            .prop_map(|(line, value)| Edit::SetValue { line, value }),
        4 => (any::<Index>(), select(format.lines).prop_map(str::to_owned))
            .prop_map(|(at, line)| Edit::InsertLine { at, line }),
    ]
}

/// `seed` with one to four random edits.
pub fn mutated(seed: &'static str, format: Format) -> impl Strategy<Value = String> {
    edited(seed, format, 1..=4)
}

/// `seed` with `count` random edits.
pub fn edited(
    seed: &'static str,
    format: Format,
    count: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = String> {
    proptest::collection::vec(edit(format), count)
        .prop_map(move |edits| apply(seed, &edits, &format))
}

/// Arbitrary bytes read as lossy UTF-8, arbitrary strings, or a soup of the format's
/// tokens, values and lines.
pub fn garbage(format: Format) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        select(format.tokens),
        select(format.values),
        select(format.lines),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        any::<String>(),
        proptest::collection::vec(piece, 0..64).prop_map(|pieces| pieces.concat()),
    ]
}

// ---------------------------------------------------------------------------------------
// Structural edits of a TOML document

/// One edit of a TOML document's structure that keeps its syntax valid, so that most
/// edited documents reach the validation rules and many stay valid configurations.
#[derive(Debug, Clone)]
pub enum TomlEdit {
    /// Gives a value another of its kind (a time for a time, a date for a date, an id of
    /// the document for a string, an interesting number for a number), picked by `pick`;
    /// `raw` is used past the end of the list of interesting values.
    Set { at: Index, pick: Index, raw: i64 },
    /// Removes a key or an array element.
    Remove { at: Index },
    /// Duplicates an array element (a desk, a service, an opening rule, a date).
    Duplicate { at: Index },
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Item(usize),
}

const INTEGERS: &[i64] = &[
    0,
    1,
    2,
    5,
    10,
    14,
    15,
    29,
    30,
    31,
    45,
    59,
    60,
    61,
    90,
    120,
    300,
    366,
    367,
    1024,
    1439,
    1440,
    1441,
    3600,
    3601,
    65_535,
    4_294_967_295,
    4_294_967_296,
    -1,
    i64::MAX,
    i64::MIN,
];
const TIMES: &[&str] = &[
    "00:00", "00:01", "06:00", "08:00", "09:00", "09:30", "12:00", "13:00", "14:00", "14:30",
    "18:30", "23:59", "24:00", "9:00", "25:00", "0é00", "€:00",
];
const MONTH_DAYS: &[&str] = &[
    "01-01", "02-28", "02-29", "02-30", "03-28", "03-29", "06-30", "07-01", "08-31", "10-31",
    "12-31", "13-01", "00-10", "0é01",
];
const DATES: &[&str] = &[
    "2027-03-01",
    "2027-03-02",
    "2027-03-03",
    "2027-03-28",
    "2027-03-29",
    "2027-10-31",
    "2027-12-31",
    "2028-02-29",
    "2027-02-29",
    "1970-01-01",
    "9999-12-31",
    "2027-0é-01",
];
const WEEKDAYS: &[&str] = &[
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "xyz", "Mon",
];
const ZONES: &[&str] = &[
    "Europe/Madrid",
    "Atlantic/Canary",
    "UTC",
    "America/New_York",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Santiago",
    "Mars/Olympus_Mons",
];
const WORDS: &[&str] = &["", "x", "UPPER", "a b", "es-holidays.ics", "missing.ics"];

/// `seed` (a TOML document) with `count` structural edits, written back as TOML.
pub fn restructured(
    seed: &'static str,
    count: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        6 => (any::<Index>(), any::<Index>(), any::<i64>())
            .prop_map(|(at, pick, raw)| TomlEdit::Set { at, pick, raw }),
        2 => any::<Index>().prop_map(|at| TomlEdit::Remove { at }),
        1 => any::<Index>().prop_map(|at| TomlEdit::Duplicate { at }),
    ];
    proptest::collection::vec(edit, count).prop_map(move |edits| apply_toml(seed, &edits))
}

pub fn apply_toml(seed: &str, edits: &[TomlEdit]) -> String {
    let mut doc = toml::Value::Table(seed.parse::<toml::Table>().unwrap_or_default());
    for edit in edits {
        let mut paths = Vec::new();
        walk(&doc, &mut Vec::new(), &mut paths);
        match edit {
            TomlEdit::Set { at, pick, raw } => {
                let leaves: Vec<&Vec<Step>> = paths
                    .iter()
                    .filter(|p| get(&doc, p).is_some_and(|v| !v.is_table() && !v.is_array()))
                    .collect();
                if leaves.is_empty() {
                    continue;
                }
                let path = leaves[at.index(leaves.len())].clone();
                let strings = strings_of(&doc);
                if let Some(value) = get_mut(&mut doc, &path) {
                    *value = another(value, pick, *raw, &strings);
                }
            }
            TomlEdit::Remove { at } => {
                if let Some((last, parent)) = paths[at.index(paths.len())].split_last() {
                    match (get_mut(&mut doc, parent), last) {
                        (Some(toml::Value::Table(table)), Step::Key(key)) => {
                            table.remove(key);
                        }
                        (Some(toml::Value::Array(items)), Step::Item(i)) => {
                            items.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            TomlEdit::Duplicate { at } => {
                let items: Vec<&Vec<Step>> = paths
                    .iter()
                    .filter(|p| matches!(p.last(), Some(Step::Item(_))))
                    .collect();
                if items.is_empty() {
                    continue;
                }
                let path = items[at.index(items.len())].clone();
                if let Some((Step::Item(i), parent)) = path.split_last()
                    && let Some(toml::Value::Array(array)) = get_mut(&mut doc, parent)
                {
                    let copy = array[*i].clone();
                    array.insert(*i, copy);
                }
            }
        }
    }
    toml::to_string(&doc).unwrap_or_default()
}

/// Every path in `value` (the root excluded).
fn walk(value: &toml::Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let children: Vec<(Step, &toml::Value)> = match value {
        toml::Value::Table(table) => table
            .iter()
            .map(|(k, v)| (Step::Key(k.clone()), v))
            .collect(),
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Step::Item(i), v))
            .collect(),
        _ => return,
    };
    for (step, child) in children {
        prefix.push(step);
        out.push(prefix.clone());
        walk(child, prefix, out);
        prefix.pop();
    }
}

fn get<'v>(value: &'v toml::Value, path: &[Step]) -> Option<&'v toml::Value> {
    path.iter().try_fold(value, |v, step| match (v, step) {
        (toml::Value::Table(t), Step::Key(k)) => t.get(k),
        (toml::Value::Array(a), Step::Item(i)) => a.get(*i),
        _ => None,
    })
}

fn get_mut<'v>(value: &'v mut toml::Value, path: &[Step]) -> Option<&'v mut toml::Value> {
    path.iter().try_fold(value, |v, step| match (v, step) {
        (toml::Value::Table(t), Step::Key(k)) => t.get_mut(k),
        (toml::Value::Array(a), Step::Item(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// Every string in the document: swapping one for another crosses references.
fn strings_of(doc: &toml::Value) -> Vec<String> {
    let mut paths = Vec::new();
    walk(doc, &mut Vec::new(), &mut paths);
    paths
        .iter()
        .filter_map(|p| get(doc, p).and_then(toml::Value::as_str).map(str::to_owned))
        .collect()
}

/// Another value of the kind of `value`.
fn another(value: &toml::Value, pick: &Index, raw: i64, strings: &[String]) -> toml::Value {
    fn from(list: &[&str], pick: &Index) -> toml::Value {
        toml::Value::String(list[pick.index(list.len())].to_owned())
    }
    match value {
        toml::Value::Integer(_) => {
            let i = pick.index(INTEGERS.len() + 4);
            toml::Value::Integer(INTEGERS.get(i).copied().unwrap_or(raw))
        }
        toml::Value::Boolean(b) => toml::Value::Boolean(!b),
        toml::Value::String(s) => {
            let bytes = s.as_bytes();
            let shape = |pattern: &str| {
                s.len() == pattern.len()
                    && bytes.iter().zip(pattern.bytes()).all(|(&b, p)| {
                        if p == b'9' {
                            b.is_ascii_digit()
                        } else {
                            b == p
                        }
                    })
            };
            if shape("99:99") {
                from(TIMES, pick)
            } else if shape("99-99") {
                from(MONTH_DAYS, pick)
            } else if shape("9999-99-99") {
                from(DATES, pick)
            } else if WEEKDAYS.contains(&s.as_str()) {
                from(WEEKDAYS, pick)
            } else if s.contains('/') {
                from(ZONES, pick)
            } else {
                let i = pick.index(strings.len() + WORDS.len());
                match strings.get(i) {
                    Some(other) => toml::Value::String(other.clone()),
                    None => toml::Value::String(WORDS[i - strings.len()].to_owned()),
                }
            }
        }
        other => other.clone(),
    }
}
