//! The citizen's calendar (`migrations/*/0012_citizen_calendars.sql`): links e-mailed to a
//! citizen, the personal feeds made from them, and the appointments they show.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::Appointment;

use super::rows::AppointmentRow;
use super::sql::{Connection, Sql};
use super::{CitizenCalendars, StoreError};

/// Whose appointments a link or a feed shows: a normalized document and a lower-cased
/// e-mail address (personal data).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CitizenOwner {
    pub document: String,
    pub email: String,
}

/// A personal calendar feed, without its token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CitizenFeedRecord {
    pub id: String,
    pub created_at: i64,
}

#[async_trait]
impl<C: Connection> CitizenCalendars for Sql<C> {
    async fn insert_citizen_link(
        &mut self,
        token_hash: &str,
        owner: &CitizenOwner,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO citizen_links (token_hash, document, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(&owner.document)
        .bind(&owner.email)
        .bind(now.timestamp())
        .bind(expires_at.timestamp())
        .execute(&mut *self.conn())
        .await?;
        Ok(())
    }

    async fn citizen_link(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(CitizenOwner, i64)>, StoreError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT document, email, expires_at FROM citizen_links \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.timestamp())
        .fetch_optional(&mut *self.conn())
        .await?;
        Ok(row.map(|(document, email, expires)| (CitizenOwner { document, email }, expires)))
    }

    async fn citizen_appointments(
        &mut self,
        owner: &CitizenOwner,
        since: DateTime<Utc>,
        cancelled_since: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        let rows: Vec<AppointmentRow> = sqlx::query_as(select_appointments!(
            "document = $1 AND document <> '' AND lower(email) = $2 AND start_at >= $3 \
             AND (status IN ('booked', 'checked_in', 'completed') \
                  OR (status = 'cancelled' AND updated_at > $4)) \
             ORDER BY start_at, id"
        ))
        .bind(&owner.document)
        .bind(&owner.email)
        .bind(since.timestamp())
        .bind(cancelled_since.timestamp())
        .fetch_all(&mut *self.conn())
        .await?;
        rows.into_iter().map(Appointment::try_from).collect()
    }

    async fn insert_citizen_feed(
        &mut self,
        id: &str,
        token_hash: &str,
        owner: &CitizenOwner,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO citizen_feeds (id, token_hash, document, email, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(&owner.document)
        .bind(&owner.email)
        .bind(now.timestamp())
        .execute(&mut *self.conn())
        .await?;
        Ok(())
    }

    async fn citizen_feeds(
        &mut self,
        owner: &CitizenOwner,
    ) -> Result<Vec<CitizenFeedRecord>, StoreError> {
        sqlx::query_as(
            "SELECT id, created_at FROM citizen_feeds WHERE document = $1 AND email = $2 \
             ORDER BY created_at, id",
        )
        .bind(&owner.document)
        .bind(&owner.email)
        .fetch_all(&mut *self.conn())
        .await
        .map_err(Into::into)
    }

    async fn citizen_feed_owner(
        &mut self,
        id: &str,
        token_hash: &str,
    ) -> Result<Option<CitizenOwner>, StoreError> {
        sqlx::query_as(
            "SELECT document, email FROM citizen_feeds WHERE id = $1 AND token_hash = $2",
        )
        .bind(id)
        .bind(token_hash)
        .fetch_optional(&mut *self.conn())
        .await
        .map_err(Into::into)
    }

    async fn delete_citizen_feed(
        &mut self,
        id: &str,
        owner: &CitizenOwner,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM citizen_feeds WHERE id = $1 AND document = $2 AND email = $3")
                .bind(id)
                .bind(&owner.document)
                .bind(&owner.email)
                .execute(&mut *self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Expired links go; a feed goes once no appointment of its document keeps personal data.
pub(super) async fn purge(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM citizen_links WHERE expires_at <= $1")
        .bind(now.timestamp())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM citizen_feeds WHERE NOT EXISTS \
         (SELECT 1 FROM appointments a WHERE a.document = citizen_feeds.document)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
