//! The `cita` command line (DESIGN §10).

use std::path::PathBuf;

use anyhow::Context;
use cita::app::{Application, ServeSettings, system_clock};
use cita::booking::{ConfigSource, import_config};
use cita::store::{SqliteSync, Store, StoreOptions};
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
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Validate and import an office configuration file, then exit.
    Import {
        /// The TOML file.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let options = StoreOptions {
        sqlite_synchronous: cli.sqlite_synchronous,
        ..StoreOptions::default()
    };
    match cli.command {
        Command::Serve {
            addr,
            config,
            demo,
            public_url,
        } => {
            let settings = ServeSettings {
                database_url: cli.database_url,
                config,
                demo,
                public_url,
                sqlite_synchronous: cli.sqlite_synchronous,
            };
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            let bound = listener.local_addr()?.to_string();
            let app = Application::build(&settings, &bound, system_clock()).await?;
            tracing::info!(addr = %bound, "cita is listening");
            app.run(listener, shutdown_signal()).await
        }
        Command::Migrate => {
            let store = Store::connect(&cli.database_url, &options).await?;
            store.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import { file } => {
            let source = ConfigSource::read(&file)
                .map_err(|e| anyhow::anyhow!("{}:\n{e}", file.display()))?;
            let store = Store::connect(&cli.database_url, &options).await?;
            store.migrate().await?;
            let outcome = import_config(&store, &source, system_clock().now()).await?;
            tracing::info!(?outcome, "configuration imported");
            Ok(())
        }
    }
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
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
