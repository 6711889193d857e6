//! Book: validate a booking request and queue it for the next booking transaction.
//!
//! A booking goes from here to the instance's queue ([`super::queue`]), whose worker runs
//! the transaction ([`super::transaction`]) that judges each booking of the batch in turn
//! ([`super::batch`]) and writes them all at once through the store.

use crate::domain::Appointment;

use super::queue::BookJob;
use super::{Actor, BookRequest, Booking, BookingError};

/// A booked appointment with a bearer token for it (freshly issued, also on replay) and
/// a calendar token that opens only its `.ics` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOutcome {
    pub appointment: Appointment,
    pub token: String,
    pub calendar_token: String,
    /// The request repeated an `Idempotency-Key` and this is the first request's result.
    pub replayed: bool,
}

impl Booking {
    /// Books an appointment. With `idempotency_key`, a repeat of the same request returns
    /// the first result (with a fresh token) and a different request under the same key
    /// is refused.
    #[tracing::instrument(skip_all, fields(office = %request.office_id, service = %request.service_id))]
    pub async fn book(
        &self,
        request: &BookRequest,
        idempotency_key: Option<&str>,
        actor: &Actor,
    ) -> Result<BookOutcome, BookingError> {
        self.book_from(request, idempotency_key, actor, None).await
    }

    /// [`Booking::book`] for a citizen at `client` (the address as text): its keyed
    /// digest goes into the booking's audit row, so the fairness report can tell how
    /// many documents one client booked for.
    pub async fn book_from(
        &self,
        request: &BookRequest,
        idempotency_key: Option<&str>,
        actor: &Actor,
        client: Option<&str>,
    ) -> Result<BookOutcome, BookingError> {
        // Unknown office or procedure: refuse before validating the citizen.
        self.catalog()
            .service(&request.office_id, &request.service_id)?;
        let citizen = request.citizen.validate()?;
        super::request::check_hold_id(request.hold_id.as_deref())?;
        let job = BookJob {
            request: request.clone(),
            document_key: self.document_key(&citizen.document),
            citizen,
            idempotency: idempotency_key.map(|key| (format!("book:{key}"), request.fingerprint())),
            actor: actor.clone(),
            client_key: client.map(|c| self.pepper.digest("client", c)),
        };
        self.book_queue.submit(self, job).await
    }
}
