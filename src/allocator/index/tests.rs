use super::{Instants, instant};

proptest::proptest! {
    /// The per-day shortcut gives chrono's instants, for runs of nearby seconds in any
    /// order, across midnights and before 1970.
    #[test]
    fn instants_agree_with_chrono(
        base in -4_000_000_000i64..4_000_000_000,
        offsets in proptest::collection::vec(-200_000i64..200_000, 1..40),
    ) {
        let mut instants = Instants::default();
        for offset in offsets {
            let secs = base + offset;
            proptest::prop_assert_eq!(instants.at(secs), instant(secs));
        }
    }
}

#[test]
fn instants_beyond_chrono_are_none() {
    let mut instants = Instants::default();
    assert_eq!(instants.at(i64::MAX), None);
    assert_eq!(instants.at(i64::MIN), None);
    assert!(instants.at(0).is_some());
    assert_eq!(instants.at(i64::MAX), None);
}
