//! Release draws, the pure part: the order entries are drawn in, what each gets, and the
//! record that lets anyone check both. No I/O: [`crate::booking`] stores entries, runs
//! the draw at the release instant and books what [`assign`] decided.
//!
//! CONTRACT:
//! - The seed is 32 random bytes (hex) drawn when entries open; `seed_sha256` is published
//!   then, the seed itself once the draw has run.
//! - An entry is published as `entry_hash = sha256_hex("<salt>:<document type>:<document
//!   number>")`, where the salt is random and known only to the entrant: they can find
//!   themselves in the list; nobody can search it for a document.
//! - Order: entries with priority first, then the rest; within each group ascending by
//!   `sha256_hex("<seed>:<entry_hash>")` (ties, which SHA-256 makes practically
//!   impossible, by `entry_hash`). Anyone can recompute it with `sha256sum`.
//! - When entries close, `entries_digest` of the list is published: the list the draw
//!   runs on cannot change after that unnoticed.
//! - Assignment: in that order, each entry gets the earliest start on the released dates,
//!   within its date range and part of the day (morning: starts before 14:00 on the
//!   office's clock), that the exact allocator can place on top of everything placed
//!   before it; or nothing. The same [`crate::allocator::Allocator`] decides as for any
//!   booking, so the draw never places what a booking would be refused.
//! - A date listed in the supply's `public_places` gets at most that many more: the rest
//!   of it is kept for people who book by phone or at the counter
//!   ([`crate::calendar::quota`]).

mod supply;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sha2::{Digest, Sha256};

use crate::allocator::{Allocator, Booked, Slot, Snapshot};
use crate::domain::ServiceId;

pub use supply::{Supply, SupplyError};

/// Which starts of the day an entrant can come at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOfDay {
    Any,
    /// Starts before 14:00 on the office's clock.
    Morning,
    /// Starts at 14:00 or later.
    Afternoon,
}

impl PartOfDay {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "any" => Some(PartOfDay::Any),
            "morning" => Some(PartOfDay::Morning),
            "afternoon" => Some(PartOfDay::Afternoon),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PartOfDay::Any => "any",
            PartOfDay::Morning => "morning",
            PartOfDay::Afternoon => "afternoon",
        }
    }

    fn admits(self, local: NaiveTime) -> bool {
        let afternoon = NaiveTime::from_hms_opt(14, 0, 0).unwrap_or(NaiveTime::MIN);
        match self {
            PartOfDay::Any => true,
            PartOfDay::Morning => local < afternoon,
            PartOfDay::Afternoon => local >= afternoon,
        }
    }
}

/// One entry as the draw sees it: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub entry_hash: String,
    pub priority: bool,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part: PartOfDay,
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The published stand-in for an entrant's document.
pub fn entry_hash(salt: &str, document_type: &str, document: &str) -> String {
    sha256_hex(&format!("{salt}:{document_type}:{document}"))
}

/// The digest of the entry list, published when entries close: SHA-256 of one line per
/// entry, `<entry_hash>:<priority 0|1>:<from>:<to>:<part of day>`, sorted, joined by
/// newlines. Any entry added, dropped or changed after the close changes it.
pub fn entries_digest(entries: &[Entry]) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{}:{}:{}",
                e.entry_hash,
                u8::from(e.priority),
                e.from,
                e.to,
                e.part.as_str()
            )
        })
        .collect();
    lines.sort();
    sha256_hex(&lines.join("\n"))
}

/// The positions of `entries` in the order they are drawn (see the contract).
pub fn order(seed: &str, entries: &[Entry]) -> Vec<usize> {
    let mut keyed: Vec<(bool, String, &str, usize)> = entries
        .iter()
        .enumerate()
        .map(|(ix, e)| {
            let key = sha256_hex(&format!("{seed}:{}", e.entry_hash));
            (!e.priority, key, e.entry_hash.as_str(), ix)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(.., ix)| ix).collect()
}

/// What each entry gets, in the order of `entries` (see the contract): `drawn` is
/// [`order`]'s result, `dates` the released dates, `public_places` the places left to the
/// public on the dates that have such a limit.
pub fn assign(
    supply: Snapshot,
    service: &ServiceId,
    dates: (NaiveDate, NaiveDate),
    entries: &[Entry],
    drawn: &[usize],
    public_places: &BTreeMap<NaiveDate, u32>,
) -> Vec<Option<DateTime<Utc>>> {
    let tz = supply.timezone;
    let mut places = public_places.clone();
    let mut results = vec![None; entries.len()];
    let mut allocator = Allocator::new(supply);
    // Free starts per date, computed when first asked and dropped at every placement.
    let mut free: std::collections::HashMap<NaiveDate, Vec<Slot>> = Default::default();
    for (placed, &ix) in drawn.iter().enumerate() {
        let Some(entry) = entries.get(ix) else {
            continue;
        };
        let (first, last) = (entry.from.max(dates.0), entry.to.min(dates.1));
        let mut chosen = None;
        for date in first.iter_days().take_while(|d| *d <= last) {
            if places.get(&date) == Some(&0) {
                continue;
            }
            let slots = free
                .entry(date)
                .or_insert_with(|| allocator.slots(service, date).unwrap_or_default());
            if let Some(slot) = slots
                .iter()
                .find(|s| entry.part.admits(s.start.with_timezone(&tz).time()))
            {
                chosen = Some(slot.start);
                break;
            }
        }
        let Some(start) = chosen else {
            continue;
        };
        let Ok(placement) = allocator.place(service, start) else {
            continue; // cannot happen: `slots` and `place` use one decision procedure
        };
        let mut snapshot = allocator.into_snapshot();
        for m in &placement.moves {
            if let Some(booked) = snapshot.appointments.iter_mut().find(|b| b.key == m.key) {
                booked.desk = m.to.clone();
            }
        }
        let occupancy = snapshot
            .services
            .iter()
            .find(|s| s.id == *service)
            .map(|s| s.occupancy())
            .unwrap_or_default();
        snapshot.appointments.push(Booked {
            key: format!("draw:{placed}"),
            service: service.clone(),
            start,
            occupied_until: start + occupancy,
            desk: placement.desk,
            pinned: false,
        });
        allocator = Allocator::new(snapshot);
        free.clear();
        if let Some(left) = places.get_mut(&start.with_timezone(&tz).date_naive()) {
            *left -= 1;
        }
        results[ix] = Some(start);
    }
    results
}

#[cfg(test)]
mod tests;
