//! Hold and book: the two use cases that take capacity.

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::AnyConnection;

use crate::allocator::{Allocator, Move, PlaceError};
use crate::domain::{Appointment, DeskId, Locator, Office, Service, Status};
use crate::store::{self, AuditEntry, Backend, HoldRecord, IdempotencyRecord, StoreError};

use super::request::ValidCitizen;
use super::secrets::{random_id, random_token, sha256_hex};
use super::snapshot::{self, APPOINTMENT_KEY, Exclude, HOLD_KEY};
use super::{Actor, BookRequest, Booking, BookingError, IDEMPOTENCY_TTL_HOURS};

/// A slot reserved for a short time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldOutcome {
    pub hold_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A booked appointment with a bearer token for it (freshly issued, also on replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOutcome {
    pub appointment: Appointment,
    pub token: String,
    /// The request repeated an `Idempotency-Key` and this is the first request's result.
    pub replayed: bool,
}

impl Booking {
    /// Reserves `service` at `start` for the configured hold time.
    pub async fn hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
    ) -> Result<HoldOutcome, BookingError> {
        self.catalog().service(office_id, service_id)?;
        self.with_retry(|| self.try_hold(office_id, service_id, start))
            .await
    }

    async fn try_hold(
        &self,
        office_id: &crate::domain::OfficeId,
        service_id: &crate::domain::ServiceId,
        start: DateTime<Utc>,
    ) -> Result<HoldOutcome, BookingError> {
        // Looked up on every attempt: a retry after a configuration change uses the new one.
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let ttl = catalog.hold_ttl;
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        self.lock_office(conn, &office.id).await?;
        store::delete_expired_holds(conn, &office.id, now).await?;
        let desk = place_and_move(conn, office, service, start, now, Exclude::default()).await?;
        let hold = HoldRecord {
            id: random_token(),
            office_id: office.id.to_string(),
            service_id: service.id.to_string(),
            desk_id: desk.to_string(),
            start_at: start.timestamp(),
            occupied_until: (start + service.occupancy()).timestamp(),
            expires_at: (now + ttl).timestamp(),
            created_at: now.timestamp(),
        };
        store::insert_hold(conn, &hold).await?;
        tx.commit().await?;
        Ok(HoldOutcome {
            hold_id: hold.id,
            start,
            end: start + service.duration(),
            expires_at: now + ttl,
        })
    }

    /// Books an appointment. With `idempotency_key`, a repeat of the same request returns
    /// the first result (with a fresh token) and a different request under the same key
    /// is refused.
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
        if let Some(hold) = &request.hold_id
            && hold.trim().is_empty()
        {
            return Err(BookingError::Validation("hold_id must not be empty".into()));
        }
        let idempotency = idempotency_key.map(|key| (format!("book:{key}"), request.fingerprint()));
        self.with_retry(|| self.try_book(request, &citizen, idempotency.as_ref(), actor))
            .await
    }

    async fn try_book(
        &self,
        request: &BookRequest,
        citizen: &ValidCitizen,
        idempotency: Option<&(String, String)>,
        actor: &Actor,
    ) -> Result<BookOutcome, BookingError> {
        // Looked up on every attempt: a retry after a configuration change uses the new one.
        let catalog = self.catalog();
        let (office, service) = catalog.service(&request.office_id, &request.service_id)?;
        let now = self.clock.now();
        let start = request.start;
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        // The citizen first, then the office: everything that takes both locks takes them
        // in this order (no deadlock), and the per-citizen checks stay outside the office's
        // critical section, which is what limits one office's throughput.
        if self.store.backend() == Backend::Postgres {
            // SQLite's write lock, taken by BEGIN IMMEDIATE, already serializes everything.
            store::lock_citizen(conn, citizen.document.number()).await?;
        }
        if let Some((key, fingerprint)) = idempotency
            && let Some(outcome) = replay(conn, key, fingerprint, now).await?
        {
            tx.commit().await?;
            return Ok(outcome);
        }
        check_citizen_limits(
            conn,
            citizen,
            service,
            start,
            start + service.duration(),
            now,
            None,
        )
        .await?;
        self.lock_office(conn, &office.id).await?;
        let hold_id = consumable_hold(conn, request, office, service, now).await?;
        let exclude = Exclude {
            appointment_id: None,
            hold_id: hold_id.as_deref(),
        };
        let desk = place_and_move(conn, office, service, start, now, exclude).await?;
        if let Some(hold_id) = &hold_id {
            store::delete_hold(conn, hold_id).await?;
        }

        let appointment = Appointment {
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
        };
        store::insert_appointment(conn, &appointment).await?;
        let token = random_token();
        store::insert_token(conn, &sha256_hex(&token), &appointment.id, now).await?;
        if let Some((key, fingerprint)) = idempotency {
            let record = IdempotencyRecord {
                key: key.clone(),
                fingerprint: fingerprint.clone(),
                appointment_id: appointment.id.clone(),
                status_code: 201,
                created_at: now.timestamp(),
                expires_at: (now + Duration::hours(IDEMPOTENCY_TTL_HOURS)).timestamp(),
            };
            store::insert_idempotency(conn, &record).await?;
        }
        audit(
            conn,
            &appointment,
            "booked",
            actor,
            now,
            format!("service {} desk {}", service.id, appointment.desk_id),
        )
        .await?;
        tx.commit().await?;
        Ok(BookOutcome {
            appointment,
            token,
            replayed: false,
        })
    }
}

/// The earlier result under this key, with a newly issued token; or the refusal when the
/// key was used for another request.
async fn replay(
    conn: &mut AnyConnection,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<BookOutcome>, BookingError> {
    let Some(record) = store::find_idempotency(conn, key, now).await? else {
        return Ok(None);
    };
    if record.fingerprint != fingerprint {
        return Err(BookingError::IdempotencyKeyReused);
    }
    let appointment = store::find_appointment(conn, &record.appointment_id)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt("idempotency record names a missing appointment".into())
        })?;
    let token = random_token();
    store::insert_token(conn, &sha256_hex(&token), &appointment.id, now).await?;
    Ok(Some(BookOutcome {
        appointment,
        token,
        replayed: true,
    }))
}

/// The hold named in the request, if it is still live; an expired or unknown hold is no
/// reason to refuse (the slot is booked if still free), but a hold for another slot is.
async fn consumable_hold(
    conn: &mut AnyConnection,
    request: &BookRequest,
    office: &Office,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<Option<String>, BookingError> {
    let Some(hold_id) = &request.hold_id else {
        return Ok(None);
    };
    let Some(hold) = store::find_hold(conn, hold_id).await? else {
        return Ok(None);
    };
    if hold.office_id != office.id.as_str()
        || hold.service_id != service.id.as_str()
        || hold.start_at != request.start.timestamp()
    {
        return Err(BookingError::Validation(
            "hold_id is a hold for another office, procedure or time".into(),
        ));
    }
    Ok((hold.expires_at > now.timestamp()).then_some(hold.id))
}

/// Anti-hoarding (DESIGN §3): at most `max_active_per_citizen` active appointments for the
/// procedure across offices, and never two overlapping ones.
pub(crate) async fn check_citizen_limits(
    conn: &mut AnyConnection,
    citizen: &ValidCitizen,
    service: &Service,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
) -> Result<(), BookingError> {
    let mine: Vec<Appointment> =
        store::citizen_active_appointments(conn, citizen.document.number(), now)
            .await?
            .into_iter()
            .filter(|a| Some(a.id.as_str()) != ignoring)
            .collect();
    let same = mine.iter().filter(|a| a.service_id == service.id).count();
    if same >= usize::try_from(service.max_active_per_citizen).unwrap_or(usize::MAX) {
        return Err(BookingError::CitizenLimitReached(format!(
            "this person already has {same} active appointment(s) for this procedure; \
             cancel or attend one before booking another"
        )));
    }
    if let Some(clash) = mine.iter().find(|a| a.start < end && start < a.end) {
        return Err(BookingError::CitizenLimitReached(format!(
            "this person already has an appointment at that time (locator {})",
            clash.locator
        )));
    }
    Ok(())
}

/// Finds a desk for `service` at `start` and writes the reassignments it needs.
///
/// First with only the appointments overlapping the new occupancy: a free desk there is
/// a valid placement (the stored assignment is feasible, invariant 1), and "full" on this
/// subset is full on the whole day too (fewer appointments never fit less). Only when the
/// answer needs other appointments moved is the whole day loaded and planned exactly.
pub(crate) async fn place_and_move(
    conn: &mut AnyConnection,
    office: &Office,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    exclude: Exclude<'_>,
) -> Result<DeskId, BookingError> {
    let window = (start, start + service.occupancy());
    let narrow = snapshot::load_window(conn, office, window, now, exclude).await?;
    let placement = match Allocator::new(narrow).place(&service.id, start) {
        Ok(placement) if placement.moves.is_empty() => placement,
        Ok(_) => {
            let date = crate::calendar::local_date(office.timezone, start);
            let full = snapshot::load(conn, office, date, date, now, exclude).await?;
            Allocator::new(full)
                .place(&service.id, start)
                .map_err(refusal)?
        }
        Err(error) => return Err(refusal(error)),
    };
    apply_moves(conn, &placement.moves).await?;
    Ok(placement.desk)
}

fn refusal(error: PlaceError) -> BookingError {
    match error {
        PlaceError::UnknownService(_) => BookingError::NotFound,
        PlaceError::OutsideBookingWindow => BookingError::OutsideBookingWindow,
        PlaceError::NotACandidateStart | PlaceError::Full => BookingError::SlotUnavailable,
    }
}

async fn apply_moves(conn: &mut AnyConnection, moves: &[Move]) -> Result<(), StoreError> {
    for m in moves {
        if let Some(id) = m.key.strip_prefix(APPOINTMENT_KEY) {
            store::update_desk(conn, id, &m.to).await?;
        } else if let Some(id) = m.key.strip_prefix(HOLD_KEY) {
            store::update_hold_desk(conn, id, &m.to).await?;
        }
    }
    Ok(())
}

/// Cancels an appointment inside the caller's transaction (closures, configuration
/// changes): the status, a new sequence so calendars see it, and the audit line.
pub(crate) async fn cancel_in_transaction(
    conn: &mut AnyConnection,
    appointment: &mut Appointment,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    appointment.status = Status::Cancelled;
    appointment.sequence += 1;
    appointment.updated_at = now;
    store::update_appointment(conn, appointment).await?;
    audit(conn, appointment, "cancelled", actor, now, detail).await
}

pub(crate) async fn audit(
    conn: &mut AnyConnection,
    appointment: &Appointment,
    action: &'static str,
    actor: &Actor,
    now: DateTime<Utc>,
    detail: String,
) -> Result<(), StoreError> {
    store::insert_audit(
        conn,
        &AuditEntry {
            at: now,
            office_id: appointment.office_id.clone(),
            appointment_id: Some(appointment.id.clone()),
            action,
            actor_kind: actor.kind(),
            actor_id: actor.id(),
            detail,
        },
    )
    .await
}
