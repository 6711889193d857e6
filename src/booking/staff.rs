//! Office staff: their accounts and tokens, the agenda, status changes by staff, and the
//! calendar feeds they subscribe to (DESIGN §6 "Staff" and "Feeds").
//!
//! Contract:
//! - Staff and feed tokens are random ([`random_token`]) and stored only as SHA-256; a token
//!   is shown once, when issued. Issuing a new token for a user invalidates the old one.
//! - An admin is bound to no office; a manager or agent to exactly one office of the
//!   current configuration. A desk feed token names a desk of its office.
//! - The agenda lists every desk of the office (in configuration order, even empty ones)
//!   with the appointments starting on that local date, any status, by start; appointments
//!   left on a desk the configuration no longer has are listed under that desk afterwards,
//!   so nothing disappears from the staff's view.
//! - A feed holds the appointments starting from [`FEED_PAST`] ago on that are booked,
//!   checked in or completed, plus cancelled ones for [`CANCELLED_VISIBLE`] after their
//!   cancellation, so subscribed calendars see them go; no-shows are left out.
//! - Which office a staff member may touch is decided by the HTTP layer's auth; these
//!   functions trust their caller on that.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::calendar::local_to_utc;
use crate::domain::{Appointment, DeskId, Locator, OfficeId, Transition, WallTime};
use crate::store::{FeedTokenRecord, StaffUserRecord, StoreError};

use super::secrets::{random_id, random_token, sha256_hex};
use super::{Actor, Booking, BookingError};

/// How far back a feed reaches: the past week stays visible for reference.
pub const FEED_PAST: Duration = Duration::days(7);
/// How long a cancelled appointment stays in feeds as `STATUS:CANCELLED` after it was
/// cancelled: clients refresh every few hours, so two days reach all of them.
pub const CANCELLED_VISIBLE: Duration = Duration::hours(48);

/// The name `serve --demo` gives its administrator.
pub const DEMO_ADMIN: &str = "demo-admin";

/// What a staff member may do (DESIGN §6): admins everything; managers their office's
/// agenda, status changes, walk-ins and closures; agents the same without closures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Manager,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "agent" => Ok(Role::Agent),
            other => Err(format!(
                "unknown role {other:?}; use admin, manager or agent"
            )),
        }
    }
}

/// An authenticated staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// `None` exactly for admins.
    pub office_id: Option<OfficeId>,
}

impl StaffMember {
    /// How this member appears in the audit trail.
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            user: self.id.clone(),
        }
    }
}

impl TryFrom<StaffUserRecord> for StaffMember {
    type Error = StoreError;
    fn try_from(record: StaffUserRecord) -> Result<Self, StoreError> {
        Ok(StaffMember {
            role: record
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("role {:?}", record.role)))?,
            id: record.id,
            name: record.name,
            office_id: record.office_id.map(OfficeId::new),
        })
    }
}

/// A freshly issued staff token: shown once, never stored in clear.
#[derive(Debug, Clone)]
pub struct IssuedStaffToken {
    pub member: StaffMember,
    pub token: String,
}

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

/// One desk's appointments of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskAgenda {
    pub desk_id: DeskId,
    pub appointments: Vec<Appointment>,
}

/// An office's day as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agenda {
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub desks: Vec<DeskAgenda>,
}

/// Longest cancellation reason kept in the audit trail.
const MAX_REASON_CHARS: usize = 500;

impl Booking {
    /// Creates a staff user and returns its token (the only time it is shown).
    #[tracing::instrument(skip_all, fields(role = ?role))]
    pub async fn add_staff_user(
        &self,
        name: &str,
        role: Role,
        office: Option<&OfficeId>,
    ) -> Result<IssuedStaffToken, BookingError> {
        let name = valid_name(name)?;
        let office_id = match (role, office) {
            (Role::Admin, Some(_)) => {
                return Err(BookingError::Validation(
                    "an admin is not bound to an office; leave the office out".into(),
                ));
            }
            (Role::Admin, None) => None,
            (_, None) => {
                return Err(BookingError::Validation(format!(
                    "a {role} works for one office; name it"
                )));
            }
            (_, Some(office)) => {
                self.catalog().office(office).map_err(|_| {
                    BookingError::Validation(format!("there is no office {office}"))
                })?;
                Some(office.clone())
            }
        };
        let token = random_token();
        let record = StaffUserRecord {
            id: random_id(),
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            office_id: office_id.as_ref().map(ToString::to_string),
            token_hash: sha256_hex(&token),
            created_at: self.clock().now().timestamp(),
            revoked_at: None,
        };
        let mut conn = self.store().read().await?;
        match conn.insert_staff_user(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(BookingError::Validation(format!(
                    "a user named {name:?} already exists"
                )));
            }
            Err(other) => return Err(other.into()),
        }
        Ok(IssuedStaffToken {
            member: StaffMember::try_from(record)?,
            token,
        })
    }

    /// The demo administrator: created on first use, and given a fresh token every time
    /// (the previous one stops working), so `serve --demo` can always print a valid one.
    pub async fn ensure_demo_admin(&self) -> Result<IssuedStaffToken, BookingError> {
        let existing = {
            let mut conn = self.store().read().await?;
            conn.find_staff_user_by_name(DEMO_ADMIN).await?
        };
        let Some(record) = existing else {
            return self.add_staff_user(DEMO_ADMIN, Role::Admin, None).await;
        };
        let member = StaffMember::try_from(record)?;
        if member.role != Role::Admin {
            return Err(BookingError::Validation(format!(
                "a user named {DEMO_ADMIN} exists but is not an admin"
            )));
        }
        let token = random_token();
        let mut conn = self.store().read().await?;
        conn.set_staff_token(&member.id, &sha256_hex(&token))
            .await?;
        Ok(IssuedStaffToken { member, token })
    }

    /// Revokes the active staff user `name`; `false` when there is none.
    pub async fn revoke_staff_user(&self, name: &str) -> Result<bool, BookingError> {
        let mut conn = self.store().read().await?;
        Ok(conn
            .revoke_staff_user(name.trim(), self.clock().now())
            .await?)
    }

    /// The active staff member holding `token`, if any.
    pub async fn staff_member(&self, token: &str) -> Result<Option<StaffMember>, BookingError> {
        let mut conn = self.store().read().await?;
        conn.find_staff_user_by_token(&sha256_hex(token))
            .await?
            .map(StaffMember::try_from)
            .transpose()
            .map_err(BookingError::from)
    }

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

    /// The appointment behind a locator, for staff (no token needed; the caller checks
    /// the office).
    pub async fn appointment_by_locator(&self, locator: &str) -> Result<Appointment, BookingError> {
        let locator = Locator::parse(locator).map_err(|_| BookingError::NotFound)?;
        let mut conn = self.store().read().await?;
        conn.find_appointment_by_locator(locator.as_str())
            .await?
            .ok_or(BookingError::NotFound)
    }

    /// A status change by staff on an appointment already found, with an optional reason
    /// kept in the audit trail.
    #[tracing::instrument(skip_all, fields(office = %appointment.office_id, transition = ?transition))]
    pub async fn staff_change(
        &self,
        appointment: &Appointment,
        transition: Transition,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Appointment, BookingError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(reason) = reason
            && (reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control))
        {
            return Err(BookingError::Validation(format!(
                "reason must be at most {MAX_REASON_CHARS} printable characters"
            )));
        }
        self.transition(&appointment.id, transition, actor, reason)
            .await
    }

    /// The office's appointments starting on local `date`, per desk.
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, %date))]
    pub async fn agenda(
        &self,
        office_id: &OfficeId,
        date: NaiveDate,
    ) -> Result<Agenda, BookingError> {
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let from = local_to_utc(office.timezone, date, WallTime::MIDNIGHT);
        let to = local_to_utc(office.timezone, date, WallTime::END_OF_DAY);
        let appointments = {
            let mut conn = self.store().read().await?;
            conn.office_appointments_starting(office_id, from, to)
                .await?
        };
        let mut desks: Vec<DeskAgenda> = office
            .desks
            .iter()
            .map(|d| DeskAgenda {
                desk_id: d.id.clone(),
                appointments: vec![],
            })
            .collect();
        for appointment in appointments {
            match desks.iter_mut().find(|d| d.desk_id == appointment.desk_id) {
                Some(desk) => desk.appointments.push(appointment),
                None => desks.push(DeskAgenda {
                    desk_id: appointment.desk_id.clone(),
                    appointments: vec![appointment],
                }),
            }
        }
        for desk in &mut desks {
            desk.appointments.sort_by(|a, b| {
                a.start
                    .cmp(&b.start)
                    .then_with(|| a.locator.cmp(&b.locator))
            });
        }
        Ok(Agenda {
            office_id: office_id.clone(),
            date,
            desks,
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

fn valid_name(name: &str) -> Result<&str, BookingError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(BookingError::Validation(
            "a user name has 1 to 100 printable characters".into(),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_any_case_and_print_back() {
        for role in [Role::Admin, Role::Manager, Role::Agent] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.as_str().to_uppercase().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(valid_name("  Ana  ").unwrap(), "Ana");
        assert!(valid_name("   ").is_err());
        assert!(valid_name("a\nb").is_err());
        assert!(valid_name(&"x".repeat(101)).is_err());
    }
}
