use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::allocator::{DeskDay, DeskSchedule};
use crate::calendar::Interval;
use crate::domain::{DeskId, Service};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn entry(n: usize, priority: bool, from: &str, to: &str, part: PartOfDay) -> Entry {
    Entry {
        entry_hash: entry_hash(&format!("salt{n}"), "dni", &format!("{n:08}Z")),
        priority,
        from: date(from),
        to: date(to),
        part,
    }
}

/// One desk serving `s` (30 minutes) in Madrid, open on 2027-03-15 and 03-16 from 09:00
/// to 10:00 and from 15:00 to 16:00 local (08:00 and 14:00 UTC): four starts a day, two
/// in the morning and two in the afternoon.
fn office() -> Snapshot {
    let day = |d: &str| DeskDay {
        date: date(d),
        open: vec![
            Interval::new(at(&format!("{d}T08:00:00Z")), at(&format!("{d}T09:00:00Z"))).unwrap(),
            Interval::new(at(&format!("{d}T14:00:00Z")), at(&format!("{d}T15:00:00Z"))).unwrap(),
        ],
    };
    Snapshot {
        timezone: chrono_tz::Europe::Madrid,
        now: at("2027-03-01T08:00:00Z"),
        services: vec![Service::new("s", "s", 30)],
        desks: vec![DeskSchedule {
            id: DeskId::new("A"),
            services: BTreeSet::from([ServiceId::new("s")]),
            days: vec![day("2027-03-15"), day("2027-03-16")],
        }],
        appointments: vec![],
    }
}

const DATES: (&str, &str) = ("2027-03-15", "2027-03-16");

fn dates() -> (NaiveDate, NaiveDate) {
    (date(DATES.0), date(DATES.1))
}

#[test]
fn the_order_is_a_permutation_fixed_by_the_seed_with_priority_first() {
    let entries: Vec<Entry> = (0..20)
        .map(|n| entry(n, n % 7 == 3, DATES.0, DATES.1, PartOfDay::Any))
        .collect();
    let first = order("seed-one", &entries);
    assert_eq!(first, order("seed-one", &entries), "same seed, same order");
    assert_ne!(
        first,
        order("seed-two", &entries),
        "another seed, another order"
    );
    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..20).collect::<Vec<_>>());
    // Entries 3, 10 and 17 have priority: they come first, in some order.
    let mut head = first[..3].to_vec();
    head.sort_unstable();
    assert_eq!(head, vec![3, 10, 17]);
    // The order is the one the contract states, recomputable with sha256sum.
    let mut rest: Vec<(String, usize)> = (0..20)
        .filter(|n| n % 7 != 3)
        .map(|n| {
            (
                sha256_hex(&format!("seed-one:{}", entries[n].entry_hash)),
                n,
            )
        })
        .collect();
    rest.sort();
    assert_eq!(
        first[3..].to_vec(),
        rest.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
    );
}

#[test]
fn every_entry_is_equally_likely_to_come_first() {
    // Over 4,000 seeds, each of 4 entries should come first about 1,000 times: a
    // chi-square of 3 degrees of freedom above 16.3 has a chance of 0.1 % (the seeds are
    // fixed, so the test is deterministic).
    let entries: Vec<Entry> = (0..4)
        .map(|n| entry(n, false, DATES.0, DATES.1, PartOfDay::Any))
        .collect();
    let mut firsts = [0u32; 4];
    for seed in 0..4000 {
        firsts[order(&format!("{seed}"), &entries)[0]] += 1;
    }
    let chi: f64 = firsts
        .iter()
        .map(|&n| (f64::from(n) - 1000.0).powi(2) / 1000.0)
        .sum();
    assert!(chi < 16.3, "{firsts:?}");
}

#[test]
fn each_entry_in_turn_gets_the_earliest_start_that_fits_its_wishes() {
    let entries = vec![
        entry(0, false, DATES.0, DATES.1, PartOfDay::Any),
        entry(1, false, DATES.0, DATES.1, PartOfDay::Afternoon),
        entry(2, false, "2027-03-16", "2027-03-16", PartOfDay::Morning),
        entry(3, false, DATES.0, DATES.0, PartOfDay::Morning),
        entry(4, false, DATES.0, DATES.0, PartOfDay::Morning),
        entry(5, false, "2027-03-17", "2027-03-20", PartOfDay::Any),
    ];
    // Drawn in the order written.
    let drawn: Vec<usize> = (0..entries.len()).collect();
    let got = assign(
        office(),
        &ServiceId::new("s"),
        dates(),
        &entries,
        &drawn,
        &BTreeMap::new(),
    );
    assert_eq!(
        got,
        vec![
            Some(at("2027-03-15T08:00:00Z")),
            Some(at("2027-03-15T14:00:00Z")),
            Some(at("2027-03-16T08:00:00Z")),
            Some(at("2027-03-15T08:30:00Z")),
            // 03-15's two morning starts are gone.
            None,
            // Outside the released dates.
            None,
        ]
    );
    // Another order, another winner of the first start.
    let got = assign(
        office(),
        &ServiceId::new("s"),
        dates(),
        &entries,
        &[3, 0, 4],
        &BTreeMap::new(),
    );
    assert_eq!(got[3], Some(at("2027-03-15T08:00:00Z")));
    assert_eq!(got[0], Some(at("2027-03-15T08:30:00Z")));
    assert_eq!(got[4], None, "03-15's mornings went to the two before");
}

#[test]
fn the_draw_never_gives_more_than_the_office_holds() {
    let entries: Vec<Entry> = (0..30)
        .map(|n| entry(n, false, DATES.0, DATES.1, PartOfDay::Any))
        .collect();
    let drawn = order("seed", &entries);
    let got = assign(
        office(),
        &ServiceId::new("s"),
        dates(),
        &entries,
        &drawn,
        &BTreeMap::new(),
    );
    let given: Vec<DateTime<Utc>> = got.iter().flatten().copied().collect();
    assert_eq!(given.len(), 8, "two dates of four starts");
    let distinct: BTreeSet<_> = given.iter().collect();
    assert_eq!(distinct.len(), 8);
    // The first eight drawn got them, in time order.
    for (rank, &ix) in drawn.iter().enumerate() {
        assert_eq!(got[ix].is_some(), rank < 8, "rank {rank}");
    }
    // With an appointment already at 08:00 on 03-15, one fewer.
    let mut busy = office();
    busy.appointments.push(crate::allocator::Booked {
        key: "a1".into(),
        service: ServiceId::new("s"),
        start: at("2027-03-15T08:00:00Z"),
        occupied_until: at("2027-03-15T08:00:00Z") + Duration::minutes(30),
        desk: DeskId::new("A"),
        pinned: false,
    });
    let got = assign(
        busy,
        &ServiceId::new("s"),
        dates(),
        &entries,
        &drawn,
        &BTreeMap::new(),
    );
    assert_eq!(got.iter().flatten().count(), 7);
    assert!(!got.contains(&Some(at("2027-03-15T08:00:00Z"))));
}

#[test]
fn the_published_supply_gives_the_same_answers_as_the_snapshot() {
    let mut snapshot = office();
    snapshot.appointments.push(crate::allocator::Booked {
        key: "appt:secret-id".into(),
        service: ServiceId::new("s"),
        start: at("2027-03-16T14:00:00Z"),
        occupied_until: at("2027-03-16T14:30:00Z"),
        desk: DeskId::new("A"),
        pinned: true,
    });
    let supply = Supply::of(&snapshot);
    let json = serde_json::to_string(&supply).unwrap();
    assert!(
        !json.contains("secret-id"),
        "appointment ids are not published"
    );
    let back: Supply = serde_json::from_str(&json).unwrap();
    let again = back.snapshot().unwrap();
    let service = ServiceId::new("s");
    for d in ["2027-03-15", "2027-03-16"] {
        assert_eq!(
            Allocator::new(snapshot.clone()).slots(&service, date(d)),
            Allocator::new(again.clone()).slots(&service, date(d))
        );
    }
    let bad = json.replace("Europe/Madrid", "Europe/Nowhere");
    let bad: Supply = serde_json::from_str(&bad).unwrap();
    assert_eq!(
        bad.snapshot(),
        Err(SupplyError::UnknownZone("Europe/Nowhere".into()))
    );
}

#[test]
fn a_date_gives_the_public_no_more_than_its_places() {
    let entries: Vec<Entry> = (0..30)
        .map(|n| entry(n, false, DATES.0, DATES.1, PartOfDay::Any))
        .collect();
    let drawn = order("seed", &entries);
    let first = date(DATES.0);
    let places = BTreeMap::from([(first, 1)]);
    let got = assign(
        office(),
        &ServiceId::new("s"),
        dates(),
        &entries,
        &drawn,
        &places,
    );
    let on_first = got
        .iter()
        .flatten()
        .filter(|s| s.date_naive() == first)
        .count();
    assert_eq!(on_first, 1, "one public place on the first date");
    assert_eq!(
        got.iter().flatten().count(),
        1 + 4,
        "the second date unlimited"
    );
    let none = BTreeMap::from([(first, 0)]);
    let got = assign(
        office(),
        &ServiceId::new("s"),
        dates(),
        &entries,
        &drawn,
        &none,
    );
    assert!(got.iter().flatten().all(|s| s.date_naive() != first));
}
