//! Shared by the integration suites: a fresh database per test — a temporary SQLite file
//! always, a new PostgreSQL database when `CITA_TEST_POSTGRES_URL` is set (dropped
//! afterwards), with a visible notice when it is not — and valid test documents.

pub const PG_ENV: &str = "CITA_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// One test's database; a PostgreSQL database is dropped when this is dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_admin.take() {
            // Runs outside the test's runtime, which may be shutting down.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&pool)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// `None` (with a notice) when the PostgreSQL part is not configured.
pub async fn test_db(db: Db) -> Option<TestDb> {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("cita.db").display());
            Some(TestDb {
                url,
                _dir: Some(dir),
                pg_admin: None,
            })
        }
        Db::Postgres => {
            let Ok(admin) = std::env::var(PG_ENV) else {
                eprintln!("NOTICE: {PG_ENV} is not set; skipping the PostgreSQL run of this test");
                return None;
            };
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
            let name = format!("cita_test_{}", cita::booking::secrets::random_id());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let url = replace_database(&admin, &name);
            Some(TestDb {
                url,
                _dir: None,
                pg_admin: Some((admin, name)),
            })
        }
    }
}

/// The same server URL with another database name.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_end..]
        .find('/')
        .map(|i| i + authority_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A valid DNI for a number.
pub fn dni(n: u32) -> String {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    format!("{n:08}{}", LETTERS[(n % 23) as usize] as char)
}
