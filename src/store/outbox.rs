//! The notifications' outbox (`migrations/*/0011_outbox.sql`): messages written in the
//! transaction of the change they tell about, then taken by delivery workers under a
//! lease. On PostgreSQL several workers share the queue (`FOR UPDATE SKIP LOCKED`: no two
//! take one row, none waits on another); on SQLite the single writer serializes them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::sql::{Connection, Sql};
use super::{Outbox, StoreError};

/// A message to send, as the change that causes it writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub appointment_id: String,
    pub office_id: String,
    /// `booked`, `rescheduled`, `cancelled`, `no_show` or `reminder`.
    pub event: &'static str,
    /// `email` or `webhook`.
    pub channel: &'static str,
    /// The appointment's sequence at the event.
    pub sequence: i64,
    /// What the message says (JSON), without personal data.
    pub facts: String,
    /// When it may be sent: now, or a reminder's time.
    pub due_at: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRecord {
    pub id: i64,
    pub appointment_id: String,
    pub office_id: String,
    pub event: String,
    pub channel: String,
    pub sequence: i64,
    pub facts: String,
    /// When it first became due.
    pub ready_at: i64,
    /// Its next attempt.
    pub due_at: i64,
    /// `queued`, `sent`, `dead` or `dropped`.
    pub state: String,
    /// Attempts taken so far (counted when a worker takes it).
    pub attempts: i64,
    /// Why the last attempt failed or why it was dropped; never personal data.
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    Sent,
    /// Not to be sent after all (the appointment changed again, was erased, has no
    /// address); the reason is kept.
    Dropped(String),
    /// Failed; tried again at the instant.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Failed for the last time: left for staff to look at and retry.
    Dead(String),
}

/// The queue at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting, due or not (reminders wait for their time).
    pub queued: i64,
    /// Waiting and due now.
    pub due: i64,
    pub sent: i64,
    pub dead: i64,
    pub dropped: i64,
    /// Seconds since the oldest message still waiting became due (0 when none is).
    pub oldest_due_seconds: i64,
}

/// Inserts `notices` on `conn` in one statement (also the SQLite batch's writes: a batch
/// of bookings writes all their messages at once).
pub(super) async fn insert(
    conn: &mut AnyConnection,
    notices: &[NewNotice],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Bound parameters per statement stay well under SQLite's limit (32,766).
    for chunk in notices.chunks(1000) {
        let sql = format!(
            "INSERT INTO outbox (appointment_id, office_id, event, channel, sequence, facts, \
             ready_at, due_at, created_at) VALUES {}",
            super::bulk::values_list(chunk.len(), 9)
        );
        let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql));
        for notice in chunk {
            statement = statement
                .bind(notice.appointment_id.clone())
                .bind(notice.office_id.clone())
                .bind(notice.event)
                .bind(notice.channel)
                .bind(notice.sequence)
                .bind(notice.facts.clone())
                .bind(notice.due_at.timestamp())
                .bind(notice.due_at.timestamp())
                .bind(now.timestamp());
        }
        statement.execute(&mut *conn).await?;
    }
    Ok(())
}

/// How long sent, dropped and dead messages are kept (staff look at dead ones).
pub const FINISHED_KEPT_DAYS: i64 = 30;

/// Deletes messages finished more than [`FINISHED_KEPT_DAYS`] ago.
pub(super) async fn purge_finished(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM outbox WHERE state <> 'queued' AND done_at < $1")
        .bind((now - chrono::Duration::days(FINISHED_KEPT_DAYS)).timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

const NOTICE_COLUMNS: &str = "id, appointment_id, office_id, event, channel, sequence, facts, \
     ready_at, due_at, state, attempts, last_error, created_at";

#[async_trait]
impl<C: Connection> Outbox for Sql<C> {
    async fn insert_notices(
        &mut self,
        notices: &[NewNotice],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert(self.conn(), notices, now).await
    }

    async fn drop_reminders(
        &mut self,
        appointment_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'dropped', last_error = $2, done_at = $3 \
             WHERE appointment_id = $1 AND event = 'reminder' AND state = 'queued'",
        )
        .bind(appointment_id)
        .bind(reason)
        .bind(now.timestamp())
        .execute(&mut *self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    async fn claim_notices(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        // SQLite has no row locks and needs none: its write lock already excludes every
        // other worker.
        let lock = if self.excludes_other_writers() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "UPDATE outbox SET lease_until = $2, leased_by = $3, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND due_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY due_at, id LIMIT $4{lock}) \
             RETURNING {NOTICE_COLUMNS}"
        );
        let mut rows: Vec<NoticeRecord> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now.timestamp())
            .bind(lease_until.timestamp())
            .bind(worker)
            .bind(limit)
            .fetch_all(&mut *self.conn())
            .await?;
        rows.sort_by_key(|r| (r.due_at, r.id));
        Ok(rows)
    }

    async fn finish_notice(
        &mut self,
        id: i64,
        worker: &str,
        outcome: &NoticeOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (state, due_at, error, done_at) = match outcome {
            NoticeOutcome::Sent => ("sent", None, None, Some(now.timestamp())),
            NoticeOutcome::Dropped(reason) => (
                "dropped",
                None,
                Some(reason.as_str()),
                Some(now.timestamp()),
            ),
            NoticeOutcome::Retry { at, error } => {
                ("queued", Some(at.timestamp()), Some(error.as_str()), None)
            }
            NoticeOutcome::Dead(error) => {
                ("dead", None, Some(error.as_str()), Some(now.timestamp()))
            }
        };
        // Only the lease holder finishes: a worker whose lease ran out (and whose row
        // another took) changes nothing.
        let done = sqlx::query(
            "UPDATE outbox SET state = $3, due_at = COALESCE($4, due_at), last_error = $5, \
             done_at = $6, lease_until = NULL, leased_by = NULL \
             WHERE id = $1 AND leased_by = $2 AND state = 'queued'",
        )
        .bind(id)
        .bind(worker)
        .bind(state)
        .bind(due_at)
        .bind(error)
        .bind(done_at)
        .execute(&mut *self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn dead_notices(
        &mut self,
        office_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM outbox WHERE state = 'dead' \
             AND ($1 IS NULL OR office_id = $1) ORDER BY id DESC LIMIT $2"
        )))
        .bind(office_id)
        .bind(limit)
        .fetch_all(&mut *self.conn())
        .await
        .map_err(Into::into)
    }

    async fn requeue_notice(
        &mut self,
        id: i64,
        office_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'queued', due_at = $2, attempts = 0, done_at = NULL, \
             lease_until = NULL, leased_by = NULL \
             WHERE id = $1 AND state = 'dead' AND ($3 IS NULL OR office_id = $3)",
        )
        .bind(id)
        .bind(now.timestamp())
        .bind(office_id)
        .execute(&mut *self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn outbox_counts(&mut self, now: DateTime<Utc>) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT state, COUNT(*), \
             SUM(CASE WHEN due_at <= $1 THEN 1 ELSE 0 END), \
             MIN(CASE WHEN ready_at <= $1 THEN ready_at END) \
             FROM outbox GROUP BY state",
        )
        .bind(now.timestamp())
        .fetch_all(&mut *self.conn())
        .await?;
        let mut counts = OutboxCounts::default();
        for (state, count, due, oldest) in rows {
            match state.as_str() {
                "queued" => {
                    counts.queued = count;
                    counts.due = due;
                    counts.oldest_due_seconds =
                        oldest.map_or(0, |at| (now.timestamp() - at).max(0));
                }
                "sent" => counts.sent = count,
                "dead" => counts.dead = count,
                _ => counts.dropped += count,
            }
        }
        Ok(counts)
    }
}
