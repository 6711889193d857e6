//! Staff sign-in sessions for the web pages: a staff token is pasted once and traded for
//! a session, so the token never has to live in the browser.
//!
//! Contract:
//! - [`Booking::open_staff_session`] checks the token and returns a new random session id
//!   and CSRF token; the store keeps only the id's SHA-256. A new sign-in is a new id
//!   (the caller ends the old one: session rotation).
//! - [`Booking::staff_session`] answers the member and CSRF token of a live session: one
//!   whose user is still active and that was used within `idle`. Use is recorded at most
//!   once a minute, so reading pages does not turn into a write per request.
//! - [`Booking::close_staff_session`] ends a session (sign out); it and every sign-in sweep
//!   the idle ones.

use chrono::Duration;

use super::secrets::{random_token, sha256_hex};
use super::{Booking, BookingError, StaffMember};

/// How often a session's last use is written.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// A session just opened: the id goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct OpenedStaffSession {
    pub id: String,
    pub csrf: String,
    pub member: StaffMember,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub csrf: String,
    pub member: StaffMember,
}

impl Booking {
    /// Trades a staff token for a session; `None` when the token is unknown or revoked.
    /// Sessions idle longer than `idle` are swept on the way, so they do not pile up.
    pub async fn open_staff_session(
        &self,
        token: &str,
        idle: Duration,
    ) -> Result<Option<OpenedStaffSession>, BookingError> {
        let token = token.trim();
        if token.is_empty() || token.len() > 256 {
            return Ok(None);
        }
        let Some(member) = self.staff_member(token).await? else {
            return Ok(None);
        };
        let (id, csrf) = (random_token(), random_token());
        let now = self.clock().now();
        let mut conn = self.store().read().await?;
        conn.delete_staff_sessions("", now - idle).await?;
        conn.insert_staff_session(&sha256_hex(&id), &member.id, &csrf, now)
            .await?;
        Ok(Some(OpenedStaffSession { id, csrf, member }))
    }

    /// The live session `id`, if any (unknown, signed out, idle past `idle` or of a
    /// revoked user: none).
    pub async fn staff_session(
        &self,
        id: &str,
        idle: Duration,
    ) -> Result<Option<StaffSession>, BookingError> {
        if id.is_empty() || id.len() > 256 {
            return Ok(None);
        }
        let now = self.clock().now();
        let id_hash = sha256_hex(id);
        let mut conn = self.store().read().await?;
        let Some(record) = conn.find_staff_session(&id_hash).await? else {
            return Ok(None);
        };
        let idle_for = now.timestamp() - record.seen_at;
        if idle_for > idle.num_seconds() {
            return Ok(None);
        }
        if idle_for >= TOUCH_EVERY.num_seconds() {
            conn.touch_staff_session(&id_hash, now).await?;
        }
        Ok(Some(StaffSession {
            csrf: record.csrf,
            member: StaffMember::try_from(record.user)?,
        }))
    }

    /// Ends session `id` (sign out), and every session idle longer than `idle`.
    pub async fn close_staff_session(&self, id: &str, idle: Duration) -> Result<(), BookingError> {
        let mut conn = self.store().read().await?;
        conn.delete_staff_sessions(&sha256_hex(id), self.clock().now() - idle)
            .await?;
        Ok(())
    }
}
