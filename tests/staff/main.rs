//! The staff, admin and feed HTTP API and the `user`/`feed-token` commands, end to end
//! through the real router, on SQLite always and PostgreSQL when `CITA_TEST_POSTGRES_URL`
//! is set. One binary so it links once.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../shared/db.rs"]
mod db;
// The booking tests' harness: `both_backends!`, the offices built in code, time helpers.
#[allow(dead_code)]
#[path = "../booking/common.rs"]
mod common;

mod admin_config;
mod cli;
mod feeds;
mod matrix;
mod staff_routes;
mod support;
