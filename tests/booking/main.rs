//! The booking use cases against real databases: SQLite always, PostgreSQL when
//! `CITA_TEST_POSTGRES_URL` is set; and against a fake one that is down (`down`). One
//! binary so it links once.

// Test code: a failed setup step should stop the test loudly; children report on stdout.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout
)]

mod batches;
mod common;
mod concurrency;
#[path = "../shared/db.rs"]
mod db;
mod down;
mod draw_resume;
mod processes;
mod use_cases;
