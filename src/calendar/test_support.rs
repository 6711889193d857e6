//! Small builders for calendar tests: offices, desks and rules from short literals.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use super::Interval;
use crate::domain::{
    DateException, Desk, ExceptionHours, MonthDay, Office, OpeningRule, Season, WallTime, Weekdays,
};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn wall(text: &str) -> WallTime {
    WallTime::parse(text).unwrap()
}

/// `"mon-fri"`, `"sat"`, `"all"` or a space-separated list (`"mon wed"`).
pub fn days(spec: &str) -> Weekdays {
    use Weekday::*;
    match spec {
        "all" => Weekdays::ALL,
        "mon-fri" => [Mon, Tue, Wed, Thu, Fri].into_iter().collect(),
        list => list
            .split_whitespace()
            .map(|d| Weekdays::parse_day(d).unwrap())
            .collect(),
    }
}

pub fn rule(day_spec: &str, open: &str, close: &str) -> OpeningRule {
    OpeningRule {
        days: days(day_spec),
        open: wall(open),
        close: wall(close),
        season: None,
    }
}

/// A rule only for the season `from..=to` (`MM-DD`).
pub fn seasonal(day_spec: &str, open: &str, close: &str, from: &str, to: &str) -> OpeningRule {
    OpeningRule {
        season: Some(Season {
            from: MonthDay::parse(from).unwrap(),
            to: MonthDay::parse(to).unwrap(),
        }),
        ..rule(day_spec, open, close)
    }
}

pub fn iv(open: &str, close: &str) -> Interval<WallTime> {
    Interval::new(wall(open), wall(close)).unwrap()
}

pub fn office(tz: Tz, hours: Vec<OpeningRule>) -> Office {
    Office {
        id: "test-office".into(),
        name: "Test office".into(),
        timezone: tz,
        address: "Calle Prueba 1".into(),
        municipality: None,
        province: None,
        holiday_calendars: Vec::new(),
        holidays: BTreeSet::new(),
        closed_dates: BTreeSet::new(),
        hours,
        exceptions: Vec::new(),
        services: Vec::new(),
        desks: Vec::new(),
    }
}

pub fn inheriting_desk() -> Desk {
    Desk {
        id: "puesto-1".into(),
        services: BTreeSet::new(),
        hours: None,
    }
}

pub fn desk_with_hours(hours: Vec<OpeningRule>) -> Desk {
    Desk {
        id: "puesto-2".into(),
        services: BTreeSet::new(),
        hours: Some(hours),
    }
}

pub fn closed_on(date: NaiveDate) -> DateException {
    DateException {
        date,
        hours: ExceptionHours::Closed,
    }
}

pub fn open_on(date: NaiveDate, open: &str, close: &str) -> DateException {
    DateException {
        date,
        hours: ExceptionHours::Open {
            open: wall(open),
            close: wall(close),
        },
    }
}
