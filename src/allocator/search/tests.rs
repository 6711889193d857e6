use super::*;

fn task(start: i64, end: i64, allowed: DeskSet) -> Task {
    Task::bare(start, end, allowed, false)
}

fn valid(tasks: &[Task], desks: &[u8]) -> bool {
    tasks.iter().zip(desks).enumerate().all(|(i, (t, &d))| {
        bits::has(t.allowed, usize::from(d))
            && tasks
                .iter()
                .zip(desks)
                .enumerate()
                .all(|(j, (u, &e))| i == j || d != e || u.end <= t.start || t.end <= u.start)
    })
}

#[test]
fn chain_needs_backtracking_beyond_one_instant() {
    // Desk 0 serves everything, desk 1 only "a" tasks. The long a-task must take desk
    // 1 although desk 0 is free when it starts.
    let tasks = vec![task(0, 100, 0b11), task(10, 20, 0b01), task(30, 40, 0b01)];
    let Outcome::Found(desks) = solve(&tasks, None, None) else {
        panic!("feasible")
    };
    assert!(valid(&tasks, &desks));
    assert_eq!(desks[0], 1);
}

#[test]
fn proves_infeasible() {
    let tasks = vec![task(0, 10, 0b01), task(5, 15, 0b01)];
    assert_eq!(solve(&tasks, None, None), Outcome::Infeasible);
    let tasks = vec![
        task(0, 10, 0b11),
        task(0, 10, 0b11),
        task(5, 8, 0b110),
        task(9, 12, 0b100),
    ];
    assert!(matches!(solve(&tasks, None, None), Outcome::Found(_)));
}

/// Plain backtracking over every desk for every task (the reference the searches
/// are checked against, here and in `sweep`).
pub(in crate::allocator) fn brute(tasks: &[Task], desks: &mut Vec<u8>) -> bool {
    let i = desks.len();
    if i == tasks.len() {
        return true;
    }
    for d in bits::iter(tasks[i].allowed) {
        let d = d as u8;
        let clash = (0..i).any(|j| {
            desks[j] == d && tasks[j].start < tasks[i].end && tasks[i].start < tasks[j].end
        });
        if !clash {
            desks.push(d);
            if brute(tasks, desks) {
                return true;
            }
            desks.pop();
        }
    }
    false
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    #[test]
    fn search_agrees_with_backtracking(
        raw in proptest::collection::vec((0..16i64, 1..7i64, 1..256u128, 0..8u8), 0..15),
        copies in (0..12i64, 1..6i64, 1..256u128, 0..4usize),
    ) {
        let mut tasks: Vec<Task> = raw
            .iter()
            .map(|&(s, l, a, p)| Task { start: s, end: s + l, allowed: a, pref: Some(p), near: a & 0b1010, copy: false })
            .collect();
        let (cs, cl, ca, k) = copies;
        for _ in 0..k {
            tasks.push(Task { start: cs, end: cs + cl, allowed: ca, pref: None, near: if k == 1 { ca & 0b0110 } else { 0 }, copy: true });
        }
        tasks.sort_by_key(|t| (t.start, t.end, t.copy));
        let expected = brute(&tasks, &mut Vec::new());
        let got = solve(&tasks, None, None);
        proptest::prop_assert_eq!(matches!(got, Outcome::Found(_)), expected);
        if let Outcome::Found(desks) = got {
            proptest::prop_assert!(valid(&tasks, &desks));
        }
    }
}

#[test]
fn matching_handles_augmenting_paths() {
    let mut owner = [NONE; MAX_DESKS];
    assert!(perfect_matching(&[0b11, 0b01], &mut owner));
    assert!(perfect_matching(&[0b011, 0b110, 0b001], &mut owner));
    assert!(!perfect_matching(&[0b01, 0b01], &mut owner));
    assert!(!perfect_matching(&[0b11, 0b11, 0b11], &mut owner));
}
