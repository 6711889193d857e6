//! Store errors, classified so the booking layer can retry what is worth retrying.

use std::sync::Arc;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write (for example a locator already taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Lost a race the database detected (serialization failure, deadlock, exclusion
    /// constraint, SQLite busy): the whole transaction may be retried.
    #[error("transient database conflict: {0}")]
    Retryable(String),
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The database cannot be reached or cannot take writes (down, restarting, refusing
    /// connections, its disk full): nothing was changed, and trying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// One error that several readers of a shared query all received.
    #[error("{0}")]
    Shared(Arc<StoreError>),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Retryable(_) => true,
            StoreError::Shared(inner) => inner.is_retryable(),
            _ => false,
        }
    }

    /// Whether the database is out of reach (or out of space) rather than refusing this
    /// request for a reason of its own.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Shared(inner) => inner.is_unavailable(),
            _ => false,
        }
    }

    /// The error itself when this reader was the last to hold it, else it shared.
    pub fn shared(error: Arc<StoreError>) -> StoreError {
        Arc::try_unwrap(error).unwrap_or_else(StoreError::Shared)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => return StoreError::NotFound,
            // No connection in time (the server is down or refuses them), the connection
            // lost, the pool shut down.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => return StoreError::Unavailable(error.to_string()),
            _ => {}
        }
        if let sqlx::Error::Database(db) = &error {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = db.message().to_owned();
            // PostgreSQL: serialization failure, deadlock, exclusion violation.
            if matches!(code.as_str(), "40001" | "40P01" | "23P01") {
                return StoreError::Retryable(format!("{code}: {message}"));
            }
            // SQLite: SQLITE_BUSY (5) and its extended codes, SQLITE_LOCKED (6).
            if matches!(code.as_str(), "5" | "6" | "261" | "517" | "262")
                || message.contains("database is locked")
            {
                return StoreError::Retryable(format!("{code}: {message}"));
            }
            // PostgreSQL: the server shutting down or starting (57P01-57P03), out of
            // connections (53300), out of disk (53100), connection exceptions (08xxx).
            // SQLite: the disk full (13, SQLITE_FULL), an I/O error (10 and its extended
            // codes, whose low byte is 10), the file unopenable (14).
            let unavailable_pg = code.starts_with("08")
                || matches!(
                    code.as_str(),
                    "57P01" | "57P02" | "57P03" | "53300" | "53100"
                );
            let sqlite = code.parse::<u32>().ok();
            let unavailable_sqlite = sqlite.is_some_and(|c| c == 13 || c == 14 || c & 0xff == 10);
            if unavailable_pg || unavailable_sqlite {
                return StoreError::Unavailable(format!("{code}: {message}"));
            }
            // Unique violations: PostgreSQL 23505, SQLite 2067 / 1555.
            if matches!(code.as_str(), "23505" | "2067" | "1555") {
                return StoreError::Conflict(message);
            }
        }
        StoreError::Database(error)
    }
}
