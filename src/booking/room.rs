//! Waiting rooms (`[[office.release]] waiting_room = true`) in front of first-come
//! releases: a bot that arrives first, or hammers the release instant, is no better
//! placed than a person who came a few minutes early.
//!
//! - The room opens `room_opens_minutes` before the release instant. Everyone who joins
//!   before the instant is put in line in a random order (a lottery number from the
//!   operating system's CSPRNG, kept secret); whoever joins later goes behind them in
//!   order of arrival. One place per document, as one entry per document in a draw: a bot
//!   with a thousand addresses still has one place per buyer's document (places per
//!   address would hand it a thousand lottery tickets). Joining again keeps the place.
//! - From the instant, places are let in at `admit_per_minute`: place `n` (from 0) at
//!   `instant + n / rate` minutes. Nothing runs to admit anyone: the time follows from
//!   the place, on every instance alike.
//! - Until `room_closes_minutes` after the instant, holding or booking a date of the
//!   release needs an admission token: HMAC-SHA-256 (under a key derived from the
//!   server secret every instance shares) over the room, the document's digest and an
//!   expiry ten minutes ahead. It proves, without a database read, that this document
//!   was let in; the hold or booking must be for that document, so a token sold on is
//!   worthless to the buyer.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use crate::calendar::{self, ReleaseInstance};
use crate::domain::{Document, Office, OfficeId, RoomRules, Service, ServiceId};
use crate::store::{LinePlace, TicketRecord};

use super::draw::{instance_id, parse_instance_id};
use super::secrets::{random_token, sha256_hex};
use super::{Booking, BookingError, Catalog};

/// How long an admission token lasts; asking again renews it while the room is open.
const ADMISSION_MINUTES: i64 = 10;

/// One happening of a release with a waiting room, resolved against the configuration.
#[derive(Debug, Clone)]
pub struct RoomRef {
    pub id: String,
    pub office_id: OfficeId,
    pub service_id: ServiceId,
    pub rules: RoomRules,
    /// The release instant.
    pub instant: DateTime<Utc>,
    /// The first and last local dates the release opens.
    pub dates: (chrono::NaiveDate, chrono::NaiveDate),
}

impl RoomRef {
    fn new(office: &Office, service: &Service, found: ReleaseInstance) -> Option<RoomRef> {
        let release = service.releases.get(found.release)?;
        let add = |n: u32| found.date.checked_add_days(chrono::Days::new(u64::from(n)));
        Some(RoomRef {
            dates: (add(release.first)?, add(release.last)?),
            id: instance_id(office, service, found.date, release),
            office_id: office.id.clone(),
            service_id: service.id.clone(),
            rules: release.room?,
            instant: found.instant,
        })
    }

    /// The room `id` names, if the configuration has it.
    pub fn resolve(catalog: &Catalog, id: &str) -> Option<RoomRef> {
        let (office, service, date) = parse_instance_id(id)?;
        let (office, service) = catalog.service(&office, &service).ok()?;
        let from = calendar::local_to_utc(office.timezone, date, crate::domain::WallTime::MIDNIGHT);
        let to = calendar::local_to_utc(office.timezone, date, crate::domain::WallTime::END_OF_DAY);
        calendar::room_instances(&service.releases, office.timezone, from, to)
            .into_iter()
            .filter_map(|found| RoomRef::new(office, service, found))
            .find(|room| room.id == id)
    }

    /// The room in force at `now` for a hold or booking of `service` at `start`, if any.
    pub fn guarding(
        office: &Office,
        service: &Service,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<RoomRef> {
        if service.releases.iter().all(|r| r.room.is_none()) {
            return None;
        }
        let date = calendar::local_date(office.timezone, start);
        let found = calendar::room_guarding(&service.releases, office.timezone, date, now)?;
        RoomRef::new(office, service, found)
    }

    /// The rooms of `service` whose release instants lie in `from..=to`.
    pub fn between(
        office: &Office,
        service: &Service,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<RoomRef> {
        calendar::room_instances(&service.releases, office.timezone, from, to)
            .into_iter()
            .filter_map(|found| RoomRef::new(office, service, found))
            .collect()
    }

    pub fn opens_at(&self) -> DateTime<Utc> {
        self.instant - Duration::minutes(i64::from(self.rules.opens_minutes))
    }

    pub fn closes_at(&self) -> DateTime<Utc> {
        self.instant + Duration::minutes(i64::from(self.rules.closes_minutes))
    }

    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.opens_at() <= now && now < self.closes_at()
    }

    /// When the place with `ahead` places in front of it is let in.
    pub fn admitted_at(&self, ahead: i64) -> DateTime<Utc> {
        let seconds = ahead.max(0).saturating_mul(60) / i64::from(self.rules.admit_per_minute);
        self.instant + Duration::seconds(seconds)
    }
}

/// Where a room stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomState {
    /// Not open yet.
    Upcoming,
    /// Taking places in line; the order is drawn at the release instant.
    Open,
    /// Letting the line in.
    Admitting,
    /// Over: the release's dates are first come, first served.
    Closed,
}

impl RoomState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomState::Upcoming => "upcoming",
            RoomState::Open => "open",
            RoomState::Admitting => "admitting",
            RoomState::Closed => "closed",
        }
    }

    fn at(room: &RoomRef, now: DateTime<Utc>) -> RoomState {
        if now < room.opens_at() {
            RoomState::Upcoming
        } else if now < room.instant {
            RoomState::Open
        } else if now < room.closes_at() {
            RoomState::Admitting
        } else {
            RoomState::Closed
        }
    }
}

/// A room as anyone may see it.
#[derive(Debug, Clone)]
pub struct RoomInfo {
    pub room: RoomRef,
    pub state: RoomState,
    /// Places in line so far.
    pub waiting: i64,
}

/// A place in line as its holder sees it.
#[derive(Debug, Clone)]
pub struct TicketStatus {
    pub info: RoomInfo,
    /// Places ahead, once the release instant has ordered the line (`None` before).
    pub ahead: Option<i64>,
    pub admitted_at: Option<DateTime<Utc>>,
    /// Given once let in.
    pub admission: Option<Admission>,
}

/// Proof of having been let in: sent with holds and bookings of the release's dates.
#[derive(Debug, Clone)]
pub struct Admission {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What joining gives: the ticket (a bearer secret, shown once) and where it stands.
#[derive(Debug, Clone)]
pub struct Joined {
    pub ticket: String,
    pub status: TicketStatus,
}

impl Booking {
    /// The room `id`, with how many are in line.
    pub async fn room(&self, id: &str) -> Result<RoomInfo, BookingError> {
        let room = RoomRef::resolve(&self.catalog(), id).ok_or(BookingError::NotFound)?;
        let mut conn = self.store.read().await?;
        let waiting = conn.line_length(&room.id).await?;
        Ok(RoomInfo {
            state: RoomState::at(&room, self.clock.now()),
            room,
            waiting,
        })
    }

    /// Puts `document` in the room's line, or gives a new ticket for the place it has.
    /// 409 `room_closed` outside the room's hours; 422 for a document that is not one.
    pub async fn join_room(
        &self,
        id: &str,
        document: &str,
        document_type: Option<&str>,
    ) -> Result<Joined, BookingError> {
        let room = RoomRef::resolve(&self.catalog(), id).ok_or(BookingError::NotFound)?;
        let document = Document::parse(document, document_type)?;
        let now = self.clock.now();
        if !room.in_force(now) {
            return Err(BookingError::RoomClosed);
        }
        let ticket = random_token();
        let wanted = TicketRecord {
            room_id: room.id.clone(),
            document_key: self.document_key(&document),
            joined_at: now.timestamp(),
            lottery: i64::from_le_bytes({
                let mut bytes = [0u8; 8];
                rand::rng().fill_bytes(&mut bytes);
                bytes
            }),
        };
        let stored = {
            let mut tx = self.store.begin_write().await?;
            let stored = tx.conn().join_room(&wanted, &sha256_hex(&ticket)).await?;
            tx.commit().await?;
            stored
        };
        let status = self.status_of(room, &stored, now).await?;
        Ok(Joined { ticket, status })
    }

    /// Where the place of `ticket` stands, and its admission once let in. `NotFound` for
    /// an unknown or replaced ticket.
    pub async fn ticket_status(&self, ticket: &str) -> Result<TicketStatus, BookingError> {
        let stored = {
            let mut conn = self.store.read().await?;
            conn.ticket_of(&sha256_hex(ticket))
                .await?
                .ok_or(BookingError::NotFound)?
        };
        let room =
            RoomRef::resolve(&self.catalog(), &stored.room_id).ok_or(BookingError::NotFound)?;
        self.status_of(room, &stored, self.clock.now()).await
    }

    async fn status_of(
        &self,
        room: RoomRef,
        stored: &TicketRecord,
        now: DateTime<Utc>,
    ) -> Result<TicketStatus, BookingError> {
        let LinePlace { ahead, total } = {
            let mut conn = self.store.read().await?;
            conn.line_place(stored, room.instant.timestamp()).await?
        };
        let ordered = now >= room.instant;
        let admitted_at = ordered.then(|| room.admitted_at(ahead));
        let admission = match admitted_at {
            Some(at) if at <= now && now < room.closes_at() => {
                Some(self.admission(&room, &stored.document_key, now))
            }
            _ => None,
        };
        Ok(TicketStatus {
            info: RoomInfo {
                state: RoomState::at(&room, now),
                room,
                waiting: total,
            },
            ahead: ordered.then_some(ahead),
            admitted_at,
            admission,
        })
    }

    fn admission(&self, room: &RoomRef, document_key: &str, now: DateTime<Utc>) -> Admission {
        let expires_at = (now + Duration::minutes(ADMISSION_MINUTES)).min(room.closes_at());
        let expires = expires_at.timestamp();
        Admission {
            token: format!(
                "{expires}.{}",
                self.admission_tag(room, document_key, expires)
            ),
            expires_at,
        }
    }

    fn admission_tag(&self, room: &RoomRef, client_key: &str, expires: i64) -> String {
        self.pepper.digest(
            "admission",
            &format!("{}\u{0}{client_key}\u{0}{expires}", room.id),
        )
    }

    /// The waiting room a date's times go through, if one does: the room of the release
    /// that will open it (`opening` is when), or the room in force for it now.
    pub fn room_of_day(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        date: chrono::NaiveDate,
        opening: calendar::Opening,
    ) -> Option<RoomRef> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id).ok()?;
        if service.releases.iter().all(|r| r.room.is_none()) {
            return None;
        }
        match opening {
            calendar::Opening::At(instant) => RoomRef::between(office, service, instant, instant)
                .into_iter()
                .next(),
            calendar::Opening::Open => {
                let noon = calendar::local_to_utc(
                    office.timezone,
                    date,
                    crate::domain::WallTime::parse("12:00")?,
                );
                RoomRef::guarding(office, service, noon, self.clock.now())
            }
            calendar::Opening::Draw(_) | calendar::Opening::Never => None,
        }
    }

    /// Refuses a hold or booking of `service` at `start` for `document` while a waiting
    /// room guards that date, unless `token` is that room's admission for that document
    /// (403 `admission_required`, naming the room to join). A hold that names no
    /// document cannot be let in.
    pub fn check_admission(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
        start: DateTime<Utc>,
        document: Option<(&str, Option<&str>)>,
        token: Option<&str>,
    ) -> Result<(), BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let Some(room) = RoomRef::guarding(office, service, start, now) else {
            return Ok(());
        };
        let document_key = document
            .and_then(|(number, kind)| Document::parse(number, kind).ok())
            .map(|document| self.document_key(&document));
        let valid = match (document_key, token) {
            (Some(key), Some(token)) => token
                .trim()
                .split_once('.')
                .and_then(|(expires, tag)| Some((expires.parse::<i64>().ok()?, tag)))
                .is_some_and(|(expires, tag)| {
                    expires > now.timestamp()
                        && same(tag, &self.admission_tag(&room, &key, expires))
                }),
            _ => false,
        };
        if valid {
            Ok(())
        } else {
            Err(BookingError::AdmissionRequired(room.id))
        }
    }
}

/// Compares two tags in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
