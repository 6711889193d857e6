//! The fairness report: for each release of an office's procedures in a range of dates,
//! who got what it gave out — how many entered (a draw's entries, a waiting room's
//! places), the appointments the public and the staff booked on its dates, how many
//! documents each client address booked for and the share the busiest 1 % of addresses
//! took (what a reseller's bot farm shows up as), how long the public's part took to go,
//! and how many the citizens cancelled (each back on sale after a random delay).
//!
//! Read from the `booked` and `cancelled` lines of the audit trail, which each booking
//! writes in its own transaction; a citizen's line carries the keyed digest of their
//! address until personal data are purged (`[privacy] retain_personal_data_days`), so
//! the per-address figures exist for recent releases only.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::calendar::{self, local_to_utc, quota};
use crate::domain::{Office, OfficeId, Release, Service, WallTime};
use crate::store::BookingTrace;

use super::audit::{AuditDetail, audit_detail};
use super::draw::DrawRef;
use super::room::RoomRef;
use super::snapshot::office_with_closures;
use super::{Booking, BookingError};

/// Longest range of release dates one report covers.
pub const MAX_FAIRNESS_DAYS: i64 = 366;

/// One release's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseFairness {
    pub service_id: String,
    pub service_name: String,
    /// `first-come`, `room` or `draw`.
    pub mode: &'static str,
    pub instant: DateTime<Utc>,
    pub dates: (NaiveDate, NaiveDate),
    /// A draw's entries or a waiting room's places (kept two days); `None` first come.
    pub entrants: Option<i64>,
    pub figures: Figures,
    pub citizen_cancellations: i64,
    /// How long, on average, the times they cancelled stayed off sale before going back
    /// on sale (a uniform random delay, [`super::held_back`]); `None` when none was.
    pub held_back_mean_seconds: Option<i64>,
    /// Most minutes a cancelled time stayed off sale (the configured delay's top).
    pub cancelled_return_minutes: u32,
}

/// What the booking lines of one release's dates say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// Booked by citizens and draws.
    pub public: u64,
    /// Booked by staff at the counter or by phone.
    pub staff: u64,
    /// Distinct client addresses among the public bookings that recorded one.
    pub client_keys: u64,
    /// Distinct documents per client address, on average and at most.
    pub documents_per_key: f64,
    pub most_documents_per_key: u64,
    /// Share of those bookings taken by the busiest 1 % of addresses (at least one).
    pub top_share: f64,
    /// Seconds from the release until the public had booked its part once over.
    pub sold_out_after: Option<i64>,
}

/// The figures of `traces` (a release's booking lines, oldest first) for a release at
/// `instant` whose dates hold `public_capacity` appointments for the public.
pub fn figures(traces: &[BookingTrace], instant: DateTime<Utc>, public_capacity: u64) -> Figures {
    let public: Vec<&BookingTrace> = traces
        .iter()
        .filter(|t| matches!(t.actor_kind.as_str(), "citizen" | "draw"))
        .collect();
    let staff = traces.iter().filter(|t| t.actor_kind == "staff").count() as u64;
    let mut per_key: HashMap<&str, (u64, HashSet<&str>)> = HashMap::new();
    for trace in &public {
        if let Some(key) = trace.client.as_deref() {
            let entry = per_key.entry(key).or_default();
            entry.0 += 1;
            if !trace.document.is_empty() {
                entry.1.insert(trace.document.as_str());
            }
        }
    }
    let keys = per_key.len() as u64;
    let counted: u64 = per_key.values().map(|(n, _)| n).sum();
    let documents: u64 = per_key.values().map(|(_, d)| d.len() as u64).sum();
    let mut busiest: Vec<u64> = per_key.values().map(|(n, _)| *n).collect();
    busiest.sort_unstable_by(|a, b| b.cmp(a));
    let top = (keys.div_ceil(100)) as usize;
    let top_taken: u64 = busiest.iter().take(top).sum();
    let sold_out_after = usize::try_from(public_capacity)
        .ok()
        .filter(|&n| n > 0)
        .and_then(|n| public.get(n - 1))
        .map(|t| t.at - instant.timestamp());
    Figures {
        public: public.len() as u64,
        staff,
        client_keys: keys,
        documents_per_key: if keys == 0 {
            0.0
        } else {
            documents as f64 / keys as f64
        },
        most_documents_per_key: per_key
            .values()
            .map(|(_, d)| d.len() as u64)
            .max()
            .unwrap_or(0),
        top_share: if counted == 0 {
            0.0
        } else {
            top_taken as f64 / counted as f64
        },
        sold_out_after,
    }
}

/// The report as CSV, one line per release.
pub fn fairness_csv(rows: &[ReleaseFairness]) -> String {
    let mut csv = String::from(
        "service,release_at,mode,first_date,last_date,entrants,public_appointments,\
         staff_appointments,client_addresses,documents_per_address,most_documents_per_address,\
         top_1pct_share,sold_out_seconds,citizen_cancellations,back_on_sale_mean_seconds,\
         cancelled_return_minutes_max\r\n",
    );
    for r in rows {
        let f = &r.figures;
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{:.2},{},{:.4},{},{},{},{}\r\n",
            r.service_id,
            r.instant.to_rfc3339(),
            r.mode,
            r.dates.0,
            r.dates.1,
            r.entrants.map(|n| n.to_string()).unwrap_or_default(),
            f.public,
            f.staff,
            f.client_keys,
            f.documents_per_key,
            f.most_documents_per_key,
            f.top_share,
            f.sold_out_after.map(|s| s.to_string()).unwrap_or_default(),
            r.citizen_cancellations,
            r.held_back_mean_seconds
                .map(|s| s.to_string())
                .unwrap_or_default(),
            r.cancelled_return_minutes,
        ));
    }
    csv
}

/// A bar chart titled `title`: per release, the share of its public appointments the
/// busiest 1 % of client addresses took (a fair release keeps it near 1 %). Each bar is
/// named by `label` (the caller's words, in the office's time) above it, its share
/// written by `percent`.
pub fn fairness_svg(
    rows: &[ReleaseFairness],
    title: &str,
    label: impl Fn(&ReleaseFairness) -> String,
    percent: impl Fn(f64) -> String,
) -> String {
    let height = 40 + rows.len() * 48;
    let title = xml(title);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{height}\" \
         role=\"img\" font-family=\"sans-serif\" font-size=\"13\"><title>{title}</title>\
         <text x=\"10\" y=\"20\">{title}</text>"
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 40 + i * 48;
        let share = r.figures.top_share.clamp(0.0, 1.0);
        let width = share * 480.0;
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{}\">{}</text><rect x=\"10\" y=\"{}\" \
             width=\"{width:.1}\" height=\"20\" fill=\"#1f5fa8\"/><text x=\"{:.1}\" y=\"{}\">\
             {}</text>",
            y + 4,
            xml(&label(r)),
            y + 10,
            18.0 + width,
            y + 25,
            xml(&percent(share * 100.0)),
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The mean of the delays the `cancelled` lines' details record.
fn mean_held_back(details: &[String]) -> Option<i64> {
    let delays: Vec<i64> = details
        .iter()
        .filter_map(|d| match audit_detail("cancelled", d) {
            AuditDetail::HeldBack(seconds) => Some(seconds),
            _ => None,
        })
        .collect();
    (!delays.is_empty()).then(|| delays.iter().sum::<i64>() / delays.len() as i64)
}

fn mode_of(release: &Release) -> &'static str {
    if release.draw.is_some() {
        "draw"
    } else if release.room.is_some() {
        "room"
    } else {
        "first-come"
    }
}

/// The appointments of `service` the public may take on `first..=last`: each day's
/// capacity less the staff's share ([`quota`]).
fn public_capacity(
    office: &Office,
    service: &Service,
    (first, last): (NaiveDate, NaiveDate),
) -> u64 {
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let capacity = quota::day_capacity(office, service, date);
            u64::from(match &service.staff_share {
                Some(share) => quota::public_places(share, capacity),
                None => capacity,
            })
        })
        .sum()
}

impl Booking {
    /// The fairness report of `office_id`'s releases whose instants fall on local dates
    /// `from..=to` (at most [`MAX_FAIRNESS_DAYS`]), by instant. The releases are those of
    /// the configuration in force: a release added or changed later is reported as if it
    /// had always been there (its earlier happenings with what was booked on their dates).
    pub async fn fairness(
        &self,
        office_id: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReleaseFairness>, BookingError> {
        if to < from || (to - from).num_days() >= MAX_FAIRNESS_DAYS {
            return Err(BookingError::Validation(format!(
                "the range must run forwards and last at most {MAX_FAIRNESS_DAYS} days"
            )));
        }
        let catalog = self.catalog();
        let office = catalog.office(office_id)?;
        let start = local_to_utc(office.timezone, from, WallTime::MIDNIGHT);
        let end = local_to_utc(office.timezone, to, WallTime::END_OF_DAY);
        let mut conn = self.store().read().await?;
        let closed = office_with_closures(conn.as_mut(), office).await?;
        let mut rows = Vec::new();
        for service in &office.services {
            for found in calendar::release_instances(&service.releases, office.timezone, start, end)
            {
                let Some(release) = service.releases.get(found.release) else {
                    continue;
                };
                let add = |n: u32| found.date + Duration::days(i64::from(n));
                let dates = (add(release.first), add(release.last));
                let span = (
                    local_to_utc(office.timezone, dates.0, WallTime::MIDNIGHT).timestamp(),
                    local_to_utc(office.timezone, dates.1, WallTime::END_OF_DAY).timestamp(),
                );
                let traces = conn
                    .bookings_of_dates(office.id.as_str(), service.id.as_str(), span)
                    .await?;
                let entrants = match mode_of(release) {
                    "draw" => match DrawRef::at(office, service, found.instant) {
                        Some(draw) => Some(conn.count_draw_entries(&draw.id).await?.0),
                        None => None,
                    },
                    "room" => match RoomRef::between(office, service, found.instant, found.instant)
                        .into_iter()
                        .next()
                    {
                        Some(room) => Some(conn.line_length(&room.id).await?),
                        None => None,
                    },
                    _ => None,
                };
                let cancellations = conn
                    .citizen_cancellations_of_dates(office.id.as_str(), service.id.as_str(), span)
                    .await?;
                rows.push(ReleaseFairness {
                    service_id: service.id.to_string(),
                    service_name: service.name.clone(),
                    mode: mode_of(release),
                    instant: found.instant,
                    dates,
                    entrants,
                    figures: figures(
                        &traces,
                        found.instant,
                        public_capacity(&closed, service, dates),
                    ),
                    citizen_cancellations: cancellations.len() as i64,
                    held_back_mean_seconds: mean_held_back(&cancellations),
                    cancelled_return_minutes: service.cancelled_return_minutes(),
                });
            }
        }
        rows.sort_by(|a, b| (a.instant, &a.service_id).cmp(&(b.instant, &b.service_id)));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn trace(at: i64, kind: &str, client: Option<&str>, document: &str) -> BookingTrace {
        BookingTrace {
            at,
            actor_kind: kind.to_owned(),
            client: client.map(str::to_owned),
            document: document.to_owned(),
        }
    }

    #[test]
    fn a_bot_farm_shows_as_one_address_with_many_documents() {
        let instant = Utc.timestamp_opt(1_000, 0).unwrap();
        // 198 people on their own addresses, one farm address booking for 2 documents
        // … and staff for someone at the counter.
        let mut traces: Vec<BookingTrace> = (0..198)
            .map(|n| {
                trace(
                    1_000 + n,
                    "citizen",
                    Some(&format!("p{n}")),
                    &format!("D{n}"),
                )
            })
            .collect();
        traces.push(trace(1_001, "citizen", Some("farm"), "X1"));
        traces.push(trace(1_002, "citizen", Some("farm"), "X2"));
        traces.push(trace(1_003, "staff", None, "S1"));
        traces.sort_by_key(|t| t.at);
        let f = figures(&traces, instant, 150);
        assert_eq!((f.public, f.staff, f.client_keys), (200, 1, 199));
        assert_eq!(f.most_documents_per_key, 2);
        assert!((f.documents_per_key - 200.0 / 199.0).abs() < 1e-9);
        // The busiest 1 % of 199 addresses is 2 of them: the farm (2) and one person (1).
        assert!((f.top_share - 3.0 / 200.0).abs() < 1e-9);
        // The 150th public booking: people's at 1000 + n, the farm's early ones.
        let public: Vec<i64> = traces
            .iter()
            .filter(|t| t.actor_kind != "staff")
            .map(|t| t.at)
            .collect();
        assert_eq!(f.sold_out_after, Some(public[149] - 1_000));
        assert_eq!(
            figures(&traces, instant, 500).sold_out_after,
            None,
            "not sold out"
        );
    }

    #[test]
    fn nothing_booked_gives_zeros_not_nonsense() {
        let f = figures(&[], Utc.timestamp_opt(0, 0).unwrap(), 10);
        assert_eq!(f, Figures::default());
        assert!(fairness_csv(&[]).starts_with("service,release_at"));
        assert!(
            fairness_svg(&[], "t", |_| String::new(), |p| format!("{p}")).ends_with("</svg>\n")
        );
    }
}
