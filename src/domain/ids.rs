//! Identifier newtypes, so an office id is never passed where a desk id belongs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    };
}

string_id!(
    /// An office, unique across the configuration (`madrid-extranjeria`).
    OfficeId
);
string_id!(
    /// A procedure. The same id in two offices names the same procedure, and per-citizen
    /// limits count across offices by it.
    ServiceId
);
string_id!(
    /// A desk, unique within its office.
    DeskId
);
string_id!(
    /// A holiday calendar, unique across the configuration.
    HolidayCalendarId
);
