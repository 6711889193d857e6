//! Look up, read, reschedule, cancel, and the staff's status changes.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use crate::domain::{Appointment, Document, Locator, Transition};
use crate::store::{self, Backend};

use super::place::{audit, check_citizen_limits, place_and_move};
use super::request::ValidCitizen;
use super::secrets::{random_token, sha256_hex};
use super::snapshot::Exclude;
use super::{Actor, BookOutcome, Booking, BookingError};

/// Tokens keep working this long after the appointment ends, so a citizen can still open
/// it (and its calendar file) afterwards.
const TOKEN_GRACE: Duration = Duration::days(7);

impl Booking {
    /// Finds an appointment by locator and document together and issues a fresh token.
    /// Any mismatch is `NotFound`, so the answer reveals nothing about which part was wrong.
    pub async fn lookup(&self, locator: &str, document: &str) -> Result<BookOutcome, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let appointment = {
            let mut conn = self.store.read().await?;
            store::find_appointment_by_locator(&mut conn, locator.as_str()).await?
        }
        .ok_or(BookingError::NotFound)?;
        let Ok(document) = Document::parse(document, Some(&appointment.document_type)) else {
            return Err(BookingError::NotFound);
        };
        if document.number() != appointment.document {
            return Err(BookingError::NotFound);
        }
        let token = random_token();
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        store::insert_token(&mut conn, &sha256_hex(&token), &appointment.id, now).await?;
        Ok(BookOutcome {
            appointment,
            token,
            replayed: false,
        })
    }

    /// The appointment behind `locator` if `token` was issued for it and is still valid.
    pub async fn get(&self, locator: &str, token: &str) -> Result<Appointment, BookingError> {
        let mut conn = self.store.read().await?;
        self.authorize(&mut conn, locator, token).await
    }

    async fn authorize(
        &self,
        conn: &mut AnyConnection,
        locator: &str,
        token: &str,
    ) -> Result<Appointment, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let appointment = store::find_appointment_by_locator(conn, locator.as_str())
            .await?
            .ok_or(BookingError::NotFound)?;
        let valid = !token.is_empty()
            && self.clock.now() < appointment.end + TOKEN_GRACE
            && store::token_belongs_to(conn, &sha256_hex(token), &appointment.id).await?;
        if valid {
            Ok(appointment)
        } else {
            Err(BookingError::NotFound)
        }
    }

    /// Moves a booked appointment to `start`. The new time is secured and the old one
    /// released in one transaction: on any failure the appointment stays as it was.
    pub async fn reschedule(
        &self,
        locator: &str,
        token: &str,
        start: DateTime<Utc>,
        hold_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Appointment, BookingError> {
        super::request::check_hold_id(hold_id)?;
        let current = self.get(locator, token).await?;
        self.with_retry(|| self.try_reschedule(&current.id, start, hold_id, actor))
            .await
    }

    async fn try_reschedule(
        &self,
        id: &str,
        start: DateTime<Utc>,
        hold_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Appointment, BookingError> {
        let now = self.clock.now();
        let catalog = self.catalog();
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        let unlocked = store::find_appointment(conn, id)
            .await?
            .ok_or(BookingError::NotFound)?;
        // Citizen, then office: the lock order of every use case that takes both.
        if self.store.backend() == Backend::Postgres {
            // SQLite's write lock, taken by BEGIN IMMEDIATE, already serializes everything.
            store::lock_citizen(conn, &unlocked.document).await?;
        }
        let lock = self.lock_office(conn, &unlocked.office_id).await?;
        let mut appointment = store::find_appointment(conn, id)
            .await?
            .ok_or(BookingError::NotFound)?;
        if !appointment.status.can_reschedule() {
            return Err(crate::domain::TransitionError {
                from: appointment.status,
                action: "rescheduled",
            }
            .into());
        }
        if appointment.start == start {
            return Ok(appointment);
        }
        let (office, service) = catalog.service(&appointment.office_id, &appointment.service_id)?;
        let hold = match hold_id {
            Some(hold_id) => store::find_hold(conn, hold_id).await?.filter(|h| {
                h.office_id == office.id.as_str()
                    && h.service_id == service.id.as_str()
                    && h.start_at == start.timestamp()
                    && h.expires_at > now.timestamp()
            }),
            None => None,
        };
        let citizen = ValidCitizen {
            name: appointment.citizen_name.clone(),
            document: Document::parse(&appointment.document, Some(&appointment.document_type))?,
            email: None,
            phone: None,
        };
        let exclude = Exclude {
            appointment_id: Some(id),
            hold_id: hold.as_ref().map(|h| h.id.as_str()),
        };
        let closed = self.closed_office(conn, office, &lock).await?;
        // The window and the slot first, the citizen's rules after (a refusal rolls the
        // moves back): a probe at a closed or full time learns nothing about the document.
        let desk = place_and_move(conn, &closed, service, start, now, exclude).await?;
        // The appointment itself is ignored: rescheduling does not count twice against
        // the per-procedure limit, and may move into its own old time.
        let end = start + service.duration();
        check_citizen_limits(conn, &citizen, service, start, end, now, Some(id)).await?;
        if let Some(hold) = &hold {
            store::delete_hold(conn, &hold.id).await?;
        }
        let previous = appointment.start;
        appointment.desk_id = desk;
        appointment.start = start;
        appointment.end = end;
        appointment.occupied_until = start + service.occupancy();
        appointment.sequence += 1;
        appointment.updated_at = now;
        store::update_appointment(conn, &appointment).await?;
        audit(
            conn,
            &appointment,
            "rescheduled",
            actor,
            now,
            format!("from {} to {}", previous.to_rfc3339(), start.to_rfc3339()),
        )
        .await?;
        tx.commit().await?;
        Ok(appointment)
    }

    /// The citizen cancels with their token.
    pub async fn cancel(&self, locator: &str, token: &str) -> Result<Appointment, BookingError> {
        let appointment = self.get(locator, token).await?;
        self.transition(&appointment.id, Transition::Cancel, &Actor::Citizen, None)
            .await
    }

    /// A status change by staff (check-in, complete, no-show, cancel), by locator.
    pub async fn staff_transition(
        &self,
        locator: &str,
        transition: Transition,
        actor: &Actor,
    ) -> Result<Appointment, BookingError> {
        let appointment = self.appointment_by_locator(locator).await?;
        self.staff_change(&appointment, transition, actor, None)
            .await
    }

    /// Applies `transition` under the office lock; `reason` goes to the audit trail.
    pub(crate) async fn transition(
        &self,
        id: &str,
        transition: Transition,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Appointment, BookingError> {
        self.with_retry(|| async {
            let now = self.clock.now();
            let mut tx = self.store.begin_write().await?;
            let conn = tx.conn();
            let office_id = store::find_appointment(conn, id)
                .await?
                .ok_or(BookingError::NotFound)?
                .office_id;
            self.lock_office(conn, &office_id).await?;
            let mut appointment = store::find_appointment(conn, id)
                .await?
                .ok_or(BookingError::NotFound)?;
            if transition == Transition::NoShow && now < appointment.start {
                return Err(BookingError::Validation(
                    "a no-show can only be recorded after the appointment's start".into(),
                ));
            }
            appointment.status = appointment.status.apply(transition)?;
            // Calendar clients must see cancellations; other changes do not alter the event.
            if transition == Transition::Cancel {
                appointment.sequence += 1;
            }
            appointment.updated_at = now;
            store::update_appointment(conn, &appointment).await?;
            let action = match transition {
                Transition::CheckIn => "checked_in",
                Transition::Complete => "completed",
                Transition::NoShow => "no_show",
                Transition::Cancel => "cancelled",
            };
            audit(
                conn,
                &appointment,
                action,
                actor,
                now,
                reason.unwrap_or_default().to_owned(),
            )
            .await?;
            tx.commit().await?;
            Ok(appointment)
        })
        .await
    }
}
