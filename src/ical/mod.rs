//! iCalendar: appointment and feed export to `.ics`, and holiday import from `.ics` files.

pub mod export;
pub mod holidays;

pub use export::{EventInput, appointment_calendar, feed_calendar, feed_etag};
pub use holidays::{IcsEventProblem, IcsHolidayError, holiday_dates_from_ics};
