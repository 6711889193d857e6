//! Persistence: every operation a database provides, as traits, and the two databases
//! that provide them (SQLite and PostgreSQL), chosen once at start-up from the URL.
//!
//! The use cases (`crate::booking`) see only [`Database`], the transactions it opens and
//! the per-aggregate traits below; no sqlx type and no backend test leaves this module.
//! What the two backends do differently is only how they serialize writers and how they
//! batch a booking transaction's reads and writes:
//!
//! - SQLite has a single writer: [`Database::begin_write`] takes the database write lock
//!   up front (`BEGIN IMMEDIATE`), so locks on citizens and owners are not needed; a
//!   batch of bookings reads statement by statement ([`sqlite`]).
//! - PostgreSQL takes row locks (citizen first, then office) and runs a batch of bookings
//!   in two round trips, its reads and its writes each one server-side function call with
//!   one bound JSON parameter; those functions lock, read and write, and decide nothing
//!   ([`postgres`]). The exclusion constraint on desk time is the last line of defence.
//!
//! The SQL text of every other operation is the same on both ([`sql`]): instants are
//! integer UTC seconds and ids are text (DESIGN §5). Backend-specific DDL lives in
//! `migrations/sqlite` and `migrations/postgres` under the same version names.

/// The columns of an appointment row, in the order `rows::AppointmentRow` reads them; one
/// list for every statement that reads or writes whole appointments.
macro_rules! appointment_columns {
    () => {
        "id, locator, office_id, service_id, desk_id, start_at, end_at, occupied_until, \
         status, sequence, citizen_name, document, document_type, email, phone, created_at, updated_at, language"
    };
}

/// `SELECT` of whole appointments with the given `WHERE` clause (a literal).
macro_rules! select_appointments {
    ($where:literal) => {
        concat!(
            "SELECT ",
            appointment_columns!(),
            " FROM appointments WHERE ",
            $where
        )
    };
}

mod appointments;
mod audit;
mod booking_tx;
mod bulk;
mod changes;
mod citizen_calendars;
mod draws;
mod error;
mod holds;
mod idempotency;
mod offices;
mod options;
mod outbox;
mod postgres;
mod retention;
mod rooms;
mod rows;
mod sql;
mod sqlite;
mod staff;
mod tokens;
mod waits;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Appointment, AppointmentFigures, DeskId, OfficeId, ServiceId};

pub use audit::{AuditFilter, AuditLine, BookingTrace};
pub use booking_tx::{BookingBegin, BookingLocks, BookingWrite, ConnectionSlot, StoredKey};
pub use changes::ChangeRecord;
pub use citizen_calendars::{CitizenFeedRecord, CitizenOwner};
pub use draws::{DrawEntryRecord, DrawRecord, EntryResult};
pub use error::StoreError;
pub use offices::{ClosureRecord, ConfigRecord, OccupancyRecord, OfficeLock};
pub use options::{SqliteSync, StoreOptions};
pub use outbox::{NewNotice, NoticeOutcome, NoticeRecord, OutboxCounts};
pub use retention::Purged;
pub use rooms::{LinePlace, TicketRecord};
pub use rows::{AuditEntry, HoldRecord, IdempotencyRecord, instant};
pub use staff::{FeedLinkRow, FeedTokenRecord, StaffSessionRecord, StaffUserRecord};
pub use tokens::{TokenRecord, TokenScope};

use options::Backend;

/// A database, shared by every request of this instance.
pub type Store = Arc<dyn Database>;

/// Connects to the database `url` names (creating a missing SQLite file), with the
/// backend it names.
pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
    Ok(match Backend::from_url(url)? {
        Backend::Sqlite => Arc::new(sqlite::Sqlite::connect(url, options).await?),
        Backend::Postgres => Arc::new(postgres::Postgres::connect(url, options).await?),
    })
}

/// What a backend provides: connections for reads, and transactions that serialize
/// writers (DESIGN §5).
#[async_trait]
pub trait Database: Send + Sync + fmt::Debug {
    /// Applies pending migrations for this backend.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Answers whether the database is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// A connection for reads outside a write transaction.
    async fn read(&self) -> Result<Box<dyn Records>, StoreError>;

    /// Starts a write transaction. Take locks in a fixed order: the citizen
    /// ([`Appointments::lock_citizen`]) or the owner ([`Holds::lock_key`]), then the office
    /// ([`Offices::lock_office`]). On SQLite it holds the database write lock from its first
    /// statement (a deferred transaction that upgrades would fail with `SQLITE_BUSY` at
    /// once, ignoring `busy_timeout`).
    async fn begin_write(&self) -> Result<Box<dyn WriteTx>, StoreError>;

    /// Starts a batch of bookings' transaction: takes the citizens' locks, then the
    /// offices' (in `begin`'s order), and reads what they guard. `held` is the booking
    /// worker's connection slot, which a backend may keep a connection in between
    /// batches.
    async fn begin_booking(
        &self,
        held: &ConnectionSlot,
        begin: &BookingBegin<'_>,
    ) -> Result<(Box<dyn BookingTx>, BookingLocks), StoreError>;

    /// Whether a committed booking transaction is on disk when its commit returns; when
    /// not, its answers wait for [`Database::flush_commits`].
    fn commits_durably(&self) -> bool;

    /// Returns once every transaction committed before the call is on disk.
    async fn flush_commits(&self) -> Result<(), StoreError>;

    /// Closes every connection.
    async fn close(&self);

    /// Most connections the pool opens: how many statements run at once.
    fn max_connections(&self) -> u32;

    /// The pool underneath, for tests, benches and tools that inspect the tables
    /// themselves; the use cases never touch it. `None` for a database that is not SQL
    /// (a test's fake).
    fn sql_pool(&self) -> Option<&sqlx::AnyPool> {
        None
    }
}

/// What makes a document wait before booking a procedure again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenMark {
    NoShow,
    Cancelled,
}

impl CitizenMark {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CitizenMark::NoShow => "no_show",
            CitizenMark::Cancelled => "cancelled",
        }
    }
}

/// A citizen's recent no-shows and own cancellations of one procedure
/// ([`Appointments::citizen_history`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CitizenHistory {
    /// Starts of the appointments it did not come to.
    pub no_shows: Vec<DateTime<Utc>>,
    /// When it cancelled its appointments.
    pub cancellations: Vec<DateTime<Utc>>,
}

/// Every operation on one connection or transaction.
pub trait Records:
    Offices
    + Appointments
    + Tokens
    + Holds
    + Idempotency
    + Audit
    + Staff
    + Retention
    + Draws
    + Rooms
    + Outbox
    + CitizenCalendars
{
}

impl<
    T: Offices
        + Appointments
        + Tokens
        + Holds
        + Idempotency
        + Audit
        + Staff
        + Retention
        + Draws
        + Rooms
        + Outbox
        + CitizenCalendars,
> Records for T
{
}

/// A write transaction: every operation ([`WriteTx::conn`]), then commit. Dropped
/// without a commit, it rolls back.
#[async_trait]
pub trait WriteTx: Send {
    /// Its operations.
    fn conn(&mut self) -> &mut dyn Records;

    /// The connection underneath, for tests, benches and tools that write the tables
    /// themselves; the use cases never touch it. `None` for a fake.
    fn sql(&mut self) -> Option<&mut sqlx::AnyConnection> {
        None
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A batch of bookings' transaction ([`Database::begin_booking`]).
#[async_trait]
pub trait BookingTx: Send {
    /// Its operations, for what the batch still has to read.
    fn conn(&mut self) -> Result<&mut dyn Records, StoreError>;

    /// Writes everything the batch decided and commits; the backend may keep the
    /// connection in `held` for the next batch. On failure nothing was written.
    async fn write_and_commit(
        self: Box<Self>,
        write: &BookingWrite<'_>,
        held: &ConnectionSlot,
    ) -> Result<(), StoreError>;

    async fn rollback(self: Box<Self>);
}

/// Offices, their locks, closures and desk occupancies, and the stored configuration.
#[async_trait]
pub trait Offices: Send {
    /// Serializes on the office: the first statement of every feasibility-changing write.
    /// `NotFound` when the office is not in the database.
    ///
    /// The configuration version and the closure mark must be read after the lock is
    /// granted: a subquery of the locking statement itself would read the snapshot taken
    /// before it waited, and miss a closure or a configuration committed meanwhile. On
    /// PostgreSQL a server-side function (migration 0003) reads them in a statement of their
    /// own; SQLite holds its write lock from `BEGIN IMMEDIATE`, before any read.
    async fn lock_office(&mut self, office: &OfficeId) -> Result<OfficeLock, StoreError>;
    /// Offices known to the database, and whether each exists; used by import.
    async fn ensure_office(&mut self, office: &OfficeId) -> Result<(), StoreError>;
    async fn office_version(&mut self, office: &OfficeId) -> Result<Option<i64>, StoreError>;
    /// Desk occupancies of an office overlapping `[from, to)`: appointments that take desk
    /// time and live holds, in one round trip (this runs inside every booking).
    async fn office_occupancies(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OccupancyRecord>, StoreError>;
    /// The public's share of `service` starting in `[from, to)`: appointments taking desk
    /// time not booked by staff, and live holds, as snapshot keys (`appt:<id>`,
    /// `hold:<id>`) with their starts (DESIGN: channel quotas).
    async fn public_starts(
        &mut self,
        office: &OfficeId,
        service: &ServiceId,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError>;
    async fn insert_closure(
        &mut self,
        closure: &ClosureRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn office_closures(
        &mut self,
        office: &OfficeId,
    ) -> Result<Vec<ClosureRecord>, StoreError>;
    /// Changes logged for the office after version `since` (migration 0013): which days
    /// per-day availability answers must compute again.
    async fn availability_changes(
        &mut self,
        office: &OfficeId,
        since: i64,
    ) -> Result<Vec<ChangeRecord>, StoreError>;
    async fn load_config(&mut self) -> Result<Option<ConfigRecord>, StoreError>;
    async fn save_config(
        &mut self,
        record: &ConfigRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The stored configuration's version: one indexed row, cheap enough to poll.
    async fn config_version(&mut self) -> Result<Option<i64>, StoreError>;
    /// Every office row, ascending: the order in which a transaction touching all offices
    /// must lock them.
    async fn all_office_ids(&mut self) -> Result<Vec<OfficeId>, StoreError>;
    /// The stored digest key (64 hex digits), stored first as `candidate` if there is none
    /// yet: every instance ends up with the one the first instance wrote.
    async fn server_pepper(&mut self, candidate: &str) -> Result<String, StoreError>;
}

/// Appointments: the citizens' locks, lookups, the agenda's and the feeds' reads, writes.
#[async_trait]
pub trait Appointments: Send {
    /// Serializes on one citizen (always before the office lock, so no deadlock). Nothing
    /// to do where a write transaction already excludes every other writer (SQLite).
    async fn lock_citizen(&mut self, document: &str) -> Result<(), StoreError>;
    /// The active appointments that have not ended yet of each of `documents`, in every
    /// office, in one round trip.
    async fn citizens_active_appointments(
        &mut self,
        documents: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
    /// A citizen's active appointments that have not ended yet, in every office.
    async fn citizen_active_appointments(
        &mut self,
        document: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
    /// What the document with digest `document_key` did with `service` since `since`
    /// ([`Appointments::mark_citizen`]). Read only for procedures with a cool-off or a
    /// cap on cancellations.
    async fn citizen_history(
        &mut self,
        document_key: &str,
        service: &ServiceId,
        since: DateTime<Utc>,
    ) -> Result<CitizenHistory, StoreError>;
    /// Records a no-show (`at` = the appointment's start) or a citizen's own cancellation
    /// (`at` = when) of `service` by the document with digest `document_key`: kept apart
    /// from the appointment, so erasing its personal data does not erase it.
    async fn mark_citizen(
        &mut self,
        document_key: &str,
        service: &ServiceId,
        mark: CitizenMark,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn find_appointment_by_locator(
        &mut self,
        locator: &str,
    ) -> Result<Option<Appointment>, StoreError>;
    async fn find_appointment(&mut self, id: &str) -> Result<Option<Appointment>, StoreError>;
    /// Appointments of an office starting in `[from, to)`, any status (agenda, feeds, closures).
    async fn office_appointments_starting(
        &mut self,
        office: &OfficeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
    /// The procedure, times and status of an office's appointments starting in `[from, to)`:
    /// what statistics count, without reading anyone's personal data.
    async fn office_appointment_figures(
        &mut self,
        office: &OfficeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AppointmentFigures>, StoreError>;
    /// `Conflict` when the locator is taken (the caller draws another).
    async fn insert_appointment(&mut self, a: &Appointment) -> Result<(), StoreError>;
    /// Moves an appointment to another desk (a reassignment the citizen does not see).
    async fn update_desk(&mut self, id: &str, desk: &DeskId) -> Result<(), StoreError>;
    /// Writes time, desk, status and sequence of an appointment after a change.
    async fn update_appointment(&mut self, a: &Appointment) -> Result<(), StoreError>;
    /// Active (booked or checked-in) appointments of every office whose desk time has not
    /// ended by `now`: what a configuration change could strand.
    async fn active_appointments_after(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
    /// What an office's calendar feed shows (or one desk's, with `desk`): appointments
    /// starting at or after `since` that were served or are still due, plus the ones cancelled
    /// after `cancelled_since` (so subscribed calendars see the cancellation). No-shows are
    /// left out.
    async fn feed_appointments(
        &mut self,
        office: &OfficeId,
        desk: Option<&DeskId>,
        since: DateTime<Utc>,
        cancelled_since: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
}

/// Appointment tokens, stored as SHA-256 hashes only.
#[async_trait]
pub trait Tokens: Send {
    async fn insert_token(
        &mut self,
        token_hash: &str,
        appointment_id: &str,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The id of the appointment behind `locator` if `token_hash` is a token of `scope` for
    /// it. Both indexes are probed whatever the outcome (two independent subqueries), so a
    /// wrong token costs the same work for a taken locator as for a free one: the answer's
    /// timing does not tell a guesser which locators exist.
    async fn appointment_of_token(
        &mut self,
        locator: &str,
        token_hash: &str,
        scope: TokenScope,
    ) -> Result<Option<String>, StoreError>;
    /// What a look-up compares, by locator: the appointment's id, document and document type
    /// (a short row, so a taken locator costs about what a free one does).
    async fn lookup_key(
        &mut self,
        locator: &str,
    ) -> Result<Option<(String, String, String)>, StoreError>;
    /// Revokes the appointment's tokens of `scope` (all of them when `None`).
    async fn delete_tokens(
        &mut self,
        appointment_id: &str,
        scope: Option<TokenScope>,
    ) -> Result<u64, StoreError>;
}

/// Holds on a time while a citizen fills in the form, and their owners' locks.
#[async_trait]
pub trait Holds: Send {
    /// Serializes on an owner's `key` until the transaction ends (PostgreSQL: an advisory
    /// lock on its 64-bit hash; two keys that collide only wait for each other needlessly;
    /// SQLite: nothing to do, its write transaction excludes every other writer).
    async fn lock_key(&mut self, key: &str) -> Result<(), StoreError>;
    /// The holds among `ids` that exist (expired or not), in one round trip.
    async fn holds_by_id(&mut self, ids: &[&str]) -> Result<Vec<HoldRecord>, StoreError>;
    async fn find_hold(&mut self, id: &str) -> Result<Option<HoldRecord>, StoreError>;
    async fn insert_hold(&mut self, hold: &HoldRecord) -> Result<(), StoreError>;
    async fn delete_hold(&mut self, id: &str) -> Result<(), StoreError>;
    async fn update_hold_desk(&mut self, id: &str, desk: &DeskId) -> Result<(), StoreError>;
    /// Moves a hold's expiry (a citizen asked for more time).
    async fn set_hold_expiry(&mut self, hold_id: &str, expires_at: i64) -> Result<(), StoreError>;
    /// Expired holds are ignored by the allocator anyway; this only keeps the table small.
    async fn delete_expired_holds(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// When the next live hold of an office expires (availability changes then).
    async fn earliest_hold_expiry(
        &mut self,
        office: &OfficeId,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The live hold taken for the document with digest `document_key`, if any.
    async fn live_hold_of_document(
        &mut self,
        document_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;
    /// How many live holds the client with digest `client_key` has, in every office.
    async fn count_live_holds_of_client(
        &mut self,
        client_key: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
}

/// Idempotency records: a repeated booking request gets its first answer.
#[async_trait]
pub trait Idempotency: Send {
    async fn find_idempotency(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Records a key; an expired record under the same key is replaced.
    async fn insert_idempotency(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError>;
}

/// The audit trail of who changed what.
#[async_trait]
pub trait Audit: Send {
    async fn insert_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// A page of `office_id`'s audit trail, newest first.
    async fn office_audit(
        &mut self,
        office_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditLine>, StoreError>;
    /// Every `booked` line of appointments of the procedure starting in `[from, to)`
    /// (Unix seconds), oldest first: what the fairness report counts.
    async fn bookings_of_dates(
        &mut self,
        office_id: &str,
        service_id: &str,
        span: (i64, i64),
    ) -> Result<Vec<BookingTrace>, StoreError>;
    /// The details of the `cancelled` lines of those appointments their citizens
    /// cancelled (each says how long the time was kept off sale, if it was).
    async fn citizen_cancellations_of_dates(
        &mut self,
        office_id: &str,
        service_id: &str,
        span: (i64, i64),
    ) -> Result<Vec<String>, StoreError>;
}

/// Staff users, their sessions and the calendar feed links they make.
#[async_trait]
pub trait Staff: Send {
    /// `Conflict` when an active user already has this name (or, astronomically unlikely, the
    /// token hash is taken).
    async fn insert_staff_user(&mut self, user: &StaffUserRecord) -> Result<(), StoreError>;
    /// The unrevoked user holding this token, if any.
    async fn find_staff_user_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<StaffUserRecord>, StoreError>;
    /// The unrevoked user with this name, if any.
    async fn find_staff_user_by_name(
        &mut self,
        name: &str,
    ) -> Result<Option<StaffUserRecord>, StoreError>;
    /// Replaces a user's token: the old one stops working at once.
    async fn set_staff_token(&mut self, id: &str, token_hash: &str) -> Result<(), StoreError>;
    /// Revokes the active user with this name; `false` when there is none.
    async fn revoke_staff_user(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn insert_staff_session(
        &mut self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The session with this id hash whose user is still active, if any.
    async fn find_staff_session(
        &mut self,
        id_hash: &str,
    ) -> Result<Option<StaffSessionRecord>, StoreError>;
    /// Marks the session as used now.
    async fn touch_staff_session(
        &mut self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Ends session `id_hash` (sign out; `""` for none), and every session idle since before
    /// `idle_before`.
    async fn delete_staff_sessions(
        &mut self,
        id_hash: &str,
        idle_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn insert_feed_token(&mut self, token: &FeedTokenRecord) -> Result<(), StoreError>;
    /// The unrevoked feed token with this hash, if any.
    async fn find_feed_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<FeedTokenRecord>, StoreError>;
    /// Revokes a feed token; `false` when it is unknown or already revoked.
    async fn revoke_feed_token(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// An office's unrevoked feed tokens (its own and its desks'), oldest first, with the
    /// name of the staff member who made each.
    async fn office_feed_tokens(&mut self, office_id: &str)
    -> Result<Vec<FeedLinkRow>, StoreError>;
    /// Revokes one of `office_id`'s feed tokens by its hash; `false` when it is not one.
    async fn revoke_office_feed_token(
        &mut self,
        office_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// Erasing personal data once it is no longer needed (DESIGN §13).
#[async_trait]
pub trait Retention: Send {
    /// Erases the personal data of one appointment and revokes all its tokens.
    async fn erase_appointment(
        &mut self,
        appointment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Erases the personal data of every appointment that ended before `ended_before`, and
    /// removes what can no longer be used: tokens of appointments that ended before
    /// `tokens_before` (or are being erased), holds and idempotency records expired at `now`.
    async fn purge(
        &mut self,
        ended_before: DateTime<Utc>,
        tokens_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Purged, StoreError>;
    async fn purge_expired_idempotency(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

pub use waits::{measure_waits, record_wait};

/// Waiting rooms' lines: one place per document and room.
#[async_trait]
pub trait Rooms: Send {
    /// Puts the document in the room's line, or keeps its place if it is already in it;
    /// either way the ticket becomes `ticket_hash` (an earlier one stops working).
    async fn join_room(
        &mut self,
        ticket: &TicketRecord,
        ticket_hash: &str,
    ) -> Result<TicketRecord, StoreError>;
    async fn ticket_of(&mut self, ticket_hash: &str) -> Result<Option<TicketRecord>, StoreError>;
    /// The ticket's place in its line, as ordered once the release instant has passed.
    async fn line_place(
        &mut self,
        ticket: &TicketRecord,
        release_at: i64,
    ) -> Result<LinePlace, StoreError>;
    async fn line_length(&mut self, room_id: &str) -> Result<i64, StoreError>;
}

/// The notifications' outbox: messages written with the change they tell about, and
/// taken by delivery workers under a lease.
#[async_trait]
pub trait Outbox: Send {
    async fn insert_notices(
        &mut self,
        notices: &[NewNotice],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Drops the appointment's reminders still waiting (it moved, or ended); `reason` is
    /// kept on them.
    async fn drop_reminders(
        &mut self,
        appointment_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Takes up to `limit` due messages no live lease holds, leasing them to `worker`
    /// until `lease_until` and counting the attempt, oldest due first.
    async fn claim_notices(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, StoreError>;
    /// Records how `worker`'s attempt ended; `false` when its lease was lost meanwhile
    /// (nothing is changed then).
    async fn finish_notice(
        &mut self,
        id: i64,
        worker: &str,
        outcome: &NoticeOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Messages that failed for good, newest first, of one office or all.
    async fn dead_notices(
        &mut self,
        office_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, StoreError>;
    /// Queues a dead message again, due now with a fresh count of attempts; `false` when
    /// there is no such dead message (in that office).
    async fn requeue_notice(
        &mut self,
        id: i64,
        office_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn outbox_counts(&mut self, now: DateTime<Utc>) -> Result<OutboxCounts, StoreError>;
}

/// The citizen's calendar: e-mailed links, personal feeds, and the appointments of one
/// document and address across offices.
#[async_trait]
pub trait CitizenCalendars: Send {
    async fn insert_citizen_link(
        &mut self,
        token_hash: &str,
        owner: &CitizenOwner,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The owner of a live link, and when it expires (UTC seconds).
    async fn citizen_link(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(CitizenOwner, i64)>, StoreError>;
    /// The owner's appointments starting from `since` on: booked, checked in or completed,
    /// and cancelled ones cancelled after `cancelled_since`; in every office.
    async fn citizen_appointments(
        &mut self,
        owner: &CitizenOwner,
        since: DateTime<Utc>,
        cancelled_since: DateTime<Utc>,
    ) -> Result<Vec<Appointment>, StoreError>;
    async fn insert_citizen_feed(
        &mut self,
        id: &str,
        token_hash: &str,
        owner: &CitizenOwner,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn citizen_feeds(
        &mut self,
        owner: &CitizenOwner,
    ) -> Result<Vec<CitizenFeedRecord>, StoreError>;
    /// The owner of feed `id` when `token_hash` is its token's.
    async fn citizen_feed_owner(
        &mut self,
        id: &str,
        token_hash: &str,
    ) -> Result<Option<CitizenOwner>, StoreError>;
    /// Revokes the owner's feed `id`; `false` when they have no such feed.
    async fn delete_citizen_feed(
        &mut self,
        id: &str,
        owner: &CitizenOwner,
    ) -> Result<bool, StoreError>;
}

/// Release draws: their seeds, entries, leases and results.
#[async_trait]
pub trait Draws: Send {
    /// Stores a draw unless one with its id exists (whoever comes first draws the seed).
    async fn create_draw(&mut self, draw: &DrawRecord) -> Result<(), StoreError>;
    async fn find_draw(&mut self, id: &str) -> Result<Option<DrawRecord>, StoreError>;
    /// Release instants (UTC seconds, from `since`) of the procedure's draws that have run.
    async fn drawn_instants(
        &mut self,
        office_id: &str,
        service_id: &str,
        since: i64,
    ) -> Result<Vec<i64>, StoreError>;
    /// Takes (or renews) the lease to run a draw not yet drawn: `false` when another
    /// runner holds an unexpired one.
    async fn claim_draw(
        &mut self,
        id: &str,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError>;
    /// Stores the entry list's digest, once: from then on no entry is accepted.
    async fn close_entries(&mut self, id: &str, digest: &str) -> Result<(), StoreError>;
    /// Records what the draw allocates from, once: a resumed draw keeps the first.
    async fn start_draw(&mut self, id: &str, supply: &str) -> Result<(), StoreError>;
    /// Stores an entry while the draw takes entries (open, no run started); `false` when
    /// the document already entered it or it no longer takes entries.
    async fn insert_draw_entry(&mut self, entry: &DrawEntryRecord) -> Result<bool, StoreError>;
    /// A draw's entries, by id.
    async fn draw_entries(&mut self, draw_id: &str) -> Result<Vec<DrawEntryRecord>, StoreError>;
    /// How many entries a draw has, and how many were given an appointment.
    async fn count_draw_entries(&mut self, draw_id: &str) -> Result<(i64, i64), StoreError>;
    async fn draw_entry_of_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<DrawEntryRecord>, StoreError>;
    /// The entries shown `entry_code` (one, unless two draws drew the same code).
    async fn draw_entries_by_code(
        &mut self,
        entry_code: &str,
    ) -> Result<Vec<DrawEntryRecord>, StoreError>;
    /// The document's result in the procedure's last drawn draw before `before`.
    async fn previous_draw_result(
        &mut self,
        office_id: &str,
        service_id: &str,
        before: i64,
        document_key: &str,
    ) -> Result<Option<String>, StoreError>;
    async fn record_draw_results(&mut self, results: &[EntryResult]) -> Result<(), StoreError>;
    /// Erases the draw's entries' personal data, marks it run and bumps the office's
    /// version (its dates now open first come). Run it in a write transaction.
    async fn finish_draw(&mut self, id: &str, office_id: &str, now: i64) -> Result<(), StoreError>;
}
