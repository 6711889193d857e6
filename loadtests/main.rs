//! `cita-load`: load scenarios against a live `cita serve` (DESIGN §11), each writing a
//! Markdown report and an SVG chart to `loadtests/reports/`. See `loadtests/README.md`.
//!
//! Every scenario starts its own server (the release `cita` binary) on a fresh database,
//! drives it from an open-loop schedule on 127.0.0.1 only, stops it with SIGTERM and
//! checks the invariants straight in the database. Runs are bounded in time and requests.

// A command-line tool: its progress and results are meant for stdout.
#![allow(clippy::print_stdout)]

mod browse;
mod chart;
mod client;
mod cpu;
mod crowd;
mod draw;
mod invariants;
mod people;
mod release;
mod report;
mod room;
mod run;
mod server;
mod surge;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use server::{Backend, Setup};

#[derive(Debug, Parser)]
#[command(
    name = "cita-load",
    about = "Load scenarios against a live cita server"
)]
struct Cli {
    /// Database backend of the servers this run starts.
    #[arg(long, global = true, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// PostgreSQL server on which each run creates (and then drops) its own database.
    #[arg(
        long,
        global = true,
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// The cita binary to run (build it with --release).
    #[arg(long, global = true, default_value = "target/release/cita")]
    cita_bin: PathBuf,
    /// Where reports and charts are written.
    #[arg(long, global = true, default_value = "loadtests/reports")]
    reports: PathBuf,
    /// Scratch folder for SQLite files and server logs.
    #[arg(long, global = true)]
    work_dir: Option<PathBuf>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Availability reads (/days, /slots) against a no-op (/healthz) at rising rates.
    Browse(browse::Args),
    /// A day released to thousands of citizens, with a few aggressive clients.
    Release(release::Args),
    /// Booking load at 1x and 10x the measured booking capacity.
    Surge(surge::Args),
    /// A week given out by a release draw: thousands of people against bots.
    Draw(draw::Args),
    /// A week released first come, with or without a waiting room: people against bots.
    Room(room::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let setup = Setup {
        backend: cli.backend,
        postgres_url: cli.postgres_url,
        cita_bin: cli.cita_bin,
        work_dir: cli
            .work_dir
            .unwrap_or_else(|| std::env::temp_dir().join("cita-load")),
    };
    let written = match &cli.scenario {
        Scenario::Browse(args) => browse::run(&setup, args, &cli.reports).await?,
        Scenario::Release(args) => release::run(&setup, args, &cli.reports).await?,
        Scenario::Surge(args) => surge::run(&setup, args, &cli.reports).await?,
        Scenario::Draw(args) => draw::run(&setup, args, &cli.reports).await?,
        Scenario::Room(args) => room::run(&setup, args, &cli.reports).await?,
    };
    println!("report: {}", written.display());
    Ok(())
}

/// Progress lines while a scenario runs.
pub fn progress(text: &str) {
    println!("[cita-load] {text}");
}
