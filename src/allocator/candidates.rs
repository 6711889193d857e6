//! Candidate starts and the booking window (DESIGN §3).
//!
//! - Candidate starts of a service on a desk on local date `L`: in each open interval
//!   `[a, b)` of the desk on `L`, `t = a + k*step` (real seconds) while
//!   `t + duration + buffer <= b`. Each interval restarts at its own `a`; the office's
//!   candidates are the union over desks that serve the service.
//! - A start is inside the booking window iff `t >= now + min_notice`, the local date of
//!   `t` is at most `max_advance_days` after the local date of `now`, and the service's
//!   scheduled releases (if any) have opened that date ([`crate::calendar::opening`]).
//! - A service with a zero occupancy offers nothing; a zero step offers each interval's
//!   first start only.

use chrono::{Days, NaiveDate};

use super::bits;
use super::index::{Index, ServiceInfo, instant};
use crate::calendar::Opening;

/// Seconds in a day: more than any UTC offset.
const DAY: i64 = 86_400;

impl Index {
    /// Whether `t` is inside the booking window of `svc`.
    pub(crate) fn in_window(&self, svc: &ServiceInfo, t: i64) -> bool {
        if t < self.now.saturating_add(svc.notice) {
            return false;
        }
        let Some(limit) = svc.window_end else {
            // Beyond the calendar: no upper limit to enforce, releases still apply.
            return self.released_at(svc, t);
        };
        // The local date is the date of `t + offset`, and every offset is less than a day:
        // far enough from the limit, the time zone cannot change the answer.
        if t.saturating_add(DAY) < limit {
            return self.released_at(svc, t);
        }
        if t.saturating_sub(DAY) >= limit {
            return false;
        }
        let Some(last) = self
            .today
            .checked_add_days(Days::new(u64::from(svc.max_advance_days)))
        else {
            return self.released_at(svc, t);
        };
        instant(t).is_some_and(|t| t.with_timezone(&self.tz).date_naive() <= last)
            && self.released_at(svc, t)
    }

    /// Whether the releases of `svc` have opened the local date of `t`.
    fn released_at(&self, svc: &ServiceInfo, t: i64) -> bool {
        if svc.releases.is_empty() {
            return true;
        }
        instant(t).is_some_and(|t| self.released(svc, t.with_timezone(&self.tz).date_naive()))
    }

    /// Whether the releases of `svc` have opened local `date`.
    fn released(&self, svc: &ServiceInfo, date: NaiveDate) -> bool {
        if svc.releases.is_empty() {
            return true;
        }
        let Some(now) = instant(self.now) else {
            return false;
        };
        crate::calendar::opening(&svc.releases, &svc.pending_draws, self.tz, date, now)
            == Opening::Open
    }

    /// Candidate starts of `svc` on local `date` inside the window, ascending, unique.
    pub(crate) fn candidates(&self, svc: &ServiceInfo, date: NaiveDate) -> Vec<i64> {
        let mut starts = Vec::new();
        self.candidates_into(svc, date, &mut starts);
        starts
    }

    /// [`Index::candidates`] into `starts` (cleared first), reusing its allocation across
    /// the dates of a range.
    pub(crate) fn candidates_into(
        &self,
        svc: &ServiceInfo,
        date: NaiveDate,
        starts: &mut Vec<i64>,
    ) {
        starts.clear();
        if svc.occupancy <= 0 || !self.released(svc, date) {
            return;
        }
        let Some(groups) = self.days.get(&date) else {
            return;
        };
        // Reserve once: a day's grid has tens of starts.
        let room: i64 = groups
            .iter()
            .filter(|g| g.desks & svc.serving != 0)
            .flat_map(|g| &g.open)
            .map(|&(a, b)| match svc.step {
                Some(step) => (b - a - svc.occupancy) / step + 1,
                None => 1,
            })
            .filter(|&n| n > 0)
            .sum();
        starts.reserve(usize::try_from(room).unwrap_or(0).min(1 << 16));
        let mut groups_used = 0;
        for group in groups.iter().filter(|g| g.desks & svc.serving != 0) {
            groups_used += 1;
            for &(a, b) in &group.open {
                let mut t = a;
                while t.saturating_add(svc.occupancy) <= b {
                    starts.push(t);
                    match svc.step {
                        Some(step) => t = t.saturating_add(step),
                        None => break,
                    }
                }
            }
        }
        // One group's sorted, disjoint intervals give ascending, distinct starts already.
        if groups_used > 1 || !starts.is_sorted_by(|a, b| a < b) {
            starts.sort_unstable();
            starts.dedup();
        }
        // Most days lie wholly inside the window, far from its end (see `in_window`):
        // then nothing needs checking one by one.
        let (Some(&first), Some(&last)) = (starts.first(), starts.last()) else {
            return;
        };
        let clear_of_end = svc
            .window_end
            .is_none_or(|limit| last.saturating_add(DAY) < limit);
        if !(first >= self.now.saturating_add(svc.notice) && clear_of_end) {
            starts.retain(|&t| self.in_window(svc, t));
        }
    }

    /// Whether `t` is a candidate start of `svc` on some desk that serves it (on any date).
    pub(crate) fn is_candidate(&self, svc: &ServiceInfo, t: i64) -> bool {
        if svc.occupancy <= 0 {
            return false;
        }
        let end = t.saturating_add(svc.occupancy);
        self.schedules
            .iter()
            .filter(|c| c.desks & svc.serving != 0)
            .any(|c| {
                c.open.containing_starts(t, end).any(|a| match svc.step {
                    Some(step) => (t - a) % step == 0,
                    None => t == a,
                })
            })
    }

    /// Desks that serve `svc`, are open over `[t, t + occupancy)` and hold no fixed
    /// occupancy there: at most this many more can ever start at `t`.
    pub(crate) fn allowed_for(&self, svc: &ServiceInfo, t: i64) -> bits::DeskSet {
        let end = t.saturating_add(svc.occupancy);
        let open = svc.serving & self.open_over(t, end);
        open & !self.fixed_blocked(open, t, end)
    }
}
