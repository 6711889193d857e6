//! Importing the office configuration into the database, so every instance behind a
//! balancer serves the same offices. Idempotent: the same document imports as unchanged.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use crate::config::{Config, ConfigError};
use crate::store::Records;
use crate::store::{ConfigRecord, Store, StoreError};

use super::Catalog;
use super::secrets::sha256_hex;

/// A configuration document together with the `.ics` files it names, so it can be stored
/// and parsed again anywhere without the original folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub toml: String,
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored configuration cannot be read: {0}")]
    Stored(String),
}

/// Whether an import changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Unchanged { version: i64 },
    Imported { version: i64 },
}

impl ConfigSource {
    /// Reads the file at `path` and every file it references (relative to its folder).
    pub fn read(path: &Path) -> Result<ConfigSource, ConfigError> {
        let toml = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let folder = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let files = RefCell::new(BTreeMap::new());
        Config::parse(&toml, &|name: &str| {
            let text = std::fs::read_to_string(folder.join(name))?;
            files.borrow_mut().insert(name.to_owned(), text.clone());
            Ok(text)
        })?;
        Ok(ConfigSource {
            toml,
            files: files.into_inner(),
        })
    }

    /// A document with no referenced files (inline holiday dates only).
    pub fn inline(toml: impl Into<String>) -> ConfigSource {
        ConfigSource {
            toml: toml.into(),
            files: BTreeMap::new(),
        }
    }

    pub fn parse(&self) -> Result<Config, ConfigError> {
        Config::parse(&self.toml, &|name: &str| {
            self.files.get(name).cloned().ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{name} was not stored"),
                )
            })
        })
    }

    pub(crate) fn digest(&self) -> String {
        let files = serde_json::to_string(&self.files).unwrap_or_default();
        sha256_hex(&format!("{}\u{0}{}", self.toml, files))
    }
}

impl Catalog {
    /// The offices and booking settings of a validated configuration.
    pub fn from_config(config: &Config) -> Catalog {
        Catalog::new(
            config.offices.iter().cloned(),
            Duration::seconds(i64::from(config.booking.hold_ttl_seconds)),
        )
        .with_retention(Duration::days(i64::from(
            config.privacy.retain_personal_data_days,
        )))
        .with_reminder_hours(&config.booking.reminder_hours)
    }
}

/// Validates `source` and stores it, creating rows for new offices. Importing the same
/// document again changes nothing.
pub async fn import_config(
    store: &Store,
    source: &ConfigSource,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, ImportError> {
    let config = source.parse()?;
    let mut tx = store.begin_write().await?;
    let outcome = store_config(tx.conn(), source, &config, now).await?;
    if let ImportOutcome::Imported { .. } = outcome {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// Stores an already validated `source` (parsed as `config`) inside the caller's write
/// transaction: the admin API checks and cancels what a change strands in the same one.
pub(crate) async fn store_config(
    conn: &mut dyn Records,
    source: &ConfigSource,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, ImportError> {
    let digest = source.digest();
    let stored = conn.load_config().await?;
    if let Some(stored) = &stored
        && stored.digest == digest
    {
        return Ok(ImportOutcome::Unchanged {
            version: stored.version,
        });
    }
    for office in &config.offices {
        conn.ensure_office(&office.id).await?;
    }
    let version = stored.map_or(1, |s| s.version + 1);
    let files =
        serde_json::to_string(&source.files).map_err(|e| ImportError::Stored(e.to_string()))?;
    conn.save_config(
        &ConfigRecord {
            toml: source.toml.clone(),
            files,
            digest,
            version,
        },
        now,
    )
    .await?;
    Ok(ImportOutcome::Imported { version })
}

/// The configuration stored in the database, if one was imported.
pub async fn load_stored_config(store: &Store) -> Result<Option<(ConfigSource, i64)>, ImportError> {
    let mut conn = store.read().await?;
    let Some(record) = conn.load_config().await? else {
        return Ok(None);
    };
    let files: BTreeMap<String, String> =
        serde_json::from_str(&record.files).map_err(|e| ImportError::Stored(e.to_string()))?;
    Ok(Some((
        ConfigSource {
            toml: record.toml,
            files,
        },
        record.version,
    )))
}
