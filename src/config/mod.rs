//! Office configuration (DESIGN §7): TOML in, validated domain values out.
//!
//! Contract:
//! - [`Config::parse`] either returns a [`Config`] whose offices satisfy every rule below,
//!   or [`ConfigError::Invalid`] listing **every** problem found, each with the 1-based line
//!   of the file it is about, sorted by line. It never panics, whatever the text.
//! - A TOML syntax error is reported alone (nothing after it can be trusted). Everything
//!   else — wrong value types, missing or unknown keys, bad values, cross references — is
//!   collected in one pass so the administrator fixes the file in one go.
//! - Any unknown key is a problem. `[limits]` is read with the surge-protection layer's
//!   own schema ([`crate::limits::LimitSettings`]); its problems point at the section.
//! - Holiday calendars given as `ics = "path"` are read through the caller's `read_file`,
//!   so parsing needs no disk; [`Config::load`] resolves paths against the file's folder.
//!
//! It works in three layers: `toml`'s spanned document (syntax), `shape` (keys and value
//! types, into raw structs whose fields carry their spans), and `validate` (values and
//! cross references, into domain types).

use std::collections::BTreeSet;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use toml::de::DeTable;

use crate::domain::{HolidayCalendarId, Office};

mod shape;
mod validate;

#[cfg(test)]
mod tests;

/// A validated office configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Kept (already resolved into each office's `holidays`) so that admin views and
    /// exports can show where a closed day comes from.
    pub holiday_calendars: Vec<HolidayCalendar>,
    pub offices: Vec<Office>,
    pub booking: BookingSettings,
    /// The `[privacy]` section: how long personal data is kept.
    pub privacy: PrivacySettings,
    /// The `[limits]` section (surge protection, DESIGN §8); defaults when absent.
    pub limits: crate::limits::LimitSettings,
}

/// A named list of closed dates shared by several offices (`es-national`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayCalendar {
    pub id: HolidayCalendarId,
    pub dates: BTreeSet<NaiveDate>,
}

/// The `[booking]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingSettings {
    /// How long a hold keeps a slot while the citizen fills the form (DESIGN §3).
    pub hold_ttl_seconds: u32,
    /// Hours before an appointment its citizen is reminded of it, once per entry
    /// (most no-shows are forgotten appointments); empty: no reminders.
    pub reminder_hours: Vec<u32>,
}

impl BookingSettings {
    pub const DEFAULT_HOLD_TTL_SECONDS: u32 = 300;
    /// Shorter holds expire while people type; longer ones let hoarders park slots.
    pub const HOLD_TTL_RANGE: RangeInclusive<u32> = 30..=3600;
    pub const DEFAULT_REMINDER_HOURS: [u32; 2] = [24, 2];
    /// From an hour to a week before; a handful at most.
    pub const REMINDER_HOURS_RANGE: RangeInclusive<u32> = 1..=168;
    pub const MAX_REMINDERS: usize = 4;
}

impl Default for BookingSettings {
    fn default() -> Self {
        BookingSettings {
            hold_ttl_seconds: Self::DEFAULT_HOLD_TTL_SECONDS,
            reminder_hours: Self::DEFAULT_REMINDER_HOURS.to_vec(),
        }
    }
}

/// The `[privacy]` section (DESIGN §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivacySettings {
    /// Days after an appointment's end its citizen's name, document, e-mail and phone
    /// are kept (for questions and complaints about it); then they are erased and only
    /// the anonymous appointment remains, for statistics.
    pub retain_personal_data_days: u32,
}

impl PrivacySettings {
    pub const DEFAULT_RETENTION_DAYS: u32 = 90;
    /// At least a day (the appointment's own follow-up), at most ten years.
    pub const RETENTION_RANGE: RangeInclusive<u32> = 1..=3650;
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            retain_personal_data_days: Self::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// One thing wrong with the configuration, located for the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// 1-based line in the configuration text.
    pub line: usize,
    /// Plain language, one line, naming the office/desk/service involved.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text was read but is not a valid configuration; every problem is listed.
    #[error("{}", ProblemList(.0))]
    Invalid(Vec<ConfigProblem>),
    /// The configuration file itself could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The problems of an invalid configuration (empty for an I/O error).
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigError::Invalid(problems) => problems,
            ConfigError::Io { .. } => &[],
        }
    }
}

struct ProblemList<'a>(&'a [ConfigProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Parses and validates; `read_file` resolves `ics = "…"` paths (relative to the config
    /// file's folder) so the parser itself stays testable without a disk.
    pub fn parse(
        text: &str,
        read_file: &dyn Fn(&str) -> std::io::Result<String>,
    ) -> Result<Config, ConfigError> {
        let mut problems = Problems::new(text);
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(error) => {
                let at = error.span().unwrap_or(0..0);
                problems.at(&at, format!("invalid TOML: {}", error.message()));
                return Err(ConfigError::Invalid(problems.into_sorted()));
            }
        };
        let raw = shape::read(&root, &mut problems);
        let config = validate::build(&raw, read_file, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            Some(_) => Err(ConfigError::Invalid(problems.into_sorted())),
            None => {
                if problems.is_empty() {
                    // Defensive: validation declined without saying why. Never accept it.
                    problems.at(&(0..0), "the configuration could not be validated");
                }
                Err(ConfigError::Invalid(problems.into_sorted()))
            }
        }
    }

    /// Reads the file at `path` and resolves ics paths relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let folder = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Config::parse(&text, &|ics: &str| {
            std::fs::read_to_string(folder.join(ics))
        })
    }
}

/// Collects problems, turning byte spans into 1-based lines.
#[derive(Debug)]
pub(crate) struct Problems {
    /// Byte offset of every `\n` in the text.
    newlines: Vec<usize>,
    list: Vec<ConfigProblem>,
}

impl Problems {
    fn new(text: &str) -> Self {
        Problems {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
            list: Vec::new(),
        }
    }

    /// The 1-based line holding byte `offset` (offsets past the end land on the last line).
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    /// Records a problem about the text at `span` (its first line).
    fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let message: String = message.into();
        self.list.push(ConfigProblem {
            line: self.line(span.start),
            message: message.replace(['\r', '\n'], " "),
        });
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn into_sorted(mut self) -> Vec<ConfigProblem> {
        self.list.sort_by_key(|p| p.line);
        self.list
    }
}
