//! iCalendar: appointment and feed export to `.ics`, and holiday import from `.ics` files.

pub mod export;
pub mod holidays;

pub use export::{
    EventInput, InvitationParties, ItipMethod, appointment_calendar, feed_calendar, feed_etag,
    invitation_calendar,
};
pub use holidays::{IcsEventProblem, IcsHolidayError, holiday_dates_from_ics};
