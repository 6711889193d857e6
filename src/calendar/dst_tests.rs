//! DST tests for `Europe/Madrid` and `Atlantic/Canary` across both yearly transitions of
//! 2026 and 2027, plus a property test of `local_to_utc` over 2026–2028.
//!
//! Both zones change at 01:00 UTC on the last Sunday of March and October: Madrid from
//! 02:00 CET to 03:00 CEST and back from 03:00 CEST to 02:00 CET; the Canaries from 01:00
//! WET to 02:00 WEST and back from 02:00 WEST to 01:00 WET.

use chrono::{
    DateTime, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Atlantic::Canary;
use chrono_tz::Australia::Lord_Howe;
use chrono_tz::Europe::Madrid;
use chrono_tz::Tz;
use proptest::prelude::*;

use super::test_support::*;
use super::{Interval, desk_open_intervals, local_date, local_to_utc};
use crate::domain::WallTime;

const SPRING: [(i32, u32, u32); 2] = [(2026, 3, 29), (2027, 3, 28)];
const AUTUMN: [(i32, u32, u32); 2] = [(2026, 10, 25), (2027, 10, 31)];

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn at(tz: Tz, day: NaiveDate, time: &str) -> DateTime<Utc> {
    local_to_utc(tz, day, wall(time))
}

/// UTC offset in hours in force at `instant`.
fn offset_hours(tz: Tz, instant: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&instant.naive_utc())
        .fix()
        .local_minus_utc()
        / 3600
}

fn hours(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_minutes() / 60
}

fn open_all_day(tz: Tz, open: &str, close: &str) -> crate::domain::Office {
    office(tz, vec![rule("all", open, close)])
}

fn real_open(tz: Tz, day: NaiveDate, open: &str, close: &str) -> Vec<Interval<DateTime<Utc>>> {
    desk_open_intervals(&open_all_day(tz, open, close), &inheriting_desk(), day)
}

fn total_minutes(intervals: &[Interval<DateTime<Utc>>]) -> i64 {
    intervals
        .iter()
        .map(|i| (i.end - i.start).num_minutes())
        .sum()
}

/// The transition day and the days before and after it.
fn around(y: i32, m: u32, d: u32) -> [NaiveDate; 3] {
    let day = date(y, m, d);
    [day.pred_opt().unwrap(), day, day.succ_opt().unwrap()]
}

#[test]
fn transition_dates_are_the_ones_the_tests_assume() {
    for tz in [Madrid, Canary] {
        for (y, m, d) in SPRING.into_iter().chain(AUTUMN) {
            let [before, day, after] = around(y, m, d);
            let noon = |day: NaiveDate| at(tz, day, "12:00");
            assert_ne!(offset_hours(tz, noon(before)), offset_hours(tz, noon(day)));
            assert_eq!(offset_hours(tz, noon(day)), offset_hours(tz, noon(after)));
        }
    }
}

#[test]
fn every_interval_end_has_the_right_offset_around_each_transition() {
    // (zone, winter offset, summer offset)
    for (tz, winter, summer) in [(Madrid, 1, 2), (Canary, 0, 1)] {
        let o = office(
            tz,
            vec![rule("all", "09:00", "14:00"), rule("all", "16:00", "24:00")],
        );
        for (transitions, before_offset, after_offset) in
            [(SPRING, winter, summer), (AUTUMN, summer, winter)]
        {
            for (y, m, d) in transitions {
                let [before, day, after] = around(y, m, d);
                for (local_day, expected) in [
                    (before, before_offset),
                    (day, after_offset),
                    (after, after_offset),
                ] {
                    let open = desk_open_intervals(&o, &inheriting_desk(), local_day);
                    let ends: Vec<_> = open.iter().flat_map(|i| [i.start, i.end]).collect();
                    assert_eq!(ends.len(), 4, "{tz} {local_day}");
                    for end in &ends {
                        assert_eq!(offset_hours(tz, *end), expected, "{tz} {local_day} {end}");
                    }
                    // Each end reads back as the configured wall time on its own date.
                    let back: Vec<_> = ends
                        .iter()
                        .map(|e| e.with_timezone(&tz).naive_local())
                        .collect();
                    let next = local_day.succ_opt().unwrap();
                    assert_eq!(
                        back,
                        vec![
                            local_day.and_hms_opt(9, 0, 0).unwrap(),
                            local_day.and_hms_opt(14, 0, 0).unwrap(),
                            local_day.and_hms_opt(16, 0, 0).unwrap(),
                            next.and_hms_opt(0, 0, 0).unwrap(),
                        ],
                        "{tz} {local_day}"
                    );
                }
            }
        }
    }
}

#[test]
fn known_instants_around_the_2026_transitions() {
    // Madrid: 09:00 is 08:00Z in winter, 07:00Z in summer.
    assert_eq!(
        at(Madrid, date(2026, 3, 28), "09:00"),
        utc(2026, 3, 28, 8, 0)
    );
    assert_eq!(
        at(Madrid, date(2026, 3, 29), "09:00"),
        utc(2026, 3, 29, 7, 0)
    );
    assert_eq!(
        at(Madrid, date(2026, 10, 24), "09:00"),
        utc(2026, 10, 24, 7, 0)
    );
    assert_eq!(
        at(Madrid, date(2026, 10, 25), "09:00"),
        utc(2026, 10, 25, 8, 0)
    );
    // Canary: one hour behind Madrid all year.
    assert_eq!(
        at(Canary, date(2026, 3, 28), "09:00"),
        utc(2026, 3, 28, 9, 0)
    );
    assert_eq!(
        at(Canary, date(2026, 3, 29), "09:00"),
        utc(2026, 3, 29, 8, 0)
    );
    assert_eq!(
        at(Canary, date(2026, 10, 24), "09:00"),
        utc(2026, 10, 24, 8, 0)
    );
    assert_eq!(
        at(Canary, date(2026, 10, 25), "09:00"),
        utc(2026, 10, 25, 9, 0)
    );
    // The same via chrono-tz's own unambiguous construction.
    assert_eq!(
        at(Madrid, date(2027, 3, 28), "09:00"),
        Madrid.with_ymd_and_hms(2027, 3, 28, 9, 0, 0).unwrap()
    );
    assert_eq!(
        at(Canary, date(2027, 10, 31), "09:00"),
        Canary.with_ymd_and_hms(2027, 10, 31, 9, 0, 0).unwrap()
    );
}

#[test]
fn an_interval_spanning_the_spring_gap_is_shorter_by_the_gap() {
    for (y, m, d) in SPRING {
        let [before, day, after] = around(y, m, d);
        for tz in [Madrid, Canary] {
            assert_eq!(
                total_minutes(&real_open(tz, before, "00:00", "06:00")),
                6 * 60
            );
            assert_eq!(total_minutes(&real_open(tz, day, "00:00", "06:00")), 5 * 60);
            assert_eq!(
                total_minutes(&real_open(tz, after, "00:00", "06:00")),
                6 * 60
            );
        }
    }
    // Exact instants, 2026: Madrid 00:00 CET .. 06:00 CEST; Canary 00:00 WET .. 06:00 WEST.
    let day = date(2026, 3, 29);
    assert_eq!(
        real_open(Madrid, day, "00:00", "06:00"),
        vec![Interval::new(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 4, 0)).unwrap()]
    );
    assert_eq!(
        real_open(Canary, day, "00:00", "06:00"),
        vec![Interval::new(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 5, 0)).unwrap()]
    );
}

#[test]
fn the_autumn_night_open_01_to_05_has_five_real_hours() {
    for (y, m, d) in AUTUMN {
        let [before, day, after] = around(y, m, d);
        // Madrid: 01:00 CEST .. 05:00 CET spans the repeated 02:00–03:00.
        assert_eq!(
            total_minutes(&real_open(Madrid, day, "01:00", "05:00")),
            5 * 60
        );
        assert_eq!(
            total_minutes(&real_open(Madrid, before, "01:00", "05:00")),
            4 * 60
        );
        assert_eq!(
            total_minutes(&real_open(Madrid, after, "01:00", "05:00")),
            4 * 60
        );
        // Canary: the repeated hour is 01:00–02:00, so 00:00–04:00 spans it fully, and
        // 01:00–05:00 starts at its first occurrence (the earlier instant).
        for (open, close) in [("00:00", "04:00"), ("01:00", "05:00")] {
            assert_eq!(total_minutes(&real_open(Canary, day, open, close)), 5 * 60);
            assert_eq!(
                total_minutes(&real_open(Canary, before, open, close)),
                4 * 60
            );
            assert_eq!(
                total_minutes(&real_open(Canary, after, open, close)),
                4 * 60
            );
        }
    }
    let day = date(2026, 10, 25);
    assert_eq!(
        real_open(Madrid, day, "01:00", "05:00"),
        vec![Interval::new(utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 4, 0)).unwrap()]
    );
    assert_eq!(
        real_open(Canary, day, "01:00", "05:00"),
        vec![Interval::new(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 5, 0)).unwrap()]
    );
}

#[test]
fn the_spring_night_in_the_canaries_loses_the_hour_after_01_00() {
    // Canary's gap is 01:00–02:00 local: an office open 01:00–05:00 has three real hours.
    for (y, m, d) in SPRING {
        let day = date(y, m, d);
        assert_eq!(
            total_minutes(&real_open(Canary, day, "01:00", "05:00")),
            3 * 60
        );
        // Madrid's gap is 02:00–03:00.
        assert_eq!(
            total_minutes(&real_open(Madrid, day, "01:00", "05:00")),
            3 * 60
        );
        assert_eq!(
            total_minutes(&real_open(Madrid, day, "00:00", "02:00")),
            2 * 60
        );
        assert_eq!(total_minutes(&real_open(Canary, day, "00:00", "02:00")), 60);
    }
}

#[test]
fn a_wall_time_inside_the_gap_is_shifted_forward_by_the_gap() {
    for (y, m, d) in SPRING {
        let day = date(y, m, d);
        // Madrid 02:30 does not exist: it is 03:30 CEST.
        assert!(matches!(
            Madrid.with_ymd_and_hms(y, m, d, 2, 30, 0),
            MappedLocalTime::None
        ));
        assert_eq!(
            at(Madrid, day, "02:30"),
            Madrid.with_ymd_and_hms(y, m, d, 3, 30, 0).unwrap()
        );
        assert_eq!(
            at(Madrid, day, "02:00"),
            Madrid.with_ymd_and_hms(y, m, d, 3, 0, 0).unwrap()
        );
        // Canary 01:30 does not exist: it is 02:30 WEST.
        assert_eq!(
            at(Canary, day, "01:30"),
            Canary.with_ymd_and_hms(y, m, d, 2, 30, 0).unwrap()
        );
        assert_eq!(offset_hours(Canary, at(Canary, day, "01:30")), 1);
    }
    // The example of DESIGN §3: 02:30 on the Madrid spring-forward day = 01:30 UTC.
    assert_eq!(
        at(Madrid, date(2026, 3, 29), "02:30"),
        utc(2026, 3, 29, 1, 30)
    );
    assert_eq!(
        at(Canary, date(2026, 3, 29), "01:30"),
        utc(2026, 3, 29, 1, 30)
    );
}

#[test]
fn the_gap_length_comes_from_the_zone_not_an_assumed_hour() {
    // Lord Howe Island moves its clocks by 30 minutes: 02:00 -> 02:30 on 2026-10-04.
    let day = date(2026, 10, 4);
    assert!(matches!(
        Lord_Howe.with_ymd_and_hms(2026, 10, 4, 2, 15, 0),
        MappedLocalTime::None
    ));
    assert_eq!(
        at(Lord_Howe, day, "02:15"),
        Lord_Howe.with_ymd_and_hms(2026, 10, 4, 2, 45, 0).unwrap()
    );
    assert_eq!(
        total_minutes(&real_open(Lord_Howe, day, "01:00", "04:00")),
        150
    );
}

#[test]
fn an_ambiguous_wall_time_takes_the_earlier_instant() {
    for (y, m, d) in AUTUMN {
        let day = date(y, m, d);
        let MappedLocalTime::Ambiguous(first, second) = Madrid.with_ymd_and_hms(y, m, d, 2, 30, 0)
        else {
            panic!("02:30 should be ambiguous in Madrid on {day}");
        };
        assert!(first < second);
        assert_eq!(at(Madrid, day, "02:30"), first);
        assert_eq!(offset_hours(Madrid, at(Madrid, day, "02:30")), 2);
        let MappedLocalTime::Ambiguous(first, _) = Canary.with_ymd_and_hms(y, m, d, 1, 30, 0)
        else {
            panic!("01:30 should be ambiguous in the Canaries on {day}");
        };
        assert_eq!(at(Canary, day, "01:30"), first);
        assert_eq!(offset_hours(Canary, at(Canary, day, "01:30")), 1);
    }
    assert_eq!(
        at(Madrid, date(2026, 10, 25), "02:30"),
        utc(2026, 10, 25, 0, 30)
    );
    assert_eq!(
        at(Canary, date(2026, 10, 25), "01:30"),
        utc(2026, 10, 25, 0, 30)
    );
}

#[test]
fn days_around_the_transitions_are_24_23_and_25_hours_long() {
    for tz in [Madrid, Canary] {
        for (transitions, transition_day_hours) in [(SPRING, 23), (AUTUMN, 25)] {
            for (y, m, d) in transitions {
                let [before, day, after] = around(y, m, d);
                let whole = |d| real_open(tz, d, "00:00", "24:00");
                assert_eq!(total_minutes(&whole(before)), 24 * 60, "{tz} {before}");
                assert_eq!(
                    total_minutes(&whole(day)),
                    transition_day_hours * 60,
                    "{tz} {day}"
                );
                assert_eq!(total_minutes(&whole(after)), 24 * 60, "{tz} {after}");
                // Consecutive days meet exactly: 24:00 of one is 00:00 of the next.
                assert_eq!(whole(before)[0].end, whole(day)[0].start);
                assert_eq!(whole(day)[0].end, whole(after)[0].start);
                // 09:00 to 09:00 across the transition night, and the night after.
                let nine = |d| at(tz, d, "09:00");
                assert_eq!(hours(nine(before), nine(day)), transition_day_hours, "{tz}");
                assert_eq!(hours(nine(day), nine(after)), 24, "{tz}");
            }
        }
    }
}

#[test]
fn twenty_four_hundred_is_the_next_dates_midnight() {
    for tz in [Madrid, Canary] {
        for (y, m, d) in SPRING.into_iter().chain(AUTUMN) {
            for day in around(y, m, d) {
                let next = day.succ_opt().unwrap();
                assert_eq!(
                    local_to_utc(tz, day, WallTime::END_OF_DAY),
                    local_to_utc(tz, next, WallTime::MIDNIGHT)
                );
            }
        }
    }
    assert_eq!(
        at(Madrid, date(2026, 12, 31), "24:00"),
        utc(2026, 12, 31, 23, 0)
    );
}

#[test]
fn local_date_follows_the_office_zone() {
    // 23:30Z on 2026-03-28 is 00:30 CET on the 29th in Madrid, 23:30 WET on the 28th in
    // the Canaries.
    let instant = utc(2026, 3, 28, 23, 30);
    assert_eq!(local_date(Madrid, instant), date(2026, 3, 29));
    assert_eq!(local_date(Canary, instant), date(2026, 3, 28));
    // 22:30Z on 2026-10-24 is 00:30 CEST on the 25th in Madrid.
    assert_eq!(
        local_date(Madrid, utc(2026, 10, 24, 22, 30)),
        date(2026, 10, 25)
    );
    assert_eq!(
        local_date(Madrid, utc(2026, 10, 24, 21, 59)),
        date(2026, 10, 24)
    );
    // Both ends of a whole local day are on their own dates.
    for tz in [Madrid, Canary] {
        for (y, m, d) in SPRING.into_iter().chain(AUTUMN) {
            for day in around(y, m, d) {
                let open = real_open(tz, day, "00:00", "24:00");
                assert_eq!(local_date(tz, open[0].start), day);
                assert_eq!(local_date(tz, open[0].end - TimeDelta::seconds(1)), day);
                assert_eq!(local_date(tz, open[0].end), day.succ_opt().unwrap());
            }
        }
    }
}

#[test]
fn representable_limits_do_not_panic() {
    for tz in [Madrid, Canary, Lord_Howe] {
        for day in [NaiveDate::MIN, NaiveDate::MAX] {
            for time in [WallTime::MIDNIGHT, WallTime::END_OF_DAY] {
                let _ = local_to_utc(tz, day, time);
            }
        }
        let _ = local_date(tz, DateTime::<Utc>::MIN_UTC);
        let _ = local_date(tz, DateTime::<Utc>::MAX_UTC);
    }
}

/// The end of a spring gap is where the RFC 5545 rule is not monotone: the last gap minute
/// is shifted past the first real minute after the gap. Recorded so nobody "fixes" one
/// without the other.
#[test]
fn the_gap_rule_is_not_monotone_across_the_end_of_the_gap() {
    let day = date(2026, 3, 29);
    assert!(at(Madrid, day, "02:59") > at(Madrid, day, "03:00"));
    assert_eq!(at(Madrid, day, "02:00"), at(Madrid, day, "03:00"));
    // An interval that starts in the gap is measured from the shifted start...
    assert_eq!(total_minutes(&real_open(Madrid, day, "02:30", "04:00")), 30);
    // ...and one that the shift empties is dropped rather than inverted.
    assert_eq!(real_open(Madrid, day, "02:30", "03:15"), vec![]);
    // Two local intervals the shift makes overlap come out merged, sorted and disjoint.
    let o = office(
        Madrid,
        vec![rule("all", "01:00", "02:30"), rule("all", "03:00", "05:00")],
    );
    assert_eq!(
        desk_open_intervals(&o, &inheriting_desk(), day),
        vec![Interval::new(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 3, 0)).unwrap()]
    );
}

// ---- property test -------------------------------------------------------------------

const ZONES: [Tz; 4] = [
    Madrid,
    Canary,
    Lord_Howe,
    // Chile changes its clocks at midnight, so 00:00 itself can fall in the gap.
    chrono_tz::America::Santiago,
];

/// Dates in 2026–2028 whose UTC offset changes some time during the day.
fn transition_days(tz: Tz) -> Vec<NaiveDate> {
    date(2026, 1, 1)
        .iter_days()
        .take_while(|d| *d <= date(2028, 12, 31))
        .filter(|d| {
            let offset = |naive: NaiveDateTime| tz.offset_from_utc_datetime(&naive).fix();
            let midnight = d.and_hms_opt(0, 0, 0).unwrap();
            offset(midnight - TimeDelta::hours(15)) != offset(midnight + TimeDelta::hours(39))
        })
        .collect()
}

fn local_naive(tz: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

proptest! {
    /// For every minute of a random date (biased towards transition days):
    /// an existing wall time round-trips; an ambiguous one is the earlier instant; a
    /// missing one lands the gap's length later in wall time; and each minute's instant is
    /// later than the previous minute's whenever the previous minute exists.
    #[test]
    fn local_to_utc_round_trips_and_is_monotone(
        zone in 0..ZONES.len(),
        transition in any::<bool>(),
        pick in 0..1096usize,
        shift in -1i64..=1,
    ) {
        let tz = ZONES[zone];
        let day = if transition {
            let days = transition_days(tz);
            prop_assume!(!days.is_empty());
            days[pick % days.len()] + TimeDelta::days(shift)
        } else {
            date(2026, 1, 1) + TimeDelta::days(i64::try_from(pick).unwrap())
        };
        let mut previous: Option<(DateTime<Utc>, bool)> = None;
        for minute in 0..=1440u32 {
            let time = WallTime::from_hm(minute / 60, minute % 60).unwrap();
            let instant = local_to_utc(tz, day, time);
            let naive = day.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(minute.into());
            let exists = match tz.from_local_datetime(&naive) {
                MappedLocalTime::Single(only) => {
                    prop_assert_eq!(instant, only.to_utc());
                    true
                }
                MappedLocalTime::Ambiguous(first, second) => {
                    prop_assert_eq!(instant, first.to_utc().min(second.to_utc()));
                    true
                }
                MappedLocalTime::None => {
                    // Offset before the gap, read a day earlier (no zone changes twice a day).
                    let before = tz
                        .offset_from_utc_datetime(&(naive - TimeDelta::days(1)))
                        .fix()
                        .local_minus_utc();
                    let after = tz
                        .offset_from_utc_datetime(&instant.naive_utc())
                        .fix()
                        .local_minus_utc();
                    prop_assert!(after > before);
                    prop_assert_eq!(
                        local_naive(tz, instant),
                        naive + TimeDelta::seconds((after - before).into())
                    );
                    false
                }
            };
            if exists {
                prop_assert_eq!(local_naive(tz, instant), naive);
            }
            if let Some((earlier, earlier_exists)) = previous
                && earlier_exists
            {
                prop_assert!(instant > earlier, "{} {} {}", tz, day, time);
            }
            previous = Some((instant, exists));
        }
        prop_assert_eq!(
            local_to_utc(tz, day, WallTime::END_OF_DAY),
            local_to_utc(tz, day + TimeDelta::days(1), WallTime::MIDNIGHT)
        );
    }
}
