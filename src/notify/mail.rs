//! The e-mail channel: SMTP through `lettre` (plain, STARTTLS or TLS, credentials and
//! server from one URL; a pool keeps connections open between messages).

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::ical::ItipMethod;

use super::render::RenderedMail;

/// How long one SMTP conversation may take at most; never more than half a worker's
/// lease, so a message still being sent is never taken by a second worker.
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where and as whom mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS). Never logged: it may hold a password.
    pub url: String,
    /// The sender, e.g. `Cita previa <citas@example.es>`.
    pub from: String,
}

/// Why a message was not sent, without anything the server said about the recipient
/// (its answers often quote the address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Retrying cannot help (a 5xx answer: unknown mailbox, refused message).
    pub permanent: bool,
    pub summary: String,
}

/// An SMTP client shared by a worker's sends.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

impl Mailer {
    /// A client for `settings`; refuses a URL or a sender it cannot use (at start-up,
    /// not at the first message).
    pub fn new(settings: &SmtpSettings, timeout: std::time::Duration) -> Result<Mailer, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("--mail-from is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| format!("--smtp-url cannot be used: {e}"))?
            .timeout(Some(timeout.min(SMTP_TIMEOUT)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// The sender's bare address (the invitation's organizer).
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Sends `mail` to `to` under `message_id` (the same for every attempt, so a
    /// receiving system that sees it twice can tell).
    pub async fn send(
        &self,
        to: &str,
        message_id: &str,
        mail: &RenderedMail,
    ) -> Result<(), SendError> {
        let to: Mailbox = to.parse().map_err(|_| SendError {
            permanent: true,
            summary: "the stored address is not valid".into(),
        })?;
        let message = build(&self.from, to, message_id, mail).map_err(|e| SendError {
            permanent: true,
            summary: format!("the message could not be built: {e}"),
        })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| describe(&e))
    }
}

/// Plain text and HTML as alternatives; an invitation also as a `text/calendar`
/// alternative with its method (how Gmail and Outlook recognise it) and as an attached
/// `.ics` file (for everyone else).
fn build(
    from: &Mailbox,
    to: Mailbox,
    message_id: &str,
    mail: &RenderedMail,
) -> Result<Message, lettre::error::Error> {
    let mut alternatives = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.text.clone()))
        .singlepart(SinglePart::html(mail.html.clone()));
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_owned()));
    let Some((method, ics)) = &mail.calendar else {
        return builder.multipart(alternatives);
    };
    let method = match method {
        ItipMethod::Request => "REQUEST",
        ItipMethod::Cancel => "CANCEL",
    };
    let calendar_type = |kind: &str| {
        ContentType::parse(&format!("{kind}; method={method}; charset=utf-8"))
            .unwrap_or(ContentType::TEXT_PLAIN)
    };
    alternatives = alternatives.singlepart(
        SinglePart::builder()
            .header(calendar_type("text/calendar"))
            .body(ics.clone()),
    );
    builder.multipart(MultiPart::mixed().multipart(alternatives).singlepart(
        Attachment::new("cita.ics".to_owned()).body(ics.clone(), calendar_type("application/ics")),
    ))
}

fn describe(error: &lettre::transport::smtp::Error) -> SendError {
    match error.status() {
        Some(code) => {
            let code = code.to_string();
            // Refused authentication is this server's configuration, not the message's:
            // it is retried (and fixed meanwhile), not given up on at once.
            let authentication = matches!(code.as_str(), "530" | "534" | "535" | "538");
            SendError {
                permanent: error.is_permanent() && !authentication,
                summary: format!("the mail server answered {code}"),
            }
        }
        None if error.is_timeout() => SendError {
            permanent: false,
            summary: "the mail server did not answer in time".into(),
        },
        None => SendError {
            permanent: false,
            summary: "the mail server could not be reached".into(),
        },
    }
}
