//! Desks: the services each offers (which must exist in its office), its own hours, and
//! the desk count an office may have.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::super::Problems;
use super::super::shape::{Field, RawDesk, RawOffice};
use super::fields::{id, required, unique};
use super::hours::opening_rules;
use super::services::Services;
use super::{Checked, MAX_DESKS_PER_OFFICE, Reported};
use crate::domain::{Desk, DeskId, ServiceId};

pub(super) fn desks(p: &mut Problems, o: &RawOffice, services: &Services) -> Checked<Vec<Desk>> {
    let list = match &o.desks {
        Field::Given(list) if !list.get_ref().is_empty() => list.get_ref(),
        Field::Bad => return Err(Reported),
        _ => {
            p.at(
                &o.span,
                format!("{} has no desks; add at least one [[office.desk]]", o.label),
            );
            return Err(Reported);
        }
    };
    let known: HashSet<&str> = services
        .ids
        .iter()
        .map(|id| id.get_ref().as_str())
        .collect();
    let mut seen = HashMap::new();
    let mut built = Vec::new();
    let mut ok = true;
    let mut all_refs_read = true;
    let mut served = HashSet::new();
    for (i, d) in list.iter().enumerate() {
        if i == MAX_DESKS_PER_OFFICE {
            p.at(
                &d.span,
                format!(
                    "{} has more than {MAX_DESKS_PER_OFFICE} desks ({} is number {}); an office can have at most {MAX_DESKS_PER_OFFICE}",
                    o.label,
                    d.label,
                    i + 1
                ),
            );
            ok = false;
        }
        let id =
            id(p, &d.id, &d.label, "desk", &d.span).and_then(|id| unique(p, &mut seen, id, "desk"));
        let refs = desk_services(p, d, &known, services.complete);
        match &d.services {
            Field::Given(list) => {
                served.extend(list.get_ref().iter().map(|s| s.get_ref().as_str()))
            }
            Field::Missing | Field::Bad => all_refs_read = false,
        }
        let hours = match &d.hours {
            Field::Given(rules) if rules.get_ref().is_empty() => {
                p.at(
                    &rules.span(),
                    format!(
                        "{}: hours is an empty list; remove it to use the office hours",
                        d.label
                    ),
                );
                Err(Reported)
            }
            Field::Given(rules) => opening_rules(p, rules.get_ref()).map(Some),
            Field::Missing => Ok(None),
            Field::Bad => Err(Reported),
        };
        match (id, refs, hours) {
            (Ok(id), Ok(services), Ok(hours)) => built.push(Desk {
                id: DeskId::new(id.get_ref().as_str()),
                services,
                hours,
            }),
            _ => ok = false,
        }
    }
    if all_refs_read {
        for id in &services.ids {
            if !served.contains(id.get_ref().as_str()) {
                ok = false;
                p.at(
                    &id.span(),
                    format!(
                        "service {:?} is not served by any desk; add it to some desk's services",
                        id.get_ref()
                    ),
                );
            }
        }
    }
    if ok { Ok(built) } else { Err(Reported) }
}

fn desk_services(
    p: &mut Problems,
    d: &RawDesk,
    known: &HashSet<&str>,
    known_is_complete: bool,
) -> Checked<BTreeSet<ServiceId>> {
    let names = required(p, &d.services, &d.label, "services", &d.span)?;
    if names.get_ref().is_empty() {
        p.at(
            &names.span(),
            format!(
                "{} serves no services; list at least one service id",
                d.label
            ),
        );
        return Err(Reported);
    }
    let mut out = BTreeSet::new();
    let mut ok = true;
    for name in names.get_ref() {
        if known.contains(name.get_ref().as_str()) {
            out.insert(ServiceId::new(name.get_ref().as_str()));
        } else {
            ok = false;
            if known_is_complete {
                p.at(
                    &name.span(),
                    format!("{} names unknown service {:?}", d.label, name.get_ref()),
                );
            }
        }
    }
    if ok { Ok(out) } else { Err(Reported) }
}

/// Desks without their own hours inherit the office's; with none there, they never open.
pub(super) fn office_without_hours(p: &mut Problems, o: &RawOffice, desks: &[RawDesk]) {
    let office_has_hours = match &o.hours {
        Field::Given(rules) => !rules.get_ref().is_empty(),
        Field::Missing => false,
        Field::Bad => return,
    };
    if office_has_hours {
        return;
    }
    let closed: Vec<&str> = desks
        .iter()
        .filter(|d| d.hours.is_missing())
        .map(|d| d.label.as_str())
        .collect();
    if !closed.is_empty() {
        p.at(
            &o.span,
            format!(
                "{} has no [[office.hours]], so {} without hours of its own would never open",
                o.label,
                closed.join(", ")
            ),
        );
    }
}
