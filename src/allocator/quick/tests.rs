use super::*;
use crate::allocator::search::Task;
use crate::allocator::search::tests::brute;

fn valid(jobs: &Jobs, desks: &[u8]) -> bool {
    let n = jobs.len;
    (0..n).all(|i| {
        bits::has(jobs.allowed[i], usize::from(desks[i]))
            && (0..n).all(|j| {
                i == j
                    || desks[i] != desks[j]
                    || jobs.end[j] <= jobs.start[i]
                    || jobs.end[i] <= jobs.start[j]
            })
    })
}

#[test]
fn a_long_job_leaves_the_desk_only_it_can_use() {
    // Desk 0 serves everything, desk 1 only the long job: the long job must move.
    let mut jobs = Jobs::new();
    assert!(jobs.push(0, 100, 0b11, Some(0), false));
    assert!(jobs.push(10, 20, 0b01, Some(0), false));
    let mut assign = [0; MAX_JOBS];
    assert_eq!(solve(&jobs, None, 100, &mut assign), Verdict::Yes);
    assert_eq!(&assign[..2], &[1, 0]);
    let mut jobs = Jobs::new();
    jobs.push(0, 10, 0b01, None, true);
    jobs.push(0, 10, 0b01, None, true);
    assert_eq!(solve(&jobs, Some((0, 10)), 100, &mut assign), Verdict::No);
    assert_eq!(solve(&jobs, None, 100, &mut assign), Verdict::No);
}

#[test]
fn too_many_jobs_or_unsorted_input_is_left_to_the_caller() {
    let mut jobs = Jobs::new();
    for _ in 0..MAX_JOBS {
        assert!(jobs.push(0, 1, 1, None, false));
    }
    assert!(!jobs.push(0, 1, 1, None, false));
    let mut jobs = Jobs::new();
    jobs.push(5, 6, 1, None, false);
    jobs.push(0, 1, 1, None, false);
    let mut assign = [0; MAX_JOBS];
    assert_eq!(solve(&jobs, None, 100, &mut assign), Verdict::GaveUp);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    #[test]
    fn quick_agrees_with_backtracking(
        raw in proptest::collection::vec((0..16i64, 1..7i64, 1..64u128, 0..8u8), 0..15),
        copies in (0..12i64, 1..6i64, 1..64u128, 0..4usize),
        focus in proptest::bool::ANY,
    ) {
        let mut tasks: Vec<Task> = raw
            .iter()
            .map(|&(s, l, a, p)| Task { start: s, end: s + l, allowed: a, pref: Some(p), near: 0, copy: false })
            .collect();
        let (cs, cl, ca, k) = copies;
        for _ in 0..k {
            tasks.push(Task { start: cs, end: cs + cl, allowed: ca, pref: None, near: 0, copy: true });
        }
        // Copies first among equal starts, as the allocator inserts them.
        tasks.sort_by_key(|t| (t.start, !t.copy));
        let mut jobs = Jobs::new();
        for t in &tasks {
            proptest::prop_assert!(jobs.push(t.start, t.end, t.allowed, t.pref, t.copy));
        }
        let expected = brute(&tasks, &mut Vec::new());
        let mut assign = [0; MAX_JOBS];
        // Hall's condition at the copies' instants is necessary, so it may run first
        // whatever the focus (a copy-free input has an empty focus).
        let focus = (focus && k > 0).then_some((cs, cs + cl));
        let got = solve(&jobs, focus, u32::MAX, &mut assign);
        proptest::prop_assert_eq!(got == Verdict::Yes, expected);
        proptest::prop_assert!(got != Verdict::GaveUp);
        if got == Verdict::Yes {
            proptest::prop_assert!(valid(&jobs, &assign[..tasks.len()]));
        }
    }
}
