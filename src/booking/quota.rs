//! The staff's share of each day ([`crate::calendar::quota`]) applied to what the public
//! sees and takes: the availability the public reads leaves out the starts kept for staff,
//! and a citizen's hold, booking or move to such a start is refused as taken. Staff, who
//! book for people at the counter or on the phone, see and take everything.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::{self, quota};
use crate::domain::{Office, Service, WallTime};
use crate::store::Records;

use super::BookingError;

/// The public's appointments and holds of `service` on each local date of
/// `first..=last`, leaving out the snapshot keys in `skip` (the hold being turned into
/// an appointment, the appointment being moved).
pub(crate) async fn public_taken(
    conn: &mut dyn Records,
    office: &Office,
    service: &Service,
    (first, last): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
    skip: &[&str],
) -> Result<HashMap<NaiveDate, u32>, BookingError> {
    let from = calendar::local_to_utc(office.timezone, first, WallTime::MIDNIGHT);
    let to = calendar::local_to_utc(office.timezone, last, WallTime::END_OF_DAY);
    let rows = conn
        .public_starts(&office.id, &service.id, now, from, to)
        .await?;
    let mut taken: HashMap<NaiveDate, u32> = HashMap::new();
    for (key, start) in rows {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let start = crate::store::instant(start)?;
        *taken
            .entry(calendar::local_date(office.timezone, start))
            .or_default() += 1;
    }
    Ok(taken)
}

/// Refuses a citizen's hold, booking or move to `start` when it is kept for staff and the
/// public's part of its day is taken; `extra` counts the public's bookings decided but
/// not yet written (earlier in the same batch).
pub(crate) async fn check_public_share(
    conn: &mut dyn Records,
    office: &Office,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    skip: &[&str],
    extra: u32,
) -> Result<(), BookingError> {
    let Some(share) = &service.staff_share else {
        return Ok(());
    };
    if !quota::reserved(share, start, now) {
        return Ok(());
    }
    let date = calendar::local_date(office.timezone, start);
    let taken = public_taken(conn, office, service, (date, date), now, skip).await?;
    let taken = taken.get(&date).copied().unwrap_or(0).saturating_add(extra);
    let capacity = quota::day_capacity(office, service, date);
    if quota::public_may_take(share, capacity, taken, start, now) {
        Ok(())
    } else {
        Err(BookingError::SlotUnavailable)
    }
}
