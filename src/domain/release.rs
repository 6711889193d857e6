//! Scheduled releases: instead of a rolling window that opens a new day at midnight (when
//! only bots are awake), a procedure's appointments can be released at a set time, all at
//! once, for everyone (`[[office.release]]`).

use super::hours::{WallTime, Weekdays};

/// On each of `days`, at `at` (the office's wall time), the dates `first..=last` days
/// after that day become bookable. Weekly on Monday at 09:00 with `D+14..D+20` releases
/// the week starting two weeks later, so every date is released exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub days: Weekdays,
    pub at: WallTime,
    /// Days after the release day, inclusive: `D+14..D+20` is 14..=20.
    pub first: u32,
    pub last: u32,
    /// Given out by a draw among those who entered beforehand rather than first come,
    /// first served; `None`: first come.
    pub draw: Option<DrawRules>,
    /// A waiting room in front of a first-come release; `None`: none.
    pub room: Option<RoomRules>,
}

/// A waiting room: whoever arrives in the minutes before a first-come release gets a
/// random place in line (arriving first gains nothing), those arriving later go behind
/// them in arrival order, and the line is let in at a set rate. While the room is in
/// force, holding or booking the release's dates needs the admission it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomRules {
    /// The room opens this many minutes before the release instant…
    pub opens_minutes: u32,
    /// …lets in this many places in line a minute from the instant…
    pub admit_per_minute: u32,
    /// …and is in force until this many minutes after it.
    pub closes_minutes: u32,
}

impl Default for RoomRules {
    fn default() -> Self {
        RoomRules {
            opens_minutes: 15,
            admit_per_minute: 60,
            closes_minutes: 60,
        }
    }
}

/// How a release's draw takes entries. At the release instant the entries are put in a
/// random order from a seed committed to when entries opened, and each in turn gets the
/// earliest time that fits its wishes; what is left then goes first come, first served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawRules {
    /// Entries open this many hours before the release instant…
    pub entries_open_hours: u32,
    /// …and close this many minutes before it (time to publish the list of entries).
    pub entries_close_minutes: u32,
    /// Whether a document that entered the previous draw of the procedure and got
    /// nothing goes ahead of the others in the next one.
    pub priority_to_unlucky: bool,
}

impl Default for DrawRules {
    fn default() -> Self {
        DrawRules {
            entries_open_hours: 48,
            entries_close_minutes: 5,
            priority_to_unlucky: true,
        }
    }
}

impl Release {
    /// Reads the configuration spelling of the dates a release opens: `D+14..D+20` (a
    /// single day is `D+14..D+14`); `None` if it is not that, or ends before it starts.
    pub fn parse_opens(text: &str) -> Option<(u32, u32)> {
        let (first, last) = text.trim().split_once("..")?;
        let day = |part: &str| -> Option<u32> {
            let digits = part.trim().strip_prefix("D+")?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok()
        };
        let (first, last) = (day(first)?, day(last)?);
        (first <= last).then_some((first, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_reads_a_day_range_after_the_release_day() {
        assert_eq!(Release::parse_opens("D+14..D+20"), Some((14, 20)));
        assert_eq!(Release::parse_opens(" D+0..D+0 "), Some((0, 0)));
        for bad in [
            "",
            "D+20..D+14",
            "14..20",
            "D+14",
            "D-1..D+3",
            "D+..D+3",
            "D+1..D+x",
            "D+1...D+3",
            "D++1..D+3",
            "D+99999999999..D+99999999999",
        ] {
            assert_eq!(Release::parse_opens(bad), None, "{bad}");
        }
    }
}
