//! Staff users, calendar feed tokens, and the small reads the admin configuration and the
//! feeds need. Same SQL text on both backends; tokens only ever as SHA-256 hex.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::{Appointment, DeskId, OfficeId};

use super::StoreError;
use super::rows::AppointmentRow;

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
pub async fn insert_staff_user(
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
pub async fn find_staff_user_by_token(
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
pub async fn find_staff_user_by_name(
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
pub async fn set_staff_token(
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
pub async fn revoke_staff_user(
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

pub async fn insert_feed_token(
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
pub async fn find_feed_token(
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
pub async fn revoke_feed_token(
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
pub async fn office_feed_tokens(
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
pub async fn revoke_office_feed_token(
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
pub async fn office_audit(
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

/// The stored configuration's version: one indexed row, cheap enough to poll.
pub async fn config_version(conn: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM config WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Every office row, ascending: the order in which a transaction touching all offices
/// must lock them.
pub async fn all_office_ids(conn: &mut AnyConnection) -> Result<Vec<OfficeId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM offices ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    Ok(ids.into_iter().map(OfficeId::new).collect())
}

/// Active (booked or checked-in) appointments of every office whose desk time has not
/// ended by `now`: what a configuration change could strand.
pub async fn active_appointments_after(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    let rows: Vec<AppointmentRow> = sqlx::query_as(
        select_appointments!(
            "occupied_until > $1 AND status IN ('booked', 'checked_in') ORDER BY office_id, start_at, id"
        ),
    )
    .bind(now.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(Appointment::try_from).collect()
}

/// What an office's calendar feed shows (or one desk's, with `desk`): appointments
/// starting at or after `since` that were served or are still due, plus the ones cancelled
/// after `cancelled_since` (so subscribed calendars see the cancellation). No-shows are
/// left out.
pub async fn feed_appointments(
    conn: &mut AnyConnection,
    office: &OfficeId,
    desk: Option<&DeskId>,
    since: DateTime<Utc>,
    cancelled_since: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    let statement = sqlx::query_as::<_, AppointmentRow>(match desk {
        None => select_appointments!(
            "office_id = $1 AND start_at >= $2 \
             AND (status IN ('booked', 'checked_in', 'completed') OR (status = 'cancelled' AND updated_at > $3)) \
             ORDER BY start_at, id"
        ),
        Some(_) => select_appointments!(
            "office_id = $1 AND start_at >= $2 \
             AND (status IN ('booked', 'checked_in', 'completed') OR (status = 'cancelled' AND updated_at > $3)) \
             AND desk_id = $4 ORDER BY start_at, id"
        ),
    })
    .bind(office.as_str())
    .bind(since.timestamp())
    .bind(cancelled_since.timestamp());
    let statement = match desk {
        Some(desk) => statement.bind(desk.as_str()),
        None => statement,
    };
    let rows = statement.fetch_all(&mut *conn).await?;
    rows.into_iter().map(Appointment::try_from).collect()
}

/// A staff sign-in session as stored, with its user (unrevoked only).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffSessionRecord {
    pub csrf: String,
    pub seen_at: i64,
    #[sqlx(flatten)]
    pub user: StaffUserRecord,
}

pub async fn insert_staff_session(
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
pub async fn find_staff_session(
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
pub async fn touch_staff_session(
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
pub async fn delete_staff_sessions(
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
