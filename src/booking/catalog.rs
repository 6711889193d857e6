//! The offices the booking layer serves, as loaded from the validated configuration.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;

use crate::domain::{Office, OfficeId, Service, ServiceId};

use super::BookingError;

/// Serial numbers of catalogs built in this process.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Offices by id plus the booking settings that apply to all of them.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Unique per catalog built in this process (clones share it: same content), so
    /// answers computed from one configuration are never taken for another's.
    id: u64,
    offices: BTreeMap<OfficeId, Office>,
    /// Whether any release has a waiting room: without one, nothing needs an admission
    /// and a move need not look up the appointment's procedure first.
    waiting_rooms: bool,
    /// How long a hold keeps a slot while the citizen fills the form.
    pub hold_ttl: Duration,
    /// How long after an appointment's end its citizen's personal data is kept
    /// (`[privacy] retain_personal_data_days`).
    pub retention: Duration,
    /// How long before an appointment its citizen is reminded (`[booking]
    /// reminder_hours`), longest first.
    pub reminders: Vec<Duration>,
}

impl Catalog {
    pub fn new(offices: impl IntoIterator<Item = Office>, hold_ttl: Duration) -> Self {
        let offices: BTreeMap<OfficeId, Office> =
            offices.into_iter().map(|o| (o.id.clone(), o)).collect();
        let waiting_rooms = offices
            .values()
            .flat_map(|o| &o.services)
            .flat_map(|s| &s.releases)
            .any(|r| r.room.is_some());
        Catalog {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            offices,
            waiting_rooms,
            hold_ttl,
            retention: Duration::days(i64::from(
                crate::config::PrivacySettings::DEFAULT_RETENTION_DAYS,
            )),
            reminders: hours(&crate::config::BookingSettings::DEFAULT_REMINDER_HOURS),
        }
    }

    /// The same catalog keeping personal data `retention` after appointments end.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The same catalog reminding citizens `hours` before their appointments.
    pub fn with_reminder_hours(mut self, hours_before: &[u32]) -> Self {
        self.reminders = hours(hours_before);
        self
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether any release of any office has a waiting room.
    pub fn has_waiting_rooms(&self) -> bool {
        self.waiting_rooms
    }

    pub fn offices(&self) -> impl Iterator<Item = &Office> {
        self.offices.values()
    }

    pub fn office(&self, id: &OfficeId) -> Result<&Office, BookingError> {
        self.offices.get(id).ok_or(BookingError::NotFound)
    }

    /// The office and the service as that office offers it.
    pub fn service(
        &self,
        office: &OfficeId,
        service: &ServiceId,
    ) -> Result<(&Office, &Service), BookingError> {
        let office = self.office(office)?;
        let service = office.service(service).ok_or(BookingError::NotFound)?;
        Ok((office, service))
    }
}

fn hours(list: &[u32]) -> Vec<Duration> {
    let mut out: Vec<Duration> = list
        .iter()
        .map(|h| Duration::hours(i64::from(*h)))
        .collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out
}
