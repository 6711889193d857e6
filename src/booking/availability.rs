//! Read-only availability: free days and free times, straight from the allocator.

use chrono::{DateTime, NaiveDate, Utc};

use crate::allocator::Allocator;
use crate::domain::{OfficeId, ServiceId};

use super::snapshot::{self, Exclude};
use super::{Booking, BookingError};

/// Longest `days` range one request may ask for.
pub const MAX_DAYS_RANGE: i64 = 62;

/// A bookable start and how many more appointments fit there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAvailability {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub capacity: u32,
}

/// Number of bookable starts on a local date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayAvailability {
    pub date: NaiveDate,
    pub slots: u32,
}

impl Booking {
    /// Bookable starts of `service` on local `date`, with exact capacities.
    pub async fn slots(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        date: NaiveDate,
    ) -> Result<Vec<SlotAvailability>, BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        let snap = snapshot::load(&mut conn, office, date, date, now, Exclude::default()).await?;
        let slots = Allocator::new(snap)
            .slots(&service.id, date)
            .map_err(|_| BookingError::NotFound)?;
        Ok(slots
            .into_iter()
            .map(|s| SlotAvailability {
                start: s.start,
                end: s.end,
                capacity: s.capacity,
            })
            .collect())
    }

    /// For each local date in `from..=to` (at most [`MAX_DAYS_RANGE`] days), the number
    /// of bookable starts.
    pub async fn days(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAvailability>, BookingError> {
        let span = (to - from).num_days();
        if span < 0 {
            return Err(BookingError::Validation(
                "`to` must not be before `from`".into(),
            ));
        }
        if span >= MAX_DAYS_RANGE {
            return Err(BookingError::Validation(format!(
                "ask for at most {MAX_DAYS_RANGE} days at a time"
            )));
        }
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        let snap = snapshot::load(&mut conn, office, from, to, now, Exclude::default()).await?;
        let days = Allocator::new(snap)
            .days(&service.id, from, to)
            .map_err(|_| BookingError::NotFound)?;
        Ok(days
            .into_iter()
            .map(|d| DayAvailability {
                date: d.date,
                slots: d.slots,
            })
            .collect())
    }
}
