//! Re-planning an office's desks under a new configuration: which movable appointments no
//! longer fit anywhere, and which must change desk so the others all do. Pure: a snapshot
//! (built with the *new* office) in, a plan out.
//!
//! Contract:
//! - An appointment is *in place* when its current desk still exists, serves its
//!   procedure, is open over its whole occupancy in one interval, and no earlier appointment
//!   (or any pinned one) on that desk overlaps it. Appointments in place keep their desk
//!   unless fitting another one needs them moved.
//! - The others are inserted again one by one, in the caller's priority order (first
//!   booked first), each with the allocator's exact placement (moves of movable
//!   appointments allowed, at their own times). One that cannot be placed together with
//!   everything already placed is *stranded*. Since every insertion is exact, an
//!   appointment is stranded only when no assignment could keep it with the ones kept.
//! - The result is checked with [`Allocator::check_feasible`] before it is returned.
//! - Pinned appointments (checked in, served, or already over) never move and are never
//!   stranded here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::allocator::{Allocator, Booked, Infeasible, Snapshot};
use crate::domain::{DeskId, Service, ServiceId};

/// What the new configuration asks of an office's appointments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Keys of the movable appointments that fit nowhere, in the order they were tried.
    pub stranded: Vec<String>,
    /// New desks of movable appointments that keep their time but change desk.
    pub moves: Vec<(String, DeskId)>,
}

/// A service id no configuration can contain (ids are validated text): the placement
/// probe for one existing appointment.
const PROBE_SERVICE: &str = "\u{0}replan";

/// Plans `snapshot` (whose desks and hours are the new configuration's). Smaller
/// `priority` keeps its place first.
pub(crate) fn replan<K: Ord>(
    snapshot: Snapshot,
    priority: impl Fn(&Booked) -> K,
) -> Result<Plan, Infeasible> {
    let original: BTreeMap<String, DeskId> = snapshot
        .appointments
        .iter()
        .filter(|b| !b.pinned)
        .map(|b| (b.key.clone(), b.desk.clone()))
        .collect();
    let mut snapshot = snapshot;
    let misplaced = misplaced(&snapshot);
    if misplaced.is_empty() {
        Allocator::new(snapshot).check_feasible()?;
        return Ok(Plan::default());
    }
    let mut again: Vec<Booked> = Vec::with_capacity(misplaced.len());
    let mut kept = Vec::with_capacity(snapshot.appointments.len());
    for (i, booked) in std::mem::take(&mut snapshot.appointments)
        .into_iter()
        .enumerate()
    {
        if misplaced.contains(&i) {
            again.push(booked);
        } else {
            kept.push(booked);
        }
    }
    snapshot.appointments = kept;
    again.sort_by(|a, b| {
        priority(a)
            .cmp(&priority(b))
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut stranded = Vec::new();
    for booked in again {
        if let Err(booked) = insert(&mut snapshot, booked) {
            stranded.push(booked.key);
        }
    }
    let final_desks: Vec<(String, DeskId)> = snapshot
        .appointments
        .iter()
        .filter(|b| !b.pinned)
        .map(|b| (b.key.clone(), b.desk.clone()))
        .collect();
    Allocator::new(snapshot).check_feasible()?;
    let moves = final_desks
        .into_iter()
        .filter(|(key, desk)| original.get(key) != Some(desk))
        .collect();
    Ok(Plan { stranded, moves })
}

/// A desk occupancy `[start, occupied_until)`.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// Indices of the movable appointments that are not in place (see the module docs).
fn misplaced(snapshot: &Snapshot) -> Vec<usize> {
    // Per desk: occupancies already accepted there (pinned ones first, as they never move).
    let mut taken: BTreeMap<&DeskId, Vec<Span>> = BTreeMap::new();
    for b in snapshot.appointments.iter().filter(|b| b.pinned) {
        taken
            .entry(&b.desk)
            .or_default()
            .push((b.start, b.occupied_until));
    }
    let mut movable: Vec<usize> = (0..snapshot.appointments.len())
        .filter(|&i| !snapshot.appointments[i].pinned)
        .collect();
    movable.sort_by_key(|&i| {
        let b = &snapshot.appointments[i];
        (b.start, b.occupied_until, b.key.clone())
    });
    let mut out = Vec::new();
    for i in movable {
        let b = &snapshot.appointments[i];
        let desk_ok = snapshot
            .desks
            .iter()
            .find(|d| d.id == b.desk)
            .is_some_and(|d| {
                d.services.contains(&b.service)
                    && d.days.iter().any(|day| {
                        day.open
                            .iter()
                            .any(|iv| iv.start <= b.start && b.occupied_until <= iv.end)
                    })
            });
        let here = taken.entry(&b.desk).or_default();
        let free = here
            .iter()
            .all(|&(s, e)| !(s < b.occupied_until && b.start < e));
        if desk_ok && free {
            here.push((b.start, b.occupied_until));
        } else {
            out.push(i);
        }
    }
    out
}

/// Places an existing appointment again at its own time with the allocator's exact
/// placement, applying the desk moves it needs; gives it back when it fits nowhere.
///
/// The allocator places only services at their candidate starts inside the booking
/// window, so the probe is a copy of the snapshot with one extra service: the
/// appointment's occupancy on a one-minute grid, served by the desks that serve its
/// procedure, with no notice and no horizon, judged from the epoch.
fn insert(snapshot: &mut Snapshot, booked: Booked) -> Result<(), Booked> {
    let seconds = (booked.occupied_until - booked.start).num_seconds();
    let Ok(minutes) = u32::try_from((seconds + 59) / 60) else {
        return Err(booked);
    };
    if minutes == 0 {
        snapshot.appointments.push(booked);
        return Ok(());
    }
    let probe_id = ServiceId::new(PROBE_SERVICE);
    let mut probe = snapshot.clone();
    probe.now = DateTime::UNIX_EPOCH;
    probe.services.push(Service {
        id: probe_id.clone(),
        name: String::new(),
        duration_minutes: minutes,
        buffer_minutes: 0,
        step_minutes: 1,
        min_notice_minutes: 0,
        max_advance_days: u32::MAX,
        max_active_per_citizen: 1,
        max_reschedules: 0,
        releases: Vec::new(),
        pending_draws: Vec::new(),
        cancelled_return_minutes: None,
        no_show_cool_off_days: 0,
        max_cancellations: None,
        cancellations_window_days: 30,
        staff_share: None,
        description: None,
        requirements: Vec::new(),
    });
    for desk in &mut probe.desks {
        if desk.services.contains(&booked.service) {
            desk.services.insert(probe_id.clone());
        }
    }
    let Ok(placement) = Allocator::new(probe).place(&probe_id, booked.start) else {
        return Err(booked);
    };
    for m in &placement.moves {
        if let Some(other) = snapshot.appointments.iter_mut().find(|b| b.key == m.key) {
            other.desk = m.to.clone();
        }
    }
    snapshot.appointments.push(Booked {
        desk: placement.desk,
        ..booked
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::allocator::{DeskDay, DeskSchedule};
    use crate::calendar::Interval;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A desk open 09:00-11:00 UTC on 2027-03-01 (or `open`/`close` when given).
    fn desk(id: &str, services: &[&str], open: &str, close: &str) -> DeskSchedule {
        DeskSchedule {
            id: DeskId::new(id),
            services: services
                .iter()
                .map(|s| ServiceId::new(*s))
                .collect::<BTreeSet<_>>(),
            days: vec![DeskDay {
                date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
                open: vec![
                    Interval::new(
                        at(&format!("2027-03-01T{open}:00Z")),
                        at(&format!("2027-03-01T{close}:00Z")),
                    )
                    .unwrap(),
                ],
            }],
        }
    }

    fn booked(key: &str, service: &str, hm: &str, minutes: i64, desk: &str) -> Booked {
        let start = at(&format!("2027-03-01T{hm}:00Z"));
        Booked {
            key: key.into(),
            service: ServiceId::new(service),
            start,
            occupied_until: start + Duration::minutes(minutes),
            desk: DeskId::new(desk),
            pinned: false,
        }
    }

    fn snapshot(desks: Vec<DeskSchedule>, appointments: Vec<Booked>) -> Snapshot {
        Snapshot {
            timezone: chrono_tz::UTC,
            now: at("2027-03-01T08:00:00Z"),
            services: vec![Service::new("s1", "s1", 15), Service::new("s2", "s2", 30)],
            desks,
            appointments,
        }
    }

    /// Priority by key: "a1" before "a2".
    fn by_key(b: &Booked) -> String {
        b.key.clone()
    }

    #[test]
    fn nothing_changes_when_everything_is_in_place() {
        let snap = snapshot(
            vec![desk("A", &["s1"], "09:00", "11:00")],
            vec![booked("a1", "s1", "09:00", 15, "A")],
        );
        assert_eq!(replan(snap, by_key).unwrap(), Plan::default());
    }

    #[test]
    fn a_removed_desk_moves_its_appointments_where_there_is_room() {
        // B is gone; its 09:00 appointment fits on A, which is free then.
        let snap = snapshot(
            vec![desk("A", &["s1"], "09:00", "11:00")],
            vec![
                booked("a1", "s1", "09:15", 15, "A"),
                booked("b1", "s1", "09:00", 15, "B"),
            ],
        );
        let plan = replan(snap, by_key).unwrap();
        assert!(plan.stranded.is_empty());
        assert_eq!(plan.moves, vec![("b1".to_owned(), DeskId::new("A"))]);
    }

    #[test]
    fn the_later_booked_of_two_competing_appointments_is_stranded() {
        let snap = snapshot(
            vec![desk("A", &["s1"], "09:00", "11:00")],
            vec![
                booked("a1", "s1", "09:00", 15, "A"),
                booked("b1", "s1", "09:00", 15, "B"),
                booked("b2", "s1", "10:00", 15, "B"),
            ],
        );
        let plan = replan(snap, by_key).unwrap();
        assert_eq!(plan.stranded, vec!["b1".to_owned()]);
        assert_eq!(plan.moves, vec![("b2".to_owned(), DeskId::new("A"))]);
    }

    #[test]
    fn a_misplaced_appointment_strands_when_its_only_desk_is_taken() {
        // C is gone and B does not serve s2: b1 and c1 are both misplaced. b1 (first in
        // line) takes B; c1 then needs A, which would mean moving a1 to B, taken by b1.
        let snap = snapshot(
            vec![
                desk("A", &["s1", "s2"], "09:00", "11:00"),
                desk("B", &["s1"], "09:00", "11:00"),
            ],
            vec![
                booked("a1", "s1", "09:00", 15, "A"),
                booked("b1", "s1", "09:00", 15, "C"),
                booked("c1", "s2", "09:00", 30, "B"),
            ],
        );
        let plan = replan(snap, by_key).unwrap();
        assert_eq!(plan.stranded, vec!["c1".to_owned()]);
        let mut moves = plan.moves;
        moves.sort();
        assert_eq!(moves, vec![("b1".to_owned(), DeskId::new("B"))]);
    }

    #[test]
    fn moves_of_in_place_appointments_make_room_when_they_can() {
        // a1 (s1) sits on A, which alone serves s2; the s2 on the removed desk C can only
        // go to A, so a1 moves to B.
        let snap = snapshot(
            vec![
                desk("A", &["s1", "s2"], "09:00", "11:00"),
                desk("B", &["s1"], "09:00", "11:00"),
            ],
            vec![
                booked("a1", "s1", "09:00", 15, "A"),
                booked("c1", "s2", "09:00", 30, "C"),
            ],
        );
        let mut plan = replan(snap, by_key).unwrap();
        plan.moves.sort();
        assert!(plan.stranded.is_empty());
        assert_eq!(
            plan.moves,
            vec![
                ("a1".to_owned(), DeskId::new("B")),
                ("c1".to_owned(), DeskId::new("A")),
            ]
        );
    }

    #[test]
    fn shorter_hours_strand_what_falls_outside() {
        let snap = snapshot(
            vec![desk("A", &["s1"], "09:00", "10:00")],
            vec![
                booked("a1", "s1", "09:00", 15, "A"),
                booked("a2", "s1", "10:30", 15, "A"),
            ],
        );
        let plan = replan(snap, by_key).unwrap();
        assert_eq!(plan.stranded, vec!["a2".to_owned()]);
        assert!(plan.moves.is_empty());
    }

    #[test]
    fn pinned_appointments_are_never_moved_nor_stranded() {
        let mut pinned = booked("p1", "s1", "09:00", 15, "GONE");
        pinned.pinned = true;
        let mut blocking = booked("p2", "s1", "09:00", 15, "A");
        blocking.pinned = true;
        let snap = snapshot(
            vec![desk("A", &["s1"], "09:00", "11:00")],
            vec![pinned, blocking, booked("b1", "s1", "09:00", 15, "B")],
        );
        let plan = replan(snap, by_key).unwrap();
        assert_eq!(plan.stranded, vec!["b1".to_owned()]);
        assert!(plan.moves.is_empty());
    }

    #[test]
    fn priority_decides_who_keeps_a_contested_time() {
        let snap = |order: [&str; 2]| {
            (
                snapshot(
                    vec![desk("A", &["s1"], "09:00", "11:00")],
                    vec![
                        booked("x", "s1", "09:00", 15, "B"),
                        booked("y", "s1", "09:00", 15, "C"),
                    ],
                ),
                order.map(str::to_owned),
            )
        };
        let (s, order) = snap(["y", "x"]);
        let plan = replan(s, |b: &Booked| order.iter().position(|k| *k == b.key)).unwrap();
        assert_eq!(plan.stranded, vec!["x".to_owned()]);
        assert_eq!(plan.moves, vec![("y".to_owned(), DeskId::new("A"))]);
    }
}
