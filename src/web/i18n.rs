//! The pages' languages: Project Fluent message files under `locales/<code>/`, compiled
//! into the binary. Adding a language is adding one file: every page's switch offers each
//! language found there, named by its own `language-name` message.
//!
//! A request's language is, in order: `?lang=` (the switch's links, remembered in a
//! cookie), the `lang` cookie, the best match of `Accept-Language`, Spanish.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::HeaderMap;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "es",
        // Without isolation marks: the pages are left-to-right and the marks would show
        // up inside attribute values and copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers a chosen language (not personal data; a year).
pub const LANG_COOKIE: &str = "lang";

/// A language the pages are written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lang(LanguageIdentifier);

impl Default for Lang {
    fn default() -> Self {
        Lang(default_language())
    }
}

fn default_language() -> LanguageIdentifier {
    LanguageIdentifier::from_bytes(b"es").unwrap_or_default()
}

/// Every language there is a message file for, the default first, then by code.
pub fn languages() -> Vec<Lang> {
    let mut all: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
    all.sort_by_key(|l| (*l != default_language(), l.to_string()));
    all.into_iter().map(Lang).collect()
}

impl Lang {
    /// The language `code` names, if there is a file for it (`en`, `en-GB`, `ES`).
    pub fn parse(code: &str) -> Option<Lang> {
        let wanted: LanguageIdentifier = code.trim().parse().ok()?;
        languages()
            .into_iter()
            .find(|l| l.0.language == wanted.language)
    }

    /// The request's language: `query` (`?lang=`), then the cookie, then
    /// `Accept-Language` (by quality), then the default.
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = query.and_then(Lang::parse) {
            return lang;
        }
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
            return lang;
        }
        let accepted = headers
            .get_all(axum::http::header::ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((tag.to_owned(), quality))
            })
            .collect::<Vec<_>>();
        let mut accepted = accepted;
        accepted.sort_by(|a, b| b.1.total_cmp(&a.1));
        accepted
            .iter()
            .filter(|(_, q)| *q > 0.0)
            .find_map(|(tag, _)| Lang::parse(tag))
            .unwrap_or_default()
    }

    /// The code for `<html lang>` and links (`es`, `en`).
    pub fn code(&self) -> String {
        self.0.language.as_str().to_owned()
    }

    /// The language's name in itself ("Español", "English").
    pub fn name(&self) -> String {
        self.t("language-name")
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(&self.0, id)
    }

    /// The message `id` with arguments.
    pub fn t_with(&self, id: &str, args: &[(&str, FluentArg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    FluentArg::Text(text) => FluentValue::from(text.clone()),
                    FluentArg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Owned((*name).to_owned()), value)
            })
            .collect();
        LOCALES.lookup_with_args(&self.0, id, &args)
    }

    /// "martes, 12 de enero de 2027" / "Tuesday 12 January 2027".
    pub fn long_date(&self, date: NaiveDate) -> String {
        self.t_with("date-long", &self.date_args(date))
    }

    /// "martes 12 de enero" / "Tuesday 12 January".
    pub fn short_date(&self, date: NaiveDate) -> String {
        self.t_with("date-short", &self.date_args(date))
    }

    fn date_args(&self, date: NaiveDate) -> Vec<(&'static str, FluentArg)> {
        vec![
            (
                "weekday",
                FluentArg::Text(
                    self.t(&format!("weekday-{}", date.weekday().number_from_monday())),
                ),
            ),
            ("day", FluentArg::Number(i64::from(date.day()))),
            (
                "month",
                FluentArg::Text(self.t(&format!("month-{}", date.month()))),
            ),
            ("year", FluentArg::Text(date.year().to_string())),
        ]
    }

    /// "10:15": the wall time of `instant` in `zone`.
    pub fn time(&self, instant: DateTime<Utc>, zone: Tz) -> String {
        instant.with_timezone(&zone).format("%H:%M").to_string()
    }
}

/// A value for a message's placeable.
#[derive(Debug, Clone)]
pub enum FluentArg {
    Text(String),
    Number(i64),
}

impl From<&str> for FluentArg {
    fn from(text: &str) -> Self {
        FluentArg::Text(text.to_owned())
    }
}

impl From<String> for FluentArg {
    fn from(text: String) -> Self {
        FluentArg::Text(text)
    }
}

impl From<i64> for FluentArg {
    fn from(n: i64) -> Self {
        FluentArg::Number(n)
    }
}

/// The value of cookie `name`, if the request sent it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(accept: &str, cookie: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(accept).unwrap(),
        );
        if let Some(cookie) = cookie {
            map.insert(
                axum::http::header::COOKIE,
                HeaderValue::from_str(cookie).unwrap(),
            );
        }
        map
    }

    #[test]
    fn spanish_and_english_are_there_spanish_first() {
        let codes: Vec<String> = languages().iter().map(Lang::code).collect();
        assert_eq!(codes.first().map(String::as_str), Some("es"));
        assert!(codes.contains(&"en".to_owned()));
        assert_eq!(Lang::parse("en-GB").unwrap().name(), "English");
        assert_eq!(Lang::default().name(), "Español");
        assert!(Lang::parse("xx").is_none());
    }

    #[test]
    fn the_query_then_the_cookie_then_accept_language_choose() {
        let en = Lang::parse("en").unwrap();
        let es = Lang::default();
        assert_eq!(Lang::negotiate(None, &headers("en-US,en;q=0.9", None)), en);
        assert_eq!(
            Lang::negotiate(None, &headers("fr;q=1, en;q=0.5, es;q=0.8", None)),
            es
        );
        assert_eq!(Lang::negotiate(None, &headers("de, fr", None)), es);
        assert_eq!(
            Lang::negotiate(None, &headers("en", Some("a=b; lang=es"))),
            es
        );
        assert_eq!(
            Lang::negotiate(Some("en"), &headers("es", Some("lang=es"))),
            en
        );
    }

    #[test]
    fn dates_are_written_out_in_each_language() {
        let date = NaiveDate::from_ymd_opt(2027, 1, 12).unwrap();
        assert_eq!(
            Lang::default().long_date(date),
            "martes, 12 de enero de 2027"
        );
        assert_eq!(
            Lang::parse("en").unwrap().long_date(date),
            "Tuesday 12 January 2027"
        );
        assert_eq!(Lang::default().short_date(date), "martes 12 de enero");
    }

    /// The message ids of a Fluent file (top-level entries only).
    fn ids(source: &str) -> std::collections::BTreeSet<String> {
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_language_file_has_every_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let spanish = ids(&std::fs::read_to_string(dir.join("es/cita.ftl")).unwrap());
        assert!(spanish.len() > 100, "{}", spanish.len());
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path().join("cita.ftl");
            let theirs = ids(&std::fs::read_to_string(&path).unwrap());
            let missing: Vec<_> = spanish.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&spanish).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, unknown {extra:?}",
                path.display()
            );
            files += 1;
        }
        assert_eq!(files, languages().len());
    }
}
