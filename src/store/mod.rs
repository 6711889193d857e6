//! Persistence for SQLite and PostgreSQL, written once over `sqlx::Any`.
//!
//! Instants are integer UTC seconds and ids are text, so the same SQL text and the same
//! semantics serve both backends (DESIGN §5). Backend-specific DDL lives in
//! `migrations/sqlite` and `migrations/postgres` under the same version names.
//!
//! Every write that can change an office's feasibility goes through [`WriteTx`], which
//! takes the database write lock up front on SQLite (`BEGIN IMMEDIATE`) and, on
//! PostgreSQL, row locks: on the citizen first (when the use case has one), then on the
//! office.

/// The columns of an appointment row, in the order `rows::AppointmentRow` reads them; one
/// list for every statement that reads or writes whole appointments.
macro_rules! appointment_columns {
    () => {
        "id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until, \
         status, sequence, citizen_name, document, document_type, email, phone, created_at, updated_at"
    };
}

/// `SELECT` of whole appointments with the given `WHERE` clause (a literal).
macro_rules! select_appointments {
    ($where:literal) => {
        concat!(
            "SELECT ",
            appointment_columns!(),
            " FROM appointments WHERE ",
            $where
        )
    };
}

mod bulk;
mod error;
mod owners;
mod pipeline;
mod queries;
mod retention;
mod rows;
mod staff;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor, Transaction};

pub use bulk::*;
pub use error::StoreError;
pub use owners::*;
pub use pipeline::*;
pub use queries::*;
pub use retention::*;
pub use rows::{AuditEntry, HoldRecord, IdempotencyRecord, instant};
pub use staff::*;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
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

tokio::task_local! {
    /// How long the writes of the current request waited for their turn so far.
    static WAITED: std::cell::Cell<Option<Duration>>;
}

/// Runs `request`, adding up how long its writes waited for their turn at the database
/// (SQLite's write queue, a pool connection, an office's lock; over every retry): `None`
/// when it wrote nothing. Load shedding sizes what it admits by it.
pub async fn measure_waits<F: Future>(request: F) -> (F::Output, Option<Duration>) {
    WAITED
        .scope(std::cell::Cell::new(None), async {
            let output = request.await;
            (output, WAITED.with(std::cell::Cell::get))
        })
        .await
}

/// A write of the current request waited `waited` for its turn at the database (nothing
/// outside [`measure_waits`]).
pub fn record_wait(waited: Duration) {
    let _ = WAITED.try_with(|total| total.set(Some(total.get().unwrap_or_default() + waited)));
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite admits one writer at a time and makes the others poll with growing sleeps
    /// (its busy handler); queueing this process's writers here hands the lock over at
    /// once instead. Other processes still wait through `busy_timeout`.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// The URL may carry a password: never print it.
impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

impl Store {
    /// Connects (creating a missing SQLite file) and prepares each connection.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let connect = AnyConnectOptions::from_str(&url).map_err(StoreError::from)?;
        let connect = match options.log_slow_statements {
            None => connect.disable_statement_logging(),
            Some(threshold) => connect
                .log_statements(tracing::log::LevelFilter::Off)
                .log_slow_statements(tracing::log::LevelFilter::Warn, threshold),
        };
        let mut pragmas = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
            match options.sqlite_synchronous {
                SqliteSync::Full => "FULL",
                SqliteSync::Normal => "NORMAL",
            },
            options.sqlite_busy_timeout.as_millis()
        );
        if let Some(pages) = options.sqlite_max_page_count {
            pragmas.push_str(&format!(" PRAGMA max_page_count = {pages};"));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _meta| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let write_gate =
            (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Store {
            pool,
            backend,
            write_gate,
        })
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers whether the database is reachable (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// A connection for reads outside a write transaction.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction holding the database write lock from its first statement
    /// on SQLite (a deferred transaction that upgrades would fail with `SQLITE_BUSY` at
    /// once, ignoring `busy_timeout`).
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let asked = Instant::now();
        let gate = match &self.write_gate {
            Some(gate) => Some(Arc::clone(gate).lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        record_wait(asked.elapsed());
        Ok(WriteTx { tx, _gate: gate })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Most connections the pool opens: how many statements run at once.
    pub fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A write transaction. Take locks in a fixed order: the citizen, then the office.
#[derive(Debug)]
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
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

#[cfg(test)]
mod wait_tests {
    use std::time::Duration;

    use super::{measure_waits, record_wait};

    #[tokio::test]
    async fn waits_add_up_per_request_and_only_inside_one() {
        record_wait(Duration::from_millis(5)); // outside any request: ignored
        let ((), waited) = measure_waits(async {
            record_wait(Duration::from_millis(3));
            tokio::task::yield_now().await;
            record_wait(Duration::from_millis(4));
        })
        .await;
        assert_eq!(waited, Some(Duration::from_millis(7)));
        let ((), waited) = measure_waits(async {}).await;
        assert_eq!(waited, None, "a request that wrote nothing");
    }
}
