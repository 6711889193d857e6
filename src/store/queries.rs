//! The SQL, once for both backends. Each function takes a connection so it runs inside
//! whatever transaction the caller holds.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::{Appointment, AppointmentFigures, DeskId, OfficeId, ServiceId, Status};

use super::StoreError;
use super::rows::{AppointmentRow, AuditEntry, HOLD_COLUMNS, HoldRecord, IdempotencyRecord};

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
pub async fn lock_office(
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

/// Serializes on one citizen (always before the office lock, so no deadlock).
pub async fn lock_citizen(conn: &mut AnyConnection, document: &str) -> Result<(), StoreError> {
    super::bulk::lock_citizens(conn, &[document]).await
}

/// Offices known to the database, and whether each exists; used by import.
pub async fn ensure_office(conn: &mut AnyConnection, office: &OfficeId) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO offices (id, version) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING")
        .bind(office.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn office_version(
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
        })
    }
}

/// Desk occupancies of an office overlapping `[from, to)`: appointments that take desk
/// time and live holds, in one round trip (this runs inside every booking).
pub async fn office_occupancies(
    conn: &mut AnyConnection,
    office: &OfficeId,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OccupancyRecord>, StoreError> {
    // On PostgreSQL the range test goes through the exclusion constraint's GiST index on
    // (office, desk, range); `start_at < $3` alone would scan every earlier appointment.
    let overlap = if conn.backend_name() == "PostgreSQL" {
        "int8range(start_at, occupied_until) && int8range($2, $3)"
    } else {
        "start_at < $3 AND occupied_until > $2"
    };
    let rows: Vec<OccupancyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT 'appointment' AS kind, id, service_id, desk_id, start_at, occupied_until, status FROM appointments \
         WHERE office_id = $1 AND {overlap} AND status IN ('booked', 'checked_in', 'completed') \
         UNION ALL \
         SELECT 'hold' AS kind, id, service_id, desk_id, start_at, occupied_until, 'held' AS status FROM holds \
         WHERE office_id = $1 AND start_at < $3 AND occupied_until > $2 AND expires_at > $4 \
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

/// A citizen's active appointments that have not ended yet, in every office.
pub async fn citizen_active_appointments(
    conn: &mut AnyConnection,
    document: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    super::bulk::citizens_active_appointments(conn, &[document], now).await
}

pub async fn find_appointment_by_locator(
    conn: &mut AnyConnection,
    locator: &str,
) -> Result<Option<Appointment>, StoreError> {
    let row: Option<AppointmentRow> = sqlx::query_as(select_appointments!("locator = $1"))
        .bind(locator)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Appointment::try_from).transpose()
}

pub async fn find_appointment(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Appointment>, StoreError> {
    let row: Option<AppointmentRow> = sqlx::query_as(select_appointments!("id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Appointment::try_from).transpose()
}

/// Appointments of an office starting in `[from, to)`, any status (agenda, feeds, closures).
pub async fn office_appointments_starting(
    conn: &mut AnyConnection,
    office: &OfficeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    let rows: Vec<AppointmentRow> = sqlx::query_as(select_appointments!(
        "office_id = $1 AND start_at >= $2 AND start_at < $3 ORDER BY start_at, desk_id, id"
    ))
    .bind(office.as_str())
    .bind(from.timestamp())
    .bind(to.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(Appointment::try_from).collect()
}

/// The procedure, times and status of an office's appointments starting in `[from, to)`:
/// what statistics count, without reading anyone's personal data.
pub async fn office_appointment_figures(
    conn: &mut AnyConnection,
    office: &OfficeId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AppointmentFigures>, StoreError> {
    let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
        "SELECT service_id, start_at, end_at, status FROM appointments \
         WHERE office_id = $1 AND start_at >= $2 AND start_at < $3",
    )
    .bind(office.as_str())
    .bind(from.timestamp())
    .bind(to.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(service_id, start_at, end_at, status)| {
            Ok(AppointmentFigures {
                service_id: ServiceId::new(service_id),
                start: super::rows::instant(start_at)?,
                end: super::rows::instant(end_at)?,
                status: Status::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
            })
        })
        .collect()
}

/// `Conflict` when the locator is taken (the caller draws another).
pub async fn insert_appointment(
    conn: &mut AnyConnection,
    a: &Appointment,
) -> Result<(), StoreError> {
    super::bulk::insert_appointments(conn, std::slice::from_ref(a)).await
}

/// Moves an appointment to another desk (a reassignment the citizen does not see).
pub async fn update_desk(
    conn: &mut AnyConnection,
    id: &str,
    desk: &DeskId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE appointments SET desk_id = $2 WHERE id = $1")
        .bind(id)
        .bind(desk.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes time, desk, status and sequence of an appointment after a change.
pub async fn update_appointment(
    conn: &mut AnyConnection,
    a: &Appointment,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE appointments SET desk_id = $2, start_at = $3, end_at = $4, occupied_until = $5, \
         status = $6, sequence = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(&a.id)
    .bind(a.desk_id.as_str())
    .bind(a.start.timestamp())
    .bind(a.end.timestamp())
    .bind(a.occupied_until.timestamp())
    .bind(a.status.as_str())
    .bind(a.sequence)
    .bind(a.updated_at.timestamp())
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    appointment_id: &str,
    scope: super::TokenScope,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let token = super::bulk::TokenRecord {
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
pub async fn appointment_of_token(
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
pub async fn lookup_key(
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
pub async fn delete_tokens(
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

/// When the next live hold of an office expires (availability changes then).
pub async fn earliest_hold_expiry(
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

pub async fn find_hold(
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

pub async fn insert_hold(conn: &mut AnyConnection, hold: &HoldRecord) -> Result<(), StoreError> {
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

pub async fn delete_hold(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    super::bulk::delete_holds(conn, &[id]).await
}

pub async fn update_hold_desk(
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

/// Expired holds are ignored by the allocator anyway; this only keeps the table small.
pub async fn delete_expired_holds(
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

pub async fn find_idempotency(
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
pub async fn insert_idempotency(
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

pub async fn purge_expired_idempotency(
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

pub async fn insert_audit(conn: &mut AnyConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    super::bulk::insert_audits(conn, std::slice::from_ref(entry)).await
}

/// A closure of an office over local dates `[from, to]`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosureRecord {
    pub office_id: String,
    pub from_date: String,
    pub to_date: String,
    pub reason: String,
}

pub async fn insert_closure(
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

pub async fn office_closures(
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

pub async fn load_config(conn: &mut AnyConnection) -> Result<Option<ConfigRecord>, StoreError> {
    Ok(
        sqlx::query_as("SELECT toml, files, digest, version FROM config WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn save_config(
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
