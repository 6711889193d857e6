//! The connection every SQL operation runs on, for both backends: the SQL text is the same
//! on SQLite and PostgreSQL (integer UTC seconds, text ids), so each aggregate's file
//! (`offices`, `appointments`, `tokens`, `holds`, `idempotency`, `audit`, `staff`,
//! `retention`, and `bulk` for many rows at once) implements its trait once, for [`Sql`].

use std::ops::DerefMut;

use sqlx::AnyConnection;

/// What an SQL operation can run on: a pooled connection or an open transaction.
pub(super) trait Connection: DerefMut<Target = AnyConnection> + Send {}

impl<C: DerefMut<Target = AnyConnection> + Send> Connection for C {}

/// A connection or transaction with every operation of [`super::Records`].
#[derive(Debug)]
pub(super) struct Sql<C> {
    conn: C,
    /// The transaction holds the database's only write lock (SQLite's `BEGIN IMMEDIATE`):
    /// it already excludes every other writer, so locks on citizens and owner keys are
    /// not taken.
    single_writer: bool,
}

impl<C: Connection> Sql<C> {
    pub(super) fn new(conn: C, single_writer: bool) -> Self {
        Sql {
            conn,
            single_writer,
        }
    }

    pub(super) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Whether the transaction already excludes every other writer.
    pub(super) fn single_writer(&self) -> bool {
        self.single_writer
    }

    pub(super) fn inner_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    pub(super) fn into_inner(self) -> C {
        self.conn
    }
}
