//! SQLite: one writer at a time. A write transaction takes the database write lock with
//! its first statement (`BEGIN IMMEDIATE`), which already excludes every other writer, so
//! no lock on a citizen, an owner or an office row is needed for correctness (the office
//! row's version still moves, for the availability caches). A batch of bookings reads
//! statement by statement and writes with a few multi-row statements.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

use super::options::{SqliteSync, StoreOptions, open_pool};
use super::sql::{self, Sql};
use super::{
    BookingBegin, BookingLocks, BookingTx, BookingWrite, ConnectionSlot, Database, Records,
    StoreError, StoredKey, WriteTx, appointments, bulk, holds, idempotency, record_wait,
};

/// An SQLite database file.
#[derive(Debug)]
pub(super) struct Sqlite {
    pool: AnyPool,
    /// SQLite admits one writer at a time and makes the others poll with growing sleeps
    /// (its busy handler); queueing this process's writers here hands the lock over at
    /// once instead. Other processes still wait through `busy_timeout`.
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction holding the database write lock and this process's write gate.
type SqliteTx = Sql<Transaction<'static, Any>>;

/// A batch of bookings' transaction: a write transaction that writes the batch at its end.
#[derive(Debug)]
struct SqliteBatch(SqliteTx);

impl Sqlite {
    /// Opens (creating a missing file) with WAL, the chosen durability, a busy timeout and
    /// foreign keys on every connection.
    pub(super) async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let url = if url.contains("mode=") {
            url.to_owned()
        } else {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
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
        Ok(Sqlite {
            pool: open_pool(&url, options, Some(pragmas)).await?,
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        let asked = Instant::now();
        let gate = Arc::clone(&self.write_gate).lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        record_wait(asked.elapsed());
        Ok(Sql::single_writer(tx, gate))
    }
}

#[async_trait]
impl Database for Sqlite {
    async fn migrate(&self) -> Result<(), StoreError> {
        sql::migrate(&sqlx::migrate!("migrations/sqlite"), &self.pool).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sql::ping(&self.pool).await
    }

    async fn read(&self) -> Result<Box<dyn Records>, StoreError> {
        sql::read(&self.pool).await
    }

    async fn begin_write(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        Ok(Box::new(self.begin().await?))
    }

    /// The write lock serializes everything; then every read, statement by statement.
    async fn begin_booking(
        &self,
        _held: &ConnectionSlot,
        begin: &BookingBegin<'_>,
    ) -> Result<(Box<dyn BookingTx>, BookingLocks), StoreError> {
        let mut tx = self.begin().await?;
        let read = read_for_booking(&mut tx, begin).await?;
        Ok((Box::new(SqliteBatch(tx)), read))
    }

    fn commits_durably(&self) -> bool {
        true
    }

    async fn flush_commits(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    fn sql_pool(&self) -> Option<&AnyPool> {
        Some(&self.pool)
    }
}

/// What a batch of bookings reads under the write lock.
async fn read_for_booking(
    conn: &mut dyn Records,
    begin: &BookingBegin<'_>,
) -> Result<BookingLocks, StoreError> {
    let active = conn
        .citizens_active_appointments(begin.documents, begin.now)
        .await?;
    let mut locks = Vec::with_capacity(begin.offices.len());
    for &office_id in begin.offices {
        match conn.lock_office(office_id).await {
            Ok(lock) => locks.push((office_id.clone(), lock)),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    let mut keys = HashMap::new();
    for &key in begin.keys {
        if let Some(record) = conn.find_idempotency(key, begin.now).await? {
            let appointment = conn.find_appointment(&record.appointment_id).await?;
            keys.insert(
                key.to_owned(),
                StoredKey {
                    record,
                    appointment,
                },
            );
        }
    }
    let holds = conn.holds_by_id(begin.holds).await?;
    Ok(BookingLocks {
        locks,
        active,
        occupancies: None,
        keys,
        holds,
    })
}

/// Writes a batch of bookings statement by statement inside the caller's transaction
/// (SQLite, which runs in the process; PostgreSQL batches send theirs in one call,
/// `postgres::pipeline`).
async fn write_booking(
    conn: &mut AnyConnection,
    write: &BookingWrite<'_>,
) -> Result<(), StoreError> {
    for (id, desk) in write.moves {
        appointments::update_desk(conn, id, desk).await?;
    }
    for (id, desk) in write.hold_moves {
        holds::update_hold_desk(conn, id, desk).await?;
    }
    bulk::delete_holds(conn, write.consumed_holds).await?;
    bulk::insert_appointments(conn, write.appointments).await?;
    bulk::insert_tokens(conn, write.tokens, write.now).await?;
    bulk::insert_audits(conn, write.audit).await?;
    if !write.outbox.is_empty() {
        super::outbox::insert(conn, write.outbox, write.now).await?;
    }
    for record in write.idempotency {
        idempotency::insert_idempotency(conn, record).await?;
    }
    Ok(())
}

#[async_trait]
impl BookingTx for SqliteBatch {
    fn conn(&mut self) -> Result<&mut dyn Records, StoreError> {
        Ok(&mut self.0)
    }

    async fn write_and_commit(
        mut self: Box<Self>,
        write: &BookingWrite<'_>,
        _held: &ConnectionSlot,
    ) -> Result<(), StoreError> {
        write_booking(self.0.conn(), write).await?;
        Box::new(self.0).commit().await
    }

    /// Dropping sqlx's transaction rolls it back.
    async fn rollback(self: Box<Self>) {}
}
