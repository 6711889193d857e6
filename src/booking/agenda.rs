//! The agenda: an office's day per desk, and status changes by staff (DESIGN §6 "Staff").
//!
//! Contract: the agenda lists every desk of the office (in configuration order, even empty
//! ones) with the appointments starting on that local date, any status, by start;
//! appointments left on a desk the configuration no longer has are listed under that desk
//! afterwards, so nothing disappears from the staff's view. Which office a staff member
//! may touch is decided by the HTTP layer's auth; these functions trust their caller.

use chrono::NaiveDate;

use crate::calendar::local_to_utc;
use crate::domain::{Appointment, DeskId, Locator, OfficeId, Transition, WallTime};

use super::{Actor, Booking, BookingError};

/// One desk's appointments of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskAgenda {
    pub desk_id: DeskId,
    pub appointments: Vec<Appointment>,
}

/// An office's day as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agenda {
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub desks: Vec<DeskAgenda>,
}

/// Longest cancellation reason kept in the audit trail.
const MAX_REASON_CHARS: usize = 500;

impl Booking {
    /// The appointment behind a locator, for staff (no token needed; the caller checks
    /// the office).
    pub async fn appointment_by_locator(&self, locator: &str) -> Result<Appointment, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let mut conn = self.store().read().await?;
        conn.find_appointment_by_locator(locator.as_str())
            .await?
            .ok_or(BookingError::NotFound)
    }

    /// A status change by staff on an appointment already found, with an optional reason
    /// kept in the audit trail.
    #[tracing::instrument(skip_all, fields(office = %appointment.office_id, transition = ?transition))]
    pub async fn staff_change(
        &self,
        appointment: &Appointment,
        transition: Transition,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Appointment, BookingError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(reason) = reason
            && (reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control))
        {
            return Err(BookingError::Validation(format!(
                "reason must be at most {MAX_REASON_CHARS} printable characters"
            )));
        }
        self.transition(&appointment.id, transition, actor, reason)
            .await
    }

    /// The office's appointments starting on local `date`, per desk.
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, %date))]
    pub async fn agenda(
        &self,
        office_id: &OfficeId,
        date: NaiveDate,
    ) -> Result<Agenda, BookingError> {
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let from = local_to_utc(office.timezone, date, WallTime::MIDNIGHT);
        let to = local_to_utc(office.timezone, date, WallTime::END_OF_DAY);
        let appointments = {
            let mut conn = self.store().read().await?;
            conn.office_appointments_starting(office_id, from, to)
                .await?
        };
        let mut desks: Vec<DeskAgenda> = office
            .desks
            .iter()
            .map(|d| DeskAgenda {
                desk_id: d.id.clone(),
                appointments: vec![],
            })
            .collect();
        for appointment in appointments {
            match desks.iter_mut().find(|d| d.desk_id == appointment.desk_id) {
                Some(desk) => desk.appointments.push(appointment),
                None => desks.push(DeskAgenda {
                    desk_id: appointment.desk_id.clone(),
                    appointments: vec![appointment],
                }),
            }
        }
        for desk in &mut desks {
            desk.appointments.sort_by(|a, b| {
                a.start
                    .cmp(&b.start)
                    .then_with(|| a.locator.cmp(&b.locator))
            });
        }
        Ok(Agenda {
            office_id: office_id.clone(),
            date,
            desks,
        })
    }
}
