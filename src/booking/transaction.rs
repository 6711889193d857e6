//! The booking transaction: the bookings that arrive together are written in one.
//!
//! Bookings of an office serialize on its lock (DESIGN §5), and each transaction costs
//! round trips and a flush to disk, so one at a time an office books no faster than those
//! go. The bookings that arrive while a transaction runs therefore wait
//! ([`super::queue`]: one queue per instance, whatever their offices) and the next
//! transaction takes them together: the same locks, checks and allocator, each booking
//! judged in turn against everything before it (stored, and earlier in the batch:
//! [`Batch`]), one write and one flush for all. How the locks are taken and the writes
//! sent is the store's ([`crate::store::Database::begin_booking`]); every rule is decided
//! here and in [`Batch`]. Every booking gets its own answer and a refusal of one never
//! touches another; if the transaction as a whole fails for a reason other than a lost
//! race, the bookings run again one by one, so one bad request cannot sink the rest.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::calendar::local_date;
use crate::domain::{Office, OfficeId};
use crate::store::{self, BookingTx, HoldRecord, StoreError};

use super::batch::{Answer, Batch, DayKey, Tokens};
use super::queue::BookJob;
use super::{BookOutcome, Booking, BookingError};

impl Booking {
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
        let mut batch = Batch::new(windows(jobs, &catalog));
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
        // takes them in this order (no deadlock).
        let (mut tx, read) = self.store.begin_booking(held, &begin).await?;
        let decided = if read.locks.len() == office_list.len() {
            self.decide_batch(&catalog, tx.as_mut(), jobs, &mut batch, read, now)
                .await
        } else {
            Err(StoreError::NotFound.into()) // an office gone from the database
        };
        match decided {
            Ok(answers) => {
                let outbox: Vec<_> = batch
                    .appointments()
                    .iter()
                    .flat_map(|a| self.plan_notices(a, &super::NoticeEvent::Booked, now))
                    .collect();
                batch.write(tx, now, held, &outbox).await?;
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

    /// Every job's answer, against what `read` found under the locks and the jobs decided
    /// before it. `Err` fails the whole batch.
    async fn decide_batch(
        &self,
        catalog: &super::Catalog,
        tx: &mut dyn BookingTx,
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
        // A draw books the dates it gives out before anyone else may (its batches hold
        // nothing but its own bookings).
        let for_draw = jobs.iter().all(|j| matches!(j.actor, super::Actor::Draw));
        let mut closed: HashMap<OfficeId, Office> = HashMap::new();
        for (office_id, lock) in locks {
            if let Ok(office) = catalog.office(&office_id) {
                let mut office = self.closed_office(conn, office, &lock).await?;
                if for_draw {
                    super::snapshot::lift_pending_draws(&mut office);
                }
                closed.insert(office_id, office);
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
