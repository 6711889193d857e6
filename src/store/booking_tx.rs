//! What a batch of bookings reads under its locks and writes at its end: the contract
//! between the booking use case and [`super::Database::begin_booking`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use sqlx::Any;
use sqlx::pool::PoolConnection;

use crate::domain::{Appointment, DeskId, OfficeId};

use super::{
    AuditEntry, HoldRecord, IdempotencyRecord, NewNotice, OccupancyRecord, OfficeLock, TokenRecord,
};

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
    /// The bookings' messages (confirmations, reminders).
    pub outbox: &'a [NewNotice],
}

/// A connection kept between one transaction and the next (PostgreSQL): no trip through
/// the pool, whose health check on every checkout costs a round trip of its own.
#[derive(Debug)]
pub(super) struct HeldConnection(pub(super) PoolConnection<Any>);

/// Where a booking worker keeps its [`HeldConnection`] between batches.
#[derive(Debug, Default)]
pub struct ConnectionSlot(Mutex<Option<HeldConnection>>);

impl ConnectionSlot {
    fn slot(&self) -> MutexGuard<'_, Option<HeldConnection>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn take(&self) -> Option<HeldConnection> {
        self.slot().take()
    }

    pub(super) fn put(&self, conn: HeldConnection) {
        *self.slot() = Some(conn);
    }
}
