//! Personal data is kept only while it is needed (DESIGN §13): a citizen may erase their
//! own once the appointment has passed or was cancelled, and everyone's is erased
//! `[privacy] retain_personal_data_days` after the appointment ended. What stays is the
//! anonymous appointment (office, procedure, desk, times, status) for statistics.

use crate::domain::{Status, TransitionError};
use crate::store::Purged;

use super::audit::audit;
use super::manage::TOKEN_GRACE;
use super::{Actor, Booking, BookingError};

impl Booking {
    /// Erases the name, document, e-mail and phone of the appointment behind `locator`
    /// (its manage `token` proves whose it is) and revokes all its tokens. Only once it
    /// has passed or was cancelled: an appointment still to come needs them at the desk.
    #[tracing::instrument(skip_all)]
    pub async fn erase(&self, locator: &str, token: &str) -> Result<(), BookingError> {
        let appointment = self.get(locator, token).await?;
        let now = self.clock.now();
        let still_to_come = now < appointment.end
            && matches!(appointment.status, Status::Booked | Status::CheckedIn);
        if still_to_come {
            return Err(TransitionError {
                from: appointment.status,
                action: "erased before it has passed (cancel it first)",
            }
            .into());
        }
        let mut tx = self.store.begin_write().await?;
        tx.conn().erase_appointment(&appointment.id, now).await?;
        audit(
            tx.conn(),
            &appointment,
            "erased",
            &Actor::Citizen,
            now,
            String::new(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases the personal data of appointments that ended more than the retention
    /// period ago, and what can no longer be used (expired holds, idempotency records,
    /// tokens past their grace). Run periodically by `serve` and by `cita purge`.
    #[tracing::instrument(skip_all)]
    pub async fn purge(&self) -> Result<Purged, BookingError> {
        let now = self.clock.now();
        let retention = self.catalog().retention;
        let mut tx = self.store.begin_write().await?;
        let purged = tx
            .conn()
            .purge(now - retention, now - TOKEN_GRACE, now)
            .await?;
        tx.commit().await?;
        Ok(purged)
    }
}
