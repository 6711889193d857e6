//! `surge`: booking load at 1× and 10× the measured booking capacity.
//!
//! Capacity is measured first, closed loop: `--capacity-workers` clients book back to back
//! on a server with `--no-rate-limit`, and capacity is the rate of 201 answers after the
//! warm-up. Then each multiple runs open loop on a fresh server with rate limits on and
//! `--trust-proxy`, every booking from a distinct citizen (own address, own DNI).
//!
//! Goals (issue #20, measured side by side in one run): at 10×, no 5xx but 503
//! `overloaded`, a shed or limited answer (429/503) within 1 ms at p99, and admitted
//! requests (2xx and 409 business answers) within 1.5× of their p99 at 1×; at 0.8×,
//! nothing shed at all (below capacity every booking is served). A run without one of
//! those multiples reports that goal as not run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Days;
use rand::Rng;

use crate::chart::{COLORS, Chart, Series, percentile_points, percentile_ticks};
use crate::client::Http;
use crate::cpu::{Meter, Usage};
use crate::invariants::{self, Invariants};
use crate::people::{self, BookRequest, Citizen};
use crate::progress;
use crate::report;
use crate::run::{Recorder, Results, Summary, Window, closed_loop, open_loop};
use crate::server::{Database, Server, Setup, Stopped};

const OFFICE: &str = "surge-office";
const SERVICE: &str = "tramite";
const BOOK: &str = "POST /appointments";
/// p99 of shed and limited answers at 10× (issue #20).
const SHED_P99_GOAL_MS: f64 = 1.0;
/// Admitted p99 at 10× over admitted p99 at 1× (issue #20).
const ADMITTED_RATIO_GOAL: f64 = 1.5;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The office configuration the servers import (one office, many desks).
    #[arg(long, default_value = "loadtests/surge-offices.toml")]
    pub config: PathBuf,
    /// Length of the closed-loop capacity measurement, warm-up included.
    #[arg(long, default_value_t = 8)]
    pub capacity_seconds: u64,
    /// Clients booking back to back while capacity is measured.
    #[arg(long, default_value_t = 32)]
    pub capacity_workers: usize,
    /// Multiples of the capacity to offer, open loop.
    #[arg(long, value_delimiter = ',', default_value = "1,10")]
    pub multipliers: Vec<f64>,
    /// Offer multiples of this rate (bookings/s) instead of the capacity measured in this
    /// run, so that two servers compared one after the other get the same offered load
    /// (capacity measured on a shared machine varies from run to run). Capacity is still
    /// measured and reported.
    #[arg(long)]
    pub base_rate: Option<f64>,
    /// Length of each multiple's run, warm-up included.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Start of each run left out of the figures.
    #[arg(long, default_value_t = 2)]
    pub warmup_seconds: u64,
    /// Most requests in flight (one connection each); above the server's
    /// `max_in_flight` so that the server, not the generator, decides what is shed.
    #[arg(long, default_value_t = 1536)]
    pub connections: usize,
    /// Also run the highest multiple once more on a server whose `max_writes_in_flight`
    /// is this, for comparison with the default bound (the goals are judged on the
    /// default).
    #[arg(long)]
    pub extra_max_writes_in_flight: Option<usize>,
}

#[derive(Debug)]
struct Phase {
    label: String,
    multiplier: f64,
    offered: f64,
    /// `Some` for the comparison run with another `max_writes_in_flight`.
    max_writes_in_flight: Option<usize>,
    results: Results,
    cpu: Usage,
    invariants: Invariants,
    server_args: Vec<String>,
    stopped: Stopped,
    problems: Vec<String>,
}

/// What an answer counts as for the goals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 2xx, and 409 business answers (slot taken, citizen limit).
    Admitted,
    /// 429 `rate_limited` and 503 `overloaded`.
    Shed,
    /// Any other 5xx: must not happen.
    OtherServerError,
    /// Anything else (timeouts, connection errors, other 4xx).
    Other,
}

fn kind_of(outcome: &str) -> Kind {
    let status: u16 = outcome
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match status {
        200..=299 | 409 => Kind::Admitted,
        429 => Kind::Shed,
        503 if outcome == "503 overloaded" => Kind::Shed,
        500..=599 => Kind::OtherServerError,
        _ => Kind::Other,
    }
}

pub async fn run(setup: &Setup, args: &Args, reports: &Path) -> anyhow::Result<PathBuf> {
    let source = cita::booking::ConfigSource::read(&args.config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    let config = source
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    let limits = invariants::citizen_limits(&config);
    let config_text = std::fs::read_to_string(&args.config)?;
    let work_config = setup.work_dir.join("surge-offices.toml");
    std::fs::create_dir_all(&setup.work_dir)?;
    std::fs::write(&work_config, &config_text)?;

    // 1. Capacity, closed loop, no rate limits, and writes not shed: what the database
    // path serves, not what the writes bound admits.
    let capacity_config = setup.work_dir.join("surge-offices-capacity.toml");
    std::fs::write(
        &capacity_config,
        with_limits(&config_text, &unshed_writes(&config.limits)),
    )?;
    let capacity_phase = phase(setup, args, &capacity_config, &limits, "capacity", None).await?;
    let measured = capacity_phase.results.throughput(BOOK).1;
    anyhow::ensure!(
        measured > 0.0,
        "no booking completed while measuring capacity"
    );
    progress(&format!("surge: booking capacity {measured:.0}/s"));
    let capacity = args.base_rate.unwrap_or(measured);

    // 2. Each multiple, open loop, rate limits on.
    let mut phases = vec![];
    for &m in &args.multipliers {
        let p = phase(
            setup,
            args,
            &work_config,
            &limits,
            &format!("{m}x"),
            Some((m, capacity)),
        )
        .await?;
        phases.push(p);
    }
    if let (Some(n), Some(&m)) = (
        args.extra_max_writes_in_flight,
        args.multipliers.iter().max_by(|a, b| a.total_cmp(b)),
    ) {
        let tuned = setup.work_dir.join("surge-offices-tuned.toml");
        std::fs::write(
            &tuned,
            with_limits(&config_text, &[("max_writes_in_flight", n.to_string())]),
        )?;
        let mut p = phase(
            setup,
            args,
            &tuned,
            &limits,
            &format!("{m}x-max-writes-in-flight-{n}"),
            Some((m, capacity)),
        )
        .await?;
        p.max_writes_in_flight = Some(n);
        phases.push(p);
    }
    let markdown = markdown(
        setup,
        args,
        &capacity_phase,
        measured,
        &phases,
        &limits,
        &config.limits,
    );
    let svg = chart(&phases).svg();
    report::write(
        reports,
        &format!("surge-{}", setup.backend.name()),
        &markdown,
        &svg,
    )
}

/// Limits under which no write is shed: as many writes as requests in flight, and a
/// wait target no write reaches (an hour).
fn unshed_writes(limits: &cita::limits::LimitSettings) -> Vec<(&'static str, String)> {
    vec![
        ("max_writes_in_flight", limits.max_in_flight.to_string()),
        ("write_wait_target_ms", "3600000".to_owned()),
    ]
}

/// The configuration text with `settings` (key, value) in its `[limits]`, replacing
/// those keys if present.
fn with_limits(text: &str, settings: &[(&str, String)]) -> String {
    let mut out = vec![];
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if settings.iter().any(|(k, _)| *k == key) {
            continue;
        }
        out.push(line.to_owned());
        if line.trim() == "[limits]" {
            for (k, v) in settings {
                out.push(format!("{k} = {v}"));
            }
        }
    }
    out.join("\n") + "\n"
}

/// One server on a fresh database: capacity (closed loop, `open = None`) or one multiple
/// of it (open loop), then the invariant check.
async fn phase(
    setup: &Setup,
    args: &Args,
    config: &Path,
    limits: &BTreeMap<String, u32>,
    label: &str,
    open: Option<(f64, f64)>,
) -> anyhow::Result<Phase> {
    let database = Database::fresh(setup, &format!("surge_{label}")).await?;
    let ran = async {
        let config_arg = config.display().to_string();
        let mut flags = vec!["--config", config_arg.as_str(), "--trust-proxy"];
        if open.is_none() {
            flags.push("--no-rate-limit");
        }
        let server = Server::start(setup, &database, &format!("surge-{label}"), &flags).await?;
        let server_args = report::args_of(&server);
        let http = Http::new(server.port, args.connections, Duration::from_secs(60));
        let results = match open {
            None => capacity_run(&http, args, server.pid()).await,
            Some((m, capacity)) => open_run(&http, args, m * capacity, server.pid()).await,
        };
        let problems = server.log_problems(20);
        let stopped = server.stop().await?;
        anyhow::Ok((results?, server_args, stopped, problems))
    }
    .await;
    let checked = match &ran {
        Ok(_) => Some(invariants::check(&database.url, limits).await),
        Err(_) => None,
    };
    database.remove().await?;
    let ((results, cpu), server_args, stopped, problems) = ran?;
    let invariants = checked.context("invariant check")??;
    let (multiplier, offered) = open.map_or((0.0, 0.0), |(m, c)| (m, m * c));
    let admitted = results.summary(|_, o| kind_of(o) == Kind::Admitted);
    progress(&format!(
        "surge {label}: {:.0} 201/s, admitted p99 {} ms, invariants {}",
        results.throughput(BOOK).1,
        report::ms(admitted.p99),
        if invariants.holds() { "hold" } else { "BROKEN" }
    ));
    Ok(Phase {
        label: label.to_owned(),
        multiplier,
        offered,
        max_writes_in_flight: None,
        results,
        cpu,
        invariants,
        server_args,
        stopped,
        problems,
    })
}

/// Every bookable start of the next 60 days (fetched from distinct addresses so the
/// browse limit does not get in the way).
async fn all_starts(http: &Http) -> anyhow::Result<Arc<Vec<String>>> {
    let today = people::today();
    let mut starts = vec![];
    for d in 1..60u32 {
        let date = today
            .checked_add_days(Days::new(u64::from(d)))
            .context("date")?;
        let slots =
            people::slots_of(http, OFFICE, SERVICE, date, people::client(14_000_000 + d)).await?;
        for slot in slots {
            starts.push(slot.start);
        }
    }
    anyhow::ensure!(!starts.is_empty(), "no bookable times");
    Ok(Arc::new(starts))
}

fn booking(starts: &[String], n: u32) -> BookRequest<'_> {
    BookRequest {
        office_id: OFFICE,
        service_id: SERVICE,
        start: &starts[rand::rng().random_range(0..starts.len())],
        hold_id: None,
        citizen: Citizen::numbered(40_000_000 + n),
    }
}

async fn capacity_run(
    http: &Http,
    args: &Args,
    server_pid: Option<u32>,
) -> anyhow::Result<(Results, Usage)> {
    let starts = all_starts(http).await?;
    let window = Window::starting_soon(
        Duration::from_secs(args.capacity_seconds),
        Duration::from_secs(args.warmup_seconds),
    );
    let recorder = Arc::new(Recorder::new(window)?);
    let shared = (http.clone(), starts, recorder.clone());
    let meter = Meter::start(server_pid);
    closed_loop(window, args.capacity_workers, move |i, due| {
        let (http, starts, recorder) = shared.clone();
        async move {
            let n = i as u32;
            let sent = http
                .post(BOOK_PATH, people::client(n), &booking(&starts, n))
                .await;
            recorder.record(BOOK, &sent, due);
        }
    })
    .await;
    Ok((recorder.results(), meter.stop()))
}

const BOOK_PATH: &str = "/api/v1/appointments";

async fn open_run(
    http: &Http,
    args: &Args,
    rate: f64,
    server_pid: Option<u32>,
) -> anyhow::Result<(Results, Usage)> {
    let starts = all_starts(http).await?;
    let window = Window::starting_soon(
        Duration::from_secs(args.seconds),
        Duration::from_secs(args.warmup_seconds),
    );
    let recorder = Arc::new(Recorder::new(window)?);
    let count = (rate * args.seconds as f64).round() as u64;
    progress(&format!(
        "surge: offering {rate:.0} bookings/s for {} s",
        args.seconds
    ));
    let shared = (http.clone(), starts, recorder.clone());
    let meter = Meter::start(server_pid);
    open_loop(window, rate, count, &recorder, move |i, at| {
        let (http, starts, recorder) = shared.clone();
        async move {
            // Distinct from the capacity run's citizens and addresses.
            let n = 1_000_000 + i as u32;
            let sent = http
                .post(BOOK_PATH, people::client(n), &booking(&starts, n))
                .await;
            recorder.record(BOOK, &sent, at);
        }
    })
    .await?;
    Ok((recorder.results(), meter.stop()))
}

/// Answers with HTTP status `status`, whatever their problem code.
fn count_status(results: &Results, status: u16) -> u64 {
    results
        .latency
        .iter()
        .filter(|((_, outcome), _)| {
            outcome
                .split(' ')
                .next()
                .and_then(|s| s.parse::<u16>().ok())
                == Some(status)
        })
        .map(|(_, histogram)| histogram.len())
        .sum()
}

/// The run of multiple `m` on the default bounds, if the run had it.
fn run_at(phases: &[Phase], m: f64) -> Option<&Phase> {
    phases
        .iter()
        .find(|p| (p.multiplier - m).abs() < 1e-9 && p.max_writes_in_flight.is_none())
}

/// The goals of issue #20, each measured in this one run, met or not.
fn goals(phases: &[Phase]) -> String {
    const NOT_RUN: &str = "— (multiple not run) | **not met**";
    let mut md = String::from(
        "## Goals (issue #20)\n\n\
         | goal | measured | |\n|---|---|---|\n",
    );
    let ten = run_at(phases, 10.0);
    let one = run_at(phases, 1.0);
    let calm = run_at(phases, 0.8);
    md.push_str("| 10×: no 5xx but 503 `overloaded` | ");
    md.push_str(&ten.map_or(NOT_RUN.to_owned(), |p| {
        let n = summary_of(&p.results, Kind::OtherServerError).count;
        format!("{n} | {}", report::met(n == 0))
    }));
    md.push_str(&format!(
        " |\n| 10×: a shed or limited answer (429/503) takes ≤ {SHED_P99_GOAL_MS} ms at p99, \
         from its scheduled start | "
    ));
    md.push_str(&ten.map_or(NOT_RUN.to_owned(), |p| {
        let shed = summary_of(&p.results, Kind::Shed);
        if shed.count == 0 {
            "none shed | met".to_owned()
        } else {
            format!(
                "{} ms ({} shed) | {}",
                report::ms(shed.p99),
                shed.count,
                report::met(shed.p99 <= SHED_P99_GOAL_MS)
            )
        }
    }));
    md.push_str(" |\n| 10×: the same from send (the generator's own start lag left out) | ");
    md.push_str(&ten.map_or(NOT_RUN.to_owned(), |p| {
        let shed = p.results.service_summary(|_, o| kind_of(o) == Kind::Shed);
        if shed.count == 0 {
            "none shed | met".to_owned()
        } else {
            format!(
                "{} ms | {}",
                report::ms(shed.p99),
                report::met(shed.p99 <= SHED_P99_GOAL_MS)
            )
        }
    }));
    md.push_str(&format!(
        " |\n| 10×: admitted p99 ≤ {ADMITTED_RATIO_GOAL}× the admitted p99 at 1× | "
    ));
    md.push_str(&match (ten, one) {
        (Some(ten), Some(one)) => {
            let high = summary_of(&ten.results, Kind::Admitted).p99;
            let base = summary_of(&one.results, Kind::Admitted).p99;
            if base > 0.0 {
                let ratio = high / base;
                format!(
                    "{} ms vs {} ms = {ratio:.2}× | {}",
                    report::ms(high),
                    report::ms(base),
                    report::met(ratio <= ADMITTED_RATIO_GOAL)
                )
            } else {
                "— (nothing admitted at 1×) | **not met**".to_owned()
            }
        }
        _ => NOT_RUN.to_owned(),
    });
    md.push_str(" |\n| 0.8×: nothing shed (no 429, no 503) | ");
    md.push_str(&calm.map_or(NOT_RUN.to_owned(), |p| {
        let shed = count_status(&p.results, 429) + count_status(&p.results, 503);
        let all: u64 = p.results.latency.values().map(|h| h.len()).sum();
        format!("{shed} of {all} | {}", report::met(shed == 0))
    }));
    md.push_str(" |\n\nShed or limited at each multiple (after the warm-up):");
    for p in phases {
        md.push_str(&format!(
            " {} {} × 429, {} × 503;",
            p.label,
            count_status(&p.results, 429),
            count_status(&p.results, 503)
        ));
    }
    md.pop();
    md.push_str(
        ".\n\nCores kept busy by other processes of the machine during each run (not the server, \
         the generator or PostgreSQL; the latency goals are only fair near 0):",
    );
    for p in phases {
        md.push_str(&format!(" {} {:.2};", p.label, p.cpu.others()));
    }
    md.pop();
    md.push_str(".\n");
    md
}

fn summary_of(results: &Results, kind: Kind) -> Summary {
    results.summary(|_, o| kind_of(o) == kind)
}

fn markdown(
    setup: &Setup,
    args: &Args,
    capacity_phase: &Phase,
    capacity: f64,
    phases: &[Phase],
    limits: &BTreeMap<String, u32>,
    bounds: &cita::limits::LimitSettings,
) -> String {
    let pool = cita::store::StoreOptions::default().max_connections;
    let writes = bounds.writes_in_flight(pool);
    let writes_text = match bounds.max_writes_in_flight {
        Some(n) => format!("`max_writes_in_flight = {n}` (set in the file)"),
        None => format!(
            "`max_writes_in_flight` unset, so the default: a ceiling of {} per connection \
             of the database pool of {pool} plus {} for bookings sharing transactions, \
             {writes} writes, rising with the rate the database serves up to {}",
            cita::limits::WRITES_PER_CONNECTION,
            cita::limits::SHARED_BOOKINGS,
            bounds.writes_in_flight_cap(pool)
        ),
    };
    let mut md = report::header("Load test `surge`", setup);
    md.push_str(&format!(
        "## What ran\n\n\
         The office is `{OFFICE}` from `{config}`: eight desks open around the clock, a \
         10-minute procedure, so bookings spread over the next 60 days never run out of \
         times (the demo offices hold a few thousand times in 60 days, which a few seconds \
         at capacity would exhaust, and then every phase would measure \"full\" answers \
         instead of bookings). Its `[limits]` are the demo's. Shedding bounds: \
         `max_in_flight = {mif}`{mif_default}, {writes_text}, and `write_wait_target_ms = \
         {target}`{target_default}. Each booking is a \
         `POST /appointments` without a hold on a random free time, from a distinct citizen (own `X-Forwarded-For` address, own DNI). \
         Every phase gets its own server on a fresh database.\n\n\
         **Capacity** was measured closed loop: {workers} clients booking back to back for \
         {cs} s on a server with `--no-rate-limit` and no write shed \
         (`max_writes_in_flight = {mif}`, `write_wait_target_ms = 3600000`), so that it \
         measures what the booking path serves, not what the bound admits; capacity = 201 \
         answers per second after the {w} s warm-up. Then each multiple of it was offered open loop for {s} s ({w} s \
         warm-up left out) to a server with rate limits on (`--trust-proxy`), at most {conn} \
         requests in flight from the generator (more than `max_in_flight`, so the server \
         decides what to shed). Latency runs from each request's scheduled start.{extra}\n\n",
        extra = match args.extra_max_writes_in_flight {
            Some(n) => format!(
                " For comparison, the highest multiple ran once more on a server with \
                 `max_writes_in_flight = {n}` (its label says so); the goals are judged on \
                 the default bounds."
            ),
            None => String::new(),
        },
        config = args.config.display(),
        mif = bounds.max_in_flight,
        target = bounds.write_wait_target_ms,
        target_default = if bounds.write_wait_target_ms
            == cita::limits::LimitSettings::default().write_wait_target_ms
        {
            " (the default)"
        } else {
            ""
        },
        mif_default = if bounds.max_in_flight == cita::limits::LimitSettings::default().max_in_flight {
            " (the default)"
        } else {
            ""
        },
        workers = args.capacity_workers,
        cs = args.capacity_seconds,
        w = args.warmup_seconds,
        s = args.seconds,
        conn = args.connections,
    ));

    let cap = summary_of(&capacity_phase.results, Kind::Admitted);
    md.push_str(&format!(
        "## Capacity\n\n**{capacity:.0} bookings/s** ({} answers after warm-up; latency of \
         admitted answers p50 {} ms, p99 {} ms at {} clients).\n\n",
        cap.count,
        report::ms(cap.p50),
        report::ms(cap.p99),
        args.capacity_workers
    ));
    if let Some(base) = args.base_rate {
        md.push_str(&format!(
            "The multiples below are of **{base:.0} bookings/s** given with `--base-rate`, \
             not of the capacity measured in this run.\n\n"
        ));
    }

    md.push_str(&goals(phases));
    md.push_str(
        "\nLatency runs from each request's scheduled start, so it includes how late the \
         generator itself was (its start lag, per run below, on a machine it shares with the \
         server); \"from send\" leaves that lag out.\n",
    );
    md.push_str("\n## Per run\n\n");
    md.push_str("| run | offered/s | answers/s | 201/s | admitted n | admitted p50 / p99 / max ms | 429 n | 503 n | shed p50 / p99 / max ms | shed p99 from send | other 5xx | other | generator |\n|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---|\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        let (all, ok) = p.results.throughput(BOOK);
        let a = summary_of(&p.results, Kind::Admitted);
        let s = summary_of(&p.results, Kind::Shed);
        let s_sent = p.results.service_summary(|_, o| kind_of(o) == Kind::Shed);
        let x = summary_of(&p.results, Kind::OtherServerError);
        let o = summary_of(&p.results, Kind::Other);
        let three = |s: &Summary| {
            if s.count == 0 {
                "—".to_owned()
            } else {
                format!(
                    "{} / {} / {}",
                    report::ms(s.p50),
                    report::ms(s.p99),
                    report::ms(s.max)
                )
            }
        };
        md.push_str(&format!(
            "| {} | {} | {all:.0} | {ok:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            p.label,
            if p.offered > 0.0 {
                format!("{:.0}", p.offered)
            } else {
                "closed loop".into()
            },
            a.count,
            three(&a),
            count_status(&p.results, 429),
            count_status(&p.results, 503),
            three(&s),
            if s_sent.count == 0 {
                "—".to_owned()
            } else {
                report::ms(s_sent.p99)
            },
            x.count,
            o.count,
            report::lag_line(&p.results),
        ));
    }
    md.push_str("\nCPU during each run (the machine is shared):\n\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        md.push_str(&format!("- {}: {}\n", p.label, p.cpu.text()));
    }
    md.push_str("\nAnswers by outcome:\n\n| run | outcomes |\n|---|---|\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        md.push_str(&format!(
            "| {} | {} |\n",
            p.label,
            report::outcomes_of(&p.results, BOOK)
        ));
    }
    md.push_str("\nLatency by outcome:\n\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        md.push_str(&format!("**{}**\n\n", p.label));
        md.push_str(&report::latency_table(&p.results));
        md.push('\n');
    }
    md.push_str(&format!(
        "Chart: `surge-{}.svg` (latency by percentile: admitted and shed answers per run).\n\n",
        setup.backend.name()
    ));
    md.push_str("## Post-run invariant check (each run's database)\n\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        md.push_str(&format!("**{}**: ", p.label));
        md.push_str(&p.invariants.markdown(limits));
        md.push('\n');
    }
    md.push_str("## Servers\n\n");
    for p in std::iter::once(capacity_phase).chain(phases.iter()) {
        md.push_str(&format!("- {}: ", p.label));
        md.push_str(&report::server_line(
            &p.server_args,
            &p.stopped,
            &p.problems,
        ));
    }
    md
}

fn chart(phases: &[Phase]) -> Chart {
    let mut series = vec![];
    for (i, p) in phases.iter().enumerate() {
        for (name, kind, dash) in [
            ("admitted", Kind::Admitted, None),
            ("shed/limited", Kind::Shed, Some("6 4")),
        ] {
            let h = p.results.merged(|_, o| kind_of(o) == kind);
            if h.is_empty() {
                continue;
            }
            series.push(Series {
                name: format!("{} {name}", p.label),
                points: percentile_points(&h),
                color: COLORS[i % COLORS.len()],
                dash,
            });
        }
    }
    Chart {
        title: "surge: booking latency by percentile".into(),
        x_label: "percentile".into(),
        x_ticks: percentile_ticks(),
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_count_toward_the_right_goal() {
        assert_eq!(kind_of("201"), Kind::Admitted);
        assert_eq!(kind_of("409 slot_unavailable"), Kind::Admitted);
        assert_eq!(kind_of("409 citizen_limit_reached"), Kind::Admitted);
        assert_eq!(kind_of("429 rate_limited"), Kind::Shed);
        assert_eq!(kind_of("503 overloaded"), Kind::Shed);
        assert_eq!(kind_of("503"), Kind::OtherServerError);
        assert_eq!(kind_of("500 internal"), Kind::OtherServerError);
        assert_eq!(kind_of("timeout"), Kind::Other);
        assert_eq!(kind_of("422 outside_booking_window"), Kind::Other);
    }

    #[test]
    fn sets_limits() {
        let text = "[limits]\nmax_in_flight = 1024\n[[office]]\n";
        let once = with_limits(text, &[("max_writes_in_flight", "64".into())]);
        assert_eq!(
            once,
            "[limits]\nmax_writes_in_flight = 64\nmax_in_flight = 1024\n[[office]]\n"
        );
        assert_eq!(
            with_limits(&once, &[("max_writes_in_flight", "8".into())]),
            "[limits]\nmax_writes_in_flight = 8\nmax_in_flight = 1024\n[[office]]\n"
        );
        let unshed = with_limits(
            text,
            &unshed_writes(&cita::limits::LimitSettings::default()),
        );
        let table: toml::Table = toml::from_str(&unshed).unwrap();
        let limits = table.get("limits").and_then(|v| v.as_table());
        let parsed = cita::limits::LimitSettings::from_table(limits).unwrap();
        assert_eq!(parsed.max_writes_in_flight, Some(1024));
        assert_eq!(parsed.write_wait_target_ms, 3_600_000);
    }
}
