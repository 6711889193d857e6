//! PostgreSQL booking transactions, with their values as bound parameters.
//!
//! A batch of bookings needs its locks and reads, then the allocator's decision in this
//! process, then its writes: `BEGIN`, `cita_book_begin` (the locks and every read, in one
//! statement), `cita_book_write` (every write) and `COMMIT`. Each server-side function
//! takes one JSON document as a bound parameter, so no name, document, e-mail or phone is
//! ever part of a statement's text: PostgreSQL writes the text of every failed statement
//! to its log by default (`log_min_error_statement`) and shows it to monitoring users in
//! `pg_stat_activity`, but not the parameters. (Sending `BEGIN` with the first call and
//! `COMMIT` with the last in one simple-protocol message each saved two round trips, but
//! the simple protocol has no parameters and put every value into the text.)
//!
//! The worker keeps its connection from one batch to the next ([`HeldConnection`]), and
//! the transaction commits asynchronously; its bookings are acknowledged after a later
//! synchronous commit flushed the log past it ([`Flusher`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use tokio::sync::oneshot;

use crate::domain::{Appointment, DeskId, OfficeId};

use super::queries::{OccupancyRecord, OccupancyRow, OfficeLock};
use super::rows::{AppointmentRow, AuditEntry, HoldRecord, IdempotencyRecord};
use super::{Store, StoreError, TokenRecord, record_wait};

/// What a batch of bookings locks and asks to read.
#[derive(Debug, Clone, Copy)]
pub struct BookingBegin<'a> {
    pub documents: &'a [&'a str],
    /// In id (byte) order: the order their locks are taken.
    pub offices: &'a [&'a OfficeId],
    pub now: DateTime<Utc>,
    /// Spans of an office whose desk occupancies the batch needs.
    pub windows: &'a [(&'a OfficeId, DateTime<Utc>, DateTime<Utc>)],
    /// Idempotency keys (as stored) whose live records the batch needs.
    pub keys: &'a [&'a str],
    /// Holds the batch's bookings name.
    pub holds: &'a [&'a str],
}

/// What a batch of bookings read under its locks.
#[derive(Debug, Default)]
pub struct BookingLocks {
    /// Each office's lock, in id order; offices not in the database are missing.
    pub locks: Vec<(OfficeId, OfficeLock)>,
    /// The citizens' active appointments that have not ended, in every office.
    pub active: Vec<Appointment>,
    /// The offices' desk occupancies overlapping any of their windows, when read with the
    /// locks (PostgreSQL); `None` leaves them to be read per date.
    pub occupancies: Option<Vec<(OfficeId, OccupancyRecord)>>,
    /// The live idempotency records under the keys asked for.
    pub keys: HashMap<String, StoredKey>,
    /// The holds asked for that exist (live or expired).
    pub holds: Vec<HoldRecord>,
}

/// A live idempotency record and the appointment it names (`None` if that is missing,
/// which would be corrupt data).
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub record: IdempotencyRecord,
    pub appointment: Option<Appointment>,
}

/// Everything a batch of bookings writes.
#[derive(Debug, Clone, Copy)]
pub struct BookingWrite<'a> {
    pub now: DateTime<Utc>,
    /// Stored appointments moved to another desk: `(id, desk)`.
    pub moves: &'a [(String, DeskId)],
    /// Holds moved to another desk: `(id, desk)`.
    pub hold_moves: &'a [(String, DeskId)],
    /// Holds turned into appointments.
    pub consumed_holds: &'a [&'a str],
    pub appointments: &'a [Appointment],
    pub tokens: &'a [TokenRecord],
    pub audit: &'a [AuditEntry],
    pub idempotency: &'a [IdempotencyRecord],
}

/// A connection kept between one transaction and the next (PostgreSQL): no trip through
/// the pool, whose health check on every checkout costs a round trip of its own.
#[derive(Debug)]
pub struct HeldConnection(PoolConnection<Any>);

/// Where a booking worker keeps its [`HeldConnection`] between batches.
#[derive(Debug, Default)]
pub struct ConnectionSlot(Mutex<Option<HeldConnection>>);

impl ConnectionSlot {
    fn slot(&self) -> MutexGuard<'_, Option<HeldConnection>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn take(&self) -> Option<HeldConnection> {
        self.slot().take()
    }

    pub fn put(&self, conn: HeldConnection) {
        *self.slot() = Some(conn);
    }
}

/// A PostgreSQL transaction begun by [`Store::begin_booking`]: its connection stays out of
/// the pool until it is committed or rolled back. Dropped while open (a failed rollback,
/// a cancelled task), the connection is closed, which aborts the transaction.
#[derive(Debug)]
pub struct PipelinedTx {
    /// `Some` while the transaction is open; taken when it ends.
    conn: Option<PoolConnection<Any>>,
}

impl Store {
    /// Begins a booking transaction on PostgreSQL, on `held` if given: `BEGIN`, then
    /// `cita_book_begin` (migration 0004) with `begin` as its parameter. The transaction
    /// commits asynchronously (see [`Flusher`]).
    pub async fn begin_booking(
        &self,
        held: Option<HeldConnection>,
        begin: &BookingBegin<'_>,
    ) -> Result<(PipelinedTx, BookingLocks), StoreError> {
        let json = serde_json::to_string(&BeginParams::from(begin))
            .map_err(|e| StoreError::Corrupt(format!("encoding a batch's reads: {e}")))?;
        let asked = std::time::Instant::now();
        let conn = match held {
            Some(HeldConnection(conn)) => conn,
            None => self.pool().acquire().await?,
        };
        let mut tx = PipelinedTx { conn: Some(conn) };
        let read = tx.read_begin(json).await;
        // Behind other writes of these offices and citizens (another instance's too).
        record_wait(asked.elapsed());
        match read {
            Ok(locks) => Ok((tx, locks)),
            Err(error) => {
                tx.rollback().await;
                Err(error)
            }
        }
    }
}

impl PipelinedTx {
    /// The transaction's connection, for the reads a batch may still need.
    pub fn conn(&mut self) -> Result<&mut AnyConnection, StoreError> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| StoreError::Corrupt("a finished transaction was used".into()))
    }

    /// Sends `BEGIN` and `cita_book_begin($1)`, and reads its answer.
    async fn read_begin(&mut self, params: String) -> Result<BookingLocks, StoreError> {
        let conn = self.conn()?;
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        let answer: String = sqlx::query_scalar("SELECT cita_book_begin($1::jsonb)")
            .bind(params)
            .fetch_one(&mut *conn)
            .await?;
        parse_begin(&answer)
    }

    /// Writes `write` with `cita_book_write($1)` and commits; gives the connection back
    /// for the next transaction. On failure the transaction is rolled back and nothing
    /// was written.
    pub async fn write_and_commit(
        mut self,
        write: &BookingWrite<'_>,
    ) -> Result<HeldConnection, StoreError> {
        let json = serde_json::to_string(&WriteJson::from(write))
            .map_err(|e| StoreError::Corrupt(format!("encoding a batch's writes: {e}")))?;
        let conn = self.conn()?;
        let written = match sqlx::query("SELECT 1 FROM cita_book_write($1::jsonb) AS written")
            .bind(json)
            .execute(&mut *conn)
            .await
        {
            Ok(_) => sqlx::raw_sql("COMMIT").execute(&mut *conn).await,
            Err(error) => Err(error),
        };
        match written {
            Ok(_) => self
                .conn
                .take()
                .map(HeldConnection)
                .ok_or_else(|| StoreError::Corrupt("a finished transaction was used".into())),
            Err(error) => {
                // If COMMIT itself failed the transaction is already over; a ROLLBACK then
                // only draws a warning.
                self.rollback().await;
                Err(error.into())
            }
        }
    }

    /// Rolls back and gives the connection back to the pool; if even that fails, the
    /// connection is closed when dropped.
    pub async fn rollback(mut self) {
        if let Ok(conn) = self.conn()
            && sqlx::raw_sql("ROLLBACK").execute(conn).await.is_ok()
        {
            self.conn = None;
        }
    }
}

impl Drop for PipelinedTx {
    fn drop(&mut self) {
        if let Some(conn) = &mut self.conn {
            conn.close_on_drop();
        }
    }
}

/// Makes asynchronously committed transactions durable (PostgreSQL): one small
/// synchronous commit flushes the log up to itself, and with it every commit before it.
/// Everyone who asks while no flush runs shares the next one; who asks while one runs
/// waits for the one after (the running one may have started before their commit). The
/// flushing task keeps its connection while there is work.
#[derive(Debug, Default)]
pub struct Flusher {
    state: Mutex<FlushState>,
}

type FlushAnswer = Result<(), Arc<StoreError>>;

#[derive(Debug, Default)]
struct FlushState {
    waiting: Vec<oneshot::Sender<FlushAnswer>>,
    running: bool,
}

impl Flusher {
    fn state(&self) -> MutexGuard<'_, FlushState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns once every transaction committed before the call is on disk.
    pub async fn flush(self: &Arc<Self>, store: &Store) -> Result<(), StoreError> {
        let asked = std::time::Instant::now();
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = self.state();
            state.waiting.push(reply);
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            tokio::spawn(flush_rounds(Arc::clone(self), store.clone()));
        }
        let answer = answer.await;
        record_wait(asked.elapsed());
        match answer {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(StoreError::shared(error)),
            Err(_) => Err(StoreError::Corrupt("the flushing task stopped".into())),
        }
    }
}

/// Runs flushes until nobody waits.
async fn flush_rounds(flusher: Arc<Flusher>, store: Store) {
    // Should the task stop early (a panic), those waiting are told (their senders drop)
    // and the next caller starts a new task.
    struct Running<'a> {
        flusher: &'a Flusher,
        armed: bool,
    }
    impl Drop for Running<'_> {
        fn drop(&mut self) {
            if self.armed {
                let mut state = self.flusher.state();
                state.running = false;
                state.waiting.clear();
            }
        }
    }
    let mut running = Running {
        flusher: &flusher,
        armed: true,
    };
    let mut conn: Option<PoolConnection<Any>> = None;
    loop {
        let waiting = {
            let mut state = flusher.state();
            if state.waiting.is_empty() {
                // In the same critical section: a caller that comes next starts a new task.
                state.running = false;
                running.armed = false;
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        let result = flush_once(&store, &mut conn).await.map_err(Arc::new);
        for reply in waiting {
            let _ = reply.send(result.clone());
        }
    }
}

async fn flush_once(
    store: &Store,
    conn: &mut Option<PoolConnection<Any>>,
) -> Result<(), StoreError> {
    let mut held = match conn.take() {
        Some(held) => held,
        None => store.pool().acquire().await?,
    };
    sqlx::query("SELECT pg_logical_emit_message(true, 'cita', 'flush')::text")
        .execute(&mut *held)
        .await?;
    *conn = Some(held);
    Ok(())
}

/// What `cita_book_begin(p jsonb)` reads from its parameter.
#[derive(Serialize)]
struct BeginParams<'a> {
    documents: &'a [&'a str],
    offices: Vec<&'a str>,
    now: i64,
    window_offices: Vec<&'a str>,
    window_from: Vec<i64>,
    window_to: Vec<i64>,
    keys: &'a [&'a str],
    holds: &'a [&'a str],
}

impl<'a> From<&'a BookingBegin<'a>> for BeginParams<'a> {
    fn from(begin: &'a BookingBegin<'a>) -> Self {
        BeginParams {
            documents: begin.documents,
            offices: begin.offices.iter().map(|o| o.as_str()).collect(),
            now: begin.now.timestamp(),
            window_offices: begin.windows.iter().map(|(o, _, _)| o.as_str()).collect(),
            window_from: begin
                .windows
                .iter()
                .map(|(_, f, _)| f.timestamp())
                .collect(),
            window_to: begin
                .windows
                .iter()
                .map(|(_, _, t)| t.timestamp())
                .collect(),
            keys: begin.keys,
            holds: begin.holds,
        }
    }
}

#[derive(Deserialize)]
struct BeginJson {
    config_version: Option<i64>,
    offices: Vec<OfficeVersionJson>,
    active: Vec<AppointmentRow>,
    occupancies: Vec<OfficeOccupancyJson>,
    replays: Vec<ReplayJson>,
    holds: Vec<HoldRecord>,
}

#[derive(Deserialize)]
struct OfficeVersionJson {
    office_id: String,
    version: i64,
    closures_count: i64,
    closures_newest: i64,
}

#[derive(Deserialize)]
struct OfficeOccupancyJson {
    office_id: String,
    #[serde(flatten)]
    row: OccupancyRow,
}

#[derive(Deserialize)]
struct ReplayJson {
    #[serde(flatten)]
    record: IdempotencyRecord,
    appointment: Option<AppointmentRow>,
}

fn parse_begin(json: &str) -> Result<BookingLocks, StoreError> {
    let read: BeginJson = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("cita_book_begin answered {e}")))?;
    let mut locks: Vec<(OfficeId, OfficeLock)> = read
        .offices
        .into_iter()
        .map(|o| {
            let lock = OfficeLock {
                version: o.version,
                config_version: read.config_version,
                closures_count: o.closures_count,
                closures_newest: o.closures_newest,
            };
            (OfficeId::new(o.office_id), lock)
        })
        .collect();
    locks.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut occupancies = read
        .occupancies
        .into_iter()
        .map(|o| {
            Ok((
                OfficeId::new(o.office_id),
                OccupancyRecord::try_from(o.row)?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // The order every other reader gives them (and the allocator's answers depend on).
    occupancies.sort_by(|(_, a), (_, b)| (a.start_at, &a.id).cmp(&(b.start_at, &b.id)));
    occupancies.dedup_by(|(_, a), (_, b)| a.id == b.id && a.is_hold == b.is_hold);
    let keys = read
        .replays
        .into_iter()
        .map(|r| {
            let appointment = r.appointment.map(Appointment::try_from).transpose()?;
            Ok((
                r.record.key.clone(),
                StoredKey {
                    record: r.record,
                    appointment,
                },
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(BookingLocks {
        locks,
        active: read
            .active
            .into_iter()
            .map(Appointment::try_from)
            .collect::<Result<_, _>>()?,
        occupancies: Some(occupancies),
        keys,
        holds: read.holds,
    })
}

#[derive(Serialize)]
struct WriteJson<'a> {
    now: i64,
    moves: Vec<MoveJson<'a>>,
    hold_moves: Vec<MoveJson<'a>>,
    consumed_holds: &'a [&'a str],
    appointments: Vec<AppointmentJson<'a>>,
    tokens: Vec<TokenJson<'a>>,
    audit: Vec<AuditJson<'a>>,
    idempotency: &'a [IdempotencyRecord],
}

#[derive(Serialize)]
struct MoveJson<'a> {
    id: &'a str,
    desk_id: &'a str,
}

/// An appointment as its table's columns.
#[derive(Serialize)]
struct AppointmentJson<'a> {
    id: &'a str,
    locator: &'a str,
    office_id: &'a str,
    service_id: &'a str,
    desk_id: &'a str,
    start_at: i64,
    end_at: i64,
    occupied_until: i64,
    status: &'a str,
    sequence: i64,
    citizen_name: &'a str,
    document: &'a str,
    document_type: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize)]
struct TokenJson<'a> {
    token_hash: &'a str,
    appointment_id: &'a str,
    created_at: i64,
    scope: &'a str,
}

#[derive(Serialize)]
struct AuditJson<'a> {
    at: i64,
    office_id: &'a str,
    appointment_id: Option<&'a str>,
    action: &'a str,
    actor_kind: &'a str,
    actor_id: Option<&'a str>,
    detail: &'a str,
}

impl<'a> From<&'a BookingWrite<'a>> for WriteJson<'a> {
    fn from(write: &'a BookingWrite<'a>) -> Self {
        let moves = |moves: &'a [(String, DeskId)]| {
            moves
                .iter()
                .map(|(id, desk)| MoveJson {
                    id,
                    desk_id: desk.as_str(),
                })
                .collect()
        };
        WriteJson {
            now: write.now.timestamp(),
            moves: moves(write.moves),
            hold_moves: moves(write.hold_moves),
            consumed_holds: write.consumed_holds,
            appointments: write
                .appointments
                .iter()
                .map(|a| AppointmentJson {
                    id: &a.id,
                    locator: a.locator.as_str(),
                    office_id: a.office_id.as_str(),
                    service_id: a.service_id.as_str(),
                    desk_id: a.desk_id.as_str(),
                    start_at: a.start.timestamp(),
                    end_at: a.end.timestamp(),
                    occupied_until: a.occupied_until.timestamp(),
                    status: a.status.as_str(),
                    sequence: a.sequence,
                    citizen_name: &a.citizen_name,
                    document: &a.document,
                    document_type: &a.document_type,
                    email: a.email.as_deref(),
                    phone: a.phone.as_deref(),
                    created_at: a.created_at.timestamp(),
                    updated_at: a.updated_at.timestamp(),
                })
                .collect(),
            tokens: write
                .tokens
                .iter()
                .map(|t| TokenJson {
                    token_hash: &t.token_hash,
                    appointment_id: &t.appointment_id,
                    created_at: write.now.timestamp(),
                    scope: t.scope.as_str(),
                })
                .collect(),
            audit: write
                .audit
                .iter()
                .map(|e| AuditJson {
                    at: e.at.timestamp(),
                    office_id: e.office_id.as_str(),
                    appointment_id: e.appointment_id.as_deref(),
                    action: e.action,
                    actor_kind: e.actor_kind,
                    actor_id: e.actor_id.as_deref(),
                    detail: &e.detail,
                })
                .collect(),
            idempotency: write.idempotency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_begin_parameter_lists_every_value_in_order() {
        let madrid = OfficeId::new("madrid".to_owned());
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        let begin = BookingBegin {
            documents: &["12345678Z"],
            offices: &[&madrid],
            now: at(100),
            windows: &[(&madrid, at(200), at(300)), (&madrid, at(400), at(500))],
            keys: &[],
            holds: &["h'1"],
        };
        assert_eq!(
            serde_json::to_value(BeginParams::from(&begin)).unwrap(),
            serde_json::json!({
                "documents": ["12345678Z"], "offices": ["madrid"], "now": 100,
                "window_offices": ["madrid", "madrid"], "window_from": [200, 400],
                "window_to": [300, 500], "keys": [], "holds": ["h'1"],
            })
        );
    }
}
