//! The admin API: replacing the office configuration (DESIGN §6, §7).
//!
//! `PUT /api/v1/admin/config` (admins only) takes the configuration as TOML
//! (`application/toml` or `text/plain`) or as the same structure in JSON
//! (`application/json`, converted to TOML text first). Answers:
//! - 422 `validation_failed` listing every problem by line (for JSON, lines of the TOML
//!   equivalent, which the answer includes), in `detail` and as `problems: [{line, message}]`;
//! - 409 `config_conflict` when the change would strand active appointments, listed in
//!   `detail` and as `appointments: [{locator, office_id, start, reason}]`; nothing changes;
//! - with `?force=cancel`, those appointments are cancelled instead and reported;
//! - 200 `{version, changed, cancelled: [...], moved}` once stored and served here.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::booking::ConfigError;
use crate::booking::{ConfigApplied, ConfigChangeError, OnStranded, Stranded};
use crate::http::openapi::answers::{Busy, StaffUnauthorized, TooLarge};

use super::AppState;
use super::auth::{ADMIN_ONLY, StaffUser};
use super::error::{ApiError, Problem};
use super::extract::ApiQuery;
use super::public::local;
use super::staff::too_large;

/// The admin operations, merged into the API document (`openapi.rs`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(put_config),
    tags((name = "admin", description = "Administrators: the office configuration"))
)]
pub struct AdminApi;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConfigQuery {
    /// `cancel`: cancel the appointments the change strands instead of refusing it.
    #[param(pattern = "^cancel$")]
    pub force: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrandedBody {
    pub locator: String,
    pub office_id: String,
    /// RFC 3339, with the office's offset while it is still configured, else in UTC.
    #[schema(format = DateTime)]
    pub start: String,
    /// `office_removed`, `service_removed` or `no_desk`.
    #[schema(value_type = String, pattern = "^(office_removed|service_removed|no_desk)$")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigAppliedBody {
    /// The stored configuration's version.
    pub version: i64,
    /// `false` when the document was already the stored one.
    pub changed: bool,
    /// Appointments cancelled because the change stranded them.
    pub cancelled: Vec<StrandedBody>,
    /// Appointments that kept their time but moved to another desk.
    pub moved: usize,
}

/// Validates and applies a new office configuration.
#[utoipa::path(put, path = "/api/v1/admin/config", tag = "admin", params(ConfigQuery),
    request_body(
        description = "The whole office configuration (DESIGN §7) as TOML text. The same \
                       structure as a JSON object is accepted too (`application/json`), and \
                       TOML also as `text/plain`, `text/toml`, `text/x-toml` or \
                       `application/x-toml`. Whether it is a valid configuration (zones, \
                       hours, ids, references) is checked by the server: 422 lists every \
                       problem by line.",
        content(
            (String = "application/toml"),
            (Object = "application/json"),
        ),
    ), security(("staff_token" = [])),
    responses(
        (status = 200, description = "stored and served by this instance; `changed` is false when it was already the stored document, `cancelled` lists the appointments cancelled by ?force=cancel, `moved` counts those moved to another desk", body = ConfigAppliedBody),
        (status = 400, description = "an unknown or malformed query parameter, `force` other than `cancel`, a body that is not UTF-8, or a JSON body that is not valid JSON", body = Problem),
        StaffUnauthorized,
        (status = 403, description = "the staff member is not an admin", body = Problem),
        (status = 409, description = "config_conflict: the change would strand active appointments, listed in `appointments` (locator, office_id, start, reason); nothing changed; send it again with ?force=cancel to cancel them", body = Problem),
        TooLarge,
        (status = 415, description = "Content-Type is not application/toml, text/plain, text/toml, text/x-toml, application/x-toml, application/json or another +json type", body = Problem),
        (status = 422, description = "validation_failed: the configuration is not valid (each problem by line in `problems`; for a JSON body, lines of its TOML equivalent, given in `toml`), or the JSON has no TOML equivalent (not an object, a null, an array mixing tables and values)", body = Problem),
        Busy,
    ),
)]
pub async fn put_config(
    State(state): State<AppState>,
    user: StaffUser,
    ApiQuery(query): ApiQuery<ConfigQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConfigAppliedBody>, Response> {
    user.require_role(ADMIN_ONLY)
        .map_err(IntoResponse::into_response)?;
    let on_stranded = match query.force.as_deref() {
        None => OnStranded::Refuse,
        Some("cancel") => OnStranded::Cancel,
        Some(_) => {
            return Err(ApiError::bad_request("force must be `cancel` when given").into_response());
        }
    };
    let body = body.map_err(|e| too_large(e).into_response())?;
    let (toml, from_json) = config_text(&headers, &body).map_err(IntoResponse::into_response)?;
    match state
        .booking
        .change_config(&toml, on_stranded, &user.actor())
        .await
    {
        Ok(applied) => Ok(Json(applied_body(&state, applied))),
        Err(ConfigChangeError::Invalid(error)) => {
            Err(invalid(&error, from_json.then_some(toml.as_str())).await)
        }
        Err(ConfigChangeError::Conflict(stranded)) => Err(conflict(&state, &stranded).await),
        Err(ConfigChangeError::Booking(error)) => Err(ApiError::from(error).into_response()),
    }
}

/// The body as TOML text, and whether it came as JSON.
fn config_text(headers: &HeaderMap, body: &[u8]) -> Result<(String, bool), ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let is_json = media == "application/json" || media.ends_with("+json");
    let is_toml = matches!(
        media.as_str(),
        "application/toml" | "text/plain" | "text/toml" | "text/x-toml" | "application/x-toml"
    );
    if !is_json && !is_toml {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "validation_failed",
            "send the configuration as Content-Type: application/toml (or text/plain) or application/json",
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the configuration must be UTF-8 text"))?;
    if is_toml {
        return Ok((text.to_owned(), false));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    Ok((json_to_toml(&value)?, true))
}

/// The same structure as TOML text. JSON that TOML cannot express (a top level that is
/// not an object, `null`, arrays mixing tables and values) is refused with 422.
fn json_to_toml(value: &Value) -> Result<String, ApiError> {
    if !value.is_object() {
        return Err(ApiError::validation(
            "the configuration must be a JSON object",
        ));
    }
    toml::to_string(value).map_err(|e| {
        ApiError::validation(format!(
            "this JSON has no TOML equivalent (no nulls; arrays hold either tables or values): {e}"
        ))
    })
}

fn applied_body(state: &AppState, applied: ConfigApplied) -> ConfigAppliedBody {
    ConfigAppliedBody {
        version: applied.version,
        changed: applied.changed,
        cancelled: applied
            .cancelled
            .iter()
            .map(|s| stranded_body(state, s))
            .collect(),
        moved: applied.moved,
    }
}

/// The start in the office's offset when the office is still configured, else in UTC.
fn stranded_body(state: &AppState, stranded: &Stranded) -> StrandedBody {
    let a = &stranded.appointment;
    let catalog = state.booking.catalog();
    StrandedBody {
        locator: a.locator.to_string(),
        office_id: a.office_id.to_string(),
        start: catalog
            .office(&a.office_id)
            .map_or_else(|_| a.start.to_rfc3339(), |office| local(office, a.start)),
        reason: stranded.reason.code().to_owned(),
    }
}

async fn invalid(error: &ConfigError, toml_from_json: Option<&str>) -> Response {
    let mut detail = String::from("the configuration is not valid:");
    for problem in error.problems() {
        detail.push_str(&format!("\nline {}: {}", problem.line, problem.message));
    }
    if error.problems().is_empty() {
        detail = error.to_string();
    }
    if toml_from_json.is_some() {
        detail.push_str("\n(lines of the TOML equivalent of the JSON body, in `toml`)");
    }
    let mut extra = Map::new();
    extra.insert(
        "problems".into(),
        error
            .problems()
            .iter()
            .map(|p| json!({"line": p.line, "message": p.message}))
            .collect(),
    );
    if let Some(toml) = toml_from_json {
        extra.insert("toml".into(), Value::String(toml.to_owned()));
    }
    with_members(ApiError::validation(detail), extra).await
}

async fn conflict(state: &AppState, stranded: &[Stranded]) -> Response {
    let listed: Vec<StrandedBody> = stranded.iter().map(|s| stranded_body(state, s)).collect();
    let mut detail = format!(
        "the new configuration would strand {} appointment(s); send it again with ?force=cancel to cancel them:",
        listed.len()
    );
    for s in &listed {
        detail.push_str(&format!(
            "\n{} at {} ({}): {}",
            s.locator, s.office_id, s.start, s.reason
        ));
    }
    let mut extra = Map::new();
    extra.insert(
        "appointments".into(),
        serde_json::to_value(&listed).unwrap_or_default(),
    );
    with_members(
        ApiError::new(StatusCode::CONFLICT, "config_conflict", detail),
        extra,
    )
    .await
}

/// The problem answer of `error` with extension members (RFC 9457 §3.2) added.
async fn with_members(error: ApiError, extra: Map<String, Value>) -> Response {
    let (mut parts, body) = error.into_response().into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, super::BODY_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut problem: Map<String, Value> = serde_json::from_slice(&bytes).unwrap_or_default();
    problem.extend(extra);
    let bytes = serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_equivalent_toml() {
        let value = json!({
            "booking": {"hold_ttl_seconds": 300},
            "office": [{
                "id": "x",
                "name": "X",
                "hours": [{"days": ["mon"], "open": "09:00", "close": "14:00"}],
                "timezone": "Europe/Madrid",
            }],
        });
        let text = json_to_toml(&value).unwrap();
        let back: toml::Table = text.parse().unwrap();
        assert_eq!(back["booking"]["hold_ttl_seconds"].as_integer(), Some(300));
        let office = &back["office"].as_array().unwrap()[0];
        assert_eq!(office["timezone"].as_str(), Some("Europe/Madrid"));
        assert_eq!(
            office["hours"].as_array().unwrap()[0]["open"].as_str(),
            Some("09:00")
        );
    }

    #[test]
    fn json_without_a_toml_equivalent_is_refused() {
        assert!(json_to_toml(&json!([1, 2])).is_err());
        assert!(json_to_toml(&json!({"a": null})).is_err());
    }

    #[test]
    fn media_types_pick_the_format() {
        let mut headers = HeaderMap::new();
        assert_eq!(config_text(&headers, b"").unwrap_err().status, 415);
        headers.insert(
            header::CONTENT_TYPE,
            "text/plain; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(
            config_text(&headers, b"a = 1").unwrap(),
            ("a = 1".into(), false)
        );
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(
            config_text(&headers, br#"{"a": 1}"#).unwrap(),
            ("a = 1\n".into(), true)
        );
        assert_eq!(config_text(&headers, b"{").unwrap_err().status, 400);
    }
}
