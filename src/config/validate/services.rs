//! Services: durations, buffers, steps, notice and advance limits, and what must agree
//! between offices offering the same service.

use std::collections::HashMap;

use toml::Spanned;

use super::super::Problems;
use super::super::shape::{Field, RawOffice, RawService, Span};
use super::fields::{id, number, optional_number, optional_text, text, unique};
use super::{Checked, MAX_ADVANCE_DAYS, MINUTES_PER_DAY, Reported};
use crate::domain::{Service, ServiceId, StaffShare};

/// Facts about services that must agree across offices.
#[derive(Default)]
pub(super) struct SharedServices {
    /// Service id -> (max_active_per_citizen, where it was set, which office).
    max_active: HashMap<String, (u32, Span, String)>,
}

/// The office's services, plus what desks need to check their references.
pub(super) struct Services {
    pub(super) built: Checked<Vec<Service>>,
    /// Ids that read well, with their spans.
    pub(super) ids: Vec<Spanned<String>>,
    /// False when some service id could not be read.
    pub(super) complete: bool,
}

pub(super) fn services(p: &mut Problems, o: &RawOffice, shared: &mut SharedServices) -> Services {
    let list = match &o.services {
        Field::Given(list) => list.get_ref().as_slice(),
        Field::Missing => &[],
        Field::Bad => {
            return Services {
                built: Err(Reported),
                ids: Vec::new(),
                complete: false,
            };
        }
    };
    let mut out = Services {
        built: Ok(Vec::new()),
        ids: Vec::new(),
        complete: true,
    };
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    for s in list {
        let id = id(p, &s.id, &s.label, "service", &s.span);
        match &id {
            Ok(id) => out.ids.push(Spanned::new(id.span(), id.get_ref().clone())),
            Err(Reported) => out.complete = false,
        }
        let id = id.and_then(|id| unique(p, &mut seen, id, "service"));
        match service(p, s, id, &o.label, shared) {
            Ok(service) => built.push(service),
            Err(Reported) => out.built = Err(Reported),
        }
    }
    if out.built.is_ok() {
        out.built = Ok(built);
    }
    out
}

fn service(
    p: &mut Problems,
    s: &RawService,
    id: Checked<&Spanned<String>>,
    office: &str,
    shared: &mut SharedServices,
) -> Checked<Service> {
    let l = &s.label;
    let at = &s.span;
    let name = text(p, &s.name, l, "name", at);
    let duration = number(
        p,
        &s.duration_minutes,
        l,
        "duration_minutes",
        1..=MINUTES_PER_DAY,
        None,
        at,
    );
    let buffer = number(
        p,
        &s.buffer_minutes,
        l,
        "buffer_minutes",
        0..=MINUTES_PER_DAY,
        Some(0),
        at,
    );
    let step = match &duration {
        Ok(duration) => number(
            p,
            &s.step_minutes,
            l,
            "step_minutes",
            1..=MINUTES_PER_DAY,
            Some(*duration),
            at,
        ),
        Err(Reported) => Err(Reported),
    };
    let min_notice = number(
        p,
        &s.min_notice_minutes,
        l,
        "min_notice_minutes",
        0..=MAX_ADVANCE_DAYS * MINUTES_PER_DAY,
        Some(0),
        at,
    );
    let max_advance = number(
        p,
        &s.max_advance_days,
        l,
        "max_advance_days",
        0..=MAX_ADVANCE_DAYS,
        Some(60),
        at,
    );
    let max_active = number(
        p,
        &s.max_active_per_citizen,
        l,
        "max_active_per_citizen",
        1..=u32::MAX,
        Some(1),
        at,
    );
    let cancelled_return = optional_number(
        p,
        &s.cancelled_return_minutes,
        l,
        "cancelled_return_minutes",
        0..=MINUTES_PER_DAY,
    );
    let cool_off = number(
        p,
        &s.no_show_cool_off_days,
        l,
        "no_show_cool_off_days",
        0..=MAX_ADVANCE_DAYS,
        Some(0),
        at,
    );
    let max_cancellations = optional_number(
        p,
        &s.max_cancellations,
        l,
        "max_cancellations",
        1..=u32::MAX,
    );
    let cancellations_window = number(
        p,
        &s.cancellations_window_days,
        l,
        "cancellations_window_days",
        1..=MAX_ADVANCE_DAYS,
        Some(30),
        at,
    );
    let staff_share = staff_share(p, s);
    let max_reschedules = number(
        p,
        &s.max_reschedules,
        l,
        "max_reschedules",
        0..=u32::MAX,
        Some(2),
        at,
    );

    if let (Ok(duration), Ok(buffer)) = (&duration, &buffer)
        && duration + buffer > MINUTES_PER_DAY
    {
        p.at(
            at,
            format!(
                "{l}: duration_minutes + buffer_minutes is {} minutes, longer than a day",
                duration + buffer
            ),
        );
        return Err(Reported);
    }
    // The latest bookable start is before the end of the day `advance` days ahead.
    if let (Ok(notice), Ok(advance)) = (&min_notice, &max_advance)
        && *notice >= (advance + 1) * MINUTES_PER_DAY
    {
        let span = s
            .min_notice_minutes
            .given()
            .map_or(at.clone(), |v| v.span());
        p.at(
            &span,
            format!(
                "{l}: min_notice_minutes {notice} reaches past max_advance_days {advance}, so nothing could ever be booked"
            ),
        );
        return Err(Reported);
    }
    if let (Ok(limit), Ok(id)) = (&max_active, &id) {
        let span = s
            .max_active_per_citizen
            .given()
            .map_or(id.span(), |v| v.span());
        match shared.max_active.get(id.get_ref()) {
            Some((other, first, other_office)) if other != limit => {
                let line = p.line(first.start);
                p.at(
                    &span,
                    format!(
                        "{l} allows {limit} active appointment(s) per citizen here but {other} in {other_office} (line {line}); the same service id is one procedure and its limit counts across offices, so they must agree"
                    ),
                );
                return Err(Reported);
            }
            Some(_) => {}
            None => {
                shared
                    .max_active
                    .insert(id.get_ref().clone(), (*limit, span, office.to_owned()));
            }
        }
    }

    let description = optional_text(p, &s.description, l, "description", 1000);
    let requirements = match &s.requirements {
        Field::Given(items) => items
            .get_ref()
            .iter()
            .map(|item| {
                let text = item.get_ref().trim();
                if text.is_empty() || text.chars().count() > 300 {
                    p.at(
                        &item.span(),
                        format!("{l}: each of requirements must be 1 to 300 characters"),
                    );
                    Err(Reported)
                } else {
                    Ok(text.to_owned())
                }
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Checked<Vec<String>>>(),
        Field::Missing => Ok(Vec::new()),
        Field::Bad => Err(Reported),
    };
    let id = id?;
    Ok(Service {
        id: ServiceId::new(id.get_ref().as_str()),
        description: description?,
        requirements: requirements?,
        name: name?,
        duration_minutes: duration?,
        buffer_minutes: buffer?,
        step_minutes: step?,
        min_notice_minutes: min_notice?,
        max_advance_days: max_advance?,
        max_active_per_citizen: max_active?,
        max_reschedules: max_reschedules?,
        // Attached by `releases` once every service of the office is built.
        releases: Vec::new(),
        pending_draws: Vec::new(),
        cancelled_return_minutes: cancelled_return?,
        no_show_cool_off_days: cool_off?,
        max_cancellations: max_cancellations?,
        cancellations_window_days: cancellations_window?,
        staff_share: staff_share?,
    })
}

/// `staff_share_percent` (1–100) and its lead time `staff_share_until_hours` (default 48,
/// at most a year): the lead time alone means nothing and is refused.
fn staff_share(p: &mut Problems, s: &RawService) -> Checked<Option<StaffShare>> {
    let l = &s.label;
    let percent = optional_number(p, &s.staff_share_percent, l, "staff_share_percent", 1..=100);
    let until = optional_number(
        p,
        &s.staff_share_until_hours,
        l,
        "staff_share_until_hours",
        0..=MAX_ADVANCE_DAYS * 24,
    );
    match (percent?, until?) {
        (Some(percent), until) => Ok(Some(StaffShare {
            percent,
            until_hours: until.unwrap_or(48),
        })),
        (None, Some(_)) => {
            let span = s
                .staff_share_until_hours
                .given()
                .map_or(s.span.clone(), |v| v.span());
            p.at(
                &span,
                format!("{l}: staff_share_until_hours needs staff_share_percent"),
            );
            Err(Reported)
        }
        (None, None) => Ok(None),
    }
}
