//! Robustness of the parsers that read untrusted text, in the manner of a fuzzer: the office
//! configuration (`Config::parse`, and `ConfigSource::parse` as stored configurations are
//! read back), the holiday `.ics` importer and the identity-document validator.
//!
//! Inputs are arbitrary bytes (read as lossy UTF-8), soups of the formats' own tokens, and
//! random edits of the real demo files (`demo/offices.toml`, `demo/es-holidays.ics`): byte
//! ranges deleted, inserted or replaced, truncations, lines duplicated, dropped or swapped,
//! values swapped for odd ones. Edits of a valid file get past the syntax layer and reach
//! the validation rules, which random bytes almost never do.
//!
//! What it proves: none of these parsers panics, whatever the text (a panic fails the
//! case); a refusal is a proper error — for the configuration, a non-empty list of
//! one-line problems sorted by line, each pointing inside the text — and a document that
//! is accepted is normalized, has a correct check letter and parses again to itself.
//!
//! Every run uses fixed RNG seeds, so a failure in CI reproduces locally; proptest keeps
//! any failing case it finds in `fuzz_parsers.proptest-regressions`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::RngSeed;

use cita::booking::ConfigSource;
use cita::config::{Config, ConfigError};
use cita::domain::document::normalize;
use cita::domain::{Document, DocumentError, DocumentType};
use cita::ical::holiday_dates_from_ics;

#[path = "support/mutations.rs"]
mod mutations;

use mutations::{ICS, TOML, garbage, mutated, restructured};

const DEMO_CONFIG: &str = include_str!("../demo/offices.toml");
const DEMO_ICS: &str = include_str!("../demo/es-holidays.ics");
/// The name `demo/offices.toml` gives its `.ics` file.
const DEMO_ICS_NAME: &str = "es-holidays.ics";

/// Cases for the configuration parser, the slowest target (under half a millisecond a
/// parse in a debug build: each of its tests takes one to two seconds).
const CONFIG_CASES: u32 = 4096;
/// Cases for the structural edits, which also parse and write the TOML they edit (about
/// 1.2 ms a case).
const STRUCTURAL_CASES: u32 = 2048;
/// Cases for the cheap parsers.
const CHEAP_CASES: u32 = 4096;

fn fixed(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// The office configuration

/// `read_file` for `Config::parse`: the (possibly mutated) demo calendar under its name.
fn files_with(ics: &str) -> impl Fn(&str) -> std::io::Result<String> + '_ {
    move |name: &str| {
        if name == DEMO_ICS_NAME {
            Ok(ics.to_owned())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{name} does not exist"),
            ))
        }
    }
}

/// The contract of `Config::parse` for `text`: a configuration with offices, or every
/// problem, each one line long and on a line of the text, sorted by line.
fn check_config(text: &str, result: Result<Config, ConfigError>) -> Result<(), TestCaseError> {
    match result {
        Ok(config) => {
            prop_assert!(!config.offices.is_empty(), "accepted without offices");
            for office in &config.offices {
                prop_assert!(
                    !office.desks.is_empty(),
                    "{} accepted without desks",
                    office.id
                );
            }
        }
        Err(error) => {
            let shown = error.to_string();
            prop_assert!(!shown.trim().is_empty(), "an error without a message");
            let ConfigError::Invalid(problems) = &error else {
                return Err(TestCaseError::fail(format!(
                    "not a validation error: {error}"
                )));
            };
            prop_assert!(!problems.is_empty(), "refused without a problem");
            let last_line = text.bytes().filter(|&b| b == b'\n').count() + 1;
            for problem in problems {
                prop_assert!(
                    (1..=last_line).contains(&problem.line),
                    "line {} outside 1..={last_line}: {}",
                    problem.line,
                    problem.message
                );
                prop_assert!(
                    !problem.message.trim().is_empty(),
                    "a problem without a message"
                );
                prop_assert!(
                    !problem.message.contains(['\n', '\r']),
                    "a problem on several lines: {:?}",
                    problem.message
                );
            }
            prop_assert!(
                problems.windows(2).all(|w| w[0].line <= w[1].line),
                "problems not sorted by line: {problems:?}"
            );
        }
    }
    Ok(())
}

/// Arrays, inline tables and dotted keys nested up to and past the TOML parser's depth
/// limit, where a configuration would have a value.
fn deep_toml() -> impl Strategy<Value = String> {
    let nested = (0..300usize, 0..3u8).prop_map(|(depth, shape)| match shape {
        0 => format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}1{}", "{ a = ".repeat(depth), " }".repeat(depth)),
        _ => format!("{{ {} = 1 }}", vec!["a"; depth.max(1)].join(".")),
    });
    let place = select(
        &[
            "x = {}\n",
            "[booking]\nhold_ttl_seconds = {}\n",
            "[limits]\nbrowse = {}\n",
            "[[holiday_calendar]]\nid = \"h\"\ndates = {}\n",
            "[[office]]\nid = \"o\"\nname = {}\n",
            "[[office]]\nid = \"o\"\n[[office.hours]]\ndays = {}\n",
        ][..],
    );
    (place, nested).prop_map(|(place, nested)| place.replace("{}", &nested))
}

#[test]
fn the_demo_files_are_valid_seeds() {
    // The mutations below start from valid files; prove they are.
    let config = Config::parse(DEMO_CONFIG, &files_with(DEMO_ICS)).unwrap();
    assert_eq!(config.offices.len(), 3);
    assert!(!holiday_dates_from_ics(DEMO_ICS).unwrap().is_empty());
}

proptest! {
    #![proptest_config(fixed(CONFIG_CASES, 0x00C0_F161))]

    #[test]
    fn config_parser_survives_arbitrary_text(
        text in prop_oneof![4 => garbage(TOML), 1 => deep_toml()],
    ) {
        check_config(&text, Config::parse(&text, &files_with(DEMO_ICS)))?;
    }
}

proptest! {
    #![proptest_config(fixed(CONFIG_CASES, 0x00C0_F162))]

    #[test]
    fn config_parser_survives_mutations_of_the_demo_config(text in mutated(DEMO_CONFIG, TOML)) {
        check_config(&text, Config::parse(&text, &files_with(DEMO_ICS)))?;
    }
}

proptest! {
    #![proptest_config(fixed(STRUCTURAL_CASES, 0x00C0_F165))]

    /// Edits of the demo configuration's structure (values swapped for others of their
    /// kind, keys and array elements removed or duplicated) keep the TOML valid, so every
    /// one reaches the validation rules; many stay valid configurations.
    #[test]
    fn config_parser_survives_structural_edits_of_the_demo_config(
        text in restructured(DEMO_CONFIG, 1..=3),
    ) {
        check_config(&text, Config::parse(&text, &files_with(DEMO_ICS)))?;
    }
}

proptest! {
    #![proptest_config(fixed(CONFIG_CASES, 0x00C0_F163))]

    /// The demo configuration (sometimes mutated too) over a mutated calendar file.
    #[test]
    fn config_parser_survives_a_mutated_holiday_file(
        text in prop_oneof![Just(DEMO_CONFIG.to_owned()), mutated(DEMO_CONFIG, TOML)],
        ics in prop_oneof![mutated(DEMO_ICS, ICS), garbage(ICS)],
    ) {
        check_config(&text, Config::parse(&text, &files_with(&ics)))?;
    }
}

proptest! {
    #![proptest_config(fixed(CONFIG_CASES, 0x00C0_F164))]

    /// A stored configuration is parsed again with the files stored beside it; inline, a
    /// referenced file is missing.
    #[test]
    fn stored_config_sources_survive_mutations(
        text in mutated(DEMO_CONFIG, TOML),
        ics in prop_oneof![Just(DEMO_ICS.to_owned()), mutated(DEMO_ICS, ICS)],
        inline in any::<bool>(),
    ) {
        let source = if inline {
            ConfigSource::inline(text.clone())
        } else {
            ConfigSource {
                toml: text.clone(),
                files: BTreeMap::from([(DEMO_ICS_NAME.to_owned(), ics)]),
            }
        };
        check_config(&text, source.parse())?;
    }
}

// ---------------------------------------------------------------------------------------
// Holiday calendars

/// `BEGIN:` lines nested deeper than any real calendar, with any line ending.
fn deep_nesting() -> impl Strategy<Value = String> {
    (
        0..2000usize,
        select(&["VCALENDAR", "VEVENT", "X", ""][..]),
        select(&["\n", "\r\n", "\r", "\n ", "\r\n\t"][..]),
        any::<bool>(),
    )
        .prop_map(|(depth, name, newline, closed)| {
            let mut text = format!("BEGIN:{name}{newline}").repeat(depth);
            if closed {
                text.push_str(&format!("END:{name}{newline}").repeat(depth));
            }
            text
        })
}

proptest! {
    #![proptest_config(fixed(CHEAP_CASES, 0x0001_C5A1))]

    #[test]
    fn holiday_importer_survives_arbitrary_text(
        text in prop_oneof![3 => garbage(ICS), 1 => deep_nesting()],
    ) {
        if let Err(error) = holiday_dates_from_ics(&text) {
            prop_assert!(!error.to_string().trim().is_empty());
        }
    }

    #[test]
    fn holiday_importer_survives_mutations_of_the_demo_calendar(
        text in mutated(DEMO_ICS, ICS),
    ) {
        if let Err(error) = holiday_dates_from_ics(&text) {
            prop_assert!(!error.to_string().trim().is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Identity documents

const CHECK_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The check letter of a DNI number (a NIE's prefix counts as its leading digit).
fn check_letter(number: u64) -> char {
    char::from(CHECK_LETTERS[usize::try_from(number % 23).unwrap()])
}

/// A valid DNI or NIE in canonical spelling, with its kind.
fn valid_national() -> impl Strategy<Value = (String, DocumentType)> {
    prop_oneof![
        (0..100_000_000u64).prop_map(|n| (format!("{n:08}{}", check_letter(n)), DocumentType::Dni)),
        (0..3u64, 0..10_000_000u64).prop_map(|(prefix, n)| {
            let lead = ['X', 'Y', 'Z'][usize::try_from(prefix).unwrap()];
            let letter = check_letter(prefix * 10_000_000 + n);
            (format!("{lead}{n:07}{letter}"), DocumentType::Nie)
        }),
    ]
}

/// `canonical` as a person might type it: any case, spaces, dots, dashes and tabs around
/// and between the characters.
fn spelled(canonical: String) -> impl Strategy<Value = String> {
    let n = canonical.chars().count();
    proptest::collection::vec(
        (
            any::<bool>(),
            proptest::option::of(select(&[" ", ".", "-", "\t", "  ", ". "][..])),
        ),
        n + 1,
    )
    .prop_map(move |decor| {
        let mut out = String::new();
        for (c, (lower, sep)) in canonical.chars().zip(&decor) {
            out.push_str(sep.unwrap_or(""));
            out.push(if *lower { c.to_ascii_lowercase() } else { c });
        }
        out.push_str(decor[n].1.unwrap_or(""));
        out
    })
}

fn declared_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        2 => select(&["dni", "nie", "passport", "DNI", " Nie ", "PASSPORT"][..])
            .prop_map(|t| Some(t.to_owned())),
        1 => any::<String>().prop_map(Some),
        1 => "[a-zA-Z ]{0,10}".prop_map(Some),
    ]
}

/// Raw document text: arbitrary, shaped like a document (in ASCII or not), or a real one
/// misspelled or with a character changed.
fn raw_document() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[0-9XYZxyzA-Za-z .\\-\t]{0,24}",
        2 => valid_national().prop_flat_map(|(canonical, _)| spelled(canonical)),
        2 => (valid_national(), any::<Index>(), any::<char>()).prop_map(|((canonical, _), at, c)| {
            let mut chars: Vec<char> = canonical.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
        1 => "[A-Za-z0-9]{1,24}",
        // Near nine bytes with multi-byte characters: byte offsets that are not character
        // boundaries, where a DNI or NIE is cut into its parts.
        3 => "[XYZxyz0-9é€ñ]?[0-9é€𝟘ñ]{0,8}[A-Zé€ñ]?",
    ]
}

proptest! {
    #![proptest_config(fixed(CHEAP_CASES, 0x000D_0C01))]

    #[test]
    fn document_parser_survives_anything_and_accepts_only_valid_documents(
        raw in raw_document(),
        declared in declared_type(),
    ) {
        let result = Document::parse(&raw, declared.as_deref());
        let known = declared.as_deref().map(DocumentType::parse);
        let doc = match result {
            Err(error) => {
                prop_assert!(!error.to_string().trim().is_empty());
                if known == Some(None) {
                    prop_assert_eq!(error, DocumentError::UnknownType(declared.clone().unwrap()));
                }
                return Ok(());
            }
            Ok(doc) => doc,
        };
        let number = doc.number();
        prop_assert!(known != Some(None), "accepted under an unknown type {declared:?}");
        match known.flatten() {
            Some(kind) => prop_assert_eq!(doc.kind(), kind),
            None => prop_assert!(matches!(doc.kind(), DocumentType::Dni | DocumentType::Nie)),
        }
        // Normalized: plain ASCII, upper case, no separators, and stable.
        prop_assert!(number.is_ascii(), "{number:?}");
        prop_assert!(!number.bytes().any(|b| b.is_ascii_lowercase()), "{number:?}");
        prop_assert!(!number.contains([' ', '.', '-', '\t']), "{number:?}");
        prop_assert_eq!(normalize(number), number);
        prop_assert_eq!(number, normalize(&raw));
        let bytes = number.as_bytes();
        match doc.kind() {
            DocumentType::Dni => {
                prop_assert_eq!(bytes.len(), 9, "{}", number);
                prop_assert!(bytes[..8].iter().all(u8::is_ascii_digit), "{}", number);
                let n: u64 = number[..8].parse().unwrap();
                prop_assert_eq!(char::from(bytes[8]), check_letter(n), "{}", number);
            }
            DocumentType::Nie => {
                prop_assert_eq!(bytes.len(), 9, "{}", number);
                let lead = match bytes[0] {
                    b'X' => 0,
                    b'Y' => 1,
                    b'Z' => 2,
                    other => return Err(TestCaseError::fail(format!("NIE prefix {other}"))),
                };
                prop_assert!(bytes[1..8].iter().all(u8::is_ascii_digit), "{}", number);
                let n: u64 = number[1..8].parse().unwrap();
                let expected = check_letter(lead * 10_000_000 + n);
                prop_assert_eq!(char::from(bytes[8]), expected, "{}", number);
            }
            DocumentType::Passport => {
                prop_assert!((5..=20).contains(&bytes.len()), "{}", number);
                prop_assert!(bytes.iter().all(u8::is_ascii_alphanumeric), "{}", number);
            }
        }
        // The normalized number is the document: it parses again to the same one.
        prop_assert_eq!(Document::parse(number, Some(doc.kind().as_str())), Ok(doc.clone()));
        if doc.kind() != DocumentType::Passport {
            prop_assert_eq!(Document::parse(number, None), Ok(doc.clone()));
        }
    }

    #[test]
    fn valid_dni_and_nie_are_accepted_in_any_spelling(
        (canonical, kind, raw) in valid_national().prop_flat_map(|(canonical, kind)| {
            (Just(canonical.clone()), Just(kind), spelled(canonical))
        }),
        declare in any::<bool>(),
    ) {
        let declared = declare.then(|| kind.as_str());
        let doc = Document::parse(&raw, declared);
        prop_assert!(doc.is_ok(), "{raw:?} refused: {doc:?}");
        let doc = doc.unwrap();
        prop_assert_eq!(doc.number(), canonical.as_str());
        prop_assert_eq!(doc.kind(), kind);
    }

    #[test]
    fn a_wrong_check_letter_is_refused(
        (canonical, _) in valid_national(),
        shift in 1..26u8,
    ) {
        // Another letter of A-Z: one of the check alphabet, or one no number has.
        let right = *canonical.as_bytes().last().unwrap();
        let wrong = char::from(b'A' + (right - b'A' + shift) % 26);
        let text = format!("{}{wrong}", &canonical[..8]);
        prop_assert_eq!(Document::parse(&text, None), Err(DocumentError::WrongCheckLetter));
    }

    #[test]
    fn normalize_is_stable_and_drops_separators(raw in any::<String>()) {
        let once = normalize(&raw);
        prop_assert!(!once.contains([' ', '.', '-', '\t']), "{once:?}");
        prop_assert_eq!(normalize(&once), once.clone());
        prop_assert_eq!(once.to_uppercase(), once);
    }
}
