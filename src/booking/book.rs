//! Book: the bookings that arrive together are written in one transaction.
//!
//! Bookings of an office serialize on its lock (DESIGN §5), and each transaction costs
//! round trips and a flush to disk, so one at a time an office books no faster than those
//! go. The bookings that arrive while a transaction runs therefore wait
//! ([`super::batch`]: one queue per instance, whatever their offices) and the next
//! transaction takes them together: the same locks, checks and allocator, each booking
//! judged in turn against everything before it (stored, and earlier in the batch), one
//! write and one flush for all. On PostgreSQL the transaction takes two round trips
//! (`store::pipeline`). Every booking gets its own answer and a refusal of one never
//! touches another; if the transaction as a whole fails for a reason other than a lost
//! race, the bookings run again one by one, so one bad request cannot sink the rest.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::AnyConnection;

use crate::allocator::{Booked, Move, Placement, Snapshot};
use crate::calendar::local_date;
use crate::domain::{Appointment, DeskId, Locator, Office, OfficeId, Service, Status};
use crate::store::{
    self, AuditEntry, Backend, HoldRecord, IdempotencyRecord, StoreError, TokenRecord, TokenScope,
};

use super::place::{citizen_limits, hold_serves, place_in, refusal};
use super::request::ValidCitizen;
use super::secrets::{random_id, random_token, sha256_hex};
use super::snapshot::{self, APPOINTMENT_KEY, Exclude, HOLD_KEY, Loaded};
use super::{Actor, BookOutcome, BookRequest, Booking, BookingError, IDEMPOTENCY_TTL_HOURS};

/// One validated booking request waiting for the next booking transaction.
#[derive(Debug)]
pub(crate) struct BookJob {
    pub request: BookRequest,
    pub citizen: ValidCitizen,
    /// The keyed digest of the citizen's document, which a hold taken for a document
    /// must match.
    pub document_key: String,
    /// `(key, fingerprint)` when the request carried an `Idempotency-Key`.
    pub idempotency: Option<(String, String)>,
    pub actor: Actor,
}

impl Booking {
    /// Books an appointment. With `idempotency_key`, a repeat of the same request returns
    /// the first result (with a fresh token) and a different request under the same key
    /// is refused.
    #[tracing::instrument(skip_all, fields(office = %request.office_id, service = %request.service_id))]
    pub async fn book(
        &self,
        request: &BookRequest,
        idempotency_key: Option<&str>,
        actor: &Actor,
    ) -> Result<BookOutcome, BookingError> {
        // Unknown office or procedure: refuse before validating the citizen.
        self.catalog()
            .service(&request.office_id, &request.service_id)?;
        let citizen = request.citizen.validate()?;
        super::request::check_hold_id(request.hold_id.as_deref())?;
        let job = BookJob {
            request: request.clone(),
            document_key: self.document_key(&citizen.document),
            citizen,
            idempotency: idempotency_key.map(|key| (format!("book:{key}"), request.fingerprint())),
            actor: actor.clone(),
        };
        self.book_queue.submit(self, job).await
    }

    /// Books a batch, each job with its own answer, in the jobs' order.
    /// `held` keeps the worker's connection between batches (PostgreSQL).
    pub(crate) async fn book_batch(
        &self,
        jobs: &[BookJob],
        held: &store::ConnectionSlot,
    ) -> Vec<Result<BookOutcome, BookingError>> {
        match self.with_retry(|| self.try_book_batch(jobs, held)).await {
            Ok(answers) => answers,
            Err(BookingError::Contention) => {
                jobs.iter().map(|_| Err(BookingError::Contention)).collect()
            }
            // The database is out of reach: one by one would fail the same way, slower.
            Err(error) if BookingError::from_unavailable(&error) => jobs
                .iter()
                .map(|_| Err(BookingError::Unavailable))
                .collect(),
            Err(error) if jobs.len() == 1 => vec![Err(error)],
            Err(error) => {
                tracing::warn!(%error, size = jobs.len(), "a batch of bookings failed; booking them one by one");
                let mut answers = Vec::with_capacity(jobs.len());
                for job in jobs {
                    let alone = self
                        .with_retry(|| self.try_book_batch(std::slice::from_ref(job), held))
                        .await
                        .and_then(|answers| {
                            answers.into_iter().next().unwrap_or_else(|| {
                                Err(BookingError::Store(StoreError::Corrupt(
                                    "a batch of one gave no answer".into(),
                                )))
                            })
                        });
                    answers.push(alone);
                }
                answers
            }
        }
    }

    /// One attempt at the whole batch. `Err` means the transaction failed as a whole
    /// (and was rolled back); refusals of single bookings are inside the `Ok`.
    async fn try_book_batch(
        &self,
        jobs: &[BookJob],
        held: &store::ConnectionSlot,
    ) -> Result<Vec<Result<BookOutcome, BookingError>>, BookingError> {
        // Looked up on every attempt: a retry after a configuration change uses the new one.
        let catalog = self.catalog();
        let now = self.clock.now();
        // Locked in id (byte) order, so two batches never wait on each other in a cycle.
        let office_ids: BTreeSet<&OfficeId> = jobs.iter().map(|j| &j.request.office_id).collect();
        let office_list: Vec<&OfficeId> = office_ids.iter().copied().collect();
        let documents: Vec<&str> = jobs.iter().map(|j| j.citizen.document.number()).collect();
        let keys: Vec<&str> = jobs
            .iter()
            .filter_map(|j| j.idempotency.as_ref().map(|(key, _)| key.as_str()))
            .collect();
        let hold_ids: Vec<&str> = jobs
            .iter()
            .filter_map(|j| j.request.hold_id.as_deref())
            .collect();
        let mut batch = Batch {
            windows: windows(jobs, &catalog),
            ..Batch::default()
        };
        let windows: Vec<_> = batch
            .windows
            .iter()
            .map(|((office, _), &(from, to))| (office, from, to))
            .collect();
        let begin = store::BookingBegin {
            documents: &documents,
            offices: &office_list,
            now,
            windows: &windows,
            keys: &keys,
            holds: &hold_ids,
        };
        // The citizens first, then the offices: everything that takes both kinds of lock
        // takes them in this order (no deadlock). On PostgreSQL one server-side call takes
        // them all and reads what they guard; SQLite's write lock, taken by BEGIN
        // IMMEDIATE, already serializes everything.
        let (mut tx, read) = match self.store.backend() {
            Backend::Postgres => {
                let (tx, read) = self.store.begin_booking(held.take(), &begin).await?;
                (BatchTx::Pipelined(tx), read)
            }
            Backend::Sqlite => {
                let mut tx = self.store.begin_write().await?;
                let read = self.read_for_booking(tx.conn(), &begin).await?;
                (BatchTx::Write(tx), read)
            }
        };
        let decided = if read.locks.len() == office_list.len() {
            self.decide_batch(&catalog, &mut tx, jobs, &mut batch, read, now)
                .await
        } else {
            Err(StoreError::NotFound.into()) // an office gone from the database
        };
        match decided {
            Ok(answers) => {
                batch.write(tx, now, held).await?;
                Ok(answers
                    .into_iter()
                    .map(|answer| batch.outcome(answer))
                    .collect())
            }
            Err(error) => {
                tx.rollback().await;
                Err(error)
            }
        }
    }

    /// What a batch reads under its locks, statement by statement (SQLite).
    async fn read_for_booking(
        &self,
        conn: &mut AnyConnection,
        begin: &store::BookingBegin<'_>,
    ) -> Result<store::BookingLocks, BookingError> {
        let active = store::citizens_active_appointments(conn, begin.documents, begin.now).await?;
        let mut locks = Vec::with_capacity(begin.offices.len());
        for &office_id in begin.offices {
            match store::lock_office(conn, office_id).await {
                Ok(lock) => locks.push((office_id.clone(), lock)),
                Err(StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let mut keys = HashMap::new();
        for &key in begin.keys {
            if let Some(record) = store::find_idempotency(conn, key, begin.now).await? {
                let appointment = store::find_appointment(conn, &record.appointment_id).await?;
                keys.insert(
                    key.to_owned(),
                    store::StoredKey {
                        record,
                        appointment,
                    },
                );
            }
        }
        let holds = store::holds_by_id(conn, begin.holds).await?;
        Ok(store::BookingLocks {
            locks,
            active,
            occupancies: None,
            keys,
            holds,
        })
    }

    /// Every job's answer, against what `read` found under the locks and the jobs decided
    /// before it. `Err` fails the whole batch.
    async fn decide_batch(
        &self,
        catalog: &super::Catalog,
        tx: &mut BatchTx,
        jobs: &[BookJob],
        batch: &mut Batch,
        read: store::BookingLocks,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Answer>>, BookingError> {
        let conn = tx.conn()?;
        let mut locks = Vec::with_capacity(read.locks.len());
        for (office_id, lock) in read.locks {
            locks.push((office_id, self.check_config(lock).await?));
        }
        for appointment in read.active {
            batch
                .active
                .entry(appointment.document.clone())
                .or_default()
                .push(appointment);
        }
        let mut answers: Vec<Option<Answer>> = jobs
            .iter()
            .map(|job| replay_stored(job, &read.keys, batch))
            .collect::<Result<_, _>>()?;
        // Each office with its closures, as of its lock; offices gone from the
        // configuration are missing and their bookings refused.
        let mut closed: HashMap<OfficeId, Office> = HashMap::new();
        for (office_id, lock) in locks {
            if let Ok(office) = catalog.office(&office_id) {
                closed.insert(office_id, self.closed_office(conn, office, &lock).await?);
            }
        }
        if let Some(rows) = read.occupancies {
            for office in closed.values() {
                let own = rows.iter().filter(|(id, _)| *id == office.id);
                batch.preload(office, now, own.map(|(_, row)| row))?;
            }
        }
        let holds: HashMap<String, HoldRecord> = read
            .holds
            .into_iter()
            .map(|hold| (hold.id.clone(), hold))
            .collect();

        for (job, answer) in jobs.iter().zip(answers.iter_mut()) {
            if answer.is_some() {
                continue;
            }
            let found = catalog.service(&job.request.office_id, &job.request.service_id);
            let decided = match (found, closed.get(&job.request.office_id)) {
                (Ok((_, service)), Some(office)) => {
                    let hold = holds.get(job.request.hold_id.as_deref().unwrap_or_default());
                    batch.decide(conn, job, office, service, hold, now).await
                }
                (Err(error), _) => Err(error),
                (Ok(_), None) => Err(BookingError::NotFound),
            };
            *answer = Some(match decided {
                Ok(answer) => answer,
                Err(error @ (BookingError::Store(_) | BookingError::Contention)) => {
                    return Err(error);
                }
                Err(refused) => Answer::Refused(refused),
            });
        }
        Ok(answers)
    }
}

/// A batch's transaction: sqlx's on SQLite, two round trips on PostgreSQL.
enum BatchTx {
    Write(store::WriteTx),
    Pipelined(store::PipelinedTx),
}

impl BatchTx {
    fn conn(&mut self) -> Result<&mut AnyConnection, StoreError> {
        match self {
            BatchTx::Write(tx) => Ok(tx.conn()),
            BatchTx::Pipelined(tx) => tx.conn(),
        }
    }

    async fn rollback(self) {
        match self {
            // Dropping sqlx's transaction rolls it back.
            BatchTx::Write(tx) => drop(tx),
            BatchTx::Pipelined(tx) => tx.rollback().await,
        }
    }
}

/// What the batch decided for one job.
#[derive(Debug)]
enum Answer {
    Refused(BookingError),
    /// Booked in this batch (or a repeat of a key first used in it): an index into
    /// [`Batch::appointments`], whose desk may still change before the batch ends.
    Booked {
        appointment: usize,
        tokens: Tokens,
        replayed: bool,
    },
    /// A repeat of a request stored earlier.
    Replayed(Box<BookOutcome>),
}

/// The appointments a batch has decided so far and what it writes at its end.
#[derive(Debug, Default)]
struct Batch {
    appointments: Vec<Appointment>,
    actors: Vec<Actor>,
    tokens: Vec<TokenRecord>,
    idempotency: Vec<IdempotencyRecord>,
    /// Keys first used in this batch: fingerprint and the appointment booked under it.
    keys: HashMap<String, (String, usize)>,
    /// Holds turned into appointments, as snapshot keys (`hold:<id>`).
    consumed_holds: HashSet<String>,
    /// Stored appointments and holds moved to another desk, by snapshot key: written
    /// with the rest at the end, and laid over every snapshot loaded meanwhile.
    moved: HashMap<String, DeskId>,
    /// Each citizen's active appointments, stored and booked in this batch.
    active: HashMap<String, Vec<Appointment>>,
    /// The time span each office's local date's snapshot is loaded for: the batch's own
    /// times.
    windows: HashMap<DayKey, (DateTime<Utc>, DateTime<Utc>)>,
    /// Snapshots loaded so far by office and local date, with moves made in this batch
    /// applied; the batch's new appointments are laid over them at each use.
    days: HashMap<DayKey, Day>,
}

/// An office's local date.
type DayKey = (OfficeId, NaiveDate);

#[derive(Debug)]
struct Day {
    loaded: Loaded,
    /// The whole day (and its neighbours) rather than a window: fit to plan moves.
    whole: bool,
}

impl Batch {
    /// Decides one job against everything stored and everything decided before it;
    /// `office` has its closures folded in. Store errors fail the batch; any other error
    /// is this job's refusal.
    async fn decide(
        &mut self,
        conn: &mut AnyConnection,
        job: &BookJob,
        office: &Office,
        service: &Service,
        hold: Option<&HoldRecord>,
        now: DateTime<Utc>,
    ) -> Result<Answer, BookingError> {
        let start = job.request.start;
        let end = start + service.duration();
        if let Some((key, fingerprint)) = &job.idempotency
            && let Some((first, index)) = self.keys.get(key)
        {
            if first != fingerprint {
                return Err(BookingError::IdempotencyKeyReused);
            }
            let index = *index;
            let tokens = self.issue_token(index);
            return Ok(Answer::Booked {
                appointment: index,
                tokens,
                replayed: true,
            });
        }
        let hold_key = self
            .consumable_hold(job, hold, service, now)?
            .map(|id| format!("{HOLD_KEY}{id}"));
        // The window and the slot first, the citizen's rules after: a probe at a closed
        // or full time learns nothing about the document it names.
        let placement = self
            .placement(conn, office, service, start, now, hold_key.as_deref())
            .await?;
        let document = job.citizen.document.number();
        let mine = self
            .active
            .get(document)
            .map(Vec::as_slice)
            .unwrap_or_default();
        citizen_limits(mine, service, start, end, None)?;
        self.apply_moves(&placement.moves);
        let desk = placement.desk;
        if let Some(key) = hold_key {
            self.consumed_holds.insert(key);
        }

        let appointment = new_appointment(office, service, start, desk, &job.citizen, now);
        let index = self.appointments.len();
        self.active
            .entry(document.to_owned())
            .or_default()
            .push(appointment.clone());
        self.appointments.push(appointment);
        self.actors.push(job.actor.clone());
        if let Some((key, fingerprint)) = &job.idempotency {
            self.keys.insert(key.clone(), (fingerprint.clone(), index));
            self.idempotency.push(IdempotencyRecord {
                key: key.clone(),
                fingerprint: fingerprint.clone(),
                appointment_id: self.appointments[index].id.clone(),
                status_code: 201,
                created_at: now.timestamp(),
                expires_at: (now + Duration::hours(IDEMPOTENCY_TTL_HOURS)).timestamp(),
            });
        }
        let tokens = self.issue_token(index);
        Ok(Answer::Booked {
            appointment: index,
            tokens,
            replayed: false,
        })
    }

    /// The hold named in the request, if it is still live and not already used in this
    /// batch; an expired or unknown hold is no reason to refuse (the slot is booked if
    /// still free), but a hold for another slot is.
    fn consumable_hold(
        &self,
        job: &BookJob,
        hold: Option<&HoldRecord>,
        service: &Service,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, BookingError> {
        let Some(hold) = hold else {
            return Ok(None);
        };
        let request = &job.request;
        if hold.office_id != request.office_id.as_str()
            || hold.service_id != service.id.as_str()
            || hold.start_at != request.start.timestamp()
        {
            return Err(BookingError::Validation(
                "hold_id is a hold for another office, procedure or time".into(),
            ));
        }
        if !hold_serves(hold, &job.document_key) {
            return Err(BookingError::Validation(
                "hold_id was taken for another person's document".into(),
            ));
        }
        let live = hold.expires_at > now.timestamp()
            && !self
                .consumed_holds
                .contains(&format!("{HOLD_KEY}{}", hold.id));
        Ok(live.then(|| hold.id.clone()))
    }

    /// A desk for `service` at `start` and the reassignments it needs (not made yet:
    /// [`Batch::apply_moves`] makes them once the booking is accepted).
    ///
    /// First against the occupancies of the batch's window on that date: a free desk
    /// there is a valid placement, and "full" there is full on the whole day too (fewer
    /// appointments never fit less). Only when the answer needs other appointments moved
    /// is the whole day loaded and planned exactly.
    async fn placement(
        &mut self,
        conn: &mut AnyConnection,
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
    fn preload<'r>(
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
    fn apply_moves(&mut self, moves: &[Move]) {
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

    /// New tokens for the batch's appointment `index`, stored as their hashes.
    fn issue_token(&mut self, index: usize) -> Tokens {
        let id = self.appointments[index].id.clone();
        Tokens::issue(&mut self.tokens, &id)
    }

    /// Writes everything the batch decided and commits.
    async fn write(
        &self,
        tx: BatchTx,
        now: DateTime<Utc>,
        held: &store::ConnectionSlot,
    ) -> Result<(), StoreError> {
        let consumed: Vec<&str> = self
            .consumed_holds
            .iter()
            .filter_map(|key| key.strip_prefix(HOLD_KEY))
            .collect();
        let (mut moves, mut hold_moves) = (Vec::new(), Vec::new());
        for (key, desk) in &self.moved {
            if let Some(id) = key.strip_prefix(APPOINTMENT_KEY) {
                moves.push((id.to_owned(), desk.clone()));
            } else if let Some(id) = key.strip_prefix(HOLD_KEY)
                && !self.consumed_holds.contains(key)
            {
                hold_moves.push((id.to_owned(), desk.clone()));
            }
        }
        // A fixed order: concurrent writers touch shared rows in the same order.
        moves.sort();
        hold_moves.sort();
        let audit: Vec<AuditEntry> = self
            .appointments
            .iter()
            .zip(&self.actors)
            .map(|(appointment, actor)| AuditEntry {
                at: now,
                office_id: appointment.office_id.clone(),
                appointment_id: Some(appointment.id.clone()),
                action: "booked",
                actor_kind: actor.kind(),
                actor_id: actor.id(),
                detail: super::audit::booked_detail(&appointment.service_id, &appointment.desk_id),
            })
            .collect();
        let write = store::BookingWrite {
            now,
            moves: &moves,
            hold_moves: &hold_moves,
            consumed_holds: &consumed,
            appointments: &self.appointments,
            tokens: &self.tokens,
            audit: &audit,
            idempotency: &self.idempotency,
        };
        match tx {
            BatchTx::Write(mut tx) => {
                store::write_booking(tx.conn(), &write).await?;
                tx.commit().await
            }
            BatchTx::Pipelined(tx) => {
                held.put(tx.write_and_commit(&write).await?);
                Ok(())
            }
        }
    }

    /// The answer to give, once the batch is committed.
    fn outcome(&self, answer: Option<Answer>) -> Result<BookOutcome, BookingError> {
        match answer {
            Some(Answer::Refused(error)) => Err(error),
            Some(Answer::Replayed(outcome)) => Ok(*outcome),
            Some(Answer::Booked {
                appointment,
                tokens,
                replayed,
            }) => match self.appointments.get(appointment) {
                Some(appointment) => Ok(BookOutcome {
                    appointment: appointment.clone(),
                    token: tokens.manage,
                    calendar_token: tokens.calendar,
                    replayed,
                }),
                None => Err(BookingError::Store(StoreError::Corrupt(
                    "a booking of the batch went missing".into(),
                ))),
            },
            None => Err(BookingError::Store(StoreError::Corrupt(
                "a booking of the batch was not decided".into(),
            ))),
        }
    }
}

/// The earlier result under the job's key (as read under the locks), with a newly issued
/// token; or the refusal when the key was used for another request; `None` for a key not
/// seen before.
fn replay_stored(
    job: &BookJob,
    stored: &HashMap<String, store::StoredKey>,
    batch: &mut Batch,
) -> Result<Option<Answer>, StoreError> {
    let Some((key, fingerprint)) = &job.idempotency else {
        return Ok(None);
    };
    let Some(found) = stored.get(key) else {
        return Ok(None);
    };
    if &found.record.fingerprint != fingerprint {
        return Ok(Some(Answer::Refused(BookingError::IdempotencyKeyReused)));
    }
    let appointment = found.appointment.clone().ok_or_else(|| {
        StoreError::Corrupt("idempotency record names a missing appointment".into())
    })?;
    let tokens = Tokens::issue(&mut batch.tokens, &appointment.id);
    Ok(Some(Answer::Replayed(Box::new(BookOutcome {
        appointment,
        token: tokens.manage,
        calendar_token: tokens.calendar,
        replayed: true,
    }))))
}

/// The two tokens a booking answer carries, freshly issued.
#[derive(Debug)]
struct Tokens {
    manage: String,
    calendar: String,
}

impl Tokens {
    /// New tokens for `appointment_id`, their hashes added to `records` for the write.
    fn issue(records: &mut Vec<TokenRecord>, appointment_id: &str) -> Tokens {
        let tokens = Tokens {
            manage: random_token(),
            calendar: random_token(),
        };
        for (token, scope) in [
            (&tokens.manage, TokenScope::Manage),
            (&tokens.calendar, TokenScope::Calendar),
        ] {
            records.push(TokenRecord {
                token_hash: sha256_hex(token),
                appointment_id: appointment_id.to_owned(),
                scope,
            });
        }
        tokens
    }
}

/// For each office and local date the batch books on, the span from its earliest start to
/// its latest end of occupancy: one snapshot load serves every booking there.
fn windows(
    jobs: &[BookJob],
    catalog: &super::Catalog,
) -> HashMap<DayKey, (DateTime<Utc>, DateTime<Utc>)> {
    let mut windows: HashMap<DayKey, (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
    for job in jobs {
        let Ok((office, service)) =
            catalog.service(&job.request.office_id, &job.request.service_id)
        else {
            continue;
        };
        let start = job.request.start;
        let end = start + service.occupancy();
        windows
            .entry((office.id.clone(), local_date(office.timezone, start)))
            .and_modify(|(from, to)| {
                *from = (*from).min(start);
                *to = (*to).max(end);
            })
            .or_insert((start, end));
    }
    windows
}

fn new_appointment(
    office: &Office,
    service: &Service,
    start: DateTime<Utc>,
    desk: DeskId,
    citizen: &ValidCitizen,
    now: DateTime<Utc>,
) -> Appointment {
    Appointment {
        id: random_id(),
        locator: Locator::generate(&mut StdRng::from_os_rng()),
        office_id: office.id.clone(),
        service_id: service.id.clone(),
        desk_id: desk,
        start,
        end: start + service.duration(),
        occupied_until: start + service.occupancy(),
        status: Status::Booked,
        sequence: 0,
        citizen_name: citizen.name.clone(),
        document: citizen.document.number().to_owned(),
        document_type: citizen.document.kind().as_str().to_owned(),
        email: citizen.email.clone(),
        phone: citizen.phone.clone(),
        created_at: now,
        updated_at: now,
    }
}
