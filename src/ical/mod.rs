//! iCalendar: holiday import from `.ics` files (and, later, appointment export).

pub mod holidays;

pub use holidays::{IcsEventProblem, IcsHolidayError, holiday_dates_from_ics};
