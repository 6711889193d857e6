//! The pages' session: what a citizen has chosen and typed so far, the appointment they
//! are managing, and the CSRF token of their forms — in one cookie, encrypted and
//! authenticated (AES-256-GCM, `axum-extra`'s private jar) under a key derived from the
//! database's digest key, so every instance reads it and nobody else can.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, `Secure` when the service is reached over
//! HTTPS, and lives for the browser session; its content is dropped after
//! [`IDLE_LIMIT`] without use. It holds the citizen's own details on their own device
//! (never in a URL), and the appointment token of the appointment they manage.

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::secrets::{Pepper, random_token};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cita_session";

/// A session unused this long starts over (seconds): long enough to fill the form
/// slowly, short enough that a shared computer forgets.
pub const IDLE_LIMIT: i64 = 30 * 60;

/// What the session remembers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Session {
    /// The token every form carries back (synchronizer token).
    pub csrf: String,
    /// Last use, Unix seconds.
    pub touched: i64,
    /// The booking being made.
    #[serde(default)]
    pub draft: Draft,
    /// The appointment just booked (for the confirmation page).
    #[serde(default)]
    pub done: Option<Held>,
    /// The appointment being managed, found by locator and document.
    #[serde(default)]
    pub managed: Option<Held>,
    /// The draw entry just made or looked up, for its confirmation and result pages.
    #[serde(default)]
    pub entry: Option<EntryHeld>,
    /// The place in a waiting room's line, and its admission once let in.
    #[serde(default)]
    pub queue: Option<QueueHeld>,
    /// What the citizen's appointments page opened: whose, until when.
    #[serde(default)]
    pub citizen: Option<super::mine::CitizenHeld>,
    /// What a citizen's page just did, for the page after the redirect.
    #[serde(default)]
    pub notice: Option<String>,
    /// A link to the citizen's appointments was just asked for (the page after says so).
    #[serde(default)]
    pub link_sent: bool,
    /// What a staff page just did, for the page after the redirect.
    #[serde(default)]
    pub staff: super::staff::StaffFlash,
}

/// A booking in progress: each step fills in more.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Draft {
    pub office_id: Option<String>,
    pub service_id: Option<String>,
    /// The chosen start, Unix seconds.
    pub start: Option<i64>,
    pub hold_id: Option<String>,
    /// When the hold expires, Unix seconds.
    pub hold_expires: Option<i64>,
    /// How many times the citizen asked for more time.
    #[serde(default)]
    pub extensions: u8,
    pub details: Option<Details>,
    /// An `Idempotency-Key` for this booking, so a double submit books once.
    pub key: Option<String>,
}

/// What the citizen typed on the details page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub name: String,
    pub document_type: String,
    pub document: String,
    pub email: String,
    pub phone: String,
}

/// A draw entry the session may read the result of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryHeld {
    pub draw_id: String,
    pub token: String,
    pub entry_code: String,
    /// The receipt: with the document, finds the entry in the published list.
    pub salt: String,
    pub entry_hash: String,
}

/// A place in a waiting room's line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueHeld {
    pub room_id: String,
    pub ticket: String,
    /// The document the place is for (the visitor's own, on their own device).
    pub document_type: String,
    pub document: String,
    /// The admission token, once let in (renewed on each visit of the queue page).
    pub admission: Option<String>,
}

/// An appointment the session may act on, with its tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Held {
    pub locator: String,
    pub token: String,
    pub calendar_token: Option<String>,
}

/// The cookie key: derived from the database's digest key, the same on every instance.
pub fn cookie_key(pepper: &Pepper) -> Option<Key> {
    Key::try_from(pepper.key_material("web-session").as_slice()).ok()
}

impl Session {
    /// The request's session; a new one (new CSRF token) when there is none, it cannot
    /// be read, or it sat unused past [`IDLE_LIMIT`].
    pub fn load(headers: &HeaderMap, key: &Key, now: DateTime<Utc>) -> Session {
        let jar = PrivateCookieJar::from_headers(headers, key.clone());
        let stored = jar
            .get(SESSION_COOKIE)
            .and_then(|c| serde_json::from_str::<Session>(c.value()).ok())
            .filter(|s| now.timestamp() - s.touched <= IDLE_LIMIT && !s.csrf.is_empty());
        let mut session = stored.unwrap_or_else(|| Session {
            csrf: random_token(),
            ..Session::default()
        });
        session.touched = now.timestamp();
        session
    }

    /// The cookie that stores this session.
    pub fn store(&self, key: &Key, secure: bool) -> PrivateCookieJar {
        let value = serde_json::to_string(self).unwrap_or_default();
        let cookie = Cookie::build((SESSION_COOKIE, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .build();
        PrivateCookieJar::new(key.clone()).add(cookie)
    }

    /// Whether `sent` is this session's CSRF token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        same_token(&self.csrf, sent)
    }
}

/// Whether `sent` is the form token `expected` (never an empty one), compared in constant
/// time so the answer's timing says nothing about how much of it matched.
pub fn same_token(expected: &str, sent: &str) -> bool {
    !expected.is_empty()
        && sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// A form that carries only its CSRF token (extend, confirm, cancel, sign out).
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use chrono::TimeZone;

    use super::*;

    fn headers_from(jar: PrivateCookieJar) -> HeaderMap {
        let response = axum::response::IntoResponse::into_response((jar, ()));
        let set = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let pair = set.split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn a_session_survives_the_round_trip_and_expires_when_idle() {
        let key = cookie_key(&Pepper::random()).unwrap();
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
        let mut session = Session::load(&HeaderMap::new(), &key, now);
        assert_eq!(session.csrf.len(), 40);
        session.draft.office_id = Some("madrid".into());
        let headers = headers_from(session.store(&key, false));
        let again = Session::load(&headers, &key, now + chrono::Duration::minutes(5));
        assert_eq!(again.csrf, session.csrf);
        assert_eq!(again.draft.office_id.as_deref(), Some("madrid"));
        assert!(again.csrf_ok(&session.csrf));
        assert!(!again.csrf_ok("x"));
        let late = Session::load(&headers, &key, now + chrono::Duration::minutes(31));
        assert_ne!(late.csrf, session.csrf);
        assert!(late.draft.office_id.is_none());
        // Another key cannot read it.
        let other = cookie_key(&Pepper::random()).unwrap();
        assert_ne!(Session::load(&headers, &other, now).csrf, session.csrf);
    }

    #[test]
    fn the_cookie_is_secure_over_https_and_encrypted() {
        let key = cookie_key(&Pepper::random()).unwrap();
        let mut session = Session::default();
        session.draft.details = Some(Details {
            document: "12345678Z".into(),
            ..Details::default()
        });
        let response = axum::response::IntoResponse::into_response((session.store(&key, true), ()));
        let set = response.headers()["set-cookie"].to_str().unwrap();
        assert!(set.contains("Secure"), "{set}");
        assert!(!set.contains("12345678Z"), "{set}");
    }
}
