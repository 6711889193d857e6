//! What the people-against-bots scenarios (`draw`, `room`) share: who is who, the wall
//! clock the server's releases run on, the noise bound of a fair share, and the demo
//! configuration with a second desk and one weekly release at Las Palmas.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::server::Setup;

pub const OFFICE: &str = "las-palmas-dni";
pub const SERVICE: &str = "renovacion-dni";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Person,
    Bot,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Person => "people",
            Kind::Bot => "bots",
        }
    }
}

/// The wall clock (the server's releases run on it).
pub fn wall_clock() -> DateTime<Utc> {
    cita::clock::Clock::now(&cita::clock::SystemClock)
}

/// A binomial 95 % interval of `n` draws with chance `p`.
pub fn interval(n: u64, p: f64) -> (f64, f64) {
    let n = n as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    ((n * p - 1.96 * sd).max(0.0), n * p + 1.96 * sd)
}

/// Writes `file` in the work folder: the demo's offices (with their holiday file) plus a
/// second desk at Las Palmas and a weekly release of its DNI renewals at `at` on its
/// clock, opening the week two weeks later, with `settings` (TOML lines) added to it.
pub fn demo_with_release(
    setup: &Setup,
    file: &str,
    at: DateTime<Utc>,
    settings: &str,
) -> anyhow::Result<PathBuf> {
    let demo = std::fs::read_to_string("demo/offices.toml")
        .context("reading demo/offices.toml (run from the repository)")?;
    std::fs::create_dir_all(&setup.work_dir)?;
    std::fs::copy(
        "demo/es-holidays.ics",
        setup.work_dir.join("es-holidays.ics"),
    )
    .context("copying demo/es-holidays.ics")?;
    let at = at.with_timezone(&chrono_tz::Atlantic::Canary);
    let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [at.weekday().num_days_from_monday() as usize];
    let text = format!(
        "{demo}\n  [[office.desk]]\n  id = \"puesto-2\"\n  services = [\"{SERVICE}\"]\n\n  \
         [[office.release]]\n  service = \"{SERVICE}\"\n  at = \"{:02}:{:02}\"\n  \
         days = [\"{weekday}\"]\n  opens = \"D+14..D+20\"\n{settings}",
        at.hour(),
        at.minute()
    );
    let path = setup.work_dir.join(file);
    std::fs::write(&path, text)?;
    Ok(path)
}
