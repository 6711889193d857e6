//! Checking a draw from its public record alone: the seed against the hash published
//! when entries opened, the order against the seed, and every result against the
//! assignment the published supply gives.

use crate::draw::{self as pure, PartOfDay};

use super::super::{Booking, BookingError};
use super::{DrawRecordPublic, DrawState};

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

/// Checks a drawn draw's public record (see the module).
pub fn verify(record: &DrawRecordPublic) -> Verification {
    let draw = &record.info.draw;
    let mut problems = Vec::new();
    let (Some(seed), Some(commitment)) = (&record.info.seed, &record.info.seed_sha256) else {
        problems.push("the seed is not published".to_owned());
        return Verification {
            draw_id: draw.id.clone(),
            entries: record.entries.len(),
            assigned: 0,
            refused: 0,
            problems,
        };
    };
    if pure::sha256_hex(seed) != *commitment {
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
    match record.supply.as_ref().map(|s| s.snapshot()) {
        Some(Ok(snapshot)) => {
            let starts = pure::assign(snapshot, &draw.service_id, draw.dates(), &entries, &order);
            for (entry, expected) in record.entries.iter().zip(&starts) {
                // Given a time the booking then refused (the citizen's rules, checked
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
        Some(Err(error)) => problems.push(format!("the published supply is unusable: {error}")),
        None => problems.push("the supply is not published".to_owned()),
    }
    Verification {
        draw_id: draw.id.clone(),
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
