//! Readers for one value of an expected type (text, date, integer, boolean, list, array of
//! tables), and the problems they report: a wrong type, or an unknown key with the known
//! one it was probably meant to be.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::super::Problems;
#[cfg(test)]
use super::{BOOKING_KEYS, CALENDAR_KEYS, OFFICE_KEYS, SERVICE_KEYS};
use super::{Field, Span, Strings, Value};

/// `[limits]` belongs to another layer: only check that it is a table, keep it verbatim.
pub(super) fn opaque_table(p: &mut Problems, v: &Value<'_>) -> Field<toml::Table> {
    if !matches!(v.get_ref(), DeValue::Table(_)) {
        wrong_type(
            p,
            v,
            "the configuration",
            "limits",
            "a table ([limits])",
            v.get_ref(),
        );
        return Field::Bad;
    }
    match toml::Table::deserialize(ValueDeserializer::from(v.clone())) {
        Ok(table) => Field::Given(Spanned::new(v.span(), table)),
        Err(error) => {
            let at = error.span().unwrap_or(v.span());
            p.at(&at, format!("[limits]: {}", error.message()));
            Field::Bad
        }
    }
}

/// How to name a table in messages before its id has been checked: `office "madrid"`.
pub(super) fn label_of(t: &DeTable<'_>, kind: &str, id_key: &str) -> String {
    match t.get(id_key).map(|v| v.get_ref()) {
        Some(DeValue::String(id)) => format!("{kind} {id:?}"),
        _ => kind.to_owned(),
    }
}

pub(super) fn string(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<String> {
    match v.get_ref() {
        DeValue::String(s) => Field::Given(Spanned::new(v.span(), s.to_string())),
        other => {
            wrong_type(p, v, label, key, "a string", other);
            Field::Bad
        }
    }
}

/// A date: a `"YYYY-MM-DD"` string or a TOML local date, kept as text for `validate`.
pub(super) fn date(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<String> {
    match v.get_ref() {
        DeValue::String(s) => Field::Given(Spanned::new(v.span(), s.to_string())),
        // A local date displays as `YYYY-MM-DD`; a date-time keeps its time and is refused
        // by `validate` with the value in the message.
        DeValue::Datetime(dt) => Field::Given(Spanned::new(v.span(), dt.to_string())),
        other => {
            wrong_type(p, v, label, key, "a date (\"YYYY-MM-DD\")", other);
            Field::Bad
        }
    }
}

pub(super) fn integer(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<i64> {
    match v.get_ref() {
        DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
            Ok(n) => Field::Given(Spanned::new(v.span(), n)),
            Err(_) => {
                p.at(&v.span(), format!("{label}: {key} is far too large"));
                Field::Bad
            }
        },
        other => {
            wrong_type(p, v, label, key, "a whole number", other);
            Field::Bad
        }
    }
}

/// A list of whole numbers; one bad item makes the whole list `Bad`, as in [`list`].
pub(super) fn integers(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<Vec<i64>> {
    let DeValue::Array(items) = v.get_ref() else {
        wrong_type(p, v, label, key, "a list", v.get_ref());
        return Field::Bad;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for value in items.iter() {
        match integer(p, value, label, &format!("each entry of {key}")) {
            Field::Given(n) => out.push(*n.get_ref()),
            Field::Missing | Field::Bad => ok = false,
        }
    }
    if ok {
        Field::Given(Spanned::new(v.span(), out))
    } else {
        Field::Bad
    }
}

pub(super) fn boolean(p: &mut Problems, v: &Value<'_>, label: &str, key: &str) -> Field<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Field::Given(Spanned::new(v.span(), *b)),
        other => {
            wrong_type(p, v, label, key, "true or false", other);
            Field::Bad
        }
    }
}

/// A list whose items are each read by `item`. One bad item makes the whole list `Bad`, so
/// later checks ("names no services") do not pile up on a problem already reported.
pub(super) fn list(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    key: &str,
    item: fn(&mut Problems, &Value<'_>, &str, &str) -> Field<String>,
) -> Field<Strings> {
    let DeValue::Array(items) = v.get_ref() else {
        wrong_type(p, v, label, key, "a list", v.get_ref());
        return Field::Bad;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for value in items.iter() {
        match item(p, value, label, &format!("each entry of {key}")) {
            Field::Given(s) => out.push(s),
            Field::Missing | Field::Bad => ok = false,
        }
    }
    if ok {
        Field::Given(Spanned::new(v.span(), out))
    } else {
        Field::Bad
    }
}

/// An array of tables (`[[office.desk]]`), each read by `read` with its header span.
pub(super) fn tables<T>(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    path: &str,
    mut read: impl FnMut(&mut Problems, &DeTable<'_>, Span) -> T,
) -> Field<Vec<T>> {
    let key = path.rsplit('.').next().unwrap_or(path);
    let DeValue::Array(items) = v.get_ref() else {
        let expected = format!("a list of tables ([[{path}]])");
        wrong_type(p, v, label, key, &expected, v.get_ref());
        return Field::Bad;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for value in items.iter() {
        match value.get_ref() {
            DeValue::Table(t) => out.push(read(p, t, value.span())),
            other => {
                let expected = format!("a table ([[{path}]])");
                wrong_type(
                    p,
                    value,
                    label,
                    &format!("each entry of {key}"),
                    &expected,
                    other,
                );
                ok = false;
            }
        }
    }
    if ok {
        Field::Given(Spanned::new(v.span(), out))
    } else {
        Field::Bad
    }
}

pub(super) fn wrong_type(
    p: &mut Problems,
    v: &Value<'_>,
    label: &str,
    key: &str,
    expected: &str,
    found: &DeValue<'_>,
) {
    p.at(
        &v.span(),
        format!("{label}: {key} must be {expected}, not {}", kind(found)),
    );
}

fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

pub(super) fn unknown_key(
    p: &mut Problems,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    name: &str,
    label: &str,
    known: &[&str],
) {
    let hint = match closest(name, known) {
        Some(near) => format!(" (did you mean {near:?}?)"),
        None => format!(" (known keys: {})", known.join(", ")),
    };
    p.at(&key.span(), format!("{label}: unknown key {name:?}{hint}"));
}

/// The known key within a small edit distance of a typo, if any.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let near = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k);
    // A shortened key (`hold_ttl` for `hold_ttl_seconds`) is far in edits but obvious.
    near.or_else(|| {
        known
            .iter()
            .find(|k| name.len() >= 4 && (k.starts_with(name) || name.starts_with(**k)))
            .copied()
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(
            closest("buffer_minuts", SERVICE_KEYS),
            Some("buffer_minutes")
        );
        assert_eq!(closest("desks", OFFICE_KEYS), Some("desk"));
        assert_eq!(closest("colour", OFFICE_KEYS), None);
        assert_eq!(closest("hold_ttl", BOOKING_KEYS), Some("hold_ttl_seconds"));
        assert_eq!(closest("ics_path", CALENDAR_KEYS), Some("ics"));
        assert_eq!(closest("zone", OFFICE_KEYS), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
