//! Builds the allocator's input for one office and a few local dates from the database
//! and the calendar, inside the caller's transaction.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::day_cache::OfficeDays;
use crate::allocator::{Booked, DeskDay, DeskSchedule, Snapshot};
use crate::calendar::{self, local_to_utc};
use crate::domain::{DeskId, Office, WallTime};
use crate::store::Records;
use crate::store::{self, StoreError};

/// Key prefixes that tell appointments and holds apart in allocator moves.
pub(crate) const APPOINTMENT_KEY: &str = "appt:";
pub(crate) const HOLD_KEY: &str = "hold:";

/// Stored rows to move, as `(id, desk)`.
pub(crate) type Reassignments = Vec<(String, DeskId)>;

/// Reassignments of snapshot keys to desks, split by what they move (stored appointments,
/// then holds), each list in id order: concurrent writers touch shared rows in the same
/// order.
pub(crate) fn moves_by_kind<'a>(
    moves: impl IntoIterator<Item = (&'a str, &'a DeskId)>,
) -> (Reassignments, Reassignments) {
    let (mut appointments, mut holds) = (Vec::new(), Vec::new());
    for (key, desk) in moves {
        if let Some(id) = key.strip_prefix(APPOINTMENT_KEY) {
            appointments.push((id.to_owned(), desk.clone()));
        } else if let Some(id) = key.strip_prefix(HOLD_KEY) {
            holds.push((id.to_owned(), desk.clone()));
        }
    }
    appointments.sort();
    holds.sort();
    (appointments, holds)
}

/// What to leave out of the snapshot: the appointment being rescheduled, the hold being
/// turned into an appointment.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Exclude<'a> {
    pub appointment_id: Option<&'a str>,
    pub hold_id: Option<&'a str>,
}

/// The office with its stored closures folded into `closed_dates`.
pub(crate) async fn office_with_closures(
    conn: &mut dyn Records,
    office: &Office,
) -> Result<Office, StoreError> {
    let closures = conn.office_closures(&office.id).await?;
    fold_closures(office, &closures)
}

/// `office` with `closures` (its stored closures) folded into `closed_dates`.
pub(crate) fn fold_closures(
    office: &Office,
    closures: &[store::ClosureRecord],
) -> Result<Office, StoreError> {
    let mut office = office.clone();
    for closure in closures {
        let (Ok(from), Ok(to)) = (
            closure.from_date.parse::<NaiveDate>(),
            closure.to_date.parse::<NaiveDate>(),
        ) else {
            return Err(StoreError::Corrupt(format!(
                "closure dates {}..{}",
                closure.from_date, closure.to_date
            )));
        };
        office
            .closed_dates
            .extend(from.iter_days().take_while(|d| *d <= to));
    }
    Ok(office)
}

/// Snapshot covering local dates `first..=last` (plus one day each side, so appointments
/// near midnight are judged against their own day's hours).
pub(crate) async fn load(
    conn: &mut dyn Records,
    office: &Office,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
) -> Result<Snapshot, StoreError> {
    Ok(load_with(conn, office, first, last, now, exclude, None)
        .await?
        .snapshot)
}

/// A snapshot and the span of time whose occupancies it holds: what a batch of bookings
/// needs to know to add its own new appointments to it.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub snapshot: Snapshot,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The holds in the snapshot as `(start, occupied until, expires at)` in Unix
    /// seconds, when the rows said (an answer that counted a hold holds until it expires).
    pub hold_expiries: Vec<(i64, i64, i64)>,
}

/// [`load`] of local dates `first..=last` with the holds' expiries: what per-day
/// availability needs to know how long each day's count holds. `office` must already
/// have its closures and pending draws folded in (once for all the runs of dates an
/// answer computes). The occupancies come from those `kept` for the office where it has
/// them; the dates it lacks are read (holds whatever their expiry, filtered by `now` when
/// used) and kept.
pub(crate) async fn load_days(
    conn: &mut dyn Records,
    office: &Office,
    (first, last): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
    kept: &mut OfficeDays,
) -> Result<Loaded, StoreError> {
    let (from_date, to_date) = dates(first, last, None);
    let tz = office.timezone;
    kept.bound_rows();
    for (a, b) in kept.missing_rows(from_date, to_date) {
        let from = local_to_utc(tz, a, WallTime::MIDNIGHT);
        let to = local_to_utc(tz, b, WallTime::END_OF_DAY);
        let rows = conn
            .office_occupancies(&office.id, DateTime::<Utc>::MIN_UTC, from, to)
            .await?;
        kept.keep_rows(tz, (a, b), rows);
    }
    let rows = kept
        .rows(from_date, to_date, now)
        .ok_or_else(|| StoreError::Corrupt(format!("no occupancies kept for {from_date}")))?;
    from_occupancies(office, first, last, now, Exclude::default(), None, rows)
}

async fn load_with(
    conn: &mut dyn Records,
    office: &Office,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Loaded, StoreError> {
    let mut office = office_with_closures(conn, office).await?;
    fold_pending_draws(conn, &mut office, now).await?;
    load_closed(conn, &office, first, last, now, exclude, window).await
}

// Until its draw has run, a draw release's dates stay closed to everyone but the draw:
// the passed instants whose draw has not run are folded into the office's procedures
// (`Service::pending_draws`), where the allocator and the pages read them.

/// How far back draws matter: the dates a draw gives out lie at most this far after it.
pub(crate) fn draw_horizon(service: &crate::domain::Service) -> chrono::Duration {
    let reach = service.releases.iter().map(|r| r.last).max().unwrap_or(0);
    chrono::Duration::days(i64::from(reach) + 8)
}

/// `office` with each procedure's pending draws filled in: one query per procedure that
/// has draw releases, none for the others.
pub(crate) async fn fold_pending_draws(
    conn: &mut dyn Records,
    office: &mut Office,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for service in &mut office.services {
        if service.releases.iter().all(|r| r.draw.is_none()) {
            continue;
        }
        let since = now - draw_horizon(service);
        let passed = calendar::draw_instances(&service.releases, office.timezone, since, now);
        if passed.is_empty() {
            service.pending_draws.clear();
            continue;
        }
        let drawn: std::collections::HashSet<i64> = conn
            .drawn_instants(office.id.as_str(), service.id.as_str(), since.timestamp())
            .await?
            .into_iter()
            .collect();
        service.pending_draws = passed
            .into_iter()
            .map(|found| found.instant)
            .filter(|instant| !drawn.contains(&instant.timestamp()))
            .collect();
    }
    Ok(())
}

/// `office` as the draw itself sees it: nothing pending.
pub(crate) fn lift_pending_draws(office: &mut Office) {
    for service in &mut office.services {
        service.pending_draws.clear();
    }
}

/// The snapshot of local dates `first..=last`, with only the occupancies overlapping
/// `window` when one is given: enough to find a free desk there (and to prove there is
/// none), not enough to plan moves. `office` must already
/// have its stored closures folded in ([`fold_closures`]).
pub(crate) async fn load_closed(
    conn: &mut dyn Records,
    office: &Office,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Loaded, StoreError> {
    let (from, to) = span(office, first, last, window);
    let rows = conn.office_occupancies(&office.id, now, from, to).await?;
    from_occupancies(office, first, last, now, exclude, window, rows)
}

/// The time span [`load_closed`] reads: `window`, or the local dates `first..=last` with a
/// day each side.
pub(crate) fn span(
    office: &Office,
    first: NaiveDate,
    last: NaiveDate,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from_date, to_date) = dates(first, last, window);
    window.unwrap_or_else(|| {
        (
            local_to_utc(office.timezone, from_date, WallTime::MIDNIGHT),
            local_to_utc(office.timezone, to_date, WallTime::END_OF_DAY),
        )
    })
}

/// A whole-day question also loads the neighbouring days, so appointments near
/// midnight are judged against their own day's hours; a window needs only its own.
fn dates(
    first: NaiveDate,
    last: NaiveDate,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> (NaiveDate, NaiveDate) {
    let margin = Days::new(if window.is_some() { 0 } else { 1 });
    (
        first.checked_sub_days(margin).unwrap_or(first),
        last.checked_add_days(margin).unwrap_or(last),
    )
}

/// [`load_closed`] from occupancies already read (all of those overlapping its span and
/// possibly more: the rest are left out).
pub(crate) fn from_occupancies(
    office: &Office,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    rows: impl IntoIterator<Item = store::OccupancyRecord>,
) -> Result<Loaded, StoreError> {
    let (from_date, to_date) = dates(first, last, window);
    let (from, to) = span(office, first, last, window);
    let dates: Vec<NaiveDate> = from_date
        .iter_days()
        .take_while(|d| *d <= to_date)
        .collect();
    let desks = office
        .desks
        .iter()
        .map(|desk| DeskSchedule {
            id: desk.id.clone(),
            services: desk.services.clone(),
            days: dates
                .iter()
                .map(|&date| DeskDay {
                    date,
                    open: calendar::desk_open_intervals(office, desk, date),
                })
                .filter(|day| !day.open.is_empty())
                .collect(),
        })
        .collect();

    let mut appointments = Vec::new();
    let mut hold_expiries = Vec::new();
    for row in rows {
        if row.start_at >= to.timestamp() || row.occupied_until <= from.timestamp() {
            continue;
        }
        if let Some(expires_at) = row.expires_at {
            hold_expiries.push((row.start_at, row.occupied_until, expires_at));
        }
        let excluded = if row.is_hold {
            exclude.hold_id
        } else {
            exclude.appointment_id
        };
        if Some(row.id.as_str()) == excluded {
            continue;
        }
        let prefix = if row.is_hold {
            HOLD_KEY
        } else {
            APPOINTMENT_KEY
        };
        appointments.push(Booked {
            key: format!("{prefix}{}", row.id),
            service: row.service_id.into(),
            start: store::instant(row.start_at)?,
            occupied_until: store::instant(row.occupied_until)?,
            desk: row.desk_id.into(),
            pinned: row.pinned,
        });
    }
    Ok(Loaded {
        snapshot: Snapshot {
            timezone: office.timezone,
            now,
            services: office.services.clone(),
            desks,
            appointments,
        },
        from,
        to,
        hold_expiries,
    })
}
