//! Staff users, their sessions and the calendar feed links they make; tokens only ever as
//! SHA-256 hex.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::sql::{Connection, Sql};
use super::{Staff, StoreError};

/// A staff user as stored. `role` is `admin`, `manager` or `agent`; `office_id` is `None`
/// exactly for admins (the schema checks it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffUserRecord {
    pub id: String,
    pub name: String,
    pub role: String,
    pub office_id: Option<String>,
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A calendar feed token as stored: an office's feed, or one desk's when `desk_id` is set.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedTokenRecord {
    pub token_hash: String,
    pub office_id: String,
    pub desk_id: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The staff user who made it; `None` from the command line.
    pub created_by: Option<String>,
}

/// A live feed link as the staff pages list it: who made it by name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedLinkRow {
    pub token_hash: String,
    pub desk_id: Option<String>,
    pub created_at: i64,
    pub created_by_name: Option<String>,
}

/// `Conflict` when an active user already has this name (or, astronomically unlikely, the
/// token hash is taken).
pub(super) async fn insert_staff_user(
    conn: &mut AnyConnection,
    user: &StaffUserRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staff_users (id, name, role, office_id, token_hash, created_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.role)
    .bind(user.office_id.as_deref())
    .bind(&user.token_hash)
    .bind(user.created_at)
    .bind(user.revoked_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The unrevoked user holding this token, if any.
pub(super) async fn find_staff_user_by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<StaffUserRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, office_id, token_hash, created_at, revoked_at FROM staff_users \
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The unrevoked user with this name, if any.
pub(super) async fn find_staff_user_by_name(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<StaffUserRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, office_id, token_hash, created_at, revoked_at FROM staff_users \
         WHERE name = $1 AND revoked_at IS NULL",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Replaces a user's token: the old one stops working at once.
pub(super) async fn set_staff_token(
    conn: &mut AnyConnection,
    id: &str,
    token_hash: &str,
) -> Result<(), StoreError> {
    let result = sqlx::query("UPDATE staff_users SET token_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Revokes the active user with this name; `false` when there is none.
pub(super) async fn revoke_staff_user(
    conn: &mut AnyConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE staff_users SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
    )
    .bind(name)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

pub(super) async fn insert_feed_token(
    conn: &mut AnyConnection,
    token: &FeedTokenRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO feed_tokens (token_hash, office_id, desk_id, created_at, revoked_at, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&token.token_hash)
    .bind(&token.office_id)
    .bind(token.desk_id.as_deref())
    .bind(token.created_at)
    .bind(token.revoked_at)
    .bind(token.created_by.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The unrevoked feed token with this hash, if any.
pub(super) async fn find_feed_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<FeedTokenRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token_hash, office_id, desk_id, created_at, revoked_at, created_by \
         FROM feed_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Revokes a feed token; `false` when it is unknown or already revoked.
pub(super) async fn revoke_feed_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE feed_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// An office's unrevoked feed tokens (its own and its desks'), oldest first, with the
/// name of the staff member who made each.
pub(super) async fn office_feed_tokens(
    conn: &mut AnyConnection,
    office_id: &str,
) -> Result<Vec<FeedLinkRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT f.token_hash, f.desk_id, f.created_at, s.name AS created_by_name \
         FROM feed_tokens f LEFT JOIN staff_users s ON s.id = f.created_by \
         WHERE f.office_id = $1 AND f.revoked_at IS NULL ORDER BY f.created_at, f.token_hash",
    )
    .bind(office_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Revokes one of `office_id`'s feed tokens by its hash; `false` when it is not one.
pub(super) async fn revoke_office_feed_token(
    conn: &mut AnyConnection,
    office_id: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE feed_tokens SET revoked_at = $3 \
         WHERE token_hash = $2 AND office_id = $1 AND revoked_at IS NULL",
    )
    .bind(office_id)
    .bind(token_hash)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// A staff sign-in session as stored, with its user (unrevoked only).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffSessionRecord {
    pub csrf: String,
    pub seen_at: i64,
    #[sqlx(flatten)]
    pub user: StaffUserRecord,
}

pub(super) async fn insert_staff_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    user_id: &str,
    csrf: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staff_sessions (id_hash, user_id, csrf, created_at, seen_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The session with this id hash whose user is still active, if any.
pub(super) async fn find_staff_session(
    conn: &mut AnyConnection,
    id_hash: &str,
) -> Result<Option<StaffSessionRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT s.csrf, s.seen_at, u.id, u.name, u.role, u.office_id, u.token_hash, \
         u.created_at, u.revoked_at FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND u.revoked_at IS NULL",
    )
    .bind(id_hash)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Marks the session as used now.
pub(super) async fn touch_staff_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE staff_sessions SET seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now.timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends session `id_hash` (sign out; `""` for none), and every session idle since before
/// `idle_before`.
pub(super) async fn delete_staff_sessions(
    conn: &mut AnyConnection,
    id_hash: &str,
    idle_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM staff_sessions WHERE id_hash = $1 OR seen_at < $2")
        .bind(id_hash)
        .bind(idle_before.timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl<C: Connection> Staff for Sql<C> {
    async fn insert_staff_user(&mut self, user: &StaffUserRecord) -> Result<(), StoreError> {
        insert_staff_user(self.conn(), user).await
    }
    async fn find_staff_user_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<StaffUserRecord>, StoreError> {
        find_staff_user_by_token(self.conn(), token_hash).await
    }
    async fn find_staff_user_by_name(
        &mut self,
        name: &str,
    ) -> Result<Option<StaffUserRecord>, StoreError> {
        find_staff_user_by_name(self.conn(), name).await
    }
    async fn set_staff_token(&mut self, id: &str, token_hash: &str) -> Result<(), StoreError> {
        set_staff_token(self.conn(), id, token_hash).await
    }
    async fn revoke_staff_user(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        revoke_staff_user(self.conn(), name, now).await
    }
    async fn insert_staff_session(
        &mut self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_staff_session(self.conn(), id_hash, user_id, csrf, now).await
    }
    async fn find_staff_session(
        &mut self,
        id_hash: &str,
    ) -> Result<Option<StaffSessionRecord>, StoreError> {
        find_staff_session(self.conn(), id_hash).await
    }
    async fn touch_staff_session(
        &mut self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        touch_staff_session(self.conn(), id_hash, now).await
    }
    async fn delete_staff_sessions(
        &mut self,
        id_hash: &str,
        idle_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        delete_staff_sessions(self.conn(), id_hash, idle_before).await
    }
    async fn insert_feed_token(&mut self, token: &FeedTokenRecord) -> Result<(), StoreError> {
        insert_feed_token(self.conn(), token).await
    }
    async fn find_feed_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<FeedTokenRecord>, StoreError> {
        find_feed_token(self.conn(), token_hash).await
    }
    async fn revoke_feed_token(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        revoke_feed_token(self.conn(), token_hash, now).await
    }
    async fn office_feed_tokens(
        &mut self,
        office_id: &str,
    ) -> Result<Vec<FeedLinkRow>, StoreError> {
        office_feed_tokens(self.conn(), office_id).await
    }
    async fn revoke_office_feed_token(
        &mut self,
        office_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        revoke_office_feed_token(self.conn(), office_id, token_hash, now).await
    }
}
