//! A batch of bookings' transaction on PostgreSQL, in two round trips: `BEGIN` and
//! `cita_book_begin` (the locks and every read, in one statement), then `cita_book_write`
//! (every write) and `COMMIT`. Each server-side function takes one JSON document as a
//! bound parameter, so no name, document, e-mail or phone is ever part of a statement's
//! text: PostgreSQL writes the text of every failed statement to its log by default
//! (`log_min_error_statement`) and shows it to monitoring users in `pg_stat_activity`,
//! but not the parameters. The functions lock, read and write; every rule is decided in
//! Rust, between the two calls.
//!
//! The worker keeps its connection from one batch to the next ([`HeldConnection`]), and
//! the transaction commits asynchronously; its bookings are acknowledged after a later
//! synchronous commit flushed the log past it ([`super::flush::Flusher`]).

use async_trait::async_trait;
use sqlx::Any;
use sqlx::pool::PoolConnection;

use super::super::booking_tx::HeldConnection;
use super::super::sql::Sql;
use super::super::{BookingLocks, BookingTx, BookingWrite, ConnectionSlot, Records, StoreError};
use super::json::{begin_params, parse_begin, write_params};

/// A PostgreSQL transaction begun by [`begin`]: its connection stays out of the pool until
/// it is committed or rolled back. Dropped while open (a failed rollback, a cancelled
/// task), the connection is closed, which aborts the transaction.
#[derive(Debug)]
pub(super) struct PipelinedTx {
    /// `Some` while the transaction is open; taken when it ends.
    sql: Option<Sql<PoolConnection<Any>>>,
}

/// Begins a booking transaction on `conn`: `BEGIN`, then `cita_book_begin` (migration
/// 0004) with `begin` as its parameter.
pub(super) async fn begin(
    conn: PoolConnection<Any>,
    begin: &super::super::BookingBegin<'_>,
) -> Result<(PipelinedTx, BookingLocks), StoreError> {
    let params = begin_params(begin)?;
    let mut tx = PipelinedTx {
        sql: Some(Sql::new(conn)),
    };
    match tx.read_begin(params).await {
        Ok(locks) => Ok((tx, locks)),
        Err(error) => {
            tx.finish_with_rollback().await;
            Err(error)
        }
    }
}

impl PipelinedTx {
    fn sql(&mut self) -> Result<&mut Sql<PoolConnection<Any>>, StoreError> {
        self.sql
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("a finished transaction was used".into()))
    }

    /// Sends `BEGIN` and `cita_book_begin($1)`, and reads its answer.
    async fn read_begin(&mut self, params: String) -> Result<BookingLocks, StoreError> {
        let conn = self.sql()?.conn();
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        let answer: String = sqlx::query_scalar("SELECT cita_book_begin($1::jsonb)")
            .bind(params)
            .fetch_one(&mut *conn)
            .await?;
        parse_begin(&answer)
    }

    /// Rolls back and gives the connection back to the pool; if even that fails, the
    /// connection is closed when dropped.
    async fn finish_with_rollback(&mut self) {
        if let Ok(sql) = self.sql()
            && sqlx::raw_sql("ROLLBACK").execute(sql.conn()).await.is_ok()
        {
            self.sql = None;
        }
    }
}

#[async_trait]
impl BookingTx for PipelinedTx {
    fn conn(&mut self) -> Result<&mut dyn Records, StoreError> {
        Ok(self.sql()?)
    }

    /// Writes `write` with `cita_book_write($1)` and commits; keeps the connection in
    /// `held` for the next transaction. On failure the transaction is rolled back and
    /// nothing was written.
    async fn write_and_commit(
        mut self: Box<Self>,
        write: &BookingWrite<'_>,
        held: &ConnectionSlot,
    ) -> Result<(), StoreError> {
        let params = write_params(write)?;
        let conn = self.sql()?.conn();
        let written = match sqlx::query("SELECT 1 FROM cita_book_write($1::jsonb) AS written")
            .bind(params)
            .execute(&mut *conn)
            .await
        {
            Ok(_) => sqlx::raw_sql("COMMIT").execute(&mut *conn).await,
            Err(error) => Err(error),
        };
        match written {
            Ok(_) => {
                let sql = self
                    .sql
                    .take()
                    .ok_or_else(|| StoreError::Corrupt("a finished transaction was used".into()))?;
                held.put(HeldConnection(sql.into_inner()));
                Ok(())
            }
            Err(error) => {
                // If COMMIT itself failed the transaction is already over; a ROLLBACK then
                // only draws a warning.
                self.finish_with_rollback().await;
                Err(error.into())
            }
        }
    }

    async fn rollback(mut self: Box<Self>) {
        self.finish_with_rollback().await;
    }
}

impl Drop for PipelinedTx {
    fn drop(&mut self) {
        if let Some(sql) = &mut self.sql {
            sql.inner_mut().close_on_drop();
        }
    }
}
