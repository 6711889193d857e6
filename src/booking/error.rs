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
    #[error("{0}")]
    CitizenLimitReached(String),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    InvalidTransition(#[from] TransitionError),
    /// Still losing races after every retry: the caller may try again shortly.
    #[error("the office is too busy right now; please retry")]
    Contention,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for BookingError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => BookingError::NotFound,
            other => BookingError::Store(other),
        }
    }
}

impl BookingError {
    /// Whether running the whole transaction again may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            BookingError::Store(StoreError::Retryable(_) | StoreError::Conflict(_))
        )
    }
}
