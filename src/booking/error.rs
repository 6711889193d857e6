//! What can go wrong in a use case, in terms the HTTP layer maps to stable problem codes.

use thiserror::Error;

use crate::domain::{DocumentError, TransitionError};
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum BookingError {
    /// Input that is well-formed but not acceptable (unknown office, bad name, ...).
    #[error("{0}")]
    Validation(String),
    #[error(transparent)]
    InvalidDocument(#[from] DocumentError),
    /// Unknown locator, wrong token, unknown office or service: all look the same.
    #[error("not found")]
    NotFound,
    #[error("that time is no longer available")]
    SlotUnavailable,
    #[error("that time is outside the booking window of this procedure")]
    OutsideBookingWindow,
    /// A per-citizen rule refused the booking. It says only which rule, never anything
    /// about the appointment it collided with: whoever typed the document may not own it.
    #[error("{0}")]
    CitizenLimitReached(CitizenLimit),
    /// The client already has as many live holds as it may.
    #[error("too many holds at once")]
    HoldLimitReached,
    /// The database cannot be reached (or cannot write: a full disk). Nothing was
    /// changed; the request may be retried when it is back.
    #[error("the database is unavailable")]
    Unavailable,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    InvalidTransition(#[from] TransitionError),
    /// Still losing races after every retry: the caller may try again shortly.
    #[error("the office is too busy right now; please retry")]
    Contention,
    /// The draw is not taking entries (not yet, or no more).
    #[error("this draw is not taking entries now")]
    DrawClosed,
    /// The document already entered this draw.
    #[error("this document has already entered this draw")]
    AlreadyEntered,
    /// A waiting room guards that date: join it, and send its admission (the room id).
    #[error("this release has a waiting room: join it and come back when let in")]
    AdmissionRequired(String),
    /// The waiting room is not taking places (not open yet, or over).
    #[error("this waiting room is not open now")]
    RoomClosed,
    #[error(transparent)]
    Store(StoreError),
}

/// Which per-citizen rule (DESIGN §3) refused a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenLimit {
    /// `max_active_per_citizen` appointments for this procedure already.
    Procedure,
    /// Another appointment of this document overlaps the time asked for.
    Overlap,
    /// This appointment was already moved `max_reschedules` times.
    Reschedules,
    /// A recent no-show or too many own cancellations of the procedure: the document
    /// waits (`no_show_cool_off_days`, `max_cancellations`).
    Waiting,
}

impl std::fmt::Display for CitizenLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // What the citizen can do, and nothing about the other appointment (its locator,
        // time, office or how many there are): the document may be someone else's.
        f.write_str(match self {
            CitizenLimit::Procedure => {
                "you already have an appointment for this procedure; look it up with your \
                 locator to change or cancel it"
            }
            CitizenLimit::Overlap => {
                "you already have another appointment at that time; choose another time, or \
                 look that appointment up with your locator to change or cancel it"
            }
            CitizenLimit::Waiting => {
                "this procedure cannot be booked again with this document yet: after a missed \
                 appointment, or after several cancellations, there is a waiting period; try \
                 again in a few days, or ask at the office"
            }
            CitizenLimit::Reschedules => {
                "this appointment has already been changed as many times as allowed; keep its \
                 time, or cancel it and book again"
            }
        })
    }
}

impl From<StoreError> for BookingError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => BookingError::NotFound,
            error if error.is_unavailable() => BookingError::Unavailable,
            other => BookingError::Store(other),
        }
    }
}

impl BookingError {
    /// Whether the database was out of reach (or out of space).
    pub(crate) fn from_unavailable(error: &BookingError) -> bool {
        match error {
            BookingError::Unavailable => true,
            BookingError::Store(store) => store.is_unavailable(),
            _ => false,
        }
    }

    /// Whether running the whole transaction again may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            BookingError::Store(StoreError::Retryable(_) | StoreError::Conflict(_))
        )
    }
}
