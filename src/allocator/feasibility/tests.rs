//! The proof a walk carries from one start to the next: when it applies, and when a
//! shortened relaxation proves "no" for later starts too.

use super::super::search::Task;
use super::Probe;
use super::hint::Proof;
use super::staged::shifted_proof;

fn probe(t: i64, end: i64, allowed: u128) -> Probe {
    Probe {
        t,
        end,
        allowed,
        free: 0,
        lo: 0,
        hi: 0,
        feasible: true,
    }
}

fn task(start: i64, end: i64, allowed: u128, copy: bool) -> Task {
    Task::bare(start, end, allowed, copy)
}

#[test]
fn a_proof_covers_only_questions_containing_it() {
    let proof = Proof {
        k: 2,
        start: 600,
        end: 2700,
        allowed: 0b111,
    };
    // The start it was proven for, and the later ones whose copies still cover its span.
    assert!(proof.covers(&probe(0, 2700, 0b111), 2));
    assert!(proof.covers(&probe(300, 3000, 0b111), 2));
    assert!(proof.covers(&probe(600, 3300, 0b111), 2));
    // More copies or fewer desks only add constraints.
    assert!(proof.covers(&probe(600, 3300, 0b111), 3));
    assert!(proof.covers(&probe(600, 3300, 0b011), 2));
    // Not contained: the copies miss part of its span, are fewer, or may use another desk.
    assert!(!proof.covers(&probe(900, 3600, 0b111), 2));
    assert!(!proof.covers(&probe(0, 2400, 0b111), 2));
    assert!(!proof.covers(&probe(600, 3300, 0b111), 1));
    assert!(!proof.covers(&probe(600, 3300, 0b1111), 2));
}

#[test]
fn a_shortened_relaxation_proves_later_starts_only_when_infeasible() {
    // Two desks; two items that need both until `busy_until`; one copy at [0, 1800).
    let relaxed = |busy_until: i64| {
        vec![
            task(0, 1800, 0b11, true),
            task(0, busy_until, 0b11, false),
            task(0, busy_until, 0b11, false),
        ]
    };
    let at = probe(0, 1800, 0b11);
    // Busy past both shifts: the copies shortened by 10 minutes still clash.
    let proof = shifted_proof(&at, 1, &relaxed(900), 1000);
    assert_eq!(
        proof,
        Some(Proof {
            k: 1,
            start: 600,
            end: 1800,
            allowed: 0b11,
        })
    );
    // Busy for 8 minutes: only the 5-minute shift clashes.
    let proof = shifted_proof(&at, 1, &relaxed(480), 1000);
    assert_eq!(proof.map(|p| p.start), Some(300));
    let proof = proof.unwrap();
    assert!(proof.covers(&probe(300, 2100, 0b11), 1));
    assert!(!proof.covers(&probe(600, 2400, 0b11), 1));
    // Busy for 4 minutes: a copy starting 5 minutes later fits, so nothing is proven
    // for later starts (the start itself stays "no" by the original relaxation).
    assert_eq!(shifted_proof(&at, 1, &relaxed(240), 1000), None);
}
