//! Running draws: at each draw release's instant, once across instances (a lease in the
//! draws table), resumable after a crash without giving anything twice.
//!
//! A run records what it allocates from (the supply) before booking anything, and every
//! booking carries the idempotency key `draw:<entry id>`: a run resumed by this or
//! another instance recomputes the same assignment from the stored supply and seed, and
//! the bookings already made answer as replays of themselves.

use chrono::{DateTime, Duration, Utc};

use crate::draw::{self as pure, Supply};
use crate::store::{ConnectionSlot, EntryResult, StoreError};

use super::super::queue::BookJob;
use super::super::request::CitizenInput;
use super::super::snapshot::{self, Exclude};
use super::super::{Actor, BookRequest, Booking, BookingError};
use super::{DrawRef, pure_entries};

/// How long a runner's claim on a draw lasts without being renewed.
const LEASE_SECONDS: i64 = 60;
/// Bookings per transaction while a draw books its winners.
const CHUNK: usize = 50;

/// What one pass over the due draws did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrawsRun {
    /// Draws run to the end by this pass.
    pub drawn: Vec<String>,
    /// Draws another runner holds.
    pub skipped: Vec<String>,
    /// Draws that failed this time (tried again on the next pass), with why.
    pub failed: Vec<(String, String)>,
}

impl Booking {
    /// Runs every draw whose instant has passed and that has not run, oldest first, and
    /// makes the rows (and seeds) of draws whose entries have opened. `owner` names this
    /// runner in the lease.
    pub async fn run_due_draws(&self, owner: &str) -> Result<DrawsRun, BookingError> {
        let now = self.clock.now();
        let catalog = self.catalog();
        let mut due = Vec::new();
        let mut opening = Vec::new();
        let mut conn = self.store.read().await?;
        for configured in catalog.offices() {
            if configured
                .services
                .iter()
                .all(|s| s.releases.iter().all(|r| r.draw.is_none()))
            {
                continue;
            }
            // The passed draws not run yet: what keeps dates closed is what is due (one
            // query per procedure with draws, as for every availability answer).
            let mut office = configured.clone();
            snapshot::fold_pending_draws(conn.as_mut(), &mut office, now).await?;
            for service in &office.services {
                due.extend(
                    service
                        .pending_draws
                        .iter()
                        .filter_map(|&instant| DrawRef::at(&office, service, instant)),
                );
                let ahead = service
                    .releases
                    .iter()
                    .filter_map(|r| r.draw)
                    .map(|d| d.entries_open_hours)
                    .max()
                    .unwrap_or(0);
                let until = now + Duration::hours(i64::from(ahead));
                opening.extend(
                    DrawRef::between(&office, service, now, until)
                        .into_iter()
                        .filter(|draw| draw.instant > now && draw.entries_open_at() <= now),
                );
            }
        }
        let mut run = DrawsRun::default();
        for draw in &opening {
            if let Some(record) = self.ensure_draw(conn.as_mut(), draw).await?
                && draw.entries_close_at() <= now
                && record.entries_sha256.is_none()
            {
                self.close_entries(conn.as_mut(), draw).await?;
            }
        }
        drop(conn);
        due.sort_by_key(|d| d.instant);
        for draw in due {
            // One draw that fails must not hold up the others.
            match self.run_draw(&draw, owner).await {
                Ok(true) => run.drawn.push(draw.id),
                Ok(false) => run.skipped.push(draw.id),
                Err(error) => {
                    tracing::warn!(draw = %draw.id, %error, "a draw could not run; trying again");
                    run.failed.push((draw.id, error.to_string()));
                }
            }
        }
        Ok(run)
    }

    /// Runs one draw to the end; `false` when another runner holds it.
    pub(crate) async fn run_draw(&self, draw: &DrawRef, owner: &str) -> Result<bool, BookingError> {
        let mut conn = self.store.read().await?;
        let record = self
            .ensure_draw(conn.as_mut(), draw)
            .await?
            .ok_or_else(|| corrupt("a due draw has no row"))?;
        if record.state == "drawn" || !self.claim(draw, owner).await? {
            return Ok(record.state == "drawn");
        }
        tracing::info!(draw = %draw.id, "running the draw");
        let catalog = self.catalog();
        let (office, service) = catalog.service(&draw.office_id, &draw.service_id)?;
        if record.entries_sha256.is_none() {
            // Closed at the instant if no pass saw the close (a server down then).
            self.close_entries(conn.as_mut(), draw).await?;
        }
        if record.supply.is_none() {
            let mut office = snapshot::office_with_closures(conn.as_mut(), office).await?;
            snapshot::lift_pending_draws(&mut office);
            let (first, last) = draw.dates();
            let now = self.clock.now();
            let loaded = snapshot::load_closed(
                conn.as_mut(),
                &office,
                first,
                last,
                now,
                Exclude::default(),
                None,
            )
            .await?;
            let mut supply = Supply::of(&loaded.snapshot);
            if service.staff_share.is_some() {
                supply.public_places =
                    public_places(conn.as_mut(), &office, service, (first, last), now).await?;
            }
            let json = serde_json::to_string(&supply)
                .map_err(|e| corrupt(&format!("draw supply: {e}")))?;
            conn.start_draw(&draw.id, &json).await?;
        }
        // The stored supply (ours, or the one a run before the crash stored).
        let record = conn
            .find_draw(&draw.id)
            .await?
            .ok_or_else(|| corrupt("the draw's row went missing"))?;
        let supply: Supply = serde_json::from_str(record.supply.as_deref().unwrap_or_default())
            .map_err(|e| corrupt(&format!("draw supply: {e}")))?;
        let snapshot = supply
            .snapshot()
            .map_err(|e| corrupt(&format!("draw supply: {e}")))?;
        let stored = conn.draw_entries(&draw.id).await?;
        drop(conn);
        let entries = pure_entries(&stored)?;
        let order = pure::order(&record.seed, &entries);
        let starts = pure::assign(
            snapshot,
            &service.id,
            draw.dates(),
            &entries,
            &order,
            &supply.public_places,
        );

        let held = ConnectionSlot::default();
        let waiting: Vec<(i64, usize)> = order
            .iter()
            .enumerate()
            .filter(|&(_, &ix)| stored[ix].result == "waiting")
            .map(|(rank, &ix)| (rank as i64 + 1, ix))
            .collect();
        for chunk in waiting.chunks(CHUNK) {
            if !self.claim(draw, owner).await? {
                return Ok(false); // our lease ran out and another runner took over
            }
            let mut jobs = Vec::new();
            let mut booked_for = Vec::new();
            let mut results = Vec::with_capacity(chunk.len());
            for &(position, ix) in chunk {
                let Some(start) = starts[ix] else {
                    results.push(result_of(&stored[ix], position, "none", None, None));
                    continue;
                };
                match self.draw_job(draw, &stored[ix], start) {
                    Ok(job) => {
                        jobs.push(job);
                        booked_for.push((position, ix, start));
                    }
                    // Stored details that no longer pass (rules tightened since): refused.
                    Err(_) => results.push(result_of(&stored[ix], position, "refused", None, None)),
                }
            }
            let answers = if jobs.is_empty() {
                Vec::new()
            } else {
                self.book_batch(&jobs, &held).await
            };
            for ((position, ix, start), answer) in booked_for.into_iter().zip(answers) {
                let entry = &stored[ix];
                match answer {
                    Ok(outcome) => results.push(result_of(
                        entry,
                        position,
                        "assigned",
                        Some(outcome.appointment.id),
                        Some(start.timestamp()),
                    )),
                    // The citizen's own rules, checked again at booking: this entry only.
                    Err(
                        error @ (BookingError::SlotUnavailable
                        | BookingError::OutsideBookingWindow
                        | BookingError::CitizenLimitReached(_)
                        | BookingError::Validation(_)
                        | BookingError::InvalidDocument(_)),
                    ) => {
                        tracing::warn!(draw = %draw.id, %error, "a draw booking was refused");
                        results.push(result_of(entry, position, "refused", None, None));
                    }
                    // Anything else (a busy or unreachable database): stop, and resume
                    // on a later pass, where the bookings made answer as replays.
                    Err(error) => return Err(error),
                }
            }
            let mut conn = self.store.read().await?;
            conn.record_draw_results(&results).await?;
        }
        let mut conn = self.store.read().await?;
        conn.finish_draw(
            &draw.id,
            draw.office_id.as_str(),
            self.clock.now().timestamp(),
        )
        .await?;
        tracing::info!(draw = %draw.id, entries = stored.len(), "draw run");
        Ok(true)
    }

    /// Publishes the digest of the entry list as it stands; from then on no entry is
    /// accepted, whatever any instance's clock says.
    async fn close_entries(
        &self,
        conn: &mut dyn crate::store::Records,
        draw: &DrawRef,
    ) -> Result<(), BookingError> {
        let stored = conn.draw_entries(&draw.id).await?;
        let digest = pure::entries_digest(&pure_entries(&stored)?);
        conn.close_entries(&draw.id, &digest).await?;
        Ok(())
    }

    async fn claim(&self, draw: &DrawRef, owner: &str) -> Result<bool, BookingError> {
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        Ok(conn
            .claim_draw(
                &draw.id,
                owner,
                now.timestamp(),
                (now + Duration::seconds(LEASE_SECONDS)).timestamp(),
            )
            .await?)
    }

    fn draw_job(
        &self,
        draw: &DrawRef,
        entry: &crate::store::DrawEntryRecord,
        start: DateTime<Utc>,
    ) -> Result<BookJob, BookingError> {
        let input = CitizenInput {
            name: entry.citizen_name.clone().unwrap_or_default(),
            document: entry.document.clone().unwrap_or_default(),
            document_type: entry.document_type.clone(),
            email: entry.email.clone(),
            phone: entry.phone.clone(),
            // Draw entries do not record one: their messages are in Spanish.
            language: None,
        };
        let request = BookRequest {
            office_id: draw.office_id.clone(),
            service_id: draw.service_id.clone(),
            start,
            hold_id: None,
            citizen: input,
        };
        let citizen = request.citizen.validate()?;
        Ok(BookJob {
            document_key: entry.document_key.clone(),
            idempotency: Some((format!("draw:{}", entry.id), request.fingerprint())),
            citizen,
            request,
            actor: Actor::Draw,
            client_key: None,
        })
    }
}

fn result_of(
    entry: &crate::store::DrawEntryRecord,
    position: i64,
    result: &'static str,
    appointment_id: Option<String>,
    assigned_start: Option<i64>,
) -> EntryResult {
    EntryResult {
        entry_id: entry.id.clone(),
        position,
        result,
        appointment_id,
        assigned_start,
    }
}

fn corrupt(what: &str) -> BookingError {
    BookingError::Store(StoreError::Corrupt(what.to_owned()))
}

/// The places the public may still take on each of `dates`, for a procedure with a staff
/// share: what the draw may give out there ([`crate::calendar::quota`]). The share is kept
/// on the whole of each date, also on starts it no longer holds back from a booking:
/// a draw gives out dates far ahead, and its record must be checkable from itself alone.
async fn public_places(
    conn: &mut dyn crate::store::Records,
    office: &crate::domain::Office,
    service: &crate::domain::Service,
    (first, last): (chrono::NaiveDate, chrono::NaiveDate),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::BTreeMap<chrono::NaiveDate, u32>, BookingError> {
    let Some(share) = &service.staff_share else {
        return Ok(Default::default());
    };
    let taken =
        crate::booking::quota::public_taken(conn, office, service, (first, last), now, &[]).await?;
    Ok(first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let capacity = crate::calendar::quota::day_capacity(office, service, date);
            let places = crate::calendar::quota::public_places(share, capacity);
            (
                date,
                places.saturating_sub(taken.get(&date).copied().unwrap_or(0)),
            )
        })
        .collect())
}
