//! A fresh database and a `cita serve` process on it, on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::Connection;
use sqlx::Executor;

use crate::client::{Http, Sent};
use crate::people::SETUP_CLIENT;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where servers run and their databases live.
#[derive(Debug, Clone)]
pub struct Setup {
    pub backend: Backend,
    /// A PostgreSQL server URL whose user may create databases; each run creates its own.
    pub postgres_url: String,
    pub cita_bin: PathBuf,
    /// Temporary files (SQLite databases, server logs).
    pub work_dir: PathBuf,
}

/// A database created for one server and removed afterwards.
#[derive(Debug)]
pub struct Database {
    pub url: String,
    backend: Backend,
    admin_url: String,
    name: String,
    file: Option<PathBuf>,
}

impl Database {
    pub async fn fresh(setup: &Setup, label: &str) -> anyhow::Result<Database> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "cita_load_{}_{}_{}",
            label.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        match setup.backend {
            Backend::Sqlite => {
                std::fs::create_dir_all(&setup.work_dir)
                    .with_context(|| format!("creating {}", setup.work_dir.display()))?;
                let file = setup.work_dir.join(format!("{name}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                Ok(Database {
                    url: format!("sqlite://{}", file.display()),
                    backend: Backend::Sqlite,
                    admin_url: String::new(),
                    name,
                    file: Some(file),
                })
            }
            Backend::Postgres => {
                let mut admin = sqlx::PgConnection::connect(&setup.postgres_url)
                    .await
                    .with_context(|| "connecting to the PostgreSQL server (--postgres-url)")?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .with_context(|| format!("creating database {name}"))?;
                admin.close().await?;
                let url = with_database(&setup.postgres_url, &name)?;
                Ok(Database {
                    url,
                    backend: Backend::Postgres,
                    admin_url: setup.postgres_url.clone(),
                    name,
                    file: None,
                })
            }
        }
    }

    /// Drops the database (or deletes the SQLite files).
    pub async fn remove(self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                if let Some(file) = &self.file {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                    }
                }
                Ok(())
            }
            Backend::Postgres => {
                let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    )))
                    .await
                    .with_context(|| format!("dropping database {}", self.name))?;
                admin.close().await?;
                Ok(())
            }
        }
    }
}

/// `postgres://user@host:port/db?x` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let Some(scheme_end) = base.find("://") else {
        bail!("not a postgres:// URL");
    };
    let authority_and_path = &base[scheme_end + 3..];
    let authority = authority_and_path
        .split_once('/')
        .map_or(authority_and_path, |(a, _)| a);
    let mut out = format!("{}://{authority}/{name}", &base[..scheme_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// How a server stopped.
#[derive(Debug, Clone)]
pub struct Stopped {
    /// Exit status after SIGTERM, or a note that it had to be killed.
    pub status: String,
    pub seconds: f64,
}

/// A running `cita serve`.
#[derive(Debug)]
pub struct Server {
    child: tokio::process::Child,
    pub port: u16,
    pub args: Vec<String>,
    pub log: PathBuf,
}

impl Server {
    /// Starts `cita serve --addr 127.0.0.1:PORT --database-url URL` plus `flags` on a free
    /// port, logging warnings and errors to a file, and waits for `/healthz`.
    pub async fn start(
        setup: &Setup,
        database: &Database,
        label: &str,
        flags: &[&str],
    ) -> anyhow::Result<Server> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut args: Vec<String> = vec!["serve".into(), "--addr".into(), addr];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let log = setup
            .work_dir
            .join(format!("{label}-{}.log", setup.backend.name()));
        std::fs::create_dir_all(&setup.work_dir)?;
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = tokio::process::Command::new(&setup.cita_bin)
            .args(&args)
            .arg("--database-url")
            .arg(&database.url)
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("CITA_NO_RATE_LIMIT")
            .env_remove("CITA_TRUST_PROXY")
            .env_remove("CITA_CONFIG")
            .env_remove("CITA_DEMO")
            .env_remove("CITA_SQLITE_SYNCHRONOUS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it: cargo build --release --bin cita)",
                    setup.cita_bin.display()
                )
            })?;
        let mut server = Server {
            child,
            port,
            args,
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Polls `/healthz` every 100 ms, for at most 60 s (migrations on a fresh database
    /// take a moment); fails at once if the process exits.
    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let http = Http::new(self.port, 1, Duration::from_secs(2));
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "cita exited before it was ready ({status}); see {}",
                    self.log.display()
                );
            }
            if let Sent::Reply(reply) = http.get("/healthz", SETUP_CLIENT).await
                && reply.status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "cita did not answer /healthz within 60 s; see {}",
            self.log.display()
        )
    }

    /// SIGTERM, then up to 30 s for a graceful exit; killed after that.
    pub async fn stop(mut self) -> anyhow::Result<Stopped> {
        let started = Instant::now();
        let Some(pid) = self.child.id() else {
            return Ok(Stopped {
                status: "had already exited".into(),
                seconds: 0.0,
            });
        };
        let signalled = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .context("running kill -TERM")?;
        if !signalled.success() {
            bail!("kill -TERM {pid} failed");
        }
        let status = match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => format!("exited after SIGTERM: {}", status?),
            Err(_) => {
                self.child.kill().await?;
                "did not exit within 30 s of SIGTERM; killed".to_owned()
            }
        };
        Ok(Stopped {
            status,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Lines of the server's log that are warnings or errors (at most `max`).
    pub fn log_problems(&self, max: usize) -> Vec<String> {
        read_problems(&self.log, max)
    }
}

pub fn read_problems(log: &Path, max: usize) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .take(max)
        .map(str::to_owned)
        .collect()
}

/// A port nobody listens on right now (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "y").unwrap(),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h", "z").unwrap(),
            "postgresql://h/z"
        );
    }
}
