//! Holds on a time while a citizen fills in the form, and their owners (client and
//! document digests, never who they are) with transaction locks on them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::{DeskId, OfficeId};

use super::rows::{HOLD_COLUMNS, HoldRecord};
use super::sql::{Connection, Sql};
use super::{Holds, StoreError, bulk};

/// Serializes on `key` until the transaction ends (PostgreSQL: an advisory lock on its
/// 64-bit hash; two keys that collide only wait for each other needlessly).
pub(super) async fn lock_key(conn: &mut AnyConnection, key: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// When the next live hold of an office expires (availability changes then).
pub(super) async fn earliest_hold_expiry(
    conn: &mut AnyConnection,
    office: &OfficeId,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let seconds: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(expires_at) FROM holds WHERE office_id = $1 AND expires_at > $2",
    )
    .bind(office.as_str())
    .bind(now.timestamp())
    .fetch_one(&mut *conn)
    .await?;
    seconds.map(super::rows::instant).transpose()
}

pub(super) async fn find_hold(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<HoldRecord>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

pub(super) async fn insert_hold(
    conn: &mut AnyConnection,
    hold: &HoldRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO holds (id, office_id, service_id, desk_id, start_at, occupied_until, expires_at, \
         created_at, client_key, document_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&hold.id)
    .bind(&hold.office_id)
    .bind(&hold.service_id)
    .bind(&hold.desk_id)
    .bind(hold.start_at)
    .bind(hold.occupied_until)
    .bind(hold.expires_at)
    .bind(hold.created_at)
    .bind(hold.client_key.as_deref())
    .bind(hold.document_key.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn delete_hold(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    super::bulk::delete_holds(conn, &[id]).await
}

pub(super) async fn update_hold_desk(
    conn: &mut AnyConnection,
    id: &str,
    desk: &DeskId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE holds SET desk_id = $2 WHERE id = $1")
        .bind(id)
        .bind(desk.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves a hold's expiry (a citizen asked for more time).
pub(super) async fn set_hold_expiry(
    conn: &mut AnyConnection,
    hold_id: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE holds SET expires_at = $2 WHERE id = $1")
        .bind(hold_id)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Expired holds are ignored by the allocator anyway; this only keeps the table small.
pub(super) async fn delete_expired_holds(
    conn: &mut AnyConnection,
    office: &OfficeId,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM holds WHERE office_id = $1 AND expires_at <= $2")
            .bind(office.as_str())
            .bind(now.timestamp())
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// The live hold taken for the document with digest `document_key`, if any.
pub(super) async fn live_hold_of_document(
    conn: &mut AnyConnection,
    document_key: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM holds WHERE document_key = $1 AND expires_at > $2 ORDER BY id LIMIT 1",
    )
    .bind(document_key)
    .bind(now.timestamp())
    .fetch_optional(&mut *conn)
    .await?)
}

/// How many live holds the client with digest `client_key` has, in every office.
pub(super) async fn count_live_holds_of_client(
    conn: &mut AnyConnection,
    client_key: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM holds WHERE client_key = $1 AND expires_at > $2")
            .bind(client_key)
            .bind(now.timestamp())
            .fetch_one(&mut *conn)
            .await?,
    )
}

#[async_trait]
impl<C: Connection> Holds for Sql<C> {
    async fn lock_key(&mut self, key: &str) -> Result<(), StoreError> {
        if self.excludes_other_writers() {
            return Ok(());
        }
        lock_key(self.conn(), key).await
    }
    async fn holds_by_id(&mut self, ids: &[&str]) -> Result<Vec<HoldRecord>, StoreError> {
        bulk::holds_by_id(self.conn(), ids).await
    }
    async fn find_hold(&mut self, id: &str) -> Result<Option<HoldRecord>, StoreError> {
        find_hold(self.conn(), id).await
    }
    async fn insert_hold(&mut self, hold: &HoldRecord) -> Result<(), StoreError> {
        insert_hold(self.conn(), hold).await
    }
    async fn delete_hold(&mut self, id: &str) -> Result<(), StoreError> {
        delete_hold(self.conn(), id).await
    }
    async fn update_hold_desk(&mut self, id: &str, desk: &DeskId) -> Result<(), StoreError> {
        update_hold_desk(self.conn(), id, desk).await
    }
    async fn set_hold_expiry(&mut self, hold_id: &str, expires_at: i64) -> Result<(), StoreError> {
        set_hold_expiry(self.conn(), hold_id, expires_at).await
    }
    async fn delete_expired_holds(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        delete_expired_holds(self.conn(), office, now).await
    }
    async fn earliest_hold_expiry(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        earliest_hold_expiry(self.conn(), office, now).await
    }
    async fn live_hold_of_document(
        &mut self,
        document_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        live_hold_of_document(self.conn(), document_key, now).await
    }
    async fn count_live_holds_of_client(
        &mut self,
        client_key: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        count_live_holds_of_client(self.conn(), client_key, now).await
    }
}
