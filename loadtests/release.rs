//! `release`: one freshly opened day with far fewer times than people. Thousands of
//! distinct citizens (own address, own DNI) arrive on an open-loop schedule and each reads
//! the day's times, holds one, fills in the form and books it, trying again a few times
//! when they lose a race. A few aggressive clients hammer hold/book from one address each,
//! either cycling many documents or repeating one. Rate limits are on (the demo's
//! `[limits]`), with `--trust-proxy` so each simulated client is its own address.
//!
//! Goals (issue): aggressive clients get no more appointments than their limits allow;
//! zero overlapping appointments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Days, NaiveDate};
use cita::limits::LimitSettings;
use rand::Rng;

use crate::chart::{COLORS, Chart, Series, percentile_points, percentile_ticks};
use crate::client::{Http, Sent};
use crate::cpu::{Meter, Usage};
use crate::invariants::{self, Checked, Invariants};
use crate::people::{
    self, BookRequest, Citizen, HoldCreated, HoldRequest, SETUP_CLIENT, Slot, SlotsBody,
};
use crate::progress;
use crate::report::{self, ms_cells};
use crate::run::{Recorder, Results, Window, open_loop};
use crate::server::{Database, Server, Setup, Stopped};

const OFFICE: &str = "las-palmas-dni";
const SERVICE: &str = "renovacion-dni";
/// The most a citizen waits on a `Retry-After` before trying again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Distinct citizens (each with its own address and DNI).
    #[arg(long, default_value_t = 3000)]
    pub citizens: u32,
    /// Citizens arrive evenly over this many seconds (open loop).
    #[arg(long, default_value_t = 20)]
    pub arrival_seconds: u64,
    /// Tries per citizen (read times, hold, book) before giving up.
    #[arg(long, default_value_t = 3)]
    pub attempts: u32,
    /// Time to fill in the form between hold and book, in ms (uniform in [t, 2t]).
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// Aggressive clients that cycle many documents from one address.
    #[arg(long, default_value_t = 2)]
    pub bots_many_documents: u32,
    /// Aggressive clients that repeat one document from one address.
    #[arg(long, default_value_t = 2)]
    pub bots_one_document: u32,
    /// Hold-then-book attempts per second of each aggressive client (two requests each).
    #[arg(long, default_value_t = 10.0)]
    pub bot_rate: f64,
    /// Documents each many-document client cycles through.
    #[arg(long, default_value_t = 200)]
    pub bot_documents: u32,
    /// Most requests in flight (one connection each).
    #[arg(long, default_value_t = 512)]
    pub connections: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Citizen,
    BotManyDocuments,
    BotOneDocument,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Citizen => "citizen",
            Kind::BotManyDocuments => "bot, many documents",
            Kind::BotOneDocument => "bot, one document",
        }
    }
}

/// How a citizen's visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Booked,
    NoTimesLeft,
    GaveUp,
    Failed,
}

impl End {
    fn name(self) -> &'static str {
        match self {
            End::Booked => "booked",
            End::NoTimesLeft => "saw no free time left",
            End::GaveUp => "gave up after every try lost a race or was refused",
            End::Failed => "unexpected answer",
        }
    }
}

/// What every simulated person shares.
#[derive(Debug)]
struct Ctx {
    http: Http,
    recorder: Arc<Recorder>,
    date: NaiveDate,
    /// The day's starts at release (aggressive clients aim at them blindly).
    starts: Vec<String>,
    attempts: u32,
    think: Duration,
    ends: Mutex<BTreeMap<End, u64>>,
    /// When the last booking was acknowledged.
    last_booked: Mutex<Option<Instant>>,
}

impl Ctx {
    fn booked(&self) {
        *self
            .last_booked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
    }
}

#[derive(Debug)]
struct Bot {
    kind: Kind,
    /// `bot, many documents #1`: the prefix of its request classes.
    label: String,
    address: std::net::Ipv4Addr,
    documents: Vec<String>,
    ticks: u64,
}

#[derive(Debug)]
struct Outcome {
    date: NaiveDate,
    offered: u32,
    free_after: u32,
    results: Results,
    ends: BTreeMap<End, u64>,
    bots: Vec<Bot>,
    run_seconds: f64,
    cpu: Usage,
    /// Seconds from the opening to the last acknowledged booking.
    last_booking_after: Option<f64>,
    server_args: Vec<String>,
    stopped: Stopped,
    problems: Vec<String>,
}

pub async fn run(setup: &Setup, args: &Args, reports: &Path) -> anyhow::Result<PathBuf> {
    let Checked {
        outcome,
        invariants,
        limits,
        config,
    } = invariants::on_demo_database(setup, "release", async |database| {
        drive(setup, database, args).await
    })
    .await?;
    let markdown = markdown(setup, args, &outcome, &invariants, &limits, &config.limits);
    let svg = chart(&outcome).svg();
    report::write(
        reports,
        &format!("release-{}", setup.backend.name()),
        &markdown,
        &svg,
    )
}

async fn drive(setup: &Setup, database: &Database, args: &Args) -> anyhow::Result<Outcome> {
    let server = Server::start(setup, database, "release", &["--demo", "--trust-proxy"]).await?;
    let server_args = report::args_of(&server);
    let http = Http::new(server.port, args.connections, Duration::from_secs(60));
    let outcome = scenario(&http, args, server.pid()).await;
    let problems = server.log_problems(20);
    let stopped = server.stop().await?;
    let mut outcome = outcome?;
    outcome.server_args = server_args;
    outcome.stopped = stopped;
    outcome.problems = problems;
    Ok(outcome)
}

async fn scenario(http: &Http, args: &Args, server_pid: Option<u32>) -> anyhow::Result<Outcome> {
    let today = people::today();
    let from = today.checked_add_days(Days::new(1)).context("date")?;
    let to = today.checked_add_days(Days::new(59)).context("date")?;
    // The last open date within the next 60 days: the day that was just released.
    let (date, _) = *people::open_dates(http, OFFICE, SERVICE, from, to)
        .await?
        .last()
        .context("no open date in the next 60 days")?;
    let slots = people::slots_of(http, OFFICE, SERVICE, date, SETUP_CLIENT).await?;
    let offered: u32 = slots.iter().map(|s| s.capacity).sum();
    progress(&format!(
        "release: {date} at {OFFICE} offers {offered} appointments to {} citizens",
        args.citizens
    ));

    let duration = Duration::from_secs(args.arrival_seconds);
    // No warm-up: the transient is what this scenario is about.
    let mut window = Window::starting_soon(duration, Duration::ZERO);
    window.end = window.start + duration + Duration::from_secs(120);
    let ctx = Arc::new(Ctx {
        http: http.clone(),
        recorder: Arc::new(Recorder::new(window)?),
        date,
        starts: slots.into_iter().map(|s| s.start).collect(),
        attempts: args.attempts.max(1),
        think: Duration::from_millis(args.think_ms),
        ends: Mutex::new(BTreeMap::new()),
        last_booked: Mutex::new(None),
    });

    let mut bots = vec![];
    for k in 0..args.bots_many_documents {
        bots.push(Bot {
            kind: Kind::BotManyDocuments,
            label: format!("{} #{}", Kind::BotManyDocuments.name(), k + 1),
            address: people::client(15_000_000 + k),
            documents: (0..args.bot_documents.max(1))
                .map(|d| people::dni(90_000_000 + k * 10_000 + d))
                .collect(),
            ticks: 0,
        });
    }
    for k in 0..args.bots_one_document {
        bots.push(Bot {
            kind: Kind::BotOneDocument,
            label: format!("{} #{}", Kind::BotOneDocument.name(), k + 1),
            address: people::client(15_100_000 + k),
            documents: vec![people::dni(91_000_000 + k)],
            ticks: 0,
        });
    }
    let bot_ticks = (args.bot_rate * duration.as_secs_f64()).round() as u64;
    for bot in &mut bots {
        bot.ticks = bot_ticks;
    }

    let started = Instant::now();
    let meter = Meter::start(server_pid);
    let mut runs = tokio::task::JoinSet::new();
    {
        let ctx = ctx.clone();
        let count = u64::from(args.citizens);
        let rate = f64::from(args.citizens.max(1)) / duration.as_secs_f64().max(1e-3);
        runs.spawn(async move {
            let recorder = ctx.recorder.clone();
            open_loop(window, rate, count, &recorder, move |i, at| {
                citizen(ctx.clone(), i as u32, at)
            })
            .await
        });
    }
    for bot in &bots {
        let ctx = ctx.clone();
        let (label, address) = (Arc::new(bot.label.clone()), bot.address);
        let documents = Arc::new(bot.documents.clone());
        let rate = args.bot_rate;
        runs.spawn(async move {
            let recorder = ctx.recorder.clone();
            open_loop(window, rate, bot_ticks, &recorder, move |i, at| {
                aggressive(
                    ctx.clone(),
                    label.clone(),
                    address,
                    documents.clone(),
                    i,
                    at,
                )
            })
            .await
        });
    }
    while let Some(ran) = runs.join_next().await {
        ran??;
    }
    let run_seconds = started.elapsed().as_secs_f64();
    let cpu = meter.stop();

    let free_after = people::slots_of(http, OFFICE, SERVICE, date, people::client(15_200_000))
        .await
        .map(|s| s.iter().map(|s| s.capacity).sum())
        .unwrap_or(0);
    let ends = ctx
        .ends
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    progress(&format!("release: citizens ended {ends:?}"));
    let last_booking_after = ctx
        .last_booked
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .map(|at| at.saturating_duration_since(window.start).as_secs_f64());
    Ok(Outcome {
        date,
        offered,
        free_after,
        results: ctx.recorder.results(),
        ends,
        bots,
        run_seconds,
        cpu,
        last_booking_after,
        server_args: vec![],
        stopped: Stopped {
            status: String::new(),
            seconds: 0.0,
        },
        problems: vec![],
    })
}

fn class(kind: Kind, step: &str) -> String {
    format!("{} {step}", kind.name())
}

async fn wait_until(due: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
}

/// After a 429 or 503: when to try again (`Retry-After`, at most [`MAX_BACKOFF`]).
fn backoff(sent: &Sent) -> Option<Instant> {
    let reply = sent.reply()?;
    if reply.status != 429 && reply.status != 503 {
        return None;
    }
    let seconds = reply.retry_after.unwrap_or(1);
    Some(Instant::now() + Duration::from_secs(seconds).min(MAX_BACKOFF))
}

/// One citizen's visit, from `scheduled` (its arrival).
async fn citizen(ctx: Arc<Ctx>, n: u32, scheduled: Instant) {
    let end = visit(&ctx, n, scheduled).await;
    *ctx.ends
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(end)
        .or_default() += 1;
}

async fn visit(ctx: &Ctx, n: u32, scheduled: Instant) -> End {
    let who = people::client(n);
    let slots_path = people::slots_path(OFFICE, SERVICE, ctx.date);
    let mut due = scheduled;
    for _ in 0..ctx.attempts {
        wait_until(due).await;
        let sent = ctx.http.get(&slots_path, who).await;
        ctx.recorder
            .record(&class(Kind::Citizen, "GET /slots"), &sent, due);
        let slots: Vec<Slot> = match &sent {
            Sent::Reply(reply) if reply.status == 200 => match reply.json::<SlotsBody>() {
                Ok(body) => body.slots,
                Err(_) => return End::Failed,
            },
            _ => match backoff(&sent) {
                Some(at) => {
                    due = at;
                    continue;
                }
                None => return End::Failed,
            },
        };
        if slots.is_empty() {
            return End::NoTimesLeft;
        }
        // People go for the earliest times: one of the first five listed.
        let (pick, pause) = {
            let mut rng = rand::rng();
            (
                rng.random_range(0..slots.len().min(5)),
                Duration::from_millis(rng.random_range(200..=600)),
            )
        };
        let start = slots[pick].start.clone();
        due = Instant::now() + pause;
        wait_until(due).await;
        let hold = HoldRequest {
            office_id: OFFICE,
            service_id: SERVICE,
            start: &start,
        };
        let sent = ctx.http.post("/api/v1/holds", who, &hold).await;
        ctx.recorder
            .record(&class(Kind::Citizen, "POST /holds"), &sent, due);
        let hold_id = match &sent {
            Sent::Reply(reply) if reply.status == 201 => match reply.json::<HoldCreated>() {
                Ok(created) => created.hold_id,
                Err(_) => return End::Failed,
            },
            Sent::Reply(reply) if reply.status == 409 => {
                due = Instant::now();
                continue;
            }
            _ => match backoff(&sent) {
                Some(at) => {
                    due = at;
                    continue;
                }
                None => return End::Failed,
            },
        };
        let typing = {
            let ms = ctx.think.as_millis() as u64;
            Duration::from_millis(rand::rng().random_range(ms..=ms.saturating_mul(2).max(ms)))
        };
        due = Instant::now() + typing;
        wait_until(due).await;
        let book = BookRequest {
            office_id: OFFICE,
            service_id: SERVICE,
            start: &start,
            hold_id: Some(&hold_id),
            citizen: Citizen::numbered(30_000_000 + n),
        };
        let sent = ctx.http.post("/api/v1/appointments", who, &book).await;
        ctx.recorder
            .record(&class(Kind::Citizen, "POST /appointments"), &sent, due);
        match &sent {
            Sent::Reply(reply) if reply.status == 201 => {
                ctx.booked();
                return End::Booked;
            }
            Sent::Reply(reply) if reply.status == 409 => due = Instant::now(),
            _ => match backoff(&sent) {
                Some(at) => due = at,
                None => return End::Failed,
            },
        }
    }
    End::GaveUp
}

/// One hold-then-book attempt of an aggressive client: no reading, no form, no pause.
async fn aggressive(
    ctx: Arc<Ctx>,
    label: Arc<String>,
    address: std::net::Ipv4Addr,
    documents: Arc<Vec<String>>,
    i: u64,
    scheduled: Instant,
) {
    let start = {
        let mut rng = rand::rng();
        ctx.starts[rng.random_range(0..ctx.starts.len())].clone()
    };
    let hold = HoldRequest {
        office_id: OFFICE,
        service_id: SERVICE,
        start: &start,
    };
    let sent = ctx.http.post("/api/v1/holds", address, &hold).await;
    ctx.recorder
        .record(&format!("{label} POST /holds"), &sent, scheduled);
    let hold_id = sent
        .reply()
        .filter(|r| r.status == 201)
        .and_then(|r| r.json::<HoldCreated>().ok())
        .map(|h| h.hold_id);
    let document = documents[(i as usize) % documents.len()].clone();
    let book = BookRequest {
        office_id: OFFICE,
        service_id: SERVICE,
        start: &start,
        hold_id: hold_id.as_deref(),
        citizen: Citizen {
            name: "Cliente Agresivo".into(),
            document,
        },
    };
    let due = Instant::now();
    let sent = ctx.http.post("/api/v1/appointments", address, &book).await;
    ctx.recorder
        .record(&format!("{label} POST /appointments"), &sent, due);
    if sent.status() == Some(201) {
        ctx.booked();
    }
}

/// The most hold/book requests one address can have admitted in `seconds` (GCRA: the
/// burst at once, then one per emission interval).
fn address_budget(limits: &LimitSettings, seconds: f64) -> u64 {
    let rate = limits.hold_book;
    u64::from(rate.burst) + (seconds * f64::from(rate.per_minute) / 60.0).floor() as u64
}

fn markdown(
    setup: &Setup,
    args: &Args,
    outcome: &Outcome,
    invariants: &Invariants,
    limits: &BTreeMap<String, u32>,
    rate_limits: &LimitSettings,
) -> String {
    let r = &outcome.results;
    let mut md = report::header("Load test `release`", setup);
    md.push_str(&format!(
        "## What ran\n\n\
         One server ({server}), demo offices, **rate limits on** (the demo `[limits]`: \
         hold/book {hb_pm}/min burst {hb_b} per address, browse {br_pm}/min burst {br_b}, \
         {doc_pm}/min burst {doc_b} per document; shedding past {mif} requests or {wif} writes \
         in flight). The day \
         released is **{date}** at `{OFFICE}` / `{SERVICE}` (the last open date within 60 \
         days), **{offered} appointments** for **{citizens} citizens** arriving evenly over \
         {arr} s (open loop; no warm-up left out: the rush is the point). Each citizen has \
         its own address and DNI and tries up to {attempts} times: read the day's times, \
         hold one of the first five 0.2–0.6 s later, fill in the form for {t1}–{t2} s, book \
         with the hold; a lost race starts again at once, a 429/503 after its `Retry-After` \
         (at most 5 s).\n\n\
         Aggressive clients, from t = 0 for {arr} s, {bot_rate} attempts per second each \
         (hold at once, then book, with the hold when they got one): {many} with one \
         address cycling {docs} documents, {one} with one address and one document. \
         Latency runs from each request's scheduled start.\n\n",
        server = outcome.server_args.join(" "),
        hb_pm = rate_limits.hold_book.per_minute,
        hb_b = rate_limits.hold_book.burst,
        br_pm = rate_limits.browse.per_minute,
        br_b = rate_limits.browse.burst,
        doc_pm = rate_limits.document.per_minute,
        doc_b = rate_limits.document.burst,
        mif = rate_limits.max_in_flight,
        wif = rate_limits.writes_in_flight(cita::store::StoreOptions::default().max_connections),
        date = outcome.date,
        offered = outcome.offered,
        citizens = args.citizens,
        arr = args.arrival_seconds,
        attempts = args.attempts,
        t1 = args.think_ms as f64 / 1000.0,
        t2 = args.think_ms as f64 / 500.0,
        bot_rate = args.bot_rate,
        many = args.bots_many_documents,
        docs = args.bot_documents,
        one = args.bots_one_document,
    ));

    // Appointments each kind holds, from the database.
    let held_by = |docs: &[String]| -> i64 {
        docs.iter()
            .map(|d| invariants.per_document.get(d).copied().unwrap_or(0))
            .sum()
    };
    let mut bot_total = 0;
    for bot in &outcome.bots {
        bot_total += held_by(&bot.documents);
    }
    let booked_201: u64 = r
        .latency
        .iter()
        .filter(|((c, o), _)| c.ends_with("POST /appointments") && o == "201")
        .map(|(_, h)| h.len())
        .sum();
    md.push_str("## Headline\n\n");
    md.push_str(&format!(
        "- appointments booked: **{}** in the database ({booked_201} answered 201) of {} \
         offered; {} still shown free after the run, {} held but never booked (out of \
         everyone's reach until the hold expires, `hold_ttl_seconds` after it was taken)\n\
         - citizens: {}\n\
         - the last booking was acknowledged {} after the day opened\n\
         - aggressive clients hold {bot_total} of them\n\
         - invariants: **{}** (overlaps on a desk: {}, documents over their limit: {})\n\
         - the run took {:.1} s; CPU: {}\n\n",
        invariants.appointments,
        outcome.offered,
        outcome.free_after,
        i64::from(outcome.offered) - invariants.appointments - i64::from(outcome.free_after),
        outcome
            .ends
            .iter()
            .map(|(e, n)| format!("{} {n}", e.name()))
            .collect::<Vec<_>>()
            .join(", "),
        outcome
            .last_booking_after
            .map_or("—".to_owned(), |s| format!("{s:.1} s")),
        if invariants.holds() { "PASS" } else { "FAIL" },
        invariants.overlapping_on_a_desk,
        invariants.over_citizen_limit.len(),
        outcome.run_seconds,
        outcome.cpu.text(),
    ));

    md.push_str("## Goal: aggressive clients get no more than their limit\n\n");
    md.push_str(
        "The limit of a one-document client is the procedure's `max_active_per_citizen`. \
         A many-document client is bounded by its address's hold/book budget: the burst \
         plus the per-minute rate over the run, and every appointment takes at least one \
         admitted booking request.\n\n",
    );
    md.push_str("| client | address | requests | admitted (not 429) | 429 | appointments | limit | goal |\n|---|---|---:|---:|---:|---:|---|---|\n");
    let budget = address_budget(rate_limits, args.arrival_seconds as f64 + 1.0);
    let per_citizen = limits.get(SERVICE).copied().unwrap_or(1);
    let mut all_met = true;
    for bot in &outcome.bots {
        let got = held_by(&bot.documents);
        let prefix = format!("{} ", bot.label);
        let mine = |c: &str| c.starts_with(&prefix);
        let sent = r.summary(|c, _| mine(c)).count;
        let limited = r.summary(|c, o| mine(c) && o.starts_with("429")).count;
        let (limit_text, ok) = match bot.kind {
            Kind::BotOneDocument => (
                format!("{per_citizen} (max_active_per_citizen)"),
                got <= i64::from(per_citizen),
            ),
            _ => (
                format!(
                    "{budget} (address budget over {} s)",
                    args.arrival_seconds + 1
                ),
                got <= i64::try_from(budget).unwrap_or(i64::MAX),
            ),
        };
        all_met &= ok;
        md.push_str(&format!(
            "| {} | {} | {sent} | {} | {limited} | {got} | {limit_text} | {} |\n",
            bot.label,
            bot.address,
            sent - limited,
            report::met(ok)
        ));
    }
    md.push_str(&format!(
        "\nOverall: {}.\n\n",
        if all_met {
            "goal met"
        } else {
            "goal **not met**"
        }
    ));

    md.push_str("## Answers per client kind and request\n\n");
    md.push_str("| client kind / request | outcomes |\n|---|---|\n");
    for class in r.classes() {
        md.push_str(&format!(
            "| {class} | {} |\n",
            report::outcomes_of(r, &class)
        ));
    }
    md.push_str("\n## Latency (from scheduled start)\n\n");
    md.push_str("| client kind / request | count | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
    for class in r.classes() {
        let s = r.summary(|c, _| c == class);
        md.push_str(&format!("| {class} | {} | {} |\n", s.count, ms_cells(&s)));
    }
    md.push_str("\nBy outcome:\n\n");
    md.push_str(&report::latency_table(r));
    md.push_str(&format!(
        "\n{}. Chart: `release-{}.svg` (latency by percentile per request).\n\n",
        report::lag_line(r),
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
    // One line per client kind and request: the aggressive clients of a kind together.
    let group = |class: &str| -> String {
        match class.split_once(" #") {
            Some((kind, rest)) => {
                let request = rest.split_once(' ').map_or("", |(_, r)| r);
                format!("{} {request}", kind.replacen("bot,", "bots,", 1))
            }
            None => class.to_owned(),
        }
    };
    let groups: std::collections::BTreeSet<String> =
        outcome.results.classes().iter().map(|c| group(c)).collect();
    let series = groups
        .into_iter()
        .enumerate()
        .map(|(i, name)| Series {
            points: percentile_points(&outcome.results.merged(|c, _| group(c) == name)),
            name,
            color: COLORS[i % COLORS.len()],
            dash: None,
        })
        .collect();
    Chart {
        title: "release: latency by percentile, per client kind and request".into(),
        x_label: "percentile".into(),
        x_ticks: percentile_ticks(),
        series,
    }
}
