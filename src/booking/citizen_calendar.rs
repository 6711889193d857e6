//! The citizen's calendar: every appointment booked with one document and one e-mail
//! address, across offices, and a personal calendar feed of them.
//!
//! Knowing a document is not enough to see anything: a citizen asks for a link, which is
//! e-mailed to the address given at booking (so opening it proves control of that
//! mailbox). The answer to the request is the same whether or not anything matched. The
//! link opens the list for [`LINK_LIFETIME`]; from there the citizen can make a personal
//! feed (a read-only token in a URL, as calendar apps need) and revoke it.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Appointment, Document, DocumentError};
use crate::store::{CitizenFeedRecord, CitizenOwner, NewNotice, Records, StoreError};

use super::feeds::{CANCELLED_VISIBLE, FEED_PAST};
use super::request::plausible_email;
use super::secrets::{random_id, random_token, sha256_hex};
use super::{Booking, BookingError, NoticeFacts};

/// How long an e-mailed link opens the citizen's appointments.
pub const LINK_LIFETIME: Duration = Duration::minutes(30);
/// Personal feeds one citizen may have at once (one per calendar app is plenty).
pub const MAX_CITIZEN_FEEDS: usize = 5;

/// Whose appointments, as typed: the document normalized (DNI, NIE or passport) and the
/// address lower-cased. `Validation` when either cannot be one; a DNI or NIE with a wrong
/// check letter is a typing mistake, not a passport number.
pub fn citizen_owner(document: &str, email: &str) -> Result<CitizenOwner, BookingError> {
    let document = owner_document(document)
        .map_err(|_| BookingError::Validation("document is not a DNI, NIE or passport".into()))?;
    let email = owner_email(email)
        .ok_or_else(|| BookingError::Validation("email is not a valid e-mail address".into()))?;
    Ok(CitizenOwner { document, email })
}

/// The document of [`citizen_owner`], normalized, or why it cannot be one (the pages say
/// it at the field).
pub fn owner_document(document: &str) -> Result<String, DocumentError> {
    let parsed = match Document::parse(document, None) {
        Ok(parsed) => parsed,
        Err(DocumentError::WrongCheckLetter) => return Err(DocumentError::WrongCheckLetter),
        Err(_) => Document::parse(document, Some("passport"))?,
    };
    Ok(parsed.number().to_owned())
}

/// The address of [`citizen_owner`], lower-cased; `None` when it cannot be one.
pub fn owner_email(email: &str) -> Option<String> {
    Some(email.trim().to_lowercase()).filter(|e| plausible_email(e))
}

/// What an opened link gives: whose appointments, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenAccess {
    pub owner: CitizenOwner,
    pub until: DateTime<Utc>,
}

impl Booking {
    /// A citizen asks for the link to their appointments. When an appointment still to
    /// come was booked with this document and this address (and e-mail is configured),
    /// the link is mailed to it, in `language` when it is one messages are written in (else
    /// the appointment's); either way the answer is the same.
    pub async fn request_citizen_link(
        &self,
        owner: &CitizenOwner,
        language: Option<&str>,
    ) -> Result<(), BookingError> {
        if !self.notice_channels().email {
            return Ok(());
        }
        let now = self.clock().now();
        let mut tx = self.store().begin_write().await?;
        let conn = tx.conn();
        if let Some(appointment) = upcoming(conn, owner, now).await?.into_iter().next() {
            let notice = NewNotice {
                appointment_id: appointment.id.clone(),
                office_id: appointment.office_id.to_string(),
                event: "link",
                channel: "email",
                sequence: appointment.sequence,
                facts: serde_json::to_string(&NoticeFacts {
                    start: appointment.start.timestamp(),
                    end: appointment.end.timestamp(),
                    service_id: appointment.service_id.to_string(),
                    previous_start: None,
                    reason: None,
                    lead_hours: None,
                    language: language
                        .filter(|l| crate::domain::MESSAGE_LANGUAGES.contains(l))
                        .map(str::to_owned),
                })
                .unwrap_or_default(),
                due_at: now,
            };
            conn.insert_notices(&[notice], now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A new link for the owner of `appointment` (by its document and address), for the
    /// message that carries it; `None` when its personal data is gone.
    pub async fn issue_citizen_link(
        &self,
        appointment: &Appointment,
    ) -> Result<Option<String>, BookingError> {
        let Some(email) = &appointment.email else {
            return Ok(None);
        };
        if appointment.document.is_empty() {
            return Ok(None);
        }
        let owner = CitizenOwner {
            document: appointment.document.clone(),
            email: email.trim().to_lowercase(),
        };
        let now = self.clock().now();
        let token = random_token();
        let mut tx = self.store().begin_write().await?;
        tx.conn()
            .insert_citizen_link(&sha256_hex(&token), &owner, now, now + LINK_LIFETIME)
            .await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    /// Whose appointments a link opens; `NotFound` for an unknown or expired one.
    pub async fn open_citizen_link(&self, token: &str) -> Result<CitizenAccess, BookingError> {
        let now = self.clock().now();
        let mut conn = self.store().read().await?;
        let (owner, until) = conn
            .citizen_link(&sha256_hex(token.trim()), now)
            .await?
            .ok_or(BookingError::NotFound)?;
        Ok(CitizenAccess {
            owner,
            until: DateTime::from_timestamp(until, 0).unwrap_or(now),
        })
    }

    /// The owner's appointments still to come (booked or checked in), in every office,
    /// soonest first.
    pub async fn citizen_upcoming(
        &self,
        owner: &CitizenOwner,
    ) -> Result<Vec<Appointment>, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(upcoming(conn.as_mut(), owner, self.clock().now()).await?)
    }

    pub async fn citizen_feeds(
        &self,
        owner: &CitizenOwner,
    ) -> Result<Vec<CitizenFeedRecord>, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(conn.citizen_feeds(owner).await?)
    }

    /// A new personal feed: its id and its token (shown once). `Validation` past
    /// [`MAX_CITIZEN_FEEDS`].
    pub async fn create_citizen_feed(
        &self,
        owner: &CitizenOwner,
    ) -> Result<(String, String), BookingError> {
        let now = self.clock().now();
        let mut tx = self.store().begin_write().await?;
        let conn = tx.conn();
        if conn.citizen_feeds(owner).await?.len() >= MAX_CITIZEN_FEEDS {
            return Err(BookingError::Validation(format!(
                "at most {MAX_CITIZEN_FEEDS} calendar links; revoke one first"
            )));
        }
        let (id, token) = (random_id(), random_token());
        conn.insert_citizen_feed(&id, &sha256_hex(&token), owner, now)
            .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    /// Revokes the owner's feed `id`: calendars using it stop updating.
    pub async fn revoke_citizen_feed(
        &self,
        owner: &CitizenOwner,
        id: &str,
    ) -> Result<(), BookingError> {
        let mut tx = self.store().begin_write().await?;
        let done = tx.conn().delete_citizen_feed(id, owner).await?;
        tx.commit().await?;
        if done {
            Ok(())
        } else {
            Err(BookingError::NotFound)
        }
    }

    /// What personal feed `id` shows, with its token: the owner's appointments from a
    /// week back on, cancelled ones for two days after. `NotFound` for anything wrong.
    pub async fn citizen_feed(
        &self,
        id: &str,
        token: &str,
    ) -> Result<Vec<Appointment>, BookingError> {
        let now = self.clock().now();
        let mut conn = self.store().read().await?;
        let owner = conn
            .citizen_feed_owner(id, &sha256_hex(token))
            .await?
            .ok_or(BookingError::NotFound)?;
        Ok(conn
            .citizen_appointments(&owner, now - FEED_PAST, now - CANCELLED_VISIBLE)
            .await?)
    }
}

/// The owner's appointments still to come (booked or checked in), soonest first.
async fn upcoming(
    conn: &mut dyn Records,
    owner: &CitizenOwner,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    Ok(conn
        .citizen_appointments(owner, now - FEED_PAST, now)
        .await?
        .into_iter()
        .filter(|a| a.status.is_active() && a.end > now)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_normalized_and_bad_ones_refused() {
        let owner = citizen_owner(" 12.345.678-z ", " Ana@Example.ES ").unwrap();
        assert_eq!(owner.document, "12345678Z");
        assert_eq!(owner.email, "ana@example.es");
        assert_eq!(
            citizen_owner("AB123456", "a@b.es").unwrap().document,
            "AB123456"
        );
        assert!(
            citizen_owner("12345678A", "a@b.es").is_err(),
            "a DNI with a wrong letter"
        );
        assert!(citizen_owner("12345678Z", "not an address").is_err());
        assert!(citizen_owner("", "a@b.es").is_err());
    }
}
