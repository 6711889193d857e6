//! Office staff: their accounts, roles and tokens (DESIGN §6 "Staff"). The agenda is in
//! `agenda`, the calendar feeds in `feeds`.
//!
//! Contract:
//! - Staff tokens are random ([`random_token`]) and stored only as SHA-256; a token is
//!   shown once, when issued. Issuing a new token for a user invalidates the old one.
//! - An admin is bound to no office; a manager or agent to exactly one office of the
//!   current configuration.

use std::fmt;
use std::str::FromStr;

use crate::domain::OfficeId;
use crate::store::{StaffUserRecord, StoreError};

use super::secrets::{random_id, random_token, sha256_hex};
use super::{Actor, Booking, BookingError};

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
