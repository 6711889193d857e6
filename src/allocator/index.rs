//! The snapshot turned into the shapes the allocator queries: integer seconds, desk
//! bitsets, per-desk timelines, movable appointments grouped into time-overlap components,
//! and a valid baseline assignment for each component.
//!
//! Invariants established here (and relied on by `feasibility`):
//! - `items` are the movable appointments that can go somewhere, sorted by
//!   `(start, end, snapshot order)`; each [`Component`] is a contiguous range of them whose
//!   occupancies are connected in time, and component spans are disjoint and ascending.
//! - For a component marked `feasible`, `baseline` puts every item on a desk in its
//!   `allowed` set with no two overlapping on one desk; `busy` indexes exactly those
//!   placements. Infeasible components are left out of `busy`.
//! - `fixed` holds what never moves: pinned appointments and movable ones that no desk can
//!   serve any more (stranded), each on its current desk when that desk exists.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::bits::{self, DeskSet, MAX_DESKS};
use super::search::{self, Outcome, Task};
use super::snapshot::Snapshot;
use super::undecided::Counter;
use crate::domain::{DeskId, ServiceId};

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

/// Sorted intervals with a running maximum of their ends: answers "does anything overlap
/// `[s, e)`" and "does one interval contain `[s, e)`" in `O(log n)`, even when the
/// intervals themselves overlap. The running maximum is stored only when it differs from
/// the ends (overlapping intervals), so the usual timeline is the sorted input itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    spans: Vec<(i64, i64)>,
    /// Empty when the ends never decrease (then the running maximum is the end).
    reach: Vec<i64>,
}

impl Timeline {
    pub(crate) fn new(intervals: Vec<(i64, i64)>) -> Self {
        let mut timeline = Timeline {
            spans: intervals,
            reach: Vec::new(),
        };
        timeline.settle();
        timeline
    }

    /// Adds an interval; [`Timeline::settle`] must run before any question.
    fn push(&mut self, interval: (i64, i64)) {
        self.spans.push(interval);
    }

    /// Sorts the intervals pushed and works out the running maximum where needed.
    fn settle(&mut self) {
        if !self.spans.is_sorted() {
            self.spans.sort_unstable();
        }
        self.reach.clear();
        if !self.spans.windows(2).all(|w| w[0].1 <= w[1].1) {
            let mut max = i64::MIN;
            self.reach = self
                .spans
                .iter()
                .map(|&(_, end)| {
                    max = max.max(end);
                    max
                })
                .collect();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The latest end among the first `k + 1` intervals.
    fn reach(&self, k: usize) -> i64 {
        match self.reach.get(k) {
            Some(&r) => r,
            None => self.spans[k].1,
        }
    }

    /// Some interval shares a point with `[s, e)`.
    pub(crate) fn overlaps(&self, s: i64, e: i64) -> bool {
        let k = self.spans.partition_point(|x| x.0 < e);
        k > 0 && self.reach(k - 1) > s
    }

    /// [`Timeline::overlaps`] for queries whose `e` never decreases: `k` is the caller's
    /// cursor (intervals starting before the previous `e`), moved forward only.
    pub(crate) fn overlaps_from(&self, k: &mut usize, s: i64, e: i64) -> bool {
        while *k < self.spans.len() && self.spans[*k].0 < e {
            *k += 1;
        }
        *k > 0 && self.reach(*k - 1) > s
    }

    /// [`Timeline::overlaps_from`], with the first start (for the same length `e - s`)
    /// at which the answer may differ: it holds for every start in `[s, until)`.
    pub(crate) fn overlaps_lasting(&self, k: &mut usize, s: i64, e: i64) -> (bool, i64) {
        let over = self.overlaps_from(k, s, e);
        let until = if over {
            // Intervals already reached stay reached; the latest end is passed last.
            self.reach(*k - 1)
        } else {
            // Free until the next interval starts within the occupancy.
            self.spans.get(*k).map_or(i64::MAX, |&(a, _)| {
                a.saturating_sub(e - s).saturating_add(1)
            })
        };
        (over, until)
    }

    /// [`Timeline::contains_from`], with the first start (for the same length `e - s`)
    /// at which the answer may differ, as in [`Timeline::overlaps_lasting`].
    pub(crate) fn contains_lasting(&self, k: &mut usize, s: i64, e: i64) -> (bool, i64) {
        let inside = self.contains_from(k, s, e);
        let until = if inside {
            // Contained while the occupancy still ends by the latest end so far.
            self.reach(*k - 1).saturating_sub(e - s).saturating_add(1)
        } else {
            // Nothing new can contain it before the next interval starts.
            self.spans.get(*k).map_or(i64::MAX, |&(a, _)| a)
        };
        (inside, until)
    }

    /// Some single interval contains all of `[s, e)`.
    pub(crate) fn contains(&self, s: i64, e: i64) -> bool {
        let k = self.spans.partition_point(|x| x.0 <= s);
        k > 0 && self.reach(k - 1) >= e
    }

    /// [`Timeline::contains`] for queries whose `s` never decreases (cursor as in
    /// [`Timeline::overlaps_from`]).
    pub(crate) fn contains_from(&self, k: &mut usize, s: i64, e: i64) -> bool {
        while *k < self.spans.len() && self.spans[*k].0 <= s {
            *k += 1;
        }
        *k > 0 && self.reach(*k - 1) >= e
    }

    /// Starts `a` of the intervals `[a, b)` that contain `[s, e)`.
    pub(crate) fn containing_starts(&self, s: i64, e: i64) -> impl Iterator<Item = i64> + '_ {
        let k = self.spans.partition_point(|x| x.0 <= s);
        (0..k)
            .rev()
            .take_while(move |&j| self.reach(j) >= e)
            .filter(move |&j| self.spans[j].1 >= e)
            .map(move |j| self.spans[j].0)
    }
}

/// A service's rules in seconds, and the desks that serve it.
#[derive(Debug, Clone)]
pub(crate) struct ServiceInfo {
    pub(crate) duration: i64,
    pub(crate) occupancy: i64,
    /// `None` when the step is zero: then each open interval offers only its first start.
    pub(crate) step: Option<i64>,
    pub(crate) notice: i64,
    pub(crate) max_advance_days: u32,
    /// Midnight (as UTC-naive seconds) of the first local date past the booking window,
    /// or `None` when that date is beyond the calendar (no upper limit).
    pub(crate) window_end: Option<i64>,
    pub(crate) serving: DeskSet,
}

/// Desks with the same open intervals on every date (usually all desks of an office).
#[derive(Debug, Clone)]
pub(crate) struct ScheduleClass {
    pub(crate) desks: DeskSet,
    pub(crate) open: Timeline,
}

/// Desks with exactly these open intervals on one local date (while indexing, also the
/// desks sharing all their intervals, before those become [`ScheduleClass`]es).
#[derive(Debug, Clone)]
pub(crate) struct DayGroup {
    pub(crate) desks: DeskSet,
    pub(crate) open: Vec<(i64, i64)>,
}

/// A movable appointment that at least one desk can serve.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Index into `Snapshot::appointments`.
    pub(crate) booked: usize,
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Desks that serve it, are open over it and carry no fixed occupancy overlapping it.
    pub(crate) allowed: DeskSet,
    /// Its current desk, when that desk exists.
    pub(crate) current: Option<u8>,
}

/// A maximal run of items whose occupancies are connected in time.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) feasible: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) tz: Tz,
    pub(crate) now: i64,
    pub(crate) today: NaiveDate,
    /// One per `Snapshot::services` entry, in that order (a duplicate id's entry is never
    /// looked up: the first wins).
    pub(crate) services: Vec<ServiceInfo>,
    /// The indexed desks' positions in `Snapshot::desks` (their ids live there).
    pub(crate) desk_src: Vec<usize>,
    pub(crate) schedules: Vec<ScheduleClass>,
    pub(crate) days: BTreeMap<NaiveDate, Vec<DayGroup>>,
    pub(crate) fixed: Vec<Timeline>,
    pub(crate) fixed_desks: DeskSet,
    pub(crate) items: Vec<Item>,
    pub(crate) components: Vec<Component>,
    pub(crate) baseline: Vec<u8>,
    pub(crate) busy: Vec<Timeline>,
    /// Spans of the components with no valid assignment (usually none).
    pub(crate) infeasible: Vec<(i64, i64)>,
    /// Movable appointments no desk can serve (snapshot indices, in snapshot order).
    pub(crate) stranded: Vec<usize>,
    /// Questions answered "no" only because every search ran out of budget.
    pub(crate) undecided: Counter,
}

impl Index {
    pub(crate) fn new(snapshot: &Snapshot) -> Self {
        let tz = snapshot.timezone;
        let now = floor_secs(snapshot.now);
        let today = snapshot.now.with_timezone(&tz).date_naive();

        // Desks: the first of duplicate ids wins; at most MAX_DESKS are indexed.
        let mut desk_ix: BTreeMap<&DeskId, u8> = BTreeMap::new();
        let mut desk_rows = Vec::new();
        let mut desk_src = Vec::new();
        for (src, desk) in snapshot.desks.iter().enumerate() {
            if desk_rows.len() >= MAX_DESKS || desk_ix.contains_key(&desk.id) {
                continue;
            }
            let Ok(ix) = u8::try_from(desk_rows.len()) else {
                continue;
            };
            desk_ix.insert(&desk.id, ix);
            desk_rows.push(desk);
            desk_src.push(src);
        }

        // Services: the first of duplicate ids wins.
        let mut service_ix: BTreeMap<&ServiceId, usize> = BTreeMap::new();
        let mut services = Vec::with_capacity(snapshot.services.len());
        for service in &snapshot.services {
            service_ix.entry(&service.id).or_insert(services.len());
            let serving = desk_rows
                .iter()
                .enumerate()
                .filter(|(_, d)| d.services.contains(&service.id))
                .fold(0, |set, (ix, _)| set | bits::bit(ix));
            let step = i64::from(service.step_minutes) * 60;
            services.push(ServiceInfo {
                duration: i64::from(service.duration_minutes) * 60,
                occupancy: (i64::from(service.duration_minutes)
                    + i64::from(service.buffer_minutes))
                    * 60,
                step: (step > 0).then_some(step),
                notice: i64::from(service.min_notice_minutes) * 60,
                max_advance_days: service.max_advance_days,
                window_end: today
                    .checked_add_days(Days::new(u64::from(service.max_advance_days)))
                    .and_then(|last| last.succ_opt())
                    .and_then(|next| next.and_hms_opt(0, 0, 0))
                    .map(|midnight| midnight.and_utc().timestamp()),
                serving,
            });
        }

        // Open intervals, per desk (all dates) and per date.
        let mut schedules: Vec<DayGroup> = Vec::new();
        let mut days: BTreeMap<NaiveDate, Vec<DayGroup>> = BTreeMap::new();
        let mut patterns: DeskSet = 0;
        for (ix, desk) in desk_rows.iter().enumerate() {
            // A desk with the same hours as an earlier one (usually every desk) joins its
            // groups: same intervals, so the same classes, without building them again.
            if let Some(r) = bits::iter(patterns).find(|&r| desk_rows[r].days == desk.days) {
                let (rep, me) = (bits::bit(r), bits::bit(ix));
                let groups = schedules
                    .iter_mut()
                    .chain(days.values_mut().flat_map(|g| g.iter_mut()));
                for group in groups {
                    if group.desks & rep != 0 {
                        group.desks |= me;
                    }
                }
                continue;
            }
            patterns |= bits::bit(ix);
            let mut all = Vec::with_capacity(desk.days.iter().map(|d| d.open.len()).sum());
            let mut by_date: BTreeMap<NaiveDate, Vec<(i64, i64)>> = BTreeMap::new();
            for day in &desk.days {
                for iv in &day.open {
                    let (a, b) = (ceil_secs(iv.start), floor_secs(iv.end));
                    if a < b {
                        all.push((a, b));
                        by_date.entry(day.date).or_default().push((a, b));
                    }
                }
            }
            all.sort_unstable();
            add_to_group(&mut schedules, all, ix);
            for (date, mut open) in by_date {
                open.sort_unstable();
                add_to_group(days.entry(date).or_default(), open, ix);
            }
        }
        let schedules = schedules
            .into_iter()
            .map(|DayGroup { desks, open }| ScheduleClass {
                desks,
                open: Timeline::new(open),
            })
            .collect();

        let mut index = Index {
            tz,
            now,
            today,
            services,
            desk_src,
            schedules,
            days,
            fixed: Vec::new(),
            fixed_desks: 0,
            items: Vec::new(),
            components: Vec::new(),
            baseline: Vec::new(),
            busy: Vec::new(),
            infeasible: Vec::new(),
            stranded: Vec::new(),
            undecided: Counter::default(),
        };
        index.index_appointments(snapshot, &desk_ix, &service_ix);
        index
    }

    /// Desks whose open hours contain `[s, e)` in one interval.
    pub(crate) fn open_over(&self, s: i64, e: i64) -> DeskSet {
        self.schedules
            .iter()
            .filter(|c| c.open.contains(s, e))
            .fold(0, |set, c| set | c.desks)
    }

    /// Desks among `among` holding a fixed occupancy that overlaps `[s, e)`.
    pub(crate) fn fixed_blocked(&self, among: DeskSet, s: i64, e: i64) -> DeskSet {
        bits::iter(among & self.fixed_desks)
            .filter(|&d| self.fixed[d].overlaps(s, e))
            .fold(0, |set, d| set | bits::bit(d))
    }

    fn index_appointments(
        &mut self,
        snapshot: &Snapshot,
        desk_ix: &BTreeMap<&DeskId, u8>,
        service_ix: &BTreeMap<&ServiceId, usize>,
    ) {
        let ndesks = self.desk_src.len();
        let mut fixed: Vec<Timeline> = vec![Timeline::default(); ndesks];
        let mut items = Vec::with_capacity(snapshot.appointments.len());
        for (booked, appt) in snapshot.appointments.iter().enumerate() {
            let (start, end) = (floor_secs(appt.start), ceil_secs(appt.occupied_until));
            if end <= start {
                continue; // occupies nothing
            }
            let current = desk_ix.get(&appt.desk).copied();
            if appt.pinned {
                if let Some(d) = current {
                    fixed[usize::from(d)].push((start, end));
                }
                continue;
            }
            let serving = service_ix
                .get(&appt.service)
                .and_then(|&s| self.services.get(s))
                .map_or(0, |s| s.serving);
            let eligible = serving & self.open_over(start, end);
            if eligible == 0 {
                self.stranded.push(booked);
                if let Some(d) = current {
                    fixed[usize::from(d)].push((start, end));
                }
                continue;
            }
            items.push(Item {
                booked,
                start,
                end,
                allowed: eligible,
                current,
            });
        }
        fixed.iter_mut().for_each(Timeline::settle);
        self.fixed = fixed;
        self.fixed_desks = self
            .fixed
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .fold(0, |set, (d, _)| set | bits::bit(d));
        for item in &mut items {
            let blocked = bits::iter(item.allowed & self.fixed_desks)
                .filter(|&d| self.fixed[d].overlaps(item.start, item.end))
                .fold(0, |set, d| set | bits::bit(d));
            item.allowed &= !blocked;
        }
        items.sort_by_key(|i| (i.start, i.end, i.booked));
        self.items = items;
        self.build_components();
        self.build_baseline();
    }

    fn build_components(&mut self) {
        self.components.reserve(self.items.len());
        let mut lo = 0;
        while lo < self.items.len() {
            let start = self.items[lo].start;
            let mut end = self.items[lo].end;
            let mut hi = lo + 1;
            while hi < self.items.len() && self.items[hi].start < end {
                end = end.max(self.items[hi].end);
                hi += 1;
            }
            self.components.push(Component {
                lo,
                hi,
                start,
                end,
                feasible: true,
            });
            lo = hi;
        }
    }

    /// Keeps the current desks where they form a valid assignment; otherwise searches one
    /// (preferring current desks), component by component.
    fn build_baseline(&mut self) {
        let mut baseline: Vec<u8> = self.items.iter().map(|i| i.current.unwrap_or(0)).collect();
        // Items are sorted by start, so per-desk "latest end so far" detects any overlap;
        // entries left from earlier components end before the next component starts.
        let mut reach = [i64::MIN; MAX_DESKS];
        for comp in &mut self.components {
            let items = &self.items[comp.lo..comp.hi];
            let valid = items.iter().all(|item| match item.current {
                Some(d) if bits::has(item.allowed, usize::from(d)) => {
                    let r = &mut reach[usize::from(d)];
                    let free = item.start >= *r;
                    *r = (*r).max(item.end);
                    free
                }
                _ => false,
            });
            if valid {
                continue;
            }
            let tasks: Vec<Task> = items
                .iter()
                .map(|item| Task {
                    start: item.start,
                    end: item.end,
                    allowed: item.allowed,
                    pref: item
                        .current
                        .filter(|&d| bits::has(item.allowed, usize::from(d))),
                    near: 0,
                    copy: false,
                })
                .collect();
            match search::solve(&tasks, None, Some(search::EXACT_BUDGET)) {
                Outcome::Found(desks) => baseline[comp.lo..comp.hi].copy_from_slice(&desks),
                Outcome::Infeasible => comp.feasible = false,
                Outcome::GaveUp => {
                    comp.feasible = false;
                    self.undecided.bump();
                }
            }
        }
        // Sized first: one allocation per desk's timeline.
        let mut per_desk = vec![0usize; self.desk_src.len()];
        for comp in self.components.iter().filter(|c| c.feasible) {
            for &d in &baseline[comp.lo..comp.hi] {
                if let Some(n) = per_desk.get_mut(usize::from(d)) {
                    *n += 1;
                }
            }
        }
        let mut busy: Vec<Timeline> = per_desk
            .into_iter()
            .map(|n| Timeline {
                spans: Vec::with_capacity(n),
                reach: Vec::new(),
            })
            .collect();
        for comp in self.components.iter().filter(|c| c.feasible) {
            for (item, &d) in self.items[comp.lo..comp.hi]
                .iter()
                .zip(&baseline[comp.lo..comp.hi])
            {
                if let Some(timeline) = busy.get_mut(usize::from(d)) {
                    timeline.push((item.start, item.end));
                }
            }
        }
        self.infeasible = self
            .components
            .iter()
            .filter(|c| !c.feasible)
            .map(|c| (c.start, c.end))
            .collect();
        self.baseline = baseline;
        busy.iter_mut().for_each(Timeline::settle);
        self.busy = busy;
    }
}

/// Adds desk `ix` to the group with exactly these intervals, or opens a new group.
fn add_to_group(groups: &mut Vec<DayGroup>, open: Vec<(i64, i64)>, ix: usize) {
    match groups.iter_mut().find(|g| g.open == open) {
        Some(group) => group.desks |= bits::bit(ix),
        None => groups.push(DayGroup {
            desks: bits::bit(ix),
            open,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{Instants, instant};

    proptest::proptest! {
        /// The per-day shortcut gives chrono's instants, for runs of nearby seconds in any
        /// order, across midnights and before 1970.
        #[test]
        fn instants_agree_with_chrono(
            base in -4_000_000_000i64..4_000_000_000,
            offsets in proptest::collection::vec(-200_000i64..200_000, 1..40),
        ) {
            let mut instants = Instants::default();
            for offset in offsets {
                let secs = base + offset;
                proptest::prop_assert_eq!(instants.at(secs), instant(secs));
            }
        }
    }

    #[test]
    fn instants_beyond_chrono_are_none() {
        let mut instants = Instants::default();
        assert_eq!(instants.at(i64::MAX), None);
        assert_eq!(instants.at(i64::MIN), None);
        assert!(instants.at(0).is_some());
        assert_eq!(instants.at(i64::MAX), None);
    }
}
