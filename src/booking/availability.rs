//! Read-only availability: free days and free times from the allocator, shared by
//! concurrent readers through [`super::cache`] while it stays exact.
//!
//! Each answer is checked against the office's version read after the request arrived
//! (so it reflects every write committed before), through [`super::flight`]: a crowd
//! reading one office shares that read, and a reader whose answer is cached takes no
//! database connection of its own.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::allocator::Allocator;
use crate::calendar;
use crate::domain::{Office, OfficeId, Service, ServiceId, WallTime};
use crate::store::Records;
use crate::store::StoreError;

use super::cache::Basis;
use super::flight::FlightError;
use super::place::warn_undecided;
use super::snapshot::{self, Exclude};
use super::{Booking, BookingError, Catalog};

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
    /// Whether the procedure's scheduled releases have opened this date, and if not,
    /// when they will (always open for a procedure without releases).
    pub opening: calendar::Opening,
}

/// The question `slots` answers.
pub(crate) type SlotsKey = (OfficeId, ServiceId, NaiveDate);
/// The question `days` answers.
pub(crate) type DaysKey = (OfficeId, ServiceId, NaiveDate, NaiveDate);

impl Booking {
    /// Bookable starts of `service` on local `date`, with exact capacities.
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, service = %service_id, %date))]
    pub async fn slots(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        date: NaiveDate,
    ) -> Result<Vec<SlotAvailability>, BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let basis = self.basis(&catalog, office).await?;
        let key = (office.id.clone(), service.id.clone(), date);
        let slots = self
            .caches
            .slots
            .get_or_compute(key, basis, now, || async {
                let mut conn = self.store.read().await?;
                let snap =
                    snapshot::load(conn.as_mut(), office, date, date, now, Exclude::default())
                        .await?;
                let allocator = Allocator::new(snap);
                let slots: Vec<SlotAvailability> = allocator
                    .slots(&service.id, date)
                    .map_err(|_| BookingError::NotFound)?
                    .into_iter()
                    .map(|s| SlotAvailability {
                        start: s.start,
                        end: s.end,
                        capacity: s.capacity,
                    })
                    .collect();
                warn_undecided(&office.id, &allocator);
                let first = slots.first().map(|s| s.start);
                let until = valid_until(conn.as_mut(), office, service, first, now).await?;
                Ok((slots, until))
            })
            .await?;
        Ok(slots.as_ref().clone())
    }

    /// For each local date in `from..=to` (at most [`MAX_DAYS_RANGE`] days), the number
    /// of bookable starts.
    /// The office as configured, with the closures staff stored folded into its closed
    /// dates: what the pages read to say "closed" rather than "full".
    pub async fn office_with_closures(&self, office_id: &OfficeId) -> Result<Office, BookingError> {
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let mut conn = self.store.read().await?;
        Ok(snapshot::office_with_closures(conn.as_mut(), office).await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, service = %service_id))]
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
        let basis = self.basis(&catalog, office).await?;
        let key = (office.id.clone(), service.id.clone(), from, to);
        let days = self
            .caches
            .days
            .get_or_compute(key, basis, now, || async {
                let mut conn = self.store.read().await?;
                let snap = snapshot::load(conn.as_mut(), office, from, to, now, Exclude::default())
                    .await?;
                let pending = pending_draws(&snap, &service.id);
                let allocator = Allocator::new(snap);
                let days: Vec<DayAvailability> = allocator
                    .days(&service.id, from, to)
                    .map_err(|_| BookingError::NotFound)?
                    .into_iter()
                    .map(|d| DayAvailability {
                        date: d.date,
                        slots: d.slots,
                        opening: calendar::opening(
                            &service.releases,
                            &pending,
                            office.timezone,
                            d.date,
                            now,
                        ),
                    })
                    .collect();
                // The counts change when the earliest available start falls inside its
                // minimum notice: find it on the first day that has one.
                let first = match days.iter().find(|d| d.slots > 0) {
                    Some(day) => allocator
                        .slots(&service.id, day.date)
                        .map_err(|_| BookingError::NotFound)?
                        .first()
                        .map(|s| s.start),
                    None => None,
                };
                warn_undecided(&office.id, &allocator);
                let until = valid_until(conn.as_mut(), office, service, first, now).await?;
                Ok((days, until))
            })
            .await?;
        Ok(days.as_ref().clone())
    }
}

impl Booking {
    /// Whether `service`'s releases have opened local `date`, and if not, when they will
    /// (draws not run yet included): what a page says of a date with no free time.
    pub async fn opening(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        date: NaiveDate,
    ) -> Result<calendar::Opening, BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let mut office = office.clone();
        if service.releases.iter().any(|r| r.draw.is_some()) {
            let mut conn = self.store.read().await?;
            snapshot::fold_pending_draws(conn.as_mut(), &mut office, now).await?;
        }
        let pending = office
            .services
            .iter()
            .find(|s| s.id == service.id)
            .map(|s| s.pending_draws.as_slice())
            .unwrap_or_default();
        Ok(calendar::opening(
            &service.releases,
            pending,
            office.timezone,
            date,
            now,
        ))
    }

    /// What an availability answer depends on besides time: the office's version (bumped
    /// by every write that can change it), read after this call began, and the
    /// configuration in use.
    async fn basis(&self, catalog: &Arc<Catalog>, office: &Office) -> Result<Basis, BookingError> {
        let store = self.store.clone();
        let id = office.id.clone();
        let fetch = move || {
            let (store, id) = (store.clone(), id.clone());
            async move {
                let mut conn = store.read().await.map_err(Arc::new)?;
                conn.office_version(&id).await.map_err(Arc::new)
            }
        };
        let office_version = self
            .caches
            .versions
            .get(office.id.clone(), fetch)
            .await
            .map_err(|error| match error {
                FlightError::Failed(shared) => BookingError::from(StoreError::shared(shared)),
                FlightError::Abandoned => BookingError::Store(StoreError::Retryable(
                    "the office version check was abandoned".into(),
                )),
            })?
            .ok_or(BookingError::NotFound)?;
        Ok(Basis {
            office_version,
            catalog: catalog.id(),
        })
    }
}

/// The passed draw instants of `service` whose draw has not run, as folded into `snap`.
fn pending_draws(snap: &crate::allocator::Snapshot, service: &ServiceId) -> Vec<DateTime<Utc>> {
    snap.services
        .iter()
        .find(|s| s.id == *service)
        .map(|s| s.pending_draws.clone())
        .unwrap_or_default()
}

/// Until when an answer computed at `now` stays exact: the first listed start entering
/// its minimum notice, the earliest hold expiry, the next local midnight, the service's
/// next scheduled release.
async fn valid_until(
    conn: &mut dyn Records,
    office: &Office,
    service: &Service,
    first_available: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, BookingError> {
    let today = calendar::local_date(office.timezone, now);
    let mut until = match today.succ_opt() {
        Some(tomorrow) => calendar::local_to_utc(office.timezone, tomorrow, WallTime::MIDNIGHT),
        None => now,
    };
    if let Some(start) = first_available {
        until = until.min(start - Duration::minutes(i64::from(service.min_notice_minutes)));
    }
    if let Some(expiry) = conn.earliest_hold_expiry(&office.id, now).await? {
        until = until.min(expiry);
    }
    if let Some(release) = calendar::next_release(&service.releases, office.timezone, now) {
        until = until.min(release);
    }
    Ok(until)
}
