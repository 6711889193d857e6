//! The allocator against a brute-force oracle on random small offices.
//!
//! The oracle (`support/oracle.rs`, shared with the benchmarks) is written from DESIGN §3
//! alone: candidate starts by a plain loop, and feasibility by trying every desk for every
//! appointment with plain backtracking, each group of appointments connected in time on
//! its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use cita::allocator::{
    Allocator, Booked, DayCount, DeskDay, DeskSchedule, PlaceError, Placement, Slot, Snapshot,
};
use cita::calendar::Interval;
use cita::domain::{DeskId, Service, ServiceId};

#[path = "support/oracle.rs"]
mod oracle;

use oracle::{Oracle, overlaps};

const TZ: Tz = chrono_tz::Europe::Madrid;

fn date0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 11).unwrap()
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 11, 8, 0, 0).unwrap()
}

// ---------------------------------------------------------------------------------------
// Random offices

/// Skills bitmask, copy desk 0's hours, intervals (date index, start and length in
/// 5-minute units from 08:00 UTC of that date).
type DeskSpec = (u8, bool, Vec<(usize, i64, i64)>);

#[derive(Debug, Clone)]
struct Spec {
    /// duration, buffer, step (0 = duration), min notice, max advance days
    services: Vec<(u32, u32, u32, u32, u32)>,
    desks: Vec<DeskSpec>,
    /// service, desk, date, choice, on the candidate grid, pinned
    appointments: Vec<(usize, usize, usize, usize, bool, bool)>,
    /// now, in 15-minute units from 08:00 UTC of the first date
    now: i64,
    /// new desks for the movable appointments (an invalid current assignment)
    scramble: Option<Vec<usize>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let service = (
        prop::sample::select(vec![10u32, 15, 20, 30, 45]),
        prop::sample::select(vec![0u32, 0, 5, 10]),
        prop::sample::select(vec![0u32, 0, 5, 10, 15, 30]),
        prop::sample::select(vec![0u32, 0, 30, 120]),
        prop::sample::select(vec![0u32, 1, 1, 5]),
    );
    let interval = (0..2usize, 0..120i64, 3..48i64);
    let desk = (
        any::<u8>(),
        prop::bool::weighted(0.5),
        prop::collection::vec(interval, 1..5),
    );
    let appointment = (
        0..3usize,
        0..4usize,
        0..2usize,
        any::<usize>(),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.2),
    );
    (
        prop::collection::vec(service, 1..=3),
        prop::collection::vec(desk, 1..=4),
        prop::collection::vec(appointment, 0..=40),
        -40..60i64,
        prop::option::weighted(0.25, prop::collection::vec(0..4usize, 12)),
    )
        .prop_map(|(services, desks, appointments, now, scramble)| Spec {
            services,
            desks,
            appointments,
            now,
            scramble,
        })
}

fn sid(i: usize) -> ServiceId {
    ServiceId::new(format!("s{i}"))
}

fn did(i: usize) -> DeskId {
    DeskId::new(format!("d{i}"))
}

/// Sorted intervals with a gap between neighbours (what the calendar produces).
fn tidy(mut raw: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    raw.sort();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (a, b) in raw {
        if out.last().is_none_or(|last| a > last.1) {
            out.push((a, b));
        }
    }
    out
}

fn build(spec: &Spec) -> Snapshot {
    let services: Vec<Service> = spec
        .services
        .iter()
        .enumerate()
        .map(|(i, &(duration, buffer, step, notice, advance))| {
            let mut s = Service::new(sid(i), format!("service {i}"), duration);
            s.buffer_minutes = buffer;
            if step > 0 {
                s.step_minutes = step;
            }
            s.min_notice_minutes = notice;
            s.max_advance_days = advance;
            s
        })
        .collect();
    let mut hours: Vec<Vec<Vec<(i64, i64)>>> = Vec::new();
    for (d, (_, shared, raw)) in spec.desks.iter().enumerate() {
        let own: Vec<Vec<(i64, i64)>> = (0..2)
            .map(|day| {
                tidy(
                    raw.iter()
                        .filter(|r| r.0 == day)
                        .map(|&(_, s, l)| (s, s + l))
                        .collect(),
                )
            })
            .collect();
        hours.push(if *shared && d > 0 {
            hours[0].clone()
        } else {
            own
        });
    }
    let desks: Vec<DeskSchedule> = spec
        .desks
        .iter()
        .enumerate()
        .map(|(d, (skills, _, _))| DeskSchedule {
            id: did(d),
            services: (0..services.len())
                .filter(|s| skills & (1 << s) != 0 || (*skills as usize) % services.len() == *s)
                .map(sid)
                .collect(),
            days: (0..2)
                .filter(|&day| !hours[d][day].is_empty())
                .map(|day| {
                    let origin = base() + Duration::days(day as i64);
                    DeskDay {
                        date: date0() + Days::new(day as u64),
                        open: hours[d][day]
                            .iter()
                            .map(|&(a, b)| {
                                Interval::new(
                                    origin + Duration::minutes(5 * a),
                                    origin + Duration::minutes(5 * b),
                                )
                                .unwrap()
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let mut snapshot = Snapshot {
        timezone: TZ,
        now: base() + Duration::minutes(15 * spec.now),
        services,
        desks,
        appointments: Vec::new(),
    };
    // Place appointments validly, one by one; those that do not fit are dropped.
    for (n, &(s, d, day, choice, on_grid, pinned)) in spec.appointments.iter().enumerate() {
        if snapshot.appointments.len() >= 12 {
            break;
        }
        let Some(service) = snapshot.services.get(s % snapshot.services.len()) else {
            continue;
        };
        // The d-th desk (cyclically) that serves the service and is open on that date,
        // trying the other date when there is none.
        let pick = |day: usize| {
            let date = date0() + Days::new(day as u64);
            let open: Vec<(&DeskSchedule, &DeskDay)> = snapshot
                .desks
                .iter()
                .filter(|desk| desk.services.contains(&service.id))
                .filter_map(|desk| desk.days.iter().find(|x| x.date == date).map(|x| (desk, x)))
                .collect();
            (!open.is_empty()).then(|| open[d % open.len()])
        };
        let Some((desk, desk_day)) = pick(day).or_else(|| pick(1 - day)) else {
            continue;
        };
        let occupancy = service.occupancy();
        let start = if on_grid {
            let mut grid = Vec::new();
            for iv in &desk_day.open {
                let mut t = iv.start;
                while t + occupancy <= iv.end {
                    grid.push(t);
                    t += service.step();
                }
            }
            match grid.get(choice % grid.len().max(1)) {
                Some(&t) => t,
                None => continue,
            }
        } else {
            let iv = desk_day.open[choice % desk_day.open.len()];
            let room = (iv.end - iv.start - occupancy).num_minutes() / 5;
            if room < 0 {
                continue;
            }
            iv.start + Duration::minutes(5 * ((choice / 7) as i64 % (room + 1)))
        };
        // The chosen desk, or else the next one (cyclically) where the start fits.
        let nd = snapshot.desks.len();
        let end = start + occupancy;
        let home = snapshot
            .desks
            .iter()
            .position(|x| x.id == desk.id)
            .unwrap_or(0);
        let fits = |x: &DeskSchedule| {
            x.services.contains(&service.id)
                && x.days
                    .iter()
                    .flat_map(|d| &d.open)
                    .any(|iv| iv.start <= start && end <= iv.end)
                && !snapshot
                    .appointments
                    .iter()
                    .any(|b| b.desk == x.id && b.start < end && start < b.occupied_until)
        };
        let Some(target) = (0..nd)
            .map(|i| &snapshot.desks[(home + i) % nd])
            .find(|x| fits(x))
        else {
            continue;
        };
        snapshot.appointments.push(Booked {
            key: format!("a{n}"),
            service: service.id.clone(),
            start,
            occupied_until: end,
            desk: target.id.clone(),
            pinned,
        });
    }
    if let Some(scramble) = &spec.scramble {
        let ndesks = snapshot.desks.len();
        for (b, &to) in snapshot.appointments.iter_mut().zip(scramble) {
            if !b.pinned {
                b.desk = did(to % ndesks);
            }
        }
    }
    snapshot
}

/// Checks a placement: moves name movable appointments at their current desk, and after
/// applying them plus the new one, every appointment in `scope` (and the new one) is on an
/// eligible desk and overlaps nothing on its desk.
fn check_placement(
    oracle: &Oracle,
    s: &ServiceId,
    t: DateTime<Utc>,
    placement: &Placement,
    scrambled: bool,
) -> Result<(), TestCaseError> {
    let snap = oracle.snap;
    let mut after: Vec<Booked> = snap.appointments.clone();
    let mut moved = BTreeSet::new();
    for m in &placement.moves {
        let b = after.iter_mut().find(|b| b.key == m.key);
        let b = b.ok_or_else(|| TestCaseError::fail(format!("unknown key in {m:?}")))?;
        prop_assert!(!b.pinned, "moved a pinned appointment: {:?}", m);
        prop_assert_eq!(&b.desk, &m.from);
        prop_assert!(m.from != m.to);
        prop_assert!(moved.insert(m.key.clone()), "moved twice: {:?}", m);
        b.desk = m.to.clone();
    }
    let service = oracle.service(s);
    after.push(Booked {
        key: "new".into(),
        service: s.clone(),
        start: t,
        occupied_until: t + service.occupancy(),
        desk: placement.desk.clone(),
        pinned: false,
    });
    // Without scrambling everything must be valid; with it, the part connected in time to
    // the new appointment (the rest may keep its invalid current desks).
    let n = after.len();
    let mut scope = vec![!scrambled; n];
    scope[n - 1] = true;
    loop {
        let mut grew = false;
        for i in 0..n {
            if scope[i] || after[i].pinned {
                continue;
            }
            if (0..n).any(|j| scope[j] && !after[j].pinned && overlaps(&after[i], &after[j])) {
                scope[i] = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    for i in (0..n).filter(|&i| scope[i]) {
        let b = &after[i];
        if !b.pinned {
            let desk = snap.desks.iter().find(|d| d.id == b.desk);
            let ok =
                desk.is_some_and(|d| oracle.eligible(d, &b.service, b.start, b.occupied_until));
            prop_assert!(ok, "{} ends on an ineligible desk {}", b.key, b.desk);
        }
        for (j, other) in after.iter().enumerate() {
            prop_assert!(
                j == i || other.desk != b.desk || !overlaps(b, other),
                "{} and {} overlap on {}",
                b.key,
                other.key,
                b.desk
            );
        }
    }
    Ok(())
}

fn compare(spec: &Spec) -> Result<(), TestCaseError> {
    let snap = build(spec);
    let oracle = Oracle { snap: &snap };
    let alloc = Allocator::new(snap.clone());
    prop_assert_eq!(alloc.check_feasible(), Ok(()));
    let dates = [date0(), date0() + Days::new(1)];
    for s in snap.services.iter().map(|s| s.id.clone()) {
        let service = oracle.service(&s).clone();
        let all_raw: Vec<_> = dates
            .iter()
            .flat_map(|&d| oracle.raw_candidates(&s, d))
            .collect();
        let mut expected_days = Vec::new();
        for date in std::iter::once(date0() - Days::new(1))
            .chain(dates)
            .chain([dates[1] + Days::new(1)])
        {
            let candidates = oracle.candidates(&s, date);
            prop_assert_eq!(
                alloc.candidate_starts(&s, date).unwrap(),
                candidates.clone()
            );
            let mut expected_slots = Vec::new();
            for &t in &candidates {
                let capacity = oracle.capacity(&s, t);
                prop_assert_eq!(
                    alloc.capacity(&s, t).unwrap(),
                    capacity,
                    "capacity at {}",
                    t
                );
                if capacity > 0 {
                    expected_slots.push(Slot {
                        start: t,
                        end: t + service.duration(),
                        capacity,
                    });
                }
                match alloc.place(&s, t) {
                    Ok(placement) => {
                        prop_assert!(capacity > 0, "placed at {} with capacity 0", t);
                        check_placement(&oracle, &s, t, &placement, spec.scramble.is_some())?;
                        if spec.scramble.is_none() && !placement.moves.is_empty() {
                            // Moves are only ever needed when no eligible desk is free.
                            let free = snap.desks.iter().any(|d| {
                                oracle.eligible(d, &s, t, t + service.occupancy())
                                    && !snap.appointments.iter().any(|b| {
                                        b.desk == d.id
                                            && b.start < t + service.occupancy()
                                            && t < b.occupied_until
                                    })
                            });
                            prop_assert!(!free, "moved appointments although a desk was free");
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e, PlaceError::Full);
                        prop_assert_eq!(capacity, 0);
                    }
                }
            }
            prop_assert_eq!(alloc.slots(&s, date).unwrap(), expected_slots.clone());
            expected_days.push(DayCount {
                date,
                slots: expected_slots.len() as u32,
            });
            // Starts the oracle does not offer.
            for t in oracle.raw_candidates(&s, date) {
                if !oracle.in_window(&s, t) {
                    prop_assert_eq!(alloc.capacity(&s, t).unwrap(), 0);
                    prop_assert_eq!(alloc.place(&s, t), Err(PlaceError::OutsideBookingWindow));
                }
                let off = t + Duration::minutes(5);
                if !all_raw.contains(&off) {
                    prop_assert_eq!(alloc.capacity(&s, off).unwrap(), 0);
                    if oracle.in_window(&s, off) {
                        prop_assert_eq!(alloc.place(&s, off), Err(PlaceError::NotACandidateStart));
                    }
                }
            }
        }
        let first = date0() - Days::new(1);
        let last = dates[1] + Days::new(1);
        prop_assert_eq!(alloc.days(&s, first, last).unwrap(), expected_days);
    }
    // Deterministic: the same snapshot gives the same answers.
    let again = Allocator::new(snap.clone());
    for s in snap.services.iter().map(|s| s.id.clone()) {
        for date in dates {
            prop_assert_eq!(
                again.slots(&s, date).unwrap(),
                alloc.slots(&s, date).unwrap()
            );
            for t in alloc.candidate_starts(&s, date).unwrap() {
                prop_assert_eq!(again.place(&s, t), alloc.place(&s, t));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn allocator_agrees_with_brute_force(spec in spec()) {
        compare(&spec)?;
    }
}
