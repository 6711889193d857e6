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

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::bits::{self, DeskSet, MAX_DESKS};
use super::snapshot::Snapshot;
use super::undecided::Counter;
use crate::domain::{DeskId, ServiceId};

mod appointments;
mod seconds;
mod timeline;

#[cfg(test)]
mod tests;

pub(crate) use seconds::{Instants, ceil_secs, floor_secs, instant};
pub(crate) use timeline::Timeline;

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
    /// Scheduled releases (usually none): a date they have not opened offers nothing.
    pub(crate) releases: Vec<crate::domain::Release>,
    /// Passed draw instants whose draw has not run: their dates stay closed.
    pub(crate) pending_draws: Vec<chrono::DateTime<chrono::Utc>>,
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
                releases: service.releases.clone(),
                pending_draws: service.pending_draws.clone(),
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
