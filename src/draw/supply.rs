//! What a draw allocated from, in a form to publish: the office's desks and hours on the
//! released dates, the appointments already there (under made-up keys), the procedures'
//! timing rules and the instant the draw ran. No personal data, no appointment ids.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::allocator::{Booked, DeskDay, DeskSchedule, Snapshot};
use crate::calendar::Interval;
use crate::domain::{DeskId, Service, ServiceId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supply {
    pub timezone: String,
    pub now: DateTime<Utc>,
    pub services: Vec<SupplyService>,
    pub desks: Vec<SupplyDesk>,
    pub appointments: Vec<SupplyBooked>,
    /// Places the public may still take on each date, the staff's share kept back
    /// ([`crate::calendar::quota`]); a date not listed has no such limit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub public_places: BTreeMap<NaiveDate, u32>,
}

/// The timing rules of a procedure: what the allocator reads of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyService {
    pub id: ServiceId,
    pub duration_minutes: u32,
    pub buffer_minutes: u32,
    pub step_minutes: u32,
    pub min_notice_minutes: u32,
    pub max_advance_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyDesk {
    pub id: DeskId,
    pub services: BTreeSet<ServiceId>,
    pub days: Vec<SupplyDay>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyDay {
    pub date: NaiveDate,
    /// Open intervals as `[start, end)` pairs.
    pub open: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyBooked {
    pub key: String,
    pub service: ServiceId,
    pub start: DateTime<Utc>,
    pub occupied_until: DateTime<Utc>,
    pub desk: DeskId,
    pub pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplyError {
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    #[error("an open interval ends before it starts")]
    BadInterval,
}

impl Supply {
    /// The publishable form of `snapshot`: its appointments renamed `a1`, `a2`, … in
    /// their order, its procedures stripped of releases (the draw's dates are open to
    /// it).
    pub fn of(snapshot: &Snapshot) -> Supply {
        Supply {
            timezone: snapshot.timezone.name().to_owned(),
            now: snapshot.now,
            services: snapshot
                .services
                .iter()
                .map(|s| SupplyService {
                    id: s.id.clone(),
                    duration_minutes: s.duration_minutes,
                    buffer_minutes: s.buffer_minutes,
                    step_minutes: s.step_minutes,
                    min_notice_minutes: s.min_notice_minutes,
                    max_advance_days: s.max_advance_days,
                })
                .collect(),
            desks: snapshot
                .desks
                .iter()
                .map(|d| SupplyDesk {
                    id: d.id.clone(),
                    services: d.services.clone(),
                    days: d
                        .days
                        .iter()
                        .map(|day| SupplyDay {
                            date: day.date,
                            open: day.open.iter().map(|i| (i.start, i.end)).collect(),
                        })
                        .collect(),
                })
                .collect(),
            appointments: snapshot
                .appointments
                .iter()
                .enumerate()
                .map(|(ix, b)| SupplyBooked {
                    key: format!("a{}", ix + 1),
                    service: b.service.clone(),
                    start: b.start,
                    occupied_until: b.occupied_until,
                    desk: b.desk.clone(),
                    pinned: b.pinned,
                })
                .collect(),
            public_places: BTreeMap::new(),
        }
    }

    /// The allocator's input again.
    pub fn snapshot(&self) -> Result<Snapshot, SupplyError> {
        let timezone = self
            .timezone
            .parse()
            .map_err(|_| SupplyError::UnknownZone(self.timezone.clone()))?;
        let mut desks = Vec::with_capacity(self.desks.len());
        for d in &self.desks {
            let mut days = Vec::with_capacity(d.days.len());
            for day in &d.days {
                let open = day
                    .open
                    .iter()
                    .map(|&(start, end)| Interval::new(start, end).ok_or(SupplyError::BadInterval))
                    .collect::<Result<Vec<_>, _>>()?;
                days.push(DeskDay {
                    date: day.date,
                    open,
                });
            }
            desks.push(DeskSchedule {
                id: d.id.clone(),
                services: d.services.clone(),
                days,
            });
        }
        Ok(Snapshot {
            timezone,
            now: self.now,
            services: self
                .services
                .iter()
                .map(|s| {
                    let mut service = Service::new(s.id.clone(), s.id.as_str(), s.duration_minutes);
                    service.buffer_minutes = s.buffer_minutes;
                    service.step_minutes = s.step_minutes;
                    service.min_notice_minutes = s.min_notice_minutes;
                    service.max_advance_days = s.max_advance_days;
                    service
                })
                .collect(),
            desks,
            appointments: self
                .appointments
                .iter()
                .map(|b| Booked {
                    key: b.key.clone(),
                    service: b.service.clone(),
                    start: b.start,
                    occupied_until: b.occupied_until,
                    desk: b.desk.clone(),
                    pinned: b.pinned,
                })
                .collect(),
        })
    }
}
