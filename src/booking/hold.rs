//! Hold: a time kept for a citizen while they fill in the form, so that it is still free
//! when they book; extended on request (WCAG 2.2.1) and let go when they choose another.

use chrono::{DateTime, Utc};

use crate::domain::{Document, OfficeId};
use crate::store::HoldRecord;

use super::place::place_and_move;
use super::secrets::random_token;
use super::snapshot::{Exclude, HOLD_KEY};
use super::{Booking, BookingError};

/// A slot reserved for a short time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldOutcome {
    pub hold_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Who takes a hold, and how many live holds they may have.
#[derive(Debug, Clone)]
pub struct HoldOwner {
    /// The client's key as text ([`crate::http::client::ClientKey`]); stored only as a
    /// keyed digest.
    pub client: String,
    /// The document the hold is for, if the citizen named it: one live hold per document
    /// (a new one replaces the last), and only a booking for it may use the hold.
    pub document: Option<String>,
    /// Live holds the client may have at once (`[limits] holds_per_client`).
    pub max_per_client: u32,
}

impl Booking {
    /// Reserves `service` at `start` for the configured hold time.
    ///
    /// In this order, so that nothing about the owner is judged at a time that is not
    /// free anyway: the booking window and the slot, then the document's previous hold
    /// (replaced), then the client's cap (409 `hold_limit_reached`).
    #[tracing::instrument(skip_all, fields(office = %office_id, service = %service_id))]
    pub async fn hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
        owner: &HoldOwner,
    ) -> Result<HoldOutcome, BookingError> {
        self.catalog().service(office_id, service_id)?;
        let document_key = match &owner.document {
            Some(raw) => Some(self.document_key(&Document::parse(raw, None)?)),
            None => None,
        };
        let client_key = self.pepper.digest("client", &owner.client);
        let keys = HoldKeys {
            client: &client_key,
            document: document_key.as_deref(),
            max_per_client: owner.max_per_client,
        };
        self.with_retry(|| self.try_hold(office_id, service_id, start, &keys))
            .await
    }

    async fn try_hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
        keys: &HoldKeys<'_>,
    ) -> Result<HoldOutcome, BookingError> {
        // Looked up on every attempt: a retry after a configuration change uses the new one.
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let ttl = catalog.hold_ttl;
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        // The owner's keys, then the office: holds of one client or one document at
        // different offices are counted one at a time.
        let mut owner_keys: Vec<&str> = [Some(keys.client), keys.document]
            .into_iter()
            .flatten()
            .collect();
        owner_keys.sort_unstable();
        for key in owner_keys {
            conn.lock_key(key).await?;
        }
        let lock = self.lock_office(conn, &office.id).await?;
        let closed = self.closed_office(conn, office, &lock).await?;
        conn.delete_expired_holds(&office.id, now).await?;
        let replaced = match keys.document {
            Some(document) => conn.live_hold_of_document(document, now).await?,
            None => None,
        };
        let exclude = Exclude {
            appointment_id: None,
            hold_id: replaced.as_deref(),
        };
        let desk = place_and_move(conn, &closed, service, start, now, exclude).await?;
        // Holds are the public's: the citizen's own hold being replaced does not count.
        let replaced_key = replaced.as_deref().map(|id| format!("{HOLD_KEY}{id}"));
        let skip: Vec<&str> = replaced_key.as_deref().into_iter().collect();
        super::quota::check_public_share(conn, &closed, service, start, now, &skip, 0).await?;
        if let Some(replaced) = &replaced {
            conn.delete_hold(replaced).await?;
        }
        let live = conn.count_live_holds_of_client(keys.client, now).await?;
        if live >= i64::from(keys.max_per_client) {
            return Err(BookingError::HoldLimitReached);
        }
        let hold = HoldRecord {
            id: random_token(),
            office_id: office.id.to_string(),
            service_id: service.id.to_string(),
            desk_id: desk.to_string(),
            start_at: start.timestamp(),
            occupied_until: (start + service.occupancy()).timestamp(),
            expires_at: (now + ttl).timestamp(),
            created_at: now.timestamp(),
            client_key: Some(keys.client.to_owned()),
            document_key: keys.document.map(str::to_owned),
        };
        conn.insert_hold(&hold).await?;
        tx.commit().await?;
        Ok(HoldOutcome {
            hold_id: hold.id,
            start,
            end: start + service.duration(),
            expires_at: now + ttl,
        })
    }

    /// Gives the hold `hold_id` another hold time from now, if it is still live: for a
    /// citizen who needs more time to fill in the form (WCAG 2.2.1). Returns the new
    /// expiry, or `None` when the hold is gone or expired (then the time may have been
    /// taken; booking it still works if it is free).
    pub async fn extend_hold(&self, hold_id: &str) -> Result<Option<DateTime<Utc>>, BookingError> {
        super::request::check_hold_id(Some(hold_id))?;
        self.with_retry(|| async {
            let catalog = self.catalog();
            let now = self.clock.now();
            let mut tx = self.store.begin_write().await?;
            let conn = tx.conn();
            let Some(hold) = conn.find_hold(hold_id).await? else {
                return Ok(None);
            };
            if hold.expires_at <= now.timestamp() {
                return Ok(None);
            }
            // Availability answers keep until the next hold expiry: the office's version
            // moves, so no instance keeps the old one.
            self.lock_office(conn, &OfficeId::new(hold.office_id.as_str()))
                .await?;
            let expires = now + catalog.hold_ttl;
            conn.set_hold_expiry(hold_id, expires.timestamp()).await?;
            tx.commit().await?;
            Ok(Some(expires))
        })
        .await
    }

    /// Lets go of the hold `hold_id` (a citizen chose another time): the time is free for
    /// others at once and the hold no longer counts against its client's cap.
    pub async fn release_hold(&self, hold_id: &str) -> Result<(), BookingError> {
        super::request::check_hold_id(Some(hold_id))?;
        self.with_retry(|| async {
            let mut tx = self.store.begin_write().await?;
            let conn = tx.conn();
            let Some(hold) = conn.find_hold(hold_id).await? else {
                return Ok(());
            };
            self.lock_office(conn, &OfficeId::new(hold.office_id.as_str()))
                .await?;
            conn.delete_hold(hold_id).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The keyed digest a hold stores for the document it is for.
    pub(crate) fn document_key(&self, document: &Document) -> String {
        self.document_key_of(document.number())
    }

    /// [`Self::document_key`] of a document number as stored (already normalized).
    pub(crate) fn document_key_of(&self, number: &str) -> String {
        self.pepper.digest("document", number)
    }
}

/// A hold owner's digests.
#[derive(Debug)]
struct HoldKeys<'a> {
    client: &'a str,
    document: Option<&'a str>,
    max_per_client: u32,
}

/// Whether a booking for the document with digest `document_key` may use `hold`: a hold
/// taken for a document serves only that document.
pub(crate) fn hold_serves(hold: &HoldRecord, document_key: &str) -> bool {
    hold.document_key
        .as_deref()
        .is_none_or(|bound| bound == document_key)
}
