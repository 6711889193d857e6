//! cita: an appointment-booking engine for public offices ("cita previa").
//!
//! Data flows one way: HTTP/CLI -> booking -> (draw, allocator, store). `domain`,
//! `calendar`, `allocator` and `draw` are pure: no I/O, no async runtime, no database.

pub mod allocator;
pub mod app;
pub mod booking;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod domain;
pub mod draw;
pub mod http;
pub mod ical;
#[cfg(test)]
mod layering_tests;
pub mod limits;
pub mod notify;
pub mod store;
pub mod web;
