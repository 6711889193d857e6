//! Writing a scenario's report: Markdown beside an SVG chart.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::run::{Results, Summary, outcome_list};
use crate::server::{Server, Setup, Stopped};

/// The opening lines of every report: what ran, where, when.
pub fn header(title: &str, setup: &Setup) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "# {title} — {backend}\n\n\
         - run: {date} (today in Madrid: {today}), cita at commit `{commit}`\n\
         - command: `cita-load {args}`\n\
         - machine: {cores} cores ({cpu}), shared by the server, the database and the load \
         generator\n\
         - backend: {backend}{pg}\n\n",
        backend = setup.backend.name(),
        date = cita::clock::Clock::now(&cita::clock::SystemClock).format("%Y-%m-%d %H:%M UTC"),
        today = crate::people::today(),
        args = args.join(" "),
        pg = match setup.backend {
            crate::server::Backend::Postgres => {
                " (a fresh database per server on the local PostgreSQL, dropped afterwards)"
            }
            crate::server::Backend::Sqlite => {
                " (a fresh file per server, WAL, synchronous=full, deleted afterwards)"
            }
        },
    )
}

/// One line about a server: its flags and how it stopped.
pub fn server_line(server_args: &[String], stopped: &Stopped, problems: &[String]) -> String {
    let mut line = format!(
        "`cita {}` — {} in {:.1} s",
        server_args.join(" "),
        stopped.status,
        stopped.seconds
    );
    if problems.is_empty() {
        line.push_str("; no warnings or errors in its log.\n");
    } else {
        line.push_str(&format!(
            "; {} warning/error lines in its log, the first:\n\n```\n{}\n```\n",
            problems.len(),
            problems
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    line
}

/// The arguments a server was started with, for the report.
pub fn args_of(server: &Server) -> Vec<String> {
    let mut args = server.args.clone();
    args.push("--database-url".into());
    args.push("<fresh>".into());
    args
}

/// `| class | outcome | n | p50 | p95 | p99 | max |` for every (class, outcome).
pub fn latency_table(results: &Results) -> String {
    let mut out = String::from(
        "| request | outcome | count | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    for ((class, outcome), histogram) in &results.latency {
        let s = Summary::of(histogram);
        out.push_str(&format!(
            "| {class} | {outcome} | {} | {} |\n",
            s.count,
            ms_cells(&s)
        ));
    }
    out
}

/// `p50 | p95 | p99 | max` cells.
pub fn ms_cells(s: &Summary) -> String {
    if s.count == 0 {
        return "— | — | — | —".into();
    }
    format!(
        "{} | {} | {} | {}",
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max)
    )
}

pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Outcomes of one class as `201 ×12, 409 slot_unavailable ×3`.
pub fn outcomes_of(results: &Results, class: &str) -> String {
    outcome_list(&results.outcomes(class))
}

/// Generator health: how late requests started relative to their schedule.
pub fn lag_line(results: &Results) -> String {
    let s = Summary::of(&results.lag);
    format!(
        "generator start lag p99 {} ms, max {} ms",
        ms(s.p99),
        ms(s.max)
    )
}

/// Writes `<dir>/<name>.md` and `<dir>/<name>.svg`.
pub fn write(dir: &Path, name: &str, markdown: &str, svg: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let md = dir.join(format!("{name}.md"));
    std::fs::write(&md, markdown).with_context(|| format!("writing {}", md.display()))?;
    let chart = dir.join(format!("{name}.svg"));
    std::fs::write(&chart, svg).with_context(|| format!("writing {}", chart.display()))?;
    Ok(md)
}

/// `yes`/`**no**` for a goal.
pub fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}
