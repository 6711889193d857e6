//! How to reach the database: which backend a URL names, and the settings beyond it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use super::StoreError;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's durability trade-off (`PRAGMA synchronous`). In WAL mode both survive a
/// crash of the process (`kill -9`); only `Full` also survives a power loss or an OS
/// crash, at the cost of an fsync per commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    #[default]
    Full,
    Normal,
}

impl FromStr for SqliteSync {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(SqliteSync::Full),
            "normal" => Ok(SqliteSync::Normal),
            other => Err(format!(
                "unknown SQLite synchronous mode {other:?}; use full or normal"
            )),
        }
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSync,
    /// How long a writer waits for SQLite's write lock before giving up.
    pub sqlite_busy_timeout: Duration,
    /// How long a request waits for a connection (and for the database to accept one)
    /// before it is answered 503 `unavailable`: an unreachable database must not hold
    /// requests for long.
    pub acquire_timeout: Duration,
    /// Caps the SQLite file at this many pages: past it a write fails as on a full disk
    /// (SQLITE_FULL, answered 503 `unavailable`). `None`: only the disk limits it.
    pub sqlite_max_page_count: Option<u64>,
    /// Log statements slower than this (their text, which never holds personal data: every
    /// value is a bound parameter). `None`, the default, logs no statement at all.
    pub log_slow_statements: Option<Duration>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            sqlite_synchronous: SqliteSync::Full,
            sqlite_busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(1),
            sqlite_max_page_count: None,
            log_slow_statements: None,
        }
    }
}

impl Backend {
    pub(super) fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// A pool on `url` with `options`; `on_connect` runs on every new connection (SQLite's
/// pragmas).
pub(super) async fn open_pool(
    url: &str,
    options: &StoreOptions,
    on_connect: Option<String>,
) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let connect = AnyConnectOptions::from_str(url).map_err(StoreError::from)?;
    let connect = match options.log_slow_statements {
        None => connect.disable_statement_logging(),
        Some(threshold) => connect
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Warn, threshold),
    };
    Ok(AnyPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .after_connect(move |conn, _meta| {
            let on_connect = on_connect.clone();
            Box::pin(async move {
                if let Some(sql) = on_connect {
                    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
                }
                Ok(())
            })
        })
        .connect_with(connect)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration_names(backend: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let sqlite = migration_names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, migration_names("postgres"));
    }

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            Backend::from_url("sqlite://cita.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
        assert_eq!("NORMAL".parse::<SqliteSync>(), Ok(SqliteSync::Normal));
        assert!("off".parse::<SqliteSync>().is_err());
    }
}
