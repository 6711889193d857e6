//! Waiting rooms' lines (`migrations/*/0010_waiting_rooms.sql`).

use async_trait::async_trait;
use sqlx::AnyConnection;

use super::sql::{Connection, Sql};
use super::{Rooms, StoreError};

/// One document's place in a room's line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketRecord {
    pub room_id: String,
    /// Keyed digest of the document the place is for.
    pub document_key: String,
    pub joined_at: i64,
    pub lottery: i64,
}

/// Where a ticket stands in its room's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePlace {
    /// Places ahead of this one.
    pub ahead: i64,
    /// Everyone in the line.
    pub total: i64,
}

const TICKET_COLUMNS: &str = "room_id, document_key, joined_at, lottery";

#[async_trait]
impl<C: Connection> Rooms for Sql<C> {
    async fn join_room(
        &mut self,
        ticket: &TicketRecord,
        ticket_hash: &str,
    ) -> Result<TicketRecord, StoreError> {
        let conn = self.conn();
        sqlx::query(
            "INSERT INTO waiting_tickets (room_id, document_key, ticket_hash, joined_at, lottery) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (room_id, document_key) DO UPDATE SET ticket_hash = excluded.ticket_hash",
        )
        .bind(&ticket.room_id)
        .bind(&ticket.document_key)
        .bind(ticket_hash)
        .bind(ticket.joined_at)
        .bind(ticket.lottery)
        .execute(&mut *conn)
        .await?;
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TICKET_COLUMNS} FROM waiting_tickets WHERE room_id = $1 AND document_key = $2"
        )))
        .bind(&ticket.room_id)
        .bind(&ticket.document_key)
        .fetch_one(&mut *conn)
        .await
        .map_err(Into::into)
    }

    async fn ticket_of(&mut self, ticket_hash: &str) -> Result<Option<TicketRecord>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TICKET_COLUMNS} FROM waiting_tickets WHERE ticket_hash = $1"
        )))
        .bind(ticket_hash)
        .fetch_optional(self.conn())
        .await
        .map_err(Into::into)
    }

    async fn line_place(
        &mut self,
        ticket: &TicketRecord,
        release_at: i64,
    ) -> Result<LinePlace, StoreError> {
        line_place(self.conn(), ticket, release_at).await
    }

    async fn line_length(&mut self, room_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM waiting_tickets WHERE room_id = $1")
                .bind(room_id)
                .fetch_one(self.conn())
                .await?,
        )
    }
}

/// Those who joined before the release go by lottery, the rest behind them by arrival;
/// ties (practically impossible for the lottery) by the document digest.
async fn line_place(
    conn: &mut AnyConnection,
    ticket: &TicketRecord,
    release_at: i64,
) -> Result<LinePlace, StoreError> {
    let early: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM waiting_tickets WHERE room_id = $1 AND joined_at < $2",
    )
    .bind(&ticket.room_id)
    .bind(release_at)
    .fetch_one(&mut *conn)
    .await?;
    let ahead: i64 = if ticket.joined_at < release_at {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM waiting_tickets WHERE room_id = $1 AND joined_at < $2 \
             AND (lottery < $3 OR (lottery = $3 AND document_key < $4))",
        )
        .bind(&ticket.room_id)
        .bind(release_at)
        .bind(ticket.lottery)
        .bind(&ticket.document_key)
        .fetch_one(&mut *conn)
        .await?
    } else {
        let later: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM waiting_tickets WHERE room_id = $1 AND joined_at >= $2 \
             AND (joined_at < $3 OR (joined_at = $3 AND document_key < $4))",
        )
        .bind(&ticket.room_id)
        .bind(release_at)
        .bind(ticket.joined_at)
        .bind(&ticket.document_key)
        .fetch_one(&mut *conn)
        .await?;
        early + later
    };
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM waiting_tickets WHERE room_id = $1")
        .bind(&ticket.room_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(LinePlace { ahead, total })
}

/// Drops tickets two days after joining: by then their room has long closed.
pub(super) async fn purge_tickets(conn: &mut AnyConnection, now: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM waiting_tickets WHERE joined_at < $1")
        .bind(now - 2 * 86_400)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
