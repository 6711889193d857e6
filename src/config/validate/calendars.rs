//! Holiday calendars: their dates (listed or read from `.ics` files), and the calendars an
//! office names, resolved to the union of their dates.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use super::super::shape::{Field, RawCalendar, RawConfig, RawOffice};
use super::super::{HolidayCalendar, Problems};
use super::fields::{date_set, id, unique};
use super::{Checked, Reported};
use crate::domain::HolidayCalendarId;
use crate::ical::holiday_dates_from_ics;

/// Holiday calendars by id, so offices can resolve theirs.
pub(super) struct Calendars {
    /// Every well-formed id; `None` dates when the calendar itself had a problem.
    dates: HashMap<String, Option<BTreeSet<NaiveDate>>>,
    /// False when some calendar's id could not be read: then an "unknown calendar" may just
    /// be that one, so it is not reported again.
    complete: bool,
    pub(super) list: Checked<Vec<HolidayCalendar>>,
}

pub(super) fn calendars(
    p: &mut Problems,
    raw: &RawConfig,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Calendars {
    let mut out = Calendars {
        dates: HashMap::new(),
        complete: !matches!(raw.calendars, Field::Bad),
        list: Ok(Vec::new()),
    };
    let Some(list) = raw.calendars.given() else {
        return out;
    };
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    let mut ok = true;
    for c in list.get_ref() {
        let well_formed = id(p, &c.id, &c.label, "holiday calendar", &c.span);
        if well_formed.is_err() {
            out.complete = false;
        }
        let id = well_formed.and_then(|id| unique(p, &mut seen, id, "holiday calendar"));
        let dates = calendar_dates(p, c, read_file);
        if let Ok(id) = &id {
            out.dates
                .insert(id.get_ref().clone(), dates.as_ref().ok().cloned());
        }
        match (id, dates) {
            (Ok(id), Ok(dates)) => built.push(HolidayCalendar {
                id: HolidayCalendarId::new(id.get_ref().as_str()),
                dates,
            }),
            _ => ok = false,
        }
    }
    out.list = if ok { Ok(built) } else { Err(Reported) };
    out
}

fn calendar_dates(
    p: &mut Problems,
    c: &RawCalendar,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Checked<BTreeSet<NaiveDate>> {
    match (&c.dates, &c.ics) {
        (Field::Given(_), Field::Given(_)) => {
            p.at(
                &c.span,
                format!("{} has both dates and ics; give one of them", c.label),
            );
            Err(Reported)
        }
        (Field::Missing, Field::Missing) => {
            p.at(
                &c.span,
                format!(
                    "{} needs dates = [\"YYYY-MM-DD\", …] or ics = \"file.ics\"",
                    c.label
                ),
            );
            Err(Reported)
        }
        (Field::Given(dates), _) => {
            date_set(p, dates, &c.label, "dates").map(|d| d.into_keys().collect())
        }
        (_, Field::Given(path)) => {
            let at = path.span();
            let path = path.get_ref();
            let text = read_file(path).map_err(|e| {
                p.at(&at, format!("{}: cannot read {path:?}: {e}", c.label));
                Reported
            })?;
            holiday_dates_from_ics(&text).map_err(|e| {
                p.at(&at, format!("{}: {path:?} was refused: {e}", c.label));
                Reported
            })
        }
        _ => Err(Reported),
    }
}

/// The office's calendar ids and the union of their dates.
pub(super) fn holiday_refs(
    p: &mut Problems,
    o: &RawOffice,
    calendars: &Calendars,
) -> Checked<(Vec<HolidayCalendarId>, BTreeSet<NaiveDate>)> {
    let refs = match &o.holiday_calendars {
        Field::Given(refs) => refs.get_ref(),
        Field::Missing => return Ok((Vec::new(), BTreeSet::new())),
        Field::Bad => return Err(Reported),
    };
    let mut ids = Vec::new();
    let mut dates = BTreeSet::new();
    let mut ok = true;
    for r in refs {
        match calendars.dates.get(r.get_ref()) {
            Some(Some(calendar)) => {
                ids.push(HolidayCalendarId::new(r.get_ref().as_str()));
                dates.extend(calendar.iter().copied());
            }
            // The calendar exists but has its own problem, already reported.
            Some(None) => ok = false,
            None => {
                ok = false;
                if calendars.complete {
                    p.at(
                        &r.span(),
                        format!(
                            "{} names unknown holiday calendar {:?}",
                            o.label,
                            r.get_ref()
                        ),
                    );
                }
            }
        }
    }
    if ok { Ok((ids, dates)) } else { Err(Reported) }
}
