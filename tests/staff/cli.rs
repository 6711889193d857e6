//! The built `cita` binary: `user add`/`user revoke`, `feed-token` and `serve --demo` on a
//! temporary SQLite database, with the printed tokens checked through the router.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cita::clock::ManualClock;
use cita::http::router;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tower::ServiceExt;

use crate::common::test_now;
use crate::support::{CONFIG, app_state};

fn cita(url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cita"));
    command
        .env("DATABASE_URL", url)
        .env_remove("CITA_PUBLIC_URL")
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "0")
        .kill_on_drop(true);
    command
}

/// Runs a command to completion: (success, stdout, stderr).
async fn run(url: &str, args: &[&str]) -> (bool, String, String) {
    let output = cita(url).args(args).output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn status(router: &Router, uri: &str, token: Option<&str>) -> StatusCode {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn user_and_feed_token_commands_print_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cita.db").display());
    let file = dir.path().join("offices.toml");
    std::fs::write(&file, CONFIG).unwrap();
    let (ok, _, err) = run(&url, &["import", file.to_str().unwrap()]).await;
    assert!(ok, "{err}");

    let (ok, out, err) = run(
        &url,
        &[
            "user",
            "add",
            "Ana Agente",
            "--role",
            "agent",
            "--office",
            "madrid",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let token = out.trim().to_owned();
    assert_eq!(
        out.lines().count(),
        1,
        "only the token goes to stdout: {out}"
    );
    assert!(
        token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "{out}"
    );
    // Refusals: no office for an agent, an office for an admin, an unknown office, a
    // name in use.
    for args in [
        &["user", "add", "Bob", "--role", "agent"][..],
        &[
            "user", "add", "Root", "--role", "admin", "--office", "madrid",
        ],
        &[
            "user", "add", "Eva", "--role", "manager", "--office", "toledo",
        ],
        &[
            "user",
            "add",
            "Ana Agente",
            "--role",
            "agent",
            "--office",
            "madrid",
        ],
        &["user", "add", "Zoe", "--role", "boss"],
    ] {
        let (ok, out, err) = run(&url, args).await;
        assert!(!ok && out.is_empty(), "{args:?}: {out} {err}");
    }

    let (ok, out, err) = run(
        &url,
        &[
            "feed-token",
            "--office",
            "madrid",
            "--desk",
            "a",
            "--public-url",
            "https://citas.example.es/",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let feed_url = out.trim().to_owned();
    let prefix = "https://citas.example.es/feeds/offices/madrid/desks/a.ics?token=";
    assert!(feed_url.starts_with(prefix), "{feed_url}");
    let (ok, _, _) = run(&url, &["feed-token", "--office", "madrid", "--desk", "z"]).await;
    assert!(!ok, "an unknown desk is refused");
    let (ok, out, _) = run(&url, &["feed-token", "--office", "barcelona"]).await;
    assert!(ok && out.starts_with("http://127.0.0.1:8080/feeds/offices/barcelona.ics?token="));

    // The printed credentials work against a server on the same database.
    let clock = Arc::new(ManualClock::new(test_now()));
    let app = router(app_state(&url, clock).await);
    let agenda = "/api/v1/staff/offices/madrid/agenda?date=2027-03-02";
    assert_eq!(status(&app, agenda, Some(&token)).await, 200);
    assert_eq!(
        status(
            &app,
            "/api/v1/staff/offices/barcelona/agenda?date=2027-03-02",
            Some(&token)
        )
        .await,
        403
    );
    let feed_path = &feed_url["https://citas.example.es".len()..];
    assert_eq!(status(&app, feed_path, None).await, 200);

    // Revoking: a feed by its URL, a user by name.
    let (ok, _, err) = run(&url, &["feed-token", "--revoke", &feed_url]).await;
    assert!(ok, "{err}");
    assert_eq!(status(&app, feed_path, None).await, 404);
    let (ok, _, _) = run(&url, &["feed-token", "--revoke", &feed_url]).await;
    assert!(!ok, "revoking twice is an error");
    let (ok, _, err) = run(&url, &["user", "revoke", "Ana Agente"]).await;
    assert!(ok, "{err}");
    assert_eq!(status(&app, agenda, Some(&token)).await, 401);
    // The name is free again.
    let (ok, _, err) = run(
        &url,
        &[
            "user",
            "add",
            "Ana Agente",
            "--role",
            "manager",
            "--office",
            "madrid",
        ],
    )
    .await;
    assert!(ok, "{err}");
}

/// Starts `serve --demo`, reads the token it prints, and stops it.
async fn demo_token(url: &str) -> String {
    let mut child = cita(url)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("serve --demo printed nothing")
        .unwrap()
        .unwrap();
    child.kill().await.unwrap();
    line.strip_prefix("demo admin token: ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

#[tokio::test]
async fn serve_demo_prints_a_fresh_admin_token_each_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cita.db").display());
    let first = demo_token(&url).await;
    let second = demo_token(&url).await;
    assert_ne!(first, second);
    let clock = Arc::new(ManualClock::new(test_now()));
    let app = router(app_state(&url, clock).await);
    // One demo admin, whose latest token works and whose earlier one no longer does.
    let barcelona = "/api/v1/staff/offices/barcelona-extranjeria/agenda?date=2027-03-02";
    assert_eq!(status(&app, barcelona, Some(&second)).await, 200);
    assert_eq!(status(&app, barcelona, Some(&first)).await, 401);
    let store = cita::store::connect(&url, &Default::default())
        .await
        .unwrap();
    let mut conn = store
        .sql_pool()
        .expect("an SQL store")
        .acquire()
        .await
        .unwrap();
    let admins: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM staff_users WHERE name = 'demo-admin'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn purge_erases_expired_personal_data_and_says_how_much() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cita.db").display());
    let file = dir.path().join("offices.toml");
    std::fs::write(&file, CONFIG).unwrap();
    assert!(run(&url, &["import", file.to_str().unwrap()]).await.0);
    // An appointment that ended long ago, stored as the booking layer stores them.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO appointments (id, locator, office_id, service_id, desk_id, start_at, end_at, \
         occupied_until, status, sequence, citizen_name, document, document_type, email, phone, \
         created_at, updated_at) VALUES ('a1', '7K3MZQ2D', 'madrid', 'dni', 'p1', 1000, 1600, \
         1600, 'completed', 0, 'Ana García', '12345678Z', 'dni', 'ana@example.es', '600000000', \
         900, 900)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (ok, out, err) = run(&url, &["purge"]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("erased 1 appointments"), "{out}");
    let row: (String, String, Option<String>, String) = sqlx::query_as(
        "SELECT citizen_name, document, email, status FROM appointments WHERE id = 'a1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (String::new(), String::new(), None, "completed".into())
    );
    let (ok, out, _) = run(&url, &["purge"]).await;
    assert!(ok && out.starts_with("erased 0 appointments"), "{out}");
}
