//! Look up, read, reschedule, cancel, and the staff's status changes.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Appointment, Document, Locator, Transition};
use crate::store::{CitizenMark, TokenScope};

use super::audit::audit;
use super::error::CitizenLimit;
use super::hold::hold_serves;
use super::place::{check_citizen_limits, mark_if_counted, place_and_move};
use super::request::ValidCitizen;
use super::secrets::{random_token, sha256_hex};
use super::snapshot::{APPOINTMENT_KEY, Exclude, HOLD_KEY};
use super::{Actor, BookOutcome, Booking, BookingError};

/// Compares two secrets in time that depends only on their lengths, not on where they
/// first differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

/// Tokens keep working this long after the appointment ends, so a citizen can still open
/// it (and its calendar file) afterwards.
pub(crate) const TOKEN_GRACE: Duration = Duration::days(7);

impl Booking {
    /// Finds an appointment by locator and document together and issues fresh tokens: a
    /// manage token, and a calendar token that replaces every earlier one (so a calendar
    /// link that leaked stops working once its owner looks the appointment up again).
    /// Any mismatch is `NotFound`, so the answer reveals nothing about which part was
    /// wrong, and an unknown locator costs the same work as a known one with the wrong
    /// document (one indexed read and one comparison): the answer's timing tells nothing
    /// either.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn lookup(&self, locator: &str, document: &str) -> Result<BookOutcome, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let mut conn = self.store.read().await?;
        let found = conn.lookup_key(locator.as_str()).await?;
        let (declared, stored) = found.as_ref().map_or(("dni", ""), |(_, document, kind)| {
            (kind.as_str(), document.as_str())
        });
        let same = Document::parse(document, Some(declared))
            .is_ok_and(|typed| same_secret(typed.number(), stored));
        let id = match found {
            Some((id, _, _)) if same => id,
            _ => return Err(BookingError::NotFound),
        };
        let appointment = conn
            .find_appointment(&id)
            .await?
            .ok_or(BookingError::NotFound)?;
        drop(conn);
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        tx.conn()
            .delete_tokens(&appointment.id, Some(TokenScope::Calendar))
            .await?;
        let token = random_token();
        let calendar_token = random_token();
        for (token, scope) in [
            (&token, TokenScope::Manage),
            (&calendar_token, TokenScope::Calendar),
        ] {
            tx.conn()
                .insert_token(&sha256_hex(token), &appointment.id, scope, now)
                .await?;
        }
        tx.commit().await?;
        Ok(BookOutcome {
            appointment,
            token,
            calendar_token,
            replayed: false,
        })
    }

    /// The appointment behind `locator` if `token` is a manage token issued for it and
    /// still valid.
    pub async fn get(&self, locator: &str, token: &str) -> Result<Appointment, BookingError> {
        self.authorize(locator, token, TokenScope::Manage).await
    }

    /// The appointment behind `locator` if `token` is its calendar token: what its `.ics`
    /// file shows. A manage token does not open it (it would then travel in a URL), and a
    /// calendar token opens nothing else.
    pub async fn get_for_calendar(
        &self,
        locator: &str,
        token: &str,
    ) -> Result<Appointment, BookingError> {
        self.authorize(locator, token, TokenScope::Calendar).await
    }

    /// The same work whether the locator exists or not (see
    /// [`crate::store::Tokens::appointment_of_token`]); the appointment is read only for a
    /// valid token. A locator that cannot be one is refused before the database is asked.
    async fn authorize(
        &self,
        locator: &str,
        token: &str,
        scope: TokenScope,
    ) -> Result<Appointment, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let mut conn = self.store.read().await?;
        let id = conn
            .appointment_of_token(locator.as_str(), &sha256_hex(token), scope)
            .await?
            .ok_or(BookingError::NotFound)?;
        let appointment = conn
            .find_appointment(&id)
            .await?
            .ok_or(BookingError::NotFound)?;
        if self.clock.now() < appointment.end + TOKEN_GRACE {
            Ok(appointment)
        } else {
            Err(BookingError::NotFound)
        }
    }

    /// Moves a booked appointment to `start`. The new time is secured and the old one
    /// released in one transaction: on any failure the appointment stays as it was.
    #[tracing::instrument(skip_all)]
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
        let unlocked = conn
            .find_appointment(id)
            .await?
            .ok_or(BookingError::NotFound)?;
        // Citizen, then office: the lock order of every use case that takes both.
        conn.lock_citizen(&unlocked.document).await?;
        let lock = self.lock_office(conn, &unlocked.office_id).await?;
        let mut appointment = conn
            .find_appointment(id)
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
        let citizen = ValidCitizen {
            name: appointment.citizen_name.clone(),
            document: Document::parse(&appointment.document, Some(&appointment.document_type))?,
            email: None,
            phone: None,
            language: appointment.language.clone(),
        };
        let document_key = self.document_key(&citizen.document);
        let hold = match hold_id {
            Some(hold_id) => conn.find_hold(hold_id).await?.filter(|h| {
                h.office_id == office.id.as_str()
                    && h.service_id == service.id.as_str()
                    && h.start_at == start.timestamp()
                    && h.expires_at > now.timestamp()
                    && hold_serves(h, &document_key)
            }),
            None => None,
        };
        let exclude = Exclude {
            appointment_id: Some(id),
            hold_id: hold.as_ref().map(|h| h.id.as_str()),
        };
        let closed = self.closed_office(conn, office, &lock).await?;
        // The window and the slot first, the citizen's rules after (a refusal rolls the
        // moves back): a probe at a closed or full time learns nothing about the document.
        let desk = place_and_move(conn, &closed, service, start, now, exclude).await?;
        if !matches!(actor, Actor::Staff { .. }) {
            let own = format!("{APPOINTMENT_KEY}{id}");
            let hold_key = hold.as_ref().map(|h| format!("{HOLD_KEY}{}", h.id));
            let skip: Vec<&str> = std::iter::once(own.as_str())
                .chain(hold_key.as_deref())
                .collect();
            super::quota::check_public_share(conn, &closed, service, start, now, &skip, 0).await?;
        }
        // The appointment itself is ignored: rescheduling does not count twice against
        // the per-procedure limit, and may move into its own old time.
        if !service.may_reschedule(&appointment) {
            return Err(BookingError::CitizenLimitReached(CitizenLimit::Reschedules));
        }
        let end = start + service.duration();
        check_citizen_limits(conn, &citizen, service, start, end, now, Some(id)).await?;
        if let Some(hold) = &hold {
            conn.delete_hold(&hold.id).await?;
        }
        let before = appointment.clone();
        let previous = appointment.start;
        appointment.desk_id = desk;
        appointment.start = start;
        appointment.end = end;
        appointment.occupied_until = start + service.occupancy();
        appointment.sequence += 1;
        appointment.updated_at = now;
        conn.update_appointment(&appointment).await?;
        // Moving away hands the old time over just as cancelling does.
        super::held_back::hold_back(conn, &before, service, now).await?;
        audit(
            conn,
            &appointment,
            "rescheduled",
            actor,
            now,
            super::audit::moved_detail(previous, start),
        )
        .await?;
        let event = super::NoticeEvent::Rescheduled { from: previous };
        self.notify_in(conn, &appointment, event, now).await?;
        tx.commit().await?;
        Ok(appointment)
    }

    /// The citizen cancels with their token. The calendar token is replaced too (the
    /// answer carries the new one, whose `.ics` shows the cancellation): whoever holds an
    /// old calendar link learns nothing more.
    #[tracing::instrument(skip_all)]
    pub async fn cancel(
        &self,
        locator: &str,
        token: &str,
    ) -> Result<(Appointment, String), BookingError> {
        let appointment = self.get(locator, token).await?;
        let cancelled = self
            .transition(&appointment.id, Transition::Cancel, &Actor::Citizen, None)
            .await?;
        let calendar_token = random_token();
        let mut tx = self.store.begin_write().await?;
        tx.conn()
            .delete_tokens(&cancelled.id, Some(TokenScope::Calendar))
            .await?;
        let hash = sha256_hex(&calendar_token);
        let now = self.clock.now();
        tx.conn()
            .insert_token(&hash, &cancelled.id, TokenScope::Calendar, now)
            .await?;
        tx.commit().await?;
        Ok((cancelled, calendar_token))
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
            let office_id = conn
                .find_appointment(id)
                .await?
                .ok_or(BookingError::NotFound)?
                .office_id;
            self.lock_office(conn, &office_id).await?;
            let mut appointment = conn
                .find_appointment(id)
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
            conn.update_appointment(&appointment).await?;
            let catalog = self.catalog();
            let mut held_back = None;
            // An appointment whose personal data was erased has no document to mark.
            if let (Ok((_, service)), false) = (
                catalog.service(&appointment.office_id, &appointment.service_id),
                appointment.document.is_empty(),
            ) {
                let key = || self.document_key_of(&appointment.document);
                match (transition, actor) {
                    // A citizen's own cancellation is how resellers hand a time over.
                    (Transition::Cancel, Actor::Citizen) => {
                        held_back =
                            super::held_back::hold_back(conn, &appointment, service, now).await?;
                        let mark = CitizenMark::Cancelled;
                        mark_if_counted(conn, &key(), service, mark, now).await?;
                    }
                    (Transition::NoShow, _) => {
                        let start = appointment.start;
                        let mark = CitizenMark::NoShow;
                        mark_if_counted(conn, &key(), service, mark, start).await?;
                    }
                    _ => {}
                }
            }
            let action = match transition {
                Transition::CheckIn => "checked_in",
                Transition::Complete => "completed",
                Transition::NoShow => "no_show",
                Transition::Cancel => "cancelled",
                Transition::UndoCheckIn => "check_in_undone",
            };
            audit(
                conn,
                &appointment,
                action,
                actor,
                now,
                match (reason, held_back) {
                    (Some(reason), _) => reason.to_owned(),
                    (None, Some(delay)) => super::audit::held_back_detail(delay),
                    (None, None) => String::new(),
                },
            )
            .await?;
            let event = match transition {
                Transition::Cancel => Some(super::NoticeEvent::Cancelled {
                    reason: reason.map(str::to_owned),
                }),
                Transition::NoShow => Some(super::NoticeEvent::NoShow),
                _ => None,
            };
            if let Some(event) = event {
                self.notify_in(conn, &appointment, event, now).await?;
            }
            tx.commit().await?;
            Ok(appointment)
        })
        .await
    }
}
