//! Builds the running service from settings: used by `cita serve` and by tests, which bind
//! port 0 and talk to the real router.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::booking::{
    Booking, Catalog, ConfigSource, ImportOutcome, import_config, load_stored_config,
};
use crate::clock::{Clock, SystemClock};
use crate::http::client::ClientKeys;
use crate::http::surge::Surge;
use crate::http::{AppState, HttpSettings, router};
use crate::notify::{Notifier, NotifySettings};
use crate::store::StoreOptions;

/// The demo offices (Madrid, Barcelona, Las Palmas de Gran Canaria) bundled in the binary.
pub fn demo_config() -> ConfigSource {
    let mut source = ConfigSource::inline(include_str!("../demo/offices.toml"));
    source.files.insert(
        "es-holidays.ics".to_owned(),
        include_str!("../demo/es-holidays.ics").to_owned(),
    );
    source
}

/// Everything `serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub database_url: String,
    pub config: Option<PathBuf>,
    pub demo: bool,
    pub public_url: Option<String>,
    /// Database connection settings (SQLite durability, timeouts, statement logging).
    pub store: StoreOptions,
    /// Apply the `[limits]` rate limits (off with `--no-rate-limit`, for benchmarks).
    pub rate_limit: bool,
    /// Read client addresses from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// A staff page session unused this long is over.
    pub staff_idle_minutes: u32,
    /// The notification channels and how their messages are delivered (its
    /// `public_url` is filled in from the service's).
    pub notify: NotifySettings,
    /// Run a delivery worker in this process (`--no-worker` turns it off: the messages
    /// are still written, for `cita worker` processes to send).
    pub worker: bool,
}

/// A started service: the store, the booking service and the HTTP state over them.
#[derive(Debug, Clone)]
pub struct Application {
    pub state: AppState,
    /// The delivery worker `run` starts, if any.
    pub notifier: Option<Notifier>,
}

impl Application {
    /// Connects, migrates, imports `--config`/`--demo` if given, and loads the offices
    /// from the database (so every instance serves the same configuration).
    pub async fn build(
        settings: &ServeSettings,
        addr: &str,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let store = crate::store::connect(&settings.database_url, &settings.store)
            .await
            .context("connecting to the database")?;
        store.migrate().await.context("migrating the database")?;
        let now = clock.now();
        let mut sources = vec![];
        if settings.demo {
            sources.push(demo_config());
        }
        if let Some(path) = &settings.config {
            sources.push(
                ConfigSource::read(path)
                    .map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?,
            );
        }
        for source in &sources {
            match import_config(&store, source, now).await? {
                ImportOutcome::Imported { version } => {
                    tracing::info!(version, "configuration imported")
                }
                ImportOutcome::Unchanged { version } => {
                    tracing::info!(version, "configuration unchanged")
                }
            }
        }
        let (source, version) = load_stored_config(&store).await?.context(
            "no office configuration in the database: start with --config FILE or --demo",
        )?;
        let config = source
            .parse()
            .map_err(|e| anyhow::anyhow!("the stored configuration is invalid:\n{e}"))?;
        let catalog = Catalog::from_config(&config);
        let pepper = Booking::load_pepper(&store).await?;
        let booking = Booking::new(store, clock, catalog.clone())
            .with_pepper(pepper)
            .with_notice_channels(settings.notify.channels());
        booking.install_catalog(catalog, version);
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        // Limits are read at start-up; a changed [limits] applies on restart.
        let surge = Surge::new(
            &config.limits,
            booking.store().max_connections(),
            settings.rate_limit,
            booking.pepper(),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let clients = ClientKeys {
            trust_proxy: settings.trust_proxy,
            proxy_hops: config.limits.trusted_proxy_hops,
            ipv4_prefix: config.limits.ipv4_prefix,
            ipv6_prefix: config.limits.ipv6_prefix,
        };
        tracing::info!(
            max_in_flight = config.limits.max_in_flight,
            max_writes_in_flight = surge.max_writes_in_flight(),
            write_wait_target_ms = config.limits.write_wait_target_ms,
            shared_limits = config.limits.shared.is_some(),
            "load shedding bounds"
        );
        let notifier = if settings.worker {
            let notify = NotifySettings {
                public_url: public_url.trim_end_matches('/').to_owned(),
                ..settings.notify.clone()
            };
            Some(Notifier::new(booking.clone(), notify).map_err(|e| anyhow::anyhow!(e))?)
        } else {
            None
        };
        Ok(Application {
            notifier,
            state: AppState {
                booking,
                settings: Arc::new(HttpSettings {
                    holds_per_client: config.limits.holds_per_client,
                    staff_idle: chrono::Duration::minutes(i64::from(settings.staff_idle_minutes)),
                    ..HttpSettings::new(public_url)
                        .with_surge(surge)
                        .with_clients(clients)
                }),
            },
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then finishes in-flight requests
    /// and closes the pool.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.booking.store().clone();
        let watcher = tokio::spawn(watch_config(self.state.booking.clone()));
        let purger = tokio::spawn(purge_periodically(self.state.booking.clone()));
        let drawer = tokio::spawn(run_draws(self.state.booking.clone()));
        let notifier = self.notifier.map(|n| tokio::spawn(n.run()));
        let pruner = self
            .state
            .settings
            .surge
            .clone()
            .map(|surge| tokio::spawn(prune_limiters(surge)));
        let app = router(self.state);
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        watcher.abort();
        purger.abort();
        drawer.abort();
        if let Some(notifier) = notifier {
            notifier.abort();
        }
        if let Some(pruner) = pruner {
            pruner.abort();
        }
        store.close().await;
        served
    }
}

/// Forgets rate-limiter keys whose budget is full again, every minute, so limiter memory
/// stays bounded whatever the number of distinct clients.
async fn prune_limiters(surge: Arc<Surge>) {
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        if let Some(limiters) = &surge.limiters {
            limiters.prune();
        }
    }
}

/// A booking service for one-shot commands (`cita user`, `cita feed-token`): connects,
/// migrates, and serves the stored configuration, or no offices when none was imported.
pub async fn connect_booking(
    database_url: &str,
    options: &StoreOptions,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Booking> {
    let store = crate::store::connect(database_url, options)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("migrating the database")?;
    let stored = load_stored_config(&store).await?;
    let pepper = Booking::load_pepper(&store).await?;
    let booking = match stored {
        Some((source, version)) => {
            let config = source
                .parse()
                .map_err(|e| anyhow::anyhow!("the stored configuration is invalid:\n{e}"))?;
            let catalog = Catalog::from_config(&config);
            let booking = Booking::new(store, clock, catalog.clone());
            booking.install_catalog(catalog, version);
            booking
        }
        None => Booking::new(
            store,
            clock,
            Catalog::new(vec![], chrono::Duration::seconds(300)),
        ),
    };
    Ok(booking.with_pepper(pepper))
}

/// How often a serving instance checks whether another one changed the configuration.
/// The check is one indexed single-row read, so a few seconds of staleness cost nothing.
pub const CONFIG_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Reloads the offices whenever the stored configuration version moves past the one this
/// instance serves (an admin changed it through another instance). Runs until aborted.
pub async fn watch_config(booking: Booking) {
    let mut ticks = tokio::time::interval(CONFIG_POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate; the catalog was just loaded
    loop {
        ticks.tick().await;
        match booking.reload_config_if_changed().await {
            Ok(Some(version)) => tracing::info!(version, "configuration reloaded"),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not check for a new configuration"),
        }
    }
}

/// How often a serving instance erases personal data past its retention (and expired
/// holds, tokens and idempotency records). Several instances doing it is harmless.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Runs [`Booking::purge`] at start and every [`PURGE_INTERVAL`]; logs only counts.
async fn purge_periodically(booking: Booking) {
    let mut ticks = tokio::time::interval(PURGE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match booking.purge().await {
            Ok(purged) => tracing::info!(
                erased = purged.appointments,
                holds = purged.holds,
                tokens = purged.tokens,
                idempotency_keys = purged.idempotency_keys,
                citizens = purged.citizens,
                "purged what is no longer needed"
            ),
            Err(error) => tracing::warn!(%error, "could not purge expired personal data"),
        }
    }
}

/// How often a serving instance looks for draws to run: a draw runs within this long
/// after its instant (the dates it gives out stay closed until it has).
pub const DRAW_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Runs release draws when they are due ([`Booking::run_due_draws`]); every instance
/// does, and a lease in the database lets one run each draw.
async fn run_draws(booking: Booking) {
    let owner = crate::booking::secrets::random_id();
    let mut ticks = tokio::time::interval(DRAW_POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match booking.run_due_draws(&owner).await {
            Ok(run) => {
                for id in run.drawn {
                    tracing::info!(draw = %id, "draw run");
                }
            }
            Err(error) => tracing::warn!(%error, "could not run the due draws"),
        }
    }
}

/// The real clock, for `serve`.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
