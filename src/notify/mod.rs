//! Delivering the outbox's messages (`crate::booking::notices` writes them): e-mail with
//! a calendar invitation, and a signed webhook. `cita serve` runs a [`Notifier`] beside
//! the HTTP server (unless `--no-worker`); `cita worker` runs one alone. On PostgreSQL
//! any number of workers share the queue; on SQLite one writer serializes them.
//!
//! Each round leases a few due messages, tries each once and records the outcome: sent;
//! dropped (nothing to send any more: the appointment changed, was erased, or the channel
//! is not configured); retried later with exponential backoff and jitter; or dead after
//! [`NotifySettings::max_attempts`] (or at once on a permanent refusal), for staff to look
//! at and retry. A worker killed mid-send leaves its lease to expire; another takes the
//! message then. The lease outlasts a send's timeout, so two workers never send one
//! message at once.

pub mod mail;
pub mod render;
pub mod webhook;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Serialize;

use crate::booking::{Booking, BookingError, NoticeChannels, NoticeFacts};
use crate::booking::{NoticeOutcome, NoticeRecord};
use crate::domain::{Appointment, Status};

use mail::{Mailer, SendError, SmtpSettings};
use render::{MailInput, render_mail};
use webhook::{Webhook, WebhookSettings};

/// How the worker sends.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub smtp: Option<SmtpSettings>,
    pub webhook: Option<WebhookSettings>,
    /// The service's base URL, for links in messages (and the calendar UID's host).
    pub public_url: String,
    /// Attempts before a message is left for staff.
    pub max_attempts: i64,
    /// The first retry's delay; each next one doubles, up to [`MAX_RETRY_DELAY`].
    pub retry_base: Duration,
    /// How long a taken message is this worker's.
    pub lease: Duration,
    /// Messages taken per round.
    pub batch: i64,
    /// Pause between rounds that found nothing to do.
    pub poll: StdDuration,
}

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::hours(1);

impl NotifySettings {
    pub fn new(public_url: impl Into<String>) -> Self {
        NotifySettings {
            smtp: None,
            webhook: None,
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            max_attempts: 10,
            retry_base: Duration::seconds(30),
            lease: Duration::seconds(120),
            batch: 20,
            poll: StdDuration::from_secs(1),
        }
    }

    /// The channels messages are written for: those configured.
    pub fn channels(&self) -> NoticeChannels {
        NoticeChannels {
            email: self.smtp.is_some(),
            webhook: self.webhook.is_some(),
        }
    }
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts−1)`, capped at
/// [`MAX_RETRY_DELAY`], times a jitter factor in [0.5, 1] (`jitter` in [0, 1]) so that
/// messages failed together do not all come back together. Whole seconds (the queue's
/// times are), at least one.
pub fn retry_delay(attempts: i64, base: Duration, jitter: f64) -> Duration {
    let doublings = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
    let exponential = base
        .num_milliseconds()
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_DELAY.num_milliseconds());
    let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
    let millis = (exponential as f64 * factor) as i64;
    Duration::seconds(((millis + 999) / 1000).max(1))
}

/// A stable `Message-ID` per (appointment, sequence, event, lead, channel): a message
/// sent again (after a lost answer) carries the same one, so the receiving side can tell.
/// A link message (`link`) is its own: each request gets a new one, named by its row.
pub fn message_id(notice: &NoticeRecord, facts: &NoticeFacts, host: &str) -> String {
    let lead = match (notice.event.as_str(), facts.lead_hours) {
        ("link", _) => format!(".{}", notice.id),
        (_, Some(h)) => format!(".{h}h"),
        (_, None) => String::new(),
    };
    format!(
        "<{}.{}.{}{lead}.{}@{host}>",
        notice.appointment_id, notice.sequence, notice.event, notice.channel
    )
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub taken: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    pub dropped: usize,
    /// Outcomes not recorded because the lease had run out.
    pub lost: usize,
}

/// A delivery worker.
#[derive(Debug, Clone)]
pub struct Notifier {
    booking: Booking,
    settings: NotifySettings,
    mailer: Option<Mailer>,
    webhook: Option<Webhook>,
    host: String,
    id: String,
}

impl Notifier {
    /// A worker for `settings`; refuses settings it cannot use.
    pub fn new(booking: Booking, settings: NotifySettings) -> Result<Notifier, String> {
        if settings.lease < Duration::seconds(2) {
            return Err("a worker's lease must be at least 2 seconds".into());
        }
        // A send gives up at half the lease: the message is never taken by a second
        // worker while the first may still deliver it.
        let timeout = (settings.lease / 2)
            .to_std()
            .unwrap_or(StdDuration::from_secs(1));
        let mailer = settings
            .smtp
            .as_ref()
            .map(|s| Mailer::new(s, timeout))
            .transpose()?;
        let webhook = settings
            .webhook
            .as_ref()
            .map(|s| Webhook::new(s, timeout))
            .transpose()?;
        let host = crate::http::HttpSettings::new(settings.public_url.clone()).host;
        Ok(Notifier {
            booking,
            settings,
            mailer,
            webhook,
            host,
            id: crate::booking::secrets::random_id(),
        })
    }

    /// This worker's name in the leases it takes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs rounds until aborted; a round that found a full batch is followed at once.
    pub async fn run(self) {
        tracing::info!(
            email = self.mailer.is_some(),
            webhook = self.webhook.is_some(),
            "notification worker started"
        );
        loop {
            match self.round().await {
                Ok(round) if round.taken as i64 >= self.settings.batch => continue,
                Ok(round) => {
                    if round.taken > 0 {
                        tracing::info!(
                            sent = round.sent,
                            retried = round.retried,
                            dead = round.dead,
                            dropped = round.dropped,
                            "notifications delivered"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "could not take notifications"),
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Takes the due messages (up to a batch), tries each once, records each outcome.
    pub async fn round(&self) -> Result<Round, BookingError> {
        let taken = self
            .booking
            .claim_notices(&self.id, self.settings.lease, self.settings.batch)
            .await?;
        let mut round = Round {
            taken: taken.len(),
            ..Round::default()
        };
        for notice in &taken {
            let outcome = self.deliver(notice).await;
            match &outcome {
                NoticeOutcome::Sent => round.sent += 1,
                NoticeOutcome::Dropped(_) => round.dropped += 1,
                NoticeOutcome::Retry { .. } => round.retried += 1,
                NoticeOutcome::Dead(_) => round.dead += 1,
            }
            if let NoticeOutcome::Dead(reason) = &outcome {
                tracing::warn!(notice = notice.id, event = %notice.event, channel = %notice.channel, %reason, "notification failed for good");
            }
            if !self
                .booking
                .finish_notice(notice.id, &self.id, &outcome)
                .await?
            {
                round.lost += 1;
            }
        }
        Ok(round)
    }

    async fn deliver(&self, notice: &NoticeRecord) -> NoticeOutcome {
        let Ok(facts) = serde_json::from_str::<NoticeFacts>(&notice.facts) else {
            return NoticeOutcome::Dead("the message's facts cannot be read".into());
        };
        let appointment = match self
            .booking
            .notice_appointment(&notice.appointment_id)
            .await
        {
            Ok(Some(appointment)) => appointment,
            Ok(None) => return NoticeOutcome::Dropped("the appointment is gone".into()),
            Err(error) => return self.failed(notice, transient(error)),
        };
        let now = self.booking.clock().now();
        // A link asked for long ago (a retry, or one sent again by staff) would arrive
        // when nobody expects it: the citizen asks again instead.
        if notice.event == "link"
            && now.timestamp() - notice.ready_at > crate::booking::LINK_LIFETIME.num_seconds()
        {
            return NoticeOutcome::Dropped("the link was asked for too long ago".into());
        }
        if notice.event == "reminder"
            && (appointment.status != Status::Booked
                || appointment.sequence != notice.sequence
                || appointment.start <= now)
        {
            return NoticeOutcome::Dropped("the appointment changed or has begun".into());
        }
        let sent = match notice.channel.as_str() {
            "email" if notice.event == "link" => {
                self.email_link(notice, &facts, &appointment).await
            }
            "email" => self.email(notice, &facts, &appointment, now).await,
            "webhook" => self.post(notice, &facts, &appointment, now).await,
            other => return NoticeOutcome::Dead(format!("unknown channel {other}")),
        };
        match sent {
            Ok(None) => NoticeOutcome::Sent,
            Ok(Some(reason)) => NoticeOutcome::Dropped(reason),
            Err(error) => self.failed(notice, error),
        }
    }

    fn failed(&self, notice: &NoticeRecord, error: SendError) -> NoticeOutcome {
        if error.permanent || notice.attempts >= self.settings.max_attempts {
            return NoticeOutcome::Dead(error.summary);
        }
        let jitter = rand::rng().random::<f64>();
        let delay = retry_delay(notice.attempts, self.settings.retry_base, jitter);
        NoticeOutcome::Retry {
            at: self.booking.clock().now() + delay,
            error: error.summary,
        }
    }

    /// `Ok(Some(reason))`: nothing to send.
    async fn email(
        &self,
        notice: &NoticeRecord,
        facts: &NoticeFacts,
        appointment: &Appointment,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, SendError> {
        let (mailer, to) = match self.mail_target(appointment) {
            Ok(target) => target,
            Err(reason) => return Ok(Some(reason)),
        };
        let catalog = self.booking.catalog();
        let Ok(office) = catalog.office(&appointment.office_id) else {
            return Ok(Some("the office is no longer configured".into()));
        };
        let from = mailer.from_address();
        let input = MailInput {
            event: &notice.event,
            facts,
            sequence: notice.sequence,
            appointment,
            office,
            service: office.service(&appointment.service_id),
            public_url: &self.settings.public_url,
            host: &self.host,
            from: &from,
            now,
        };
        let mail = render_mail(&input).map_err(|e| SendError {
            permanent: true,
            summary: format!("the message could not be written: {e}"),
        })?;
        mailer
            .send(to, &message_id(notice, facts, &self.host), &mail)
            .await?;
        Ok(None)
    }

    /// The mailer and the address a message to `appointment`'s citizen goes through, or
    /// why there is none (the message is then dropped).
    fn mail_target<'a>(
        &'a self,
        appointment: &'a Appointment,
    ) -> Result<(&'a Mailer, &'a str), String> {
        let mailer = self.mailer.as_ref().ok_or("e-mail is not configured")?;
        let to = appointment
            .email
            .as_deref()
            .ok_or("no e-mail address (erased)")?;
        Ok((mailer, to))
    }

    /// A link to the citizen's appointments, made now (only its hash is stored).
    async fn email_link(
        &self,
        notice: &NoticeRecord,
        facts: &NoticeFacts,
        appointment: &Appointment,
    ) -> Result<Option<String>, SendError> {
        let (mailer, to) = match self.mail_target(appointment) {
            Ok(target) => target,
            Err(reason) => return Ok(Some(reason)),
        };
        let token = match self.booking.issue_citizen_link(appointment).await {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(Some("no e-mail address (erased)".into())),
            Err(error) => return Err(transient(error)),
        };
        let link = format!("{}/my/open?token={token}", self.settings.public_url);
        let mail = render::render_link_mail(
            appointment,
            facts.language.as_deref(),
            &link,
            &self.settings.public_url,
        )
        .map_err(|e| SendError {
            permanent: true,
            summary: format!("the message could not be written: {e}"),
        })?;
        mailer
            .send(to, &message_id(notice, facts, &self.host), &mail)
            .await?;
        Ok(None)
    }

    async fn post(
        &self,
        notice: &NoticeRecord,
        facts: &NoticeFacts,
        appointment: &Appointment,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, SendError> {
        let Some(webhook) = &self.webhook else {
            return Ok(Some("the webhook is not configured".into()));
        };
        let catalog = self.booking.catalog();
        let timezone = catalog
            .office(&appointment.office_id)
            .map(|o| o.timezone.name().to_owned())
            .unwrap_or_default();
        let id = message_id(notice, facts, &self.host);
        let at = |s: i64| DateTime::from_timestamp(s, 0).map(|t| t.to_rfc3339());
        let body = WebhookEvent {
            message_id: &id,
            event: &notice.event,
            occurred_at: at(notice.created_at),
            appointment: WebhookAppointment {
                locator: appointment.locator.as_str(),
                office_id: appointment.office_id.as_str(),
                service_id: &facts.service_id,
                start: at(facts.start),
                end: at(facts.end),
                timezone,
                sequence: notice.sequence,
            },
            previous_start: facts.previous_start.and_then(at),
            reason: facts.reason.as_deref(),
            lead_hours: facts.lead_hours,
            language: &appointment.language,
            phone: appointment.phone.as_deref(),
        };
        let body = serde_json::to_vec(&body).map_err(|_| SendError {
            permanent: true,
            summary: "the event could not be written".into(),
        })?;
        webhook.post(&id, body, now.timestamp()).await?;
        Ok(None)
    }
}

fn transient(error: BookingError) -> SendError {
    SendError {
        permanent: false,
        summary: format!("the database could not be read: {error}"),
    }
}

/// The webhook's JSON body (documented in the README). The phone is there for SMS
/// gateways; the document and the name never are.
#[derive(Debug, Serialize)]
struct WebhookEvent<'a> {
    message_id: &'a str,
    event: &'a str,
    occurred_at: Option<String>,
    appointment: WebhookAppointment<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead_hours: Option<i64>,
    language: &'a str,
    phone: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct WebhookAppointment<'a> {
    locator: &'a str,
    office_id: &'a str,
    service_id: &'a str,
    start: Option<String>,
    end: Option<String>,
    timezone: String,
    sequence: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        let base = Duration::seconds(30);
        assert_eq!(retry_delay(1, base, 1.0), Duration::seconds(30));
        assert_eq!(retry_delay(2, base, 1.0), Duration::seconds(60));
        assert_eq!(retry_delay(4, base, 1.0), Duration::seconds(240));
        assert_eq!(retry_delay(3, base, 0.0), Duration::seconds(60));
        assert_eq!(retry_delay(40, base, 1.0), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(0, base, 1.0), Duration::seconds(30));
        assert_eq!(
            retry_delay(1, Duration::seconds(1), 0.0),
            Duration::seconds(1)
        );
        assert_eq!(
            retry_delay(2, Duration::seconds(1), 0.5),
            Duration::seconds(2)
        );
        let jittered = retry_delay(5, base, 0.37);
        assert!(jittered > Duration::seconds(240) && jittered < Duration::seconds(480));
    }
}
