//! Statements over many rows at once, so a batch of bookings costs a handful of round
//! trips instead of a handful per booking: inside an office's critical section every
//! round trip is time the next booking of that office waits.
//!
//! The SQL text depends only on the number of rows (never on their values, which are
//! always bound), so it is safe to build and each size is prepared once per connection.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use crate::domain::Appointment;

use super::rows::{AppointmentRow, AuditEntry, HOLD_COLUMNS, HoldRecord};
use super::{StoreError, TokenRecord};

/// `($1, $2), ($3, $4)` for `rows` rows of `columns` columns.
pub(super) fn values_list(rows: usize, columns: usize) -> String {
    values_list_from(1, rows, columns)
}

/// [`values_list`] with placeholders numbered from `$first`.
fn values_list_from(first: usize, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(first + row * columns + column).to_string());
        }
        sql.push(')');
    }
    sql
}

/// `$first, $first+1, ...` for an `IN (...)` list of `count` values.
pub(super) fn in_list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn query(sql: String) -> AnyQuery {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// Serializes on several citizens at once (PostgreSQL), always in document order, so two
/// batches that share citizens never wait on each other in a cycle.
pub(super) async fn lock_citizens(
    conn: &mut AnyConnection,
    documents: &[&str],
) -> Result<(), StoreError> {
    let mut documents = documents.to_vec();
    documents.sort_unstable();
    documents.dedup();
    if documents.is_empty() {
        return Ok(());
    }
    let rows = (0..documents.len())
        .map(|i| format!("(${}, 1)", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let mut statement = query(format!(
        "INSERT INTO citizens (document, version) VALUES {rows} \
         ON CONFLICT (document) DO UPDATE SET version = citizens.version + 1"
    ));
    for document in documents {
        statement = statement.bind(document.to_owned());
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

/// The active appointments that have not ended yet of each of `documents`, in every
/// office, in one round trip.
pub(super) async fn citizens_active_appointments(
    conn: &mut AnyConnection,
    documents: &[&str],
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    let mut documents = documents.to_vec();
    documents.sort_unstable();
    documents.dedup();
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement = sqlx::query_as::<_, AppointmentRow>(sqlx::AssertSqlSafe(format!(
        "{} AND document IN ({}) ORDER BY start_at, id",
        select_appointments!("occupied_until > $1 AND status IN ('booked', 'checked_in')"),
        in_list(2, documents.len())
    )))
    .bind(now.timestamp());
    for document in documents {
        statement = statement.bind(document.to_owned());
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    rows.into_iter().map(Appointment::try_from).collect()
}

const APPOINTMENT_COLUMNS: &str = appointment_columns!();
const TOKEN_COLUMNS: &str = "token_hash, appointment_id, created_at, scope";
const AUDIT_COLUMNS: &str = "at, office_id, appointment_id, action, actor_kind, actor_id, detail";

type AnyQuery = Query<'static, sqlx::Any, AnyArguments>;

fn bind_appointments(mut statement: AnyQuery, appointments: &[Appointment]) -> AnyQuery {
    for a in appointments {
        statement = statement
            .bind(a.id.clone())
            .bind(a.locator.as_str().to_owned())
            .bind(a.office_id.as_str().to_owned())
            .bind(a.service_id.as_str().to_owned())
            .bind(a.desk_id.as_str().to_owned())
            .bind(a.start.timestamp())
            .bind(a.end.timestamp())
            .bind(a.occupied_until.timestamp())
            .bind(a.status.as_str())
            .bind(a.sequence)
            .bind(a.citizen_name.clone())
            .bind(a.document.clone())
            .bind(a.document_type.clone())
            .bind(a.email.clone())
            .bind(a.phone.clone())
            .bind(a.created_at.timestamp())
            .bind(a.updated_at.timestamp())
            .bind(a.language.clone());
    }
    statement
}

fn bind_tokens(mut statement: AnyQuery, tokens: &[TokenRecord], now: DateTime<Utc>) -> AnyQuery {
    for token in tokens {
        statement = statement
            .bind(token.token_hash.clone())
            .bind(token.appointment_id.clone())
            .bind(now.timestamp())
            .bind(token.scope.as_str());
    }
    statement
}

fn bind_audits(mut statement: AnyQuery, entries: &[AuditEntry]) -> AnyQuery {
    for entry in entries {
        statement = statement
            .bind(entry.at.timestamp())
            .bind(entry.office_id.as_str().to_owned())
            .bind(entry.appointment_id.clone())
            .bind(entry.action)
            .bind(entry.actor_kind)
            .bind(entry.actor_id.clone())
            .bind(entry.detail.clone());
    }
    statement
}

/// `Conflict` when a locator is taken (the caller draws new ones and retries).
pub(super) async fn insert_appointments(
    conn: &mut AnyConnection,
    appointments: &[Appointment],
) -> Result<(), StoreError> {
    if appointments.is_empty() {
        return Ok(());
    }
    let statement = query(format!(
        "INSERT INTO appointments ({APPOINTMENT_COLUMNS}) VALUES {}",
        values_list(appointments.len(), 18)
    ));
    bind_appointments(statement, appointments)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn insert_tokens(
    conn: &mut AnyConnection,
    tokens: &[TokenRecord],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if tokens.is_empty() {
        return Ok(());
    }
    let statement = query(format!(
        "INSERT INTO appointment_tokens ({TOKEN_COLUMNS}) VALUES {}",
        values_list(tokens.len(), 4)
    ));
    bind_tokens(statement, tokens, now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn insert_audits(
    conn: &mut AnyConnection,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let statement = query(format!(
        "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES {}",
        values_list(entries.len(), 7)
    ));
    bind_audits(statement, entries).execute(&mut *conn).await?;
    Ok(())
}

/// The holds among `ids` that exist (expired or not), in one round trip.
pub(super) async fn holds_by_id(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<Vec<HoldRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement = sqlx::query_as::<_, HoldRecord>(sqlx::AssertSqlSafe(format!(
        "SELECT {HOLD_COLUMNS} FROM holds WHERE id IN ({})",
        in_list(1, ids.len())
    )));
    for id in ids {
        statement = statement.bind((*id).to_owned());
    }
    Ok(statement.fetch_all(&mut *conn).await?)
}

/// Deletes holds by id (the ones a batch of bookings turned into appointments).
pub(super) async fn delete_holds(conn: &mut AnyConnection, ids: &[&str]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut statement = query(format!(
        "DELETE FROM holds WHERE id IN ({})",
        in_list(1, ids.len())
    ));
    for id in ids {
        statement = statement.bind((*id).to_owned());
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(values_list(1, 3), "($1, $2, $3)");
        assert_eq!(values_list(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(in_list(2, 3), "$2, $3, $4");
        assert_eq!(values_list_from(7, 2, 1), "($7), ($8)");
    }
}
