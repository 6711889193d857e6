//! Book: validate a booking request and queue it for the next booking transaction.
//!
//! A booking goes from here to the instance's queue ([`super::queue`]), whose worker runs
//! the transaction ([`super::transaction`]) that judges each booking of the batch in turn
//! ([`super::batch`]) and writes them all at once through the store.

use super::queue::BookJob;
use super::{Actor, BookOutcome, BookRequest, Booking, BookingError};

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
        };
        self.book_queue.submit(self, job).await
    }
}
