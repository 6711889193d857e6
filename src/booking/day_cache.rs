//! Per-day availability counts kept between writes, so the answer after a write costs
//! the days it touched, not the whole range.
//!
//! On release morning every `days` request follows some write, so a whole-range answer
//! (kept by [`super::cache`]) is never reused and each reader recomputed 60 days from
//! every appointment in them. Here each office keeps, per procedure and local date, the
//! public count of free starts and the instant until which it holds (its own time
//! boundaries: a start entering its minimum notice, a hold in it expiring, the next local
//! midnight, the procedure's next release, a start kept for staff opening to all).
//!
//! The entries are exact for the office's `version` they are labelled with. To move the
//! label forward, the reader reads the change log (migration 0013: the spans of time each
//! write touched, written by triggers so no write path can forget) after the label, and
//! drops the dates those spans touch. A date's count is computed from a snapshot that
//! reaches one day either side of it ([`super::snapshot`]), so a span drops the dates it
//! overlaps and one more each side. A change without a span (a closure, a draw that ran,
//! the marker of pruned rows) drops everything. Writes on any instance log their spans in
//! their own transaction, so a read on another instance sees them with the version.
//!
//! Each office also keeps the occupancy rows of the dates it last counted, per local date
//! (those overlapping it). A recount after a write reads again only the dates the write's
//! spans overlap, and takes the neighbouring days its snapshot reaches from what it
//! kept: on a busy office the rows, not the counting, were most of the cost.
//!
//! The logic here is pure; [`super::availability`] does the reading and computing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar;
use crate::domain::{OfficeId, ServiceId};
use crate::store::{ChangeRecord, OccupancyRecord};

/// Most entries one office keeps (a few dozen procedures over a year of dates).
const MAX_ENTRIES: usize = 16_384;

/// Most occupancy rows one office keeps (counted once per date they overlap): two months
/// of a 20-desk office booked full, about 4 MB (a row is about 200 bytes).
const MAX_ROWS: usize = 20_000;

/// One procedure's public count of free starts on one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayEntry {
    pub slots: u32,
    /// The count holds while the clock is before this instant.
    pub valid_until: DateTime<Utc>,
}

/// The per-day counts of one office.
#[derive(Debug, Default)]
pub(crate) struct OfficeDays {
    /// The office version every entry is exact for (entries of dates touched by later
    /// changes having been dropped).
    version: i64,
    /// [`super::Catalog::id`] of the configuration the entries were computed with.
    catalog: u64,
    entries: HashMap<(ServiceId, NaiveDate), DayEntry>,
    /// The occupancies overlapping each local date (holds whatever their expiry: they
    /// are filtered when used), exact for `version` like the entries.
    rows: HashMap<NaiveDate, Arc<[OccupancyRecord]>>,
    /// Rows in `rows`, counted once per date.
    row_count: usize,
}

/// What a reader must do before using an office's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Catchup {
    /// The entries are as new as the version read (or newer): use them.
    UpToDate,
    /// Read the changes logged after this version, then [`OfficeDays::apply`] them.
    ReadChangesSince(i64),
}

impl OfficeDays {
    /// Whether the entries can serve a reader who read `version` under `catalog`.
    /// Entries from another configuration are dropped; an office with no entries needs
    /// no changes read (whatever is computed next is at least as new as `version`).
    pub(crate) fn catch_up(&mut self, version: i64, catalog: u64) -> Catchup {
        if self.catalog != catalog {
            self.entries.clear();
            self.clear_rows();
            self.catalog = catalog;
        }
        if self.entries.is_empty() && self.rows.is_empty() {
            self.version = self.version.max(version);
            return Catchup::UpToDate;
        }
        if self.version >= version {
            Catchup::UpToDate
        } else {
            Catchup::ReadChangesSince(self.version)
        }
    }

    /// Drops the entries `changes` touched and labels the rest exact for `version` (the
    /// office version read before the changes were).
    pub(crate) fn apply(&mut self, changes: &[ChangeRecord], version: i64, tz: Tz) {
        for change in changes {
            match change.span() {
                Some((start, end)) => {
                    let (first, last) = touched_dates(tz, start, end);
                    self.entries
                        .retain(|(_, date), _| *date < first || *date > last);
                    let (first, last) = overlapped_dates(tz, start, end);
                    self.drop_rows(|date| (first..=last).contains(&date));
                }
                None => {
                    self.entries.clear();
                    self.clear_rows();
                }
            }
        }
        self.version = self.version.max(version);
    }

    /// The entry of `service` on `date`, if it still holds at `now`.
    pub(crate) fn get(
        &self,
        service: &ServiceId,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<DayEntry> {
        self.entries
            .get(&(service.clone(), date))
            .copied()
            .filter(|entry| now < entry.valid_until)
    }

    /// Keeps `entry`. Past [`MAX_ENTRIES`] (dates asked about by the thousand without a
    /// write in between, which would otherwise keep every one of them until the next
    /// write), the office starts over: memory stays bounded whatever readers ask.
    pub(crate) fn insert(&mut self, service: &ServiceId, date: NaiveDate, entry: DayEntry) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert((service.clone(), date), entry);
    }

    /// Forgets entries that no longer hold at `now`, and the rows of dates before the day
    /// before `today` (the earliest a snapshot of today reaches), so an office keeps about
    /// as much as the dates still asked about.
    pub(crate) fn forget_expired(&mut self, now: DateTime<Utc>, today: NaiveDate) {
        self.entries.retain(|_, entry| now < entry.valid_until);
        let first = today.checked_sub_days(Days::new(1)).unwrap_or(today);
        self.drop_rows(|date| date < first);
    }

    /// Drops the rows of the dates `gone` says, keeping the count right.
    fn drop_rows(&mut self, gone: impl Fn(NaiveDate) -> bool) {
        let mut dropped = 0;
        self.rows.retain(|&date, rows| {
            if gone(date) {
                dropped += rows.len();
                return false;
            }
            true
        });
        self.row_count -= dropped;
    }

    /// Runs of consecutive dates of `first..=last` whose rows are not kept, as
    /// `(first, last)`: what to read before [`OfficeDays::rows`] can answer.
    pub(crate) fn missing_rows(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Vec<(NaiveDate, NaiveDate)> {
        let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        for date in first.iter_days().take_while(|d| *d <= last) {
            if self.rows.contains_key(&date) {
                continue;
            }
            match runs.last_mut() {
                Some((_, end)) if end.succ_opt() == Some(date) => *end = date,
                _ => runs.push((date, date)),
            }
        }
        runs
    }

    /// Past [`MAX_ROWS`], forgets every kept row. Called before a load reads the dates it
    /// lacks, never between [`OfficeDays::keep_rows`] and [`OfficeDays::rows`]: a load
    /// always finds every row it needs, even one larger than the bound by itself.
    pub(crate) fn bound_rows(&mut self) {
        if self.row_count > MAX_ROWS {
            self.clear_rows();
        }
    }

    /// Keeps `rows`, every occupancy overlapping local dates `first..=last` (and maybe
    /// more), under each of those dates it overlaps.
    pub(crate) fn keep_rows(
        &mut self,
        tz: Tz,
        (first, last): (NaiveDate, NaiveDate),
        rows: Vec<OccupancyRecord>,
    ) {
        let mut by_date: HashMap<NaiveDate, Vec<OccupancyRecord>> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|date| (date, Vec::new()))
            .collect();
        let mut added = 0;
        for row in rows {
            let (from, to) = overlapped_dates(tz, row.start_at, row.occupied_until);
            for date in from
                .max(first)
                .iter_days()
                .take_while(|d| *d <= to.min(last))
            {
                if let Some(list) = by_date.get_mut(&date) {
                    list.push(row.clone());
                    added += 1;
                }
            }
        }
        for (date, list) in by_date {
            if let Some(old) = self.rows.insert(date, list.into()) {
                self.row_count -= old.len();
            }
        }
        self.row_count += added;
    }

    /// The occupancies overlapping local dates `first..=last` that hold at `now` (holds
    /// not yet expired), each once, in the order the database gives them (start, then
    /// id). `None` if some date's rows are not kept.
    pub(crate) fn rows(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<Vec<OccupancyRecord>> {
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for date in first.iter_days().take_while(|d| *d <= last) {
            for row in self.rows.get(&date)?.iter() {
                let live = row.expires_at.is_none_or(|expiry| expiry > now.timestamp());
                if live && seen.insert((row.is_hold, row.id.as_str())) {
                    rows.push(row.clone());
                }
            }
        }
        rows.sort_by(|a, b| (a.start_at, &a.id).cmp(&(b.start_at, &b.id)));
        Some(rows)
    }

    fn clear_rows(&mut self) {
        self.rows.clear();
        self.row_count = 0;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The local dates whose counts a change over `[start, end)` (Unix seconds) can alter:
/// those it overlaps and one more each side.
pub(crate) fn touched_dates(tz: Tz, start: i64, end: i64) -> (NaiveDate, NaiveDate) {
    let (first, last) = overlapped_dates(tz, start, end);
    (
        first.checked_sub_days(Days::new(1)).unwrap_or(first),
        last.checked_add_days(Days::new(1)).unwrap_or(last),
    )
}

/// The local dates a span `[start, end)` (Unix seconds) overlaps, as `(first, last)`.
fn overlapped_dates(tz: Tz, start: i64, end: i64) -> (NaiveDate, NaiveDate) {
    let date = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .map_or(NaiveDate::MIN, |instant| calendar::local_date(tz, instant))
    };
    (date(start), date((end - 1).max(start)))
}

/// Every office's per-day counts on this instance. Each office has its own lock, held
/// while its entries are brought up to date and the missing ones computed.
#[derive(Debug, Default)]
pub(crate) struct DayCache {
    offices: Mutex<HashMap<OfficeId, Arc<tokio::sync::Mutex<OfficeDays>>>>,
}

impl DayCache {
    pub(crate) fn office(&self, office: &OfficeId) -> Arc<tokio::sync::Mutex<OfficeDays>> {
        let mut offices = self
            .offices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(offices.entry(office.clone()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::Madrid;

    use super::*;

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, day).unwrap()
    }

    fn entry() -> DayEntry {
        DayEntry {
            slots: 20,
            valid_until: Utc.with_ymd_and_hms(2027, 4, 1, 0, 0, 0).unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap()
    }

    /// Madrid, 10:00 local on `day` for `minutes`.
    fn span(day: u32, minutes: i64) -> ChangeRecord {
        let start = Madrid
            .with_ymd_and_hms(2027, 3, day, 10, 0, 0)
            .unwrap()
            .timestamp();
        ChangeRecord {
            start_at: Some(start),
            end_at: Some(start + minutes * 60),
        }
    }

    fn filled(service: &ServiceId) -> OfficeDays {
        let mut days = OfficeDays::default();
        assert_eq!(days.catch_up(5, 1), Catchup::UpToDate);
        for day in 1..=31 {
            days.insert(service, date(day), entry());
        }
        days
    }

    #[test]
    fn a_change_drops_its_dates_and_one_each_side() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        assert_eq!(days.catch_up(6, 1), Catchup::ReadChangesSince(5));
        days.apply(&[span(10, 15)], 6, Madrid);
        let kept: Vec<u32> = (1..=31)
            .filter(|d| days.get(&service, date(*d), now()).is_some())
            .collect();
        assert_eq!(kept.len(), 28);
        for gone in [9, 10, 11] {
            assert!(!kept.contains(&gone), "{gone} dropped");
        }
        assert_eq!(days.catch_up(6, 1), Catchup::UpToDate, "labelled 6");
    }

    #[test]
    fn a_span_across_midnight_drops_both_dates() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        // 10:00 on the 10th for 15 hours: until 01:00 on the 11th.
        days.apply(&[span(10, 15 * 60)], 6, Madrid);
        for gone in [9, 10, 11, 12] {
            assert!(days.get(&service, date(gone), now()).is_none(), "{gone}");
        }
        assert!(days.get(&service, date(13), now()).is_some());
    }

    #[test]
    fn a_change_without_a_span_drops_everything() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        days.apply(
            &[ChangeRecord {
                start_at: None,
                end_at: None,
            }],
            6,
            Madrid,
        );
        assert_eq!(days.len(), 0);
    }

    #[test]
    fn another_configuration_starts_over_and_an_empty_office_reads_no_changes() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        assert_eq!(days.catch_up(9, 2), Catchup::UpToDate);
        assert_eq!(days.len(), 0);
        days.insert(&service, date(3), entry());
        assert_eq!(days.catch_up(9, 2), Catchup::UpToDate, "labelled 9");
        assert_eq!(days.catch_up(10, 2), Catchup::ReadChangesSince(9));
    }

    #[test]
    fn an_older_reader_uses_newer_entries() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        days.apply(&[], 8, Madrid);
        assert_eq!(days.catch_up(7, 1), Catchup::UpToDate);
    }

    #[test]
    fn the_number_of_entries_is_bounded() {
        let service = ServiceId::new("tramite");
        let mut days = OfficeDays::default();
        let first = date(1);
        for n in 0..(MAX_ENTRIES as u64 + 10) {
            days.insert(&service, first + Days::new(n), entry());
        }
        assert!(days.len() <= MAX_ENTRIES);
        assert!(
            days.get(&service, first + Days::new(MAX_ENTRIES as u64 + 9), now())
                .is_some()
        );
    }

    #[test]
    fn entries_hold_until_their_boundary() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        let boundary = entry().valid_until;
        assert!(
            days.get(&service, date(2), boundary - chrono::Duration::seconds(1))
                .is_some()
        );
        assert!(days.get(&service, date(2), boundary).is_none());
        days.keep_rows(Madrid, (date(1), date(3)), Vec::new());
        days.forget_expired(boundary, date(3));
        assert_eq!(days.len(), 0);
        assert_eq!(
            days.missing_rows(date(1), date(3)),
            vec![(date(1), date(1))],
            "rows from the day before today on kept"
        );
    }

    /// `hour`:00 local in Madrid on `day` of March 2027.
    fn madrid(day: u32, hour: u32) -> DateTime<Utc> {
        Madrid
            .with_ymd_and_hms(2027, 3, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn occupancy(
        id: &str,
        day: u32,
        hour: u32,
        minutes: i64,
        expires: Option<i64>,
    ) -> OccupancyRecord {
        let start = madrid(day, hour).timestamp();
        OccupancyRecord {
            is_hold: expires.is_some(),
            id: id.into(),
            service_id: "tramite".into(),
            desk_id: "d1".into(),
            start_at: start,
            occupied_until: start + minutes * 60,
            pinned: false,
            expires_at: expires,
        }
    }

    fn ids(rows: &[OccupancyRecord]) -> Vec<&str> {
        rows.iter().map(|row| row.id.as_str()).collect()
    }

    #[test]
    fn rows_are_kept_by_the_dates_they_overlap_and_given_once() {
        let mut days = OfficeDays::default();
        assert_eq!(
            days.missing_rows(date(9), date(11)),
            vec![(date(9), date(11))]
        );
        let expiry = madrid(1, 9).timestamp();
        days.keep_rows(
            Madrid,
            (date(9), date(11)),
            vec![
                occupancy("b", 9, 10, 30, None),
                // 23:00 on the 9th for 2 hours: on the 9th and the 10th.
                occupancy("late", 9, 23, 120, None),
                occupancy("a", 10, 10, 30, None),
                occupancy("hold", 11, 10, 15, Some(expiry)),
            ],
        );
        assert!(days.missing_rows(date(9), date(11)).is_empty());
        assert_eq!(
            days.missing_rows(date(8), date(12)),
            vec![(date(8), date(8)), (date(12), date(12))]
        );
        let rows = days.rows(date(9), date(11), madrid(1, 8)).unwrap();
        assert_eq!(
            ids(&rows),
            ["b", "late", "a", "hold"],
            "by start, each once"
        );
        let after = madrid(1, 9);
        assert_eq!(
            ids(&days.rows(date(10), date(11), after).unwrap()),
            ["late", "a"],
            "the expired hold left out"
        );
        assert!(
            days.rows(date(10), date(12), after).is_none(),
            "the 12th is not kept"
        );
    }

    #[test]
    fn a_change_drops_the_rows_of_the_dates_it_overlaps_only() {
        let service = ServiceId::new("tramite");
        let mut days = filled(&service);
        days.keep_rows(
            Madrid,
            (date(8), date(12)),
            vec![
                occupancy("a", 10, 10, 30, None),
                occupancy("b", 11, 10, 30, None),
            ],
        );
        days.apply(&[span(10, 15)], 6, Madrid);
        assert_eq!(
            days.missing_rows(date(8), date(12)),
            vec![(date(10), date(10))]
        );
        assert_eq!(days.row_count, 1);
        days.apply(
            &[ChangeRecord {
                start_at: None,
                end_at: None,
            }],
            7,
            Madrid,
        );
        assert_eq!(
            days.missing_rows(date(8), date(12)),
            vec![(date(8), date(12))]
        );
        assert_eq!(days.row_count, 0);
    }

    #[test]
    fn kept_rows_alone_make_a_reader_read_the_changes() {
        let mut days = OfficeDays::default();
        assert_eq!(days.catch_up(5, 1), Catchup::UpToDate);
        days.keep_rows(
            Madrid,
            (date(10), date(10)),
            vec![occupancy("a", 10, 10, 30, None)],
        );
        assert_eq!(days.catch_up(6, 1), Catchup::ReadChangesSince(5));
        assert_eq!(
            days.catch_up(6, 2),
            Catchup::UpToDate,
            "another configuration"
        );
        assert_eq!(
            days.missing_rows(date(10), date(10)),
            vec![(date(10), date(10))]
        );
    }

    #[test]
    fn the_number_of_rows_is_bounded_between_loads_never_within_one() {
        let mut days = OfficeDays::default();
        let many: Vec<OccupancyRecord> = (0..MAX_ROWS / 2 + 1)
            .map(|n| occupancy(&n.to_string(), 10, 10, 30, None))
            .collect();
        days.bound_rows();
        days.keep_rows(Madrid, (date(10), date(10)), many.clone());
        days.keep_rows(Madrid, (date(10), date(10)), many.clone());
        assert_eq!(days.row_count, many.len(), "replaced, not added");
        // One load keeps a second date past the bound: both stay until it has used them.
        let mut later = many;
        for row in &mut later {
            row.id = format!("later-{}", row.id);
            row.start_at += 86_400;
            row.occupied_until += 86_400;
        }
        days.keep_rows(Madrid, (date(11), date(11)), later);
        assert!(days.row_count > MAX_ROWS);
        assert_eq!(
            days.rows(date(10), date(11), madrid(1, 8))
                .map(|rows| rows.len()),
            Some(2 * (MAX_ROWS / 2 + 1))
        );
        // The next load starts over.
        days.bound_rows();
        assert_eq!(days.row_count, 0);
        assert_eq!(
            days.missing_rows(date(10), date(11)),
            vec![(date(10), date(11))]
        );
    }
}
