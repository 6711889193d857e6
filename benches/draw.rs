//! What a release draw's pure part costs, next to a baseline measured in the same run:
//!
//! - `slots_week`: building the allocator over the week a draw gives out and asking the
//!   free times of its five days: what one availability answer costs;
//! - `order_5000`: putting 5,000 entries in the seeded order (a SHA-256 each, a sort);
//! - `assign_5000_for_300`: giving 300 times (3 desks, 09:00-14:00 and 16:00-18:00
//!   Europe/Madrid, 15 minutes, Monday to Friday minus the afternoons' two hours: 420
//!   starts, 300 left free by existing appointments) to 5,000 entries, most of them
//!   wanting any time of the week, some a morning or an afternoon, some one day.
//!
//! The dates a draw gives out stay closed until it has run, so `assign` is time every
//! entrant waits for; compare its median with `slots_week`'s.
//!
//! ```sh
//! cargo bench --bench draw
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::hint::black_box;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Madrid;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use cita::allocator::{Allocator, Booked, DeskDay, DeskSchedule, Snapshot};
use cita::calendar::Interval;
use cita::domain::{DeskId, Service, ServiceId};
use cita::draw::{Entry, PartOfDay, assign, entry_hash, order};

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 15).unwrap()
}

fn friday() -> NaiveDate {
    monday().checked_add_days(Days::new(4)).unwrap()
}

fn local(date: NaiveDate, h: u32) -> DateTime<Utc> {
    Madrid
        .with_ymd_and_hms(date.year(), date.month(), date.day(), h, 0, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The week's supply: 3 desks × 5 days × 28 starts = 420, of which 120 are taken
/// (chosen with a fixed seed), leaving 300.
fn supply() -> Snapshot {
    let days: Vec<NaiveDate> = monday().iter_days().take(5).collect();
    let desks: Vec<DeskSchedule> = (0..3)
        .map(|d| DeskSchedule {
            id: DeskId::new(format!("d{d}")),
            services: BTreeSet::from([ServiceId::new("s")]),
            days: days
                .iter()
                .map(|&date| DeskDay {
                    date,
                    open: vec![
                        Interval::new(local(date, 9), local(date, 14)).unwrap(),
                        Interval::new(local(date, 16), local(date, 18)).unwrap(),
                    ],
                })
                .collect(),
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(18);
    let mut taken = BTreeSet::new();
    while taken.len() < 120 {
        let day = days[rng.random_range(0..5)];
        let desk = rng.random_range(0..3);
        let slot = rng.random_range(0..28);
        taken.insert((day, desk, slot));
    }
    let appointments = taken
        .into_iter()
        .enumerate()
        .map(|(i, (day, desk, slot))| {
            let start = if slot < 20 {
                local(day, 9) + chrono::Duration::minutes(15 * slot)
            } else {
                local(day, 16) + chrono::Duration::minutes(15 * (slot - 20))
            };
            Booked {
                key: format!("a{i}"),
                service: ServiceId::new("s"),
                start,
                occupied_until: start + chrono::Duration::minutes(15),
                desk: DeskId::new(format!("d{desk}")),
                pinned: false,
            }
        })
        .collect();
    Snapshot {
        timezone: Madrid,
        now: local(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), 9),
        services: vec![Service::new("s", "s", 15)],
        desks,
        appointments,
    }
}

fn entries() -> Vec<Entry> {
    let mut rng = StdRng::seed_from_u64(5000);
    (0..5000)
        .map(|n| {
            let (from, to) = if rng.random_bool(0.2) {
                let day = monday()
                    .checked_add_days(Days::new(rng.random_range(0..5)))
                    .unwrap();
                (day, day)
            } else {
                (monday(), friday())
            };
            let part = match rng.random_range(0..10) {
                0 => PartOfDay::Morning,
                1 => PartOfDay::Afternoon,
                _ => PartOfDay::Any,
            };
            Entry {
                entry_hash: entry_hash(&format!("salt{n}"), "dni", &format!("{n:08}")),
                priority: n % 50 == 0,
                from,
                to,
                part,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let snapshot = supply();
    let entries = entries();
    let service = ServiceId::new("s");
    let drawn = order("seed", &entries);
    let no_limits = std::collections::BTreeMap::new();
    let given = assign(
        snapshot.clone(),
        &service,
        (monday(), friday()),
        &entries,
        &drawn,
        &no_limits,
    );
    assert_eq!(given.iter().flatten().count(), 300, "every free time given");

    let mut group = c.benchmark_group("draw");
    group.sample_size(20);
    group.bench_function("slots_week", |b| {
        b.iter(|| {
            let allocator = Allocator::new(snapshot.clone());
            for date in monday().iter_days().take(5) {
                black_box(allocator.slots(&service, date).unwrap());
            }
        })
    });
    group.bench_function("order_5000", |b| {
        b.iter(|| black_box(order(black_box("seed"), &entries)))
    });
    group.bench_function("assign_5000_for_300", |b| {
        b.iter(|| {
            black_box(assign(
                snapshot.clone(),
                &service,
                (monday(), friday()),
                &entries,
                &drawn,
                &no_limits,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
