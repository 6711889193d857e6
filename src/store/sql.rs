//! The connection every SQL operation runs on, for both backends: the SQL text is the same
//! on SQLite and PostgreSQL (integer UTC seconds, text ids), so each aggregate's file
//! (`offices`, `appointments`, `tokens`, `holds`, `idempotency`, `audit`, `staff`,
//! `retention`, and `bulk` for many rows at once) implements its trait once, for [`Sql`].

use std::ops::DerefMut;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Transaction};
use tokio::sync::OwnedMutexGuard;

use super::{Records, StoreError, WriteTx};

/// What an SQL operation can run on: a pooled connection or an open transaction.
pub(super) trait Connection: DerefMut<Target = AnyConnection> + Send {}

impl<C: DerefMut<Target = AnyConnection> + Send> Connection for C {}

/// A connection or transaction with every operation of [`super::Records`].
#[derive(Debug)]
pub(super) struct Sql<C> {
    conn: C,
    /// This process's write gate, held with the database's only write lock (SQLite's
    /// `BEGIN IMMEDIATE`): the transaction already excludes every other writer, so locks
    /// on citizens and owner keys are not taken. Released only once it has ended.
    write_gate: Option<OwnedMutexGuard<()>>,
}

impl<C: Connection> Sql<C> {
    pub(super) fn new(conn: C) -> Self {
        Sql {
            conn,
            write_gate: None,
        }
    }

    /// A transaction that holds the database's only write lock and `gate`.
    pub(super) fn single_writer(conn: C, gate: OwnedMutexGuard<()>) -> Self {
        Sql {
            conn,
            write_gate: Some(gate),
        }
    }

    pub(super) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Whether the transaction already excludes every other writer.
    pub(super) fn excludes_other_writers(&self) -> bool {
        self.write_gate.is_some()
    }

    pub(super) fn inner_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    pub(super) fn into_inner(self) -> C {
        self.conn
    }

    /// Ends the transaction with `end` (commit), and only then lets the next writer of
    /// this process in.
    async fn end<F, Fut>(self, end: F) -> Result<(), StoreError>
    where
        F: FnOnce(C) -> Fut + Send,
        Fut: Future<Output = Result<(), sqlx::Error>> + Send,
    {
        let ended = end(self.conn).await;
        drop(self.write_gate);
        Ok(ended?)
    }
}

/// A write transaction on either backend; on SQLite it holds the write gate until it ends.
#[async_trait]
impl WriteTx for Sql<Transaction<'static, Any>> {
    fn conn(&mut self) -> &mut dyn Records {
        self
    }

    fn sql(&mut self) -> Option<&mut AnyConnection> {
        Some(Sql::conn(self))
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.end(Transaction::commit).await
    }
}

/// A connection for reads from `pool`.
pub(super) async fn read(pool: &AnyPool) -> Result<Box<dyn Records>, StoreError> {
    Ok(Box::new(Sql::new(pool.acquire().await?)))
}

/// Whether `pool`'s database answers.
pub(super) async fn ping(pool: &AnyPool) -> Result<(), StoreError> {
    pool.acquire().await?.ping().await?;
    Ok(())
}

/// Applies `migrator`'s pending migrations on `pool`.
pub(super) async fn migrate(migrator: &Migrator, pool: &AnyPool) -> Result<(), StoreError> {
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))
}
