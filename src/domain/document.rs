//! Citizen identity documents (DESIGN §3). A citizen is identified by the normalized
//! document, so two spellings of one DNI count as one person for the per-citizen limits.

use std::fmt;

use thiserror::Error;

const CHECK_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The kind of document a citizen identifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentType {
    /// Spanish national identity card: 8 digits and a check letter.
    Dni,
    /// Foreigner identity number: X/Y/Z, 7 digits and a check letter.
    Nie,
    /// Any passport: 5 to 20 letters and digits, no check letter to verify.
    Passport,
}

impl DocumentType {
    /// Parses the API spelling (`dni`, `nie`, `passport`; case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "dni" => Some(Self::Dni),
            "nie" => Some(Self::Nie),
            "passport" => Some(Self::Passport),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dni => "dni",
            Self::Nie => "nie",
            Self::Passport => "passport",
        }
    }
}

/// Why a document was refused. Messages are plain language: they reach citizens.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error("the document number is empty")]
    Empty,
    #[error("the check letter does not match the number; please check the document")]
    WrongCheckLetter,
    #[error(
        "this is not a valid DNI or NIE (8 digits and a letter, or X/Y/Z, 7 digits and a letter)"
    )]
    NotDniOrNie,
    #[error("this is not a valid {0}")]
    NotOfDeclaredType(&'static str),
    #[error("a passport number has 5 to 20 letters and digits")]
    InvalidPassport,
    #[error("unknown document type {0:?}; use dni, nie or passport")]
    UnknownType(String),
}

/// A validated, normalized identity document.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Document {
    kind: DocumentType,
    number: String,
}

impl Document {
    /// Validates `raw` as `declared` (or, without one, as a DNI or NIE).
    pub fn parse(raw: &str, declared: Option<&str>) -> Result<Self, DocumentError> {
        let declared = match declared {
            None => None,
            Some(text) => Some(
                DocumentType::parse(text)
                    .ok_or_else(|| DocumentError::UnknownType(text.to_owned()))?,
            ),
        };
        let number = normalize(raw);
        if number.is_empty() {
            return Err(DocumentError::Empty);
        }
        if declared == Some(DocumentType::Passport) {
            let valid = (5..=20).contains(&number.len())
                && number.bytes().all(|b| b.is_ascii_alphanumeric());
            return if valid {
                Ok(Document {
                    kind: DocumentType::Passport,
                    number,
                })
            } else {
                Err(DocumentError::InvalidPassport)
            };
        }
        let kind = national_kind(&number)?;
        match declared {
            Some(expected) if expected != kind => {
                Err(DocumentError::NotOfDeclaredType(expected.as_str()))
            }
            _ => Ok(Document { kind, number }),
        }
    }

    pub fn kind(&self) -> DocumentType {
        self.kind
    }

    /// The normalized number: the citizen's identity for per-citizen rules.
    pub fn number(&self) -> &str {
        &self.number
    }
}

/// Documents are personal data: `Debug` never prints the number.
impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("number", &"<redacted>")
            .finish()
    }
}

/// Upper-cases and drops spaces, dots and dashes (`12.345.678-z` -> `12345678Z`).
pub fn normalize(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\t'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Classifies a normalized DNI/NIE and verifies its check letter.
fn national_kind(number: &str) -> Result<DocumentType, DocumentError> {
    let bytes = number.as_bytes();
    let (kind, digits): (DocumentType, String) = match bytes {
        [prefix @ (b'X' | b'Y' | b'Z'), rest @ ..] if rest.len() == 8 => {
            let lead = match prefix {
                b'X' => '0',
                b'Y' => '1',
                _ => '2',
            };
            let body = std::str::from_utf8(&rest[..7]).map_err(|_| DocumentError::NotDniOrNie)?;
            (DocumentType::Nie, format!("{lead}{body}"))
        }
        _ if bytes.len() == 9 => {
            let body = std::str::from_utf8(&bytes[..8]).map_err(|_| DocumentError::NotDniOrNie)?;
            (DocumentType::Dni, body.to_owned())
        }
        _ => return Err(DocumentError::NotDniOrNie),
    };
    let letter = *bytes.last().ok_or(DocumentError::NotDniOrNie)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !letter.is_ascii_uppercase() {
        return Err(DocumentError::NotDniOrNie);
    }
    let value: u64 = digits.parse().map_err(|_| DocumentError::NotDniOrNie)?;
    let expected =
        CHECK_LETTERS[usize::try_from(value % 23).map_err(|_| DocumentError::NotDniOrNie)?];
    if letter == expected {
        Ok(kind)
    } else {
        Err(DocumentError::WrongCheckLetter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, declared: Option<&str>) -> Document {
        Document::parse(raw, declared).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"))
    }

    #[test]
    fn dni_is_normalized_in_any_spelling() {
        for raw in [
            "12345678Z",
            "12345678z",
            "12.345.678-Z",
            " 12345678 z ",
            "12-345-678-z",
        ] {
            let doc = ok(raw, None);
            assert_eq!(doc.number(), "12345678Z");
            assert_eq!(doc.kind(), DocumentType::Dni);
        }
        assert_eq!(ok("00000000T", Some("DNI")).number(), "00000000T");
    }

    #[test]
    fn nie_maps_prefix_to_digit() {
        assert_eq!(ok("X0000000T", None).kind(), DocumentType::Nie);
        assert_eq!(ok("x-0000000-t", Some("nie")).number(), "X0000000T");
        // Y -> 1: 10000000 mod 23 = 14 -> Z
        assert_eq!(ok("Y0000000Z", None).number(), "Y0000000Z");
        // Z -> 2: 20000000 mod 23 = 5 -> M
        assert_eq!(ok("Z0000000M", None).number(), "Z0000000M");
    }

    #[test]
    fn wrong_check_letters_are_rejected() {
        assert_eq!(
            Document::parse("12345678A", None),
            Err(DocumentError::WrongCheckLetter)
        );
        assert_eq!(
            Document::parse("X0000000A", None),
            Err(DocumentError::WrongCheckLetter)
        );
        assert_eq!(
            Document::parse("00000000R", Some("dni")),
            Err(DocumentError::WrongCheckLetter)
        );
    }

    #[test]
    fn malformed_documents_are_rejected() {
        for raw in [
            "1234567Z",
            "123456789",
            "ABCDEFGHI",
            "W0000000T",
            "X000000T",
            "12345678ZZ",
            "1234567₈Z",
        ] {
            assert_eq!(
                Document::parse(raw, None),
                Err(DocumentError::NotDniOrNie),
                "{raw}"
            );
        }
        assert_eq!(Document::parse("  .-", None), Err(DocumentError::Empty));
        assert_eq!(
            Document::parse("X0000000T", Some("dni")),
            Err(DocumentError::NotOfDeclaredType("dni"))
        );
        assert!(matches!(
            Document::parse("X", Some("carnet")),
            Err(DocumentError::UnknownType(_))
        ));
    }

    #[test]
    fn passports_are_letters_and_digits_of_bounded_length() {
        assert_eq!(ok("pa-123 456", Some("passport")).number(), "PA123456");
        assert_eq!(
            Document::parse("AB12", Some("passport")),
            Err(DocumentError::InvalidPassport)
        );
        assert_eq!(
            Document::parse("A1234567890123456789X", Some("passport")),
            Err(DocumentError::InvalidPassport)
        );
        assert_eq!(
            Document::parse("AB12_345", Some("passport")),
            Err(DocumentError::InvalidPassport)
        );
        // Without the declared type a passport number is not accepted as a DNI/NIE.
        assert_eq!(
            Document::parse("PA123456", None),
            Err(DocumentError::NotDniOrNie)
        );
    }

    #[test]
    fn debug_never_shows_the_number() {
        let shown = format!("{:?}", ok("12345678Z", None));
        assert!(!shown.contains("12345678"), "{shown}");
    }

    #[test]
    fn every_dni_with_its_computed_letter_is_valid() {
        for n in (0u64..100_000_000).step_by(9_999_991) {
            let letter = CHECK_LETTERS[(n % 23) as usize] as char;
            let raw = format!("{n:08}{letter}");
            assert!(Document::parse(&raw, None).is_ok(), "{raw}");
        }
    }
}
