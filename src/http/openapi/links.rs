//! The document's links: which operation an answer leads to next, and with which of its
//! values, so a client can follow a booking from the free times to its cancellation.

use serde_json::json;
use utoipa::Modify;
use utoipa::openapi::RefOr;
use utoipa::openapi::link::LinkBuilder;

/// OpenAPI links: how the answer of one operation feeds the next, so that clients (and
/// stateful test tools) can follow a booking from the free times to its cancellation.
#[derive(Debug)]
pub(super) struct Links;

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
