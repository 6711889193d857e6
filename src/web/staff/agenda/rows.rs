//! How the day's appointments read on the agenda: one row per appointment with the
//! actions its status allows, the desks, who is due next, and the time it was drawn.

use chrono::{DateTime, Utc};

use crate::booking::Agenda;
use crate::domain::{Appointment, Office, Status};
use crate::web::book::encode;
use crate::web::i18n::Lang;

use super::super::procedure_name;
use super::{DeskView, RowView};

/// The citizen to call next on today's agenda (`all`, by start): the first booked
/// appointment whose time has not ended.
pub(super) fn next_due<'a>(all: &[&'a Appointment], now: DateTime<Utc>) -> Option<&'a Appointment> {
    all.iter()
        .copied()
        .find(|a| a.status == Status::Booked && a.end > now)
}

/// How the agenda's appointments are shown.
pub(super) struct Rows<'a> {
    pub(super) lang: &'a Lang,
    pub(super) office: &'a Office,
    /// The locator of the citizen due next, shown apart.
    pub(super) next: Option<&'a str>,
    /// Offer the actions allowed at this instant; `None`: no actions (the print view).
    pub(super) actions_at: Option<DateTime<Utc>>,
}

impl Rows<'_> {
    pub(super) fn desks(&self, agenda: &Agenda) -> Vec<DeskView> {
        agenda
            .desks
            .iter()
            .map(|desk| DeskView {
                name: desk.desk_id.to_string(),
                rows: desk.appointments.iter().map(|a| self.row(a)).collect(),
            })
            .collect()
    }

    pub(super) fn row(&self, a: &Appointment) -> RowView {
        let (lang, zone) = (self.lang, self.office.timezone);
        let time = lang.time(a.start, zone);
        let who = format!("{time} {}", a.citizen_name);
        let named = |id: &str| lang.t_with(id, &[("who", who.clone().into())]);
        let confirm_href = |action: &str| {
            format!(
                "/staff/confirm?locator={}&action={action}",
                encode(a.locator.as_str())
            )
        };
        let cancel = || {
            (
                confirm_href("cancel"),
                lang.t("staff-action-cancel"),
                named("staff-action-cancel-who"),
            )
        };
        let mut actions = Vec::new();
        let mut confirm = Vec::new();
        match (a.status, self.actions_at) {
            (Status::Booked, Some(now)) => {
                actions.push((
                    "check-in",
                    lang.t("staff-action-check-in"),
                    named("staff-action-check-in-who"),
                ));
                if a.start <= now {
                    confirm.push((
                        confirm_href("no-show"),
                        lang.t("staff-action-no-show"),
                        named("staff-action-no-show-who"),
                    ));
                }
                confirm.push(cancel());
            }
            (Status::CheckedIn, Some(_)) => {
                actions.push((
                    "complete",
                    lang.t("staff-action-complete"),
                    named("staff-action-complete-who"),
                ));
                confirm.push(cancel());
            }
            _ => {}
        }
        RowView {
            end: lang.time(a.end, zone),
            time,
            desk: a.desk_id.to_string(),
            locator: a.locator.to_string(),
            procedure: procedure_name(self.office, a),
            citizen: a.citizen_name.clone(),
            status: lang.t(&format!("staff-status-{}", a.status.as_str())),
            status_class: a.status.as_str(),
            next: self.next == Some(a.locator.as_str()),
            actions,
            confirm,
        }
    }
}

/// A short fingerprint of the day's appointments and their statuses.
pub(super) fn stamp(agenda: &Agenda) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for a in agenda.desks.iter().flat_map(|d| d.appointments.iter()) {
        hash.update(a.locator.as_str());
        hash.update(a.status.as_str());
        hash.update(a.start.timestamp().to_le_bytes());
        hash.update(a.desk_id.as_str());
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
