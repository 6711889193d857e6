//! Offices, procedures and desks as validated values. Building them from configuration
//! (with every problem reported) is `config`'s job; here they are already consistent.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::hours::{DateException, OpeningRule};
use super::ids::{DeskId, HolidayCalendarId, OfficeId, ServiceId};

/// A procedure as one office offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub duration_minutes: u32,
    /// Idle time after each appointment (cleaning, paperwork) that still blocks the desk.
    pub buffer_minutes: u32,
    /// Distance between candidate starts; defaults to the duration.
    pub step_minutes: u32,
    pub min_notice_minutes: u32,
    pub max_advance_days: u32,
    pub max_active_per_citizen: u32,
    /// Times a citizen may move one appointment to another time (a reseller who holds a
    /// booking and swaps it to each buyer's wishes needs many; a person rarely more
    /// than one or two).
    pub max_reschedules: u32,
    /// When its appointments are released; empty: a rolling window (each date becomes
    /// bookable `max_advance_days` before it, at midnight).
    pub releases: Vec<super::Release>,
    /// Instants of draw releases that have passed but whose draw has not run yet: the
    /// dates they open stay closed until it has. State, not configuration: the booking
    /// layer fills it from the database before asking the allocator.
    pub pending_draws: Vec<chrono::DateTime<chrono::Utc>>,
    /// Most minutes a time a citizen cancels stays off sale (a random delay, so that a
    /// reseller cannot hand it over at an agreed instant); `None`: the default of
    /// [`Service::cancelled_return_minutes`].
    pub cancelled_return_minutes: Option<u32>,
    /// Days a document waits to book this procedure again after not coming to an
    /// appointment of it (0: no wait).
    pub no_show_cool_off_days: u32,
    /// Own cancellations of this procedure a document may make within
    /// `cancellations_window_days` before it may not book it again until the oldest is
    /// out of the window (`None`: no cap). Resellers cancel and rebook for each buyer.
    pub max_cancellations: Option<u32>,
    pub cancellations_window_days: u32,
    /// Part of each day kept for bookings staff make by phone or at the counter, for
    /// people who cannot book online ([`crate::quota`]); `None`: all of it is public.
    pub staff_share: Option<StaffShare>,
    /// What the procedure is, in a sentence or two (shown to citizens).
    pub description: Option<String>,
    /// What to bring, one item each.
    pub requirements: Vec<String>,
}

/// The share of a procedure's daily capacity kept for staff-made bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffShare {
    /// Percent of the day's capacity (1–100), rounded up to whole appointments.
    pub percent: u32,
    /// Times closer than this are open to everyone: what staff have not used by then
    /// would otherwise go to waste.
    pub until_hours: u32,
}

impl Service {
    /// A service with the DESIGN §3 defaults for everything but its duration.
    pub fn new(id: impl Into<ServiceId>, name: impl Into<String>, duration_minutes: u32) -> Self {
        Service {
            id: id.into(),
            name: name.into(),
            duration_minutes,
            buffer_minutes: 0,
            step_minutes: duration_minutes,
            min_notice_minutes: 0,
            max_advance_days: 60,
            max_active_per_citizen: 1,
            max_reschedules: 2,
            releases: Vec::new(),
            pending_draws: Vec::new(),
            cancelled_return_minutes: None,
            no_show_cool_off_days: 0,
            max_cancellations: None,
            cancellations_window_days: 30,
            staff_share: None,
            description: None,
            requirements: Vec::new(),
        }
    }

    /// Whether a citizen may still move `appointment` to another time. Moves are what
    /// bump the sequence of an appointment still booked (a cancellation also does, but
    /// ends it), so the sequence counts them.
    pub fn may_reschedule(&self, appointment: &super::Appointment) -> bool {
        appointment.sequence < i64::from(self.max_reschedules)
    }

    /// How long at most a cancelled time stays off sale: as configured, else 20 minutes
    /// for a procedure with scheduled releases (where times are scarce and resold) and
    /// none for one with a rolling window.
    pub fn cancelled_return_minutes(&self) -> u32 {
        self.cancelled_return_minutes
            .unwrap_or(if self.releases.is_empty() { 0 } else { 20 })
    }

    /// What the citizen sees: `end = start + duration`.
    pub fn duration(&self) -> Duration {
        Duration::minutes(i64::from(self.duration_minutes))
    }

    /// How long the desk is taken: duration plus buffer.
    pub fn occupancy(&self) -> Duration {
        Duration::minutes(i64::from(self.duration_minutes) + i64::from(self.buffer_minutes))
    }

    pub fn step(&self) -> Duration {
        Duration::minutes(i64::from(self.step_minutes))
    }
}

/// A desk (counter, "puesto") that serves some of the office's procedures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    pub id: DeskId,
    pub services: BTreeSet<ServiceId>,
    /// Own opening rules; when `None` the desk keeps the office's hours.
    pub hours: Option<Vec<OpeningRule>>,
}

impl Desk {
    pub fn serves(&self, service: &ServiceId) -> bool {
        self.services.contains(service)
    }
}

/// An office with its calendar, procedures and desks.
#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub id: OfficeId,
    pub name: String,
    pub timezone: Tz,
    pub address: String,
    /// Where it is, for citizens choosing among many offices.
    pub municipality: Option<String>,
    pub province: Option<String>,
    /// The holiday calendars named in the configuration, kept for display and re-export.
    pub holiday_calendars: Vec<HolidayCalendarId>,
    /// Dates from those calendars, already resolved: the office is closed on them unless a
    /// date exception says otherwise.
    pub holidays: BTreeSet<NaiveDate>,
    /// Office-specific closed dates.
    pub closed_dates: BTreeSet<NaiveDate>,
    pub hours: Vec<OpeningRule>,
    pub exceptions: Vec<DateException>,
    pub services: Vec<Service>,
    pub desks: Vec<Desk>,
}

impl Office {
    pub fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.services.iter().find(|s| &s.id == id)
    }

    pub fn desk(&self, id: &DeskId) -> Option<&Desk> {
        self.desks.iter().find(|d| &d.id == id)
    }

    pub fn exception_on(&self, date: NaiveDate) -> Option<&DateException> {
        self.exceptions.iter().find(|e| e.date == date)
    }
}
