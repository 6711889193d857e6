//! The OpenAPI 3.1 description of the API, served at `GET /api/v1/openapi.json`.
//!
//! Contract: every route in the router is documented. Routes are registered only through
//! the route table in `http/mod.rs` ([`super::route_table`]); the tests below fail when a
//! route of that table has no operation here, when an operation here has no route, and
//! when the router serves a path the table does not list. Client generators and API
//! gateways rely on this document, so it must not drift.
//!
//! There is no bundled docs page: the CDN-based viewers render blank offline (DESIGN §6).

use axum::Json;
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ApiError;
use super::{metrics, ops, public};

/// The public (citizen) and ops operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cita",
        description = "Appointment booking for public offices (cita previa). Errors are \
                       RFC 9457 problem+json with a stable `code`."
    ),
    paths(
        ops::healthz,
        ops::readyz,
        metrics::metrics,
        openapi_json,
        public::list_offices,
        public::list_days,
        public::list_slots,
        public::create_hold,
        public::book_appointment,
        public::lookup_appointment,
        public::get_appointment,
        public::reschedule_appointment,
        public::cancel_appointment,
        public::erase_appointment,
        public::appointment_ics,
    ),
    tags(
        (name = "public", description = "Citizens: offices, availability, holds and appointments"),
        (name = "ops", description = "Health, readiness, metrics and this document"),
    )
)]
struct CoreApi;

/// Declares the `bearer` security scheme the operations refer to: appointment tokens for
/// citizens, staff tokens for staff and admin routes.
#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An appointment token (from booking or look-up) or a staff token",
                    ))
                    .build(),
            ),
        );
    }
}

/// Error answers are `application/problem+json` (the handlers' annotations say
/// `body = Problem`, which utoipa files under `application/json`).
#[derive(Debug)]
struct ProblemJson;

impl Modify for ProblemJson {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in &mut operation.responses.responses {
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let RefOr::T(response) = response
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response
                            .content
                            .insert("application/problem+json".to_owned(), content);
                    }
                }
            }
        }
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = CoreApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // Staff, admin and feed operations are listed in their own modules; the modifiers
    // below apply to them too.
    doc.merge(super::staff::StaffApi::openapi());
    doc.merge(super::admin::AdminApi::openapi());
    doc.merge(super::feeds::FeedsApi::openapi());
    BearerScheme.modify(&mut doc);
    ProblemJson.modify(&mut doc);
    doc
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(document())
        .map(Json)
        .map_err(|e| ApiError::internal(&e))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// (method, path) of every operation in the document.
    fn documented() -> BTreeSet<(String, String)> {
        let doc = document();
        let mut out = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ];
            for (method, operation) in operations {
                if operation.is_some() {
                    out.insert((method.to_owned(), path.clone()));
                }
            }
        }
        out
    }

    fn routed() -> BTreeSet<(String, String)> {
        super::super::route_table()
            .into_iter()
            .map(|(method, path)| (method.to_string(), path.to_owned()))
            .collect()
    }

    #[test]
    fn every_route_is_documented_and_every_operation_is_routed() {
        let (documented, routed) = (documented(), routed());
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routes without a #[utoipa::path] in openapi.rs: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "documented operations the router does not serve: {unrouted:?}"
        );
    }

    /// Guards the route table itself: a route added to the router some other way (a bare
    /// `.route()` or a merged router) shows up in the router's paths but not in the table.
    /// Reads the paths from axum's `Debug` output; if axum changes that format, this test
    /// fails loudly rather than passing silently.
    #[test]
    fn the_router_serves_exactly_the_route_table() {
        let state_free = super::super::routes().router;
        let debug = format!("{state_free:?}");
        // The routes proper; axum's own fallback router follows them.
        let routes = debug.split("fallback_router").next().unwrap_or(&debug);
        let mut in_router = BTreeSet::new();
        for piece in routes.split('"').skip(1).step_by(2) {
            if piece.starts_with('/') && !piece.contains("__private__axum") {
                in_router.insert(piece.to_owned());
            }
        }
        let in_table: BTreeSet<String> = routed().into_iter().map(|(_, p)| p).collect();
        assert!(
            !in_router.is_empty(),
            "could not read the router's paths from its Debug output:\n{debug}"
        );
        assert_eq!(in_router, in_table);
    }

    /// Rules every operation follows, so clients can rely on the document for errors:
    /// a body can be malformed (400), too large (413), not JSON (415) or invalid (422);
    /// a bearer route can be refused (401); a path with parameters can name nothing
    /// (404); every error is a problem+json `Problem`; every answer is described.
    #[test]
    fn every_operation_documents_its_error_answers() {
        let doc = serde_json::to_value(document()).expect("serializes");
        let mut failures = vec![];
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let responses = operation["responses"].as_object().expect("responses");
                let mut required = vec![];
                if operation.get("requestBody").is_some() {
                    required.extend(["400", "413", "415", "422"]);
                }
                if operation.get("security").is_some() {
                    required.push("401");
                }
                if path.contains('{') {
                    required.push("404");
                }
                for status in required {
                    if !responses.contains_key(status) {
                        failures.push(format!("{method} {path}: no {status}"));
                    }
                }
                for (status, response) in responses {
                    if response["description"].as_str().is_none_or(str::is_empty) {
                        failures.push(format!("{method} {path} {status}: no description"));
                    }
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response["content"].as_object();
                        let problem = content.and_then(|c| {
                            (c.len() == 1)
                                .then(|| c.get("application/problem+json"))
                                .flatten()
                        });
                        if problem
                            .is_none_or(|p| p["schema"]["$ref"] != "#/components/schemas/Problem")
                        {
                            failures.push(format!("{method} {path} {status}: not a Problem"));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn bearer_scheme_and_problem_schema_are_declared() {
        let doc = document();
        let components = doc.components.as_ref().expect("components");
        assert!(components.security_schemes.contains_key("bearer"));
        assert!(components.schemas.contains_key("Problem"));
        let json = doc.to_json().expect("serializes");
        assert!(json.contains("\"openapi\":\"3.1.0\""));
    }
}
