//! End-to-end HTTP tests on the real router (`tower::ServiceExt::oneshot`), with the demo
//! offices, on SQLite always and on PostgreSQL when `CITA_TEST_POSTGRES_URL` is set; plus
//! a smoke test of the built `cita` binary. One binary so it links once.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod abuse;
mod availability_cache;
mod binary;
mod book;
mod browse;
mod citizen_calendar;
mod common;
#[path = "../shared/db.rs"]
mod db;
mod draws;
mod fairness;
mod fuzz;
mod ics_clients;
mod mail_sink;
mod manage;
#[path = "../support/mutations.rs"]
mod mutations;
mod never_lies;
mod notifications;
mod ops;
mod outage;
mod privacy;
mod quotas;
mod releases;
mod rooms;
mod shared_limits;
mod staff_config_page;
mod staff_office_pages;
mod staff_pages;
mod surge;
mod waiting;
mod web;
mod webhooks;
mod worker_process;
