//! The days a batch books on: each office's local date loaded once (a window of it, or
//! the whole day when moves must be planned), with the batch's own appointments and moves
//! laid over it at every placement.

use chrono::{DateTime, NaiveDate, Utc};

use crate::allocator::{Booked, Move, Placement, Snapshot};
use crate::calendar::local_date;
use crate::domain::{Office, OfficeId, Service};
use crate::store::{self, Records, StoreError};

use super::super::BookingError;
use super::super::place::{place_in, refusal};
use super::super::snapshot::{self, APPOINTMENT_KEY, Exclude, Loaded};
use super::Batch;

/// An office's local date.
pub(in crate::booking) type DayKey = (OfficeId, NaiveDate);

#[derive(Debug)]
pub(super) struct Day {
    loaded: Loaded,
    /// The whole day (and its neighbours) rather than a window: fit to plan moves.
    whole: bool,
}

impl Batch {
    /// A desk for `service` at `start` and the reassignments it needs (not made yet:
    /// [`Batch::apply_moves`] makes them once the booking is accepted).
    ///
    /// First against the occupancies of the batch's window on that date: a free desk
    /// there is a valid placement, and "full" there is full on the whole day too (fewer
    /// appointments never fit less). Only when the answer needs other appointments moved
    /// is the whole day loaded and planned exactly.
    pub(super) async fn placement(
        &mut self,
        conn: &mut dyn Records,
        office: &Office,
        service: &Service,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
        consuming: Option<&str>,
    ) -> Result<Placement, BookingError> {
        let date = local_date(office.timezone, start);
        let key = (office.id.clone(), date);
        if !self.days.contains_key(&key) {
            let window = self
                .windows
                .get(&key)
                .copied()
                .unwrap_or((start, start + service.occupancy()));
            let mut loaded = snapshot::load_closed(
                conn,
                office,
                date,
                date,
                now,
                Exclude::default(),
                Some(window),
            )
            .await?;
            self.lay_moves_over(&mut loaded);
            self.days.insert(
                key.clone(),
                Day {
                    loaded,
                    whole: false,
                },
            );
        }
        let mut placement = None;
        if let Some(day) = self.days.get(&key) {
            let snapshot = self.overlay(&office.id, &day.loaded, consuming);
            let found = place_in(&office.id, snapshot, &service.id, start).map_err(refusal)?;
            if found.moves.is_empty() || day.whole {
                placement = Some(found);
            }
        }
        let placement = match placement {
            Some(placement) => placement,
            None => {
                let mut loaded =
                    snapshot::load_closed(conn, office, date, date, now, Exclude::default(), None)
                        .await?;
                self.lay_moves_over(&mut loaded);
                let snapshot = self.overlay(&office.id, &loaded, consuming);
                let found = place_in(&office.id, snapshot, &service.id, start).map_err(refusal)?;
                self.days.insert(
                    key,
                    Day {
                        loaded,
                        whole: true,
                    },
                );
                found
            }
        };
        Ok(placement)
    }

    /// The window snapshot of every date the batch books on at `office`, from its
    /// occupancies read with the locks (PostgreSQL): [`Batch::place`] then needs no query
    /// unless it plans moves.
    pub(in crate::booking) fn preload<'r>(
        &mut self,
        office: &Office,
        now: DateTime<Utc>,
        rows: impl Iterator<Item = &'r store::OccupancyRecord> + Clone,
    ) -> Result<(), StoreError> {
        for ((office_id, date), &window) in &self.windows {
            if *office_id != office.id {
                continue;
            }
            let date = *date;
            let loaded = snapshot::from_occupancies(
                office,
                date,
                date,
                now,
                Exclude::default(),
                Some(window),
                rows.clone().cloned(),
            )?;
            self.days.insert(
                (office.id.clone(), date),
                Day {
                    loaded,
                    whole: false,
                },
            );
        }
        Ok(())
    }

    /// `loaded` (a snapshot of `office`) as it stands now: without the holds this batch
    /// consumed (and the one it is consuming), with the appointments it booked there.
    fn overlay(&self, office: &OfficeId, loaded: &Loaded, consuming: Option<&str>) -> Snapshot {
        let mut snapshot = loaded.snapshot.clone();
        snapshot
            .appointments
            .retain(|b| !self.consumed_holds.contains(&b.key) && Some(b.key.as_str()) != consuming);
        snapshot.appointments.extend(
            self.appointments
                .iter()
                .filter(|a| {
                    a.office_id == *office && a.start < loaded.to && a.occupied_until > loaded.from
                })
                .map(|a| Booked {
                    key: format!("{APPOINTMENT_KEY}{}", a.id),
                    service: a.service_id.clone(),
                    start: a.start,
                    occupied_until: a.occupied_until,
                    desk: a.desk_id.clone(),
                    pinned: false,
                }),
        );
        snapshot
    }

    /// Reassignments: the batch's own appointments in place, stored ones and holds
    /// remembered for the write (and laid over the loaded snapshots).
    pub(super) fn apply_moves(&mut self, moves: &[Move]) {
        for m in moves {
            if let Some(id) = m.key.strip_prefix(APPOINTMENT_KEY)
                && let Some(pending) = self.appointments.iter_mut().find(|a| a.id == id)
            {
                pending.desk_id = m.to.clone();
                continue;
            }
            self.moved.insert(m.key.clone(), m.to.clone());
            for day in self.days.values_mut() {
                for booked in &mut day.loaded.snapshot.appointments {
                    if booked.key == m.key {
                        booked.desk = m.to.clone();
                    }
                }
            }
        }
    }

    /// `loaded` (just read from the database) with the batch's moves of stored
    /// appointments and holds, which are not written yet.
    fn lay_moves_over(&self, loaded: &mut Loaded) {
        if self.moved.is_empty() {
            return;
        }
        for booked in &mut loaded.snapshot.appointments {
            if let Some(desk) = self.moved.get(&booked.key) {
                booked.desk = desk.clone();
            }
        }
    }
}
