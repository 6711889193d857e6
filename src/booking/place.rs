//! Hold and book: the two use cases that take capacity.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::allocator::{Allocator, Move, PlaceError, Placement, Snapshot};
use crate::domain::{Appointment, DeskId, Office, OfficeId, Service, ServiceId, Status};
use crate::store::{self, AuditEntry, HoldRecord, StoreError};

use super::error::CitizenLimit;
use super::request::ValidCitizen;
use super::secrets::random_token;
use super::snapshot::{self, APPOINTMENT_KEY, Exclude, HOLD_KEY};
use super::{Actor, Booking, BookingError};

/// A slot reserved for a short time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldOutcome {
    pub hold_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A booked appointment with a bearer token for it (freshly issued, also on replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOutcome {
    pub appointment: Appointment,
    pub token: String,
    /// The request repeated an `Idempotency-Key` and this is the first request's result.
    pub replayed: bool,
}

impl Booking {
    /// Reserves `service` at `start` for the configured hold time.
    pub async fn hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
    ) -> Result<HoldOutcome, BookingError> {
        self.catalog().service(office_id, service_id)?;
        self.with_retry(|| self.try_hold(office_id, service_id, start))
            .await
    }

    async fn try_hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
    ) -> Result<HoldOutcome, BookingError> {
        // Looked up on every attempt: a retry after a configuration change uses the new one.
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let ttl = catalog.hold_ttl;
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        let lock = self.lock_office(conn, &office.id).await?;
        let closed = self.closed_office(conn, office, &lock).await?;
        store::delete_expired_holds(conn, &office.id, now).await?;
        let desk = place_and_move(conn, &closed, service, start, now, Exclude::default()).await?;
        let hold = HoldRecord {
            id: random_token(),
            office_id: office.id.to_string(),
            service_id: service.id.to_string(),
            desk_id: desk.to_string(),
            start_at: start.timestamp(),
            occupied_until: (start + service.occupancy()).timestamp(),
            expires_at: (now + ttl).timestamp(),
            created_at: now.timestamp(),
        };
        store::insert_hold(conn, &hold).await?;
        tx.commit().await?;
        Ok(HoldOutcome {
            hold_id: hold.id,
            start,
            end: start + service.duration(),
            expires_at: now + ttl,
        })
    }
}

/// Anti-hoarding (DESIGN §3): at most `max_active_per_citizen` active appointments for the
/// procedure across offices, and never two overlapping ones.
pub(crate) async fn check_citizen_limits(
    conn: &mut AnyConnection,
    citizen: &ValidCitizen,
    service: &Service,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
) -> Result<(), BookingError> {
    let mine = store::citizen_active_appointments(conn, citizen.document.number(), now).await?;
    citizen_limits(&mine, service, start, end, ignoring)
}

/// [`check_citizen_limits`] on the citizen's active appointments, already loaded.
///
/// Callers check it only after the booking window and the slot's availability: a probe
/// at a closed or full time must learn nothing about the document it names.
pub(crate) fn citizen_limits(
    mine: &[Appointment],
    service: &Service,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    ignoring: Option<&str>,
) -> Result<(), BookingError> {
    let mine = || mine.iter().filter(|a| Some(a.id.as_str()) != ignoring);
    let same = mine().filter(|a| a.service_id == service.id).count();
    if same >= usize::try_from(service.max_active_per_citizen).unwrap_or(usize::MAX) {
        return Err(BookingError::CitizenLimitReached(CitizenLimit::Procedure));
    }
    if mine().any(|a| a.start < end && start < a.end) {
        return Err(BookingError::CitizenLimitReached(CitizenLimit::Overlap));
    }
    Ok(())
}

/// Finds a desk for `service` at `start` and writes the reassignments it needs.
///
/// First with only the appointments overlapping the new occupancy: a free desk there is
/// a valid placement (the stored assignment is feasible, invariant 1), and "full" on this
/// subset is full on the whole day too (fewer appointments never fit less). Only when the
/// answer needs other appointments moved is the whole day loaded and planned exactly.
/// `office` has its stored closures folded in ([`Booking::closed_office`]).
pub(crate) async fn place_and_move(
    conn: &mut AnyConnection,
    office: &Office,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
) -> Result<DeskId, BookingError> {
    let window = (start, start + service.occupancy());
    let date = crate::calendar::local_date(office.timezone, start);
    let narrow = snapshot::load_closed(conn, office, date, date, now, exclude, Some(window))
        .await?
        .snapshot;
    let placement = match place_in(&office.id, narrow, &service.id, start) {
        Ok(placement) if placement.moves.is_empty() => placement,
        Ok(_) => {
            let full = snapshot::load_closed(conn, office, date, date, now, exclude, None)
                .await?
                .snapshot;
            place_in(&office.id, full, &service.id, start).map_err(refusal)?
        }
        Err(error) => return Err(refusal(error)),
    };
    apply_moves(conn, &placement.moves).await?;
    Ok(placement.desk)
}

/// [`Allocator::place`] on `snapshot`, warning when a search ran out of budget.
pub(crate) fn place_in(
    office: &OfficeId,
    snapshot: Snapshot,
    service: &ServiceId,
    start: DateTime<Utc>,
) -> Result<Placement, PlaceError> {
    let allocator = Allocator::new(snapshot);
    let placement = allocator.place(service, start);
    warn_undecided(office, &allocator);
    placement
}

/// Logs answers that were "no" only because the exact search ran out of its budget: such
/// an answer may hide a free start.
pub(crate) fn warn_undecided(office: &OfficeId, allocator: &Allocator) {
    let undecided = allocator.undecided();
    if undecided > 0 {
        tracing::warn!(office = %office, undecided, "allocator searches ran out of budget");
    }
}

pub(crate) fn refusal(error: PlaceError) -> BookingError {
    match error {
        PlaceError::UnknownService(_) => BookingError::NotFound,
        PlaceError::OutsideBookingWindow => BookingError::OutsideBookingWindow,
        PlaceError::NotACandidateStart | PlaceError::Full => BookingError::SlotUnavailable,
    }
}

async fn apply_moves(conn: &mut AnyConnection, moves: &[Move]) -> Result<(), StoreError> {
    for m in moves {
        if let Some(id) = m.key.strip_prefix(APPOINTMENT_KEY) {
            store::update_desk(conn, id, &m.to).await?;
        } else if let Some(id) = m.key.strip_prefix(HOLD_KEY) {
            store::update_hold_desk(conn, id, &m.to).await?;
        }
    }
    Ok(())
}

/// Cancels an appointment inside the caller's transaction (closures, configuration
/// changes): the status, a new sequence so calendars see it, and the audit line.
pub(crate) async fn cancel_in_transaction(
    conn: &mut AnyConnection,
    appointment: &mut Appointment,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    appointment.status = Status::Cancelled;
    appointment.sequence += 1;
    appointment.updated_at = now;
    store::update_appointment(conn, appointment).await?;
    audit(conn, appointment, "cancelled", actor, now, detail).await
}

pub(crate) async fn audit(
    conn: &mut AnyConnection,
    appointment: &Appointment,
    action: &'static str,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    store::insert_audit(
        conn,
        &AuditEntry {
            at: now,
            office_id: appointment.office_id.clone(),
            appointment_id: Some(appointment.id.clone()),
            action,
            actor_kind: actor.kind(),
            actor_id: actor.id(),
            detail,
        },
    )
    .await
}
