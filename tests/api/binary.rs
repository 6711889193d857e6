//! Smoke test of the built `cita` binary (the debug build cargo made for these tests):
//! `cita serve --demo` on a free port and a fresh database answers health and the demo
//! offices over a real socket, and exits 0 on SIGTERM (graceful shutdown, DESIGN §10).
//! Runs on SQLite always and on PostgreSQL when `CITA_TEST_POSTGRES_URL` is set.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::both_backends;
use crate::common::*;

both_backends!(
    binary_serves_the_demo_and_stops_on_sigterm,
    the_fairness_report_command_writes_its_csv_and_chart,
);

/// How long start-up (migrations and the demo import) and shutdown may take.
const PATIENCE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// A port nobody was using a moment ago (`serve` does not print the port it bound).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// A plain HTTP/1.1 GET: (status, headers, body).
async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no end of headers in {text:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((status, head.to_owned(), body))
}

/// Decodes a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The server's output so far, for failure messages.
fn log(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Polls `/healthz` until it answers 200, the process dies, or patience runs out.
async fn wait_until_healthy(child: &mut Child, port: u16, log_path: &std::path::Path) {
    let attempts = PATIENCE.as_millis() / POLL.as_millis();
    for _ in 0..attempts {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("cita exited early with {status}:\n{}", log(log_path));
        }
        if let Ok((200, _, _)) = http_get(port, "/healthz").await {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    panic!(
        "cita did not become healthy in {PATIENCE:?}:\n{}",
        log(log_path)
    );
}

async fn binary_serves_the_demo_and_stops_on_sigterm(db: Db) {
    let Some(test_db) = test_db(db).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("cita.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cita"))
        .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &test_db.url])
        .env_remove("CITA_CONFIG")
        .env_remove("CITA_PUBLIC_URL")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .kill_on_drop(true)
        .spawn()
        .expect("start cita");
    wait_until_healthy(&mut child, port, &log_path).await;

    let (status, head, body) = http_get(port, "/api/v1/offices").await.unwrap();
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let offices: Value = serde_json::from_str(&body).unwrap();
    let offices = offices.as_array().unwrap();
    assert_eq!(offices.len(), 3, "{body}");
    let names: Vec<&str> = offices
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for city in ["Madrid", "Barcelona", "Las Palmas de Gran Canaria"] {
        assert!(
            names.iter().any(|n| n.contains(city)),
            "{city} in {names:?}"
        );
    }
    let canary = offices.iter().find(|o| o["id"] == LAS_PALMAS).unwrap();
    assert_eq!(canary["timezone"], "Atlantic/Canary");

    let (status, _, body) = http_get(port, "/readyz").await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = http_get(port, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains(
            r#"http_requests_total{route="/api/v1/offices",method="GET",status="200"} 1"#
        ),
        "{body}"
    );
    let (status, _, body) = http_get(port, "/api/v1/openapi.json").await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("\"/api/v1/appointments/{locator}/calendar.ics\""));

    // SIGTERM (the default signal of kill(1)): stop accepting, finish, exit 0.
    let pid = child.id().expect("pid of a running child");
    let kill = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(kill.success());
    let exit = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .unwrap_or_else(|_| panic!("no exit {PATIENCE:?} after SIGTERM:\n{}", log(&log_path)))
        .unwrap();
    let output = log(&log_path);
    assert_eq!(exit.code(), Some(0), "{exit}:\n{output}");
    assert!(output.contains("shutting down"), "{output}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "still accepting connections after exit"
    );
}

/// `cita import` then `cita report fairness`: the CSV header on standard output (the
/// demo has no releases, so nothing under it), the chart into `--svg`; an unknown office
/// or a backwards range is a one-line error and a non-zero exit.
async fn the_fairness_report_command_writes_its_csv_and_chart(db: Db) {
    let Some(test_db) = test_db(db).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cita = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cita"))
            .args(args)
            .args(["--database-url", &test_db.url])
            .env("RUST_LOG", "error")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run cita")
    };
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/offices.toml");
    assert!(cita(&["import", demo]).status.success());
    let svg = dir.path().join("fairness.svg");
    let svg_arg = svg.display().to_string();
    let out = cita(&[
        "report",
        "fairness",
        "--office",
        "madrid-extranjeria",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-31",
        "--svg",
        &svg_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.starts_with("service,release_at,mode,first_date,last_date,entrants,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1, "the demo has no releases: {csv}");
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
    let unknown = cita(&[
        "report",
        "fairness",
        "--office",
        "nowhere",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-31",
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no office \"nowhere\""));
    let backwards = cita(&[
        "report",
        "fairness",
        "--office",
        "madrid-extranjeria",
        "--from",
        "2027-03-31",
        "--to",
        "2027-03-01",
    ]);
    assert!(!backwards.status.success());
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("must run forwards"));
}
