//! `[[office.release]]`: when a procedure's appointments are released, attached to the
//! office's services once those are built.

use super::super::Problems;
use super::super::shape::{Field, RawOffice, RawRelease};
use super::fields::{number, required};
use super::hours::{wall_time, weekdays};
use super::{Checked, Reported};
use crate::domain::{DrawRules, Release, RoomRules, Service};

/// Adds each release to the service it names.
pub(super) fn attach_releases(
    p: &mut Problems,
    o: &RawOffice,
    services: &mut [Service],
) -> Checked<()> {
    let list = match &o.releases {
        Field::Given(list) => list.get_ref(),
        Field::Missing => return Ok(()),
        Field::Bad => return Err(Reported),
    };
    let mut ok = true;
    for raw in list {
        match release(p, raw, services) {
            Ok((ix, release)) => services[ix].releases.push(release),
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(()) } else { Err(Reported) }
}

/// One release, with the position of its service.
fn release(p: &mut Problems, r: &RawRelease, services: &[Service]) -> Checked<(usize, Release)> {
    let label = &r.label;
    let service = required(p, &r.service, label, "service", &r.span);
    let days = weekdays(p, &r.days, label, &r.span);
    let at = wall_time(p, &r.at, label, "at", &r.span);
    let opens = required(p, &r.opens, label, "opens", &r.span);
    let service = service.and_then(|id| {
        let found = services
            .iter()
            .position(|s| s.id.as_str() == id.get_ref().trim());
        if found.is_none() {
            p.at(
                &id.span(),
                format!(
                    "{label}: service {:?} is not a service of this office",
                    id.get_ref()
                ),
            );
        }
        found.ok_or(Reported)
    });
    let range = opens.and_then(|text| {
        let parsed = Release::parse_opens(text.get_ref());
        if parsed.is_none() {
            p.at(
                &text.span(),
                format!(
                    "{label}: opens {:?} is not a range of days after the release such as \
                     \"D+14..D+20\"",
                    text.get_ref()
                ),
            );
        }
        parsed.ok_or(Reported)
    });
    let draw = draw_rules(p, r);
    let room = room_rules(p, r);
    let (ix, (first, last), days, at, draw, room) = (service?, range?, days?, at?, draw?, room?);
    if draw.is_some() && room.is_some() {
        p.at(
            &r.span,
            format!(
                "{label}: a draw and a waiting room do not go together: a draw already \
                 makes arriving first worthless; choose one"
            ),
        );
        return Err(Reported);
    }
    let max_advance = services[ix].max_advance_days;
    if last > max_advance {
        let span = r.opens.given().map_or(r.span.clone(), |v| v.span());
        p.at(
            &span,
            format!(
                "{label}: opens reaches D+{last}, past the service's max_advance_days \
                 ({max_advance}): those dates could never be booked"
            ),
        );
        return Err(Reported);
    }
    Ok((
        ix,
        Release {
            days,
            at: at.into_inner(),
            first,
            last,
            draw,
            room,
        },
    ))
}

/// The waiting room of a release: `None` unless `waiting_room = true`; its settings are
/// refused without it.
fn room_rules(p: &mut Problems, r: &RawRelease) -> Checked<Option<RoomRules>> {
    let label = &r.label;
    let room = match &r.waiting_room {
        Field::Given(v) => *v.get_ref(),
        Field::Missing => false,
        Field::Bad => return Err(Reported),
    };
    if !room {
        let stray = [
            ("room_opens_minutes", r.room_opens_minutes.is_missing()),
            ("admit_per_minute", r.admit_per_minute.is_missing()),
            ("room_closes_minutes", r.room_closes_minutes.is_missing()),
        ]
        .into_iter()
        .find(|(_, missing)| !missing);
        if let Some((key, _)) = stray {
            p.at(
                &r.span,
                format!(
                    "{label}: {key} is a setting of a waiting room; add waiting_room = true or remove it"
                ),
            );
            return Err(Reported);
        }
        return Ok(None);
    }
    let defaults = RoomRules::default();
    let opens = number(
        p,
        &r.room_opens_minutes,
        label,
        "room_opens_minutes",
        1..=24 * 60,
        Some(defaults.opens_minutes),
        &r.span,
    );
    let rate = number(
        p,
        &r.admit_per_minute,
        label,
        "admit_per_minute",
        1..=1_000_000,
        Some(defaults.admit_per_minute),
        &r.span,
    );
    let closes = number(
        p,
        &r.room_closes_minutes,
        label,
        "room_closes_minutes",
        1..=24 * 60,
        Some(defaults.closes_minutes),
        &r.span,
    );
    Ok(Some(RoomRules {
        opens_minutes: opens?,
        admit_per_minute: rate?,
        closes_minutes: closes?,
    }))
}

/// The draw settings of a release: `None` unless `draw = true`; the entry settings are
/// refused on a release without a draw (they would silently do nothing).
fn draw_rules(p: &mut Problems, r: &RawRelease) -> Checked<Option<DrawRules>> {
    let label = &r.label;
    let draw = match &r.draw {
        Field::Given(v) => *v.get_ref(),
        Field::Missing => false,
        Field::Bad => return Err(Reported),
    };
    let defaults = DrawRules::default();
    if !draw {
        let stray = [
            ("entries_open_hours", r.entries_open_hours.is_missing()),
            (
                "entries_close_minutes",
                r.entries_close_minutes.is_missing(),
            ),
            ("priority_to_unlucky", r.priority_to_unlucky.is_missing()),
        ]
        .into_iter()
        .find(|(_, missing)| !missing);
        if let Some((key, _)) = stray {
            p.at(
                &r.span,
                format!("{label}: {key} is a setting of a draw; add draw = true or remove it"),
            );
            return Err(Reported);
        }
        return Ok(None);
    }
    // Entries open at most four weeks ahead, and close at least a minute before.
    let open = number(
        p,
        &r.entries_open_hours,
        label,
        "entries_open_hours",
        1..=24 * 28,
        Some(defaults.entries_open_hours),
        &r.span,
    );
    let close = number(
        p,
        &r.entries_close_minutes,
        label,
        "entries_close_minutes",
        1..=24 * 60 * 7,
        Some(defaults.entries_close_minutes),
        &r.span,
    );
    let priority = match &r.priority_to_unlucky {
        Field::Given(v) => *v.get_ref(),
        Field::Missing => defaults.priority_to_unlucky,
        Field::Bad => return Err(Reported),
    };
    let (open, close) = (open?, close?);
    if close >= open * 60 {
        p.at(
            &r.span,
            format!(
                "{label}: entries would close ({close} minutes before the draw) before they \
                 open ({open} hours before it)"
            ),
        );
        return Err(Reported);
    }
    Ok(Some(DrawRules {
        entries_open_hours: open,
        entries_close_minutes: close,
        priority_to_unlucky: priority,
    }))
}
