//! `browse`: availability reads at rising offered rates, each step measured against a
//! no-op endpoint (`GET /healthz`) at the same rate on the same server in the same run.
//!
//! Goals: availability throughput ≥ 0.25 × the no-op's; the citizens' pages that read
//! availability answer in ≤ 20 ms (median) at the offered rates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::Days;
use rand::Rng;

use crate::chart::{COLORS, Chart, Series};
use crate::client::Http;
use crate::cpu::{Meter, Usage};
use crate::invariants::{self, Checked, Invariants};
use crate::people::{self, BookRequest, Citizen, SETUP_CLIENT};
use crate::progress;
use crate::report::{self, ms_cells};
use crate::run::{Recorder, Results, Window, closed_loop, open_loop};
use crate::server::{Database, Server, Setup, Stopped};

const OFFICE: &str = "madrid-extranjeria";
const SERVICE: &str = "huellas-tie";
const NOOP: &str = "GET /healthz";
const DAYS: &str = "GET /days (31 days)";
const SLOTS: &str = "GET /slots (one day)";
const PAGE_DAYS: &str = "page /book/day (a week)";
const PAGE_TIMES: &str = "page /book/time (one day)";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Offered rates in requests per second; each is run for the no-op and then for the
    /// availability reads.
    #[arg(long, value_delimiter = ',', default_value = "200,400,800,1600")]
    pub rates: Vec<u32>,
    /// Length of each step, warm-up included.
    #[arg(long, default_value_t = 8)]
    pub step_seconds: u64,
    /// Start of each step left out of the figures.
    #[arg(long, default_value_t = 2)]
    pub warmup_seconds: u64,
    /// Most requests in flight (one connection each).
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Appointments booked before measuring, so availability has something to work on.
    #[arg(long, default_value_t = 300)]
    pub seed_bookings: u32,
    /// Clients of the closed-loop peak steps run after the rates (each sends its next
    /// request as soon as its answer arrives): the most each endpoint answers here. 0
    /// skips them.
    #[arg(long, default_value_t = 64)]
    pub peak_clients: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Noop,
    Availability,
    /// The citizens' pages that read availability (the week, the day's times).
    Pages,
}

#[derive(Debug)]
struct Step {
    /// Offered rate (0 for the closed-loop peak).
    rate: u32,
    closed: bool,
    target: Target,
    results: Results,
    cpu: Usage,
}

#[derive(Debug)]
struct Outcome {
    steps: Vec<Step>,
    seeded: u32,
    slot_dates: usize,
    server_args: Vec<String>,
    stopped: Stopped,
    problems: Vec<String>,
}

pub async fn run(setup: &Setup, args: &Args, reports: &Path) -> anyhow::Result<PathBuf> {
    let Checked {
        outcome,
        invariants,
        limits,
        config: _,
    } = invariants::on_demo_database(setup, "browse", async |database| {
        drive(setup, database, args).await
    })
    .await?;
    let markdown = markdown(setup, args, &outcome, &invariants, &limits);
    let svg = chart(&outcome).svg();
    report::write(
        reports,
        &format!("browse-{}", setup.backend.name()),
        &markdown,
        &svg,
    )
}

async fn drive(setup: &Setup, database: &Database, args: &Args) -> anyhow::Result<Outcome> {
    let server = Server::start(
        setup,
        database,
        "browse",
        &["--demo", "--no-rate-limit", "--trust-proxy"],
    )
    .await?;
    let server_args = report::args_of(&server);
    let http = Http::new(server.port, args.connections, Duration::from_secs(30));
    let steps = steps(&http, args, server.pid()).await;
    let problems = server.log_problems(20);
    let stopped = server.stop().await?;
    let (steps, seeded, slot_dates) = steps?;
    Ok(Outcome {
        steps,
        seeded,
        slot_dates,
        server_args,
        stopped,
        problems,
    })
}

async fn steps(
    http: &Http,
    args: &Args,
    server_pid: Option<u32>,
) -> anyhow::Result<(Vec<Step>, u32, usize)> {
    let today = people::today();
    let month_end = today
        .checked_add_days(Days::new(30))
        .context("date overflow")?;
    let dates: Vec<_> = people::open_dates(http, OFFICE, SERVICE, today, month_end)
        .await?
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| *d > today)
        .collect();
    anyhow::ensure!(!dates.is_empty(), "no open dates in the next month");
    let seeded = seed(http, &dates, args.seed_bookings).await?;
    progress(&format!(
        "browse: {seeded} appointments seeded over {} open dates",
        dates.len()
    ));
    let plan = Arc::new(Plan {
        http: http.clone(),
        dates,
        days_path: people::days_path(OFFICE, SERVICE, today, month_end),
    });
    let mut steps = vec![];
    let mut next_client = 0u32;
    let step_length = Duration::from_secs(args.step_seconds);
    let warmup = Duration::from_secs(args.warmup_seconds);
    for &rate in &args.rates {
        for target in [Target::Noop, Target::Availability, Target::Pages] {
            let window = Window::starting_soon(step_length, warmup);
            let recorder = Arc::new(Recorder::new(window)?);
            let count = u64::from(rate) * args.step_seconds;
            let first_client = next_client;
            next_client = next_client.wrapping_add(u32::try_from(count).unwrap_or(u32::MAX));
            let shared = (plan.clone(), recorder.clone());
            let meter = Meter::start(server_pid);
            open_loop(window, f64::from(rate), count, &recorder, move |i, at| {
                let (plan, recorder) = shared.clone();
                let who = people::client(first_client.wrapping_add(i as u32));
                async move { plan.request(target, i, who, at, &recorder).await }
            })
            .await?;
            steps.push(finish(rate, false, target, &recorder, meter.stop()));
        }
    }
    if args.peak_clients > 0 {
        for target in [Target::Noop, Target::Availability] {
            let window = Window::starting_soon(step_length, warmup);
            let recorder = Arc::new(Recorder::new(window)?);
            let first_client = next_client;
            next_client = next_client.wrapping_add(1_000_000);
            let shared = (plan.clone(), recorder.clone());
            let meter = Meter::start(server_pid);
            closed_loop(window, args.peak_clients, move |i, at| {
                let (plan, recorder) = shared.clone();
                let who = people::client(first_client.wrapping_add(i as u32));
                async move { plan.request(target, i, who, at, &recorder).await }
            })
            .await;
            steps.push(finish(0, true, target, &recorder, meter.stop()));
        }
    }
    Ok((steps, seeded, plan.dates.len()))
}

fn finish(rate: u32, closed: bool, target: Target, recorder: &Recorder, cpu: Usage) -> Step {
    let results = recorder.results();
    let (_, ok) = total_throughput(&results, target);
    progress(&format!(
        "browse: {} {}: {ok:.0} 2xx/s, p99 {} ms",
        if closed {
            "closed loop".to_owned()
        } else {
            format!("{rate} req/s")
        },
        match target {
            Target::Noop => "no-op",
            Target::Availability => "availability",
            Target::Pages => "pages",
        },
        report::ms(results.summary(|_, _| true).p99)
    ));
    Step {
        rate,
        closed,
        target,
        results,
        cpu,
    }
}

/// What the requests of the measured steps read.
#[derive(Debug)]
struct Plan {
    http: Http,
    dates: Vec<chrono::NaiveDate>,
    days_path: String,
}

impl Plan {
    /// The `i`-th request of a step: the no-op, or alternately `/days` and `/slots`.
    async fn request(
        &self,
        target: Target,
        i: u64,
        who: std::net::Ipv4Addr,
        at: std::time::Instant,
        recorder: &Recorder,
    ) {
        let (class, path) = match target {
            Target::Noop => (NOOP, "/healthz".to_owned()),
            Target::Availability if i.is_multiple_of(2) => (DAYS, self.days_path.clone()),
            Target::Availability => {
                let date = self.dates[(i as usize / 2) % self.dates.len()];
                (SLOTS, people::slots_path(OFFICE, SERVICE, date))
            }
            Target::Pages if i.is_multiple_of(2) => {
                let date = self.dates[(i as usize / 2) % self.dates.len()];
                (
                    PAGE_DAYS,
                    format!("/book/day?office_id={OFFICE}&service_id={SERVICE}&week={date}"),
                )
            }
            Target::Pages => {
                let date = self.dates[(i as usize / 2) % self.dates.len()];
                (
                    PAGE_TIMES,
                    format!("/book/time?office_id={OFFICE}&service_id={SERVICE}&date={date}"),
                )
            }
        };
        let sent = self.http.get(&path, who).await;
        recorder.record(class, &sent, at);
    }
}

/// Books `count` appointments on random open times, eight at a time, before measuring.
async fn seed(http: &Http, dates: &[chrono::NaiveDate], count: u32) -> anyhow::Result<u32> {
    let mut starts = vec![];
    for date in dates {
        for slot in people::slots_of(http, OFFICE, SERVICE, *date, SETUP_CLIENT).await? {
            starts.push(slot.start);
        }
    }
    anyhow::ensure!(!starts.is_empty(), "no bookable times to seed");
    let starts = Arc::new(starts);
    let next = Arc::new(AtomicU32::new(0));
    let booked = Arc::new(AtomicU32::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, starts, next, booked) =
            (http.clone(), starts.clone(), next.clone(), booked.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let start = &starts[rand::rng().random_range(0..starts.len())];
                let body = BookRequest {
                    office_id: OFFICE,
                    service_id: SERVICE,
                    start,
                    hold_id: None,
                    citizen: Citizen::numbered(20_000_000 + i),
                };
                let sent = http
                    .post("/api/v1/appointments", people::client(8_000_000 + i), &body)
                    .await;
                if sent.status() == Some(201) {
                    booked.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Ok(booked.load(Ordering::Relaxed))
}

/// Answers per second over the step's classes: (all, 2xx).
fn total_throughput(results: &Results, target: Target) -> (f64, f64) {
    let classes: &[&str] = match target {
        Target::Noop => &[NOOP],
        Target::Availability => &[DAYS, SLOTS],
        Target::Pages => &[PAGE_DAYS, PAGE_TIMES],
    };
    classes.iter().fold((0.0, 0.0), |(a, o), c| {
        let (all, ok) = results.throughput(c);
        (a + all, o + ok)
    })
}

fn step(outcome: &Outcome, rate: u32, closed: bool, target: Target) -> Option<&Step> {
    outcome
        .steps
        .iter()
        .find(|s| s.rate == rate && s.closed == closed && s.target == target)
}

fn markdown(
    setup: &Setup,
    args: &Args,
    outcome: &Outcome,
    invariants: &Invariants,
    limits: &std::collections::BTreeMap<String, u32>,
) -> String {
    let mut md = report::header("Load test `browse`", setup);
    md.push_str(&format!(
        "## What ran\n\n\
         One server ({}), demo offices, **rate limits off** (`--no-rate-limit`; load \
         shedding stays at the demo's `max_in_flight`). {} appointments were booked first \
         on random times of `{OFFICE}` / `{SERVICE}` so that availability has \
         appointments to place around. Then, for each offered rate, three open-loop steps of \
         {} s each ({} s warm-up left out): the no-op `GET /healthz`, then the availability \
         reads — alternately `GET /days` over 31 days from today and `GET /slots` for one of \
         the {} open dates of the month — then the citizens' pages that show them \
         (`/book/day`, a week; `/book/time`, a day). Every request comes from a distinct simulated \
         client (`X-Forwarded-For`); at most {} requests in flight. Latency runs from each \
         request's scheduled start (queueing included). Last, a closed-loop peak step for \
         each endpoint: {} clients, each sending its next request as soon as the previous \
         answer arrives, for the same step length.\n\n",
        outcome.server_args.join(" "),
        outcome.seeded,
        args.step_seconds,
        args.warmup_seconds,
        outcome.slot_dates,
        args.connections,
        args.peak_clients,
    ));

    md.push_str("## Goal: availability throughput ≥ 0.25 × the no-op's, same run\n\n");
    md.push_str(
        "| step | no-op 2xx/s | availability 2xx/s | ratio | goal |\n|---|---:|---:|---:|---|\n",
    );
    let mut rows: Vec<(String, u32, bool)> = args
        .rates
        .iter()
        .map(|r| (format!("{r} req/s offered"), *r, false))
        .collect();
    if args.peak_clients > 0 {
        rows.push((
            format!("peak: closed loop, {} clients", args.peak_clients),
            0,
            true,
        ));
    }
    let mut peak_ratio = None;
    let mut missed = vec![];
    for (name, rate, closed) in rows {
        let (Some(noop), Some(avail)) = (
            step(outcome, rate, closed, Target::Noop),
            step(outcome, rate, closed, Target::Availability),
        ) else {
            continue;
        };
        let (_, n) = total_throughput(&noop.results, Target::Noop);
        let (_, a) = total_throughput(&avail.results, Target::Availability);
        let ratio = if n > 0.0 { a / n } else { 0.0 };
        if closed {
            peak_ratio = Some(ratio);
        }
        if ratio < 0.25 {
            missed.push(name.clone());
        }
        md.push_str(&format!(
            "| {name} | {n:.0} | {a:.0} | {ratio:.2} | {} |\n",
            report::met(ratio >= 0.25)
        ));
    }
    md.push_str(&format!(
        "\n{}\n\nThroughput is answers completed per second inside each measured window. \
         At an offered rate that both endpoints keep up with, the ratio is 1 and only says \
         that availability kept up; past availability's capacity the open-loop backlog \
         grows and its latency with it. The closed-loop peak is the most each endpoint \
         answered on this machine (generator included), so its ratio is the one that \
         compares capacities.\n\n",
        match (peak_ratio, missed.is_empty()) {
            (Some(r), true) => format!("**Goal met** at every step (peak ratio {r:.2})."),
            (Some(r), false) => format!(
                "**Goal not met** at: {} (peak ratio {r:.2}).",
                missed.join(", ")
            ),
            (None, true) => "**Goal met** at every offered rate.".to_owned(),
            (None, false) => format!("**Goal not met** at: {}.", missed.join(", ")),
        }
    ));

    md.push_str("## Goal: the pages' median answer ≤ 20 ms at every offered rate\n\n");
    md.push_str("The citizens' pages that read availability — the week (`/book/day`) and a day's \
                 times (`/book/time`) — served in turn at the same offered rates, beside the no-op \
                 in the same run. The median runs from each request's scheduled start to the whole \
                 page received (a page is a few kilobytes, so that is within a packet of its first \
                 byte).\n\n| offered req/s | no-op p50 ms | pages p50 ms | goal |\n|---:|---:|---:|---|\n");
    for &rate in &args.rates {
        let (Some(noop), Some(pages)) = (
            step(outcome, rate, false, Target::Noop),
            step(outcome, rate, false, Target::Pages),
        ) else {
            continue;
        };
        let n = noop.results.summary(|c, _| c == NOOP).p50;
        let p = pages
            .results
            .summary(|c, _| c == PAGE_DAYS || c == PAGE_TIMES)
            .p50;
        let met = p > 0.0 && p <= 20.0;
        md.push_str(&format!(
            "| {rate} | {} | {} | {} |\n",
            report::ms(n),
            report::ms(p),
            report::met(met)
        ));
    }
    md.push('\n');

    md.push_str("## Throughput and latency per step\n\n");
    md.push_str("| offered req/s | request | answers/s | 2xx/s | p50 ms | p95 ms | p99 ms | max ms | p99 from send ms | outcomes | generator |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for s in &outcome.steps {
        let classes: &[&str] = match s.target {
            Target::Noop => &[NOOP],
            Target::Availability => &[DAYS, SLOTS],
            Target::Pages => &[PAGE_DAYS, PAGE_TIMES],
        };
        for class in classes {
            let (all, ok) = s.results.throughput(class);
            let summary = s.results.summary(|c, _| c == *class);
            let sent = s.results.service_summary(|c, _| c == *class);
            md.push_str(&format!(
                "| {} | {class} | {all:.0} | {ok:.0} | {} | {} | {} | {} |\n",
                if s.closed {
                    "peak (closed loop)".to_owned()
                } else {
                    s.rate.to_string()
                },
                ms_cells(&summary),
                report::ms(sent.p99),
                report::outcomes_of(&s.results, class),
                report::lag_line(&s.results),
            ));
        }
    }
    md.push_str("\nCPU during each step (the machine is shared; the server competes with the generator and with whatever else runs):\n\n| step | endpoint | CPU |\n|---|---|---|\n");
    for s in &outcome.steps {
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            if s.closed {
                "peak (closed loop)".to_owned()
            } else {
                format!("{} req/s", s.rate)
            },
            match s.target {
                Target::Noop => "no-op",
                Target::Availability => "availability",
                Target::Pages => "pages",
            },
            s.cpu.text()
        ));
    }
    md.push_str(&format!(
        "\nChart: `browse-{}.svg` (p50 dotted, p95 dashed, p99 solid, per offered rate).\n\n",
        setup.backend.name()
    ));
    md.push_str("## Post-run invariant check\n\n");
    md.push_str(&invariants.markdown(limits));
    md.push_str("\n## Server\n\n");
    md.push_str(&report::server_line(
        &outcome.server_args,
        &outcome.stopped,
        &outcome.problems,
    ));
    md
}

fn chart(outcome: &Outcome) -> Chart {
    let mut series = vec![];
    let classes = [
        (NOOP, Target::Noop),
        (DAYS, Target::Availability),
        (SLOTS, Target::Availability),
        (PAGE_DAYS, Target::Pages),
        (PAGE_TIMES, Target::Pages),
    ];
    for (c, (class, target)) in classes.iter().enumerate() {
        for (label, q, dash) in [
            ("p50", 0.50, Some("2 3")),
            ("p95", 0.95, Some("7 4")),
            ("p99", 0.99, None),
        ] {
            let points = outcome
                .steps
                .iter()
                .filter(|s| s.target == *target && !s.closed)
                .map(|s| {
                    let h = s.results.merged(|cl, _| cl == *class);
                    let v = if h.is_empty() {
                        0.0
                    } else {
                        h.value_at_quantile(q) as f64 / 1000.0
                    };
                    (f64::from(s.rate).log2(), v)
                })
                .collect();
            series.push(Series {
                name: format!("{class} {label}"),
                points,
                color: COLORS[c % COLORS.len()],
                dash,
            });
        }
    }
    let mut rates: Vec<u32> = outcome
        .steps
        .iter()
        .filter(|s| !s.closed)
        .map(|s| s.rate)
        .collect();
    rates.dedup();
    Chart {
        title: "browse: latency per offered rate (from scheduled start)".into(),
        x_label: "offered rate, requests per second (log scale)".into(),
        x_ticks: rates
            .iter()
            .map(|r| (f64::from(*r).log2(), r.to_string()))
            .collect(),
        series,
    }
}
