use chrono_tz::Europe::Madrid;

use super::*;
use crate::calendar::test_support::*;

/// Regular weekday mornings, summer mornings earlier (the DESIGN §7 example).
fn summer_office() -> Office {
    office(
        Madrid,
        vec![
            rule("mon-fri", "09:00", "14:00"),
            seasonal("mon-fri", "08:00", "13:00", "07-01", "08-31"),
        ],
    )
}

#[test]
fn summer_hours_replace_regular_hours_inside_the_season_only() {
    let o = summer_office();
    // Tuesday 2026-06-30: regular.
    assert_eq!(
        office_local_hours(&o, date(2026, 6, 30)),
        vec![iv("09:00", "14:00")]
    );
    // Wednesday 2026-07-01 (first day, inclusive) and Monday 2026-08-31 (last day).
    assert_eq!(
        office_local_hours(&o, date(2026, 7, 1)),
        vec![iv("08:00", "13:00")]
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 8, 31)),
        vec![iv("08:00", "13:00")]
    );
    // Tuesday 2026-09-01: regular again.
    assert_eq!(
        office_local_hours(&o, date(2026, 9, 1)),
        vec![iv("09:00", "14:00")]
    );
}

#[test]
fn season_across_new_year_applies_on_both_sides() {
    let o = office(
        Madrid,
        vec![
            rule("mon-fri", "09:00", "14:00"),
            seasonal("mon-fri", "10:00", "13:00", "12-15", "01-15"),
        ],
    );
    let winter = vec![iv("10:00", "13:00")];
    let regular = vec![iv("09:00", "14:00")];
    assert_eq!(office_local_hours(&o, date(2026, 12, 14)), regular);
    assert_eq!(office_local_hours(&o, date(2026, 12, 15)), winter);
    assert_eq!(office_local_hours(&o, date(2026, 12, 31)), winter);
    assert_eq!(office_local_hours(&o, date(2027, 1, 1)), winter);
    assert_eq!(office_local_hours(&o, date(2027, 1, 15)), winter);
    // Monday 2027-01-18: after the season.
    assert_eq!(office_local_hours(&o, date(2027, 1, 18)), regular);
}

#[test]
fn seasonal_rules_replace_even_on_weekdays_they_do_not_name() {
    // "Seasonal rules replace" semantics: once a seasonal rule's season covers a date,
    // the regular rules are out for that date whatever its weekday. The summer rule
    // names only mon-fri, so Saturdays in summer are closed although the regular rules
    // open on Saturday.
    let o = office(
        Madrid,
        vec![
            rule("mon-fri", "09:00", "14:00"),
            rule("sat", "10:00", "13:00"),
            seasonal("mon-fri", "08:00", "13:00", "07-01", "08-31"),
        ],
    );
    assert_eq!(office_local_hours(&o, date(2026, 7, 4)), vec![]);
    assert_eq!(
        office_local_hours(&o, date(2026, 7, 6)),
        vec![iv("08:00", "13:00")]
    );
    // Outside the season the Saturday rule applies.
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 9)),
        vec![iv("10:00", "13:00")]
    );
}

#[test]
fn seasons_that_do_not_cover_the_date_are_ignored() {
    let o = office(
        Madrid,
        vec![
            rule("mon-fri", "09:00", "14:00"),
            seasonal("mon-fri", "08:00", "13:00", "07-01", "08-31"),
            seasonal("mon-fri", "10:00", "12:00", "12-15", "01-15"),
        ],
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 7, 6)),
        vec![iv("08:00", "13:00")]
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 12, 15)),
        vec![iv("10:00", "12:00")]
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 4)),
        vec![iv("09:00", "14:00")]
    );
}

#[test]
fn morning_and_afternoon_rules_give_two_intervals() {
    let o = office(
        Madrid,
        vec![
            rule("mon-fri", "16:00", "18:30"),
            rule("mon-fri", "09:00", "14:00"),
        ],
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 4)),
        vec![iv("09:00", "14:00"), iv("16:00", "18:30")]
    );
    assert_eq!(office_local_hours(&o, date(2026, 5, 9)), vec![]);
}

#[test]
fn overlapping_and_touching_rules_are_merged() {
    let o = office(
        Madrid,
        vec![
            rule("mon-fri", "09:00", "14:00"),
            rule("mon", "13:00", "15:00"),
            rule("mon", "15:00", "16:00"),
            rule("mon", "20:00", "24:00"),
        ],
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 4)),
        vec![iv("09:00", "16:00"), iv("20:00", "24:00")]
    );
    // Tuesday: only the mon-fri rule.
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 5)),
        vec![iv("09:00", "14:00")]
    );
}

#[test]
fn empty_rules_contribute_nothing() {
    let o = office(Madrid, vec![rule("all", "10:00", "10:00")]);
    assert_eq!(office_local_hours(&o, date(2026, 5, 4)), vec![]);
}

#[test]
fn desk_inherits_office_hours_or_uses_only_its_own() {
    let o = summer_office();
    let monday = date(2026, 5, 4);
    assert_eq!(
        desk_local_hours(&o, &inheriting_desk(), monday),
        vec![iv("09:00", "14:00")]
    );
    let own = desk_with_hours(vec![
        rule("mon", "10:00", "12:00"),
        rule("sat", "09:00", "11:00"),
    ]);
    assert_eq!(
        desk_local_hours(&o, &own, monday),
        vec![iv("10:00", "12:00")]
    );
    // Own rules replace the office's entirely, also on days the office is shut by rule.
    assert_eq!(
        desk_local_hours(&o, &own, date(2026, 5, 9)),
        vec![iv("09:00", "11:00")]
    );
    assert_eq!(desk_local_hours(&o, &own, date(2026, 5, 5)), vec![]);
    // The desk's own seasonal rules follow the same replace semantics.
    let own_summer = desk_with_hours(vec![
        rule("mon-fri", "09:00", "14:00"),
        seasonal("mon", "11:00", "12:00", "07-01", "08-31"),
    ]);
    assert_eq!(
        desk_local_hours(&o, &own_summer, date(2026, 7, 6)),
        vec![iv("11:00", "12:00")]
    );
    assert_eq!(desk_local_hours(&o, &own_summer, date(2026, 7, 7)), vec![]);
}

#[test]
fn closed_exception_closes_every_desk() {
    let mut o = summer_office();
    let monday = date(2026, 5, 4);
    o.exceptions.push(closed_on(monday));
    let own = desk_with_hours(vec![rule("all", "08:00", "20:00")]);
    assert_eq!(office_local_hours(&o, monday), vec![]);
    assert_eq!(desk_local_hours(&o, &inheriting_desk(), monday), vec![]);
    assert_eq!(desk_local_hours(&o, &own, monday), vec![]);
    // Only that date.
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 5)),
        vec![iv("09:00", "14:00")]
    );
}

#[test]
fn special_hours_exception_replaces_the_day() {
    let mut o = summer_office();
    let christmas_eve = date(2026, 12, 24);
    o.exceptions.push(open_on(christmas_eve, "09:00", "12:00"));
    assert_eq!(
        office_local_hours(&o, christmas_eve),
        vec![iv("09:00", "12:00")]
    );
    assert_eq!(
        desk_local_hours(&o, &inheriting_desk(), christmas_eve),
        vec![iv("09:00", "12:00")]
    );
    // An exception may open a day the rules keep closed (Saturday 2026-12-19).
    let saturday = date(2026, 12, 19);
    o.exceptions.push(open_on(saturday, "10:00", "13:00"));
    assert_eq!(office_local_hours(&o, saturday), vec![iv("10:00", "13:00")]);
}

#[test]
fn exception_on_a_holiday_opens_the_day() {
    let mut o = summer_office();
    let holiday = date(2026, 12, 8);
    o.holidays.insert(holiday);
    assert_eq!(office_local_hours(&o, holiday), vec![]);
    o.exceptions.push(open_on(holiday, "10:00", "13:00"));
    assert_eq!(office_local_hours(&o, holiday), vec![iv("10:00", "13:00")]);
    assert_eq!(
        desk_local_hours(&o, &inheriting_desk(), holiday),
        vec![iv("10:00", "13:00")]
    );
    // A closed exception on a holiday keeps it closed.
    o.exceptions = vec![closed_on(holiday)];
    assert_eq!(office_local_hours(&o, holiday), vec![]);
}

#[test]
fn desk_own_hours_are_clipped_to_the_exception_window() {
    let mut o = summer_office();
    let day = date(2026, 12, 24);
    o.exceptions.push(open_on(day, "09:00", "12:00"));
    let own = desk_with_hours(vec![
        rule("thu", "08:00", "10:00"),
        rule("thu", "11:00", "15:00"),
    ]);
    assert_eq!(
        desk_local_hours(&o, &own, day),
        vec![iv("09:00", "10:00"), iv("11:00", "12:00")]
    );
    // A desk whose own hours miss the window entirely is closed that day.
    let afternoons = desk_with_hours(vec![rule("all", "16:00", "19:00")]);
    assert_eq!(desk_local_hours(&o, &afternoons, day), vec![]);
}

#[test]
fn holidays_and_closed_dates_close_the_day_for_every_desk() {
    let mut o = summer_office();
    let holiday = date(2026, 5, 1);
    let closed = date(2026, 5, 15);
    o.holidays.insert(holiday);
    o.closed_dates.insert(closed);
    let own = desk_with_hours(vec![rule("all", "08:00", "20:00")]);
    for day in [holiday, closed] {
        assert_eq!(office_local_hours(&o, day), vec![], "{day}");
        assert_eq!(
            desk_local_hours(&o, &inheriting_desk(), day),
            vec![],
            "{day}"
        );
        assert_eq!(desk_local_hours(&o, &own, day), vec![], "{day}");
    }
    // The days around are untouched (Thursday 2026-04-30, Thursday 2026-05-14).
    assert_eq!(
        office_local_hours(&o, date(2026, 4, 30)),
        vec![iv("09:00", "14:00")]
    );
    assert_eq!(
        office_local_hours(&o, date(2026, 5, 14)),
        vec![iv("09:00", "14:00")]
    );
}

#[test]
fn closed_date_wins_over_an_exception_that_validation_should_have_refused() {
    let mut o = summer_office();
    let day = date(2026, 5, 15);
    o.closed_dates.insert(day);
    o.exceptions.push(open_on(day, "09:00", "12:00"));
    assert_eq!(office_local_hours(&o, day), vec![]);
}

#[test]
fn inverted_exception_window_means_closed() {
    let mut o = summer_office();
    let day = date(2026, 5, 4);
    o.exceptions.push(open_on(day, "12:00", "09:00"));
    assert_eq!(office_local_hours(&o, day), vec![]);
}
