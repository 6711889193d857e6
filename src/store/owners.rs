//! Who owns what, without storing who they are: the server's digest key, the owners of
//! holds (client and document digests), and transaction locks on such digests.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::StoreError;

/// The stored digest key (64 hex digits), stored first as `candidate` if there is none
/// yet: every instance ends up with the one the first instance wrote.
pub async fn server_pepper(
    conn: &mut AnyConnection,
    candidate: &str,
) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO server_secrets (id, pepper) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(candidate)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT pepper FROM server_secrets WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Serializes on `key` until the transaction ends (PostgreSQL: an advisory lock on its
/// 64-bit hash; two keys that collide only wait for each other needlessly).
pub async fn lock_key(conn: &mut AnyConnection, key: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The live hold taken for the document with digest `document_key`, if any.
pub async fn live_hold_of_document(
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
pub async fn count_live_holds_of_client(
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

/// Moves a hold's expiry (a citizen asked for more time).
pub async fn set_hold_expiry(
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
