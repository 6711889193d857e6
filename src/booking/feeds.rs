//! Calendar feeds: the links staff make for an office or a desk, and what a subscribed
//! calendar sees (DESIGN §6 "Feeds").
//!
//! Contract:
//! - Feed tokens are random and stored only as SHA-256; a token is shown once, when
//!   issued. A desk feed token names a desk of its office.
//! - A feed holds the appointments starting from [`FEED_PAST`] ago on that are booked,
//!   checked in or completed, plus cancelled ones for [`CANCELLED_VISIBLE`] after their
//!   cancellation, so subscribed calendars see them go; no-shows are left out.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Appointment, DeskId, OfficeId};
use crate::store::FeedTokenRecord;

use super::secrets::{random_token, sha256_hex};
use super::{Booking, BookingError, StaffMember};

/// How far back a feed reaches: the past week stays visible for reference.
pub const FEED_PAST: Duration = Duration::days(7);

/// How long a cancelled appointment stays in feeds as `STATUS:CANCELLED` after it was
/// cancelled: clients refresh every few hours, so two days reach all of them.
pub const CANCELLED_VISIBLE: Duration = Duration::hours(48);

/// A live calendar feed link, without its token (which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// The token's hash: names the link for revoking it, opens nothing.
    pub id: String,
    /// `None`: the whole office's feed.
    pub desk_id: Option<DeskId>,
    pub created_at: DateTime<Utc>,
    /// The name of the staff member who made it; `None` when made from the command line.
    pub created_by: Option<String>,
}

impl Booking {
    /// Issues a feed token for an office, or for one of its desks; `by` is the staff
    /// member who asked (`None` from the command line).
    #[tracing::instrument(skip_all, fields(office = %office_id))]
    pub async fn issue_feed_token(
        &self,
        office_id: &OfficeId,
        desk: Option<&DeskId>,
        by: Option<&StaffMember>,
    ) -> Result<String, BookingError> {
        let catalog = self.catalog();
        let office = catalog
            .office(office_id)
            .map_err(|_| BookingError::Validation(format!("there is no office {office_id}")))?;
        if let Some(desk) = desk
            && office.desk(desk).is_none()
        {
            return Err(BookingError::Validation(format!(
                "office {office_id} has no desk {desk}"
            )));
        }
        let token = random_token();
        let mut conn = self.store().read().await?;
        conn.insert_feed_token(&FeedTokenRecord {
            token_hash: sha256_hex(&token),
            office_id: office_id.to_string(),
            desk_id: desk.map(ToString::to_string),
            created_at: self.clock().now().timestamp(),
            revoked_at: None,
            created_by: by.map(|m| m.id.clone()),
        })
        .await?;
        Ok(token)
    }

    /// Revokes a feed token; `false` when it is unknown or already revoked.
    pub async fn revoke_feed_token(&self, token: &str) -> Result<bool, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(conn
            .revoke_feed_token(&sha256_hex(token.trim()), self.clock().now())
            .await?)
    }

    /// The office's live feed links (office and desks), for staff to review and revoke.
    /// Only hashes are stored, so a link is shown in full once, when it is issued.
    pub async fn feed_links(&self, office_id: &OfficeId) -> Result<Vec<FeedLink>, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(conn
            .office_feed_tokens(office_id.as_str())
            .await?
            .into_iter()
            .map(|r| FeedLink {
                id: r.token_hash,
                desk_id: r.desk_id.map(DeskId::new),
                created_at: DateTime::from_timestamp(r.created_at, 0).unwrap_or_default(),
                created_by: r.created_by_name,
            })
            .collect())
    }

    /// Revokes the office's feed link `id` (from [`Booking::feed_links`]); `false` when
    /// the office has no such live link.
    #[tracing::instrument(skip_all, fields(office = %office_id))]
    pub async fn revoke_feed_link(
        &self,
        office_id: &OfficeId,
        id: &str,
    ) -> Result<bool, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(conn
            .revoke_office_feed_token(office_id.as_str(), id, self.clock().now())
            .await?)
    }

    /// Whether `token` opens the feed of `office` (desk `None`) or of one of its desks. An
    /// office token opens the office's desk feeds too; a desk token only its own desk.
    pub async fn feed_token_allows(
        &self,
        token: &str,
        office: &OfficeId,
        desk: Option<&DeskId>,
    ) -> Result<bool, BookingError> {
        if token.is_empty() || token.len() > 256 {
            return Ok(false);
        }
        let mut conn = self.store().read().await?;
        let Some(record) = conn.find_feed_token(&sha256_hex(token)).await? else {
            return Ok(false);
        };
        Ok(record.office_id == office.as_str()
            && match (&record.desk_id, desk) {
                (None, _) => true,
                (Some(own), Some(asked)) => own == asked.as_str(),
                (Some(_), None) => false,
            })
    }

    /// What the office's (or one desk's) calendar feed shows now. `NotFound` for an
    /// unknown office or desk.
    pub async fn feed(
        &self,
        office_id: &OfficeId,
        desk: Option<&DeskId>,
    ) -> Result<Vec<Appointment>, BookingError> {
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        if let Some(desk) = desk
            && office.desk(desk).is_none()
        {
            return Err(BookingError::NotFound);
        }
        let now = self.clock().now();
        let (since, cancelled_since) = (now - FEED_PAST, now - CANCELLED_VISIBLE);
        let mut conn = self.store().read().await?;
        Ok(conn
            .feed_appointments(office_id, desk, since, cancelled_since)
            .await?)
    }
}
