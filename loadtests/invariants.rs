//! The post-run invariant check, straight against the database the server used
//! (DESIGN §4.1 and the per-citizen rules of §3).

use std::collections::BTreeMap;

use anyhow::Context;
use cita::config::Config;
use sqlx::Row;
use sqlx::any::AnyPoolOptions;

use crate::server::{Database, Setup};

/// A scenario's outcome on the demo offices, and what the database held afterwards.
pub struct Checked<T> {
    pub outcome: T,
    pub invariants: Invariants,
    pub limits: BTreeMap<String, u32>,
    pub config: Config,
}

/// Runs `drive` against a fresh database for the demo offices, checks the invariants when
/// it succeeded, and removes the database whatever happened.
pub async fn on_demo_database<T>(
    setup: &Setup,
    name: &str,
    drive: impl AsyncFnOnce(&Database) -> anyhow::Result<T>,
) -> anyhow::Result<Checked<T>> {
    let config = cita::app::demo_config()
        .parse()
        .map_err(|e| anyhow::anyhow!("demo configuration: {e}"))?;
    let limits = citizen_limits(&config);
    let database = Database::fresh(setup, name).await?;
    let outcome = drive(&database).await;
    let checked = match &outcome {
        Ok(_) => Some(check(&database.url, &limits).await),
        Err(_) => None,
    };
    database.remove().await?;
    let outcome = outcome?;
    let invariants = checked.context("invariant check")??;
    Ok(Checked {
        outcome,
        invariants,
        limits,
        config,
    })
}

/// Statuses that occupy a desk.
const OCCUPYING: &str = "('booked', 'checked_in', 'completed')";

/// What the database holds after a run.
#[derive(Debug, Clone, Default)]
pub struct Invariants {
    pub appointments: i64,
    pub by_status: Vec<(String, i64)>,
    /// Pairs of active appointments on one desk whose `[start_at, occupied_until)` overlap.
    pub overlapping_on_a_desk: i64,
    /// Documents holding more active appointments of a procedure than its limit.
    pub over_citizen_limit: Vec<(String, String, i64, u32)>,
    /// The most active appointments any document holds for one procedure.
    pub most_per_document: i64,
    /// Pairs of active appointments of one document that overlap in time.
    pub overlapping_for_a_document: i64,
    /// Active appointments per document (to count what some clients got).
    pub per_document: BTreeMap<String, i64>,
}

impl Invariants {
    pub fn holds(&self) -> bool {
        self.overlapping_on_a_desk == 0
            && self.over_citizen_limit.is_empty()
            && self.overlapping_for_a_document == 0
    }

    /// The check as a Markdown section.
    pub fn markdown(&self, limits: &BTreeMap<String, u32>) -> String {
        let mut out = String::new();
        let verdict = if self.holds() { "PASS" } else { "FAIL" };
        out.push_str(&format!(
            "**{verdict}** — {} appointments in the database ({}).\n\n",
            self.appointments,
            self.by_status
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str("| check | found | must be |\n|---|---|---|\n");
        out.push_str(&format!(
            "| overlapping active appointments on one desk (self-join on office, desk, `[start_at, occupied_until)`) | {} | 0 |\n",
            self.overlapping_on_a_desk
        ));
        let limit_text = limits
            .iter()
            .map(|(s, l)| format!("{s} ≤ {l}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| documents over their per-procedure limit ({limit_text}) | {} (most held by one document for one procedure: {}) | 0 |\n",
            self.over_citizen_limit.len(),
            self.most_per_document
        ));
        out.push_str(&format!(
            "| overlapping active appointments of one document | {} | 0 |\n",
            self.overlapping_for_a_document
        ));
        for (document, service, count, limit) in self.over_citizen_limit.iter().take(10) {
            out.push_str(&format!(
                "\n- {document} holds {count} active `{service}` (limit {limit})"
            ));
        }
        out.push('\n');
        out
    }
}

/// `max_active_per_citizen` by procedure id, as the configuration says.
pub fn citizen_limits(config: &Config) -> BTreeMap<String, u32> {
    let mut limits = BTreeMap::new();
    for office in &config.offices {
        for service in &office.services {
            limits
                .entry(service.id.to_string())
                .and_modify(|l: &mut u32| *l = (*l).min(service.max_active_per_citizen))
                .or_insert(service.max_active_per_citizen);
        }
    }
    limits
}

/// Runs every check on the database at `url` (read only; the server has stopped).
pub async fn check(url: &str, limits: &BTreeMap<String, u32>) -> anyhow::Result<Invariants> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .with_context(|| "connecting to the database for the invariant check")?;

    let mut result = Invariants {
        appointments: scalar(&pool, "SELECT COUNT(*) FROM appointments").await?,
        ..Invariants::default()
    };
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM appointments GROUP BY status ORDER BY status",
    )
    .fetch_all(&pool)
    .await?;
    for row in rows {
        result
            .by_status
            .push((row.try_get("status")?, row.try_get("n")?));
    }

    // Each overlapping pair once: `a` starts first (ties broken by id) and `b` starts
    // before `a` stops occupying the desk. The range on start_at uses the
    // (office_id, start_at) index, so this stays fast on tens of thousands of rows.
    result.overlapping_on_a_desk = scalar(
        &pool,
        sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM appointments a JOIN appointments b \
               ON b.office_id = a.office_id AND b.desk_id = a.desk_id AND b.id <> a.id \
              AND b.start_at >= a.start_at AND b.start_at < a.occupied_until \
              AND (b.start_at > a.start_at OR b.id > a.id) \
            WHERE a.status IN {OCCUPYING} AND b.status IN {OCCUPYING}"
        )),
    )
    .await?;

    result.overlapping_for_a_document = scalar(
        &pool,
        "SELECT COUNT(*) FROM appointments a JOIN appointments b \
           ON b.document = a.document AND b.id <> a.id \
          AND b.start_at >= a.start_at AND b.start_at < a.end_at \
          AND (b.start_at > a.start_at OR b.id > a.id) \
        WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')",
    )
    .await?;

    let rows = sqlx::query(
        "SELECT document, service_id, COUNT(*) AS n FROM appointments \
         WHERE status IN ('booked', 'checked_in') GROUP BY document, service_id",
    )
    .fetch_all(&pool)
    .await?;
    for row in rows {
        let document: String = row.try_get("document")?;
        let service: String = row.try_get("service_id")?;
        let n: i64 = row.try_get("n")?;
        result.most_per_document = result.most_per_document.max(n);
        *result.per_document.entry(document.clone()).or_default() += n;
        let limit = limits.get(&service).copied().unwrap_or(1);
        if n > i64::from(limit) {
            result
                .over_citizen_limit
                .push((document, service, n, limit));
        }
    }
    pool.close().await;
    Ok(result)
}

async fn scalar(pool: &sqlx::AnyPool, sql: impl sqlx::SqlSafeStr) -> anyhow::Result<i64> {
    let row = sqlx::query(sql).fetch_one(pool).await?;
    Ok(row.try_get(0)?)
}
