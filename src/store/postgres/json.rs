//! The JSON parameters of `cita_book_begin` and `cita_book_write`, and the answer of the
//! first: one bound parameter each way, whatever the batch holds.

use serde::{Deserialize, Serialize};

use crate::domain::{Appointment, DeskId, OfficeId};

use super::super::offices::{OccupancyRecord, OccupancyRow, OfficeLock};
use super::super::rows::{AppointmentRow, HoldRecord, IdempotencyRecord};
use super::super::{BookingBegin, BookingLocks, BookingWrite, StoreError, StoredKey};

/// `begin` as `cita_book_begin`'s parameter.
pub(super) fn begin_params(begin: &BookingBegin<'_>) -> Result<String, StoreError> {
    serde_json::to_string(&BeginParams::from(begin))
        .map_err(|e| StoreError::Corrupt(format!("encoding a batch's reads: {e}")))
}

/// `write` as `cita_book_write`'s parameter.
pub(super) fn write_params(write: &BookingWrite<'_>) -> Result<String, StoreError> {
    serde_json::to_string(&WriteJson::from(write))
        .map_err(|e| StoreError::Corrupt(format!("encoding a batch's writes: {e}")))
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

pub(super) fn parse_begin(json: &str) -> Result<BookingLocks, StoreError> {
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
    outbox: Vec<NoticeJson<'a>>,
}

/// A message as `cita_book_write` inserts it.
#[derive(Serialize)]
struct NoticeJson<'a> {
    appointment_id: &'a str,
    office_id: &'a str,
    event: &'a str,
    channel: &'a str,
    sequence: i64,
    facts: &'a str,
    due_at: i64,
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
    language: &'a str,
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
                    language: &a.language,
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
            outbox: write
                .outbox
                .iter()
                .map(|n| NoticeJson {
                    appointment_id: &n.appointment_id,
                    office_id: &n.office_id,
                    event: n.event,
                    channel: n.channel,
                    sequence: n.sequence,
                    facts: &n.facts,
                    due_at: n.due_at.timestamp(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

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
