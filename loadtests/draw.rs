//! `draw`: a week of appointments given out by a release draw, people against bots.
//!
//! The demo's Las Palmas DNI office, with a second desk, gets a weekly draw release whose
//! instant is a few minutes after the server starts (entries open already, close a minute
//! before): it gives out the week two weeks later, about 400 times. Thousands of people
//! (each their own address and DNI) arrive evenly over the entry window, look at the
//! draw, take a few seconds and enter once. A few dozen bots, each with one document
//! (a buyer's), enter as fast as they can, over and over, from addresses in one /24.
//! At the instant the server runs the draw; the report counts the appointments each kind
//! got against its share of the entrants, from the draw's public record, and checks the
//! draw with `cita draw verify`.
//!
//! Goal (issue): the bots' share of appointments is within noise of their share of the
//! population (no more than the top of a binomial 95 % interval around it).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Duration as Minutes, Utc};
use rand::Rng;
use serde::Deserialize;

use crate::client::Http;
use crate::people::{self, SETUP_CLIENT};
use crate::progress;
use crate::report;
use crate::run::{Recorder, Window, open_loop};
use crate::server::{Database, Server, Setup};

use crate::crowd::{Kind, OFFICE, SERVICE, interval, wall_clock};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// People, each with its own address and DNI, entering once at a human pace.
    #[arg(long, default_value_t = 5000)]
    pub people: u32,
    /// Bots, each with one document, entering as fast as they can.
    #[arg(long, default_value_t = 50)]
    pub bots: u32,
    /// People arrive evenly over this many seconds.
    #[arg(long, default_value_t = 60)]
    pub arrival_seconds: u64,
    /// Entry attempts per second of each bot.
    #[arg(long, default_value_t = 20.0)]
    pub bot_rate: f64,
    /// Most requests in flight (one connection each).
    #[arg(long, default_value_t = 512)]
    pub connections: usize,
}

#[derive(Debug, Deserialize)]
struct DrawBody {
    id: String,
    state: String,
    draw_at: String,
}

#[derive(Debug, Deserialize)]
struct Entered {
    entry_hash: String,
}

#[derive(Debug, Deserialize)]
struct Record {
    entries: Vec<PublishedEntry>,
}

#[derive(Debug, Deserialize)]
struct PublishedEntry {
    entry_hash: String,
    result: String,
}

pub async fn run(setup: &Setup, args: &Args, reports: &Path) -> anyhow::Result<PathBuf> {
    let database = Database::fresh(setup, "draw").await?;
    let config = write_config(setup)?;
    let config_arg = config.display().to_string();
    let server = Server::start(
        setup,
        &database,
        "draw",
        &["--config", &config_arg, "--trust-proxy"],
    )
    .await?;
    let server_args = report::args_of(&server);
    let http = Http::new(server.port, args.connections, Duration::from_secs(60));
    let outcome = scenario(&http, args).await;
    let problems = server.log_problems(20);
    let stopped = server.stop().await?;
    let mut outcome = outcome?;
    outcome.verify = verify(setup, &database, &outcome.draw_id).await;
    database.remove().await?;
    let markdown = markdown(
        setup,
        args,
        &outcome,
        &report::server_line(&server_args, &stopped, &problems),
    );
    let svg = chart(&outcome);
    report::write(
        reports,
        &format!("draw-{}", setup.backend.name()),
        &markdown,
        &svg,
    )
}

/// The demo's offices plus a second desk and a weekly draw at Las Palmas, four minutes
/// from now on its clock.
fn write_config(setup: &Setup) -> anyhow::Result<PathBuf> {
    crate::crowd::demo_with_release(
        setup,
        "draw-offices.toml",
        wall_clock() + Minutes::minutes(4),
        "  draw = true\n  entries_open_hours = 1\n  entries_close_minutes = 1\n",
    )
}

#[derive(Debug, Default)]
struct Outcome {
    draw_id: String,
    /// Entry hashes of accepted entries, by kind.
    entered: BTreeMap<Kind, Vec<String>>,
    /// Appointments each kind got.
    assigned: BTreeMap<Kind, u64>,
    total_assigned: u64,
    entries_in_record: usize,
    /// Bot attempts and how they were answered.
    bot_answers: BTreeMap<String, u64>,
    /// Seconds from the draw's instant until it was seen drawn.
    drawn_after: f64,
    results: Option<crate::run::Results>,
    verify: String,
}

async fn scenario(http: &Http, args: &Args) -> anyhow::Result<Outcome> {
    // The server makes the draw's row (and seed) within a second of starting.
    let draw = open_draw(http).await?;
    progress(&format!(
        "draw {} at {}: entries open",
        draw.id, draw.draw_at
    ));
    let draw_at = chrono::DateTime::parse_from_rfc3339(&draw.draw_at)?.with_timezone(&Utc);
    let close = draw_at - Minutes::minutes(1);
    let room = (close - wall_clock()).num_seconds();
    if room < args.arrival_seconds as i64 + 10 {
        bail!("only {room} s of entry window left; lower --arrival-seconds");
    }
    let window = Window::starting_soon(
        Duration::from_secs(args.arrival_seconds + 10),
        Duration::ZERO,
    );
    let recorder = Arc::new(Recorder::new(window)?);
    let entered: Arc<Mutex<BTreeMap<Kind, Vec<String>>>> = Arc::default();
    let bot_answers: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let path = format!("/api/v1/draws/{}/entries", draw.id);

    // Bots: one document each, every attempt from another address of one /24.
    let stop_bots = Instant::now() + Duration::from_secs(args.arrival_seconds);
    let mut bots = Vec::new();
    for b in 0..args.bots {
        let (http, path, recorder, entered, answers) = (
            http.clone(),
            path.clone(),
            recorder.clone(),
            entered.clone(),
            bot_answers.clone(),
        );
        let gap = Duration::from_secs_f64(1.0 / args.bot_rate.max(0.1));
        bots.push(tokio::spawn(async move {
            let document = people::dni(90_000_000 + b);
            let mut tick: u32 = 0;
            while Instant::now() < stop_bots {
                let address = Ipv4Addr::new(10, 200, 0, (tick % 250) as u8 + 1);
                tick += 1;
                let started = Instant::now();
                let sent = http
                    .post(&path, address, &entry(&document, &format!("Bot {b}")))
                    .await;
                recorder.record("bot enter", &sent, started);
                let outcome = sent.outcome();
                *answers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(outcome)
                    .or_default() += 1;
                if let Some(reply) = sent.reply()
                    && reply.status == 201
                    && let Ok(created) = reply.json::<Entered>()
                {
                    entered
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(Kind::Bot)
                        .or_default()
                        .push(created.entry_hash);
                }
                tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
            }
        }));
    }

    // People: arrive evenly, look, take a few seconds, enter once (again after a 429/503).
    let rate = f64::from(args.people) / args.arrival_seconds as f64;
    {
        let (http, path, recorder_inner, entered) = (
            http.clone(),
            path.clone(),
            recorder.clone(),
            entered.clone(),
        );
        let draw_path = format!("/api/v1/draws/{}", draw.id);
        open_loop(
            window,
            rate,
            u64::from(args.people),
            &recorder,
            move |i, scheduled| {
                let (http, path, recorder, entered, draw_path) = (
                    http.clone(),
                    path.clone(),
                    recorder_inner.clone(),
                    entered.clone(),
                    draw_path.clone(),
                );
                async move {
                    let n = u32::try_from(i).unwrap_or(0);
                    let address = people::client(n);
                    let sent = http.get(&draw_path, address).await;
                    recorder.record("person look", &sent, scheduled);
                    let think = rand::rng().random_range(2_000..6_000);
                    tokio::time::sleep(Duration::from_millis(think)).await;
                    let document = people::dni(1_000_000 + n);
                    for _ in 0..3 {
                        let started = Instant::now();
                        let sent = http
                            .post(&path, address, &entry(&document, &format!("Persona {n}")))
                            .await;
                        recorder.record("person enter", &sent, started);
                        match sent.reply() {
                            Some(reply) if reply.status == 201 => {
                                if let Ok(created) = reply.json::<Entered>() {
                                    entered
                                        .lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .entry(Kind::Person)
                                        .or_default()
                                        .push(created.entry_hash);
                                }
                                return;
                            }
                            Some(reply) if matches!(reply.status, 429 | 503) => {
                                let wait = reply.retry_after.unwrap_or(1).min(5);
                                tokio::time::sleep(Duration::from_secs(wait)).await;
                            }
                            _ => return,
                        }
                    }
                }
            },
        )
        .await?;
    }
    for bot in bots {
        bot.await?;
    }
    let entered = std::mem::take(&mut *entered.lock().unwrap_or_else(|p| p.into_inner()));
    progress(&format!(
        "entered: {} people, {} bots; waiting for the draw",
        entered.get(&Kind::Person).map_or(0, Vec::len),
        entered.get(&Kind::Bot).map_or(0, Vec::len)
    ));

    // The draw runs at its instant: see it drawn.
    let drawn_after = loop {
        let sent = http
            .get(&format!("/api/v1/draws/{}", draw.id), SETUP_CLIENT)
            .await;
        if let Some(reply) = sent.reply()
            && reply.status == 200
            && reply.json::<DrawBody>()?.state == "drawn"
        {
            break (wall_clock() - draw_at).num_milliseconds() as f64 / 1000.0;
        }
        if wall_clock() > draw_at + Minutes::minutes(3) {
            bail!("the draw was not run within 3 minutes of its instant");
        }
        // Within the browse budget of the generator's own address.
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let record: Record = loop {
        let sent = http
            .get(&format!("/api/v1/draws/{}/record", draw.id), SETUP_CLIENT)
            .await;
        let reply = sent.reply().context("no answer from the record")?;
        if reply.status == 429 {
            tokio::time::sleep(Duration::from_secs(reply.retry_after.unwrap_or(1))).await;
            continue;
        }
        break reply.json()?;
    };
    let kind_of: BTreeMap<&str, Kind> = entered
        .iter()
        .flat_map(|(kind, hashes)| hashes.iter().map(move |h| (h.as_str(), *kind)))
        .collect();
    let mut assigned = BTreeMap::new();
    let mut total_assigned = 0;
    for entry in &record.entries {
        if entry.result == "assigned" {
            total_assigned += 1;
            if let Some(kind) = kind_of.get(entry.entry_hash.as_str()) {
                *assigned.entry(*kind).or_default() += 1;
            }
        }
    }
    let bot_answers = std::mem::take(&mut *bot_answers.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Outcome {
        draw_id: draw.id,
        entries_in_record: record.entries.len(),
        entered,
        assigned,
        total_assigned,
        bot_answers,
        drawn_after,
        results: Some(recorder.results()),
        verify: String::new(),
    })
}

fn entry(document: &str, name: &str) -> serde_json::Value {
    // The whole week, any time: every entrant competes for every time.
    serde_json::json!({
        "citizen": {"name": name, "document": document},
        "from": "2000-01-01", "to": "2100-12-31", "part_of_day": "any",
    })
}

async fn open_draw(http: &Http) -> anyhow::Result<DrawBody> {
    let path = format!("/api/v1/offices/{OFFICE}/services/{SERVICE}/draws");
    for _ in 0..40 {
        let sent = http.get(&path, SETUP_CLIENT).await;
        if let Some(reply) = sent.reply()
            && reply.status == 200
        {
            let draws: Vec<DrawBody> = reply.json()?;
            if let Some(open) = draws.into_iter().find(|d| d.state == "open") {
                return Ok(open);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("no draw took entries within 20 s of the server starting")
}

/// `cita draw verify` on the database, after the server has stopped.
async fn verify(setup: &Setup, database: &Database, draw: &str) -> String {
    let output = tokio::process::Command::new(&setup.cita_bin)
        .args([
            "draw",
            "verify",
            "--draw",
            draw,
            "--database-url",
            &database.url,
        ])
        .env("RUST_LOG", "error")
        .output()
        .await;
    match output {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            format!("{} (exit {})", text, out.status.code().unwrap_or(-1))
        }
        Err(error) => format!("could not run: {error}"),
    }
}

fn markdown(setup: &Setup, args: &Args, o: &Outcome, server: &str) -> String {
    let mut md = report::header("Release draw: people against bots", setup);
    let people_in = o.entered.get(&Kind::Person).map_or(0, Vec::len) as u64;
    let bots_in = o.entered.get(&Kind::Bot).map_or(0, Vec::len) as u64;
    let all_in = (people_in + bots_in).max(1);
    let population = u64::from(args.people) + u64::from(args.bots);
    let bot_share = f64::from(args.bots) / population.max(1) as f64;
    let bots_got = o.assigned.get(&Kind::Bot).copied().unwrap_or(0);
    let (low, high) = interval(o.total_assigned, bot_share);
    let within = (bots_got as f64) <= high.ceil();
    md.push_str(&format!(
        "{} people (own address and DNI) arrived over {} s, looked at the draw, took 2–6 s and \
         entered once; {} bots (one document each) tried to enter {} times a second each \
         from addresses in one /24 for the same {} s. The draw `{}` gives out the week two \
         weeks later at Las Palmas (two desks, 10-minute appointments).\n\n",
        args.people,
        args.arrival_seconds,
        args.bots,
        args.bot_rate,
        args.arrival_seconds,
        o.draw_id
    ));
    md.push_str("| kind | documents | share of documents | entries accepted | share of entries | appointments | share of appointments |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (kind, documents) in [(Kind::Person, args.people), (Kind::Bot, args.bots)] {
        let entered = o.entered.get(&kind).map_or(0, Vec::len) as u64;
        let got = o.assigned.get(&kind).copied().unwrap_or(0);
        md.push_str(&format!(
            "| {} | {documents} | {:.2} % | {entered} | {:.2} % | {got} | {:.2} % |\n",
            kind.name(),
            100.0 * f64::from(documents) / population.max(1) as f64,
            100.0 * entered as f64 / all_in as f64,
            100.0 * got as f64 / o.total_assigned.max(1) as f64
        ));
    }
    md.push_str(&format!(
        "\n- Goal, the bots' share of appointments no more than noise above their share of \
         the population: {} — {} appointments, {} to bots; a draw blind to who is who \
         gives documents that are {:.2} % of the population {:.1} on average, 95 % between \
         {:.1} and {:.1}. (Bots whose entries the rate limits turned away got less.)\n",
        report::met(within),
        o.total_assigned,
        bots_got,
        100.0 * bot_share,
        o.total_assigned as f64 * bot_share,
        low,
        high
    ));
    md.push_str(&format!(
        "- Published entries: {} (the entries accepted: {}).\n",
        o.entries_in_record,
        people_in + bots_in
    ));
    md.push_str(&format!(
        "- The draw was seen run {:.1} s after its instant (the server looks every second; \
         this includes booking every appointment given).\n",
        o.drawn_after
    ));
    md.push_str(&format!("- `cita draw verify`: {}\n", o.verify));
    let answers: Vec<String> = o
        .bot_answers
        .iter()
        .map(|(k, v)| format!("{k} ×{v}"))
        .collect();
    md.push_str(&format!(
        "- Bots' attempts answered: {}.\n",
        answers.join(", ")
    ));
    md.push_str(&format!("- Server: {server}\n\n"));
    if let Some(results) = &o.results {
        md.push_str("## Requests\n\n");
        md.push_str(&report::latency_table(results));
        md.push_str(&format!("\n{}\n", report::lag_line(results)));
    }
    md
}

/// Share of entrants against share of appointments, per kind, as bars.
fn chart(o: &Outcome) -> String {
    let people_in = o.entered.get(&Kind::Person).map_or(0, Vec::len) as f64;
    let bots_in = o.entered.get(&Kind::Bot).map_or(0, Vec::len) as f64;
    let all = (people_in + bots_in).max(1.0);
    let total = (o.total_assigned as f64).max(1.0);
    let rows = [
        ("people: entrants", people_in / all),
        (
            "people: appointments",
            o.assigned.get(&Kind::Person).copied().unwrap_or(0) as f64 / total,
        ),
        ("bots: entrants", bots_in / all),
        (
            "bots: appointments",
            o.assigned.get(&Kind::Bot).copied().unwrap_or(0) as f64 / total,
        ),
    ];
    crate::chart::share_bars(
        "Share of entrants and of appointments, people and bots",
        &rows,
    )
}
