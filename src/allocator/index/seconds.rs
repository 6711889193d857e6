//! Instants as integer seconds and back: the allocator computes in whole seconds, and
//! the conversions (with their rounding direction) live here.

use chrono::{DateTime, NaiveDate, Utc};

/// Seconds since the epoch, rounded down (an occupancy's start, a queried start).
pub(crate) fn floor_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// Seconds since the epoch, rounded up (an occupancy's end), so sub-second inputs only
/// ever make occupancies longer.
pub(crate) fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
        .saturating_add(i64::from(t.timestamp_subsec_nanos() > 0))
}

/// The instant of `secs`, if chrono can represent it.
pub(crate) fn instant(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

/// [`instant`] for many nearby seconds: the UTC date is worked out once per day, not for
/// every answer (it was a tenth of `slots` on a small office).
#[derive(Debug, Default)]
pub(crate) struct Instants {
    /// Midnight (UTC) of the last date seen, in seconds, and that date.
    day: Option<(i64, NaiveDate)>,
}

impl Instants {
    pub(crate) fn at(&mut self, secs: i64) -> Option<DateTime<Utc>> {
        const DAY: i64 = 86_400;
        let (midnight, date) = match self.day {
            Some((midnight, date)) if (midnight..midnight + DAY).contains(&secs) => {
                (midnight, date)
            }
            _ => {
                let date = instant(secs)?.date_naive();
                let midnight = secs - secs.rem_euclid(DAY);
                self.day = Some((midnight, date));
                (midnight, date)
            }
        };
        let since = u32::try_from(secs - midnight).ok()?;
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(since, 0)?;
        Some(date.and_time(time).and_utc())
    }
}
