//! The shapes of the API's values, for the OpenAPI document (`openapi.rs`).
//!
//! Contract: each schema here accepts only values the server accepts, so that a client
//! (or a fuzzer) that follows the document is never refused with 400 or 422
//! `validation_failed` for the shape of a value. Where a rule cannot be written as JSON
//! Schema, the schema says so:
//! - the check letter of a DNI or NIE is a `format` of its own (`dni`, `nie`,
//!   `dni-or-nie`) on top of a pattern for the shape; a wrong letter is 422
//!   `invalid_document`;
//! - the booking window, free slots and the longest ranges of `/days` and closures
//!   depend on the time and the data: they are documented answers (409, 422), not shapes.
//!
//! The patterns are ECMA-262 and Python compatible (no `\s`, `\p`): whitespace and control
//! characters are spelled as the ranges Rust's `char::is_whitespace`/`is_control` use.
//!
//! Keep each pattern beside the rule it mirrors: `domain::document`, `domain::locator`,
//! `booking::request`, `booking::staff` and `http::extract`.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

/// Control characters (`char::is_control`: Unicode category Cc).
const CONTROL: &str = "\\u0000-\\u001f\\u007f-\\u009f";
/// Characters `str::trim` removes (Unicode White_Space), the controls among them included.
const WHITESPACE: &str =
    "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/// What the document parser drops before reading a document (`domain::document::normalize`).
const DOC_SEPARATORS: &str = "[ .\\t-]*";

/// 8 characters of Crockford base32, in any case (`domain::locator`).
pub const LOCATOR_PATTERN: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{8}$";
/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters (`http::extract`).
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

fn string(pattern: String, max_length: Option<usize>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(max_length)
        .description(Some(description))
}

fn custom(format: &str) -> Option<SchemaFormat> {
    Some(SchemaFormat::Custom(format.to_owned()))
}

/// A DNI's shape: 8 digits and a letter, separators anywhere.
fn dni_shape() -> String {
    let s = DOC_SEPARATORS;
    format!("{s}(?:[0-9]{s}){{8}}[A-Za-z]{s}")
}

/// A NIE's shape: X, Y or Z, 7 digits and a letter, separators anywhere.
fn nie_shape() -> String {
    let s = DOC_SEPARATORS;
    format!("{s}[XYZxyz]{s}(?:[0-9]{s}){{7}}[A-Za-z]{s}")
}

/// Declares a string schema component named after the type.
macro_rules! string_component {
    ($(#[$meta:meta])* $name:ident => $build:expr) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let builder: ObjectBuilder = $build;
                builder.into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

string_component!(
    /// An appointment's locator.
    Locator => string(
        LOCATOR_PATTERN.to_owned(),
        None,
        "8 characters of Crockford base32 (0-9 and A-Z without I, L, O, U), in any case. \
         The server also reads spaces and dashes between them and the look-alikes O (0), I \
         and L (1); an unknown or malformed locator is 404.",
    )
);

string_component!(
    /// A DNI with its check letter.
    Dni => string(
        format!("^{}$", dni_shape()),
        None,
        "DNI: 8 digits and the check letter TRWAGMYFPDXBNJZSQVHLCKE[number mod 23], in any \
         case; spaces, dots and dashes are ignored. The check letter is the `dni` format: a \
         wrong one is 422 invalid_document.",
    )
    .format(custom("dni"))
);

string_component!(
    /// A NIE with its check letter.
    Nie => string(
        format!("^{}$", nie_shape()),
        None,
        "NIE: X, Y or Z (read as 0, 1, 2), 7 digits and the check letter, in any case; \
         spaces, dots and dashes are ignored. The check letter is the `nie` format: a wrong \
         one is 422 invalid_document.",
    )
    .format(custom("nie"))
);

string_component!(
    /// A DNI or a NIE with its check letter.
    DniOrNie => string(
        format!("^(?:{}|{})$", dni_shape(), nie_shape()),
        None,
        "A DNI (8 digits and a letter) or a NIE (X, Y or Z, 7 digits and a letter), in any \
         case; spaces, dots and dashes are ignored. The check letter is the `dni-or-nie` \
         format: a wrong one is 422 invalid_document.",
    )
    .format(custom("dni-or-nie"))
);

string_component!(
    /// A passport number.
    Passport => string(
        format!("^{s}(?:[A-Za-z0-9]{s}){{5,20}}$", s = DOC_SEPARATORS),
        None,
        "5 to 20 letters (A-Z, any case) and digits; spaces, dots and dashes are ignored.",
    )
);

string_component!(
    /// Any identity document, as typed (look-ups compare it with the stored one).
    AnyDocument => string(
        format!("^{s}(?:[A-Za-z0-9]{s}){{5,20}}$", s = DOC_SEPARATORS),
        None,
        "The document the appointment was booked with (DNI, NIE or passport number), in any \
         case; spaces, dots and dashes are ignored.",
    )
);

string_component!(
    /// A citizen's name.
    CitizenName => string(
        format!("^[^{CONTROL}]*[^{WHITESPACE}{CONTROL}][^{CONTROL}]*$"),
        Some(200),
        "1 to 200 characters, not all whitespace, without control characters.",
    )
);

string_component!(
    /// A citizen's e-mail address.
    Email => string(
        // ASCII only, so that the server's limit of 254 bytes is `maxLength` 254.
        "^[!-?A-~]+@[!-~]*\\.[!-~]*$".to_owned(),
        Some(254),
        "An e-mail address: something, `@`, a host name with a dot; no spaces or control \
         characters; at most 254 characters.",
    )
);

string_component!(
    /// A citizen's phone number.
    Phone => string(
        "^[+ ()-]*(?:[0-9][+ ()-]*){6,20}$".to_owned(),
        None,
        "6 to 20 digits, with `+`, spaces, dashes and parentheses allowed between them.",
    )
);

string_component!(
    /// The id of a hold, as `POST /api/v1/holds` issued it.
    HoldId => string(
        "^[!-~]{1,64}$".to_owned(),
        Some(64),
        "A hold's id (issued as 32 hexadecimal digits): 1 to 64 visible ASCII characters. \
         A hold that does not exist or expired is ignored (the time is booked if free).",
    )
);

string_component!(
    /// Why staff changed an appointment, for the audit trail.
    TransitionReason => string(
        format!("^[^{CONTROL}]*$"),
        Some(500),
        "At most 500 characters, without control characters; empty means none.",
    )
);

string_component!(
    /// Why an office closes.
    ClosureReason => string(
        format!("^[{WHITESPACE}]*[^{WHITESPACE}][\\s\\S]*$"),
        Some(500),
        "1 to 500 characters, not all whitespace.",
    )
);

/// An instant: RFC 3339 with offset.
pub fn date_time(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(description))
}

string_component!(
    /// An instant in a request: RFC 3339 with offset.
    Instant => date_time(
        "RFC 3339 date and time with offset, e.g. `2027-03-29T09:00:00+02:00`. Only the \
         candidate starts of the procedure within its booking window can be booked or held \
         (409 slot_unavailable, 422 outside_booking_window otherwise).",
    )
);

string_component!(
    /// An instant in an answer: RFC 3339 with the office's offset at that instant.
    LocalInstant => date_time(
        "RFC 3339 date and time with the office's UTC offset at that instant, e.g. \
         `2027-03-29T09:00:00+02:00`.",
    )
);

string_component!(
    /// An appointment's status.
    AppointmentStatus => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["booked", "checked_in", "completed", "no_show", "cancelled"]))
);

/// The `citizen` member of a booking: which document shapes are valid depends on
/// `document_type`, so it is one object schema per declared type.
pub fn citizen_schema() -> RefOr<Schema> {
    let variant = |document: &str, document_type: Option<&str>, description: &str| {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description))
            .property("name", reference::<CitizenName>())
            .required("name")
            .property(
                "document",
                RefOr::Ref(utoipa::openapi::Ref::from_schema_name(document)),
            )
            .required("document")
            .property("email", nullable::<Email>())
            .property("phone", nullable::<Phone>())
            .property(
                "language",
                utoipa::openapi::schema::OneOfBuilder::new()
                    .item(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(crate::domain::MESSAGE_LANGUAGES.iter().copied())),
                    )
                    .item(ObjectBuilder::new().schema_type(Type::Null))
                    .description(Some(
                        "The language of the citizen's messages (Spanish when missing).",
                    )),
            )
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        object = match document_type {
            Some(kind) => object
                .property(
                    "document_type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([kind]))
                        .description(Some("`dni`, `nie` or `passport`")),
                )
                .required("document_type"),
            None => object.property(
                "document_type",
                ObjectBuilder::new()
                    .schema_type(Type::Null)
                    .description(Some("without it, a DNI or NIE is expected")),
            ),
        };
        RefOr::T(Schema::Object(object.build()))
    };
    AnyOfBuilder::new()
        .description(Some(
            "The citizen: name, document (spaces, dots and dashes ignored), and optionally \
             e-mail and phone (empty or null means none). `document_type` says which \
             document it is; without it a DNI or NIE is expected.",
        ))
        .item(variant("DniOrNie", None, "DNI or NIE, no document_type"))
        .item(variant("Dni", Some("dni"), "DNI"))
        .item(variant("Nie", Some("nie"), "NIE"))
        .item(variant("Passport", Some("passport"), "passport"))
        .into()
}

/// Whether `text` matches [`AnyDocument`]'s pattern: 5 to 20 letters and digits, with
/// spaces, dots, tabs and dashes anywhere.
pub fn is_any_document(text: &str) -> bool {
    let kept: Vec<char> = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '\t' | '-'))
        .collect();
    (5..=20).contains(&kept.len()) && kept.iter().all(char::is_ascii_alphanumeric)
}

/// Whether `text` matches [`Email`]'s pattern (and its 254 characters).
pub fn is_email(text: &str) -> bool {
    let Some((user, host)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !user.is_empty()
        && text.chars().all(|c| ('!'..='~').contains(&c))
        && host.contains('.')
}

/// A `$ref` to `T`'s component.
pub fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

/// `T` or `null`.
pub fn nullable<T: ToSchema>() -> RefOr<Schema> {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(reference::<T>())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// Every component above, for `openapi.rs` to register.
pub fn components() -> Vec<(String, RefOr<Schema>)> {
    fn entry<T: ToSchema>() -> (String, RefOr<Schema>) {
        (T::name().into_owned(), T::schema())
    }
    vec![
        entry::<Locator>(),
        entry::<Dni>(),
        entry::<Nie>(),
        entry::<DniOrNie>(),
        entry::<Passport>(),
        entry::<AnyDocument>(),
        entry::<CitizenName>(),
        entry::<Email>(),
        entry::<Phone>(),
        entry::<HoldId>(),
        entry::<TransitionReason>(),
        entry::<ClosureReason>(),
        entry::<Instant>(),
        entry::<LocalInstant>(),
        entry::<AppointmentStatus>(),
    ]
}
