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
                    if problem.is_none_or(|p| p["schema"]["$ref"] != "#/components/schemas/Problem")
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
