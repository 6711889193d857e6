//! Opening-hours vocabulary in local wall-clock terms. The rules that evaluate them live in
//! `calendar`; these are plain values parsed from configuration.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

/// A local wall-clock time as minutes after midnight, `0..=1440`.
///
/// `1440` ("24:00") is allowed as a closing time so an interval can run to midnight
/// without a `23:59` sentinel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime(u16);

impl WallTime {
    pub const MIDNIGHT: WallTime = WallTime(0);
    pub const END_OF_DAY: WallTime = WallTime(24 * 60);

    /// `None` unless `hour:minute` is a valid time of day or exactly 24:00.
    pub fn from_hm(hour: u32, minute: u32) -> Option<Self> {
        if minute >= 60 || hour > 24 || (hour == 24 && minute != 0) {
            return None;
        }
        u16::try_from(hour * 60 + minute).ok().map(WallTime)
    }

    /// Parses `HH:MM` (24-hour clock, `24:00` allowed).
    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::from_hm(h.parse().ok()?, m.parse().ok()?)
    }

    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A set of weekdays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0x7f);

    pub fn empty() -> Self {
        Weekdays(0)
    }

    pub fn with(self, day: Weekday) -> Self {
        Weekdays(self.0 | (1 << day.num_days_from_monday()))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses the configuration spelling: `mon`, `tue`, ... `sun` (case-insensitive).
    pub fn parse_day(text: &str) -> Option<Weekday> {
        match text.to_ascii_lowercase().as_str() {
            "mon" => Some(Weekday::Mon),
            "tue" => Some(Weekday::Tue),
            "wed" => Some(Weekday::Wed),
            "thu" => Some(Weekday::Thu),
            "fri" => Some(Weekday::Fri),
            "sat" => Some(Weekday::Sat),
            "sun" => Some(Weekday::Sun),
            _ => None,
        }
    }
}

impl FromIterator<Weekday> for Weekdays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(iter: I) -> Self {
        iter.into_iter().fold(Weekdays::empty(), Weekdays::with)
    }
}

/// A day of the year without a year (`MM-DD`), for seasons. `02-29` is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// `None` unless the day exists in some year (so `02-29` is valid, `02-30` is not).
    pub fn new(month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(2024, month, day).map(|_| MonthDay { month, day })
    }

    /// Parses `MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let (m, d) = text.split_once('-')?;
        if m.len() != 2 || d.len() != 2 || !m.bytes().chain(d.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(m.parse().ok()?, d.parse().ok()?)
    }

    pub fn of(date: NaiveDate) -> Self {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// An inclusive range of days of the year; `from > to` wraps the year end (`12-15`..`01-15`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Season {
    pub from: MonthDay,
    pub to: MonthDay,
}

impl Season {
    pub fn covers(&self, date: NaiveDate) -> bool {
        let day = MonthDay::of(date);
        if self.from <= self.to {
            self.from <= day && day <= self.to
        } else {
            day >= self.from || day <= self.to
        }
    }
}

/// One opening rule: on `days`, open `[open, close)` local time, optionally only in `season`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpeningRule {
    pub days: Weekdays,
    pub open: WallTime,
    pub close: WallTime,
    pub season: Option<Season>,
}

/// What a date exception does to that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExceptionHours {
    Closed,
    Open { open: WallTime, close: WallTime },
}

/// Replaces the regular rules on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateException {
    pub date: NaiveDate,
    pub hours: ExceptionHours,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_time_parses_strict_hh_mm() {
        assert_eq!(WallTime::parse("09:30").map(WallTime::minutes), Some(570));
        assert_eq!(WallTime::parse("24:00"), Some(WallTime::END_OF_DAY));
        for bad in [
            "9:30", "24:01", "12:60", "aa:bb", "0930", "", "12:3", "+1:00",
        ] {
            assert_eq!(WallTime::parse(bad), None, "{bad}");
        }
        assert_eq!(
            WallTime::parse("07:05").map(|t| t.to_string()).as_deref(),
            Some("07:05")
        );
    }

    #[test]
    fn month_day_accepts_leap_day_only_where_it_exists() {
        assert!(MonthDay::parse("02-29").is_some());
        assert!(MonthDay::parse("02-30").is_none());
        assert!(MonthDay::parse("13-01").is_none());
        assert!(MonthDay::parse("7-01").is_none());
    }

    #[test]
    fn season_wraps_year_end() {
        let winter = Season {
            from: MonthDay::new(12, 15).unwrap(),
            to: MonthDay::new(1, 15).unwrap(),
        };
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(winter.covers(d(2026, 12, 31)));
        assert!(winter.covers(d(2027, 1, 1)));
        assert!(winter.covers(d(2027, 1, 15)));
        assert!(!winter.covers(d(2027, 1, 16)));
        assert!(!winter.covers(d(2026, 12, 14)));
    }

    #[test]
    fn weekdays_set() {
        let days: Weekdays = [Weekday::Mon, Weekday::Fri].into_iter().collect();
        assert!(days.contains(Weekday::Mon) && days.contains(Weekday::Fri));
        assert!(!days.contains(Weekday::Sun));
        assert_eq!(Weekdays::parse_day("SAT"), Some(Weekday::Sat));
        assert_eq!(Weekdays::parse_day("saturday"), None);
    }
}
