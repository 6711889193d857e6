//! An office's figures over a range of days, for managers: per day and per procedure how
//! many appointments were booked, attended, missed (no-show) and cancelled, and the share
//! of the desks' open time they used.
//!
//! Contract:
//! - Days are the office's local days; an appointment counts on the day it starts.
//! - `booked` counts every appointment made for the day, whatever became of it;
//!   `attended` those checked in or completed; `no_show` and `cancelled` as marked.
//! - Capacity is the desks' open time that day (hours, holidays and stored closures
//!   applied, DST-exact); `used` is the time of the appointments not cancelled. A
//!   procedure's share is its used time over the whole day's capacity, so the procedures'
//!   shares add up to the day's.
//! - Erased appointments still count: erasure keeps the row without personal data.
//!   Only procedure, times and status are read: statistics never load a name.
//! - [`summarize`] is pure; [`Booking::statistics`] reads the rows and the closures.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::{desk_open_intervals, local_date, local_to_utc};
use crate::domain::{AppointmentFigures, Office, OfficeId, ServiceId, Status, WallTime};

use super::snapshot::office_with_closures;
use super::{Booking, BookingError};

/// The longest range asked for at once, in days.
pub const MAX_STATISTICS_DAYS: i64 = 366;

/// Counts and time used, for a day, a procedure or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub booked: u32,
    pub attended: u32,
    pub no_show: u32,
    pub cancelled: u32,
    /// Minutes of desk time taken by the appointments not cancelled.
    pub used_minutes: i64,
}

impl Counts {
    fn add(&mut self, appointment: &AppointmentFigures) {
        self.booked += 1;
        match appointment.status {
            Status::CheckedIn | Status::Completed => self.attended += 1,
            Status::NoShow => self.no_show += 1,
            Status::Cancelled => self.cancelled += 1,
            Status::Booked => {}
        }
        if appointment.status != Status::Cancelled {
            self.used_minutes += (appointment.end - appointment.start).num_minutes();
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.booked += other.booked;
        self.attended += other.attended;
        self.no_show += other.no_show;
        self.cancelled += other.cancelled;
        self.used_minutes += other.used_minutes;
    }
}

/// One local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub total: Counts,
    /// Per procedure: every one offered, in the office's order, then any no longer
    /// offered that had appointments.
    pub by_service: Vec<(ServiceId, Counts)>,
    /// Minutes the desks were open.
    pub capacity_minutes: i64,
}

/// An office's figures over `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub office_id: OfficeId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DayFigures>,
    /// The whole range, per procedure.
    pub by_service: Vec<(ServiceId, Counts)>,
    pub total: Counts,
    pub capacity_minutes: i64,
}

/// Share of `capacity` that `used` is, in per cent (0 when there was no capacity).
pub fn share_percent(used: i64, capacity: i64) -> f64 {
    if capacity <= 0 {
        0.0
    } else {
        used as f64 * 100.0 / capacity as f64
    }
}

/// The figures of `appointments` (the office's, starting within the range) on `office`
/// (closures folded into its closed dates).
pub fn summarize(
    office: &Office,
    from: NaiveDate,
    to: NaiveDate,
    appointments: &[AppointmentFigures],
) -> Statistics {
    let order = |service: &ServiceId| {
        office
            .services
            .iter()
            .position(|s| s.id == *service)
            .unwrap_or(usize::MAX)
    };
    // Every procedure offered shows on every day, with zeros when nothing was booked.
    let offered: BTreeMap<(usize, ServiceId), Counts> = office
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| ((i, s.id.clone()), Counts::default()))
        .collect();
    let mut by_day: BTreeMap<NaiveDate, BTreeMap<(usize, ServiceId), Counts>> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| (d, offered.clone()))
        .collect();
    for appointment in appointments {
        let date = local_date(office.timezone, appointment.start);
        if let Some(day) = by_day.get_mut(&date) {
            let service = &appointment.service_id;
            day.entry((order(service), service.clone()))
                .or_default()
                .add(appointment);
        }
    }
    let mut range_services: BTreeMap<(usize, ServiceId), Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let mut capacity_minutes = 0;
    let days = by_day
        .into_iter()
        .map(|(date, services)| {
            let mut day_total = Counts::default();
            for (key, counts) in &services {
                day_total.merge(counts);
                range_services.entry(key.clone()).or_default().merge(counts);
            }
            let capacity = desk_minutes(office, date);
            total.merge(&day_total);
            capacity_minutes += capacity;
            DayFigures {
                date,
                total: day_total,
                by_service: services.into_iter().map(|((_, id), c)| (id, c)).collect(),
                capacity_minutes: capacity,
            }
        })
        .collect();
    Statistics {
        office_id: office.id.clone(),
        from,
        to,
        days,
        by_service: range_services
            .into_iter()
            .map(|((_, id), c)| (id, c))
            .collect(),
        total,
        capacity_minutes,
    }
}

/// The desks' open minutes on `date`.
fn desk_minutes(office: &Office, date: NaiveDate) -> i64 {
    office
        .desks
        .iter()
        .flat_map(|desk| desk_open_intervals(office, desk, date))
        .map(|i| (i.end - i.start).num_minutes())
        .sum()
}

impl Booking {
    /// The office's figures over local days `from..=to` (see the module docs).
    /// `Validation` when the range is reversed or longer than [`MAX_STATISTICS_DAYS`].
    #[tracing::instrument(level = "debug", skip_all, fields(office = %office_id, %from, %to))]
    pub async fn statistics(
        &self,
        office_id: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Statistics, BookingError> {
        if to < from || (to - from).num_days() >= MAX_STATISTICS_DAYS {
            return Err(BookingError::Validation(format!(
                "the range must run forwards and last at most {MAX_STATISTICS_DAYS} days"
            )));
        }
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let start = local_to_utc(office.timezone, from, WallTime::MIDNIGHT);
        let end = local_to_utc(office.timezone, to, WallTime::END_OF_DAY);
        let mut conn = self.store().read().await?;
        let appointments = conn
            .office_appointment_figures(office_id, start, end)
            .await?;
        let office = office_with_closures(conn.as_mut(), office).await?;
        Ok(summarize(&office, from, to, &appointments))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::calendar::test_support::{date, office, rule};
    use std::collections::BTreeSet;

    use crate::domain::{Desk, DeskId};

    fn madrid() -> Office {
        let mut office = office(
            chrono_tz::Europe::Madrid,
            vec![rule("mon-fri", "09:00", "14:00")],
        );
        office.desks = ["d1", "d2"]
            .into_iter()
            .map(|id| Desk {
                id: DeskId::new(id),
                services: BTreeSet::new(),
                hours: None,
            })
            .collect();
        office
    }

    /// An appointment on March `day` 2027 at `hour` UTC.
    fn appointment(
        service: &str,
        day: u32,
        hour: u32,
        minutes: i64,
        status: Status,
    ) -> AppointmentFigures {
        let start = Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap();
        AppointmentFigures {
            service_id: ServiceId::new(service),
            start,
            end: start + Duration::minutes(minutes),
            status,
        }
    }

    #[test]
    fn counts_each_status_and_the_time_used_per_day_and_procedure() {
        let office = madrid();
        let appointments = vec![
            appointment("a", 1, 9, 15, Status::Completed),
            appointment("a", 1, 10, 15, Status::CheckedIn),
            appointment("b", 1, 11, 30, Status::NoShow),
            appointment("b", 1, 12, 30, Status::Cancelled),
            appointment("a", 2, 9, 15, Status::Booked),
        ];
        let stats = summarize(&office, date(2027, 3, 1), date(2027, 3, 7), &appointments);
        assert_eq!(stats.days.len(), 7);
        let monday = &stats.days[0];
        assert_eq!(
            monday.total,
            Counts {
                booked: 4,
                attended: 2,
                no_show: 1,
                cancelled: 1,
                used_minutes: 60
            }
        );
        // Two desks open 5 h on weekdays; none at the weekend.
        assert_eq!(monday.capacity_minutes, 600);
        assert_eq!(stats.days[5].capacity_minutes, 0);
        assert_eq!(stats.capacity_minutes, 5 * 600);
        assert_eq!(monday.by_service[0].0.as_str(), "a");
        assert_eq!(monday.by_service[0].1.used_minutes, 30);
        assert_eq!(monday.by_service[1].1.used_minutes, 30);
        assert_eq!(stats.total.booked, 5);
        assert_eq!(stats.by_service[0].1.booked, 3);
        assert!(
            (share_percent(monday.total.used_minutes, monday.capacity_minutes) - 10.0).abs() < 1e-9
        );
        assert_eq!(share_percent(5, 0), 0.0);
    }

    #[test]
    fn a_closed_day_has_no_capacity_and_days_are_local() {
        let mut office = madrid();
        office.closed_dates.insert(date(2027, 3, 2));
        // 23:00 UTC on 1 March is midnight on 2 March in Madrid.
        let late = appointment("a", 1, 23, 15, Status::Cancelled);
        let stats = summarize(&office, date(2027, 3, 1), date(2027, 3, 2), &[late]);
        assert_eq!(stats.days[0].total.booked, 0);
        assert_eq!(stats.days[1].total.cancelled, 1);
        assert_eq!(stats.days[1].capacity_minutes, 0);
    }
}
