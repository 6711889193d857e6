//! The audit trail: the line every change writes in its transaction, and the staff's
//! reading of it (who did what and when, newest first, a page at a time, filtered by
//! local day and action).

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::local_to_utc;
use crate::domain::{Appointment, DeskId, OfficeId, ServiceId, Status, WallTime};
use crate::store::{AuditEntry, AuditFilter, AuditLine, Records, StoreError};

use super::{Actor, Booking, BookingError};

/// Every action the trail records, in the order of an appointment's life.
pub const AUDIT_ACTIONS: &[&str] = &[
    "booked",
    "rescheduled",
    "checked_in",
    "check_in_undone",
    "completed",
    "no_show",
    "cancelled",
    "erased",
];

/// What a line's detail says, read back from the text the use cases write with
/// [`booked_detail`] and [`moved_detail`] (kept here side by side so they stay in step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditDetail {
    /// A booking: the desk it was placed at.
    Desk(DeskId),
    /// A reschedule: the old and the new start.
    Moved {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// A citizen's cancellation: the time went back on sale after this many seconds.
    HeldBack(i64),
    /// Anything else, e.g. a reason staff typed, as written.
    Text(String),
}

/// The detail of a `booked` line.
pub(crate) fn booked_detail(service: &ServiceId, desk: &DeskId) -> String {
    format!("service {service} desk {desk}")
}

/// The detail of a `rescheduled` line.
pub(crate) fn moved_detail(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!("from {} to {}", from.to_rfc3339(), to.to_rfc3339())
}

/// The detail of a citizen's `cancelled` line whose time was kept off sale for `delay`.
pub(crate) fn held_back_detail(delay: chrono::Duration) -> String {
    format!("held back {} s", delay.num_seconds())
}

/// Reads a line's `detail` for its `action`.
pub fn audit_detail(action: &str, detail: &str) -> AuditDetail {
    let words: Vec<&str> = detail.split_whitespace().collect();
    let instant = |text: &str| DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc());
    match (action, words.as_slice()) {
        ("booked", ["service", _, "desk", desk]) => AuditDetail::Desk(DeskId::new(*desk)),
        ("rescheduled", ["from", from, "to", to]) => match (instant(from), instant(to)) {
            (Some(from), Some(to)) => AuditDetail::Moved { from, to },
            _ => AuditDetail::Text(detail.to_owned()),
        },
        ("cancelled", ["held", "back", seconds, "s"]) => match seconds.parse() {
            Ok(seconds) => AuditDetail::HeldBack(seconds),
            Err(_) => AuditDetail::Text(detail.to_owned()),
        },
        _ => AuditDetail::Text(detail.to_owned()),
    }
}

/// Lines per page.
pub const AUDIT_PAGE: usize = 50;

/// A page of the trail; `older` is set when there are older lines (pass it as `before`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    pub older: Option<i64>,
}

impl Booking {
    /// The office's trail on local `day` (any day when `None`), for `action` (any when
    /// `None`), older than line `before`. `Validation` for an action not in
    /// [`AUDIT_ACTIONS`].
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id))]
    pub async fn audit_trail(
        &self,
        office_id: &OfficeId,
        day: Option<NaiveDate>,
        action: Option<&str>,
        before: Option<i64>,
    ) -> Result<AuditPage, BookingError> {
        if let Some(action) = action
            && !AUDIT_ACTIONS.contains(&action)
        {
            return Err(BookingError::Validation(format!("unknown action {action}")));
        }
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let (from, to) = match day {
            Some(day) => (
                local_to_utc(office.timezone, day, WallTime::MIDNIGHT).timestamp(),
                local_to_utc(office.timezone, day, WallTime::END_OF_DAY).timestamp(),
            ),
            None => (i64::MIN, i64::MAX),
        };
        let filter = AuditFilter {
            from,
            to,
            action: action.map(str::to_owned),
            before: before.unwrap_or(i64::MAX),
            limit: AUDIT_PAGE as i64 + 1,
        };
        let mut conn = self.store().read().await?;
        let mut lines = conn.office_audit(office_id.as_str(), &filter).await?;
        let older = (lines.len() > AUDIT_PAGE).then(|| {
            lines.truncate(AUDIT_PAGE);
            lines.last().map_or(0, |l| l.id)
        });
        Ok(AuditPage { lines, older })
    }
}

/// Cancels an appointment inside the caller's transaction (closures, configuration
/// changes): the status, a new sequence so calendars see it, the audit line, and the
/// citizen's message (saying `told`, when given).
pub(crate) async fn cancel_in_transaction(
    booking: &Booking,
    conn: &mut dyn Records,
    appointment: &mut Appointment,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
    told: Option<String>,
) -> Result<(), StoreError> {
    appointment.status = Status::Cancelled;
    appointment.sequence += 1;
    appointment.updated_at = now;
    conn.update_appointment(appointment).await?;
    audit(conn, appointment, "cancelled", actor, now, detail).await?;
    let event = super::NoticeEvent::Cancelled { reason: told };
    booking.notify_in(conn, appointment, event, now).await
}

pub(crate) async fn audit(
    conn: &mut dyn Records,
    appointment: &Appointment,
    action: &'static str,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    conn.insert_audit(&AuditEntry {
        at: now,
        office_id: appointment.office_id.clone(),
        appointment_id: Some(appointment.id.clone()),
        action,
        actor_kind: actor.kind(),
        actor_id: actor.id(),
        detail,
    })
    .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_held_back_cancellation_reads_back_its_delay() {
        let written = held_back_detail(chrono::Duration::seconds(734));
        assert_eq!(
            audit_detail("cancelled", &written),
            AuditDetail::HeldBack(734)
        );
        assert_eq!(
            audit_detail("cancelled", "held back soon s"),
            AuditDetail::Text("held back soon s".into())
        );
        assert_eq!(
            audit_detail("booked", &written),
            AuditDetail::Text(written.clone())
        );
    }

    #[test]
    fn details_read_back_what_was_written() {
        let desk = DeskId::new("puesto-2");
        let written = booked_detail(&ServiceId::new("huellas-tie"), &desk);
        assert_eq!(audit_detail("booked", &written), AuditDetail::Desk(desk));
        let (from, to) = (
            Utc.with_ymd_and_hms(2027, 3, 2, 8, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 2, 9, 15, 0).unwrap(),
        );
        assert_eq!(
            audit_detail("rescheduled", &moved_detail(from, to)),
            AuditDetail::Moved { from, to }
        );
        assert_eq!(
            audit_detail("cancelled", "service x desk y"),
            AuditDetail::Text("service x desk y".into())
        );
    }
}
