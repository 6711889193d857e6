//! Release draws and their entries (`migrations/*/0009_draws.sql`).

use async_trait::async_trait;
use sqlx::AnyConnection;

use super::sql::{Connection, Sql};
use super::{Draws, StoreError};

/// One happening of a draw release, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DrawRecord {
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    pub release_at: i64,
    /// Secret until the draw has run.
    pub seed: String,
    pub seed_sha256: String,
    /// `open` (taking entries or waiting for its instant), `running`, `drawn`.
    pub state: String,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    /// What the draw allocated from (JSON), once it has started.
    pub supply: Option<String>,
    /// The entry list's digest, stored (and published) when entries close.
    pub entries_sha256: Option<String>,
    pub drawn_at: Option<i64>,
    pub created_at: i64,
}

/// One document's entry in a draw.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DrawEntryRecord {
    pub id: String,
    pub draw_id: String,
    pub document_key: String,
    pub entry_hash: String,
    pub token_hash: String,
    /// A locator-like code the entrant is shown: with their document it reads the result
    /// on the pages (the bearer token is the API's).
    pub entry_code: String,
    pub priority: i64,
    pub from_date: String,
    pub to_date: String,
    pub part_of_day: String,
    /// The personal data: kept until the draw has run, then erased.
    pub citizen_name: Option<String>,
    pub document: Option<String>,
    pub document_type: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Place in the draw's order (from 1), once drawn.
    pub position: Option<i64>,
    /// `waiting`, `assigned`, `none` (nothing fitted), `refused` (the booking of what
    /// the draw gave was refused: the citizen rules, checked again).
    pub result: String,
    pub appointment_id: Option<String>,
    /// The start the draw gave, UTC seconds (as published; the appointment may move).
    pub assigned_start: Option<i64>,
    pub created_at: i64,
}

/// What the draw gave one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryResult {
    pub entry_id: String,
    pub position: i64,
    /// `assigned`, `none` or `refused`.
    pub result: &'static str,
    pub appointment_id: Option<String>,
    pub assigned_start: Option<i64>,
}

/// The columns of a draw row, in [`DrawRecord`]'s order.
macro_rules! draw_columns {
    () => {
        "id, office_id, service_id, release_at, seed, seed_sha256, state, \
         lease_owner, lease_until, supply, entries_sha256, drawn_at, created_at"
    };
}

/// The columns of an entry row, in [`DrawEntryRecord`]'s order.
macro_rules! entry_columns {
    () => {
        "id, draw_id, document_key, entry_hash, token_hash, entry_code, priority, \
         from_date, to_date, part_of_day, citizen_name, document, document_type, email, phone, \
         position, result, appointment_id, assigned_start, created_at"
    };
}

/// Entries whose `$column` equals the one bound value, by id.
macro_rules! select_entries {
    ($column:literal) => {
        concat!(
            "SELECT ",
            entry_columns!(),
            " FROM draw_entries WHERE ",
            $column,
            " = $1 ORDER BY id"
        )
    };
}

async fn entries_by(
    conn: &mut AnyConnection,
    sql: &'static str,
    value: &str,
) -> Result<Vec<DrawEntryRecord>, StoreError> {
    Ok(sqlx::query_as(sql)
        .bind(value)
        .fetch_all(&mut *conn)
        .await?)
}

#[async_trait]
impl<C: Connection> Draws for Sql<C> {
    async fn create_draw(&mut self, draw: &DrawRecord) -> Result<(), StoreError> {
        sqlx::query(concat!(
            "INSERT INTO draws (",
            draw_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&draw.id)
        .bind(&draw.office_id)
        .bind(&draw.service_id)
        .bind(draw.release_at)
        .bind(&draw.seed)
        .bind(&draw.seed_sha256)
        .bind(&draw.state)
        .bind(&draw.lease_owner)
        .bind(draw.lease_until)
        .bind(&draw.supply)
        .bind(&draw.entries_sha256)
        .bind(draw.drawn_at)
        .bind(draw.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn find_draw(&mut self, id: &str) -> Result<Option<DrawRecord>, StoreError> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            draw_columns!(),
            " FROM draws WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?)
    }

    async fn drawn_instants(
        &mut self,
        office_id: &str,
        service_id: &str,
        since: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT release_at FROM draws WHERE office_id = $1 AND service_id = $2 \
             AND release_at >= $3 AND state = 'drawn'",
        )
        .bind(office_id)
        .bind(service_id)
        .bind(since)
        .fetch_all(self.conn())
        .await?)
    }

    async fn claim_draw(
        &mut self,
        id: &str,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE draws SET lease_owner = $2, lease_until = $4 WHERE id = $1 \
             AND state <> 'drawn' \
             AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $3)",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .bind(until)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    async fn close_entries(&mut self, id: &str, digest: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE draws SET entries_sha256 = $2 WHERE id = $1 AND entries_sha256 IS NULL",
        )
        .bind(id)
        .bind(digest)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn start_draw(&mut self, id: &str, supply: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE draws SET supply = $2, state = 'running' WHERE id = $1 AND supply IS NULL",
        )
        .bind(id)
        .bind(supply)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn insert_draw_entry(&mut self, entry: &DrawEntryRecord) -> Result<bool, StoreError> {
        // Only while the draw takes entries: once a run has stored its supply it has read
        // (or is about to read) the entries, whatever any instance's clock says.
        let inserted = sqlx::query(concat!(
            "INSERT INTO draw_entries (",
            entry_columns!(),
            ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20 WHERE EXISTS (SELECT 1 FROM draws WHERE id = $2 \
             AND state = 'open' AND supply IS NULL AND entries_sha256 IS NULL) \
             ON CONFLICT (draw_id, document_key) DO NOTHING"
        ))
        .bind(&entry.id)
        .bind(&entry.draw_id)
        .bind(&entry.document_key)
        .bind(&entry.entry_hash)
        .bind(&entry.token_hash)
        .bind(&entry.entry_code)
        .bind(entry.priority)
        .bind(&entry.from_date)
        .bind(&entry.to_date)
        .bind(&entry.part_of_day)
        .bind(&entry.citizen_name)
        .bind(&entry.document)
        .bind(&entry.document_type)
        .bind(&entry.email)
        .bind(&entry.phone)
        .bind(entry.position)
        .bind(&entry.result)
        .bind(&entry.appointment_id)
        .bind(entry.assigned_start)
        .bind(entry.created_at)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn draw_entries(&mut self, draw_id: &str) -> Result<Vec<DrawEntryRecord>, StoreError> {
        entries_by(self.conn(), select_entries!("draw_id"), draw_id).await
    }

    async fn count_draw_entries(&mut self, draw_id: &str) -> Result<(i64, i64), StoreError> {
        let (entries, assigned): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), SUM(CASE WHEN result = 'assigned' THEN 1 ELSE 0 END) \
             FROM draw_entries WHERE draw_id = $1",
        )
        .bind(draw_id)
        .fetch_one(self.conn())
        .await?;
        Ok((entries, assigned.unwrap_or(0)))
    }

    async fn draw_entry_of_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<DrawEntryRecord>, StoreError> {
        Ok(
            entries_by(self.conn(), select_entries!("token_hash"), token_hash)
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn draw_entries_by_code(
        &mut self,
        entry_code: &str,
    ) -> Result<Vec<DrawEntryRecord>, StoreError> {
        entries_by(self.conn(), select_entries!("entry_code"), entry_code).await
    }

    async fn previous_draw_result(
        &mut self,
        office_id: &str,
        service_id: &str,
        before: i64,
        document_key: &str,
    ) -> Result<Option<String>, StoreError> {
        // The latest drawn draw of the procedure before this one, and the document's
        // entry in it (none: it did not enter).
        let last: Option<String> = sqlx::query_scalar(
            "SELECT id FROM draws WHERE office_id = $1 AND service_id = $2 \
             AND release_at < $3 AND state = 'drawn' ORDER BY release_at DESC LIMIT 1",
        )
        .bind(office_id)
        .bind(service_id)
        .bind(before)
        .fetch_optional(self.conn())
        .await?;
        let Some(last) = last else {
            return Ok(None);
        };
        Ok(sqlx::query_scalar(
            "SELECT result FROM draw_entries WHERE draw_id = $1 AND document_key = $2",
        )
        .bind(last)
        .bind(document_key)
        .fetch_optional(self.conn())
        .await?)
    }

    async fn record_draw_results(&mut self, results: &[EntryResult]) -> Result<(), StoreError> {
        for result in results {
            sqlx::query(
                "UPDATE draw_entries SET position = $2, result = $3, appointment_id = $4, \
                 assigned_start = $5 WHERE id = $1",
            )
            .bind(&result.entry_id)
            .bind(result.position)
            .bind(result.result)
            .bind(&result.appointment_id)
            .bind(result.assigned_start)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    async fn finish_draw(&mut self, id: &str, office_id: &str, now: i64) -> Result<(), StoreError> {
        // Erased first: whatever happens after, nobody needs these any more.
        sqlx::query(
            "UPDATE draw_entries SET citizen_name = NULL, document = NULL, document_type = NULL, \
             email = NULL, phone = NULL WHERE draw_id = $1",
        )
        .bind(id)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "UPDATE draws SET state = 'drawn', drawn_at = $2, lease_owner = NULL, \
             lease_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(self.conn())
        .await?;
        // Its dates open first come: every availability answer of the office changes.
        sqlx::query("UPDATE offices SET version = version + 1 WHERE id = $1")
            .bind(office_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

/// Erases the personal data of entries whose draw is more than a day past its instant,
/// whatever became of it (a draw dropped from the configuration never runs), and drops
/// entries and draws older than 400 days.
pub(super) async fn purge_draws(conn: &mut AnyConnection, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE draw_entries SET citizen_name = NULL, document = NULL, document_type = NULL, \
         email = NULL, phone = NULL WHERE document IS NOT NULL AND draw_id IN \
         (SELECT id FROM draws WHERE release_at < $1)",
    )
    .bind(now - 86_400)
    .execute(&mut *conn)
    .await?;
    let old = now - 400 * 86_400;
    sqlx::query(
        "DELETE FROM draw_entries WHERE draw_id IN (SELECT id FROM draws WHERE release_at < $1)",
    )
    .bind(old)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM draws WHERE release_at < $1")
        .bind(old)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
