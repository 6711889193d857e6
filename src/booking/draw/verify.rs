//! Checking a draw from its public record alone: the seed against the hash published
//! when entries opened, the order against the seed, and every result against the
//! assignment the published supply gives. The record comes from the database
//! ([`Booking::verify_draw`]) or, for anyone outside, as the JSON of
//! `GET /api/v1/draws/{draw}/record` ([`verify_record_json`]): no database, no
//! configuration, the same check.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::ServiceId;
use crate::draw::{self as pure, PartOfDay, Supply};

use super::super::{Booking, BookingError};
use super::{DrawRecordPublic, DrawState, PublishedEntry};

/// What checking a draw found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub draw_id: String,
    pub entries: usize,
    pub assigned: usize,
    /// Entries given a time whose booking was refused (the citizen's own rules).
    pub refused: usize,
    /// Each way the record differs from what its seed and supply give; empty when the
    /// draw checks out.
    pub problems: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Booking {
    /// Checks the draw `id` from its public record ([`Booking::draw_record`]).
    pub async fn verify_draw(&self, id: &str) -> Result<Verification, BookingError> {
        let record = self.draw_record(id).await?;
        if record.info.state != DrawState::Drawn {
            return Err(BookingError::Validation(format!(
                "draw {id} has not run yet: there is nothing to check"
            )));
        }
        Ok(verify(&record))
    }
}

/// Everything the check reads, whichever way the record came.
struct Checkable<'a> {
    draw_id: &'a str,
    service_id: &'a ServiceId,
    dates: (NaiveDate, NaiveDate),
    seed: Option<&'a str>,
    commitment: Option<&'a str>,
    entries_sha256: Option<&'a str>,
    supply: Option<&'a Supply>,
    entries: &'a [PublishedEntry],
}

/// Checks a drawn draw's public record (see the module).
pub fn verify(record: &DrawRecordPublic) -> Verification {
    let draw = &record.info.draw;
    check(&Checkable {
        draw_id: &draw.id,
        service_id: &draw.service_id,
        dates: draw.dates(),
        seed: record.info.seed.as_deref(),
        commitment: record.info.seed_sha256.as_deref(),
        entries_sha256: record.info.entries_sha256.as_deref(),
        supply: record.supply.as_ref(),
        entries: &record.entries,
    })
}

/// The JSON of `GET /api/v1/draws/{draw}/record`, as far as the check reads it.
#[derive(Debug, Deserialize)]
struct RecordJson {
    draw: DrawJson,
    supply: Option<Supply>,
    entries: Vec<EntryJson>,
}

#[derive(Debug, Deserialize)]
struct DrawJson {
    id: String,
    service_id: ServiceId,
    first_date: NaiveDate,
    last_date: NaiveDate,
    seed: Option<String>,
    seed_sha256: Option<String>,
    entries_sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EntryJson {
    result: String,
    entry_hash: String,
    priority: bool,
    from: NaiveDate,
    to: NaiveDate,
    part_of_day: String,
    position: Option<i64>,
    start: Option<String>,
}

/// Checks a draw from the JSON of its public record alone (`cita draw verify --record`);
/// `Err` when the text is not such a record.
pub fn verify_record_json(json: &str) -> Result<Verification, String> {
    let record: RecordJson =
        serde_json::from_str(json).map_err(|e| format!("not a draw record: {e}"))?;
    let mut entries = Vec::with_capacity(record.entries.len());
    for e in record.entries {
        let start = match &e.start {
            Some(text) => Some(
                DateTime::parse_from_rfc3339(text)
                    .map_err(|_| format!("entry {}: start {text:?} is not RFC 3339", e.entry_hash))?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        entries.push(PublishedEntry {
            result: e.result,
            entry_hash: e.entry_hash,
            priority: e.priority,
            from: e.from,
            to: e.to,
            part_of_day: e.part_of_day,
            position: e.position,
            start,
        });
    }
    Ok(check(&Checkable {
        draw_id: &record.draw.id,
        service_id: &record.draw.service_id,
        dates: (record.draw.first_date, record.draw.last_date),
        seed: record.draw.seed.as_deref(),
        commitment: record.draw.seed_sha256.as_deref(),
        entries_sha256: record.draw.entries_sha256.as_deref(),
        supply: record.supply.as_ref(),
        entries: &entries,
    }))
}

fn check(record: &Checkable<'_>) -> Verification {
    let mut problems = Vec::new();
    let (Some(seed), Some(commitment)) = (record.seed, record.commitment) else {
        problems.push("the seed is not published".to_owned());
        return Verification {
            draw_id: record.draw_id.to_owned(),
            entries: record.entries.len(),
            assigned: 0,
            refused: 0,
            problems,
        };
    };
    if pure::sha256_hex(seed) != commitment {
        problems.push("the seed does not hash to the published seed_sha256".to_owned());
    }
    let entries: Vec<pure::Entry> = record
        .entries
        .iter()
        .map(|e| pure::Entry {
            entry_hash: e.entry_hash.clone(),
            priority: e.priority,
            from: e.from,
            to: e.to,
            part: PartOfDay::parse(&e.part_of_day).unwrap_or(PartOfDay::Any),
        })
        .collect();
    match record.entries_sha256 {
        Some(published) if pure::entries_digest(&entries) != published => problems.push(
            "the entries are not the list whose digest was published at the close".to_owned(),
        ),
        Some(_) => {}
        None => problems.push("no digest of the entries was published at the close".to_owned()),
    }
    let order = pure::order(seed, &entries);
    for (rank, &ix) in order.iter().enumerate() {
        let published = record.entries[ix].position;
        if published != Some(rank as i64 + 1) {
            problems.push(format!(
                "entry {} is published at position {published:?}, the seed puts it at {}",
                record.entries[ix].entry_hash,
                rank + 1
            ));
        }
    }
    match record
        .supply
        .map(|supply| (supply.snapshot(), &supply.public_places))
    {
        Some((Ok(snapshot), places)) => {
            let starts = pure::assign(
                snapshot,
                record.service_id,
                record.dates,
                &entries,
                &order,
                places,
            );
            for (entry, expected) in record.entries.iter().zip(&starts) {
                // Given a time the booking then refused (the citizen's own rules, checked
                // again): nobody got it, and nobody after it lost anything by that.
                if entry.result == "refused" && expected.is_some() {
                    continue;
                }
                if entry.start != *expected {
                    problems.push(format!(
                        "entry {} got {:?}, the draw gives it {:?}",
                        entry.entry_hash, entry.start, expected
                    ));
                }
            }
        }
        Some((Err(error), _)) => {
            problems.push(format!("the published supply is unusable: {error}"))
        }
        None => problems.push("the supply is not published".to_owned()),
    }
    Verification {
        draw_id: record.draw_id.to_owned(),
        entries: record.entries.len(),
        assigned: record.entries.iter().filter(|e| e.start.is_some()).count(),
        refused: record
            .entries
            .iter()
            .filter(|e| e.result == "refused")
            .count(),
        problems,
    }
}
