//! Placing an appointment or a hold: the allocator's answer for a time, the moves it
//! needs written, and the citizen's limits, checked only once the time is known to be
//! free.

use chrono::{DateTime, Duration, Utc};

use crate::allocator::{Allocator, Move, PlaceError, Placement, Snapshot};
use crate::domain::{Appointment, DeskId, Office, OfficeId, Service, ServiceId};
use crate::store::{CitizenHistory, CitizenMark, Records, StoreError};

use super::BookingError;
use super::error::CitizenLimit;
use super::request::ValidCitizen;
use super::snapshot::{self, Exclude, moves_by_kind};

/// Anti-hoarding (DESIGN §3): at most `max_active_per_citizen` active appointments for the
/// procedure across offices, and never two overlapping ones.
pub(crate) async fn check_citizen_limits(
    conn: &mut dyn Records,
    citizen: &ValidCitizen,
    service: &Service,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
) -> Result<(), BookingError> {
    let mine = conn
        .citizen_active_appointments(citizen.document.number(), now)
        .await?;
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

/// After a no-show, or too many own cancellations, of `service`, a document waits
/// before booking it again (DESIGN-extension of §3; off unless the procedure sets
/// `no_show_cool_off_days` or `max_cancellations`, and then one indexed read).
pub(crate) async fn check_citizen_history(
    conn: &mut dyn Records,
    document_key: &str,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    let cool_off = Duration::days(i64::from(service.no_show_cool_off_days));
    let window = match service.max_cancellations {
        Some(_) => Duration::days(i64::from(service.cancellations_window_days)),
        None => Duration::zero(),
    };
    let reach = cool_off.max(window);
    if reach.is_zero() {
        return Ok(());
    }
    let history = conn
        .citizen_history(document_key, &service.id, now - reach)
        .await?;
    history_allows(&history, service, now)
}

/// [`check_citizen_history`] on the history already read.
fn history_allows(
    history: &CitizenHistory,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    let cool_off = Duration::days(i64::from(service.no_show_cool_off_days));
    if !cool_off.is_zero() && history.no_shows.iter().any(|&start| start > now - cool_off) {
        return Err(BookingError::CitizenLimitReached(CitizenLimit::Waiting));
    }
    if let Some(most) = service.max_cancellations {
        let since = now - Duration::days(i64::from(service.cancellations_window_days));
        let recent = history
            .cancellations
            .iter()
            .filter(|&&at| at > since)
            .count();
        if recent >= usize::try_from(most).unwrap_or(usize::MAX) {
            return Err(BookingError::CitizenLimitReached(CitizenLimit::Waiting));
        }
    }
    Ok(())
}

/// Records what `appointment`'s document did, if `service` has a rule that looks at it
/// (a no-show with a cool-off, an own cancellation with a cap); nothing otherwise.
pub(crate) async fn mark_if_counted(
    conn: &mut dyn Records,
    document_key: &str,
    service: &Service,
    mark: CitizenMark,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let counted = match mark {
        CitizenMark::NoShow => service.no_show_cool_off_days > 0,
        CitizenMark::Cancelled => service.max_cancellations.is_some(),
    };
    if counted {
        conn.mark_citizen(document_key, &service.id, mark, at)
            .await?;
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
    conn: &mut dyn Records,
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
    write_moves(conn, &placement.moves).await?;
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

/// Writes a placement's reassignments at once (a batch of bookings writes its own at its
/// end, [`super::batch`]).
async fn write_moves(conn: &mut dyn Records, moves: &[Move]) -> Result<(), StoreError> {
    let (appointments, holds) = moves_by_kind(moves.iter().map(|m| (m.key.as_str(), &m.to)));
    for (id, desk) in &appointments {
        conn.update_desk(id, desk).await?;
    }
    for (id, desk) in &holds {
        conn.update_hold_desk(id, desk).await?;
    }
    Ok(())
}
