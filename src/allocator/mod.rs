//! The constraint-based slot allocator (DESIGN §3). Pure and deterministic.

pub mod snapshot;

pub use snapshot::{Booked, DeskDay, DeskSchedule, Snapshot};
