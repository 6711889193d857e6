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
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ApiError;
use super::{contract, metrics, ops, public};

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

/// Declares the two bearer security schemes the operations refer to: appointment tokens
/// for citizens, staff tokens for staff and admin routes. They are different secrets (one
/// never opens the other's routes), so clients and test tools can tell them apart.
#[derive(Debug)]
struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "appointment_token",
            bearer(
                "An appointment's token: `token` of the answer of a booking or a look-up. \
                 It opens only that appointment.",
            ),
        );
        components.add_security_scheme(
            "staff_token",
            bearer(
                "A staff member's token (`cita user add`; `cita serve --demo` prints an \
                 admin's). Managers and agents reach only their office.",
            ),
        );
    }
}

/// Registers the value schemas of `contract.rs` that operations refer to by name.
#[derive(Debug)]
struct ValueSchemas;

impl Modify for ValueSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.extend(contract::components());
    }
}

/// OpenAPI links: how the answer of one operation feeds the next, so that clients (and
/// stateful test tools) can follow a booking from the free times to its cancellation.
#[derive(Debug)]
struct Links;

/// Links of one answer, by name.
type NamedLinks = Vec<(&'static str, LinkBuilder)>;

/// The links from an answer that carries an appointment with its tokens (a booking or a
/// look-up); `document` is where the request held the citizen's document.
fn appointment_links(document: &str, staff: bool) -> NamedLinks {
    let bearer = "Bearer {$response.body#/token}";
    let with_token = |operation: &str, description: &str| {
        LinkBuilder::new()
            .operation_id(operation)
            .description(description)
            .parameter("locator", "$response.body#/locator")
            .parameter("header.Authorization", bearer)
    };
    let mut links = vec![
        (
            "GetAppointment",
            with_token("get_appointment", "read the appointment with its token"),
        ),
        (
            "RescheduleAppointment",
            with_token("reschedule_appointment", "move it to another time"),
        ),
        (
            "CancelAppointment",
            with_token("cancel_appointment", "cancel it"),
        ),
        (
            "EraseAppointment",
            with_token(
                "erase_appointment",
                "erase its personal data once it is over",
            ),
        ),
        (
            "LookUpAppointment",
            LinkBuilder::new()
                .operation_id("lookup_appointment")
                .description("find it again by locator and document (a fresh token)")
                .request_body(Some(json!({
                    "locator": "$response.body#/locator",
                    "document": document,
                }))),
        ),
        (
            "AppointmentCalendar",
            LinkBuilder::new()
                .operation_id("appointment_ics")
                .description("its iCalendar file, with the calendar token")
                .parameter("locator", "$response.body#/locator")
                .parameter("query.token", "$response.body#/calendar_token"),
        ),
    ];
    if staff {
        for (name, operation) in [
            ("CheckIn", "check_in"),
            ("UndoCheckIn", "undo_check_in"),
            ("Complete", "complete"),
            ("NoShow", "no_show"),
            ("StaffCancel", "cancel"),
        ] {
            links.push((
                name,
                LinkBuilder::new()
                    .operation_id(operation)
                    .description("a staff status change (staff token)")
                    .parameter("locator", "$response.body#/locator"),
            ));
        }
    }
    links
}

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let booked = || appointment_links("$request.body#/citizen/document", true);
        let slot_body = json!({
            "office_id": "$response.body#/office_id",
            "service_id": "$response.body#/service_id",
            "start": "$response.body#/slots/0/start",
        });
        let first_office = "$response.body#/0/id";
        let first_service = "$response.body#/0/services/0/id";
        let table: Vec<(&str, &str, NamedLinks)> = vec![
            (
                "/api/v1/offices",
                "200",
                vec![
                    (
                        "DaysOfFirstProcedure",
                        LinkBuilder::new()
                            .operation_id("list_days")
                            .description("free days of the first office's first procedure")
                            .parameter("office", first_office)
                            .parameter("service", first_service),
                    ),
                    (
                        "SlotsOfFirstProcedure",
                        LinkBuilder::new()
                            .operation_id("list_slots")
                            .description("free times of the first office's first procedure")
                            .parameter("office", first_office)
                            .parameter("service", first_service),
                    ),
                    (
                        "AgendaOfFirstOffice",
                        LinkBuilder::new()
                            .operation_id("get_agenda")
                            .description("the first office's agenda (staff token)")
                            .parameter("office", first_office),
                    ),
                    (
                        "WalkInAtFirstOffice",
                        LinkBuilder::new()
                            .operation_id("book_walk_in")
                            .description("book at the first office's counter (staff token)")
                            .parameter("office", first_office)
                            .request_body(Some(json!({
                                "office_id": first_office,
                                "service_id": first_service,
                            }))),
                    ),
                ],
            ),
            ("/api/v1/appointments", "201", booked()),
            (
                "/api/v1/staff/offices/{office}/appointments",
                "201",
                booked(),
            ),
            (
                "/api/v1/appointments/lookup",
                "200",
                appointment_links("$request.body#/document", false),
            ),
            // A checked-in appointment can be served, or go back to booked (a check-in made
            // by mistake), and then be checked in again.
            (
                "/api/v1/staff/appointments/{locator}/check-in",
                "200",
                vec![
                    (
                        "UndoCheckIn",
                        LinkBuilder::new()
                            .operation_id("undo_check_in")
                            .description("undo this check-in: booked again (staff token)")
                            .parameter("locator", "$response.body#/locator"),
                    ),
                    (
                        "Complete",
                        LinkBuilder::new()
                            .operation_id("complete")
                            .description("the citizen was served (staff token)")
                            .parameter("locator", "$response.body#/locator"),
                    ),
                ],
            ),
            (
                "/api/v1/staff/appointments/{locator}/undo-check-in",
                "200",
                vec![(
                    "CheckIn",
                    LinkBuilder::new()
                        .operation_id("check_in")
                        .description("check the citizen in again (staff token)")
                        .parameter("locator", "$response.body#/locator"),
                )],
            ),
            (
                "/api/v1/offices/{office}/services/{service}/days",
                "200",
                vec![(
                    "SlotsOfFirstDay",
                    LinkBuilder::new()
                        .operation_id("list_slots")
                        .description("the times of the first day of the range")
                        .parameter("office", "$request.path.office")
                        .parameter("service", "$request.path.service")
                        .parameter("date", "$response.body#/days/0/date"),
                )],
            ),
            (
                "/api/v1/offices/{office}/services/{service}/slots",
                "200",
                vec![
                    (
                        "HoldFirstSlot",
                        LinkBuilder::new()
                            .operation_id("create_hold")
                            .description("hold the first free time")
                            .request_body(Some(slot_body.clone())),
                    ),
                    (
                        "BookFirstSlot",
                        LinkBuilder::new()
                            .operation_id("book_appointment")
                            .description("book the first free time")
                            .request_body(Some(slot_body)),
                    ),
                ],
            ),
            (
                "/api/v1/holds",
                "201",
                vec![(
                    "BookHeldTime",
                    LinkBuilder::new()
                        .operation_id("book_appointment")
                        .description("book the held time with its hold")
                        .request_body(Some(json!({
                            "office_id": "$request.body#/office_id",
                            "service_id": "$request.body#/service_id",
                            "start": "$response.body#/start",
                            "hold_id": "$response.body#/hold_id",
                        }))),
                )],
            ),
        ];
        for (path, status, links) in table {
            let Some(item) = openapi.paths.paths.get_mut(path) else {
                continue;
            };
            // Each of these paths has one operation (GET or POST).
            let Some(operation) = item.post.as_mut().or(item.get.as_mut()) else {
                continue;
            };
            if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
                for (name, link) in links {
                    response
                        .links
                        .insert(name.to_owned(), RefOr::T(link.build()));
                }
            }
        }
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

/// Answers of the surge protection (DESIGN §8, `http/surge.rs`), which stands in front of
/// every route but `/healthz`, `/readyz` and `/metrics`: 503 `overloaded` past the bounds
/// of requests in flight (also with `--no-rate-limit`), or `unavailable` when the
/// database is out of reach; and on the public `/api/v1` routes (not staff, admin or this
/// document) 429 `rate_limited`, both with `Retry-After`.
#[derive(Debug)]
struct SurgeAnswers;

impl SurgeAnswers {
    fn answer(description: &str) -> RefOr<utoipa::openapi::Response> {
        let retry_after = utoipa::openapi::HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(0)),
            )
            .description(Some("seconds to wait before trying again"))
            .build();
        let content = utoipa::openapi::ContentBuilder::new()
            .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
            .build();
        RefOr::T(
            utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .header("Retry-After", retry_after)
                .content("application/problem+json", content)
                .build(),
        )
    }
}

impl Modify for SurgeAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics") {
                continue;
            }
            let limited = path.strip_prefix("/api/v1/").is_some_and(|rest| {
                !(rest.starts_with("staff/")
                    || rest.starts_with("admin/")
                    || rest == "openapi.json")
            });
            let operations = [&mut item.get, &mut item.put, &mut item.post];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses.insert(
                    "503".to_owned(),
                    Self::answer(
                        "overloaded (too many requests in flight: the server sheds load) or \
                         unavailable (the database is out of reach); nothing was changed; \
                         retry after Retry-After seconds",
                    ),
                );
                if limited {
                    responses.insert(
                        "429".to_owned(),
                        Self::answer(
                            "rate_limited: too many requests from this client for this kind \
                             of route (bookings also per document, failed look-ups also per \
                             locator); with RateLimit-Policy and RateLimit; retry after \
                             Retry-After seconds (off with `--no-rate-limit`)",
                        ),
                    );
                }
            }
        }
    }
}

/// Request bodies that may be left out entirely: staff status changes take an optional
/// `{reason}`; no body means no reason (`null` is not a body they accept).
#[derive(Debug)]
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for action in ["check-in", "undo-check-in", "complete", "no-show", "cancel"] {
            let path = format!("/api/v1/staff/appointments/{{locator}}/{action}");
            let body = openapi
                .paths
                .paths
                .get_mut(&path)
                .and_then(|item| item.post.as_mut())
                .and_then(|operation| operation.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(utoipa::openapi::Required::False);
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
    BearerSchemes.modify(&mut doc);
    ValueSchemas.modify(&mut doc);
    Links.modify(&mut doc);
    OptionalBodies.modify(&mut doc);
    SurgeAnswers.modify(&mut doc);
    ProblemJson.modify(&mut doc);
    doc
}

/// The document as served. utoipa 5 writes the members of a link object in snake case
/// (`operation_id`, `operation_ref`, `request_body`); OpenAPI spells them in camel case,
/// and clients ignore links without `operationId`: they are renamed here.
pub fn document_json() -> Result<serde_json::Value, serde_json::Error> {
    let mut value = serde_json::to_value(document())?;
    let paths = value
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut);
    for item in paths.into_iter().flat_map(|paths| paths.values_mut()) {
        let operations = item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut());
        for operation in operations {
            let responses = operation
                .get_mut("responses")
                .and_then(serde_json::Value::as_object_mut);
            for response in responses.into_iter().flat_map(|r| r.values_mut()) {
                let links = response
                    .get_mut("links")
                    .and_then(serde_json::Value::as_object_mut);
                for link in links.into_iter().flat_map(|l| l.values_mut()) {
                    let Some(link) = link.as_object_mut() else {
                        continue;
                    };
                    for (snake, camel) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(member) = link.remove(snake) {
                            link.insert(camel.to_owned(), member);
                        }
                    }
                }
            }
        }
    }
    Ok(value)
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Result<Json<serde_json::Value>, ApiError> {
    document_json()
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
        let doc = document_json().expect("serializes");
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

    /// The booking answer links to every operation on the appointment, and every link
    /// anywhere names an operation of the document (stateful clients follow them).
    #[test]
    fn links_lead_from_a_booking_to_its_operations() {
        let doc = document_json().expect("serializes");
        let mut operation_ids = BTreeSet::new();
        for item in doc["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("path item").values() {
                if let Some(id) = operation["operationId"].as_str() {
                    operation_ids.insert(id.to_owned());
                }
            }
        }
        let booked = &doc["paths"]["/api/v1/appointments"]["post"]["responses"]["201"]["links"];
        for name in [
            "GetAppointment",
            "RescheduleAppointment",
            "CancelAppointment",
            "EraseAppointment",
            "LookUpAppointment",
            "AppointmentCalendar",
        ] {
            assert!(booked.get(name).is_some(), "no {name} link: {booked}");
        }
        assert_eq!(
            booked["GetAppointment"]["parameters"]["header.Authorization"],
            "Bearer {$response.body#/token}"
        );
        let staff = |path: &str| doc["paths"][path]["post"]["responses"]["200"]["links"].clone();
        let checked_in = staff("/api/v1/staff/appointments/{locator}/check-in");
        assert_eq!(
            checked_in["UndoCheckIn"]["operationId"], "undo_check_in",
            "{checked_in}"
        );
        assert_eq!(checked_in["Complete"]["operationId"], "complete");
        let undone = staff("/api/v1/staff/appointments/{locator}/undo-check-in");
        assert_eq!(undone["CheckIn"]["operationId"], "check_in", "{undone}");
        let mut links = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("path item").values() {
                let Some(responses) = operation["responses"].as_object() else {
                    continue;
                };
                for response in responses.values() {
                    for link in response["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|l| l.values())
                    {
                        links += 1;
                        let target = link["operationId"].as_str().expect("operationId");
                        assert!(operation_ids.contains(target), "no operation {target}");
                    }
                }
            }
        }
        assert!(links >= 20, "only {links} links");
    }

    /// Path parameters are exactly the template's `{names}`; everything else is in the
    /// query or a header (utoipa puts `IntoParams` structs in the path unless told).
    #[test]
    fn parameters_are_where_the_router_reads_them() {
        let doc = document_json().expect("serializes");
        let mut failures = vec![];
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let parameters = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let in_path: BTreeSet<String> = parameters
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                let template: BTreeSet<String> = path
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                    .collect();
                if in_path != template {
                    failures.push(format!("{method} {path}: path parameters {in_path:?}"));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        let days = &doc["paths"]["/api/v1/offices/{office}/services/{service}/days"]["get"];
        let from = days["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "from"))
            .expect("from");
        assert_eq!(from["in"], "query");
        assert_eq!(from["schema"]["format"], "date");
    }

    /// The configuration is TOML text (or the same as JSON): the request body says so.
    #[test]
    fn the_configuration_body_is_described() {
        let doc = document_json().expect("serializes");
        let body = &doc["paths"]["/api/v1/admin/config"]["put"]["requestBody"];
        assert_eq!(body["required"], true, "{body}");
        assert_eq!(
            body["content"]["application/toml"]["schema"]["type"],
            "string"
        );
        assert_eq!(
            body["content"]["application/json"]["schema"]["type"],
            "object"
        );
    }

    /// Request bodies refuse unknown members (`deny_unknown_fields`) and say so.
    #[test]
    fn request_bodies_refuse_unknown_members() {
        let doc = document_json().expect("serializes");
        let schemas = &doc["components"]["schemas"];
        for name in [
            "HoldBody",
            "BookBody",
            "LookupBody",
            "RescheduleBody",
            "TransitionBody",
            "ClosureBody",
        ] {
            assert_eq!(
                schemas[name]["additionalProperties"], false,
                "{name}: {}",
                schemas[name]
            );
        }
        for citizen in schemas["BookBody"]["properties"]["citizen"]["anyOf"]
            .as_array()
            .expect("one schema per document type")
        {
            assert_eq!(citizen["additionalProperties"], false, "{citizen}");
        }
    }

    /// Value shapes: locators, documents, instants and dates are constrained.
    #[test]
    fn values_have_their_shapes() {
        let doc = document_json().expect("serializes");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Locator"]["pattern"], contract::LOCATOR_PATTERN);
        assert_eq!(schemas["Dni"]["format"], "dni");
        assert_eq!(schemas["Instant"]["format"], "date-time");
        assert_eq!(
            schemas["ClosureBody"]["properties"]["from"]["format"],
            "date"
        );
        let status = &schemas["AppointmentStatus"]["enum"];
        assert_eq!(status.as_array().map(Vec::len), Some(5), "{status}");
    }

    #[test]
    fn bearer_scheme_and_problem_schema_are_declared() {
        let doc = document();
        let components = doc.components.as_ref().expect("components");
        assert!(
            components
                .security_schemes
                .contains_key("appointment_token")
        );
        assert!(components.security_schemes.contains_key("staff_token"));
        assert!(components.schemas.contains_key("Problem"));
        let json = doc.to_json().expect("serializes");
        assert!(json.contains("\"openapi\":\"3.1.0\""));
    }
}
