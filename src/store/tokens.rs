//! Appointment tokens, stored as SHA-256 hashes only, each opening one scope.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::sql::{Connection, Sql};
use super::{StoreError, Tokens};

/// A newly issued bearer token (stored as its hash) for an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token_hash: String,
    pub appointment_id: String,
    pub scope: TokenScope,
}

/// What an appointment token opens (DESIGN §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Read, reschedule, cancel and erase the appointment: a secret for its owner only.
    Manage,
    /// Read its `.ics` file and nothing else: calendar links end up in shared calendars,
    /// sync services and proxy logs.
    Calendar,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Manage => "manage",
            TokenScope::Calendar => "calendar",
        }
    }
}

pub(super) async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    appointment_id: &str,
    scope: super::TokenScope,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let token = TokenRecord {
        token_hash: token_hash.to_owned(),
        appointment_id: appointment_id.to_owned(),
        scope,
    };
    super::bulk::insert_tokens(conn, &[token], now).await
}

/// The id of the appointment behind `locator` if `token_hash` is a token of `scope` for
/// it. Both indexes are probed whatever the outcome (two independent subqueries), so a
/// wrong token costs the same work for a taken locator as for a free one: the answer's
/// timing does not tell a guesser which locators exist.
pub(super) async fn appointment_of_token(
    conn: &mut AnyConnection,
    locator: &str,
    token_hash: &str,
    scope: super::TokenScope,
) -> Result<Option<String>, StoreError> {
    let (by_locator, by_token): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT id FROM appointments WHERE locator = $1), \
         (SELECT appointment_id FROM appointment_tokens WHERE token_hash = $2 AND scope = $3)",
    )
    .bind(locator)
    .bind(token_hash)
    .bind(scope.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(match (by_locator, by_token) {
        (Some(a), Some(b)) if a == b => Some(a),
        _ => None,
    })
}

/// What a look-up compares, by locator: the appointment's id, document and document type
/// (a short row, so a taken locator costs about what a free one does).
pub(super) async fn lookup_key(
    conn: &mut AnyConnection,
    locator: &str,
) -> Result<Option<(String, String, String)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, document, document_type FROM appointments WHERE locator = $1")
            .bind(locator)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Revokes the appointment's tokens of `scope` (all of them when `None`).
pub(super) async fn delete_tokens(
    conn: &mut AnyConnection,
    appointment_id: &str,
    scope: Option<super::TokenScope>,
) -> Result<u64, StoreError> {
    let deleted = match scope {
        Some(scope) => {
            sqlx::query("DELETE FROM appointment_tokens WHERE appointment_id = $1 AND scope = $2")
                .bind(appointment_id)
                .bind(scope.as_str())
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM appointment_tokens WHERE appointment_id = $1")
                .bind(appointment_id)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(deleted.rows_affected())
}

#[async_trait]
impl<C: Connection> Tokens for Sql<C> {
    async fn insert_token(
        &mut self,
        token_hash: &str,
        appointment_id: &str,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_token(self.conn(), token_hash, appointment_id, scope, now).await
    }
    async fn appointment_of_token(
        &mut self,
        locator: &str,
        token_hash: &str,
        scope: TokenScope,
    ) -> Result<Option<String>, StoreError> {
        appointment_of_token(self.conn(), locator, token_hash, scope).await
    }
    async fn lookup_key(
        &mut self,
        locator: &str,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        lookup_key(self.conn(), locator).await
    }
    async fn delete_tokens(
        &mut self,
        appointment_id: &str,
        scope: Option<TokenScope>,
    ) -> Result<u64, StoreError> {
        delete_tokens(self.conn(), appointment_id, scope).await
    }
}
