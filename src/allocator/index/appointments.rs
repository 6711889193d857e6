//! The appointments of the snapshot in the index: fixed ones on their desks, movable ones
//! as items grouped into time-overlap components, and a valid baseline assignment for
//! each component. The second half of [`Index::new`].

use std::collections::BTreeMap;

use super::super::bits::{self, MAX_DESKS};
use super::super::search::{self, Outcome, Task};
use super::super::snapshot::Snapshot;
use super::{Component, Index, Item, Timeline, ceil_secs, floor_secs};
use crate::domain::{DeskId, ServiceId};

impl Index {
    pub(super) fn index_appointments(
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
        let mut busy: Vec<Timeline> = per_desk.into_iter().map(Timeline::with_capacity).collect();
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
