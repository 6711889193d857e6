//! The staff API (DESIGN §6 "Staff"): an office's agenda, status changes, walk-in and phone
//! bookings, and closures. Every route needs a staff token
//! ([`StaffUser`](super::auth::StaffUser)); managers and agents reach only their own
//! office (403 otherwise), agents cannot close offices.
//!
//! Status changes answer the appointment as the public API shows it; the agenda shows
//! every status, so staff see cancellations and no-shows too.

mod agenda;
mod closures;
mod status;
mod walk_in;

// Whole modules, so that the `__path_*` items utoipa generates for each handler (named by
// the document below and the route table as `staff::handler`) come along.
pub use agenda::*;
pub use closures::*;
pub use status::*;
pub use walk_in::*;

/// The staff operations, merged into the API document (`openapi.rs`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(get_agenda, check_in, undo_check_in, complete, no_show, cancel, book_walk_in, close_office),
    tags((name = "staff", description = "Office staff: agenda, status changes, walk-ins, closures"))
)]
pub struct StaffApi;
