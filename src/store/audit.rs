//! The audit trail: who changed which appointment, and the staff's filtered view of it.

use async_trait::async_trait;
use sqlx::AnyConnection;

use super::rows::AuditEntry;
use super::sql::{Connection, Sql};
use super::{Audit, StoreError};

pub(super) async fn insert_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    super::bulk::insert_audits(conn, std::slice::from_ref(entry)).await
}

/// One line of an office's audit trail as the staff pages show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub actor_kind: String,
    /// The staff member's name, when staff acted.
    pub actor_name: Option<String>,
    pub locator: Option<String>,
    pub detail: String,
}

/// What an audit page asks for: `[from, to)` in Unix seconds, an action (`None`: any),
/// and lines older than `before` (an id), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub from: i64,
    pub to: i64,
    pub action: Option<String>,
    pub before: i64,
    pub limit: i64,
}

/// A page of `office_id`'s audit trail, newest first.
pub(super) async fn office_audit(
    conn: &mut AnyConnection,
    office_id: &str,
    filter: &AuditFilter,
) -> Result<Vec<AuditLine>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.at, a.action, a.actor_kind, s.name AS actor_name, p.locator, a.detail \
         FROM audit_log a \
         LEFT JOIN staff_users s ON a.actor_kind = 'staff' AND s.id = a.actor_id \
         LEFT JOIN appointments p ON p.id = a.appointment_id \
         WHERE a.office_id = $1 AND a.at >= $2 AND a.at < $3 AND a.id < $4 \
         AND ($5 = '' OR a.action = $5) \
         ORDER BY a.id DESC LIMIT $6",
    )
    .bind(office_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before)
    .bind(filter.action.as_deref().unwrap_or_default())
    .bind(filter.limit)
    .fetch_all(&mut *conn)
    .await?)
}

#[async_trait]
impl<C: Connection> Audit for Sql<C> {
    async fn insert_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        insert_audit(self.conn(), entry).await
    }
    async fn office_audit(
        &mut self,
        office_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditLine>, StoreError> {
        office_audit(self.conn(), office_id, filter).await
    }
    async fn bookings_of_dates(
        &mut self,
        office_id: &str,
        service_id: &str,
        (from, to): (i64, i64),
    ) -> Result<Vec<BookingTrace>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.at, a.actor_kind, a.actor_id AS client, p.document FROM audit_log a \
             JOIN appointments p ON p.id = a.appointment_id \
             WHERE a.action = 'booked' AND p.office_id = $1 AND p.service_id = $2 \
             AND p.start_at >= $3 AND p.start_at < $4 ORDER BY a.at, a.id",
        )
        .bind(office_id)
        .bind(service_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await?)
    }
    async fn citizen_cancellations_of_dates(
        &mut self,
        office_id: &str,
        service_id: &str,
        (from, to): (i64, i64),
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT a.detail FROM audit_log a JOIN appointments p ON p.id = a.appointment_id \
             WHERE a.action = 'cancelled' AND a.actor_kind = 'citizen' AND p.office_id = $1 \
             AND p.service_id = $2 AND p.start_at >= $3 AND p.start_at < $4",
        )
        .bind(office_id)
        .bind(service_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await?)
    }
}

/// One booking of a release's dates as the fairness report reads it: when, by whom
/// (`citizen`, `draw`, `staff`, …), the citizen's address digest if recorded (purged with
/// personal data) and the document as stored ('' once erased).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BookingTrace {
    pub at: i64,
    pub actor_kind: String,
    pub client: Option<String>,
    pub document: String,
}
