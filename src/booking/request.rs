//! Inputs of the use cases, validated at the boundary.

use chrono::{DateTime, Utc};

use crate::domain::{Document, DocumentError, MESSAGE_LANGUAGES, OfficeId, ServiceId};

use super::BookingError;
use super::secrets::sha256_hex;

/// Who asks for a change; recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Citizen,
    Staff {
        user: String,
    },
    System,
    /// A release draw booking an entrant's appointment.
    Draw,
}

impl Actor {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Actor::Citizen => "citizen",
            Actor::Staff { .. } => "staff",
            Actor::System => "system",
            Actor::Draw => "draw",
        }
    }

    pub(crate) fn id(&self) -> Option<String> {
        match self {
            Actor::Staff { user } => Some(user.clone()),
            _ => None,
        }
    }
}

/// The citizen's details as typed into the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenInput {
    pub name: String,
    pub document: String,
    pub document_type: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The language the citizen's messages are written in, one of [`MESSAGE_LANGUAGES`]
    /// (Spanish when missing).
    pub language: Option<String>,
}

/// A request to book `service` at `start` in `office`, optionally consuming a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRequest {
    pub office_id: OfficeId,
    pub service_id: ServiceId,
    pub start: DateTime<Utc>,
    pub hold_id: Option<String>,
    pub citizen: CitizenInput,
}

/// Refuses a `hold_id` that no hold can have: holds get 32 hex digits, and the check
/// keeps control characters (a NUL cannot even be stored) away from the database.
pub(crate) fn check_hold_id(hold_id: Option<&str>) -> Result<(), BookingError> {
    match hold_id {
        Some(id) if id.trim().is_empty() => {
            Err(BookingError::Validation("hold_id must not be empty".into()))
        }
        Some(id) if id.len() > 64 || !id.chars().all(|c| c.is_ascii_graphic()) => Err(
            BookingError::Validation("hold_id must be at most 64 visible characters".into()),
        ),
        _ => Ok(()),
    }
}

/// Citizen details after validation.
#[derive(Debug, Clone)]
pub(crate) struct ValidCitizen {
    pub name: String,
    pub document: Document,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// One of [`MESSAGE_LANGUAGES`].
    pub language: String,
}

/// One thing wrong with what a citizen typed, and which field it is about: the pages
/// show each at its field, the API answers the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenProblem {
    NameEmpty,
    NameTooLong,
    Document(DocumentError),
    Email,
    Phone,
    Language,
}

impl CitizenProblem {
    fn into_error(self) -> BookingError {
        match self {
            CitizenProblem::NameEmpty => {
                BookingError::Validation("citizen.name must not be empty".into())
            }
            CitizenProblem::NameTooLong => BookingError::Validation(
                "citizen.name must be at most 200 printable characters".into(),
            ),
            CitizenProblem::Document(error) => BookingError::InvalidDocument(error),
            CitizenProblem::Email => {
                BookingError::Validation("citizen.email is not a valid e-mail address".into())
            }
            CitizenProblem::Phone => {
                BookingError::Validation("citizen.phone must have 6 to 20 digits".into())
            }
            CitizenProblem::Language => BookingError::Validation(format!(
                "citizen.language must be one of {}",
                MESSAGE_LANGUAGES.join(", ")
            )),
        }
    }
}

impl CitizenInput {
    /// Every problem with these details, document first, then name, e-mail, phone.
    pub fn problems(&self) -> Vec<CitizenProblem> {
        let mut problems = Vec::new();
        if let Err(error) = Document::parse(&self.document, self.document_type.as_deref()) {
            problems.push(CitizenProblem::Document(error));
        }
        let name = self.name.trim();
        if name.is_empty() {
            problems.push(CitizenProblem::NameEmpty);
        } else if name.chars().count() > 200 || name.chars().any(char::is_control) {
            problems.push(CitizenProblem::NameTooLong);
        }
        if let Some(email) = non_empty(&self.email)
            && !plausible_email(&email)
        {
            problems.push(CitizenProblem::Email);
        }
        if let Some(phone) = non_empty(&self.phone) {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
            if !allowed || !(6..=20).contains(&digits) {
                problems.push(CitizenProblem::Phone);
            }
        }
        if let Some(language) = &self.language
            && !MESSAGE_LANGUAGES.contains(&language.as_str())
        {
            problems.push(CitizenProblem::Language);
        }
        problems
    }

    pub(crate) fn validate(&self) -> Result<ValidCitizen, BookingError> {
        if let Some(problem) = self.problems().into_iter().next() {
            return Err(problem.into_error());
        }
        let document = Document::parse(&self.document, self.document_type.as_deref())?;
        Ok(ValidCitizen {
            name: self.name.trim().to_owned(),
            document,
            email: non_empty(&self.email),
            phone: non_empty(&self.phone),
            language: self
                .language
                .clone()
                .unwrap_or_else(|| MESSAGE_LANGUAGES[0].to_owned()),
        })
    }
}

/// Shaped like an e-mail address (a mail server decides the rest).
pub(crate) fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl BookRequest {
    /// A digest of everything that makes two requests "the same" for idempotency.
    pub(crate) fn fingerprint(&self) -> String {
        let c = &self.citizen;
        let canonical = serde_json::json!([
            self.office_id.as_str(),
            self.service_id.as_str(),
            self.start.timestamp(),
            self.hold_id,
            c.name,
            c.document,
            c.document_type,
            c.email,
            c.phone,
            c.language,
        ]);
        sha256_hex(&canonical.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citizen() -> CitizenInput {
        CitizenInput {
            name: "Ana García".into(),
            document: "12345678z".into(),
            document_type: None,
            email: Some("ana@example.es".into()),
            phone: Some("+34 600 000 000".into()),
            language: None,
        }
    }

    #[test]
    fn valid_citizen_is_normalized() {
        let valid = citizen().validate().unwrap();
        assert_eq!(valid.document.number(), "12345678Z");
        assert_eq!(valid.name, "Ana García");
    }

    #[test]
    fn bad_citizen_fields_are_refused() {
        let mut c = citizen();
        c.name = "   ".into();
        assert!(matches!(c.validate(), Err(BookingError::Validation(_))));
        let mut c = citizen();
        c.email = Some("not-an-email".into());
        assert!(matches!(c.validate(), Err(BookingError::Validation(_))));
        let mut c = citizen();
        c.phone = Some("call me".into());
        assert!(matches!(c.validate(), Err(BookingError::Validation(_))));
        let mut c = citizen();
        c.document = "12345678A".into();
        assert!(matches!(
            c.validate(),
            Err(BookingError::InvalidDocument(_))
        ));
        let mut c = citizen();
        c.email = Some("  ".into());
        assert_eq!(c.validate().unwrap().email, None);
    }
}
