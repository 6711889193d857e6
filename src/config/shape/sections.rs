//! One reader per kind of table (`[[holiday_calendar]]`, `[[office]]` and the tables
//! inside it, `[booking]`, `[privacy]`), each checking its keys against the parent
//! module's list for that table.

use toml::de::{DeTable, DeValue};

use super::super::Problems;
use super::values::{
    boolean, date, integer, integers, label_of, list, string, tables, unknown_key,
};
use super::{
    BOOKING_KEYS, CALENDAR_KEYS, DESK_KEYS, EXCEPTION_KEYS, HOURS_KEYS, OFFICE_KEYS, PRIVACY_KEYS,
    RELEASE_KEYS, RawBooking, RawCalendar, RawDesk, RawException, RawHours, RawOffice, RawPrivacy,
    RawRelease, RawService, SERVICE_KEYS, Span,
};

pub(super) fn read_calendar(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawCalendar {
    let mut c = RawCalendar {
        label: label_of(t, "holiday calendar", "id"),
        span,
        ..RawCalendar::default()
    };
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "id" => c.id = string(p, v, &c.label, "id"),
            "dates" => c.dates = list(p, v, &c.label, "dates", date),
            "ics" => c.ics = string(p, v, &c.label, "ics"),
            other => unknown_key(p, key, other, &c.label, CALENDAR_KEYS),
        }
    }
    c
}

pub(super) fn read_office(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawOffice {
    let mut o = RawOffice {
        label: label_of(t, "office", "id"),
        span,
        ..RawOffice::default()
    };
    for (key, v) in t.iter() {
        let l = &o.label;
        match key.get_ref().as_ref() {
            "id" => o.id = string(p, v, l, "id"),
            "name" => o.name = string(p, v, l, "name"),
            "timezone" => o.timezone = string(p, v, l, "timezone"),
            "address" => o.address = string(p, v, l, "address"),
            "municipality" => o.municipality = string(p, v, l, "municipality"),
            "province" => o.province = string(p, v, l, "province"),
            "holiday_calendars" => o.holiday_calendars = list(p, v, l, "holiday_calendars", string),
            "closed_dates" => o.closed_dates = list(p, v, l, "closed_dates", date),
            "hours" => {
                let hours_label = format!("{l} opening hours");
                o.hours = tables(p, v, l, "office.hours", |p, t, span| {
                    read_hours(p, t, span, hours_label.clone())
                });
            }
            "exception" => o.exceptions = tables(p, v, l, "office.exception", read_exception),
            "service" => o.services = tables(p, v, l, "office.service", read_service),
            "desk" => o.desks = tables(p, v, l, "office.desk", read_desk),
            "release" => o.releases = tables(p, v, l, "office.release", read_release),
            other => unknown_key(p, key, other, l, OFFICE_KEYS),
        }
    }
    o
}

fn read_hours(p: &mut Problems, t: &DeTable<'_>, span: Span, label: String) -> RawHours {
    let mut h = RawHours {
        label,
        span,
        ..RawHours::default()
    };
    for (key, v) in t.iter() {
        let l = &h.label;
        match key.get_ref().as_ref() {
            "days" => h.days = list(p, v, l, "days", string),
            "open" => h.open = string(p, v, l, "open"),
            "close" => h.close = string(p, v, l, "close"),
            "from" => h.from = string(p, v, l, "from"),
            "to" => h.to = string(p, v, l, "to"),
            other => unknown_key(p, key, other, l, HOURS_KEYS),
        }
    }
    h
}

fn read_exception(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawException {
    let label = match t.get("date").map(|v| v.get_ref()) {
        Some(DeValue::String(date)) => format!("exception on {date}"),
        Some(DeValue::Datetime(date)) => format!("exception on {date}"),
        _ => "exception".to_owned(),
    };
    let mut e = RawException {
        label,
        span,
        ..RawException::default()
    };
    for (key, v) in t.iter() {
        let l = &e.label;
        match key.get_ref().as_ref() {
            "date" => e.date = date(p, v, l, "date"),
            "open" => e.open = string(p, v, l, "open"),
            "close" => e.close = string(p, v, l, "close"),
            "closed" => e.closed = boolean(p, v, l, "closed"),
            other => unknown_key(p, key, other, l, EXCEPTION_KEYS),
        }
    }
    e
}

fn read_service(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawService {
    let mut s = RawService {
        label: label_of(t, "service", "id"),
        span,
        ..RawService::default()
    };
    for (key, v) in t.iter() {
        let l = &s.label;
        match key.get_ref().as_ref() {
            "id" => s.id = string(p, v, l, "id"),
            "name" => s.name = string(p, v, l, "name"),
            "duration_minutes" => s.duration_minutes = integer(p, v, l, "duration_minutes"),
            "buffer_minutes" => s.buffer_minutes = integer(p, v, l, "buffer_minutes"),
            "step_minutes" => s.step_minutes = integer(p, v, l, "step_minutes"),
            "min_notice_minutes" => s.min_notice_minutes = integer(p, v, l, "min_notice_minutes"),
            "max_advance_days" => s.max_advance_days = integer(p, v, l, "max_advance_days"),
            "max_active_per_citizen" => {
                s.max_active_per_citizen = integer(p, v, l, "max_active_per_citizen");
            }
            "max_reschedules" => s.max_reschedules = integer(p, v, l, "max_reschedules"),
            "cancelled_return_minutes" => {
                s.cancelled_return_minutes = integer(p, v, l, "cancelled_return_minutes");
            }
            "no_show_cool_off_days" => {
                s.no_show_cool_off_days = integer(p, v, l, "no_show_cool_off_days");
            }
            "max_cancellations" => s.max_cancellations = integer(p, v, l, "max_cancellations"),
            "cancellations_window_days" => {
                s.cancellations_window_days = integer(p, v, l, "cancellations_window_days");
            }
            "staff_share_percent" => {
                s.staff_share_percent = integer(p, v, l, "staff_share_percent");
            }
            "staff_share_until_hours" => {
                s.staff_share_until_hours = integer(p, v, l, "staff_share_until_hours");
            }
            "description" => s.description = string(p, v, l, "description"),
            "requirements" => s.requirements = list(p, v, l, "requirements", string),
            other => unknown_key(p, key, other, l, SERVICE_KEYS),
        }
    }
    s
}

fn read_release(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawRelease {
    let mut r = RawRelease {
        label: label_of(t, "release of", "service"),
        span,
        ..RawRelease::default()
    };
    for (key, v) in t.iter() {
        let l = &r.label;
        match key.get_ref().as_ref() {
            "service" => r.service = string(p, v, l, "service"),
            "at" => r.at = string(p, v, l, "at"),
            "days" => r.days = list(p, v, l, "days", string),
            "opens" => r.opens = string(p, v, l, "opens"),
            "draw" => r.draw = boolean(p, v, l, "draw"),
            "entries_open_hours" => {
                r.entries_open_hours = integer(p, v, l, "entries_open_hours");
            }
            "entries_close_minutes" => {
                r.entries_close_minutes = integer(p, v, l, "entries_close_minutes");
            }
            "priority_to_unlucky" => {
                r.priority_to_unlucky = boolean(p, v, l, "priority_to_unlucky");
            }
            "waiting_room" => r.waiting_room = boolean(p, v, l, "waiting_room"),
            "room_opens_minutes" => {
                r.room_opens_minutes = integer(p, v, l, "room_opens_minutes");
            }
            "admit_per_minute" => r.admit_per_minute = integer(p, v, l, "admit_per_minute"),
            "room_closes_minutes" => {
                r.room_closes_minutes = integer(p, v, l, "room_closes_minutes");
            }
            other => unknown_key(p, key, other, l, RELEASE_KEYS),
        }
    }
    r
}

fn read_desk(p: &mut Problems, t: &DeTable<'_>, span: Span) -> RawDesk {
    let mut d = RawDesk {
        label: label_of(t, "desk", "id"),
        span,
        ..RawDesk::default()
    };
    for (key, v) in t.iter() {
        let l = &d.label;
        match key.get_ref().as_ref() {
            "id" => d.id = string(p, v, l, "id"),
            "services" => d.services = list(p, v, l, "services", string),
            "hours" => {
                let hours_label = format!("{l} opening hours");
                d.hours = tables(p, v, l, "office.desk.hours", |p, t, span| {
                    read_hours(p, t, span, hours_label.clone())
                });
            }
            other => unknown_key(p, key, other, l, DESK_KEYS),
        }
    }
    d
}

pub(super) fn read_booking(p: &mut Problems, t: &DeTable<'_>) -> RawBooking {
    let mut b = RawBooking::default();
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "hold_ttl_seconds" => {
                b.hold_ttl_seconds = integer(p, v, "[booking]", "hold_ttl_seconds")
            }
            "reminder_hours" => b.reminder_hours = integers(p, v, "[booking]", "reminder_hours"),
            other => unknown_key(p, key, other, "[booking]", BOOKING_KEYS),
        }
    }
    b
}

pub(super) fn read_privacy(p: &mut Problems, t: &DeTable<'_>) -> RawPrivacy {
    let mut privacy = RawPrivacy::default();
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "retain_personal_data_days" => {
                privacy.retain_personal_data_days =
                    integer(p, v, "[privacy]", "retain_personal_data_days")
            }
            other => unknown_key(p, key, other, "[privacy]", PRIVACY_KEYS),
        }
    }
    privacy
}
