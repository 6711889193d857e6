//! The availability change log (migration 0013): which spans of time each write touched,
//! so a reader holding per-day answers recomputes only the days a write changed.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::OfficeId;

use super::StoreError;

/// One logged change: the span of time a write touched (`None`: the whole office).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeRecord {
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
}

impl ChangeRecord {
    /// The span `[start, end)` in seconds, or `None` for the whole office.
    pub fn span(&self) -> Option<(i64, i64)> {
        self.start_at.zip(self.end_at)
    }
}

/// Every change logged for the office after version `since`: what an
/// instance needs to bring its per-day answers from `since` to now.
pub(super) async fn changes_since(
    conn: &mut AnyConnection,
    office: &OfficeId,
    since: i64,
) -> Result<Vec<ChangeRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT start_at, end_at FROM availability_changes WHERE office_id = $1 AND version > $2",
    )
    .bind(office.as_str())
    .bind(since)
    .fetch_all(&mut *conn)
    .await?)
}

/// Forgets changes logged before `before`. Per office, the newest forgotten version stays
/// as a whole-office row: a reader whose answers are older than it cannot tell what
/// changed, so it starts over; a reader at or past it loses nothing it needs.
pub(super) async fn prune_changes(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let before = before.timestamp();
    sqlx::query(
        "UPDATE availability_changes SET start_at = NULL, end_at = NULL \
         WHERE (office_id, version) IN (SELECT office_id, MAX(version) FROM availability_changes \
         WHERE created_at < $1 GROUP BY office_id)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query(
        "DELETE FROM availability_changes WHERE created_at < $1 AND version < \
         (SELECT MAX(b.version) FROM availability_changes b \
         WHERE b.office_id = availability_changes.office_id AND b.created_at < $1)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
