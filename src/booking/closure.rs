//! Closing an office for a range of days (a strike, a power cut, an unplanned holiday).

use chrono::{Days, NaiveDate};

use crate::calendar::local_to_utc;
use crate::domain::{Appointment, OfficeId, Status, WallTime};
use crate::store::ClosureRecord;

use super::audit::cancel_in_transaction;
use super::{Actor, Booking, BookingError};

/// What a closure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureOutcome {
    /// Appointments cancelled because the closure stranded them.
    pub cancelled: u32,
    /// Booked appointments left in place in the closed range (when not asked to cancel).
    pub stranded: u32,
}

/// Longest closure accepted in one request.
const MAX_CLOSURE_DAYS: u64 = 366;

/// What is wrong with a closure request. The API answers the first as a validation
/// problem; the staff page shows each at its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureProblem {
    /// `to` is before `from`.
    ToBeforeFrom,
    /// More than [`MAX_CLOSURE_DAYS`] days.
    TooLong,
    /// The reason is empty or over 500 characters.
    Reason,
}

impl ClosureProblem {
    fn message(self) -> String {
        match self {
            ClosureProblem::ToBeforeFrom => "`to` must not be before `from`".into(),
            ClosureProblem::TooLong => format!("a closure spans at most {MAX_CLOSURE_DAYS} days"),
            ClosureProblem::Reason => "reason must have 1 to 500 characters".into(),
        }
    }
}

/// Every problem of a closure of `dates` (`from..=to`, when the caller could read them)
/// for `reason`; none when it may go ahead.
pub fn closure_problems(
    dates: Option<(NaiveDate, NaiveDate)>,
    reason: &str,
) -> Vec<ClosureProblem> {
    let mut problems = Vec::new();
    if let Some((from, to)) = dates {
        if to < from {
            problems.push(ClosureProblem::ToBeforeFrom);
        } else if from
            .checked_add_days(Days::new(MAX_CLOSURE_DAYS))
            .is_some_and(|limit| to > limit)
        {
            problems.push(ClosureProblem::TooLong);
        }
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        problems.push(ClosureProblem::Reason);
    }
    problems
}

/// Why a closure request is refused before anything is touched; the trimmed reason.
fn check_closure(from: NaiveDate, to: NaiveDate, reason: &str) -> Result<&str, BookingError> {
    match closure_problems(Some((from, to)), reason).first() {
        Some(problem) => Err(BookingError::Validation(problem.message())),
        None => Ok(reason.trim()),
    }
}

impl Booking {
    /// The booked appointments a closure of `office` on `from..=to` would cancel, by
    /// start: what staff see before they confirm.
    pub async fn closure_preview(
        &self,
        office_id: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
    ) -> Result<Vec<Appointment>, BookingError> {
        check_closure(from, to, reason)?;
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let start = local_to_utc(office.timezone, from, WallTime::MIDNIGHT);
        let end = local_to_utc(office.timezone, to, WallTime::END_OF_DAY);
        let mut conn = self.store.read().await?;
        let mut booked: Vec<Appointment> = conn
            .office_appointments_starting(office_id, start, end)
            .await?
            .into_iter()
            .filter(|a| a.status == Status::Booked)
            .collect();
        booked.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| a.locator.cmp(&b.locator))
        });
        Ok(booked)
    }

    /// Closes `office` on local dates `from..=to`. No new bookings land there; with
    /// `cancel_appointments` the booked ones are cancelled (their calendars see it).
    #[tracing::instrument(skip_all, fields(office = %office_id, %from, %to))]
    pub async fn close(
        &self,
        office_id: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
        cancel_appointments: bool,
        actor: &Actor,
    ) -> Result<ClosureOutcome, BookingError> {
        let reason = check_closure(from, to, reason)?;
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let start = local_to_utc(office.timezone, from, WallTime::MIDNIGHT);
        let end = local_to_utc(office.timezone, to, WallTime::END_OF_DAY);
        self.with_retry(|| async {
            let now = self.clock.now();
            let mut tx = self.store.begin_write().await?;
            let conn = tx.conn();
            self.lock_office(conn, office_id).await?;
            let closure = ClosureRecord {
                office_id: office_id.to_string(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                reason: reason.to_owned(),
            };
            conn.insert_closure(&closure, now).await?;
            let booked: Vec<_> = conn
                .office_appointments_starting(office_id, start, end)
                .await?
                .into_iter()
                .filter(|a| a.status == Status::Booked)
                .collect();
            let mut outcome = ClosureOutcome {
                cancelled: 0,
                stranded: 0,
            };
            for mut appointment in booked {
                if !cancel_appointments {
                    outcome.stranded += 1;
                    continue;
                }
                let detail = format!("office closed: {reason}");
                let told = Some(reason.to_owned());
                cancel_in_transaction(self, conn, &mut appointment, actor, now, detail, told)
                    .await?;
                outcome.cancelled += 1;
            }
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }
}
