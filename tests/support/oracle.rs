//! The brute-force oracle that defines what the allocator must answer (DESIGN §3),
//! shared by the property test (`tests/allocator_oracle.rs`) and the benchmarks
//! (`benches/allocator.rs`) so both measure and check against the same thing.
//!
//! It is written from DESIGN §3 alone: candidate starts by a plain loop, and feasibility
//! by trying every desk for every appointment with plain backtracking. Its only shortcut
//! is that appointments whose occupancies are not connected in time cannot interact, so
//! each connected group is backtracked on its own.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};

use cita::allocator::{Booked, DeskSchedule, Snapshot};
use cita::domain::{DeskId, Service, ServiceId};

pub fn overlaps(a: &Booked, b: &Booked) -> bool {
    a.start < b.occupied_until && b.start < a.occupied_until
}

pub struct Oracle<'a> {
    pub snap: &'a Snapshot,
}

impl Oracle<'_> {
    pub fn service(&self, id: &ServiceId) -> &Service {
        self.snap.services.iter().find(|s| &s.id == id).unwrap()
    }

    /// Candidate starts on `date`, before the booking window is applied.
    pub fn raw_candidates(&self, s: &ServiceId, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let service = self.service(s);
        let mut out = BTreeSet::new();
        for desk in &self.snap.desks {
            if !desk.services.contains(s) {
                continue;
            }
            for day in desk.days.iter().filter(|x| x.date == date) {
                for iv in &day.open {
                    let mut t = iv.start;
                    while t + service.occupancy() <= iv.end {
                        out.insert(t);
                        t += service.step();
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    pub fn in_window(&self, s: &ServiceId, t: DateTime<Utc>) -> bool {
        let service = self.service(s);
        let tz = self.snap.timezone;
        let today = self.snap.now.with_timezone(&tz).date_naive();
        let last = today + Days::new(u64::from(service.max_advance_days));
        t >= self.snap.now + Duration::minutes(i64::from(service.min_notice_minutes))
            && t.with_timezone(&tz).date_naive() <= last
    }

    pub fn candidates(&self, s: &ServiceId, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let mut c = self.raw_candidates(s, date);
        c.retain(|&t| self.in_window(s, t));
        c
    }

    /// A desk where an appointment of `s` over `[a, b)` may sit.
    pub fn eligible(
        &self,
        desk: &DeskSchedule,
        s: &ServiceId,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
    ) -> bool {
        desk.services.contains(s)
            && desk
                .days
                .iter()
                .flat_map(|d| &d.open)
                .any(|iv| iv.start <= a && b <= iv.end)
    }

    /// Whether the appointments plus `extra` (new ones at `t`) have a valid assignment.
    pub fn feasible(&self, s: &ServiceId, t: DateTime<Utc>, extra: usize) -> bool {
        let service = self.service(s);
        let mut all: Vec<Booked> = self.snap.appointments.clone();
        for i in 0..extra {
            all.push(Booked {
                key: format!("new{i}"),
                service: s.clone(),
                start: t,
                occupied_until: t + service.occupancy(),
                desk: DeskId::new("?"),
                pinned: false,
            });
        }
        // Connected groups by time overlap (union-find on the overlap graph).
        let mut parent: Vec<usize> = (0..all.len()).collect();
        fn root(p: &mut Vec<usize>, x: usize) -> usize {
            if p[x] == x {
                x
            } else {
                let r = root(p, p[x]);
                p[x] = r;
                r
            }
        }
        for i in 0..all.len() {
            for j in 0..i {
                if overlaps(&all[i], &all[j]) {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..all.len() {
            let r = root(&mut parent, i);
            groups.entry(r).or_default().push(i);
        }
        groups.values().all(|members| {
            let items: Vec<&Booked> = members.iter().map(|&i| &all[i]).collect();
            let mut placed: Vec<(usize, &Booked)> = Vec::new();
            self.backtrack(&items, &mut placed)
        })
    }

    fn backtrack<'b>(&self, items: &[&'b Booked], placed: &mut Vec<(usize, &'b Booked)>) -> bool {
        let Some((first, rest)) = items.split_first() else {
            return true;
        };
        for (d, desk) in self.snap.desks.iter().enumerate() {
            let ok = if first.pinned {
                desk.id == first.desk
            } else {
                self.eligible(desk, &first.service, first.start, first.occupied_until)
            };
            if !ok
                || placed
                    .iter()
                    .any(|(e, other)| *e == d && overlaps(other, first))
            {
                continue;
            }
            placed.push((d, first));
            if self.backtrack(rest, placed) {
                return true;
            }
            placed.pop();
        }
        false
    }

    /// The largest `k` (at most one per desk) such that `k` more `s` at `t` are feasible.
    pub fn capacity(&self, s: &ServiceId, t: DateTime<Utc>) -> u32 {
        let mut k = 0;
        while k < self.snap.desks.len() && self.feasible(s, t, k + 1) {
            k += 1;
        }
        k as u32
    }

    /// Available starts of `s` on `date` with their capacity.
    pub fn slots(&self, s: &ServiceId, date: NaiveDate) -> Vec<(DateTime<Utc>, u32)> {
        self.candidates(s, date)
            .into_iter()
            .map(|t| (t, self.capacity(s, t)))
            .filter(|&(_, c)| c > 0)
            .collect()
    }

    /// The number of available starts of `s` on each of `dates`.
    pub fn days(&self, s: &ServiceId, dates: &[NaiveDate]) -> Vec<usize> {
        dates
            .iter()
            .map(|&d| {
                self.candidates(s, d)
                    .into_iter()
                    .filter(|&t| self.feasible(s, t, 1))
                    .count()
            })
            .collect()
    }
}
