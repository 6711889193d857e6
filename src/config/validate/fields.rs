//! Checks of one value, used by every section: required and optional fields, texts, ids,
//! uniqueness, numbers in range and dates.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use chrono::NaiveDate;
use toml::Spanned;

use super::super::Problems;
use super::super::shape::{Field, Span};
use super::{Checked, MAX_ID_LEN, Reported};

pub(super) fn required<'f, T>(
    p: &mut Problems,
    f: &'f Field<T>,
    label: &str,
    key: &str,
    table: &Span,
) -> Checked<&'f Spanned<T>> {
    match f {
        Field::Given(v) => Ok(v),
        Field::Bad => Err(Reported),
        Field::Missing => {
            p.at(table, format!("{label} is missing {key}"));
            Err(Reported)
        }
    }
}

pub(super) fn optional<T>(f: &Field<T>) -> Checked<Option<&Spanned<T>>> {
    match f {
        Field::Given(v) => Ok(Some(v)),
        Field::Missing => Ok(None),
        Field::Bad => Err(Reported),
    }
}

/// A required, non-blank text such as a name or an address.
pub(super) fn text(
    p: &mut Problems,
    f: &Field<String>,
    label: &str,
    key: &str,
    table: &Span,
) -> Checked<String> {
    let v = required(p, f, label, key, table)?;
    let trimmed = v.get_ref().trim();
    if trimmed.is_empty() {
        p.at(&v.span(), format!("{label}: {key} must not be empty"));
        return Err(Reported);
    }
    Ok(trimmed.to_owned())
}

/// An optional text: absent is `None`; given, it must hold 1 to `max` characters once
/// trimmed.
pub(super) fn optional_text(
    p: &mut Problems,
    f: &Field<String>,
    label: &str,
    key: &str,
    max: usize,
) -> Checked<Option<String>> {
    match f {
        Field::Missing => Ok(None),
        Field::Bad => Err(Reported),
        Field::Given(v) => {
            let trimmed = v.get_ref().trim();
            if trimmed.is_empty() || trimmed.chars().count() > max {
                p.at(
                    &v.span(),
                    format!("{label}: {key} must be 1 to {max} characters"),
                );
                return Err(Reported);
            }
            Ok(Some(trimmed.to_owned()))
        }
    }
}

/// Ids appear in URLs and feeds: 1–64 characters of `a-z 0-9 _ -`.
pub(super) fn id<'f>(
    p: &mut Problems,
    f: &'f Field<String>,
    label: &str,
    kind: &str,
    table: &Span,
) -> Checked<&'f Spanned<String>> {
    let v = required(p, f, label, "id", table)?;
    let id = v.get_ref();
    let well_formed = (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !well_formed {
        p.at(
            &v.span(),
            format!(
                "{kind} id {id:?} must be 1 to {MAX_ID_LEN} characters of a-z, 0-9, \"_\" and \"-\" (ids appear in URLs)"
            ),
        );
        return Err(Reported);
    }
    Ok(v)
}

pub(super) fn unique<'v>(
    p: &mut Problems,
    seen: &mut HashMap<String, Span>,
    id: &'v Spanned<String>,
    kind: &str,
) -> Checked<&'v Spanned<String>> {
    if let Some(first) = seen.get(id.get_ref()) {
        let line = p.line(first.start);
        p.at(
            &id.span(),
            format!(
                "{kind} id {:?} is already used on line {line}",
                id.get_ref()
            ),
        );
        return Err(Reported);
    }
    seen.insert(id.get_ref().clone(), id.span());
    Ok(id)
}

/// A whole number in `range`; `default` when the key is absent (`None`: it is required).
pub(super) fn number(
    p: &mut Problems,
    f: &Field<i64>,
    label: &str,
    key: &str,
    range: RangeInclusive<u32>,
    default: Option<u32>,
    table: &Span,
) -> Checked<u32> {
    let v = match (f, default) {
        (Field::Missing, Some(default)) => return Ok(default),
        _ => required(p, f, label, key, table)?,
    };
    match u32::try_from(*v.get_ref()) {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => {
            let allowed = if *range.end() == u32::MAX {
                format!("at least {}", range.start())
            } else {
                format!("between {} and {}", range.start(), range.end())
            };
            p.at(
                &v.span(),
                format!("{label}: {key} must be {allowed}, not {}", v.get_ref()),
            );
            Err(Reported)
        }
    }
}

/// A number in `range` that may be left out (`None`: the caller's default applies).
pub(super) fn optional_number(
    p: &mut Problems,
    f: &Field<i64>,
    label: &str,
    key: &str,
    range: RangeInclusive<u32>,
) -> Checked<Option<u32>> {
    match f {
        Field::Missing => Ok(None),
        // A given value is checked like a required one; the span is never used then.
        _ => number(p, f, label, key, range, None, &Span::default()).map(Some),
    }
}

pub(super) fn date(
    p: &mut Problems,
    v: &Spanned<String>,
    label: &str,
    key: &str,
) -> Checked<NaiveDate> {
    parse_date(v.get_ref().trim()).ok_or_else(|| {
        p.at(
            &v.span(),
            format!(
                "{label}: {key} {:?} is not a date like \"2027-01-06\" (YYYY-MM-DD)",
                v.get_ref()
            ),
        );
        Reported
    })
}

/// Dates with where each was written (duplicates are harmless and merge).
pub(super) fn date_set(
    p: &mut Problems,
    list: &Spanned<Vec<Spanned<String>>>,
    label: &str,
    key: &str,
) -> Checked<BTreeMap<NaiveDate, Span>> {
    let mut out = BTreeMap::new();
    let mut ok = true;
    for v in list.get_ref() {
        match date(p, v, label, key) {
            Ok(d) => {
                out.entry(d).or_insert(v.span());
            }
            Err(Reported) => ok = false,
        }
    }
    if ok { Ok(out) } else { Err(Reported) }
}

/// Strict `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::from_ymd_opt(
        text.get(0..4)?.parse().ok()?,
        text.get(5..7)?.parse().ok()?,
        text.get(8..10)?.parse().ok()?,
    )
}
