//! Offices: the lock every feasibility-changing write takes first, the desk occupancies
//! a booking reads under it, closures, and the stored configuration and digest key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::{OfficeId, ServiceId};

use super::sql::{Connection, Sql};
use super::{Offices, StoreError};

/// What taking an office's lock tells the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct OfficeLock {
    /// The office's version after this write's bump.
    pub version: i64,
    /// The stored configuration's version, so a writer can tell that the offices it
    /// planned with are out of date (another instance changed them).
    pub config_version: Option<i64>,
    /// How many closures the office has and the newest one's id: closures are only ever
    /// added, with ids never reused, so an unchanged mark means unchanged closures and a
    /// writer may use the ones it read before (one round trip less under the lock).
    pub closures_count: i64,
    pub closures_newest: i64,
}

/// Serializes on the office: the first statement of every feasibility-changing write.
/// `NotFound` when the office is not in the database.
///
/// The configuration version and the closure mark must be read after the lock is
/// granted: a subquery of the locking statement itself would read the snapshot taken
/// before it waited, and miss a closure or a configuration committed meanwhile. On
/// PostgreSQL a server-side function (migration 0003) reads them in a statement of their
/// own; SQLite holds its write lock from `BEGIN IMMEDIATE`, before any read.
pub(super) async fn lock_office(
    conn: &mut AnyConnection,
    office: &OfficeId,
) -> Result<OfficeLock, StoreError> {
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT version, config_version, closures_count, closures_newest FROM cita_lock_office($1)"
    } else {
        "UPDATE offices SET version = version + 1 WHERE id = $1 \
         RETURNING version, (SELECT version FROM config WHERE id = 1) AS config_version, \
         (SELECT COUNT(*) FROM office_closures WHERE office_id = $1) AS closures_count, \
         (SELECT COALESCE(MAX(id), 0) FROM office_closures WHERE office_id = $1) AS closures_newest"
    };
    let lock: Option<OfficeLock> = sqlx::query_as(sql)
        .bind(office.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    lock.ok_or(StoreError::NotFound)
}

/// Offices known to the database, and whether each exists; used by import.
pub(super) async fn ensure_office(
    conn: &mut AnyConnection,
    office: &OfficeId,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO offices (id, version) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING")
        .bind(office.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn office_version(
    conn: &mut AnyConnection,
    office: &OfficeId,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM offices WHERE id = $1")
            .bind(office.as_str())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// One desk occupancy as the allocator needs it: an appointment that takes desk time or
/// a hold that has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccupancyRecord {
    pub is_hold: bool,
    pub id: String,
    pub service_id: String,
    pub desk_id: String,
    pub start_at: i64,
    pub occupied_until: i64,
    /// Checked in or served: keeps its desk.
    pub pinned: bool,
    /// When a hold lets its time go (`None` for an appointment): an answer that counted
    /// the hold holds until then.
    pub expires_at: Option<i64>,
}

impl TryFrom<OccupancyRow> for OccupancyRecord {
    type Error = StoreError;

    fn try_from(row: OccupancyRow) -> Result<Self, StoreError> {
        let pinned = match row.status.as_str() {
            "held" | "booked" => false,
            "checked_in" | "completed" => true,
            other => return Err(StoreError::Corrupt(format!("occupancy status {other:?}"))),
        };
        Ok(OccupancyRecord {
            is_hold: row.kind == "hold",
            id: row.id,
            service_id: row.service_id,
            desk_id: row.desk_id,
            start_at: row.start_at,
            occupied_until: row.occupied_until,
            pinned,
            expires_at: row.expires_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
pub(crate) struct OccupancyRow {
    kind: String,
    id: String,
    service_id: String,
    desk_id: String,
    start_at: i64,
    occupied_until: i64,
    status: String,
    #[serde(default)]
    expires_at: Option<i64>,
}

/// Desk occupancies of an office overlapping `[from, to)`: appointments that take desk
/// time and live holds, in one round trip (this runs inside every booking).
pub(super) async fn office_occupancies(
    conn: &mut AnyConnection,
    office: &OfficeId,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OccupancyRecord>, StoreError> {
    // On PostgreSQL the range test goes through the exclusion constraint's GiST index on
    // (office, desk, range); `start_at < $3` alone would scan every earlier appointment.
    // On SQLite the index on (office, start) bounds the scan from both sides only with a
    // lower bound on the start: no occupancy lasts longer than a day (configuration
    // validation refuses a duration plus buffer over 24 hours), so one that reaches past
    // `$2` started at most a day before. Without it, a question about a late date read
    // every earlier appointment of the office.
    let overlap = if conn.backend_name() == "PostgreSQL" {
        "int8range(start_at, occupied_until) && int8range($2, $3)"
    } else {
        "start_at < $3 AND start_at >= $2 - 86400 AND occupied_until > $2"
    };
    let rows: Vec<OccupancyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT 'appointment' AS kind, id, service_id, desk_id, start_at, occupied_until, status, \
         CAST(NULL AS BIGINT) AS expires_at FROM appointments \
         WHERE office_id = $1 AND {overlap} AND status IN ('booked', 'checked_in', 'completed') \
         UNION ALL \
         SELECT 'hold' AS kind, id, service_id, desk_id, start_at, occupied_until, 'held' AS status, expires_at FROM holds \
         WHERE office_id = $1 AND start_at < $3 AND start_at >= $2 - 86400 AND occupied_until > $2 \
         AND expires_at > $4 \
         ORDER BY start_at, id"
    )))
    .bind(office.as_str())
    .bind(from.timestamp())
    .bind(to.timestamp())
    .bind(now.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(OccupancyRecord::try_from).collect()
}

/// See [`super::Offices::public_starts`]. Who booked is read from the audit log's
/// `booked` entry (written in the booking's own transaction, kept as long as the row).
pub(super) async fn public_starts(
    conn: &mut AnyConnection,
    office: &OfficeId,
    service: &ServiceId,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT 'appt:' || a.id, a.start_at FROM appointments a \
         WHERE a.office_id = $1 AND a.service_id = $2 AND a.start_at >= $3 AND a.start_at < $4 \
         AND a.status IN ('booked', 'checked_in', 'completed') \
         AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.appointment_id = a.id \
         AND l.action = 'booked' AND l.actor_kind = 'staff') \
         UNION ALL \
         SELECT 'hold:' || h.id, h.start_at FROM holds h \
         WHERE h.office_id = $1 AND h.service_id = $2 AND h.start_at >= $3 AND h.start_at < $4 \
         AND h.expires_at > $5",
    )
    .bind(office.as_str())
    .bind(service.as_str())
    .bind(from.timestamp())
    .bind(to.timestamp())
    .bind(now.timestamp())
    .fetch_all(&mut *conn)
    .await?)
}

/// A closure of an office over local dates `[from, to]`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosureRecord {
    pub office_id: String,
    pub from_date: String,
    pub to_date: String,
    pub reason: String,
}

pub(super) async fn insert_closure(
    conn: &mut AnyConnection,
    closure: &ClosureRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO office_closures (office_id, from_date, to_date, reason, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&closure.office_id)
        .bind(&closure.from_date)
        .bind(&closure.to_date)
        .bind(&closure.reason)
        .bind(now.timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn office_closures(
    conn: &mut AnyConnection,
    office: &OfficeId,
) -> Result<Vec<ClosureRecord>, StoreError> {
    Ok(sqlx::query_as("SELECT office_id, from_date, to_date, reason FROM office_closures WHERE office_id = $1 ORDER BY id")
        .bind(office.as_str())
        .fetch_all(&mut *conn)
        .await?)
}

/// The stored configuration document, if any: (toml, files as JSON, digest, version).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConfigRecord {
    pub toml: String,
    pub files: String,
    pub digest: String,
    pub version: i64,
}

pub(super) async fn load_config(
    conn: &mut AnyConnection,
) -> Result<Option<ConfigRecord>, StoreError> {
    Ok(
        sqlx::query_as("SELECT toml, files, digest, version FROM config WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub(super) async fn save_config(
    conn: &mut AnyConnection,
    record: &ConfigRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO config (id, toml, files, digest, version, updated_at) VALUES (1, $1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET toml = $1, files = $2, digest = $3, version = $4, updated_at = $5",
    )
    .bind(&record.toml)
    .bind(&record.files)
    .bind(&record.digest)
    .bind(record.version)
    .bind(now.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The stored configuration's version: one indexed row, cheap enough to poll.
pub(super) async fn config_version(conn: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM config WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Every office row, ascending: the order in which a transaction touching all offices
/// must lock them.
pub(super) async fn all_office_ids(conn: &mut AnyConnection) -> Result<Vec<OfficeId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM offices ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    Ok(ids.into_iter().map(OfficeId::new).collect())
}

/// The stored digest key (64 hex digits), stored first as `candidate` if there is none
/// yet: every instance ends up with the one the first instance wrote.
pub(super) async fn server_pepper(
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

#[async_trait]
impl<C: Connection> Offices for Sql<C> {
    async fn lock_office(&mut self, office: &OfficeId) -> Result<OfficeLock, StoreError> {
        lock_office(self.conn(), office).await
    }
    async fn ensure_office(&mut self, office: &OfficeId) -> Result<(), StoreError> {
        ensure_office(self.conn(), office).await
    }
    async fn office_version(&mut self, office: &OfficeId) -> Result<Option<i64>, StoreError> {
        office_version(self.conn(), office).await
    }
    async fn office_occupancies(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OccupancyRecord>, StoreError> {
        office_occupancies(self.conn(), office, now, from, to).await
    }
    async fn public_starts(
        &mut self,
        office: &OfficeId,
        service: &ServiceId,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        public_starts(self.conn(), office, service, now, from, to).await
    }
    async fn insert_closure(
        &mut self,
        closure: &ClosureRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_closure(self.conn(), closure, now).await
    }
    async fn availability_changes(
        &mut self,
        office: &OfficeId,
        since: i64,
    ) -> Result<Vec<super::ChangeRecord>, StoreError> {
        super::changes::changes_since(self.conn(), office, since).await
    }
    async fn office_closures(
        &mut self,
        office: &OfficeId,
    ) -> Result<Vec<ClosureRecord>, StoreError> {
        office_closures(self.conn(), office).await
    }
    async fn load_config(&mut self) -> Result<Option<ConfigRecord>, StoreError> {
        load_config(self.conn()).await
    }
    async fn save_config(
        &mut self,
        record: &ConfigRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        save_config(self.conn(), record, now).await
    }
    async fn config_version(&mut self) -> Result<Option<i64>, StoreError> {
        config_version(self.conn()).await
    }
    async fn all_office_ids(&mut self) -> Result<Vec<OfficeId>, StoreError> {
        all_office_ids(self.conn()).await
    }
    async fn server_pepper(&mut self, candidate: &str) -> Result<String, StoreError> {
        server_pepper(self.conn(), candidate).await
    }
}
