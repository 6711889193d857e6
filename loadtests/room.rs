//! `room`: a week of appointments released first come, people against bots, with a
//! waiting room in front (`--mode room`) or without (`--mode plain`).
//!
//! The demo's Las Palmas DNI office, with a second desk, gets a weekly first-come release
//! a couple of minutes after the server starts: it opens the week two weeks later, about
//! 400 times. Thousands of people (each their own address and DNI) arrive evenly from a
//! minute before the release to half a minute after it. A person is human: with a room,
//! they join it and look at their place every 10–15 s until let in; without, they reload
//! the page at the release (0–5 s late). Then they look at the days and times, take 2–6 s
//! to choose, hold a time, take 5–10 s to fill in the form, and book; a time taken
//! meanwhile sends them back to choose (three tries). Bots, one buyer's document each and
//! every request from another address of one /24, do the same with no pause at all,
//! many times a second, from before the release; with a room they also join it from
//! every address and ask for their admission as fast as they can.
//!
//! Goal (issue): with a room, the bots' share of appointments is within noise of their
//! share of the population (about 1 %); without, report honestly how much they get.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Timelike, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde::Deserialize;

use crate::client::{Http, Sent};
use crate::people::{self, SETUP_CLIENT};
use crate::progress;
use crate::report;
use crate::run::{Recorder, Window, open_loop};
use crate::server::{Database, Server, Setup};

use crate::crowd::{Kind, OFFICE, SERVICE, interval, wall_clock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// First come, first served: whoever clicks first at the release.
    Plain,
    /// A waiting room: a random place for everyone there before the release.
    Room,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "first-come",
            Mode::Room => "room",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "room")]
    pub mode: Mode,
    /// People, each with its own address and DNI.
    #[arg(long, default_value_t = 5000)]
    pub people: u32,
    /// Bots, each with one document and the addresses of one /24.
    #[arg(long, default_value_t = 50)]
    pub bots: u32,
    /// People arrive evenly over this many seconds…
    #[arg(long, default_value_t = 90)]
    pub arrival_seconds: u64,
    /// …starting this many seconds before the release (the rest arrive after it).
    #[arg(long, default_value_t = 80)]
    pub early_seconds: u64,
    /// Requests per second of each bot.
    #[arg(long, default_value_t = 20.0)]
    pub bot_rate: f64,
    /// Places let in a minute (`--mode room`): about as many as the people let in can
    /// book in a minute, so that they do not race each other for the last times.
    #[arg(long, default_value_t = 600)]
    pub admit_per_minute: u32,
    /// Most requests in flight (one connection each).
    #[arg(long, default_value_t = 512)]
    pub connections: usize,
}

/// What every simulated visitor shares.
#[derive(Debug)]
struct Ctx {
    http: Http,
    recorder: Arc<Recorder>,
    mode: Mode,
    room: String,
    instant: DateTime<Utc>,
    dates: (NaiveDate, NaiveDate),
    /// Until when bots keep trying.
    deadline: Instant,
    booked: Mutex<BTreeMap<Kind, u64>>,
    /// Wall-clock instant of the last booking.
    last_booked: Mutex<Option<DateTime<Utc>>>,
    /// How each person's visit ended.
    ends: Mutex<BTreeMap<&'static str, u64>>,
}

impl Ctx {
    fn booked(&self, kind: Kind) {
        *self
            .booked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind)
            .or_default() += 1;
        let mut last = self.last_booked.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some(wall_clock());
    }

    fn ended(&self, how: &'static str) {
        *self
            .ends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(how)
            .or_default() += 1;
    }

    fn days_path(&self) -> String {
        people::days_path(OFFICE, SERVICE, self.dates.0, self.dates.1)
    }
}

#[derive(Debug, Deserialize)]
struct Ticket {
    ticket: String,
}

#[derive(Debug, Deserialize)]
struct Place {
    admitted_at: Option<String>,
    admission_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Held {
    hold_id: String,
}

#[derive(Debug, Default)]
struct Outcome {
    room: String,
    offered: u32,
    left: u32,
    booked: BTreeMap<Kind, u64>,
    ends: BTreeMap<&'static str, u64>,
    sold_out_after: Option<f64>,
    results: Option<crate::run::Results>,
}

pub async fn run(setup: &Setup, args: &Args, reports: &Path) -> anyhow::Result<PathBuf> {
    let name = format!("room-{}", args.mode.name());
    let database = Database::fresh(setup, &name).await?;
    let (config, instant) = write_config(setup, args)?;
    let config_arg = config.display().to_string();
    let server = Server::start(
        setup,
        &database,
        &name,
        &["--config", &config_arg, "--trust-proxy"],
    )
    .await?;
    let server_args = report::args_of(&server);
    let http = Http::new(server.port, args.connections, Duration::from_secs(60));
    let outcome = scenario(&http, args, instant).await;
    let problems = server.log_problems(20);
    let stopped = server.stop().await?;
    let outcome = outcome?;
    database.remove().await?;
    let markdown = markdown(
        setup,
        args,
        &outcome,
        &report::server_line(&server_args, &stopped, &problems),
    );
    let svg = chart(args, &outcome);
    report::write(
        reports,
        &format!("{name}-{}", setup.backend.name()),
        &markdown,
        &svg,
    )
}

/// The demo's offices plus a second desk and a weekly first-come release at Las Palmas
/// at the next whole minute at least `early_seconds` + 90 s from now on its clock (with a waiting room that
/// is open from the start in room mode). Returns the file and the release instant.
fn write_config(setup: &Setup, args: &Args) -> anyhow::Result<(PathBuf, DateTime<Utc>)> {
    let soon = wall_clock()
        + chrono::Duration::seconds(i64::try_from(args.early_seconds).unwrap_or(60) + 90);
    let instant = soon
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .context("whole minute")?;
    let room = match args.mode {
        Mode::Plain => String::new(),
        Mode::Room => format!(
            "  waiting_room = true\n  room_opens_minutes = 10\n  admit_per_minute = {}\n  \
             room_closes_minutes = 30\n",
            args.admit_per_minute
        ),
    };
    let path = crate::crowd::demo_with_release(setup, "room-offices.toml", instant, &room)?;
    Ok((path, instant))
}

async fn scenario(http: &Http, args: &Args, instant: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let local = instant.with_timezone(&chrono_tz::Atlantic::Canary);
    let release_date = local.date_naive();
    let dates = (
        release_date
            .checked_add_days(Days::new(14))
            .context("date")?,
        release_date
            .checked_add_days(Days::new(20))
            .context("date")?,
    );
    let room = format!(
        "{OFFICE}.{SERVICE}.{}T{:02}{:02}",
        release_date.format("%Y%m%d"),
        local.hour(),
        local.minute()
    );
    // People start arriving `early_seconds` before the release.
    let early = i64::try_from(args.early_seconds).unwrap_or(60);
    let lead = (instant - chrono::Duration::seconds(early) - wall_clock())
        .to_std()
        .unwrap_or_default();
    progress(&format!(
        "{}: release {room} in {:.0} s; people arrive from {early} s before",
        args.mode.name(),
        lead.as_secs_f64() + early as f64
    ));
    tokio::time::sleep(lead).await;
    let arrival = Duration::from_secs(args.arrival_seconds);
    let run_for = arrival + Duration::from_secs(240);
    let window = Window::starting_soon(run_for, Duration::ZERO);
    let ctx = Arc::new(Ctx {
        http: http.clone(),
        recorder: Arc::new(Recorder::new(window)?),
        mode: args.mode,
        room: room.clone(),
        instant,
        dates,
        deadline: Instant::now() + arrival + Duration::from_secs(150),
        booked: Mutex::default(),
        last_booked: Mutex::default(),
        ends: Mutex::default(),
    });

    let mut bots = Vec::new();
    for b in 0..args.bots {
        let ctx = ctx.clone();
        let gap = Duration::from_secs_f64(1.0 / args.bot_rate.max(0.1));
        bots.push(tokio::spawn(async move { bot(ctx, b, gap).await }));
    }
    let rate = f64::from(args.people) / arrival.as_secs_f64().max(1.0);
    {
        let ctx = ctx.clone();
        let recorder = ctx.recorder.clone();
        open_loop(
            window,
            rate,
            u64::from(args.people),
            &recorder,
            move |i, _scheduled| person(ctx.clone(), u32::try_from(i).unwrap_or(0)),
        )
        .await?;
    }
    for bot in bots {
        bot.await?;
    }
    let left = free_times(http, &ctx).await;
    let offered = left
        + ctx
            .booked
            .lock()
            .map(|b| b.values().sum::<u64>())
            .unwrap_or(0) as u32;
    let sold_out_after = ctx
        .last_booked
        .lock()
        .ok()
        .and_then(|t| *t)
        .filter(|_| left == 0)
        .map(|t| (t - instant).num_milliseconds() as f64 / 1000.0);
    let booked = ctx.booked.lock().map(|b| b.clone()).unwrap_or_default();
    let ends = ctx.ends.lock().map(|e| e.clone()).unwrap_or_default();
    progress(&format!(
        "{}: booked {booked:?}, {left} left",
        args.mode.name()
    ));
    Ok(Outcome {
        room,
        offered,
        left,
        booked,
        ends,
        sold_out_after,
        results: Some(ctx.recorder.results()),
    })
}

/// Free times left on the released dates.
async fn free_times(http: &Http, ctx: &Ctx) -> u32 {
    let sent = http.get(&ctx.days_path(), SETUP_CLIENT).await;
    sent.reply()
        .and_then(|r| r.json::<people::DaysBody>().ok())
        .map(|d| d.days.iter().map(|d| d.slots).sum())
        .unwrap_or(0)
}

fn pause(from_ms: u64, to_ms: u64) -> Duration {
    Duration::from_millis(rand::rng().random_range(from_ms..=to_ms))
}

/// Sleeps until `at` on the wall clock.
async fn until(at: DateTime<Utc>) {
    if let Ok(wait) = (at - wall_clock()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Waits out a 429 or 503; `false` for any other answer.
async fn waited(sent: &Sent) -> bool {
    match sent.reply() {
        Some(reply) if matches!(reply.status, 429 | 503) => {
            tokio::time::sleep(Duration::from_secs(reply.retry_after.unwrap_or(1).min(5))).await;
            true
        }
        None => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            true
        }
        _ => false,
    }
}

/// One person: join the room (or come back at the release), then choose, hold and book
/// at a human pace.
async fn person(ctx: Arc<Ctx>, n: u32) {
    let address = people::client(n);
    let document = people::dni(1_000_000 + n);
    let mut admission: Option<String> = None;
    let mut ticket: Option<String> = None;
    match ctx.mode {
        Mode::Plain => {
            if wall_clock() < ctx.instant {
                let late = chrono::Duration::milliseconds(rand::rng().random_range(0..5000));
                until(ctx.instant + late).await;
            }
        }
        Mode::Room => {
            ticket = join(&ctx, "person", address, &document).await;
            if ticket.is_none() {
                return ctx.ended("could not join the room");
            }
        }
    }
    for _ in 0..3 {
        if let Some(ticket) = &ticket {
            match wait_for_turn(&ctx, address, ticket, false).await {
                Some(token) => admission = Some(token),
                None => return ctx.ended("still in line when the run ended"),
            }
        }
        let Some(start) = choose(&ctx, "person", address).await else {
            return ctx.ended("saw nothing left");
        };
        tokio::time::sleep(pause(2_000, 6_000)).await;
        let headers: Vec<(&str, &str)> = admission
            .as_deref()
            .map(|a| ("cita-admission", a))
            .into_iter()
            .collect();
        let hold = serde_json::json!({
            "office_id": OFFICE, "service_id": SERVICE, "start": start,
            "citizen_document": document,
        });
        let started = Instant::now();
        let sent = ctx
            .http
            .post_with("/api/v1/holds", address, &headers, &hold)
            .await;
        ctx.recorder.record("person hold", &sent, started);
        let Some(held) = sent
            .reply()
            .filter(|r| r.status == 201)
            .and_then(|r| r.json::<Held>().ok())
        else {
            waited(&sent).await;
            continue; // taken meanwhile, or an admission to renew: choose again
        };
        tokio::time::sleep(pause(5_000, 10_000)).await;
        let book = serde_json::json!({
            "office_id": OFFICE, "service_id": SERVICE, "start": start,
            "hold_id": held.hold_id,
            "citizen": {"name": format!("Persona {n}"), "document": document},
        });
        let started = Instant::now();
        let sent = ctx
            .http
            .post_with("/api/v1/appointments", address, &headers, &book)
            .await;
        ctx.recorder.record("person book", &sent, started);
        if sent.status() == Some(201) {
            ctx.booked(Kind::Person);
            return ctx.ended("booked");
        }
        waited(&sent).await;
    }
    ctx.ended("gave up after three tries")
}

/// Joins the room; the ticket, or `None` if the room would not have them.
async fn join(ctx: &Ctx, who: &str, address: Ipv4Addr, document: &str) -> Option<String> {
    let path = format!("/api/v1/waiting-rooms/{}/tickets", ctx.room);
    for _ in 0..5 {
        let started = Instant::now();
        let sent = ctx
            .http
            .post(&path, address, &serde_json::json!({ "document": document }))
            .await;
        ctx.recorder.record(&format!("{who} join"), &sent, started);
        if let Some(ticket) = sent
            .reply()
            .filter(|r| r.status == 201)
            .and_then(|r| r.json::<Ticket>().ok())
        {
            return Some(ticket.ticket);
        }
        if !waited(&sent).await {
            return None;
        }
    }
    None
}

/// Looks at the place until let in: a person every 10–15 s (sooner when their time is
/// near), a bot as fast as it may. The admission token, or `None` past the deadline.
async fn wait_for_turn(ctx: &Ctx, address: Ipv4Addr, ticket: &str, bot: bool) -> Option<String> {
    let auth = format!("Bearer {ticket}");
    let class = if bot { "bot place" } else { "person place" };
    while Instant::now() < ctx.deadline {
        let started = Instant::now();
        let sent = ctx
            .http
            .get_with(
                "/api/v1/waiting-room-tickets/mine",
                address,
                &[("authorization", &auth)],
            )
            .await;
        ctx.recorder.record(class, &sent, started);
        let place = sent
            .reply()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json::<Place>().ok());
        if let Some(token) = place.as_ref().and_then(|p| p.admission_token.clone()) {
            return Some(token);
        }
        if bot {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let due = place
            .and_then(|p| p.admitted_at)
            .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
            .map(|at| at.with_timezone(&Utc));
        let wait = match due {
            Some(at) => (at - wall_clock())
                .to_std()
                .unwrap_or_default()
                .min(Duration::from_secs(15)),
            None => pause(10_000, 15_000),
        };
        tokio::time::sleep(wait + pause(0, 1_000)).await;
    }
    None
}

/// Reads the released days and one day's times; a free start at random, or `None` when
/// nothing is left.
async fn choose(ctx: &Ctx, who: &str, address: Ipv4Addr) -> Option<String> {
    for _ in 0..5 {
        let started = Instant::now();
        let sent = ctx.http.get(&ctx.days_path(), address).await;
        ctx.recorder.record(&format!("{who} days"), &sent, started);
        let Some(days) = sent
            .reply()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json::<people::DaysBody>().ok())
        else {
            waited(&sent).await;
            continue;
        };
        let open: Vec<NaiveDate> = days
            .days
            .iter()
            .filter(|d| d.slots > 0)
            .map(|d| d.date)
            .collect();
        let date = { *open.choose(&mut rand::rng())? };
        let started = Instant::now();
        let sent = ctx
            .http
            .get(&people::slots_path(OFFICE, SERVICE, date), address)
            .await;
        ctx.recorder.record(&format!("{who} times"), &sent, started);
        let Some(slots) = sent
            .reply()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json::<people::SlotsBody>().ok())
        else {
            waited(&sent).await;
            continue;
        };
        let chosen = slots
            .slots
            .choose(&mut rand::rng())
            .map(|s| s.start.clone());
        if chosen.is_some() {
            return chosen;
        }
    }
    None
}

/// One bot: a buyer's document, every request from another address of one /24, no pause.
async fn bot(ctx: Arc<Ctx>, b: u32, gap: Duration) {
    let document = people::dni(90_000_000 + b);
    let mut tick: u32 = b * 7;
    let mut next_address = move || {
        tick = tick.wrapping_add(1);
        Ipv4Addr::new(10, 200, 0, (tick % 250) as u8 + 1)
    };
    let mut admission: Option<String> = None;
    if ctx.mode == Mode::Room {
        // Join from twenty addresses in a second, never waiting on a refusal (it is one
        // place all the same), then ask for the turn as fast as it answers.
        let path = format!("/api/v1/waiting-rooms/{}/tickets", ctx.room);
        let mut ticket = None;
        for _ in 0..20 {
            let started = Instant::now();
            let sent = ctx
                .http
                .post(
                    &path,
                    next_address(),
                    &serde_json::json!({ "document": document }),
                )
                .await;
            ctx.recorder.record("bot join", &sent, started);
            if let Some(t) = sent
                .reply()
                .filter(|r| r.status == 201)
                .and_then(|r| r.json::<Ticket>().ok())
            {
                ticket = Some(t.ticket);
            }
            tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
        }
        let Some(ticket) = ticket else { return };
        admission = wait_for_turn(&ctx, next_address(), &ticket, true).await;
        if admission.is_none() {
            return;
        }
    } else {
        // Ready a second early, hammering.
        until(ctx.instant - chrono::Duration::seconds(1)).await;
    }
    let headers: Vec<(&str, &str)> = admission
        .as_deref()
        .map(|a| ("cita-admission", a))
        .into_iter()
        .collect();
    while Instant::now() < ctx.deadline {
        let address = next_address();
        let started = Instant::now();
        let Some(start) = choose(&ctx, "bot", address).await else {
            if wall_clock() > ctx.instant + chrono::Duration::seconds(5) {
                return; // sold out
            }
            tokio::time::sleep(gap).await;
            continue;
        };
        let book = serde_json::json!({
            "office_id": OFFICE, "service_id": SERVICE, "start": start,
            "citizen": {"name": format!("Bot {b}"), "document": document},
        });
        let sent = ctx
            .http
            .post_with("/api/v1/appointments", address, &headers, &book)
            .await;
        ctx.recorder.record("bot book", &sent, started);
        if sent.status() == Some(201) {
            ctx.booked(Kind::Bot);
            return;
        }
        tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
    }
}

fn markdown(setup: &Setup, args: &Args, o: &Outcome, server: &str) -> String {
    let title = match args.mode {
        Mode::Plain => "First-come release: people against bots",
        Mode::Room => "First-come release behind a waiting room: people against bots",
    };
    let mut md = report::header(title, setup);
    let population = u64::from(args.people) + u64::from(args.bots);
    let bot_share = f64::from(args.bots) / population.max(1) as f64;
    let total: u64 = o.booked.values().sum();
    let bots_got = o.booked.get(&Kind::Bot).copied().unwrap_or(0);
    let (low, high) = interval(total, bot_share);
    let within = (bots_got as f64) <= high.ceil();
    md.push_str(&format!(
        "Release `{}` (first come; {}): the week two weeks later at Las Palmas, two desks, \
         10-minute appointments, {} times. {} people (own address and DNI) arrived evenly \
         over {} s from {} s before the release and took 2–6 s to choose and 5–10 s to \
         fill in the form; {} bots (one buyer's document each, every request from another \
         address of one /24) made {} requests a second each with no pause{}.\n\n",
        o.room,
        match args.mode {
            Mode::Plain => "no waiting room".to_owned(),
            Mode::Room => format!(
                "waiting room open 10 min before, letting in {} places a minute",
                args.admit_per_minute
            ),
        },
        o.offered,
        args.people,
        args.arrival_seconds,
        args.early_seconds,
        args.bots,
        args.bot_rate,
        match args.mode {
            Mode::Plain => ", ready a second before the release",
            Mode::Room =>
                ", joining the room from every address and asking for their turn every 50 ms",
        }
    ));
    md.push_str("| kind | documents | share of documents | appointments | share of appointments |\n|---|---:|---:|---:|---:|\n");
    for (kind, documents) in [(Kind::Person, args.people), (Kind::Bot, args.bots)] {
        let got = o.booked.get(&kind).copied().unwrap_or(0);
        md.push_str(&format!(
            "| {} | {documents} | {:.2} % | {got} | {:.2} % |\n",
            kind.name(),
            100.0 * f64::from(documents) / population.max(1) as f64,
            100.0 * got as f64 / total.max(1) as f64
        ));
    }
    let verdict = match args.mode {
        Mode::Room => format!(
            "- Goal, the bots' share of appointments no more than noise above their share of \
             the population: {} — {total} appointments, {bots_got} to bots; places drawn \
             blind to who is who give documents that are {:.2} % of the population {:.1} on \
             average, 95 % between {:.1} and {:.1}.\n",
            report::met(within),
            100.0 * bot_share,
            total as f64 * bot_share,
            low,
            high
        ),
        Mode::Plain => format!(
            "- Without a room the bots took {bots_got} of {total} appointments ({:.1} %) for \
             {:.2} % of the documents{}.\n",
            100.0 * bots_got as f64 / total.max(1) as f64,
            100.0 * bot_share,
            if bots_got == u64::from(args.bots) {
                ": every bot got one"
            } else {
                ""
            }
        ),
    };
    md.push_str(&format!("\n{verdict}"));
    md.push_str(&format!(
        "- Sold out: {}; {} times left at the end.\n",
        o.sold_out_after
            .map_or("not sold out".to_owned(), |s| format!(
                "{s:.1} s after the release (the last booking)"
            )),
        o.left
    ));
    let ends: Vec<String> = o.ends.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    md.push_str(&format!("- People's visits ended: {}.\n", ends.join(", ")));
    md.push_str(&format!("- Server: {server}\n\n"));
    if let Some(results) = &o.results {
        md.push_str("## Requests\n\n");
        md.push_str(&report::latency_table(results));
        md.push_str(&format!("\n{}\n", report::lag_line(results)));
    }
    md
}

/// Share of the population against share of appointments, per kind, as bars.
fn chart(args: &Args, o: &Outcome) -> String {
    let population = f64::from(args.people + args.bots).max(1.0);
    let total = (o.booked.values().sum::<u64>() as f64).max(1.0);
    let got = |kind| o.booked.get(&kind).copied().unwrap_or(0) as f64 / total;
    let rows = [
        ("people: population", f64::from(args.people) / population),
        ("people: appointments", got(Kind::Person)),
        ("bots: population", f64::from(args.bots) / population),
        ("bots: appointments", got(Kind::Bot)),
    ];
    crate::chart::share_bars(
        &format!(
            "{}: share of the population and of appointments, people and bots",
            args.mode.name()
        ),
        &rows,
    )
}
