//! One visit to a page: the visitor's language and session, read once, and the answer
//! that carries them back (the session cookie, the language cookie).

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::Key;
use chrono::{DateTime, Utc};

use crate::http::AppState;
use crate::http::client::ClientKey;

use super::i18n::{LANG_COOKIE, Lang, languages};
use super::session::{Session, cookie_key};

/// A page request: who, in which language, with which session.
pub struct Visit {
    pub lang: Lang,
    pub session: Session,
    pub client: ClientKey,
    pub now: DateTime<Utc>,
    key: Option<Key>,
    secure: bool,
    /// The language came from `?lang=`: remember it.
    chose_lang: bool,
    /// The path and query without `lang`, for the language switch's links.
    here: String,
}

/// Never prints the session (it holds the visitor's details and tokens).
impl std::fmt::Debug for Visit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visit")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let chosen = super::query_lang(Some(query));
        let lang = Lang::negotiate(chosen.as_deref(), &parts.headers);
        let rest: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
            .collect();
        let here = if rest.is_empty() {
            parts.uri.path().to_owned()
        } else {
            format!("{}?{}", parts.uri.path(), rest.join("&"))
        };
        let now = state.booking.clock().now();
        let key = cookie_key(state.booking.pepper());
        let session = match &key {
            Some(key) => Session::load(&parts.headers, key, now),
            None => Session::default(),
        };
        let client = ClientKey::from_request_parts(parts, state).await?;
        Ok(Visit {
            lang,
            session,
            client,
            now,
            key,
            secure: state.settings.public_url.starts_with("https://"),
            chose_lang: chosen.is_some(),
            here,
        })
    }
}

/// What every page's frame needs: language, title, the switch, the form token, errors.
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub csrf: String,
    pub switch: Vec<LangLink>,
    /// Problems with what was sent, shown in a summary at the top, each linked to its
    /// field (`#field`).
    pub errors: Vec<FieldError>,
}

/// A link of the language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub code: String,
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// A problem with one form field.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The field's `id`.
    pub field: &'static str,
    pub message: String,
}

impl Page {
    /// The message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    /// The error shown at `field`, if any.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.error_for(field).is_some()
    }
}

impl Visit {
    /// The frame of a page titled with message `title_id`.
    pub fn page(&self, title_id: &str) -> Page {
        self.page_titled(self.lang.t(title_id))
    }

    /// The frame of a page with a title of its own.
    pub fn page_titled(&self, title: String) -> Page {
        let sep = if self.here.contains('?') { '&' } else { '?' };
        Page {
            switch: languages()
                .into_iter()
                .map(|l| LangLink {
                    href: format!("{}{sep}lang={}", self.here, l.code()),
                    current: l == self.lang,
                    name: l.name(),
                    code: l.code(),
                })
                .collect(),
            lang: self.lang.clone(),
            title,
            csrf: self.session.csrf.clone(),
            errors: Vec::new(),
        }
    }

    /// Whether a form came back with this session's token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        self.session.csrf_ok(sent)
    }

    /// `template` as the answer, with the session (and a chosen language) remembered.
    pub fn render(self, status: StatusCode, template: &impl Template) -> Response {
        match template.render() {
            Ok(body) => self.finish(super::html(status, body)),
            Err(error) => {
                tracing::error!(%error, "a page could not be rendered");
                let page = super::pages::problem_page(
                    &self.lang,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    None,
                    None,
                );
                self.finish(page)
            }
        }
    }

    /// A redirect to `to` (303: the browser fetches it with GET), with the session.
    pub fn redirect(self, to: &str) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(to) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        self.finish(response)
    }

    /// The page telling that a form expired (its CSRF token did not match): 403.
    pub fn expired(self) -> Response {
        let page =
            super::pages::problem_page(&self.lang, StatusCode::FORBIDDEN, "csrf", None, None);
        self.finish(page)
    }

    /// Whether the service is reached over HTTPS (cookies get `Secure`).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// A response made elsewhere (a redirect, a problem page), with the session.
    pub fn respond(self, response: Response) -> Response {
        self.finish(response)
    }

    fn finish(self, response: Response) -> Response {
        let mut response = response;
        if let Some(key) = &self.key {
            let jar = self.session.store(key, self.secure);
            response = (jar, response).into_response();
        }
        if self.chose_lang {
            // A year; not personal data, so not in the encrypted session.
            let secure = if self.secure { "; Secure" } else { "" };
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
                self.lang.code()
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }
}
