//! Changing the office configuration while the service runs (`PUT /api/v1/admin/config`),
//! and picking up changes made by other instances.
//!
//! Contract:
//! - The document is validated exactly like `cita import`; `.ics` holiday files it names
//!   are taken from the files stored with the current configuration (an upload carries
//!   only the TOML text).
//! - In one write transaction that first locks every office (ascending ids): find the
//!   active (booked or checked-in) appointments whose desk time has not ended that the new
//!   configuration strands — their office or procedure is gone, or they can no longer all
//!   be placed on the new desks and hours ([`replan`](super::replan)) — and either refuse
//!   the change listing them ([`OnStranded::Refuse`], nothing written) or cancel them
//!   (sequence bumped, audited with the admin as actor) ([`OnStranded::Cancel`], or
//!   [`OnStranded::CancelOnly`] when each is one the admin was shown). The
//!   appointments that keep their time but must change desk are moved. Then the document
//!   is stored as the next version and the transaction commits.
//! - Only after the commit does this instance serve the new offices; other instances notice
//!   the new version with [`Booking::reload_config_if_changed`], which `serve` polls.
//!   A catalog is never replaced by an older version.
//! - The same document as the stored one changes nothing (and strands nothing).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::calendar::local_date;
use crate::config::{Config, ConfigError};
use crate::domain::{Appointment, DeskId, Locator, Office, OfficeId, Status};
use crate::store::Records;
use crate::store::StoreError;

use super::audit::cancel_in_transaction;
use super::import::store_config;
use super::replan::replan;
use super::snapshot::{self, APPOINTMENT_KEY, Exclude, HOLD_KEY};
use super::{
    Actor, Booking, BookingError, Catalog, ConfigSource, ImportError, ImportOutcome,
    load_stored_config,
};

/// Why a configuration change strands an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrandReason {
    /// Its office is not in the new configuration.
    OfficeRemoved,
    /// Its office no longer offers its procedure.
    ServiceRemoved,
    /// No assignment of the new desks and hours fits it with the appointments kept.
    NoDesk,
}

impl StrandReason {
    /// A stable code for API clients.
    pub fn code(self) -> &'static str {
        match self {
            StrandReason::OfficeRemoved => "office_removed",
            StrandReason::ServiceRemoved => "service_removed",
            StrandReason::NoDesk => "no_desk",
        }
    }
}

impl fmt::Display for StrandReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StrandReason::OfficeRemoved => "the office was removed",
            StrandReason::ServiceRemoved => "the office no longer offers the procedure",
            StrandReason::NoDesk => "no desk of the new configuration can take it",
        })
    }
}

/// An appointment a configuration change strands (or stranded and cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stranded {
    pub appointment: Appointment,
    pub reason: StrandReason,
}

/// What to do with stranded appointments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnStranded {
    /// Refuse the whole change and list them.
    Refuse,
    /// Cancel them and apply the change.
    Cancel,
    /// Cancel them only if each is one of these (the ones a person was shown and agreed
    /// to cancel); otherwise refuse and list them, so an appointment booked meanwhile is
    /// never cancelled without being seen.
    CancelOnly(BTreeSet<Locator>),
}

impl OnStranded {
    /// Whether `stranded` may be cancelled under this choice.
    fn allows(&self, stranded: &[Stranded]) -> bool {
        match self {
            OnStranded::Refuse => stranded.is_empty(),
            OnStranded::Cancel => true,
            OnStranded::CancelOnly(agreed) => stranded
                .iter()
                .all(|s| agreed.contains(&s.appointment.locator)),
        }
    }
}

/// An applied configuration change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigApplied {
    /// The stored configuration's version now.
    pub version: i64,
    /// `false` when the document was the stored one already.
    pub changed: bool,
    /// Appointments cancelled because the change stranded them (only with
    /// [`OnStranded::Cancel`]), by office and start.
    pub cancelled: Vec<Stranded>,
    /// How many appointments kept their time but changed desk.
    pub moved: usize,
}

#[derive(Debug, Error)]
pub enum ConfigChangeError {
    /// The document is not a valid configuration; every problem is listed by line.
    #[error(transparent)]
    Invalid(ConfigError),
    /// The change would strand these appointments (nothing was written).
    #[error("the change would strand {} appointment(s)", .0.len())]
    Conflict(Vec<Stranded>),
    #[error(transparent)]
    Booking(#[from] BookingError),
}

impl Booking {
    /// Validates `toml` and applies it (see the module docs).
    #[tracing::instrument(skip_all)]
    pub async fn change_config(
        &self,
        toml: &str,
        on_stranded: OnStranded,
        actor: &Actor,
    ) -> Result<ConfigApplied, ConfigChangeError> {
        let stored_files = load_stored_config(&self.store)
            .await
            .map_err(booking_error)?
            .map(|(source, _)| source.files)
            .unwrap_or_default();
        let (source, config) =
            source_with_files(toml, &stored_files).map_err(ConfigChangeError::Invalid)?;
        let catalog = Catalog::from_config(&config);
        let outcome = self
            .with_retry(|| self.try_change_config(&source, &config, &catalog, &on_stranded, actor))
            .await?;
        let applied = outcome.map_err(ConfigChangeError::Conflict)?;
        self.install_catalog(catalog, applied.version);
        Ok(applied)
    }

    /// One attempt; `Ok(Err(stranded))` when refused (the transaction is rolled back).
    async fn try_change_config(
        &self,
        source: &ConfigSource,
        config: &Config,
        catalog: &Catalog,
        on_stranded: &OnStranded,
        actor: &Actor,
    ) -> Result<Result<ConfigApplied, Vec<Stranded>>, BookingError> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let conn = tx.conn();
        if let Some(stored) = conn.load_config().await?
            && stored.digest == source.digest()
        {
            return Ok(Ok(ConfigApplied {
                version: stored.version,
                changed: false,
                cancelled: vec![],
                moved: 0,
            }));
        }
        for office in conn.all_office_ids().await? {
            conn.lock_office(&office).await?;
        }
        let mut by_office: BTreeMap<OfficeId, Vec<Appointment>> = BTreeMap::new();
        for appointment in conn.active_appointments_after(now).await? {
            by_office
                .entry(appointment.office_id.clone())
                .or_default()
                .push(appointment);
        }
        let mut stranded = Vec::new();
        let mut moves = Vec::new();
        for (office_id, appointments) in by_office {
            let Ok(office) = catalog.office(&office_id) else {
                stranded.extend(appointments.into_iter().map(|appointment| Stranded {
                    appointment,
                    reason: StrandReason::OfficeRemoved,
                }));
                continue;
            };
            let (gone, kept): (Vec<_>, Vec<_>) = appointments
                .into_iter()
                .partition(|a| office.service(&a.service_id).is_none());
            stranded.extend(gone.into_iter().map(|appointment| Stranded {
                appointment,
                reason: StrandReason::ServiceRemoved,
            }));
            if kept.iter().any(|a| a.status == Status::Booked) {
                let (no_desk, office_moves) = plan_office(conn, office, &kept, now).await?;
                stranded.extend(no_desk.into_iter().map(|appointment| Stranded {
                    appointment,
                    reason: StrandReason::NoDesk,
                }));
                moves.extend(office_moves);
            }
        }
        stranded.sort_by(|a, b| {
            (
                &a.appointment.office_id,
                a.appointment.start,
                &a.appointment.locator,
            )
                .cmp(&(
                    &b.appointment.office_id,
                    b.appointment.start,
                    &b.appointment.locator,
                ))
        });
        if !on_stranded.allows(&stranded) {
            return Ok(Err(stranded));
        }
        for s in &mut stranded {
            let detail = format!("configuration change: {}", s.reason);
            cancel_in_transaction(self, conn, &mut s.appointment, actor, now, detail, None).await?;
        }
        for (id, desk) in &moves {
            conn.update_desk(id, desk).await?;
        }
        let version = match store_config(conn, source, config, now)
            .await
            .map_err(booking_error)?
        {
            ImportOutcome::Imported { version } | ImportOutcome::Unchanged { version } => version,
        };
        tx.commit().await?;
        Ok(Ok(ConfigApplied {
            version,
            changed: true,
            cancelled: stranded,
            moved: moves.len(),
        }))
    }

    /// The stored configuration's TOML text and version (`None` before any import), for
    /// an administrator to read before changing it.
    pub async fn stored_config(&self) -> Result<Option<(String, i64)>, BookingError> {
        Ok(load_stored_config(&self.store)
            .await
            .map_err(booking_error)?
            .map(|(source, version)| (source.toml, version)))
    }

    /// Loads the stored configuration when its version is newer than the one this instance
    /// serves (another instance changed it); returns the new version. One indexed read
    /// when nothing changed, so it can be polled every few seconds.
    pub async fn reload_config_if_changed(&self) -> Result<Option<i64>, ImportError> {
        let version = {
            let mut conn = self.store.read().await?;
            conn.config_version().await?
        };
        match version {
            Some(version) if version > self.catalog_version() => {}
            _ => return Ok(None),
        }
        let Some((source, version)) = load_stored_config(&self.store).await? else {
            return Ok(None);
        };
        let config = source.parse()?;
        Ok(self
            .install_catalog(Catalog::from_config(&config), version)
            .then_some(version))
    }
}

/// Parses `toml`, taking the `.ics` files it names from `stored`; the source keeps only
/// the files actually used.
fn source_with_files(
    toml: &str,
    stored: &BTreeMap<String, String>,
) -> Result<(ConfigSource, Config), ConfigError> {
    let used = RefCell::new(BTreeMap::new());
    let config = Config::parse(toml, &|name: &str| match stored.get(name) {
        Some(text) => {
            used.borrow_mut().insert(name.to_owned(), text.clone());
            Ok(text.clone())
        }
        None => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{name} is not among the files stored with the configuration \
                 (upload it with `cita import`, or list the dates inline)"
            ),
        )),
    })?;
    Ok((
        ConfigSource {
            toml: toml.to_owned(),
            files: used.into_inner(),
        },
        config,
    ))
}

/// The appointments of `office` (already locked) that its new desks and hours strand, and
/// the desk changes the others need. `appointments` are its active ones still to come.
async fn plan_office(
    conn: &mut dyn Records,
    office: &Office,
    appointments: &[Appointment],
    now: DateTime<Utc>,
) -> Result<(Vec<Appointment>, Vec<(String, DeskId)>), BookingError> {
    let dates = appointments
        .iter()
        .map(|a| local_date(office.timezone, a.start));
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        return Ok((vec![], vec![]));
    };
    let by_key: HashMap<String, &Appointment> = appointments
        .iter()
        .map(|a| (format!("{APPOINTMENT_KEY}{}", a.id), a))
        .collect();
    let mut snapshot = snapshot::load(conn, office, first, last, now, Exclude::default()).await?;
    // Appointments whose desk time is over keep the desk they were served (or missed) at.
    for booked in &mut snapshot.appointments {
        if booked.occupied_until <= now {
            booked.pinned = true;
        }
    }
    // Holds expire within minutes and are placed again when booked; active appointments
    // not in `appointments` are stranded already (their procedure is gone).
    snapshot
        .appointments
        .retain(|b| !b.key.starts_with(HOLD_KEY) && (b.pinned || by_key.contains_key(&b.key)));
    let priority = |b: &crate::allocator::Booked| -> Option<(DateTime<Utc>, Locator)> {
        by_key
            .get(&b.key)
            .map(|a| (a.created_at, a.locator.clone()))
    };
    let plan = replan(snapshot, priority).map_err(|e| {
        BookingError::Store(StoreError::Corrupt(format!(
            "re-planning office {}: {e}",
            office.id
        )))
    })?;
    let stranded = plan
        .stranded
        .iter()
        .filter_map(|key| by_key.get(key).map(|a| (*a).clone()))
        .collect();
    let moves = plan
        .moves
        .into_iter()
        .filter_map(|(key, desk)| {
            key.strip_prefix(APPOINTMENT_KEY)
                .map(|id| (id.to_owned(), desk))
        })
        .collect();
    Ok((stranded, moves))
}

fn booking_error(error: ImportError) -> BookingError {
    match error {
        ImportError::Store(e) => e.into(),
        ImportError::Config(e) => BookingError::Validation(e.to_string()),
        ImportError::Stored(detail) => BookingError::Store(StoreError::Corrupt(detail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referenced_files_come_from_the_stored_ones() {
        let toml = "[[holiday_calendar]]\nid = \"x\"\nics = \"h.ics\"\n";
        let empty = BTreeMap::new();
        let err = source_with_files(toml, &empty).unwrap_err();
        assert!(err.to_string().contains("h.ics"), "{err}");
    }
}
