//! Idempotency records: a repeated booking request gets its first answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::rows::IdempotencyRecord;
use super::sql::{Connection, Sql};
use super::{Idempotency, StoreError};

pub(super) async fn find_idempotency(
    conn: &mut AnyConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT key, fingerprint, appointment_id, status_code, created_at, expires_at FROM idempotency_keys \
         WHERE key = $1 AND expires_at > $2",
    )
    .bind(key)
    .bind(now.timestamp())
    .fetch_optional(&mut *conn)
    .await?)
}

/// Records a key; an expired record under the same key is replaced.
pub(super) async fn insert_idempotency(
    conn: &mut AnyConnection,
    record: &IdempotencyRecord,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 AND expires_at <= $2")
        .bind(&record.key)
        .bind(record.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO idempotency_keys (key, fingerprint, appointment_id, status_code, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&record.key)
    .bind(&record.fingerprint)
    .bind(&record.appointment_id)
    .bind(record.status_code)
    .bind(record.created_at)
    .bind(record.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn purge_expired_idempotency(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
            .bind(now.timestamp())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

#[async_trait]
impl<C: Connection> Idempotency for Sql<C> {
    async fn find_idempotency(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        find_idempotency(self.conn(), key, now).await
    }
    async fn insert_idempotency(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        insert_idempotency(self.conn(), record).await
    }
}
