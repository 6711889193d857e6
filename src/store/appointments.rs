//! Appointments: the citizen's lock, lookups by id and locator, the reads of the agenda,
//! the statistics and the calendar feeds, and single-row writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::{Appointment, AppointmentFigures, DeskId, OfficeId, ServiceId, Status};

use super::rows::AppointmentRow;
use super::sql::{Connection, Sql};
use super::{Appointments, CitizenHistory, CitizenMark, StoreError, bulk};

/// Serializes on one citizen (always before the office lock, so no deadlock).
pub(super) async fn lock_citizen(
    conn: &mut AnyConnection,
    document: &str,
) -> Result<(), StoreError> {
    super::bulk::lock_citizens(conn, &[document]).await
}

/// A citizen's active appointments that have not ended yet, in every office.
pub(super) async fn citizen_active_appointments(
    conn: &mut AnyConnection,
    document: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    super::bulk::citizens_active_appointments(conn, &[document], now).await
}

pub(super) async fn citizen_history(
    conn: &mut AnyConnection,
    document_key: &str,
    service: &ServiceId,
    since: DateTime<Utc>,
) -> Result<CitizenHistory, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, at FROM citizen_marks \
         WHERE document_key = $1 AND service_id = $2 AND at >= $3",
    )
    .bind(document_key)
    .bind(service.as_str())
    .bind(since.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    let mut history = CitizenHistory::default();
    for (kind, at) in rows {
        let at = DateTime::from_timestamp(at, 0).unwrap_or(DateTime::UNIX_EPOCH);
        if kind == CitizenMark::NoShow.as_str() {
            history.no_shows.push(at);
        } else {
            history.cancellations.push(at);
        }
    }
    Ok(history)
}

pub(super) async fn mark_citizen(
    conn: &mut AnyConnection,
    document_key: &str,
    service: &ServiceId,
    mark: CitizenMark,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO citizen_marks (document_key, service_id, kind, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(document_key)
    .bind(service.as_str())
    .bind(mark.as_str())
    .bind(at.timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn find_appointment_by_locator(
    conn: &mut AnyConnection,
    locator: &str,
) -> Result<Option<Appointment>, StoreError> {
    let row: Option<AppointmentRow> = sqlx::query_as(select_appointments!("locator = $1"))
        .bind(locator)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Appointment::try_from).transpose()
}

pub(super) async fn find_appointment(
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
pub(super) async fn office_appointments_starting(
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
pub(super) async fn office_appointment_figures(
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
pub(super) async fn insert_appointment(
    conn: &mut AnyConnection,
    a: &Appointment,
) -> Result<(), StoreError> {
    super::bulk::insert_appointments(conn, std::slice::from_ref(a)).await
}

/// Moves an appointment to another desk (a reassignment the citizen does not see).
pub(super) async fn update_desk(
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
pub(super) async fn update_appointment(
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

/// Active (booked or checked-in) appointments of every office whose desk time has not
/// ended by `now`: what a configuration change could strand.
pub(super) async fn active_appointments_after(
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
pub(super) async fn feed_appointments(
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

#[async_trait]
impl<C: Connection> Appointments for Sql<C> {
    async fn lock_citizen(&mut self, document: &str) -> Result<(), StoreError> {
        if self.excludes_other_writers() {
            return Ok(());
        }
        lock_citizen(self.conn(), document).await
    }
    async fn citizens_active_appointments(
        &mut self,
        documents: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        bulk::citizens_active_appointments(self.conn(), documents, now).await
    }
    async fn citizen_active_appointments(
        &mut self,
        document: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        citizen_active_appointments(self.conn(), document, now).await
    }
    async fn citizen_history(
        &mut self,
        document_key: &str,
        service: &ServiceId,
        since: DateTime<Utc>,
    ) -> Result<CitizenHistory, StoreError> {
        citizen_history(self.conn(), document_key, service, since).await
    }
    async fn mark_citizen(
        &mut self,
        document_key: &str,
        service: &ServiceId,
        mark: CitizenMark,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        mark_citizen(self.conn(), document_key, service, mark, at).await
    }
    async fn find_appointment_by_locator(
        &mut self,
        locator: &str,
    ) -> Result<Option<Appointment>, StoreError> {
        find_appointment_by_locator(self.conn(), locator).await
    }
    async fn find_appointment(&mut self, id: &str) -> Result<Option<Appointment>, StoreError> {
        find_appointment(self.conn(), id).await
    }
    async fn office_appointments_starting(
        &mut self,
        office: &OfficeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        office_appointments_starting(self.conn(), office, from, to).await
    }
    async fn office_appointment_figures(
        &mut self,
        office: &OfficeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AppointmentFigures>, StoreError> {
        office_appointment_figures(self.conn(), office, from, to).await
    }
    async fn insert_appointment(&mut self, a: &Appointment) -> Result<(), StoreError> {
        insert_appointment(self.conn(), a).await
    }
    async fn update_desk(&mut self, id: &str, desk: &DeskId) -> Result<(), StoreError> {
        update_desk(self.conn(), id, desk).await
    }
    async fn update_appointment(&mut self, a: &Appointment) -> Result<(), StoreError> {
        update_appointment(self.conn(), a).await
    }
    async fn active_appointments_after(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        active_appointments_after(self.conn(), now).await
    }
    async fn feed_appointments(
        &mut self,
        office: &OfficeId,
        desk: Option<&DeskId>,
        since: DateTime<Utc>,
        cancelled_since: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError> {
        feed_appointments(self.conn(), office, desk, since, cancelled_since).await
    }
}
