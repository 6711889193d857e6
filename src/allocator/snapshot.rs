//! The allocator's input: everything it needs to answer, with no I/O behind it.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar::Interval;
use crate::domain::{DeskId, Service, ServiceId};

/// One desk's skills and its open intervals on the local dates the snapshot covers.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskSchedule {
    pub id: DeskId,
    pub services: BTreeSet<ServiceId>,
    /// Ascending by date; dates absent here are closed for this snapshot.
    pub days: Vec<DeskDay>,
}

/// A desk's open intervals on one local date (sorted, disjoint, as UTC instants).
#[derive(Debug, Clone, PartialEq)]
pub struct DeskDay {
    pub date: NaiveDate,
    pub open: Vec<Interval<DateTime<Utc>>>,
}

/// An active appointment or unexpired hold as the allocator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    /// Caller's identifier, echoed back in [`super::Move`]s.
    pub key: String,
    pub service: ServiceId,
    pub start: DateTime<Utc>,
    /// End of the desk occupancy (start + duration + buffer when it was booked).
    pub occupied_until: DateTime<Utc>,
    /// The desk it is currently assigned to.
    pub desk: DeskId,
    /// Checked in or finished: it keeps its desk.
    pub pinned: bool,
}

/// The whole input of one allocator question.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub timezone: Tz,
    pub now: DateTime<Utc>,
    pub services: Vec<Service>,
    pub desks: Vec<DeskSchedule>,
    pub appointments: Vec<Booked>,
}
