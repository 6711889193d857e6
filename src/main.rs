//! The `cita` command line (DESIGN §10).

use std::path::PathBuf;

use anyhow::Context;
use cita::app::{Application, ServeSettings, connect_booking, system_clock, watch_config};
use cita::booking::{ConfigSource, Role, import_config};
use cita::domain::{DeskId, OfficeId};
use cita::notify::mail::SmtpSettings;
use cita::notify::webhook::WebhookSettings;
use cita::notify::{Notifier, NotifySettings};
use cita::store::{self, SqliteSync, StoreOptions};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "cita",
    version,
    about = "Appointment booking for public offices (cita previa)"
)]
struct Cli {
    /// Database: sqlite://FILE (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://cita.db",
        hide_env_values = true
    )]
    database_url: String,
    /// SQLite durability: full (survives power loss) or normal (survives process crashes).
    #[arg(
        long,
        global = true,
        env = "CITA_SQLITE_SYNCHRONOUS",
        default_value = "full"
    )]
    sqlite_synchronous: SqliteSync,
    /// Log format: human or json.
    #[arg(long, global = true, env = "CITA_LOG_FORMAT", default_value = "human")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        #[arg(long, env = "CITA_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Office configuration (TOML) to import before serving.
        #[arg(long, env = "CITA_CONFIG")]
        config: Option<PathBuf>,
        /// Import the bundled demo offices.
        #[arg(long, env = "CITA_DEMO")]
        demo: bool,
        /// Base URL clients use to reach this server (for links in answers).
        #[arg(long, env = "CITA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Turn the [limits] rate limits off (benchmarks, tests); load shedding stays.
        #[arg(long, env = "CITA_NO_RATE_LIMIT")]
        no_rate_limit: bool,
        /// Take client addresses from X-Forwarded-For (only behind a trusted proxy).
        #[arg(long, env = "CITA_TRUST_PROXY")]
        trust_proxy: bool,
        /// Log database statements slower than this many milliseconds (their text only,
        /// never their values). Unset: no statement is logged.
        #[arg(long, env = "CITA_LOG_SLOW_STATEMENTS_MS")]
        log_slow_statements_ms: Option<u64>,
        /// Sign staff out of the web pages after this many minutes without use.
        #[arg(long, env = "CITA_STAFF_IDLE_MINUTES", default_value_t = 480,
              value_parser = clap::value_parser!(u32).range(1..=10080))]
        staff_idle_minutes: u32,
        #[command(flatten)]
        notify: NotifyArgs,
        /// Do not deliver notifications from this process (run `cita worker` instead);
        /// the messages are still written.
        #[arg(long, env = "CITA_NO_WORKER")]
        no_worker: bool,
    },
    /// Deliver notifications (e-mail, webhook) from the outbox, without serving HTTP.
    /// Run as many as wanted on PostgreSQL; on SQLite, one.
    Worker {
        #[command(flatten)]
        notify: NotifyArgs,
        /// Base URL citizens reach the pages at (for links in messages).
        #[arg(long, env = "CITA_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
    /// Notifications that failed for good: list them, or send one again.
    Outbox {
        #[command(subcommand)]
        action: OutboxCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Erase personal data past its retention ([privacy] retain_personal_data_days) and
    /// expired holds, tokens and idempotency records, then exit (`serve` does it hourly).
    Purge,
    /// Release draws: run the due ones now, or check one from its public record.
    Draw {
        #[command(subcommand)]
        action: DrawCommand,
    },
    /// Reports on the offices' releases.
    Report {
        #[command(subcommand)]
        action: ReportCommand,
    },
    /// Validate and import an office configuration file, then exit.
    Import {
        /// The TOML file.
        file: PathBuf,
    },
    /// Manage staff users (their tokens open the staff and admin API).
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Issue a calendar feed URL for an office or a desk, or revoke a feed token.
    FeedToken {
        /// The office whose appointments the feed shows.
        #[arg(long, required_unless_present = "revoke", conflicts_with = "revoke")]
        office: Option<String>,
        /// Only this desk's appointments.
        #[arg(long, requires = "office")]
        desk: Option<String>,
        /// Revoke this token (or the feed URL that carries it) instead.
        #[arg(long, value_name = "TOKEN")]
        revoke: Option<String>,
        /// Base URL calendar apps reach this server at.
        #[arg(long, env = "CITA_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
}

/// How notifications are sent (the same on every instance: each change writes its
/// messages for the channels configured here).
#[derive(Debug, Clone, clap::Args)]
struct NotifyArgs {
    /// SMTP server: smtp://HOST:PORT (plain), smtp://USER:PASS@HOST:587?tls=required
    /// (STARTTLS) or smtps://USER:PASS@HOST:465 (TLS). Unset: no e-mail.
    #[arg(
        long,
        env = "CITA_SMTP_URL",
        hide_env_values = true,
        requires = "mail_from"
    )]
    smtp_url: Option<String>,
    /// The sender of e-mail, e.g. "Cita previa <citas@example.es>".
    #[arg(long, env = "CITA_MAIL_FROM")]
    mail_from: Option<String>,
    /// Webhook receiving a signed JSON POST per event (SMS gateway, office systems).
    #[arg(long, env = "CITA_WEBHOOK_URL", requires = "webhook_secret")]
    webhook_url: Option<String>,
    /// The webhook's HMAC-SHA256 key (at least 16 characters).
    #[arg(long, env = "CITA_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Attempts before a message is left for staff to retry.
    #[arg(long, env = "CITA_NOTIFY_MAX_ATTEMPTS", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(1..=100))]
    notify_max_attempts: i64,
    /// Seconds before the first retry (each next one waits twice as long, up to an hour).
    #[arg(long, env = "CITA_NOTIFY_RETRY_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(i64).range(1..=3600))]
    notify_retry_seconds: i64,
    /// Seconds a worker holds the messages it took; another takes them after that (a
    /// worker killed mid-send). Sends give up at half of it.
    #[arg(long, env = "CITA_NOTIFY_LEASE_SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(i64).range(4..=3600))]
    notify_lease_seconds: i64,
}

impl NotifyArgs {
    fn settings(&self, public_url: &str) -> NotifySettings {
        NotifySettings {
            smtp: self
                .smtp_url
                .clone()
                .zip(self.mail_from.clone())
                .map(|(url, from)| SmtpSettings { url, from }),
            webhook: self
                .webhook_url
                .clone()
                .zip(self.webhook_secret.clone())
                .map(|(url, secret)| WebhookSettings { url, secret }),
            max_attempts: self.notify_max_attempts,
            retry_base: chrono::Duration::seconds(self.notify_retry_seconds),
            lease: chrono::Duration::seconds(self.notify_lease_seconds),
            ..NotifySettings::new(public_url)
        }
    }
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// The messages that failed for good, newest first (tab-separated: id, office,
    /// event, channel, attempts, due, last error).
    Failed {
        /// Only this office's.
        #[arg(long)]
        office: Option<String>,
    },
    /// Send a failed message again, from scratch.
    Retry {
        /// Its id, from `cita outbox failed`.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum DrawCommand {
    /// Run every draw whose instant has passed (`serve` does it every second).
    Run,
    /// Recompute a draw from its seed, published entries and supply, and compare with
    /// its results; exits non-zero when they differ.
    Verify {
        /// The draw, e.g. `madrid.asilo.20270315T0900`, read from the database.
        #[arg(long, required_unless_present = "record", conflicts_with = "record")]
        draw: Option<String>,
        /// Instead, the JSON of `GET /api/v1/draws/{draw}/record` saved to a file: no
        /// database needed, anyone can check a draw.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Per release of the office's procedures whose instant falls in the range: entrants,
    /// appointments given to the public and by staff, documents per client address, the
    /// share of the busiest 1 % of addresses, time to sold out, citizens' cancellations.
    /// CSV on standard output (or into `--csv`), the chart into `--svg`.
    Fairness {
        #[arg(long)]
        office: String,
        /// First local date of release instants (YYYY-MM-DD).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last local date, inclusive (at most 366 days after `from`).
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user and print its token (shown only this once).
    Add {
        /// A name that identifies the person (unique among active users).
        name: String,
        /// admin, manager or agent.
        #[arg(long)]
        role: Role,
        /// The office of a manager or agent (admins have none).
        #[arg(long)]
        office: Option<String>,
    },
    /// Revoke a staff user: their token stops working at once.
    Revoke { name: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let mut options = StoreOptions {
        sqlite_synchronous: cli.sqlite_synchronous,
        ..StoreOptions::default()
    };
    match cli.command {
        Command::Serve {
            addr,
            config,
            demo,
            public_url,
            no_rate_limit,
            trust_proxy,
            log_slow_statements_ms,
            staff_idle_minutes,
            notify,
            no_worker,
        } => {
            options.log_slow_statements =
                log_slow_statements_ms.map(std::time::Duration::from_millis);
            let settings = ServeSettings {
                database_url: cli.database_url,
                config,
                demo,
                public_url,
                store: options,
                rate_limit: !no_rate_limit,
                trust_proxy,
                staff_idle_minutes,
                notify: notify.settings(""),
                worker: !no_worker,
            };
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            let bound = listener.local_addr()?.to_string();
            // Invented citizens only where the demo offices alone are served: never into
            // a database that also serves a configuration of its own.
            let seed = demo && settings.config.is_none();
            let app = Application::build(&settings, &bound, system_clock()).await?;
            if demo {
                let issued = app.state.booking.ensure_demo_admin().await?;
                if seed {
                    let seeded = app.state.booking.seed_demo_appointments().await?;
                    tracing::info!(seeded, "demo appointments booked");
                }
                print_line(&format!("demo admin token: {}", issued.token));
            }
            tracing::info!(addr = %bound, "cita is listening");
            app.run(listener, shutdown_signal()).await
        }
        Command::Worker { notify, public_url } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            let notifier = Notifier::new(booking.clone(), notify.settings(&public_url))
                .map_err(|e| anyhow::anyhow!(e))?;
            let watcher = tokio::spawn(watch_config(booking));
            tokio::select! {
                () = notifier.run() => {}
                () = shutdown_signal() => {}
            }
            watcher.abort();
            Ok(())
        }
        Command::Outbox { action } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            match action {
                OutboxCommand::Failed { office } => {
                    let office = office.map(OfficeId::new);
                    for n in booking.dead_notices(office.as_ref()).await? {
                        print_line(&format!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            n.id,
                            n.office_id,
                            n.event,
                            n.channel,
                            n.attempts,
                            chrono::DateTime::from_timestamp(n.due_at, 0)
                                .map(|t| t.to_rfc3339())
                                .unwrap_or_default(),
                            n.last_error.unwrap_or_default()
                        ));
                    }
                    Ok(())
                }
                OutboxCommand::Retry { id } => match booking.retry_notice(id, None).await {
                    Ok(()) => {
                        print_line(&format!("message {id} queued again"));
                        Ok(())
                    }
                    Err(cita::booking::BookingError::NotFound) => {
                        anyhow::bail!("there is no failed message {id}")
                    }
                    Err(error) => Err(error.into()),
                },
            }
        }
        Command::Migrate => {
            let store = store::connect(&cli.database_url, &options).await?;
            store.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Purge => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            let purged = booking.purge().await?;
            print_line(&format!(
                "erased {} appointments; removed {} holds, {} tokens, {} idempotency records, {} citizen locks",
                purged.appointments,
                purged.holds,
                purged.tokens,
                purged.idempotency_keys,
                purged.citizens
            ));
            Ok(())
        }
        Command::Draw {
            action: DrawCommand::Verify { draw, record },
        } => {
            let checked = match (draw, record) {
                (_, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    cita::booking::verify_record_json(&text).map_err(|e| anyhow::anyhow!(e))?
                }
                (Some(draw), None) => {
                    let booking =
                        connect_booking(&cli.database_url, &options, system_clock()).await?;
                    booking.verify_draw(&draw).await?
                }
                (None, None) => anyhow::bail!("name a draw (--draw) or a record (--record)"),
            };
            for problem in &checked.problems {
                print_line(&format!("MISMATCH {problem}"));
            }
            if checked.ok() {
                print_line(&format!(
                    "draw {} checks out: {} entries, {} appointments given ({} drawn times \
                     refused at booking by the citizen's own rules), the seed matches its \
                     published hash and every result matches the seed and the supply",
                    checked.draw_id, checked.entries, checked.assigned, checked.refused
                ));
                Ok(())
            } else {
                anyhow::bail!("draw {} does not check out", checked.draw_id)
            }
        }
        Command::Draw {
            action: DrawCommand::Run,
        } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            let owner = format!("cli-{}", std::process::id());
            let run = booking.run_due_draws(&owner).await?;
            for id in &run.drawn {
                print_line(&format!("drawn: {id}"));
            }
            for id in &run.skipped {
                print_line(&format!("running elsewhere: {id}"));
            }
            for (id, why) in &run.failed {
                print_line(&format!("failed, to try again: {id}: {why}"));
            }
            if run.failed.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("{} draws could not run", run.failed.len())
            }
        }
        Command::Report {
            action:
                ReportCommand::Fairness {
                    office,
                    from,
                    to,
                    csv,
                    svg,
                },
        } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            if booking
                .catalog()
                .office(&OfficeId::new(office.as_str()))
                .is_err()
            {
                anyhow::bail!("there is no office {office:?} in the configuration");
            }
            let rows = booking
                .fairness(&OfficeId::new(office.as_str()), from, to)
                .await?;
            let table = cita::booking::fairness_csv(&rows);
            match csv {
                Some(file) => std::fs::write(&file, table)?,
                None => print_line(table.trim_end()),
            }
            if let Some(file) = svg {
                let title = "Share of each release's appointments taken by the busiest 1 % of client addresses";
                let zone = booking
                    .catalog()
                    .office(&OfficeId::new(office.as_str()))?
                    .timezone;
                let label = |r: &cita::booking::ReleaseFairness| {
                    format!(
                        "{} · {} ({}) · {} appointments",
                        r.service_name,
                        r.instant.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z"),
                        r.mode,
                        r.figures.public
                    )
                };
                let svg = cita::booking::fairness_svg(&rows, title, label, |p| format!("{p:.1} %"));
                std::fs::write(&file, svg)?;
            }
            Ok(())
        }
        Command::Import { file } => {
            let source = ConfigSource::read(&file)
                .map_err(|e| anyhow::anyhow!("{}:\n{e}", file.display()))?;
            let store = store::connect(&cli.database_url, &options).await?;
            store.migrate().await?;
            let outcome = import_config(&store, &source, system_clock().now()).await?;
            tracing::info!(?outcome, "configuration imported");
            Ok(())
        }
        Command::User { action } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            match action {
                UserCommand::Add { name, role, office } => {
                    let office = office.map(OfficeId::new);
                    let issued = booking.add_staff_user(&name, role, office.as_ref()).await?;
                    eprintln!(
                        "created {} {:?}; its token (shown only now):",
                        issued.member.role, issued.member.name
                    );
                    print_line(&issued.token);
                }
                UserCommand::Revoke { name } => {
                    if !booking.revoke_staff_user(&name).await? {
                        anyhow::bail!("there is no active user named {name:?}");
                    }
                    eprintln!("revoked {name:?}");
                }
            }
            Ok(())
        }
        Command::FeedToken {
            office,
            desk,
            revoke,
            public_url,
        } => {
            let booking = connect_booking(&cli.database_url, &options, system_clock()).await?;
            if let Some(revoke) = revoke {
                if !booking.revoke_feed_token(token_of(&revoke)).await? {
                    anyhow::bail!("no active feed token matches");
                }
                eprintln!("feed token revoked");
                return Ok(());
            }
            let office = OfficeId::new(office.context("--office is required")?);
            let desk = desk.map(DeskId::new);
            let token = booking
                .issue_feed_token(&office, desk.as_ref(), None)
                .await?;
            let base = public_url.trim_end_matches('/');
            let path = match &desk {
                None => format!("/feeds/offices/{office}.ics"),
                Some(desk) => format!("/feeds/offices/{office}/desks/{desk}.ics"),
            };
            print_line(&format!("{base}{path}?token={token}"));
            Ok(())
        }
    }
}

/// The token itself, whether given alone or inside a feed URL (`...?token=T`).
fn token_of(text: &str) -> &str {
    let text = text.trim();
    match text.split_once("token=") {
        Some((_, rest)) => rest.split('&').next().unwrap_or(rest),
        None => text,
    }
}

/// Results go to stdout (logs go to stderr), so scripts can capture them.
#[allow(clippy::print_stdout)]
fn print_line(text: &str) {
    println!("{text}");
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
