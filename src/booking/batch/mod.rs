//! What one booking transaction has decided so far: its new appointments, the stored
//! ones and holds it moved, the tokens and idempotency records it issued; judged one
//! booking at a time against everything stored and decided before, and written together
//! at the end.

mod days;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::domain::{Appointment, DeskId, Locator, Office, Service, Status};
use crate::store::{
    self, AuditEntry, BookingTx, HoldRecord, IdempotencyRecord, Records, StoreError, TokenRecord,
    TokenScope,
};

use super::hold::hold_serves;
use super::place::{check_citizen_history, citizen_limits};
use super::queue::BookJob;
use super::request::ValidCitizen;
use super::secrets::{random_id, random_token, sha256_hex};
use super::snapshot::{HOLD_KEY, moves_by_kind};
use super::{Actor, BookOutcome, BookingError, IDEMPOTENCY_TTL_HOURS};

use days::Day;
pub(super) use days::DayKey;

/// What the batch decided for one job.
#[derive(Debug)]
pub(super) enum Answer {
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
pub(super) struct Batch {
    appointments: Vec<Appointment>,
    actors: Vec<Actor>,
    /// The citizen's address digest of each appointment, when known.
    clients: Vec<Option<String>>,
    pub(super) tokens: Vec<TokenRecord>,
    idempotency: Vec<IdempotencyRecord>,
    /// Keys first used in this batch: fingerprint and the appointment booked under it.
    keys: HashMap<String, (String, usize)>,
    /// Holds turned into appointments, as snapshot keys (`hold:<id>`).
    consumed_holds: HashSet<String>,
    /// Stored appointments and holds moved to another desk, by snapshot key: written
    /// with the rest at the end, and laid over every snapshot loaded meanwhile.
    moved: HashMap<String, DeskId>,
    /// Each citizen's active appointments, stored and booked in this batch.
    pub(super) active: HashMap<String, Vec<Appointment>>,
    /// The time span each office's local date's snapshot is loaded for: the batch's own
    /// times.
    pub(super) windows: HashMap<DayKey, (DateTime<Utc>, DateTime<Utc>)>,
    /// Snapshots loaded so far by office and local date, with moves made in this batch
    /// applied; the batch's new appointments are laid over them at each use.
    days: HashMap<DayKey, Day>,
}

impl Batch {
    /// A batch that books within `windows` (see [`Batch::windows`]).
    pub(super) fn new(windows: HashMap<DayKey, (DateTime<Utc>, DateTime<Utc>)>) -> Self {
        Batch {
            windows,
            ..Batch::default()
        }
    }

    /// Decides one job against everything stored and everything decided before it;
    /// `office` has its closures folded in. Store errors fail the batch; any other error
    /// is this job's refusal.
    pub(super) async fn decide(
        &mut self,
        conn: &mut dyn Records,
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
        if matches!(job.actor, Actor::Citizen) {
            let skip: Vec<&str> = self
                .consumed_holds
                .iter()
                .map(String::as_str)
                .chain(hold_key.as_deref())
                .collect();
            let extra = self.public_booked_on(office, service, start);
            super::quota::check_public_share(conn, office, service, start, now, &skip, extra)
                .await?;
        }
        let document = job.citizen.document.number();
        let mine = self
            .active
            .get(document)
            .map(Vec::as_slice)
            .unwrap_or_default();
        citizen_limits(mine, service, start, end, None)?;
        // Staff booking at the counter or by phone judge for themselves; a draw's
        // entrants were judged when they entered, and are again now.
        if matches!(job.actor, Actor::Citizen | Actor::Draw) {
            check_citizen_history(conn, &job.document_key, service, now).await?;
        }
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
        self.clients.push(job.client_key.clone());
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

    /// Appointments of `service` this batch has booked for the public (not by staff) on
    /// the local date of `start`: not written yet, so not counted by the store.
    fn public_booked_on(&self, office: &Office, service: &Service, start: DateTime<Utc>) -> u32 {
        if service.staff_share.is_none() {
            return 0;
        }
        let date = crate::calendar::local_date(office.timezone, start);
        let count = self
            .appointments
            .iter()
            .zip(&self.actors)
            .filter(|(a, actor)| {
                !matches!(actor, Actor::Staff { .. })
                    && a.office_id == office.id
                    && a.service_id == service.id
                    && crate::calendar::local_date(office.timezone, a.start) == date
            })
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
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

    /// New tokens for the batch's appointment `index`, stored as their hashes.
    fn issue_token(&mut self, index: usize) -> Tokens {
        let id = self.appointments[index].id.clone();
        Tokens::issue(&mut self.tokens, &id)
    }

    /// The appointments the batch books.
    pub(super) fn appointments(&self) -> &[Appointment] {
        &self.appointments
    }

    /// Writes everything the batch decided and commits.
    pub(super) async fn write(
        &self,
        tx: Box<dyn BookingTx>,
        now: DateTime<Utc>,
        held: &store::ConnectionSlot,
        outbox: &[store::NewNotice],
    ) -> Result<(), StoreError> {
        let consumed: Vec<&str> = self
            .consumed_holds
            .iter()
            .filter_map(|key| key.strip_prefix(HOLD_KEY))
            .collect();
        // A hold consumed by this batch is deleted, not moved.
        let (moves, hold_moves) = moves_by_kind(
            self.moved
                .iter()
                .filter(|(key, _)| !self.consumed_holds.contains(*key))
                .map(|(key, desk)| (key.as_str(), desk)),
        );
        let audit: Vec<AuditEntry> = self
            .appointments
            .iter()
            .zip(&self.actors)
            .zip(&self.clients)
            .map(|((appointment, actor), client)| AuditEntry {
                at: now,
                office_id: appointment.office_id.clone(),
                appointment_id: Some(appointment.id.clone()),
                action: "booked",
                actor_kind: actor.kind(),
                // A citizen's is their address digest, for the fairness report.
                actor_id: actor.id().or_else(|| client.clone()),
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
            outbox,
        };
        tx.write_and_commit(&write, held).await
    }

    /// The answer to give, once the batch is committed.
    pub(super) fn outcome(&self, answer: Option<Answer>) -> Result<BookOutcome, BookingError> {
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

/// The two tokens a booking answer carries, freshly issued.
#[derive(Debug)]
pub(super) struct Tokens {
    pub(super) manage: String,
    pub(super) calendar: String,
}

impl Tokens {
    /// New tokens for `appointment_id`, their hashes added to `records` for the write.
    pub(super) fn issue(records: &mut Vec<TokenRecord>, appointment_id: &str) -> Tokens {
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
        language: citizen.language.clone(),
        created_at: now,
        updated_at: now,
    }
}
