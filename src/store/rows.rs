//! Row structs as stored, and their mapping to domain values.

use chrono::{DateTime, Utc};

use crate::domain::{Appointment, DeskId, Locator, OfficeId, ServiceId, Status};

use super::StoreError;

/// Integer UTC seconds -> instant; out-of-range values mean the row is corrupt.
pub fn instant(seconds: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| StoreError::Corrupt(format!("instant {seconds} out of range")))
}

#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
pub(crate) struct AppointmentRow {
    pub id: String,
    pub locator: String,
    pub office_id: String,
    pub service_id: String,
    pub desk_id: String,
    pub start_at: i64,
    pub end_at: i64,
    pub occupied_until: i64,
    pub status: String,
    pub sequence: i64,
    pub citizen_name: String,
    pub document: String,
    pub document_type: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Not read by `cita_book_begin` (PostgreSQL), whose appointments serve only the
    /// citizen's limits and replayed answers, neither of which sends a message.
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    crate::domain::MESSAGE_LANGUAGES[0].to_owned()
}

impl TryFrom<AppointmentRow> for Appointment {
    type Error = StoreError;

    fn try_from(row: AppointmentRow) -> Result<Self, StoreError> {
        Ok(Appointment {
            locator: Locator::parse(&row.locator)
                .map_err(|_| StoreError::Corrupt(format!("locator of {}", row.id)))?,
            status: Status::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", row.status)))?,
            office_id: OfficeId::new(row.office_id),
            service_id: ServiceId::new(row.service_id),
            desk_id: DeskId::new(row.desk_id),
            start: instant(row.start_at)?,
            end: instant(row.end_at)?,
            occupied_until: instant(row.occupied_until)?,
            sequence: row.sequence,
            citizen_name: row.citizen_name,
            document: row.document,
            document_type: row.document_type,
            email: row.email,
            phone: row.phone,
            language: row.language,
            created_at: instant(row.created_at)?,
            updated_at: instant(row.updated_at)?,
            id: row.id,
        })
    }
}

/// A hold: a slot reserved for a few minutes while a citizen fills the form.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct HoldRecord {
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    pub desk_id: String,
    pub start_at: i64,
    pub occupied_until: i64,
    pub expires_at: i64,
    pub created_at: i64,
    /// Keyed digest of the client that took it (the live-holds cap counts by it).
    pub client_key: Option<String>,
    /// Keyed digest of the document it was taken for, if it named one: only a booking
    /// for that document may use it.
    pub document_key: Option<String>,
}

/// The columns of a hold row, in [`HoldRecord`]'s order.
pub(crate) const HOLD_COLUMNS: &str = "id, office_id, service_id, desk_id, start_at, occupied_until, expires_at, created_at, client_key, document_key";

/// The remembered outcome of a request sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct IdempotencyRecord {
    pub key: String,
    pub fingerprint: String,
    pub appointment_id: String,
    pub status_code: i32,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One line of the audit trail: who changed what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub office_id: OfficeId,
    pub appointment_id: Option<String>,
    pub action: &'static str,
    pub actor_kind: &'static str,
    pub actor_id: Option<String>,
    pub detail: String,
}
