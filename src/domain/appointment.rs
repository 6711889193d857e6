//! Appointments and their status machine.
//!
//! ```text
//! booked ──check-in──▶ checked_in ──complete──▶ completed
//!   │  └──no-show──▶ no_show          │
//!   └──cancel──▶ cancelled ◀──cancel──┘ (staff only)
//! ```
//! `booked` and `checked_in` appointments are *active*: they hold a desk and count against
//! per-citizen limits. `checked_in` and `completed` ones are pinned to their desk; a
//! completed one still occupies the time it used.

use std::fmt;

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::{DeskId, OfficeId, ServiceId, locator::Locator};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Booked,
    CheckedIn,
    Completed,
    NoShow,
    Cancelled,
}

/// A change of status requested by someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    CheckIn,
    Complete,
    NoShow,
    Cancel,
    /// Undoes a check-in made by mistake: back to booked. Only a check-in can be undone:
    /// a no-show's time has passed, and reopening it could give the citizen a second
    /// active appointment for the procedure.
    UndoCheckIn,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("an appointment that is {from} cannot be {action}")]
pub struct TransitionError {
    pub from: Status,
    pub action: &'static str,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::CheckedIn => "checked_in",
            Status::Completed => "completed",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "booked" => Status::Booked,
            "checked_in" => Status::CheckedIn,
            "completed" => Status::Completed,
            "no_show" => Status::NoShow,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }

    /// Holds a desk and counts against per-citizen limits.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Booked | Status::CheckedIn)
    }

    /// Takes desk time in the allocator's view (active, or already served there).
    pub fn occupies_desk(self) -> bool {
        matches!(self, Status::Booked | Status::CheckedIn | Status::Completed)
    }

    /// May not be moved to another desk.
    pub fn is_pinned(self) -> bool {
        matches!(self, Status::CheckedIn | Status::Completed)
    }

    /// Only a booked appointment can still be moved in time by its citizen.
    pub fn can_reschedule(self) -> bool {
        self == Status::Booked
    }

    /// The status after `transition`, or why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<Status, TransitionError> {
        let next = match (self, transition) {
            (Status::Booked, Transition::CheckIn) => Status::CheckedIn,
            (Status::CheckedIn, Transition::Complete) => Status::Completed,
            (Status::Booked, Transition::NoShow) => Status::NoShow,
            (Status::Booked | Status::CheckedIn, Transition::Cancel) => Status::Cancelled,
            (Status::CheckedIn, Transition::UndoCheckIn) => Status::Booked,
            _ => {
                return Err(TransitionError {
                    from: self,
                    action: transition.past_tense(),
                });
            }
        };
        Ok(next)
    }
}

impl Transition {
    fn past_tense(self) -> &'static str {
        match self {
            Transition::CheckIn => "checked in",
            Transition::Complete => "completed",
            Transition::NoShow => "marked as no-show",
            Transition::Cancel => "cancelled",
            Transition::UndoCheckIn => "returned to booked",
        }
    }
}

/// What statistics need of an appointment: no one's name, document or contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentFigures {
    pub service_id: ServiceId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: Status,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The languages messages to citizens are written in (a message file each under
/// `locales/`); the first is the default.
pub const MESSAGE_LANGUAGES: &[&str] = &["es", "en"];

/// An appointment as the booking layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: String,
    pub locator: Locator,
    pub office_id: OfficeId,
    pub service_id: ServiceId,
    pub desk_id: DeskId,
    pub start: DateTime<Utc>,
    /// What the citizen sees: start + duration.
    pub end: DateTime<Utc>,
    /// End of the desk occupancy: start + duration + buffer.
    pub occupied_until: DateTime<Utc>,
    pub status: Status,
    /// Bumped on every change a calendar client must see (RFC 5545 SEQUENCE).
    pub sequence: i64,
    pub citizen_name: String,
    /// Normalized document number: personal data, never logged.
    pub document: String,
    pub document_type: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The language of the citizen's messages (`es`, `en`).
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_its_ends() {
        let s = Status::Booked.apply(Transition::CheckIn).unwrap();
        assert_eq!(s, Status::CheckedIn);
        assert!(s.is_pinned() && s.is_active());
        let s = s.apply(Transition::Complete).unwrap();
        assert_eq!(s, Status::Completed);
        assert!(!s.is_active() && s.occupies_desk() && s.is_pinned());
    }

    #[test]
    fn a_check_in_made_by_mistake_can_be_undone() {
        let s = Status::Booked.apply(Transition::CheckIn).unwrap();
        assert_eq!(s.apply(Transition::UndoCheckIn), Ok(Status::Booked));
    }

    #[test]
    fn forbidden_transitions_are_refused() {
        use Transition::*;
        for (from, t) in [
            (Status::Cancelled, CheckIn),
            (Status::Cancelled, Cancel),
            (Status::Completed, Cancel),
            (Status::NoShow, CheckIn),
            (Status::CheckedIn, NoShow),
            (Status::Booked, Complete),
            (Status::CheckedIn, CheckIn),
            (Status::Booked, UndoCheckIn),
            (Status::NoShow, UndoCheckIn),
            (Status::Completed, UndoCheckIn),
            (Status::Cancelled, UndoCheckIn),
        ] {
            assert!(from.apply(t).is_err(), "{from} -> {t:?}");
        }
        assert!(!Status::CheckedIn.can_reschedule());
        assert!(Status::Booked.can_reschedule());
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            Status::Booked,
            Status::CheckedIn,
            Status::Completed,
            Status::NoShow,
            Status::Cancelled,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("held"), None);
    }
}
