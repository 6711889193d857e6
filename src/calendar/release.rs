//! Which dates scheduled releases have opened, and when the others open (DST-correct:
//! a release instant is its wall time on its own local date, [`local_to_utc`]).
//!
//! CONTRACT:
//! - A date `d` is covered by a release instant `R` (a local date `r` whose weekday is one
//!   of the release's days, at its wall time) when `d - r` is within the release's
//!   `first..=last` days. No releases: every date is open.
//! - A draw release's instant that has passed but whose draw has not run (`pending`)
//!   keeps the dates it covers closed: `Draw(R)`, whatever else covers them.
//! - Otherwise `d` is open at `now` iff some covering `R <= now`.
//! - Otherwise it opens at the earliest covering `R` after `now`: `Draw(R)` when that
//!   release is a draw, else `At(R)`; or never (no release covers it).

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::zone::{local_date, local_to_utc};
use crate::domain::Release;

/// Whether a date is bookable yet under its procedure's releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Released (or no releases: a rolling window).
    Open,
    /// Opens first come, first served at this instant.
    At(DateTime<Utc>),
    /// Given out by the draw at this instant (still to come, or running).
    Draw(DateTime<Utc>),
    /// No release covers it.
    Never,
}

/// Whether `date` is released at `now` under `releases`, in zone `tz`; `pending` are the
/// passed instants of draw releases whose draw has not run yet.
pub fn opening(
    releases: &[Release],
    pending: &[DateTime<Utc>],
    tz: Tz,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Opening {
    if releases.is_empty() {
        return Opening::Open;
    }
    let mut open = false;
    let mut next: Option<Opening> = None;
    for release in releases {
        let Some(instant) = covering_instant(release, tz, date) else {
            continue;
        };
        if instant <= now {
            if release.draw.is_some() && pending.contains(&instant) {
                return Opening::Draw(instant);
            }
            open = true;
            continue;
        }
        let this = if release.draw.is_some() {
            Opening::Draw(instant)
        } else {
            Opening::At(instant)
        };
        next = match next {
            Some(earlier) if instant_of(earlier) <= instant => Some(earlier),
            _ => Some(this),
        };
    }
    if open {
        return Opening::Open;
    }
    next.unwrap_or(Opening::Never)
}

fn instant_of(opening: Opening) -> DateTime<Utc> {
    match opening {
        Opening::At(at) | Opening::Draw(at) => at,
        Opening::Open | Opening::Never => DateTime::<Utc>::MIN_UTC,
    }
}

/// The first instant of `release` that covers `date`: the release days that cover it run
/// from `date - last` to `date - first`, and the earliest of them happens first, so it
/// alone decides (at most a week of dates to look at, however wide the range).
fn covering_instant(release: &Release, tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let earliest = date.checked_sub_days(Days::new(u64::from(release.last)))?;
    let latest = date.checked_sub_days(Days::new(u64::from(release.first)))?;
    let day = earliest
        .iter_days()
        .take(7)
        .take_while(|day| *day <= latest)
        .find(|day| release.days.contains(day.weekday()))?;
    Some(local_to_utc(tz, day, release.at))
}

/// The first release instant after `now`, if there are releases: until then, no date
/// changes from closed to open.
pub fn next_release(releases: &[Release], tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = local_date(tz, now);
    // Releases repeat weekly: the next is within eight local dates (today's may be over).
    (0..8)
        .filter_map(|ahead| today.checked_add_days(Days::new(ahead)))
        .flat_map(|day| {
            releases
                .iter()
                .filter(move |release| release.days.contains(day.weekday()))
                .map(move |release| local_to_utc(tz, day, release.at))
        })
        .filter(|&instant| instant > now)
        .min()
}

/// One happening of a release: which release (its position in the list), the local date
/// it happens on, and its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseInstance {
    pub release: usize,
    pub date: NaiveDate,
    pub instant: DateTime<Utc>,
}

/// A happening of a draw release.
pub type DrawInstance = ReleaseInstance;

/// Every happening of a draw release in `releases` whose instant lies in `from..=to`,
/// by instant.
pub fn draw_instances(
    releases: &[Release],
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DrawInstance> {
    instances(releases, tz, (from, to), |r| r.draw.is_some())
}

/// Every happening of any release in `releases` whose instant lies in `from..=to`, by
/// instant.
pub fn release_instances(
    releases: &[Release],
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ReleaseInstance> {
    instances(releases, tz, (from, to), |_| true)
}

/// Every happening of a release with a waiting room whose instant lies in `from..=to`,
/// by instant.
pub fn room_instances(
    releases: &[Release],
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ReleaseInstance> {
    instances(releases, tz, (from, to), |r| r.room.is_some())
}

/// The happening of a release with a waiting room that covers `date` and whose room is
/// in force at `now` (from `opens_minutes` before its instant until `closes_minutes`
/// after): holding or booking `date` then needs that room's admission.
pub fn room_guarding(
    releases: &[Release],
    tz: Tz,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Option<ReleaseInstance> {
    releases.iter().enumerate().find_map(|(ix, release)| {
        let rules = release.room?;
        let instant = covering_instant(release, tz, date)?;
        let opens = instant - chrono::Duration::minutes(i64::from(rules.opens_minutes));
        let closes = instant + chrono::Duration::minutes(i64::from(rules.closes_minutes));
        (opens <= now && now < closes).then(|| ReleaseInstance {
            release: ix,
            date: local_date(tz, instant),
            instant,
        })
    })
}

fn instances(
    releases: &[Release],
    tz: Tz,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    pick: impl Fn(&Release) -> bool,
) -> Vec<ReleaseInstance> {
    if !releases.iter().any(&pick) || to < from {
        return Vec::new();
    }
    // Local dates can trail or lead UTC by under a day: look one day wider each side.
    let first = local_date(tz, from)
        .pred_opt()
        .unwrap_or(local_date(tz, from));
    let last = local_date(tz, to).succ_opt().unwrap_or(local_date(tz, to));
    let pick = &pick;
    let mut found: Vec<ReleaseInstance> = first
        .iter_days()
        .take_while(|day| *day <= last)
        .flat_map(|date| {
            releases
                .iter()
                .enumerate()
                .filter(move |(_, r)| pick(r) && r.days.contains(date.weekday()))
                .map(move |(release, r)| ReleaseInstance {
                    release,
                    date,
                    instant: local_to_utc(tz, date, r.at),
                })
        })
        .filter(|d| d.instant >= from && d.instant <= to)
        .collect();
    found.sort_by_key(|d| (d.instant, d.release));
    found
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Weekday};

    use super::*;
    use crate::domain::{WallTime, Weekdays};

    const MADRID: Tz = chrono_tz::Europe::Madrid;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
    }

    /// Mondays at `at`, opening D+14..D+20.
    fn weekly(at: &str) -> Release {
        Release {
            days: Weekdays::empty().with(Weekday::Mon),
            at: WallTime::parse(at).unwrap(),
            first: 14,
            last: 20,
            draw: None,
            room: None,
        }
    }

    #[test]
    fn a_waiting_room_guards_its_dates_from_its_opening_to_its_closing() {
        let mut release = weekly("09:00");
        release.room = Some(crate::domain::RoomRules::default());
        let releases = [release];
        // Monday 2027-03-01 09:00 CET = 08:00 UTC; the room is in force 07:45..09:00 UTC.
        let date = d(2027, 3, 16);
        let at = utc(2027, 3, 1, 8, 0);
        assert_eq!(
            room_guarding(&releases, MADRID, date, utc(2027, 3, 1, 7, 44)),
            None
        );
        let found = room_guarding(&releases, MADRID, date, utc(2027, 3, 1, 7, 45)).unwrap();
        assert_eq!((found.date, found.instant), (d(2027, 3, 1), at));
        assert!(room_guarding(&releases, MADRID, date, utc(2027, 3, 1, 8, 59)).is_some());
        assert_eq!(
            room_guarding(&releases, MADRID, date, utc(2027, 3, 1, 9, 0)),
            None
        );
        // A date of another week's release is not guarded by this one.
        assert_eq!(room_guarding(&releases, MADRID, d(2027, 3, 23), at), None);
        assert_eq!(
            room_instances(&releases, MADRID, at, at),
            vec![ReleaseInstance {
                release: 0,
                date: d(2027, 3, 1),
                instant: at
            }]
        );
        assert!(draw_instances(&releases, MADRID, at, at).is_empty());
    }

    #[test]
    fn a_weekly_release_opens_the_week_two_weeks_ahead_at_its_hour() {
        let releases = [weekly("09:00")];
        // Monday 2027-03-01, 09:00 CET = 08:00 UTC, opens 03-15..03-21.
        let before = utc(2027, 3, 1, 7, 59);
        let at = utc(2027, 3, 1, 8, 0);
        for date in [d(2027, 3, 15), d(2027, 3, 21)] {
            assert_eq!(
                opening(&releases, &[], MADRID, date, before),
                Opening::At(at)
            );
            assert_eq!(opening(&releases, &[], MADRID, date, at), Opening::Open);
        }
        // The week before was opened by the previous Monday's release.
        assert_eq!(
            opening(&releases, &[], MADRID, d(2027, 3, 14), before),
            Opening::Open
        );
        // The week after opens a week later.
        assert_eq!(
            opening(&releases, &[], MADRID, d(2027, 3, 22), at),
            Opening::At(utc(2027, 3, 8, 8, 0))
        );
        assert_eq!(next_release(&releases, MADRID, before), Some(at));
        assert_eq!(
            next_release(&releases, MADRID, at),
            Some(utc(2027, 3, 8, 8, 0))
        );
    }

    #[test]
    fn release_instants_follow_the_office_clock_across_dst() {
        let releases = [weekly("09:00")];
        // Summer time starts on Sunday 2027-03-28: the Monday after, 09:00 is 07:00 UTC.
        let monday = utc(2027, 3, 29, 7, 0);
        assert_eq!(
            opening(
                &releases,
                &[],
                MADRID,
                d(2027, 4, 12),
                utc(2027, 3, 29, 6, 59)
            ),
            Opening::At(monday)
        );
        assert_eq!(
            next_release(&releases, MADRID, utc(2027, 3, 27, 12, 0)),
            Some(monday)
        );
        // A release inside the spring gap (02:30 does not exist on 03-28) is read an
        // hour later, like every wall time: 03:30 CEST = 01:30 UTC.
        let sunday = [Release {
            days: Weekdays::empty().with(Weekday::Sun),
            at: WallTime::parse("02:30").unwrap(),
            first: 1,
            last: 1,
            draw: None,
            room: None,
        }];
        assert_eq!(
            opening(&sunday, &[], MADRID, d(2027, 3, 29), utc(2027, 3, 28, 0, 0)),
            Opening::At(utc(2027, 3, 28, 1, 30))
        );
        // In the autumn overlap (02:30 happens twice on 10-31) the first one counts.
        assert_eq!(
            opening(
                &sunday,
                &[],
                MADRID,
                d(2027, 11, 1),
                utc(2027, 10, 30, 12, 0)
            ),
            Opening::At(utc(2027, 10, 31, 0, 30))
        );
    }

    /// The rule as stated, one release day at a time (the function looks at one).
    fn brute_force(releases: &[Release], date: NaiveDate, now: DateTime<Utc>) -> Opening {
        let mut next = None::<DateTime<Utc>>;
        for release in releases {
            for after in release.first..=release.last {
                let day = date - chrono::Duration::days(i64::from(after));
                if release.days.contains(day.weekday()) {
                    let instant = local_to_utc(MADRID, day, release.at);
                    if instant <= now {
                        return Opening::Open;
                    }
                    next = Some(next.map_or(instant, |n| n.min(instant)));
                }
            }
        }
        next.map_or(Opening::Never, Opening::At)
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_rule_as_stated(
            mask in 1u8..128,
            minutes in 0u32..=1440,
            first in 0u32..40,
            width in 0u32..40,
            day in 0i64..730,
            offset_minutes in -100_000i64..100_000,
        ) {
            let days: Weekdays = (0..7)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| Weekday::try_from(i).unwrap())
                .collect();
            let at = WallTime::parse(&format!("{:02}:{:02}", minutes / 60, minutes % 60))
                .unwrap_or(WallTime::MIDNIGHT);
            let releases = [Release { days, at, first, last: first + width, draw: None, room: None }];
            // Dates across 2027 and 2028: both DST changes, a leap day.
            let date = d(2027, 1, 1) + chrono::Duration::days(day);
            let now = local_to_utc(MADRID, date, WallTime::MIDNIGHT)
                + chrono::Duration::minutes(offset_minutes);
            proptest::prop_assert_eq!(
                opening(&releases, &[], MADRID, date, now),
                brute_force(&releases, date, now)
            );
        }
    }

    #[test]
    fn dates_no_release_covers_never_open_and_no_releases_means_open() {
        let sparse = [Release {
            days: Weekdays::empty().with(Weekday::Mon),
            at: WallTime::parse("09:00").unwrap(),
            first: 14,
            last: 15,
            draw: None,
            room: None,
        }];
        // Mondays open D+14 (a Monday) and D+15 (a Tuesday): Wednesdays never.
        assert_eq!(
            opening(&sparse, &[], MADRID, d(2027, 3, 17), utc(2027, 3, 1, 12, 0)),
            Opening::Never
        );
        assert_eq!(
            opening(&[], &[], MADRID, d(2027, 3, 17), utc(2027, 3, 1, 12, 0)),
            Opening::Open
        );
        assert_eq!(next_release(&[], MADRID, utc(2027, 3, 1, 12, 0)), None);
    }

    #[test]
    fn a_draw_release_keeps_its_dates_closed_until_its_draw_has_run() {
        let mut release = weekly("09:00");
        release.draw = Some(crate::domain::DrawRules::default());
        let releases = [release];
        let at = utc(2027, 3, 1, 8, 0);
        let date = d(2027, 3, 16);
        assert_eq!(
            opening(&releases, &[], MADRID, date, utc(2027, 3, 1, 7, 0)),
            Opening::Draw(at)
        );
        // Passed and not drawn yet: still the draw's.
        assert_eq!(
            opening(&releases, &[at], MADRID, date, utc(2027, 3, 1, 8, 30)),
            Opening::Draw(at)
        );
        // Drawn: what is left goes first come.
        assert_eq!(
            opening(&releases, &[], MADRID, date, utc(2027, 3, 1, 8, 30)),
            Opening::Open
        );
        // A pending draw of another instant does not close this date.
        assert_eq!(
            opening(
                &releases,
                &[utc(2027, 3, 8, 8, 0)],
                MADRID,
                date,
                utc(2027, 3, 8, 8, 30)
            ),
            Opening::Open
        );
    }

    #[test]
    fn draw_instances_are_listed_by_instant_on_the_office_clock() {
        let mut draw = weekly("09:00");
        draw.draw = Some(crate::domain::DrawRules::default());
        let releases = [weekly("10:00"), draw];
        // Two Mondays, the second after summer time starts (09:00 CEST = 07:00 UTC).
        let found = draw_instances(
            &releases,
            MADRID,
            utc(2027, 3, 22, 0, 0),
            utc(2027, 3, 29, 23, 0),
        );
        assert_eq!(
            found,
            vec![
                DrawInstance {
                    release: 1,
                    date: d(2027, 3, 22),
                    instant: utc(2027, 3, 22, 8, 0)
                },
                DrawInstance {
                    release: 1,
                    date: d(2027, 3, 29),
                    instant: utc(2027, 3, 29, 7, 0)
                },
            ]
        );
        // The bounds are inclusive; nothing without a draw release.
        assert_eq!(
            draw_instances(
                &releases,
                MADRID,
                utc(2027, 3, 22, 8, 0),
                utc(2027, 3, 22, 8, 0)
            )
            .len(),
            1
        );
        assert!(
            draw_instances(
                &releases[..1],
                MADRID,
                utc(2027, 3, 1, 0, 0),
                utc(2027, 4, 1, 0, 0)
            )
            .is_empty()
        );
    }
}
