//! Erasing what is no longer needed (DESIGN §13): personal data of appointments past
//! their retention, a citizen's own erasure, and expired holds, tokens and idempotency
//! records. An erased appointment keeps its row — office, procedure, desk, times, status —
//! so statistics stay whole and anonymous.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use async_trait::async_trait;

use super::sql::{Connection, Sql};
use super::{Retention, StoreError};

/// How long the availability change log keeps a write (migration 0013): far longer than
/// any instance keeps a per-day answer unchecked, so only an instance idle that long
/// starts over.
const CHANGES_KEPT: chrono::Duration = chrono::Duration::hours(1);

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Appointments whose name, document, e-mail and phone were erased.
    pub appointments: u64,
    pub holds: u64,
    pub tokens: u64,
    pub idempotency_keys: u64,
    /// Lock rows of documents that no appointment holds any more.
    pub citizens: u64,
}

/// Erases the personal data of one appointment and revokes all its tokens.
pub(super) async fn erase_appointment(
    conn: &mut AnyConnection,
    appointment_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE appointments SET citizen_name = '', document = '', email = NULL, phone = NULL, \
         erased_at = $2, updated_at = $2 WHERE id = $1",
    )
    .bind(appointment_id)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    super::tokens::delete_tokens(conn, appointment_id, None).await?;
    Ok(())
}

/// Erases the personal data of every appointment that ended before `ended_before`, and
/// removes what can no longer be used: tokens of appointments that ended before
/// `tokens_before` (or are being erased), holds and idempotency records expired at `now`.
pub(super) async fn purge(
    conn: &mut AnyConnection,
    ended_before: DateTime<Utc>,
    tokens_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    // Tokens first, while the appointments they belong to are still told apart by
    // `erased_at IS NULL` (an index of those alone): erasing revokes them too.
    let tokens = sqlx::query(
        "DELETE FROM appointment_tokens WHERE appointment_id IN \
         (SELECT id FROM appointments WHERE erased_at IS NULL AND end_at < $1)",
    )
    .bind(ended_before.max(tokens_before).timestamp())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let appointments = sqlx::query(
        "UPDATE appointments SET citizen_name = '', document = '', email = NULL, phone = NULL, \
         erased_at = $2 WHERE erased_at IS NULL AND end_at < $1",
    )
    .bind(ended_before.timestamp())
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let holds = sqlx::query("DELETE FROM holds WHERE expires_at <= $1")
        .bind(now.timestamp())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    // A citizen's address digest on their booking's audit line is personal data too.
    sqlx::query(
        "UPDATE audit_log SET actor_id = NULL WHERE actor_kind = 'citizen' \
         AND actor_id IS NOT NULL AND at < $1",
    )
    .bind(ended_before.timestamp())
    .execute(&mut *conn)
    .await?;
    let idempotency_keys = super::idempotency::purge_expired_idempotency(conn, now).await?;
    super::draws::purge_draws(conn, now.timestamp()).await?;
    super::rooms::purge_tickets(conn, now.timestamp()).await?;
    super::outbox::purge_finished(conn, now).await?;
    super::citizen_calendars::purge(conn, now).await?;
    super::changes::prune_changes(conn, now - CHANGES_KEPT).await?;
    // Past the longest window any rule looks back (366 days), a mark counts for nothing.
    sqlx::query("DELETE FROM citizen_marks WHERE at < $1")
        .bind((now - chrono::Duration::days(367)).timestamp())
        .execute(&mut *conn)
        .await?;
    // A citizen's lock row holds their document, and is made for every booking tried,
    // refused ones too: rows of documents without an active appointment go (the next
    // booking of that document makes its row again; the row only serializes).
    let citizens = sqlx::query(
        "DELETE FROM citizens WHERE document NOT IN \
         (SELECT document FROM appointments WHERE status IN ('booked', 'checked_in'))",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Purged {
        appointments,
        holds,
        tokens,
        idempotency_keys,
        citizens,
    })
}

#[async_trait]
impl<C: Connection> Retention for Sql<C> {
    async fn erase_appointment(
        &mut self,
        appointment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        erase_appointment(self.conn(), appointment_id, now).await
    }
    async fn purge(
        &mut self,
        ended_before: DateTime<Utc>,
        tokens_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Purged, StoreError> {
        purge(self.conn(), ended_before, tokens_before, now).await
    }
    async fn purge_expired_idempotency(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        super::idempotency::purge_expired_idempotency(self.conn(), now).await
    }
}
