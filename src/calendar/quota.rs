//! Channel quotas: the share of each day's appointments kept for people who book by phone
//! or at the counter (many over 60, or without a phone that browses), which would
//! otherwise all go online the minute they are released.
//!
//! - The **capacity** of a procedure on a date is the most appointments of it the desks
//!   that serve it could give that day with nothing else booked: on each open interval,
//!   candidate starts are taken greedily, each after the previous one's occupancy (the
//!   allocator's grid, DESIGN §3). Other procedures sharing the desks are not subtracted:
//!   the share is of what the procedure could have had.
//! - The **staff's share** is `percent` of it, rounded up; the public may hold or book the
//!   rest ([`public_places`]). Bookings staff make count against nobody's share: they
//!   simply take time like any other.
//! - A start closer than `until_hours` to now is **open to everyone**: what staff did not
//!   use by then goes to the public rather than to waste ([`reserved`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::{Office, Service, StaffShare};

use super::desk_open_intervals;

/// The most appointments of `service` the desks that serve it could give on local `date`
/// with nothing else booked.
pub fn day_capacity(office: &Office, service: &Service, date: NaiveDate) -> u32 {
    let occupancy = service.occupancy();
    if occupancy <= Duration::zero() {
        return 0;
    }
    let step = service.step();
    let mut total: u32 = 0;
    for desk in office
        .desks
        .iter()
        .filter(|d| d.services.contains(&service.id))
    {
        for open in desk_open_intervals(office, desk, date) {
            total = total.saturating_add(fits(open.start, open.end, occupancy, step));
        }
    }
    total
}

/// Appointments of `occupancy` placed one after another on the grid `start + k*step`
/// inside `[start, end)`; a zero step offers the first start only.
fn fits(start: DateTime<Utc>, end: DateTime<Utc>, occupancy: Duration, step: Duration) -> u32 {
    if start + occupancy > end {
        return 0;
    }
    if step <= Duration::zero() {
        return 1;
    }
    let (step, occupancy) = (
        step.num_seconds().unsigned_abs(),
        occupancy.num_seconds().unsigned_abs(),
    );
    // After a start at `t`, the next start is the first grid point at or after
    // `t + occupancy`: the same distance every time.
    let gap = occupancy.div_ceil(step) * step;
    let room = (end - start).num_seconds().unsigned_abs() - occupancy;
    u32::try_from(room / gap + 1).unwrap_or(u32::MAX)
}

/// How many of a day's `capacity` appointments the public may hold or book.
pub fn public_places(share: &StaffShare, capacity: u32) -> u32 {
    let kept = (u64::from(capacity) * u64::from(share.percent)).div_ceil(100);
    capacity.saturating_sub(u32::try_from(kept).unwrap_or(u32::MAX))
}

/// Whether the staff's share still applies to `start` at `now`: it is further away than
/// the share's lead time.
pub fn reserved(share: &StaffShare, start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    start > now + lead(share)
}

/// The instant from which `start` is open to everyone.
pub fn opens_to_all(share: &StaffShare, start: DateTime<Utc>) -> DateTime<Utc> {
    start - lead(share)
}

fn lead(share: &StaffShare) -> Duration {
    Duration::hours(i64::from(share.until_hours))
}

/// Whether the public may take one more appointment at `start`, `taken` being the public's
/// appointments and holds already on that date.
pub fn public_may_take(
    share: &StaffShare,
    capacity: u32,
    taken: u32,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    !reserved(share, start, now) || taken < public_places(share, capacity)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::calendar::test_support;

    fn share(percent: u32) -> StaffShare {
        StaffShare {
            percent,
            until_hours: 48,
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap()
    }

    #[test]
    fn appointments_follow_each_other_on_the_grid() {
        let minutes = |n| Duration::minutes(n);
        // 09:00–14:00, 15 minutes each: 20.
        assert_eq!(fits(at(9, 0), at(14, 0), minutes(15), minutes(15)), 20);
        // 20 minutes with a 15-minute grid: 09:00, 09:30, … 13:30 → 10.
        assert_eq!(fits(at(9, 0), at(14, 0), minutes(20), minutes(15)), 10);
        // A buffer that makes 10 + 5 on a 10-minute grid: every 20 minutes, last at 13:40.
        assert_eq!(fits(at(9, 0), at(14, 0), minutes(15), minutes(10)), 15);
        assert_eq!(fits(at(9, 0), at(9, 10), minutes(15), minutes(15)), 0);
        assert_eq!(fits(at(9, 0), at(9, 15), minutes(15), minutes(15)), 1);
        assert_eq!(fits(at(9, 0), at(14, 0), minutes(15), Duration::zero()), 1);
    }

    #[test]
    fn the_capacity_adds_the_desks_that_serve_the_procedure() {
        use test_support::{date, desk_with_hours, inheriting_desk, office, rule};
        let mut office = office(
            chrono_tz::Europe::Madrid,
            vec![rule("mon-fri", "09:00", "14:00")],
        );
        office.services = vec![
            Service::new("renovacion", "Renovación", 15),
            Service::new("otro", "Otro", 30),
        ];
        let mut first = inheriting_desk();
        first.services = ["renovacion".into(), "otro".into()].into();
        let mut second = desk_with_hours(vec![rule("mon", "09:00", "11:00")]);
        second.services = ["renovacion".into()].into();
        let mut third = inheriting_desk();
        third.id = "puesto-3".into();
        third.services = ["otro".into()].into();
        office.desks = vec![first, second, third];
        let service = &office.services[0];
        assert_eq!(
            day_capacity(&office, service, date(2027, 3, 1)),
            20 + 8,
            "Monday"
        );
        assert_eq!(
            day_capacity(&office, service, date(2027, 3, 2)),
            20,
            "Tuesday"
        );
        assert_eq!(
            day_capacity(&office, service, date(2027, 3, 7)),
            0,
            "Sunday"
        );
        assert_eq!(
            day_capacity(&office, &office.services[1], date(2027, 3, 1)),
            20,
            "two desks of five half hours"
        );
    }

    #[test]
    fn the_staff_share_is_rounded_up_in_their_favour() {
        assert_eq!(public_places(&share(20), 20), 16);
        assert_eq!(public_places(&share(20), 21), 16, "4.2 kept → 5");
        assert_eq!(public_places(&share(100), 21), 0);
        assert_eq!(public_places(&share(1), 0), 0);
        assert_eq!(public_places(&share(1), 1), 0, "a single place is kept");
    }

    #[test]
    fn what_staff_have_not_used_opens_to_all_at_the_lead_time() {
        let s = share(50);
        let now = at(9, 0);
        let far = now + Duration::hours(49);
        let near = now + Duration::hours(47);
        assert!(public_may_take(&s, 10, 4, far, now));
        assert!(
            !public_may_take(&s, 10, 5, far, now),
            "the public's half is taken"
        );
        assert!(public_may_take(&s, 10, 9, near, now), "less than 48 h away");
        assert!(public_may_take(&s, 10, 5, far, opens_to_all(&s, far)));
        assert!(!public_may_take(
            &s,
            10,
            5,
            far,
            opens_to_all(&s, far) - Duration::seconds(1)
        ));
    }
}
