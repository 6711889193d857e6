//! What citizens are told, and when: every change they must hear about writes its
//! messages into the outbox in the change's own transaction (a change that commits always
//! has its messages; one that rolls back never does), and reminders wait there for their
//! time. Sending is the delivery workers' job (`crate::notify`).
//!
//! [`plan`] is pure: which messages an event gives, on which channels, due when.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Appointment, OfficeId};
use crate::store::{NewNotice, NoticeOutcome, NoticeRecord, OutboxCounts, Records, StoreError};

use super::{Booking, BookingError};

/// Which channels this deployment sends on; every instance is started with the same
/// settings, so every change writes the same messages whichever instance makes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeChannels {
    /// E-mail to citizens who gave an address.
    pub email: bool,
    /// A signed JSON POST per event (SMS gateways, office systems).
    pub webhook: bool,
}

/// A change a citizen is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeEvent {
    Booked,
    Rescheduled {
        from: DateTime<Utc>,
    },
    /// By the citizen, by staff or by a closure (`reason` is what staff wrote).
    Cancelled {
        reason: Option<String>,
    },
    NoShow,
}

impl NoticeEvent {
    pub fn name(&self) -> &'static str {
        match self {
            NoticeEvent::Booked => "booked",
            NoticeEvent::Rescheduled { .. } => "rescheduled",
            NoticeEvent::Cancelled { .. } => "cancelled",
            NoticeEvent::NoShow => "no_show",
        }
    }
}

/// What a message says, as stored with it: the appointment as it was at the event (a
/// later change does not rewrite an earlier message). No personal data: the address and
/// the name are read from the appointment when the message is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeFacts {
    /// UTC seconds.
    pub start: i64,
    pub end: i64,
    pub service_id: String,
    /// A reschedule's earlier start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_start: Option<i64>,
    /// Why staff cancelled (a closure's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A reminder's lead time in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_hours: Option<i64>,
    /// A link message's language: the one it was asked for in (else the appointment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A reminder falling this soon after the change that schedules it is not sent: the
/// citizen was just told.
pub const REMINDER_QUIET: Duration = Duration::hours(1);

/// The messages `event` gives for `appointment` (already changed), and whether the
/// appointment's waiting reminders are dropped first. E-mail only to a citizen who gave an
/// address; the webhook every event, but reminders only for a citizen who gave a phone
/// (what an SMS gateway needs); reminders only before a booked appointment's start, never
/// in the past and never within [`REMINDER_QUIET`] of now.
pub fn plan(
    appointment: &Appointment,
    event: &NoticeEvent,
    channels: NoticeChannels,
    reminders: &[Duration],
    now: DateTime<Utc>,
) -> (Vec<NewNotice>, bool) {
    let drops = !matches!(event, NoticeEvent::Booked);
    // Nobody to tell (the common case without channels): nothing to build on the
    // booking's path.
    let email = channels.email && appointment.email.is_some();
    if !email && !channels.webhook {
        return (Vec::new(), drops);
    }
    let base = NoticeFacts {
        start: appointment.start.timestamp(),
        end: appointment.end.timestamp(),
        service_id: appointment.service_id.to_string(),
        previous_start: None,
        reason: None,
        lead_hours: None,
        language: None,
    };
    let facts = match event {
        NoticeEvent::Rescheduled { from } => NoticeFacts {
            previous_start: Some(from.timestamp()),
            ..base.clone()
        },
        NoticeEvent::Cancelled { reason } => NoticeFacts {
            reason: reason.clone(),
            ..base.clone()
        },
        NoticeEvent::Booked | NoticeEvent::NoShow => base.clone(),
    };
    let phone = appointment.phone.is_some();
    let mut out = Vec::new();
    let mut push = |event: &'static str, channel: &'static str, facts: &NoticeFacts, due| {
        out.push(NewNotice {
            appointment_id: appointment.id.clone(),
            office_id: appointment.office_id.to_string(),
            event,
            channel,
            sequence: appointment.sequence,
            facts: serde_json::to_string(facts).unwrap_or_default(),
            due_at: due,
        });
    };
    for (on, channel) in [(email, "email"), (channels.webhook, "webhook")] {
        if on {
            push(event.name(), channel, &facts, now);
        }
    }
    let schedules = matches!(event, NoticeEvent::Booked | NoticeEvent::Rescheduled { .. })
        && appointment.status == crate::domain::Status::Booked;
    if schedules {
        for lead in reminders {
            let due = appointment.start - *lead;
            if due < now + REMINDER_QUIET {
                continue;
            }
            let facts = NoticeFacts {
                lead_hours: Some(lead.num_hours()),
                ..base.clone()
            };
            for (on, channel) in [(email, "email"), (channels.webhook && phone, "webhook")] {
                if on {
                    push("reminder", channel, &facts, due);
                }
            }
        }
    }
    (out, drops)
}

impl Booking {
    /// The channels this service writes messages for.
    pub fn notice_channels(&self) -> NoticeChannels {
        self.channels
    }

    /// The same service writing messages for `channels`.
    pub fn with_notice_channels(mut self, channels: NoticeChannels) -> Self {
        self.channels = channels;
        self
    }

    /// The messages `event` gives for `appointment`, planned for writing with a batch.
    pub(crate) fn plan_notices(
        &self,
        appointment: &Appointment,
        event: &NoticeEvent,
        now: DateTime<Utc>,
    ) -> Vec<NewNotice> {
        let catalog = self.catalog();
        plan(appointment, event, self.channels, &catalog.reminders, now).0
    }

    /// Writes `event`'s messages in the caller's transaction, dropping the reminders
    /// the change makes wrong.
    pub(crate) async fn notify_in(
        &self,
        conn: &mut dyn Records,
        appointment: &Appointment,
        event: NoticeEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        notify_in(
            conn,
            appointment,
            event,
            self.channels,
            &self.catalog().reminders,
            now,
        )
        .await
    }
}

/// [`Booking::notify_in`] for callers that hold only a transaction.
pub(crate) async fn notify_in(
    conn: &mut dyn Records,
    appointment: &Appointment,
    event: NoticeEvent,
    channels: NoticeChannels,
    reminders: &[Duration],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (notices, drops) = plan(appointment, &event, channels, reminders, now);
    if drops {
        conn.drop_reminders(&appointment.id, event.name(), now)
            .await?;
    }
    if !notices.is_empty() {
        conn.insert_notices(&notices, now).await?;
    }
    Ok(())
}

/// Messages staff see on the failed-messages page at most.
pub const DEAD_NOTICES_SHOWN: i64 = 200;

impl Booking {
    /// Leases up to `limit` due messages to `worker` for `lease`.
    pub async fn claim_notices(
        &self,
        worker: &str,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, BookingError> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let claimed = tx
            .conn()
            .claim_notices(now, now + lease, worker, limit)
            .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records how `worker`'s attempt at message `id` ended; `false` when its lease had
    /// run out and another worker has the message.
    pub async fn finish_notice(
        &self,
        id: i64,
        worker: &str,
        outcome: &NoticeOutcome,
    ) -> Result<bool, BookingError> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let kept = tx.conn().finish_notice(id, worker, outcome, now).await?;
        tx.commit().await?;
        Ok(kept)
    }

    /// The appointment a message is about, as it is now.
    pub async fn notice_appointment(&self, id: &str) -> Result<Option<Appointment>, BookingError> {
        let mut conn = self.store.read().await?;
        Ok(conn.find_appointment(id).await?)
    }

    /// Messages that failed for good, newest first: one office's, or all (admins).
    pub async fn dead_notices(
        &self,
        office_id: Option<&OfficeId>,
    ) -> Result<Vec<NoticeRecord>, BookingError> {
        let mut conn = self.store.read().await?;
        Ok(conn
            .dead_notices(office_id.map(OfficeId::as_str), DEAD_NOTICES_SHOWN)
            .await?)
    }

    /// Sends a failed message again from scratch; `NotFound` when there is no such
    /// failed message (in that office).
    pub async fn retry_notice(
        &self,
        id: i64,
        office_id: Option<&OfficeId>,
    ) -> Result<(), BookingError> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let done = tx
            .conn()
            .requeue_notice(id, office_id.map(OfficeId::as_str), now)
            .await?;
        tx.commit().await?;
        if done {
            Ok(())
        } else {
            Err(BookingError::NotFound)
        }
    }

    /// The queue at a glance (for `/metrics`).
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, BookingError> {
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        Ok(conn.outbox_counts(now).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{DeskId, Locator, OfficeId, ServiceId, Status};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 7, 0, 0).unwrap()
    }

    fn appointment(start_in: Duration, email: bool, phone: bool) -> Appointment {
        let start = now() + start_in;
        Appointment {
            id: "a1".into(),
            locator: Locator::parse("7K3MZQ2D").unwrap(),
            office_id: OfficeId::new("madrid"),
            service_id: ServiceId::new("huellas"),
            desk_id: DeskId::new("d1"),
            start,
            end: start + Duration::minutes(15),
            occupied_until: start + Duration::minutes(15),
            status: Status::Booked,
            sequence: 0,
            citizen_name: "Ana".into(),
            document: "12345678Z".into(),
            document_type: "dni".into(),
            email: email.then(|| "ana@example.es".into()),
            phone: phone.then(|| "+34 600 000 000".into()),
            language: "es".into(),
            created_at: now(),
            updated_at: now(),
        }
    }

    const BOTH: NoticeChannels = NoticeChannels {
        email: true,
        webhook: true,
    };
    fn leads() -> Vec<Duration> {
        vec![Duration::hours(24), Duration::hours(2)]
    }
    fn kinds(notices: &[NewNotice]) -> Vec<(&str, &str, i64)> {
        notices
            .iter()
            .map(|n| (n.event, n.channel, (n.due_at - now()).num_hours()))
            .collect()
    }

    #[test]
    fn a_booking_confirms_on_each_channel_and_schedules_its_reminders() {
        let a = appointment(Duration::hours(48), true, true);
        let (notices, drops) = plan(&a, &NoticeEvent::Booked, BOTH, &leads(), now());
        assert!(!drops);
        assert_eq!(
            kinds(&notices),
            [
                ("booked", "email", 0),
                ("booked", "webhook", 0),
                ("reminder", "email", 24),
                ("reminder", "webhook", 24),
                ("reminder", "email", 46),
                ("reminder", "webhook", 46),
            ]
        );
        let facts: NoticeFacts = serde_json::from_str(&notices[2].facts).unwrap();
        assert_eq!(facts.lead_hours, Some(24));
        assert!(!notices[0].facts.contains("12345678Z") && !notices[0].facts.contains("ana@"));
    }

    #[test]
    fn reminders_never_fall_in_the_past_or_right_after_the_booking() {
        // 24 h before is past; 2 h before is 50 minutes away: both skipped.
        let a = appointment(Duration::minutes(170), true, false);
        let (notices, _) = plan(&a, &NoticeEvent::Booked, BOTH, &leads(), now());
        assert_eq!(
            kinds(&notices),
            [("booked", "email", 0), ("booked", "webhook", 0)]
        );
        // Exactly the quiet hour away: kept.
        let a = appointment(Duration::hours(3), true, false);
        let (notices, _) = plan(&a, &NoticeEvent::Booked, BOTH, &leads(), now());
        assert!(kinds(&notices).contains(&("reminder", "email", 1)));
    }

    #[test]
    fn without_an_address_or_a_channel_nobody_is_written_to() {
        let a = appointment(Duration::hours(48), false, false);
        let (notices, _) = plan(
            &a,
            &NoticeEvent::Booked,
            NoticeChannels {
                email: true,
                webhook: false,
            },
            &leads(),
            now(),
        );
        assert!(notices.is_empty());
        // The webhook hears of every event, but reminders only for a phone (SMS).
        let (notices, _) = plan(&a, &NoticeEvent::Booked, BOTH, &leads(), now());
        assert_eq!(kinds(&notices), [("booked", "webhook", 0)]);
        let with_mail = appointment(Duration::hours(48), true, true);
        let (notices, _) = plan(
            &with_mail,
            &NoticeEvent::Booked,
            NoticeChannels::default(),
            &leads(),
            now(),
        );
        assert!(notices.is_empty());
    }

    #[test]
    fn changes_drop_the_waiting_reminders_and_only_a_live_appointment_gets_new_ones() {
        let mut a = appointment(Duration::hours(48), true, false);
        a.sequence = 1;
        let moved = NoticeEvent::Rescheduled {
            from: now() + Duration::hours(30),
        };
        let (notices, drops) = plan(&a, &moved, BOTH, &leads(), now());
        assert!(drops);
        assert_eq!(notices.iter().filter(|n| n.event == "reminder").count(), 2);
        assert!(notices.iter().all(|n| n.sequence == 1));
        let facts: NoticeFacts = serde_json::from_str(&notices[0].facts).unwrap();
        assert_eq!(
            facts.previous_start,
            Some((now() + Duration::hours(30)).timestamp())
        );
        a.status = Status::Cancelled;
        let cancelled = NoticeEvent::Cancelled {
            reason: Some("huelga".into()),
        };
        let (notices, drops) = plan(&a, &cancelled, BOTH, &leads(), now());
        assert!(drops);
        assert_eq!(
            kinds(&notices),
            [("cancelled", "email", 0), ("cancelled", "webhook", 0)]
        );
        assert!(notices[0].facts.contains("huelga"));
        let (_, drops) = plan(&a, &NoticeEvent::NoShow, BOTH, &leads(), now());
        assert!(drops);
    }
}
