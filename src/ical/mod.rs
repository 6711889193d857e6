//! iCalendar: holiday import from `.ics` files (and, later, appointment export).
