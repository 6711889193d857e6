//! Unit tests of the allocator's contract on small hand-made offices. The randomized
//! comparison with a brute-force oracle lives in `tests/allocator_oracle.rs`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::*;
use crate::calendar::Interval;
use crate::domain::Service;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn service(id: &str, duration: u32) -> Service {
    Service::new(id, id, duration)
}

fn desk(id: &str, services: &[&str], days: &[(&str, &[(&str, &str)])]) -> DeskSchedule {
    DeskSchedule {
        id: DeskId::new(id),
        services: services
            .iter()
            .map(|s| ServiceId::new(*s))
            .collect::<BTreeSet<_>>(),
        days: days
            .iter()
            .map(|(d, open)| DeskDay {
                date: date(d),
                open: open
                    .iter()
                    .map(|(a, b)| Interval::new(at(a), at(b)).unwrap())
                    .collect(),
            })
            .collect(),
    }
}

/// A desk open 09:00-10:00 UTC on 2027-03-01.
fn morning(id: &str, services: &[&str]) -> DeskSchedule {
    desk(
        id,
        services,
        &[(
            "2027-03-01",
            &[("2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z")],
        )],
    )
}

fn booked(key: &str, service: &str, start: &str, minutes: i64, desk: &str) -> Booked {
    Booked {
        key: key.into(),
        service: ServiceId::new(service),
        start: at(start),
        occupied_until: at(start) + Duration::minutes(minutes),
        desk: DeskId::new(desk),
        pinned: false,
    }
}

fn pinned(mut b: Booked) -> Booked {
    b.pinned = true;
    b
}

fn snapshot(
    services: Vec<Service>,
    desks: Vec<DeskSchedule>,
    appointments: Vec<Booked>,
) -> Snapshot {
    Snapshot {
        timezone: Tz::UTC,
        now: at("2027-02-28T12:00:00Z"),
        services,
        desks,
        appointments,
    }
}

fn sid(s: &str) -> ServiceId {
    ServiceId::new(s)
}

fn starts(alloc: &Allocator, s: &str, d: &str) -> Vec<String> {
    alloc
        .candidate_starts(&sid(s), date(d))
        .unwrap()
        .iter()
        .map(|t| t.format("%H:%M").to_string())
        .collect()
}

fn slots(alloc: &Allocator, s: &str, d: &str) -> Vec<(String, u32)> {
    alloc
        .slots(&sid(s), date(d))
        .unwrap()
        .iter()
        .map(|slot| (slot.start.format("%H:%M").to_string(), slot.capacity))
        .collect()
}

fn mv(key: &str, from: &str, to: &str) -> Move {
    Move {
        key: key.into(),
        from: DeskId::new(from),
        to: DeskId::new(to),
    }
}

/// Desk A serves s1 and s2, desk B only s1; an s1 sits on A.
fn greedy_trap(s1_pinned: bool) -> Allocator {
    let s1 = booked("k1", "s1", "2027-03-01T09:00:00Z", 30, "A");
    Allocator::new(snapshot(
        vec![service("s1", 30), service("s2", 30)],
        vec![morning("A", &["s1", "s2"]), morning("B", &["s1"])],
        vec![if s1_pinned { pinned(s1) } else { s1 }],
    ))
}

#[test]
fn greedy_first_free_desk_is_not_enough() {
    let alloc = greedy_trap(false);
    let t = at("2027-03-01T09:00:00Z");
    assert_eq!(alloc.capacity(&sid("s2"), t), Ok(1));
    assert_eq!(alloc.capacity(&sid("s1"), t), Ok(1));
    assert_eq!(
        alloc.place(&sid("s2"), t),
        Ok(Placement {
            desk: DeskId::new("A"),
            moves: vec![mv("k1", "A", "B")],
        })
    );
    assert_eq!(
        slots(&alloc, "s2", "2027-03-01"),
        [("09:00".into(), 1), ("09:30".into(), 1)]
    );
    // A free desk needs no moves.
    assert_eq!(
        alloc.place(&sid("s1"), t),
        Ok(Placement {
            desk: DeskId::new("B"),
            moves: vec![],
        })
    );
    assert_eq!(alloc.check_feasible(), Ok(()));
}

#[test]
fn a_chain_of_moves_is_found() {
    // s2 needs A (held by s1, which can go to B, held by s3, which can go to C).
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30), service("s2", 30), service("s3", 30)],
        vec![
            morning("A", &["s1", "s2"]),
            morning("B", &["s1", "s3"]),
            morning("C", &["s3"]),
        ],
        vec![
            booked("k1", "s1", "2027-03-01T09:00:00Z", 30, "A"),
            booked("k3", "s3", "2027-03-01T09:00:00Z", 30, "B"),
        ],
    ));
    let placement = alloc.place(&sid("s2"), at("2027-03-01T09:00:00Z")).unwrap();
    assert_eq!(placement.desk, DeskId::new("A"));
    assert_eq!(
        placement.moves,
        vec![mv("k1", "A", "B"), mv("k3", "B", "C")]
    );
}

#[test]
fn pinned_appointment_blocks_its_desk() {
    let alloc = greedy_trap(true);
    let t = at("2027-03-01T09:00:00Z");
    assert_eq!(alloc.capacity(&sid("s2"), t), Ok(0));
    assert_eq!(alloc.place(&sid("s2"), t), Err(PlaceError::Full));
    assert_eq!(slots(&alloc, "s2", "2027-03-01"), [("09:30".into(), 1)]);
    assert_eq!(alloc.capacity(&sid("s1"), t), Ok(1));
}

#[test]
fn buffer_blocks_the_desk_after_the_appointment() {
    let mut s = service("s", 20);
    s.buffer_minutes = 10;
    s.step_minutes = 10;
    let alloc = Allocator::new(snapshot(
        vec![s],
        vec![morning("A", &["s"])],
        vec![booked("k", "s", "2027-03-01T09:00:00Z", 30, "A")],
    ));
    // The last start leaves room for duration and buffer before 10:00.
    assert_eq!(
        starts(&alloc, "s", "2027-03-01"),
        ["09:00", "09:10", "09:20", "09:30"]
    );
    assert_eq!(slots(&alloc, "s", "2027-03-01"), [("09:30".into(), 1)]);
    let slot = alloc.slots(&sid("s"), date("2027-03-01")).unwrap()[0];
    assert_eq!(slot.end - slot.start, Duration::minutes(20));
    assert_eq!(
        alloc.place(&sid("s"), at("2027-03-01T09:20:00Z")),
        Err(PlaceError::Full)
    );
}

#[test]
fn min_notice_edge_is_inclusive() {
    let mut s = service("s", 15);
    s.min_notice_minutes = 30;
    let mut snap = snapshot(vec![s], vec![morning("A", &["s"])], vec![]);
    snap.now = at("2027-03-01T09:00:00Z");
    let alloc = Allocator::new(snap);
    assert_eq!(starts(&alloc, "s", "2027-03-01"), ["09:30", "09:45"]);
    assert_eq!(
        alloc.place(&sid("s"), at("2027-03-01T09:15:00Z")),
        Err(PlaceError::OutsideBookingWindow)
    );
    assert_eq!(alloc.capacity(&sid("s"), at("2027-03-01T09:15:00Z")), Ok(0));
    assert_eq!(alloc.capacity(&sid("s"), at("2027-03-01T09:30:00Z")), Ok(1));
}

#[test]
fn max_advance_counts_local_dates() {
    // 23:30 UTC on the 1st is 00:30 on the 2nd in Madrid: "today" is the 2nd.
    let mut s = service("s", 30);
    s.max_advance_days = 1;
    let days: [(&str, &[(&str, &str)]); 3] = [
        (
            "2027-03-02",
            &[("2027-03-02T08:00:00Z", "2027-03-02T09:00:00Z")],
        ),
        (
            "2027-03-03",
            &[("2027-03-03T08:00:00Z", "2027-03-03T09:00:00Z")],
        ),
        (
            "2027-03-04",
            &[("2027-03-04T08:00:00Z", "2027-03-04T09:00:00Z")],
        ),
    ];
    let mut snap = snapshot(vec![s], vec![desk("A", &["s"], &days)], vec![]);
    snap.timezone = chrono_tz::Europe::Madrid;
    snap.now = at("2027-03-01T23:30:00Z");
    let alloc = Allocator::new(snap);
    let counts = alloc
        .days(&sid("s"), date("2027-03-01"), date("2027-03-04"))
        .unwrap();
    let counts: Vec<u32> = counts.iter().map(|c| c.slots).collect();
    assert_eq!(counts, [0, 2, 2, 0]);
    assert_eq!(
        alloc.place(&sid("s"), at("2027-03-04T08:00:00Z")),
        Err(PlaceError::OutsideBookingWindow)
    );
    assert!(alloc.place(&sid("s"), at("2027-03-03T08:30:00Z")).is_ok());
    assert_eq!(
        alloc.days(&sid("s"), date("2027-03-04"), date("2027-03-01")),
        Ok(vec![])
    );
}

#[test]
fn scheduled_releases_close_dates_until_their_instant() {
    // Released on Mondays at 09:00 Madrid time (08:00 UTC in winter), the next day only.
    let mut s = service("s", 30);
    s.releases = vec![crate::domain::Release {
        days: crate::domain::Weekdays::empty().with(chrono::Weekday::Mon),
        at: crate::domain::WallTime::parse("09:00").unwrap(),
        first: 1,
        last: 1,
        draw: None,
        room: None,
    }];
    let days: [(&str, &[(&str, &str)]); 2] = [
        (
            "2027-03-02",
            &[("2027-03-02T08:00:00Z", "2027-03-02T09:00:00Z")],
        ),
        (
            "2027-03-03",
            &[("2027-03-03T08:00:00Z", "2027-03-03T09:00:00Z")],
        ),
    ];
    let mut snap = snapshot(vec![s], vec![desk("A", &["s"], &days)], vec![]);
    snap.timezone = chrono_tz::Europe::Madrid;
    let at_now = |now: &str| {
        let mut snap = snap.clone();
        snap.now = at(now);
        Allocator::new(snap)
    };
    let before = at_now("2027-03-01T07:59:59Z");
    let counts: Vec<u32> = before
        .days(&sid("s"), date("2027-03-02"), date("2027-03-03"))
        .unwrap()
        .iter()
        .map(|c| c.slots)
        .collect();
    assert_eq!(counts, [0, 0]);
    assert_eq!(
        before.place(&sid("s"), at("2027-03-02T08:00:00Z")),
        Err(PlaceError::OutsideBookingWindow)
    );
    assert_eq!(
        before.capacity(&sid("s"), at("2027-03-02T08:00:00Z")),
        Ok(0)
    );
    let after = at_now("2027-03-01T08:00:00Z");
    let counts: Vec<u32> = after
        .days(&sid("s"), date("2027-03-02"), date("2027-03-03"))
        .unwrap()
        .iter()
        .map(|c| c.slots)
        .collect();
    // Tuesday is released; Wednesday would be by a Tuesday release, which there is not.
    assert_eq!(counts, [2, 0]);
    assert!(after.place(&sid("s"), at("2027-03-02T08:30:00Z")).is_ok());
    assert_eq!(
        after.place(&sid("s"), at("2027-03-03T08:00:00Z")),
        Err(PlaceError::OutsideBookingWindow)
    );
}

#[test]
fn step_shorter_than_duration_gives_overlapping_starts() {
    let mut s = service("s", 30);
    s.step_minutes = 10;
    let alloc = Allocator::new(snapshot(
        vec![s],
        vec![morning("A", &["s"]), morning("B", &["s"])],
        vec![booked("k", "s", "2027-03-01T09:10:00Z", 30, "A")],
    ));
    assert_eq!(
        starts(&alloc, "s", "2027-03-01"),
        ["09:00", "09:10", "09:20", "09:30"]
    );
    // 09:00-09:30, 09:10-09:40 and 09:20-09:50 overlap k; 09:30 does too on A, not on B.
    assert_eq!(
        slots(&alloc, "s", "2027-03-01"),
        [
            ("09:00".into(), 1),
            ("09:10".into(), 1),
            ("09:20".into(), 1),
            ("09:30".into(), 1)
        ]
    );
    let alloc = Allocator::new(snapshot(
        vec![{
            let mut s = service("s", 30);
            s.step_minutes = 10;
            s
        }],
        vec![morning("A", &["s"]), morning("B", &["s"])],
        vec![
            booked("k1", "s", "2027-03-01T09:10:00Z", 30, "A"),
            booked("k2", "s", "2027-03-01T09:20:00Z", 30, "B"),
        ],
    ));
    assert_eq!(
        slots(&alloc, "s", "2027-03-01"),
        Vec::<(String, u32)>::new()
    );
}

#[test]
fn a_start_off_the_grid_is_not_a_candidate() {
    let alloc = greedy_trap(false);
    let s1 = sid("s1");
    for t in [
        "2027-03-01T09:10:00Z",
        "2027-03-01T09:00:01Z",
        "2027-03-01T08:30:00Z",
    ] {
        assert_eq!(
            alloc.place(&s1, at(t)),
            Err(PlaceError::NotACandidateStart),
            "{t}"
        );
        assert_eq!(alloc.capacity(&s1, at(t)), Ok(0));
    }
    let half_second = at("2027-03-01T09:00:00Z") + Duration::milliseconds(500);
    assert_eq!(
        alloc.place(&s1, half_second),
        Err(PlaceError::NotACandidateStart)
    );
    assert_eq!(alloc.capacity(&s1, half_second), Ok(0));
    // The last start must leave room for the whole occupancy.
    assert_eq!(
        alloc.place(&s1, at("2027-03-01T10:00:00Z")),
        Err(PlaceError::NotACandidateStart)
    );
}

#[test]
fn errors_are_checked_in_order() {
    let mut s = service("s", 30);
    s.min_notice_minutes = 60;
    let mut snap = snapshot(vec![s], vec![morning("A", &["s"])], vec![]);
    snap.now = at("2027-03-01T09:00:00Z");
    let alloc = Allocator::new(snap);
    let off_grid_early = at("2027-03-01T09:05:00Z");
    assert_eq!(
        alloc.place(&sid("nope"), off_grid_early),
        Err(PlaceError::UnknownService(sid("nope")))
    );
    assert_eq!(
        alloc.place(&sid("s"), off_grid_early),
        Err(PlaceError::OutsideBookingWindow)
    );
    assert_eq!(
        alloc.slots(&sid("nope"), date("2027-03-01")),
        Err(AllocError::UnknownService(sid("nope")))
    );
    assert!(
        alloc
            .days(&sid("nope"), date("2027-03-01"), date("2027-03-01"))
            .is_err()
    );
    assert!(
        alloc
            .candidate_starts(&sid("nope"), date("2027-03-01"))
            .is_err()
    );
    assert!(alloc.capacity(&sid("nope"), off_grid_early).is_err());
}

#[test]
fn dst_day_of_23_hours_steps_in_real_time() {
    // Madrid, Sunday 2027-03-28: local midnight to midnight is 23 real hours.
    let mut snap = snapshot(
        vec![service("s", 60)],
        vec![desk(
            "A",
            &["s"],
            &[(
                "2027-03-28",
                &[("2027-03-27T23:00:00Z", "2027-03-28T22:00:00Z")],
            )],
        )],
        vec![],
    );
    snap.timezone = chrono_tz::Europe::Madrid;
    let alloc = Allocator::new(snap);
    let got = alloc
        .candidate_starts(&sid("s"), date("2027-03-28"))
        .unwrap();
    assert_eq!(got.len(), 23);
    for pair in got.windows(2) {
        assert_eq!(pair[1] - pair[0], Duration::hours(1));
    }
    assert_eq!(got[22], at("2027-03-28T21:00:00Z"));
    let wall: Vec<String> = got[..4]
        .iter()
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::Madrid)
                .format("%H:%M")
                .to_string()
        })
        .collect();
    assert_eq!(wall, ["00:00", "01:00", "03:00", "04:00"]);
    assert_eq!(
        alloc
            .days(&sid("s"), date("2027-03-28"), date("2027-03-28"))
            .unwrap()[0]
            .slots,
        23
    );
}

#[test]
fn intervals_restart_their_own_grid() {
    let mut s = service("s", 30);
    s.step_minutes = 45;
    let alloc = Allocator::new(snapshot(
        vec![s],
        vec![desk(
            "A",
            &["s"],
            &[(
                "2027-03-01",
                &[
                    ("2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z"),
                    ("2027-03-01T10:10:00Z", "2027-03-01T11:00:00Z"),
                ],
            )],
        )],
        vec![],
    ));
    assert_eq!(starts(&alloc, "s", "2027-03-01"), ["09:00", "10:10"]);
}

#[test]
fn capacity_counts_desks_exactly() {
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30), service("s2", 30)],
        vec![
            morning("A", &["s1", "s2"]),
            morning("B", &["s1"]),
            morning("C", &["s1", "s2"]),
        ],
        vec![booked("k", "s2", "2027-03-01T09:00:00Z", 30, "A")],
    ));
    let t = at("2027-03-01T09:00:00Z");
    assert_eq!(alloc.capacity(&sid("s1"), t), Ok(2));
    assert_eq!(alloc.capacity(&sid("s2"), t), Ok(1));
    assert_eq!(
        alloc.capacity(&sid("s1"), at("2027-03-01T09:30:00Z")),
        Ok(3)
    );
}

#[test]
fn stranded_appointment_keeps_blocking_its_desk() {
    // k's service is no longer offered by any desk: it stays on A and is reported.
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30), service("gone", 30)],
        vec![morning("A", &["s1"]), morning("B", &["s1"])],
        vec![booked("k", "gone", "2027-03-01T09:00:00Z", 30, "A")],
    ));
    let t = at("2027-03-01T09:00:00Z");
    assert_eq!(alloc.capacity(&sid("s1"), t), Ok(1));
    assert_eq!(alloc.place(&sid("s1"), t).unwrap().desk, DeskId::new("B"));
    assert_eq!(
        alloc.check_feasible(),
        Err(Infeasible {
            keys: vec!["k".into()]
        })
    );
}

#[test]
fn appointments_on_unknown_desks_occupy_nothing_when_they_cannot_move() {
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30)],
        vec![morning("A", &["s1"])],
        vec![
            pinned(booked("p", "s1", "2027-03-01T09:00:00Z", 30, "gone")),
            booked("m", "unknown", "2027-03-01T09:00:00Z", 30, "gone"),
        ],
    ));
    assert_eq!(
        alloc.capacity(&sid("s1"), at("2027-03-01T09:00:00Z")),
        Ok(1)
    );
    // A movable one on a removed desk still needs a desk and gets moved.
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30)],
        vec![morning("A", &["s1"]), morning("B", &["s1"])],
        vec![booked("m", "s1", "2027-03-01T09:00:00Z", 30, "gone")],
    ));
    let placement = alloc.place(&sid("s1"), at("2027-03-01T09:00:00Z")).unwrap();
    assert_eq!(placement.desk, DeskId::new("B"));
    assert_eq!(placement.moves, vec![mv("m", "gone", "A")]);
    assert_eq!(
        alloc.capacity(&sid("s1"), at("2027-03-01T09:00:00Z")),
        Ok(1)
    );
}

#[test]
fn an_invalid_current_assignment_is_repaired_in_the_answer() {
    // Two s1 on A at once: one must go to B, and a new s1 then takes C.
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30)],
        vec![
            morning("A", &["s1"]),
            morning("B", &["s1"]),
            morning("C", &["s1"]),
        ],
        vec![
            booked("k1", "s1", "2027-03-01T09:00:00Z", 30, "A"),
            booked("k2", "s1", "2027-03-01T09:00:00Z", 30, "A"),
        ],
    ));
    assert_eq!(alloc.check_feasible(), Ok(()));
    assert_eq!(
        alloc.capacity(&sid("s1"), at("2027-03-01T09:00:00Z")),
        Ok(1)
    );
    assert_eq!(
        alloc.place(&sid("s1"), at("2027-03-01T09:00:00Z")),
        Ok(Placement {
            desk: DeskId::new("C"),
            moves: vec![mv("k2", "A", "B")],
        })
    );
}

#[test]
fn an_infeasible_cluster_is_reported_and_blocks_only_its_time() {
    let alloc = Allocator::new(snapshot(
        vec![service("s1", 30)],
        vec![morning("A", &["s1"])],
        vec![
            booked("k2", "s1", "2027-03-01T09:00:00Z", 30, "A"),
            booked("k1", "s1", "2027-03-01T09:00:00Z", 30, "A"),
        ],
    ));
    assert_eq!(
        alloc.check_feasible(),
        Err(Infeasible {
            keys: vec!["k1".into(), "k2".into()]
        })
    );
    assert_eq!(slots(&alloc, "s1", "2027-03-01"), [("09:30".into(), 1)]);
}

#[test]
fn a_closed_or_unknown_date_has_no_slots() {
    let alloc = greedy_trap(false);
    let counts = alloc
        .days(&sid("s1"), date("2027-02-28"), date("2027-03-02"))
        .unwrap();
    assert_eq!(
        counts,
        vec![
            DayCount {
                date: date("2027-02-28"),
                slots: 0
            },
            DayCount {
                date: date("2027-03-01"),
                slots: 2
            },
            DayCount {
                date: date("2027-03-02"),
                slots: 0
            },
        ]
    );
}
