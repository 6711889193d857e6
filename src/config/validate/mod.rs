//! Value and cross-reference checks: raw structs in, domain values out.
//!
//! Every check reports its own problem and carries on, so one pass lists them all. A check
//! that fails returns `Err(Reported)`; later checks that depend on that value are skipped
//! rather than reporting the same mistake again in other words.
//!
//! The whole-file settings are checked here; each section of an office (and the holiday
//! calendars) in its own module, with the checks of single values in `fields`.

use super::shape::{Field, RawConfig};
use super::{BookingSettings, Config, PrivacySettings, Problems};
use crate::limits::LimitSettings;

mod calendars;
mod desks;
mod fields;
mod hours;
mod offices;
mod releases;
mod services;

use calendars::calendars;
use fields::number;
use offices::offices;

/// The allocator keeps desk sets in 128-bit masks.
pub(super) const MAX_DESKS_PER_OFFICE: usize = 128;
pub(super) const MAX_ID_LEN: usize = 64;
const MINUTES_PER_DAY: u32 = 24 * 60;
/// Booking further ahead than a year is not something a public office plans for.
const MAX_ADVANCE_DAYS: u32 = 366;

/// A problem about this value has already been reported.
#[derive(Debug)]
struct Reported;

type Checked<T> = Result<T, Reported>;

/// Builds the configuration. Returns `None` only after reporting at least one problem.
pub(super) fn build(
    raw: &RawConfig,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    p: &mut Problems,
) -> Option<Config> {
    let booking = booking(p, raw);
    let privacy = privacy(p, raw);
    let calendars = calendars(p, raw, read_file);
    let offices = offices(p, raw, &calendars);
    let limits = limits(p, raw);
    Some(Config {
        holiday_calendars: calendars.list.ok()?,
        offices: offices.ok()?,
        booking: booking.ok()?,
        privacy: privacy.ok()?,
        limits: limits.ok()?,
    })
}

fn privacy(p: &mut Problems, raw: &RawConfig) -> Checked<PrivacySettings> {
    let Some(privacy) = &raw.privacy else {
        return Ok(PrivacySettings::default());
    };
    let retain_personal_data_days = number(
        p,
        &privacy.retain_personal_data_days,
        "[privacy]",
        "retain_personal_data_days",
        PrivacySettings::RETENTION_RANGE,
        Some(PrivacySettings::DEFAULT_RETENTION_DAYS),
        &(0..0),
    )?;
    Ok(PrivacySettings {
        retain_personal_data_days,
    })
}

/// `[limits]` is read by the surge-protection layer's own schema; its complaint is
/// reported at the section's line.
fn limits(p: &mut Problems, raw: &RawConfig) -> Checked<LimitSettings> {
    let Some(table) = raw.limits.given() else {
        return Ok(LimitSettings::default());
    };
    LimitSettings::from_table(Some(table.get_ref())).map_err(|message| {
        p.at(&table.span(), message);
        Reported
    })
}

fn booking(p: &mut Problems, raw: &RawConfig) -> Checked<BookingSettings> {
    let Some(b) = &raw.booking else {
        return Ok(BookingSettings::default());
    };
    let hold_ttl_seconds = number(
        p,
        &b.hold_ttl_seconds,
        "[booking]",
        "hold_ttl_seconds",
        BookingSettings::HOLD_TTL_RANGE,
        Some(BookingSettings::DEFAULT_HOLD_TTL_SECONDS),
        &(0..0),
    )?;
    let reminder_hours = reminder_hours(p, &b.reminder_hours)?;
    Ok(BookingSettings {
        hold_ttl_seconds,
        reminder_hours,
    })
}

/// `[booking] reminder_hours`: each within [`BookingSettings::REMINDER_HOURS_RANGE`], no
/// repeats, at most [`BookingSettings::MAX_REMINDERS`]; the default when left out.
fn reminder_hours(p: &mut Problems, field: &Field<Vec<i64>>) -> Checked<Vec<u32>> {
    let given = match field {
        Field::Missing => return Ok(BookingSettings::DEFAULT_REMINDER_HOURS.to_vec()),
        Field::Bad => return Err(Reported),
        Field::Given(given) => given,
    };
    let range = BookingSettings::REMINDER_HOURS_RANGE;
    let mut hours: Vec<u32> = Vec::new();
    for &n in given.get_ref() {
        match u32::try_from(n) {
            Ok(h) if range.contains(&h) && !hours.contains(&h) => hours.push(h),
            Ok(h) if hours.contains(&h) => {
                p.at(
                    &given.span(),
                    format!("[booking]: reminder_hours lists {h} twice"),
                );
                return Err(Reported);
            }
            _ => {
                p.at(
                    &given.span(),
                    format!(
                        "[booking]: each entry of reminder_hours must be between {} and {}, not {n}",
                        range.start(),
                        range.end()
                    ),
                );
                return Err(Reported);
            }
        }
    }
    if hours.len() > BookingSettings::MAX_REMINDERS {
        p.at(
            &given.span(),
            format!(
                "[booking]: reminder_hours may list at most {} reminders",
                BookingSettings::MAX_REMINDERS
            ),
        );
        return Err(Reported);
    }
    hours.sort_unstable_by(|a, b| b.cmp(a));
    Ok(hours)
}

// --- small readers ---------------------------------------------------------------------
