//! The constraint-based slot allocator (DESIGN §3). Pure and deterministic: a
//! [`Snapshot`] in, answers out; no I/O, no clock (time is `Snapshot::now`).
//!
//! # Contract
//!
//! - **Candidate starts** of a service on a local date: in each open interval `[a, b)` of
//!   each desk that serves it on that date, `a + k*step` (real time) while the occupancy
//!   (`duration + buffer`) still ends by `b`. Union over desks; nothing is merged across
//!   intervals.
//! - **Booking window**: `t >= now + min_notice` and
//!   `local_date(t) <= local_date(now) + max_advance_days` (in `Snapshot::timezone`).
//! - **Feasible**: every appointment on a desk that serves its service and has one open
//!   interval containing its whole occupancy `[start, occupied_until)`, no two
//!   occupancies overlapping on a desk. Pinned appointments keep their desk; any other may
//!   move to any eligible desk.
//! - **Capacity** of a start `t` is the exact largest `k` such that `k` more appointments
//!   at `t` are feasible together with the existing ones; a start is available iff its
//!   capacity is at least one, and [`Allocator::place`] succeeds exactly then.
//!   `slots`, `days`, `capacity` and `place` use one decision procedure, so they always
//!   agree with each other. The problem is NP-complete, so every search has a node
//!   budget (a request must not hang); the staged searches (see `feasibility`) decide
//!   every start of the benchmark office's ~90 %-full day well inside it. Should some
//!   input exhaust every budget, that answer is "no" (it can only under-offer, never
//!   overbook) and it is counted: [`Allocator::undecided`] is then non-zero.
//!
//! # Robustness (inputs the configuration should not produce, handled without panics)
//!
//! - A movable appointment that no desk can serve any more (service gone, skills or hours
//!   changed) is treated as fixed on its current desk: it still blocks that time there.
//!   If its desk is gone too, it occupies nothing. [`Allocator::check_feasible`] reports it.
//! - A pinned appointment on an unknown desk occupies nothing; pinned ones are never
//!   checked against hours or skills (they are being served or are over).
//! - Appointments with an empty occupancy occupy nothing.
//! - Components of appointments that no assignment can satisfy make every start that
//!   touches them unavailable; starts elsewhere are decided on their own.
//! - Duplicate desk or service ids: the first wins. Desks past the 128th are ignored.
//! - Instants are handled in whole seconds: occupancies round outwards, open intervals
//!   inwards, so rounding never creates room.
//!
//! # Determinism
//!
//! Results depend only on the snapshot (desk and appointment order included), never on
//! hash iteration order or the clock.

mod bits;
mod candidates;
mod ejection;
mod feasibility;
mod index;
mod quick;
mod search;
pub mod snapshot;
mod sweep;
mod undecided;
mod walk;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{DeskId, ServiceId};
use feasibility::Hint;
use index::{Index, Instants, ServiceInfo, floor_secs, instant};

pub use snapshot::{Booked, DeskDay, DeskSchedule, Snapshot};

/// Answers availability and placement questions about one snapshot. Building it indexes
/// the snapshot once (and repairs an invalid current assignment in memory), so ask it
/// many questions.
#[derive(Debug, Clone)]
pub struct Allocator {
    snapshot: Snapshot,
    index: Index,
}

/// An available start with its exact capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    /// `start + duration` (the buffer is the desk's, not the citizen's).
    pub end: DateTime<Utc>,
    /// How many more appointments can start here (at least 1).
    pub capacity: u32,
}

/// The number of available starts on one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub date: NaiveDate,
    pub slots: u32,
}

/// Where a new appointment goes, and which existing ones must change desk to make room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub desk: DeskId,
    /// Empty unless reassignment is needed; never names a pinned appointment.
    pub moves: Vec<Move>,
}

/// One existing appointment moving from its current desk to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// `Booked::key` of the moved appointment.
    pub key: String,
    pub from: DeskId,
    pub to: DeskId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocError {
    #[error("unknown service {0}")]
    UnknownService(ServiceId),
}

/// Why a placement failed, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("unknown service {0}")]
    UnknownService(ServiceId),
    #[error("the start is outside the booking window")]
    OutsideBookingWindow,
    #[error("the start is not one of the service's candidate starts")]
    NotACandidateStart,
    #[error("no desk can take another appointment at this start")]
    Full,
}

/// Existing appointments that admit no feasible assignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("infeasible appointments: {}", keys.join(", "))]
pub struct Infeasible {
    /// Keys of one infeasible cluster (the earliest), by start then key.
    pub keys: Vec<String>,
}

impl Allocator {
    pub fn new(snapshot: Snapshot) -> Self {
        let index = Index::new(&snapshot);
        Allocator { snapshot, index }
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Gives the snapshot back once the questions are answered (the index is dropped),
    /// for a caller that keeps it, or drops it elsewhere.
    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// How many answers so far were "no" only because the exact search ran out of its
    /// node budget (see the module docs). Zero on every office measured; a caller can log or count
    /// it when it is not, because such an answer may hide a free start.
    pub fn undecided(&self) -> u64 {
        self.index.undecided.get()
    }

    /// Candidate starts of `service` on local `date` inside the booking window,
    /// ascending, deduplicated (union over desks that serve it). Availability is not
    /// considered: this is the grid a start must be on.
    pub fn candidate_starts(
        &self,
        service: &ServiceId,
        date: NaiveDate,
    ) -> Result<Vec<DateTime<Utc>>, AllocError> {
        let svc = self.service(service)?;
        Ok(self
            .index
            .candidates(svc, date)
            .into_iter()
            .filter_map(instant)
            .collect())
    }

    /// Available starts (capacity >= 1) with their exact capacity, ascending.
    pub fn slots(&self, service: &ServiceId, date: NaiveDate) -> Result<Vec<Slot>, AllocError> {
        let svc = self.service(service)?;
        let candidates = self.index.candidates(svc, date);
        let mut slots = Vec::with_capacity(candidates.len());
        let mut walk = walk::Walk::new(&self.index, svc);
        let mut instants = Instants::default();
        let mut hint = Hint::default();
        for t in candidates {
            let capacity = self.index.capacity_with(t, walk.at(t), &mut hint);
            if capacity == 0 {
                continue;
            }
            let start = instants.at(t);
            let end = t.checked_add(svc.duration).and_then(|e| instants.at(e));
            if let (Some(start), Some(end)) = (start, end) {
                slots.push(Slot {
                    start,
                    end,
                    capacity,
                });
            }
        }
        Ok(slots)
    }

    /// For every date in `from..=to`, the number of available starts (0 when closed, full
    /// or outside the window). Empty when `from > to`.
    pub fn days(
        &self,
        service: &ServiceId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayCount>, AllocError> {
        let svc = self.service(service)?;
        let mut days = Vec::new();
        let mut date = from;
        let mut walk = walk::Walk::new(&self.index, svc);
        let mut hint = Hint::default();
        let mut candidates = Vec::new();
        while date <= to {
            self.index.candidates_into(svc, date, &mut candidates);
            let slots = if self.index.free_all_day(svc, date, &candidates) {
                candidates.len()
            } else {
                candidates
                    .iter()
                    .filter(|&&t| self.index.available_with(t, walk.at(t), &mut hint))
                    .count()
            };
            days.push(DayCount {
                date,
                slots: u32::try_from(slots).unwrap_or(u32::MAX),
            });
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        Ok(days)
    }

    /// Largest `k` such that `k` more `service` at `start` are feasible; 0 when `start`
    /// is not a candidate start or is outside the booking window.
    pub fn capacity(&self, service: &ServiceId, start: DateTime<Utc>) -> Result<u32, AllocError> {
        let svc = self.service(service)?;
        let Some(t) = whole_second(start) else {
            return Ok(0);
        };
        if !self.index.in_window(svc, t) || !self.index.is_candidate(svc, t) {
            return Ok(0);
        }
        let probe = self.index.probe(svc, t);
        Ok(self.index.capacity_of(&probe, &mut Hint::default()))
    }

    /// A feasible assignment including one more `service` at `start`: the new
    /// appointment's desk plus the desk changes of movable appointments it needs (empty
    /// when none is needed). Succeeds iff `capacity(service, start) >= 1`.
    pub fn place(
        &self,
        service: &ServiceId,
        start: DateTime<Utc>,
    ) -> Result<Placement, PlaceError> {
        let svc = self
            .service(service)
            .map_err(|AllocError::UnknownService(id)| PlaceError::UnknownService(id))?;
        let t = floor_secs(start);
        if !self.index.in_window(svc, t) {
            return Err(PlaceError::OutsideBookingWindow);
        }
        if whole_second(start).is_none() || !self.index.is_candidate(svc, t) {
            return Err(PlaceError::NotACandidateStart);
        }
        let probe = self.index.probe(svc, t);
        if !probe.feasible {
            return Err(PlaceError::Full);
        }
        let mut desks: Vec<u8> = self.index.baseline[probe.lo..probe.hi].to_vec();
        let desk = if probe.free != 0 {
            // The least versatile free desk keeps the versatile ones for later requests.
            bits::iter(probe.free).min_by_key(|&d| (self.skills(d), d))
        } else {
            // The staged search gives the usual answer; the small-cluster search decides
            // "no" faster and stands in should the staged one run out of budget.
            let mut assign = [0; quick::MAX_JOBS];
            let verdict = self.index.quick(&probe, 1, &mut assign);
            if verdict == quick::Verdict::No {
                return Err(PlaceError::Full);
            }
            let solution = match self.index.solve_copies(&probe, 1) {
                Some(solution) => solution,
                None if verdict == quick::Verdict::Yes => {
                    self.index.quick_solution(&probe, 1, &assign)
                }
                None => return Err(PlaceError::Full),
            };
            for (x, d) in solution.items {
                desks[x - probe.lo] = d;
            }
            solution.copies.first().map(|&d| usize::from(d))
        };
        let desk = desk.and_then(|d| self.desk_id(d)).ok_or(PlaceError::Full)?;
        let mut moves = Vec::new();
        for (item, &d) in self.index.items[probe.lo..probe.hi].iter().zip(&desks) {
            if item.current == Some(d) {
                continue;
            }
            let booked = &self.snapshot.appointments[item.booked];
            if let Some(to) = self.desk_id(usize::from(d)) {
                moves.push(Move {
                    key: booked.key.clone(),
                    from: booked.desk.clone(),
                    to: to.clone(),
                });
            }
        }
        Ok(Placement {
            desk: desk.clone(),
            moves,
        })
    }

    /// Whether the existing appointments as a whole admit a feasible assignment, as the
    /// allocator models them (see the module docs). Otherwise the keys of the earliest
    /// infeasible cluster: a movable appointment no desk can serve, or a time-overlap
    /// component of movable appointments with no valid assignment.
    pub fn check_feasible(&self) -> Result<(), Infeasible> {
        let appointments = &self.snapshot.appointments;
        let stranded = self
            .index
            .stranded
            .iter()
            .map(|&b| (floor_secs(appointments[b].start), vec![b]));
        let components = self
            .index
            .components
            .iter()
            .filter(|c| !c.feasible)
            .map(|c| {
                let members = self.index.items[c.lo..c.hi].iter().map(|i| i.booked);
                (c.start, members.collect::<Vec<_>>())
            });
        let earliest = stranded
            .chain(components)
            .min_by_key(|(start, members)| (*start, members.first().copied()));
        match earliest {
            None => Ok(()),
            Some((_, members)) => {
                let mut keys: Vec<(i64, &str)> = members
                    .into_iter()
                    .map(|b| {
                        (
                            floor_secs(appointments[b].start),
                            appointments[b].key.as_str(),
                        )
                    })
                    .collect();
                keys.sort_unstable();
                Err(Infeasible {
                    keys: keys.into_iter().map(|(_, k)| k.to_owned()).collect(),
                })
            }
        }
    }

    /// How many of the snapshot's services indexed desk `d` serves.
    fn skills(&self, d: usize) -> usize {
        let desk = self
            .index
            .desk_src
            .get(d)
            .and_then(|&src| self.snapshot.desks.get(src));
        desk.map_or(0, |desk| {
            desk.services
                .iter()
                .filter(|s| self.service(s).is_ok())
                .count()
        })
    }

    /// The id of indexed desk `d`.
    fn desk_id(&self, d: usize) -> Option<&DeskId> {
        let src = *self.index.desk_src.get(d)?;
        self.snapshot.desks.get(src).map(|desk| &desk.id)
    }

    fn service(&self, id: &ServiceId) -> Result<&ServiceInfo, AllocError> {
        // The first service with this id wins, as when indexing.
        self.snapshot
            .services
            .iter()
            .position(|s| &s.id == id)
            .and_then(|s| self.index.services.get(s))
            .ok_or_else(|| AllocError::UnknownService(id.clone()))
    }
}

/// Seconds of `t` when it has no sub-second part (every candidate start is whole).
fn whole_second(t: DateTime<Utc>) -> Option<i64> {
    (t.timestamp_subsec_nanos() == 0).then(|| floor_secs(t))
}
