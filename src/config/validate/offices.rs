//! An office as a whole: its id, texts and time zone, with its hours, services and desks
//! checked by the sibling modules and put together here.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use toml::Spanned;

use super::super::Problems;
use super::super::shape::{Field, RawConfig, RawOffice, Span};
use super::calendars::{Calendars, holiday_refs};
use super::desks::{desks, office_without_hours};
use super::fields::{date_set, id, optional_text, required, text, unique};
use super::hours::{exceptions, opening_rules};
use super::releases::attach_releases;
use super::services::{SharedServices, services};
use super::{Checked, Reported};
use crate::domain::{Office, OfficeId};

pub(super) fn offices(
    p: &mut Problems,
    raw: &RawConfig,
    calendars: &Calendars,
) -> Checked<Vec<Office>> {
    let list = match &raw.offices {
        Field::Given(list) if !list.get_ref().is_empty() => list.get_ref(),
        Field::Bad => return Err(Reported),
        _ => {
            p.at(
                &(0..0),
                "the configuration defines no offices; add at least one [[office]]",
            );
            return Err(Reported);
        }
    };
    let mut seen = HashMap::new();
    let mut shared = SharedServices::default();
    let mut built = Vec::new();
    let mut ok = true;
    for o in list {
        let unique_id = id(p, &o.id, &o.label, "office", &o.span)
            .and_then(|id| unique(p, &mut seen, id, "office"));
        match office(p, o, unique_id, calendars, &mut shared) {
            Ok(office) => built.push(office),
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(built) } else { Err(Reported) }
}

fn office(
    p: &mut Problems,
    o: &RawOffice,
    id: Checked<&Spanned<String>>,
    calendars: &Calendars,
    shared: &mut SharedServices,
) -> Checked<Office> {
    let label = &o.label;
    let name = text(p, &o.name, label, "name", &o.span);
    let timezone = timezone(p, &o.timezone, label, &o.span);
    let address = text(p, &o.address, label, "address", &o.span);
    let municipality = optional_text(p, &o.municipality, label, "municipality", 100);
    let province = optional_text(p, &o.province, label, "province", 100);
    let holidays = holiday_refs(p, o, calendars);
    let closed_dates = match &o.closed_dates {
        Field::Given(dates) => date_set(p, dates, label, "closed_dates"),
        Field::Missing => Ok(BTreeMap::new()),
        Field::Bad => Err(Reported),
    };
    let hours = match &o.hours {
        Field::Given(rules) => opening_rules(p, rules.get_ref()),
        Field::Missing => Ok(Vec::new()),
        Field::Bad => Err(Reported),
    };
    let exceptions = exceptions(p, o, closed_dates.as_ref().ok());
    let services = services(p, o, shared);
    let desks = desks(p, o, &services);
    if let Field::Given(list) = &o.desks {
        office_without_hours(p, o, list.get_ref());
    }
    let built = services.built.and_then(|mut list| {
        attach_releases(p, o, &mut list)?;
        Ok(list)
    });

    let (
        Ok(id),
        Ok(name),
        Ok(timezone),
        Ok(address),
        Ok((holiday_calendars, holidays)),
        Ok(closed_dates),
        Ok(hours),
        Ok(exceptions),
        Ok(services),
        Ok(desks),
        Ok(municipality),
        Ok(province),
    ) = (
        id,
        name,
        timezone,
        address,
        holidays,
        closed_dates,
        hours,
        exceptions,
        built,
        desks,
        municipality,
        province,
    )
    else {
        return Err(Reported);
    };
    Ok(Office {
        id: OfficeId::new(id.get_ref().as_str()),
        name,
        timezone,
        address,
        municipality,
        province,
        holiday_calendars,
        holidays,
        closed_dates: closed_dates.into_keys().collect(),
        hours,
        exceptions,
        services,
        desks,
    })
}

fn timezone(p: &mut Problems, f: &Field<String>, label: &str, table: &Span) -> Checked<Tz> {
    let zone = required(p, f, label, "timezone", table)?;
    let name = zone.get_ref().trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let hint = match chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
    {
        Some(tz) => format!("did you mean {:?}?", tz.name()),
        None => "use an IANA name such as \"Europe/Madrid\" or \"Atlantic/Canary\"".to_owned(),
    };
    p.at(
        &zone.span(),
        format!("{label}: unknown time zone {:?} ({hint})", zone.get_ref()),
    );
    Err(Reported)
}
