//! Release draws (`[[office.release]] draw = true`): entries while they are open, the
//! draw at the release instant ([`run`]), each entrant's result, and the public record
//! that lets anyone check it. The order and the assignment are [`crate::draw`]'s, pure;
//! here they are stored, booked and published.
//!
//! A draw happens once per happening of its release. It is named
//! `<office>.<service>.<YYYYMMDD>T<HHMM>` (the release's local date and wall time), and
//! its row is made when its entries open, with a random seed whose SHA-256 is public
//! from then on. Until the draw has run, the dates it gives out stay closed to everyone
//! else ([`super::snapshot::fold_pending_draws`]); then what is left opens first come, first served.

mod run;
mod verify;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::calendar::{self, DrawInstance, local_to_utc};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::domain::{
    Appointment, DrawRules, Locator, Office, OfficeId, Release, Service, ServiceId,
};
use crate::draw::{self as pure, PartOfDay, Supply};
use crate::store::{DrawEntryRecord, DrawRecord, Records};

use super::place::check_citizen_history;
use super::request::CitizenInput;
use super::secrets::{random_token, sha256_hex};
use super::{Booking, BookingError, Catalog, CitizenLimit};

pub use run::DrawsRun;
pub use verify::{Verification, verify_record_json};

/// One happening of a draw release, resolved against the configuration.
#[derive(Debug, Clone)]
pub struct DrawRef {
    pub id: String,
    pub office_id: OfficeId,
    pub service_id: ServiceId,
    pub rules: DrawRules,
    pub release: Release,
    /// The local date it happens on.
    pub date: NaiveDate,
    pub instant: DateTime<Utc>,
}

impl DrawRef {
    fn new(office: &Office, service: &Service, found: DrawInstance) -> Option<DrawRef> {
        let release = service.releases.get(found.release)?.clone();
        let rules = release.draw?;
        Some(DrawRef {
            id: instance_id(office, service, found.date, &release),
            office_id: office.id.clone(),
            service_id: service.id.clone(),
            rules,
            release,
            date: found.date,
            instant: found.instant,
        })
    }

    /// The draw `id` names, if the configuration has it.
    pub fn resolve(catalog: &Catalog, id: &str) -> Option<DrawRef> {
        let (office, service, date) = parse_instance_id(id)?;
        let (office, service) = catalog.service(&office, &service).ok()?;
        let from = local_to_utc(office.timezone, date, crate::domain::WallTime::MIDNIGHT);
        let to = local_to_utc(office.timezone, date, crate::domain::WallTime::END_OF_DAY);
        calendar::draw_instances(&service.releases, office.timezone, from, to)
            .into_iter()
            .filter(|found| found.date == date)
            .filter_map(|found| DrawRef::new(office, service, found))
            .find(|draw| draw.id == id)
    }

    /// The draws of `service` whose instants lie in `from..=to`.
    pub fn between(
        office: &Office,
        service: &Service,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DrawRef> {
        calendar::draw_instances(&service.releases, office.timezone, from, to)
            .into_iter()
            .filter_map(|found| DrawRef::new(office, service, found))
            .collect()
    }

    /// The draw of `service` happening at `instant`, if one does.
    pub fn at(office: &Office, service: &Service, instant: DateTime<Utc>) -> Option<DrawRef> {
        Self::between(office, service, instant, instant)
            .into_iter()
            .next()
    }

    pub fn entries_open_at(&self) -> DateTime<Utc> {
        self.instant - Duration::hours(i64::from(self.rules.entries_open_hours))
    }

    pub fn entries_close_at(&self) -> DateTime<Utc> {
        self.instant - Duration::minutes(i64::from(self.rules.entries_close_minutes))
    }

    /// The local dates it gives out.
    pub fn dates(&self) -> (NaiveDate, NaiveDate) {
        let add = |n: u32| {
            self.date
                .checked_add_days(chrono::Days::new(u64::from(n)))
                .unwrap_or(self.date)
        };
        (add(self.release.first), add(self.release.last))
    }
}

/// The name of one happening of a release (a draw, a waiting room):
/// `<office>.<service>.<YYYYMMDD>T<HHMM>`, its local date and wall time.
pub(crate) fn instance_id(
    office: &Office,
    service: &Service,
    date: NaiveDate,
    release: &Release,
) -> String {
    let at = release.at.minutes();
    format!(
        "{}.{}.{}T{:02}{:02}",
        office.id,
        service.id,
        date.format("%Y%m%d"),
        at / 60,
        at % 60
    )
}

/// The office, procedure and local date an [`instance_id`] names, if it is one.
pub(crate) fn parse_instance_id(id: &str) -> Option<(OfficeId, ServiceId, NaiveDate)> {
    let mut parts = id.split('.');
    let (office, service, when) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (day, time) = when.split_once('T')?;
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    if time.len() != 4 || !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((OfficeId::new(office), ServiceId::new(service), date))
}

/// Where a draw stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawState {
    /// Entries are not open yet.
    Upcoming,
    /// Taking entries.
    Open,
    /// Entries closed; the draw has not run yet (or is running).
    Closed,
    /// Run: the seed and the results are public.
    Drawn,
}

impl DrawState {
    pub fn as_str(self) -> &'static str {
        match self {
            DrawState::Upcoming => "upcoming",
            DrawState::Open => "open",
            DrawState::Closed => "closed",
            DrawState::Drawn => "drawn",
        }
    }
}

/// A draw as anyone may see it.
#[derive(Debug, Clone)]
pub struct DrawInfo {
    pub draw: DrawRef,
    pub state: DrawState,
    /// Public from the moment entries open.
    pub seed_sha256: Option<String>,
    /// Public once drawn.
    pub seed: Option<String>,
    /// The entry list's digest ([`crate::draw::entries_digest`]), public from the close.
    pub entries_sha256: Option<String>,
    pub entries: i64,
    /// Appointments given, once drawn.
    pub assigned: Option<i64>,
}

/// An entry as asked for.
#[derive(Debug, Clone)]
pub struct EntryRequest {
    pub citizen: CitizenInput,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part_of_day: String,
}

/// What an entrant gets back: a token to read the result, and the receipt that lets them
/// find their entry in the published list (`entry_hash` is the SHA-256 of
/// `"<salt>:<document type>:<document number>"`).
#[derive(Debug, Clone)]
pub struct EntryOutcome {
    pub draw_id: String,
    pub token: String,
    /// Eight characters to write down: with the document, reads the result on the pages.
    pub entry_code: String,
    pub salt: String,
    pub entry_hash: String,
    pub priority: bool,
}

/// An entrant's result.
#[derive(Debug, Clone)]
pub struct EntryStatus {
    pub draw: DrawInfo,
    /// `waiting`, `assigned`, `none` or `refused`.
    pub result: String,
    /// Whether it went ahead of the others (it got nothing in the previous draw): told
    /// only to the entrant, as it says something about their past.
    pub priority: bool,
    pub position: Option<i64>,
    pub appointment: Option<Appointment>,
}

/// One entry as published: no personal data.
#[derive(Debug, Clone)]
pub struct PublishedEntry {
    /// `waiting`, `assigned`, `none` or `refused`.
    pub result: String,
    pub entry_hash: String,
    pub priority: bool,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part_of_day: String,
    pub position: Option<i64>,
    pub start: Option<DateTime<Utc>>,
}

/// Everything needed to check a draw: published once entries have closed (the supply and
/// the seed once it has run).
#[derive(Debug, Clone)]
pub struct DrawRecordPublic {
    pub info: DrawInfo,
    pub supply: Option<Supply>,
    pub entries: Vec<PublishedEntry>,
}

impl Booking {
    /// The draw `id` names, with where it stands.
    pub async fn draw(&self, id: &str) -> Result<DrawInfo, BookingError> {
        let draw = DrawRef::resolve(&self.catalog(), id).ok_or(BookingError::NotFound)?;
        let mut conn = self.store.read().await?;
        // Read only: the runner makes each draw's row when its entries open.
        let record = conn.find_draw(&draw.id).await?;
        self.draw_info(conn.as_mut(), draw, record.as_ref()).await
    }

    /// The procedure's draws from a week ago to two weeks ahead.
    pub async fn draws_of(
        &self,
        office_id: &OfficeId,
        service_id: &ServiceId,
    ) -> Result<Vec<DrawInfo>, BookingError> {
        let catalog = self.catalog();
        let (office, service) = catalog.service(office_id, service_id)?;
        let now = self.clock.now();
        let found = DrawRef::between(
            office,
            service,
            now - Duration::days(7),
            now + Duration::days(14),
        );
        let mut conn = self.store.read().await?;
        let mut infos = Vec::with_capacity(found.len());
        for draw in found {
            let record = conn.find_draw(&draw.id).await?;
            infos.push(self.draw_info(conn.as_mut(), draw, record.as_ref()).await?);
        }
        Ok(infos)
    }

    /// Enters a document in a draw whose entries are open: one entry per document.
    #[tracing::instrument(skip_all, fields(draw = %id))]
    pub async fn enter_draw(
        &self,
        id: &str,
        request: &EntryRequest,
    ) -> Result<EntryOutcome, BookingError> {
        let catalog = self.catalog();
        let draw = DrawRef::resolve(&catalog, id).ok_or(BookingError::NotFound)?;
        let (_, service) = catalog.service(&draw.office_id, &draw.service_id)?;
        let citizen = request.citizen.validate()?;
        let part = PartOfDay::parse(&request.part_of_day).ok_or_else(|| {
            BookingError::Validation(
                "part_of_day must be \"any\", \"morning\" or \"afternoon\"".into(),
            )
        })?;
        let (first, last) = draw.dates();
        if request.to < request.from {
            return Err(BookingError::Validation(
                "`to` must not be before `from`".into(),
            ));
        }
        if request.to < first || request.from > last {
            return Err(BookingError::Validation(format!(
                "this draw gives out appointments from {first} to {last}: choose dates in \
                 that range"
            )));
        }
        let now = self.clock.now();
        if now < draw.entries_open_at() || now >= draw.entries_close_at() {
            return Err(BookingError::DrawClosed);
        }
        let document = citizen.document.number().to_owned();
        let document_key = self.document_key(&citizen.document);
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        let record = self
            .ensure_draw(conn, &draw)
            .await?
            .ok_or(BookingError::DrawClosed)?;
        // Whoever may not book the procedure now may not enter its draw either.
        let active = conn.citizen_active_appointments(&document, now).await?;
        let holding = active
            .iter()
            .filter(|a| a.service_id == service.id && a.office_id == draw.office_id)
            .count();
        if holding >= usize::try_from(service.max_active_per_citizen).unwrap_or(usize::MAX) {
            return Err(BookingError::CitizenLimitReached(CitizenLimit::Procedure));
        }
        check_citizen_history(conn, &document_key, service, now).await?;
        let priority = draw.rules.priority_to_unlucky
            && conn
                .previous_draw_result(
                    draw.office_id.as_str(),
                    draw.service_id.as_str(),
                    draw.instant.timestamp(),
                    &document_key,
                )
                .await?
                .as_deref()
                == Some("none");
        let salt = random_token();
        let kind = citizen.document.kind().as_str();
        let entry_hash = pure::entry_hash(&salt, kind, &document);
        let token = random_token();
        let entry_code = Locator::generate(&mut StdRng::from_os_rng()).to_string();
        let entry = DrawEntryRecord {
            id: super::secrets::random_id(),
            draw_id: record.id.clone(),
            document_key,
            entry_hash: entry_hash.clone(),
            token_hash: sha256_hex(&token),
            entry_code: entry_code.clone(),
            priority: i64::from(priority),
            from_date: request.from.max(first).to_string(),
            to_date: request.to.min(last).to_string(),
            part_of_day: part.as_str().to_owned(),
            citizen_name: Some(citizen.name.clone()),
            document: Some(document),
            document_type: Some(kind.to_owned()),
            email: citizen.email.clone(),
            phone: citizen.phone.clone(),
            position: None,
            result: "waiting".into(),
            appointment_id: None,
            assigned_start: None,
            created_at: now.timestamp(),
        };
        if !conn.insert_draw_entry(&entry).await? {
            let still_open = conn.find_draw(&record.id).await?.is_some_and(|r| {
                r.state == "open" && r.supply.is_none() && r.entries_sha256.is_none()
            });
            return Err(if still_open {
                BookingError::AlreadyEntered
            } else {
                BookingError::DrawClosed
            });
        }
        tx.commit().await?;
        Ok(EntryOutcome {
            draw_id: record.id,
            token,
            entry_code,
            salt,
            entry_hash,
            priority,
        })
    }

    /// The result of the entry `token` was given for (404 for any other token).
    pub async fn draw_entry(&self, token: &str) -> Result<EntryStatus, BookingError> {
        let mut conn = self.store.read().await?;
        let entry = conn
            .draw_entry_of_token(&sha256_hex(token))
            .await?
            .ok_or(BookingError::NotFound)?;
        self.entry_status(conn.as_mut(), entry).await
    }

    /// The result of the entry shown `entry_code`, if `document` is the one it was made
    /// with (404 otherwise, whichever is wrong: no oracle).
    pub async fn draw_entry_by_code(
        &self,
        entry_code: &str,
        document: &str,
    ) -> Result<EntryStatus, BookingError> {
        let code = Locator::parse(entry_code).map_err(|_| BookingError::NotFound)?;
        // A DNI or NIE as typed, else a passport number.
        let document = crate::domain::Document::parse(document, None)
            .or_else(|_| crate::domain::Document::parse(document, Some("passport")))
            .map_err(|_| BookingError::NotFound)?;
        let key = self.document_key(&document);
        let mut conn = self.store.read().await?;
        let entry = conn
            .draw_entries_by_code(code.as_str())
            .await?
            .into_iter()
            .find(|e| e.document_key == key)
            .ok_or(BookingError::NotFound)?;
        self.entry_status(conn.as_mut(), entry).await
    }

    async fn entry_status(
        &self,
        conn: &mut dyn Records,
        entry: DrawEntryRecord,
    ) -> Result<EntryStatus, BookingError> {
        let draw =
            DrawRef::resolve(&self.catalog(), &entry.draw_id).ok_or(BookingError::NotFound)?;
        let record = conn.find_draw(&entry.draw_id).await?;
        let info = self.draw_info(conn, draw, record.as_ref()).await?;
        let appointment = match &entry.appointment_id {
            Some(id) => conn.find_appointment(id).await?,
            None => None,
        };
        Ok(EntryStatus {
            draw: info,
            priority: entry.priority != 0,
            result: entry.result,
            position: entry.position,
            appointment,
        })
    }

    /// The public record of a draw: its entries (without personal data) once entries have
    /// closed; the seed, the supply and the results once it has run.
    pub async fn draw_record(&self, id: &str) -> Result<DrawRecordPublic, BookingError> {
        let draw = DrawRef::resolve(&self.catalog(), id).ok_or(BookingError::NotFound)?;
        let mut conn = self.store.read().await?;
        let record = conn.find_draw(&draw.id).await?;
        let info = self.draw_info(conn.as_mut(), draw, record.as_ref()).await?;
        let published = matches!(info.state, DrawState::Closed | DrawState::Drawn);
        let (Some(record), true) = (record, published) else {
            return Ok(DrawRecordPublic {
                info,
                supply: None,
                entries: Vec::new(),
            });
        };
        let drawn = info.state == DrawState::Drawn;
        let supply = match (&record.supply, drawn) {
            (Some(json), true) => Some(serde_json::from_str(json).map_err(|e| {
                BookingError::Store(crate::store::StoreError::Corrupt(format!(
                    "draw supply: {e}"
                )))
            })?),
            _ => None,
        };
        let mut entries = Vec::new();
        for entry in conn.draw_entries(&record.id).await? {
            entries.push(published_entry(&entry)?);
        }
        entries.sort_by(|a, b| (a.position, &a.entry_hash).cmp(&(b.position, &b.entry_hash)));
        Ok(DrawRecordPublic {
            info,
            supply,
            entries,
        })
    }

    /// The draw's row, made (with a fresh seed) once its entries have opened; `None`
    /// before.
    async fn ensure_draw(
        &self,
        conn: &mut dyn Records,
        draw: &DrawRef,
    ) -> Result<Option<DrawRecord>, BookingError> {
        if let Some(found) = conn.find_draw(&draw.id).await? {
            return Ok(Some(found));
        }
        let now = self.clock.now();
        if now < draw.entries_open_at() {
            return Ok(None);
        }
        let seed = random_token() + &random_token();
        conn.create_draw(&DrawRecord {
            id: draw.id.clone(),
            office_id: draw.office_id.to_string(),
            service_id: draw.service_id.to_string(),
            release_at: draw.instant.timestamp(),
            seed_sha256: pure::sha256_hex(&seed),
            seed,
            state: "open".into(),
            lease_owner: None,
            lease_until: None,
            supply: None,
            entries_sha256: None,
            drawn_at: None,
            created_at: now.timestamp(),
        })
        .await?;
        // Another instance may have made it first: theirs is the one.
        Ok(conn.find_draw(&draw.id).await?)
    }

    async fn draw_info(
        &self,
        conn: &mut dyn Records,
        draw: DrawRef,
        record: Option<&DrawRecord>,
    ) -> Result<DrawInfo, BookingError> {
        let now = self.clock.now();
        let drawn = record.is_some_and(|r| r.state == "drawn");
        let state = if drawn {
            DrawState::Drawn
        } else if now < draw.entries_open_at() {
            DrawState::Upcoming
        } else if now < draw.entries_close_at() {
            DrawState::Open
        } else {
            DrawState::Closed
        };
        let (entries, assigned) = match record {
            Some(record) => {
                let (entries, assigned) = conn.count_draw_entries(&record.id).await?;
                (entries, drawn.then_some(assigned))
            }
            None => (0, None),
        };
        Ok(DrawInfo {
            state,
            seed_sha256: record.map(|r| r.seed_sha256.clone()),
            seed: record.filter(|_| drawn).map(|r| r.seed.clone()),
            entries_sha256: record.and_then(|r| r.entries_sha256.clone()),
            entries,
            assigned,
            draw,
        })
    }
}

fn published_entry(entry: &DrawEntryRecord) -> Result<PublishedEntry, BookingError> {
    let date = |text: &str| {
        text.parse::<NaiveDate>().map_err(|_| {
            BookingError::Store(crate::store::StoreError::Corrupt(format!(
                "draw entry date {text}"
            )))
        })
    };
    let start = entry
        .assigned_start
        .map(crate::store::instant)
        .transpose()
        .map_err(BookingError::Store)?;
    Ok(PublishedEntry {
        result: entry.result.clone(),
        entry_hash: entry.entry_hash.clone(),
        priority: entry.priority != 0,
        from: date(&entry.from_date)?,
        to: date(&entry.to_date)?,
        part_of_day: entry.part_of_day.clone(),
        position: entry.position,
        start,
    })
}

/// The pure draw's view of stored entries, in the same order.
fn pure_entries(entries: &[DrawEntryRecord]) -> Result<Vec<pure::Entry>, BookingError> {
    entries
        .iter()
        .map(|e| {
            let published = published_entry(e)?;
            Ok(pure::Entry {
                entry_hash: published.entry_hash,
                priority: published.priority,
                from: published.from,
                to: published.to,
                part: PartOfDay::parse(&published.part_of_day).unwrap_or(PartOfDay::Any),
            })
        })
        .collect()
}
