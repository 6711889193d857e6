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
use crate::domain::{Office, OfficeId, Service, ServiceId, StaffShare, WallTime};
use crate::store::Records;
use crate::store::StoreError;

use super::cache::Basis;
use super::day_cache::{self, Catchup, DayEntry, OfficeDays};
use super::flight::FlightError;
use super::place::warn_undecided;
use super::quota;
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
    /// Bookable starts of `service` on local `date`, with exact capacities, as the public
    /// may take them (without the starts kept for staff, [`super::quota`]).
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
            .get_or_compute(key, basis, now, || {
                self.compute_slots(office, service, date, now, Audience::Public)
            })
            .await?;
        Ok(slots.as_ref().clone())
    }

    /// [`Booking::slots`] as staff booking for someone at the counter or on the phone see
    /// them: the starts kept for staff included.
    pub async fn staff_slots(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        date: NaiveDate,
    ) -> Result<Vec<SlotAvailability>, BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        if service.staff_share.is_none() {
            return self.slots(office_id, service_id, date).await;
        }
        let now = self.clock.now();
        let (slots, _) = self
            .compute_slots(office, service, date, now, Audience::Staff)
            .await?;
        Ok(slots)
    }

    async fn compute_slots(
        &self,
        office: &Office,
        service: &Service,
        date: NaiveDate,
        now: DateTime<Utc>,
        audience: Audience,
    ) -> Result<(Vec<SlotAvailability>, DateTime<Utc>), BookingError> {
        let mut conn = self.store.read().await?;
        let snap =
            snapshot::load(conn.as_mut(), office, date, date, now, Exclude::default()).await?;
        let allocator = Allocator::new(snap);
        let mut slots = slot_list(&allocator, service, date)?;
        warn_undecided(&office.id, &allocator);
        let first = slots.first().map(|s| s.start);
        let mut until = valid_until(conn.as_mut(), office, service, first, now).await?;
        if let (Audience::Public, Some(share)) = (audience, &service.staff_share) {
            let taken =
                quota::public_taken(conn.as_mut(), office, service, (date, date), now, &[]).await?;
            let taken = taken.get(&date).copied().unwrap_or(0);
            let (shown, changes) = public_slots(office, service, share, date, taken, slots, now);
            slots = shown;
            until = changes.map_or(until, |c| until.min(c));
        }
        Ok((slots, until))
    }

    /// The office as configured, with the closures staff stored folded into its closed
    /// dates: what the pages read to say "closed" rather than "full".
    pub async fn office_with_closures(&self, office_id: &OfficeId) -> Result<Office, BookingError> {
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let mut conn = self.store.read().await?;
        Ok(snapshot::office_with_closures(conn.as_mut(), office).await?)
    }

    /// For each local date in `from..=to` (at most [`MAX_DAYS_RANGE`] days), the number
    /// of bookable starts, as the public may take them.
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, service = %service_id))]
    pub async fn days(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAvailability>, BookingError> {
        check_range(from, to)?;
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let basis = self.basis(&catalog, office).await?;
        let key = (office.id.clone(), service.id.clone(), from, to);
        let days = self
            .caches
            .days
            .get_or_compute(key, basis, now, || {
                self.days_by_day(office, service, (from, to), now, basis)
            })
            .await?;
        Ok(days.as_ref().clone())
    }

    /// [`Booking::days`] as staff booking for someone see them: the starts kept for staff
    /// counted.
    pub async fn staff_days(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAvailability>, BookingError> {
        check_range(from, to)?;
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        if service.staff_share.is_none() {
            return self.days(office_id, service_id, from, to).await;
        }
        let now = self.clock.now();
        self.staff_days_computed(office, service, (from, to), now)
            .await
    }

    /// The counts as staff see them (the starts kept for staff included), computed whole:
    /// a counter asks for them now and then, not a crowd, so nothing is kept.
    async fn staff_days_computed(
        &self,
        office: &Office,
        service: &Service,
        (from, to): (NaiveDate, NaiveDate),
        now: DateTime<Utc>,
    ) -> Result<Vec<DayAvailability>, BookingError> {
        let mut conn = self.store.read().await?;
        let snap = snapshot::load(conn.as_mut(), office, from, to, now, Exclude::default()).await?;
        let pending = pending_draws(&snap.services, &service.id);
        let allocator = Allocator::new(snap);
        let days = allocator
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
        warn_undecided(&office.id, &allocator);
        Ok(days)
    }
}

impl Booking {
    /// [`Booking::days`] for the public from the office's per-day counts
    /// ([`super::day_cache`]): brought up to the version in `basis` through the change
    /// log, the dates missing computed in runs of consecutive dates. Also the instant the
    /// answer changes by itself (the earliest of its days').
    async fn days_by_day(
        &self,
        office: &Office,
        service: &Service,
        (from, to): (NaiveDate, NaiveDate),
        now: DateTime<Utc>,
        basis: Basis,
    ) -> Result<(Vec<DayAvailability>, DateTime<Utc>), BookingError> {
        let state = self.caches.by_day.office(&office.id);
        let mut state = state.lock().await;
        let mut conn = self.store.read().await?;
        if let Catchup::ReadChangesSince(since) =
            state.catch_up(basis.office_version, basis.catalog)
        {
            let changes = conn.availability_changes(&office.id, since).await?;
            state.apply(&changes, basis.office_version, office.timezone);
            state.forget_expired(now, calendar::local_date(office.timezone, now));
        }
        let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        let mut entries: Vec<Option<DayEntry>> = dates
            .iter()
            .map(|&date| state.get(&service.id, date, now))
            .collect();
        let runs = missing_runs(&dates, &entries);
        let pending = if runs.is_empty() {
            drop(state);
            self.pending_draws_of(conn.as_mut(), office, service, now)
                .await?
        } else {
            // Closures and draws read once for every run of dates computed.
            let mut folded = snapshot::office_with_closures(conn.as_mut(), office).await?;
            snapshot::fold_pending_draws(conn.as_mut(), &mut folded, now).await?;
            for run in runs {
                let computed =
                    day_entries(conn.as_mut(), &folded, service, run, now, &mut state).await?;
                for (date, entry) in computed {
                    state.insert(&service.id, date, entry);
                    if let Some(slot) = usize::try_from((date - from).num_days())
                        .ok()
                        .and_then(|i| entries.get_mut(i))
                    {
                        *slot = Some(entry);
                    }
                }
            }
            drop(state);
            pending_draws(&folded.services, &service.id)
        };
        let mut until = now + super::cache::MAX_AGE;
        let mut days = Vec::with_capacity(dates.len());
        for (date, entry) in dates.into_iter().zip(entries) {
            let entry = entry.ok_or_else(|| {
                BookingError::Store(StoreError::Corrupt(format!("no count for {date}")))
            })?;
            until = until.min(entry.valid_until);
            days.push(DayAvailability {
                date,
                slots: entry.slots,
                opening: calendar::opening(&service.releases, &pending, office.timezone, date, now),
            });
        }
        Ok((days, until))
    }

    /// The passed draw instants of `service` whose draw has not run (none without draw
    /// releases, without asking the database).
    async fn pending_draws_of(
        &self,
        conn: &mut dyn Records,
        office: &Office,
        service: &Service,
        now: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, BookingError> {
        if service.releases.iter().all(|r| r.draw.is_none()) {
            return Ok(Vec::new());
        }
        let mut office = office.clone();
        snapshot::fold_pending_draws(conn, &mut office, now).await?;
        Ok(pending_draws(&office.services, &service.id))
    }
}

/// Runs of consecutive dates without an entry, as `(first, last)`.
fn missing_runs(dates: &[NaiveDate], entries: &[Option<DayEntry>]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for (&date, entry) in dates.iter().zip(entries) {
        if entry.is_some() {
            continue;
        }
        match runs.last_mut() {
            Some((_, last)) if last.succ_opt() == Some(date) => *last = date,
            _ => runs.push((date, date)),
        }
    }
    runs
}

/// The public count of free starts of `service` on each date of `first..=last`, each with
/// the instant it stops holding by itself: the next local midnight, the procedure's next
/// release, the first start of the date entering its minimum notice, the expiry of a
/// hold that touches it, a start kept for staff opening to all. `office` has its closures
/// and pending draws folded in.
async fn day_entries(
    conn: &mut dyn Records,
    office: &Office,
    service: &Service,
    (first, last): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
    kept: &mut OfficeDays,
) -> Result<Vec<(NaiveDate, DayEntry)>, BookingError> {
    let tz = office.timezone;
    let loaded = snapshot::load_days(conn, office, (first, last), now, kept).await?;
    let hold_expiries = loaded.hold_expiries;
    let allocator = Allocator::new(loaded.snapshot);
    let counts = allocator
        .days(&service.id, first, last)
        .map_err(|_| BookingError::NotFound)?;
    let mut common = match calendar::local_date(tz, now).succ_opt() {
        Some(tomorrow) => calendar::local_to_utc(tz, tomorrow, WallTime::MIDNIGHT),
        None => now,
    };
    if let Some(release) = calendar::next_release(&service.releases, tz, now) {
        common = common.min(release);
    }
    let taken = match &service.staff_share {
        Some(_) => quota::public_taken(conn, office, service, (first, last), now, &[]).await?,
        None => Default::default(),
    };
    let notice = Duration::minutes(i64::from(service.min_notice_minutes));
    let mut entries = Vec::with_capacity(counts.len());
    for day in counts {
        let mut until = common;
        for &(start, end, expires_at) in &hold_expiries {
            let (a, b) = day_cache::touched_dates(tz, start, end);
            if (a..=b).contains(&day.date)
                && let Some(expiry) = DateTime::from_timestamp(expires_at, 0)
            {
                until = until.min(expiry);
            }
        }
        if calendar::local_to_utc(tz, day.date, WallTime::MIDNIGHT) - notice < until
            && let Some(start) = allocator
                .candidate_starts(&service.id, day.date)
                .map_err(|_| BookingError::NotFound)?
                .first()
        {
            until = until.min(*start - notice);
        }
        let mut slots = day.slots;
        if let Some(share) = &service.staff_share
            && slots > 0
        {
            let count = taken.get(&day.date).copied().unwrap_or(0);
            let places = calendar::quota::public_places(
                share,
                calendar::quota::day_capacity(office, service, day.date),
            );
            if count >= places {
                let list = slot_list(&allocator, service, day.date)?;
                let (shown, change) =
                    public_slots(office, service, share, day.date, count, list, now);
                slots = u32::try_from(shown.len()).unwrap_or(u32::MAX);
                if let Some(change) = change {
                    until = until.min(change);
                }
            }
        }
        entries.push((
            day.date,
            DayEntry {
                slots,
                valid_until: until,
            },
        ));
    }
    warn_undecided(&office.id, &allocator);
    Ok(entries)
}

/// Refuses a `days` range that is backwards or longer than [`MAX_DAYS_RANGE`].
fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), BookingError> {
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
    Ok(())
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
        // A procedure without draws needs no connection.
        let pending = if service.releases.iter().any(|r| r.draw.is_some()) {
            let mut conn = self.store.read().await?;
            self.pending_draws_of(conn.as_mut(), office, service, now)
                .await?
        } else {
            Vec::new()
        };
        Ok(calendar::opening(
            &service.releases,
            &pending,
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

/// The allocator's free starts of `service` on `date`, as answers give them.
fn slot_list(
    allocator: &Allocator,
    service: &Service,
    date: NaiveDate,
) -> Result<Vec<SlotAvailability>, BookingError> {
    Ok(allocator
        .slots(&service.id, date)
        .map_err(|_| BookingError::NotFound)?
        .into_iter()
        .map(|s| SlotAvailability {
            start: s.start,
            end: s.end,
            capacity: s.capacity,
        })
        .collect())
}

/// Who reads availability: the public, or staff booking for someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Public,
    Staff,
}

/// What the public sees of one day's `slots`: the starts kept for staff left out once the
/// public's part is taken, and no start offering more places than the public has left.
/// Also the instant the answer changes by itself (a kept start opening to all).
fn public_slots(
    office: &Office,
    service: &Service,
    share: &StaffShare,
    date: NaiveDate,
    taken: u32,
    slots: Vec<SlotAvailability>,
    now: DateTime<Utc>,
) -> (Vec<SlotAvailability>, Option<DateTime<Utc>>) {
    let left =
        calendar::quota::public_places(share, calendar::quota::day_capacity(office, service, date))
            .saturating_sub(taken);
    let mut changes: Option<DateTime<Utc>> = None;
    let mut shown = Vec::with_capacity(slots.len());
    for mut slot in slots {
        if calendar::quota::reserved(share, slot.start, now) {
            let opens = calendar::quota::opens_to_all(share, slot.start);
            changes = Some(changes.map_or(opens, |c| c.min(opens)));
            if left == 0 {
                continue;
            }
            slot.capacity = slot.capacity.min(left);
        }
        shown.push(slot);
    }
    (shown, changes)
}

/// The passed draw instants of procedure `id` whose draw has not run, as folded into
/// `services` (a snapshot's or an office's).
fn pending_draws(services: &[Service], id: &ServiceId) -> Vec<DateTime<Utc>> {
    services
        .iter()
        .find(|s| s.id == *id)
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
