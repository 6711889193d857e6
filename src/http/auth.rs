//! Staff authentication and authorization (DESIGN §6 "Staff", invariant 5).
//!
//! Contract:
//! - [`StaffUser`] is taken from `Authorization: Bearer <staff token>`. Missing or
//!   malformed header: 401 `unauthorized`; a token that is unknown or revoked: 401 too.
//! - Handlers then call [`StaffUser::require_role`] (403 `forbidden` when the role may not
//!   do that) and [`StaffUser::require_office`] (403 `forbidden` when a manager or agent
//!   reaches another office than their own). Admins pass both everywhere.
//! - What each role may do: admins everything; managers their office's agenda, status
//!   changes, walk-ins and closures; agents their office's agenda, status changes and
//!   walk-ins. Only admins change the configuration.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::booking::{Actor, Role, StaffMember};
use crate::domain::OfficeId;

use super::AppState;
use super::error::ApiError;
use super::extract::BearerToken;

/// Every role: agenda, status changes, walk-ins.
pub const ANY_ROLE: &[Role] = &[Role::Admin, Role::Manager, Role::Agent];
/// Closing an office for some days.
pub const CLOSURE_ROLES: &[Role] = &[Role::Admin, Role::Manager];
/// Changing the configuration.
pub const ADMIN_ONLY: &[Role] = &[Role::Admin];

/// An authenticated staff member.
#[derive(Debug, Clone)]
pub struct StaffUser(pub StaffMember);

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        state
            .booking
            .staff_member(&token)
            .await?
            .map(StaffUser)
            .ok_or_else(|| ApiError::unauthorized("this staff token is unknown or revoked"))
    }
}

impl StaffUser {
    /// 403 unless the member's role is one of `allowed`.
    pub fn require_role(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a staff member with the {} role may not do this",
                self.0.role
            )))
        }
    }

    /// 403 when a manager or agent reaches an office other than their own.
    pub fn require_office(&self, office: &OfficeId) -> Result<(), ApiError> {
        match (&self.0.role, &self.0.office_id) {
            (Role::Admin, _) => Ok(()),
            (_, Some(own)) if own == office => Ok(()),
            _ => Err(ApiError::forbidden(
                "staff may only act on their own office",
            )),
        }
    }

    /// How this member appears in the audit trail.
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, office: Option<&str>) -> StaffUser {
        StaffUser(StaffMember {
            id: "u1".into(),
            name: "ana".into(),
            role,
            office_id: office.map(OfficeId::new),
        })
    }

    #[test]
    fn offices_bind_managers_and_agents_but_not_admins() {
        let madrid = OfficeId::new("madrid");
        let barcelona = OfficeId::new("barcelona");
        assert!(member(Role::Admin, None).require_office(&madrid).is_ok());
        let agent = member(Role::Agent, Some("madrid"));
        assert!(agent.require_office(&madrid).is_ok());
        assert_eq!(agent.require_office(&barcelona).unwrap_err().status, 403);
    }

    #[test]
    fn roles_gate_closures_and_configuration() {
        let agent = member(Role::Agent, Some("madrid"));
        let manager = member(Role::Manager, Some("madrid"));
        assert!(agent.require_role(ANY_ROLE).is_ok());
        assert_eq!(
            agent.require_role(CLOSURE_ROLES).unwrap_err().code,
            "forbidden"
        );
        assert!(manager.require_role(CLOSURE_ROLES).is_ok());
        assert!(manager.require_role(ADMIN_ONLY).is_err());
        assert!(member(Role::Admin, None).require_role(ADMIN_ONLY).is_ok());
    }
}
