//! Reading an office's audit trail, for the staff pages: who did what and when, newest
//! first, a page at a time, filtered by local day and action.

use chrono::NaiveDate;

use crate::calendar::local_to_utc;
use crate::domain::{OfficeId, WallTime};
use crate::store::{self, AuditFilter, AuditLine};

use super::{Booking, BookingError};

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
        let mut lines = store::office_audit(&mut conn, office_id.as_str(), &filter).await?;
        let older = (lines.len() > AUDIT_PAGE).then(|| {
            lines.truncate(AUDIT_PAGE);
            lines.last().map_or(0, |l| l.id)
        });
        Ok(AuditPage { lines, older })
    }
}
