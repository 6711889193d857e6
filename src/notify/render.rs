//! A message's words: the e-mail (plain text and HTML, in the citizen's language, from the
//! same message files as the pages) and its calendar invitation. Pure: everything comes
//! in as arguments.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::booking::NoticeFacts;
use crate::calendar::local_date;
use crate::domain::{Appointment, Office, Service};
use crate::ical::{EventInput, InvitationParties, ItipMethod, invitation_calendar};
use crate::web::clock_time;
use crate::web::i18n::{FluentArg, Lang};

/// What the message is about.
#[derive(Debug, Clone, Copy)]
pub struct MailInput<'a> {
    /// `booked`, `rescheduled`, `cancelled`, `no_show` or `reminder`.
    pub event: &'a str,
    pub facts: &'a NoticeFacts,
    /// The appointment's sequence at the event.
    pub sequence: i64,
    /// The appointment now: its name, address and language (never its document).
    pub appointment: &'a Appointment,
    pub office: &'a Office,
    /// `None` when the procedure is no longer configured.
    pub service: Option<&'a Service>,
    /// The service's base URL, for the page links.
    pub public_url: &'a str,
    /// Host part of the calendar `UID` (`{locator}@{host}`, as in the `.ics` files).
    pub host: &'a str,
    /// The sender's address, the invitation's organizer.
    pub from: &'a str,
    pub now: DateTime<Utc>,
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The invitation and its method, for the events that change the calendar.
    pub calendar: Option<(ItipMethod, String)>,
}

/// The words of the message, shared by both templates.
#[derive(Debug)]
struct MailWords {
    lang: String,
    subject: String,
    greeting: String,
    lead: String,
    extra: Vec<String>,
    rows: Vec<(String, String)>,
    bring_title: String,
    bring: Vec<String>,
    link_text: String,
    link: String,
    calendar_note: Option<String>,
    footer: String,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct HtmlMail<'a> {
    m: &'a MailWords,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct TextMail<'a> {
    m: &'a MailWords,
}

/// The message carrying a link to the citizen's appointments (`link`), in `language` (the
/// page's it was asked on), else in the appointment's.
pub fn render_link_mail(
    appointment: &Appointment,
    language: Option<&str>,
    link: &str,
    public_url: &str,
) -> Result<RenderedMail, askama::Error> {
    let lang = Lang::parse(language.unwrap_or(&appointment.language)).unwrap_or_default();
    let minutes = crate::booking::LINK_LIFETIME.num_minutes();
    let words = MailWords {
        lang: lang.code(),
        subject: lang.t("mail-subject-link"),
        greeting: lang.t_with(
            "mail-greeting",
            &[("name", appointment.citizen_name.clone().into())],
        ),
        lead: lang.t("mail-lead-link"),
        extra: vec![
            lang.t_with("mail-link-expiry", &[("minutes", minutes.into())]),
            lang.t("mail-link-ignore"),
        ],
        rows: Vec::new(),
        bring_title: String::new(),
        bring: Vec::new(),
        link_text: lang.t("mail-link-open"),
        link: link.to_owned(),
        calendar_note: None,
        footer: lang.t_with(
            "mail-link-footer",
            &[("url", format!("{public_url}/my").into())],
        ),
    };
    Ok(RenderedMail {
        subject: words.subject.clone(),
        text: TextMail { m: &words }.render()?,
        html: HtmlMail { m: &words }.render()?,
        calendar: None,
    })
}

/// The e-mail for `input`, in the appointment's language.
pub fn render_mail(input: &MailInput) -> Result<RenderedMail, askama::Error> {
    let lang = Lang::parse(&input.appointment.language).unwrap_or_default();
    let office = input.office;
    let at = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap_or(input.now);
    let start = at(input.facts.start);
    let end = at(input.facts.end);
    let procedure = input
        .service
        .map_or(input.facts.service_id.as_str(), |s| s.name.as_str());
    let date = |instant| lang.long_date(local_date(office.timezone, instant));
    let time = |instant| clock_time(&lang, office, instant);
    let when_args = |instant| {
        vec![
            ("procedure", FluentArg::Text(procedure.to_owned())),
            ("date", FluentArg::Text(date(instant))),
            ("time", FluentArg::Text(time(instant))),
        ]
    };
    let event = input.event;
    let mut extra = Vec::new();
    if let Some(previous) = input.facts.previous_start {
        extra.push(lang.t_with("mail-lead-rescheduled-from", &when_args(at(previous))));
    }
    if let Some(reason) = input
        .facts
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        extra.push(lang.t_with("mail-reason", &[("reason", reason.into())]));
    }
    let rows = vec![
        (lang.t("mail-procedure"), procedure.to_owned()),
        (lang.t("mail-office"), office.name.clone()),
        (lang.t("mail-address"), office.address.clone()),
        (lang.t("mail-day"), date(start)),
        (lang.t("mail-time"), time(start)),
        (
            lang.t("mail-locator"),
            input.appointment.locator.as_str().to_owned(),
        ),
    ];
    let ended = matches!(event, "cancelled" | "no_show");
    let bring = if ended {
        Vec::new()
    } else {
        std::iter::once(lang.t("mail-bring-always"))
            .chain(
                input
                    .service
                    .into_iter()
                    .flat_map(|s| s.requirements.clone()),
            )
            .collect()
    };
    let (link_text, link) = if ended {
        (
            lang.t("mail-book-again"),
            format!("{}/book", input.public_url),
        )
    } else {
        (
            lang.t("mail-manage"),
            format!("{}/manage", input.public_url),
        )
    };
    let method = match event {
        "booked" | "rescheduled" => Some(ItipMethod::Request),
        "cancelled" => Some(ItipMethod::Cancel),
        _ => None,
    };
    let calendar_note = method.map(|m| {
        lang.t(match m {
            ItipMethod::Request => "mail-calendar-request",
            ItipMethod::Cancel => "mail-calendar-cancel",
        })
    });
    let words = MailWords {
        lang: lang.code(),
        subject: lang.t_with(&format!("mail-subject-{event}"), &when_args(start)),
        greeting: lang.t_with(
            "mail-greeting",
            &[("name", input.appointment.citizen_name.clone().into())],
        ),
        lead: lang.t(&format!("mail-lead-{event}")),
        extra,
        rows,
        bring_title: lang.t("mail-bring"),
        bring,
        link_text,
        link,
        calendar_note,
        footer: lang.t("mail-footer"),
    };
    let calendar = match (method, &input.appointment.email) {
        (Some(method), Some(attendee)) => {
            let summary = format!("{procedure} — {}", office.name);
            let event = EventInput {
                uid: format!("{}@{}", input.appointment.locator, input.host),
                start,
                end,
                sequence: input.sequence,
                cancelled: method == ItipMethod::Cancel,
                summary: &summary,
                location: &office.address,
                description: Some(input.appointment.locator.as_str()),
                last_modified: input.now,
            };
            let parties = InvitationParties {
                organizer_name: &office.name,
                organizer_email: input.from,
                attendee_email: attendee,
            };
            Some((
                method,
                invitation_calendar(&event, input.now, method, &parties),
            ))
        }
        _ => None,
    };
    Ok(RenderedMail {
        subject: words.subject.clone(),
        text: TextMail { m: &words }.render()?,
        html: HtmlMail { m: &words }.render()?,
        calendar,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{DeskId, Locator, OfficeId, ServiceId, Status};

    fn office() -> Office {
        let mut service = Service::new(ServiceId::new("huellas"), "Toma de huellas (TIE)", 15);
        service.requirements = vec!["Pasaporte en vigor".into()];
        let mut office = crate::calendar::test_support::office(chrono_tz::Atlantic::Canary, vec![]);
        office.id = OfficeId::new("las-palmas");
        office.name = "Oficina de Las Palmas".into();
        office.address = "Calle Mayor 1 <b>".into();
        office.services.push(service);
        office
    }

    fn appointment(language: &str) -> Appointment {
        let start = Utc.with_ymd_and_hms(2027, 3, 2, 9, 0, 0).unwrap();
        Appointment {
            id: "a1".into(),
            locator: Locator::parse("7K3MZQ2D").unwrap(),
            office_id: OfficeId::new("las-palmas"),
            service_id: ServiceId::new("huellas"),
            desk_id: DeskId::new("d1"),
            start,
            end: start + chrono::Duration::minutes(15),
            occupied_until: start + chrono::Duration::minutes(15),
            status: Status::Booked,
            sequence: 1,
            citizen_name: "Ana <García>".into(),
            document: "12345678Z".into(),
            document_type: "dni".into(),
            email: Some("ana@example.es".into()),
            phone: None,
            language: language.into(),
            created_at: start,
            updated_at: start,
        }
    }

    #[test]
    fn every_event_reads_in_every_language_without_a_missing_message() {
        let office = office();
        for language in crate::domain::MESSAGE_LANGUAGES {
            let appointment = appointment(language);
            for event in ["booked", "rescheduled", "cancelled", "no_show", "reminder"] {
                let facts = NoticeFacts {
                    start: appointment.start.timestamp(),
                    end: appointment.end.timestamp(),
                    service_id: "huellas".into(),
                    previous_start: (event == "rescheduled")
                        .then(|| appointment.start.timestamp() - 3600),
                    reason: (event == "cancelled").then(|| "cierre".into()),
                    lead_hours: (event == "reminder").then_some(24),
                    language: None,
                };
                let input = MailInput {
                    event,
                    facts: &facts,
                    sequence: 1,
                    appointment: &appointment,
                    office: &office,
                    service: office.services.first(),
                    public_url: "https://citas.example.es",
                    host: "citas.example.es",
                    from: "citas@citas.example.es",
                    now: appointment.start,
                };
                let mail = render_mail(&input).unwrap();
                for text in [&mail.subject, &mail.text, &mail.html] {
                    assert!(
                        !text.contains("mail-"),
                        "{language} {event}: a message id shows: {text}"
                    );
                    assert!(!text.contains("12345678Z"), "the document never appears");
                }
                assert!(
                    mail.subject.contains("Toma de huellas (TIE)"),
                    "{}",
                    mail.subject
                );
                assert!(mail.html.contains(&format!("<html lang=\"{language}\">")));
                // Escaped in HTML, as typed in the text.
                assert!(
                    mail.html.contains("Ana &#60;García&#62;")
                        || mail.html.contains("Ana &lt;García&gt;"),
                    "{}",
                    mail.html
                );
                assert!(!mail.html.contains("<b>"));
                assert!(mail.text.contains("Ana <García>"));
                assert!(
                    mail.text.contains("09:00 ("),
                    "the Canaries' time is named: {}",
                    mail.text
                );
                let calendar = mail.calendar.as_ref().map(|(method, _)| *method);
                let expected = match event {
                    "booked" | "rescheduled" => Some(ItipMethod::Request),
                    "cancelled" => Some(ItipMethod::Cancel),
                    _ => None,
                };
                assert_eq!(calendar, expected, "{event}");
                let bring = mail.text.contains("Pasaporte en vigor");
                assert_eq!(bring, !matches!(event, "cancelled" | "no_show"), "{event}");
            }
        }
    }
}
