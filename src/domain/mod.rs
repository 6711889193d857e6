//! Plain types and rules of the booking domain. No I/O, no async, no database.

pub mod appointment;
pub mod document;
pub mod hours;
pub mod ids;
pub mod locator;
pub mod office;
pub mod release;

pub use appointment::{
    Appointment, AppointmentFigures, MESSAGE_LANGUAGES, Status, Transition, TransitionError,
};
pub use document::{Document, DocumentError, DocumentType};
pub use hours::{DateException, ExceptionHours, MonthDay, OpeningRule, Season, WallTime, Weekdays};
pub use ids::{DeskId, HolidayCalendarId, OfficeId, ServiceId};
pub use locator::{Locator, LocatorError};
pub use office::{Desk, Office, Service, StaffShare};
pub use release::{DrawRules, Release, RoomRules};
