//! The OpenAPI 3.1 description of the API, served at `GET /api/v1/openapi.json`.
//!
//! Contract: every route in the router is documented. Routes are registered only through
//! the route table in `http/mod.rs` ([`super::route_table`]); the tests (`tests.rs`) fail when a
//! route of that table has no operation here, when an operation here has no route, and
//! when the router serves a path the table does not list. Client generators and API
//! gateways rely on this document, so it must not drift.
//!
//! There is no bundled docs page: the CDN-based viewers render blank offline (DESIGN §6).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ApiError;
use super::{contract, metrics, ops, public};

pub(crate) mod answers;
mod corrections;
mod links;

#[cfg(test)]
mod tests;

use corrections::{OptionalBodies, ProblemJson, SurgeAnswers};
use links::Links;

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
        public::list_draws,
        public::get_draw,
        public::enter_draw,
        public::my_draw_entry,
        public::draw_record,
        public::get_room,
        public::join_room,
        public::my_ticket,
        public::request_citizen_link,
        public::my_appointments,
        public::create_my_feed,
        public::revoke_my_feed,
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
            "entry_token",
            bearer(
                "A draw entry's token: `token` of the answer of an entry. It reads only that \
                 entry's result.",
            ),
        );
        components.add_security_scheme(
            "ticket",
            bearer(
                "A waiting room ticket: `ticket` of the answer of joining. It reads only that \
                 place in line.",
            ),
        );
        components.add_security_scheme(
            "citizen_link",
            bearer(
                "The token of the link e-mailed by `POST /api/v1/citizen-links` (the `token` \
                 of its `/my/open` URL). For 30 minutes it reads the appointments of that \
                 document and address, and makes or revokes their calendar feeds.",
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
