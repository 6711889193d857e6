//! The sample configuration and holiday files under `demo/` (the bundled demo configuration) load as expected.

// Tests may unwrap (clippy.toml allows it inside #[test]; this covers the helpers too).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use cita::config::Config;
use cita::domain::{HolidayCalendarId, OfficeId};
use cita::ical::holiday_dates_from_ics;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(name)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The nationwide public holidays of `year` (Good Friday moves: 3 April 2026, 26 March
/// 2027), as the demo calendar gives them: fixed holidays repeat yearly.
fn national(year: i32) -> BTreeSet<NaiveDate> {
    let good_friday = if year == 2026 {
        d(2026, 4, 3)
    } else {
        d(2027, 3, 26)
    };
    [
        (1, 1),
        (1, 6),
        (5, 1),
        (8, 15),
        (10, 12),
        (11, 1),
        (12, 6),
        (12, 8),
        (12, 25),
    ]
    .into_iter()
    .map(|(m, day)| d(year, m, day))
    .chain([good_friday])
    .collect()
}

/// `dates` within `year`.
fn of_year(dates: &BTreeSet<NaiveDate>, year: i32) -> BTreeSet<NaiveDate> {
    dates
        .iter()
        .copied()
        .filter(|date| date.year() == year)
        .collect()
}

/// The nationwide public holidays of 2027 (Easter Sunday is 28 March).
fn national_2027() -> BTreeSet<NaiveDate> {
    BTreeSet::from([
        d(2027, 1, 1),
        d(2027, 1, 6),
        d(2027, 3, 26),
        d(2027, 5, 1),
        d(2027, 8, 15),
        d(2027, 10, 12),
        d(2027, 11, 1),
        d(2027, 12, 6),
        d(2027, 12, 8),
        d(2027, 12, 25),
    ])
}

#[test]
fn spanish_holiday_fixture_has_the_2026_and_2027_national_holidays() {
    let text = std::fs::read_to_string(fixture("es-holidays.ics")).unwrap();
    assert!(
        text.contains("\r\n "),
        "the fixture exercises folded CRLF lines"
    );
    let dates = holiday_dates_from_ics(&text).unwrap();
    assert_eq!(national(2027), national_2027());
    assert_eq!(of_year(&dates, 2026), national(2026));
    assert_eq!(of_year(&dates, 2027), national_2027());
    // 8 and 25 December of this year are holidays, not open days.
    assert!(dates.contains(&d(2026, 12, 8)) && dates.contains(&d(2026, 12, 25)));
}

#[test]
fn sample_offices_load() {
    let config = Config::load(&fixture("offices.toml")).unwrap();
    assert_eq!(config.booking.hold_ttl_seconds, 300);
    assert_eq!(config.limits.browse.per_minute, 120);
    assert_eq!(config.limits.max_in_flight, 1024);

    let national_calendar = config
        .holiday_calendars
        .iter()
        .find(|c| c.id == HolidayCalendarId::new("es-national"))
        .unwrap();
    assert_eq!(of_year(&national_calendar.dates, 2027), national_2027());
    assert_eq!(of_year(&national_calendar.dates, 2026), national(2026));

    let ids: Vec<&str> = config.offices.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "madrid-extranjeria",
            "barcelona-extranjeria",
            "las-palmas-dni"
        ]
    );
    let madrid = &config.offices[0];
    assert_eq!(madrid.id, OfficeId::new("madrid-extranjeria"));
    assert_eq!(madrid.timezone, chrono_tz::Europe::Madrid);
    assert!(madrid.holidays.is_superset(&national_2027()));
    assert!(madrid.holidays.contains(&d(2027, 5, 15)));
    assert_eq!(madrid.hours.len(), 3);
    assert_eq!(madrid.exceptions.len(), 2);
    assert_eq!(madrid.desks.len(), 3);
    assert!(madrid.desks[2].hours.is_some());

    let las_palmas = &config.offices[2];
    assert_eq!(las_palmas.timezone, chrono_tz::Atlantic::Canary);
    assert_eq!(las_palmas.services[0].max_advance_days, 90);
}
