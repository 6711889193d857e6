//! Operations: health, readiness, metrics, the OpenAPI document, and answers for routes
//! that do not exist (DESIGN §6, §10).

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

both_backends!(
    health_and_readiness,
    unknown_routes_and_methods_are_problems,
    metrics_count_by_route_template,
    metrics_count_bookings_holds_and_conflicts,
    openapi_documents_every_route,
    request_ids_are_propagated_and_name_problems,
);

async fn request_ids_are_propagated_and_name_problems(db: Db) {
    let Some(app) = spawn(db).await else { return };
    // A well-formed id from the client (or its proxy) is kept and answered back...
    let answer = app
        .raw(
            Method::GET,
            "/api/v1/appointments/ZZZZZZZZ",
            &[
                ("x-request-id", "edge-7f3a.42"),
                ("authorization", "Bearer x"),
            ],
            "",
        )
        .await;
    assert_eq!(answer.headers["x-request-id"], "edge-7f3a.42");
    assert_eq!(answer.json()["instance"], "urn:cita:request:edge-7f3a.42");
    // ...a malformed one (it would end up in the log) is replaced by a new one...
    for bad in ["with space", "quote\"", &"x".repeat(65)] {
        let answer = app
            .raw(Method::GET, "/api/v1/nope", &[("x-request-id", bad)], "")
            .await;
        let id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 32, "{id}");
        answer.problem(404, "not_found");
    }
    // ...and every answer has one, a different one each time.
    let first = app.get("/healthz").await.headers["x-request-id"].clone();
    let second = app.get("/healthz").await.headers["x-request-id"].clone();
    assert_ne!(first, second);
}

async fn health_and_readiness(db: Db) {
    let Some(app) = spawn(db).await else { return };
    assert_eq!(app.get("/healthz").await.ok(200), json!({"status": "ok"}));
    assert_eq!(app.get("/readyz").await.ok(200), json!({"status": "ready"}));
    // With the database gone, the process is alive but not ready.
    app.state.booking.store().close().await;
    assert_eq!(app.get("/healthz").await.ok(200), json!({"status": "ok"}));
    let answer = app.get("/readyz").await;
    answer.problem(503, "unavailable");
    assert!(answer.headers.contains_key("retry-after"));
}

async fn unknown_routes_and_methods_are_problems(db: Db) {
    let Some(app) = spawn(db).await else { return };
    for path in [
        "/api/v2/offices",
        "/api/v1/offices/x",
        "/api/v1/appointments/A/B/C",
    ] {
        app.get(path).await.problem(404, "not_found");
    }
    app.post_json("/api/nope", &json!({}))
        .await
        .problem(404, "not_found");
    // Outside the API an unknown path is a page, in the visitor's language.
    for (path, language, heading) in [
        ("/nope", "es", "No encontramos esta página"),
        ("/nope?lang=en", "en", "We cannot find this page"),
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status.as_u16(), 404);
        assert!(answer.content_type().starts_with("text/html"));
        let page = answer.text();
        assert!(
            page.contains(&format!("<html lang=\"{language}\">")),
            "{page}"
        );
        assert!(page.contains(heading), "{page}");
    }
    let answer = app.raw(Method::DELETE, "/api/v1/offices", &[], "").await;
    answer.problem(405, "method_not_allowed");
    assert_eq!(answer.headers["allow"], "GET,HEAD");
    app.get("/api/v1/appointments")
        .await
        .problem(405, "method_not_allowed");
}

/// The exposition's lines that start with `prefix`.
fn lines<'a>(exposition: &'a str, prefix: &str) -> Vec<&'a str> {
    exposition
        .lines()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

async fn metrics_count_by_route_template(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let answer = app.get("/metrics").await;
    assert_eq!(answer.status.as_u16(), 200);
    assert!(
        answer
            .content_type()
            .starts_with("application/openmetrics-text")
    );
    let before = answer.text();
    for family in [
        "# TYPE cita_bookings counter",
        "# TYPE cita_holds counter",
        "# TYPE cita_conflicts counter",
    ] {
        assert!(before.contains(family), "{family} missing:\n{before}");
    }
    assert_eq!(sample(&before, "cita_bookings_total"), 0.0);
    assert_eq!(
        sample(&before, r#"cita_conflicts_total{code="slot_unavailable"}"#),
        0.0,
        "known codes start at zero"
    );

    for (office, service) in [
        (MADRID, HUELLAS),
        (LAS_PALMAS, RENOVACION),
        (BARCELONA, HUELLAS),
    ] {
        app.slots(office, service, "2027-03-02").await;
    }
    app.get("/api/v1/offices/nowhere/services/x/slots?date=2027-03-02")
        .await
        .problem(404, "not_found");
    app.get("/no/such/thing/12345").await;
    app.get("/api/v1/appointments/ABCDEFGH")
        .await
        .problem(401, "unauthorized");

    let after = app.metrics().await;
    for family in [
        "# TYPE http_requests counter",
        "# TYPE http_request_duration_seconds histogram",
    ] {
        assert!(after.contains(family), "{family} missing:\n{after}");
    }
    let slots = "/api/v1/offices/{office}/services/{service}/slots";
    assert_eq!(
        sample(
            &after,
            &format!(r#"http_requests_total{{route="{slots}",method="GET",status="200"}}"#)
        ),
        3.0,
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            &format!(r#"http_requests_total{{route="{slots}",method="GET",status="404"}}"#)
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            r#"http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            r#"http_requests_total{route="/api/v1/appointments/{locator}",method="GET",status="401"}"#
        ),
        1.0
    );
    // The first scrape is counted too, under its own route.
    assert_eq!(
        sample(
            &after,
            r#"http_requests_total{route="/metrics",method="GET",status="200"}"#
        ),
        1.0
    );
    // Raw paths never become labels.
    for raw in [MADRID, "nowhere", "/no/such", "ABCDEFGH"] {
        assert!(!after.contains(raw), "{raw} leaked into a label:\n{after}");
    }
    // The latency histogram, by route template.
    assert_eq!(
        sample(
            &after,
            &format!(r#"http_request_duration_seconds_count{{route="{slots}"}}"#)
        ),
        4.0
    );
    assert_eq!(
        sample(
            &after,
            &format!(r#"http_request_duration_seconds_bucket{{le="+Inf",route="{slots}"}}"#)
        ),
        4.0,
        "{after}"
    );
    assert!(lines(&after, "http_request_duration_seconds_bucket").len() >= 14);
    assert!(after.trim_end().ends_with("# EOF"));
    // Each app has its own registry.
    let Some(other) = spawn(db).await else { return };
    assert_eq!(
        sample(
            &other.metrics().await,
            &format!(r#"http_requests_total{{route="{slots}",method="GET",status="200"}}"#)
        ),
        0.0
    );
}

async fn metrics_count_bookings_holds_and_conflicts(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let slot = "2027-03-02T09:00:00+01:00";
    let conflicts = |code: &str| format!(r#"cita_conflicts_total{{code="{code}"}}"#);

    let key = [("idempotency-key", "metrics-1")];
    let request = BookReq::new(MADRID, HUELLAS, slot, &dni(1)).json();
    let first = app
        .post_json_with("/api/v1/appointments", &request, &key)
        .await
        .ok(201);
    app.post_json_with("/api/v1/appointments", &request, &key)
        .await
        .ok(201);
    app.post_json(
        "/api/v1/holds",
        &json!({"office_id": MADRID, "service_id": HUELLAS, "start": slot}),
    )
    .await
    .ok(201);
    app.try_book(&BookReq::new(MADRID, HUELLAS, slot, &dni(2)))
        .await
        .problem(409, "slot_unavailable");
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-03T09:00:00+01:00",
        &dni(1),
    ))
    .await
    .problem(409, "citizen_limit_reached");
    app.try_book(&BookReq::new(
        MADRID,
        HUELLAS,
        "2027-03-03T09:00:00+01:00",
        "12345678A",
    ))
    .await
    .problem(422, "invalid_document");
    let cancel = format!(
        "/api/v1/appointments/{}/cancel",
        first["locator"].as_str().unwrap()
    );
    let token = first["token"].as_str().unwrap();
    app.post_with_token(&cancel, token, &json!({}))
        .await
        .ok(200);
    app.post_with_token(&cancel, token, &json!({}))
        .await
        .problem(409, "invalid_transition");

    let m = app.metrics().await;
    assert_eq!(
        sample(&m, "cita_bookings_total"),
        1.0,
        "a replay is not a booking:\n{m}"
    );
    // Four requests reached the booking queue one after another (the booking, its replay
    // and the two refusals): four transactions of one booking each.
    assert_eq!(sample(&m, "cita_booking_batched_total"), 4.0, "{m}");
    assert_eq!(sample(&m, "cita_booking_batches_total"), 4.0, "{m}");
    assert_eq!(
        sample(
            &m,
            r#"http_requests_total{route="/api/v1/appointments",method="POST",status="201"}"#
        ),
        2.0
    );
    assert_eq!(sample(&m, "cita_holds_total"), 1.0);
    assert_eq!(sample(&m, &conflicts("slot_unavailable")), 1.0);
    assert_eq!(sample(&m, &conflicts("citizen_limit_reached")), 1.0);
    assert_eq!(sample(&m, &conflicts("invalid_transition")), 1.0);
    assert_eq!(
        sample(&m, &conflicts("invalid_document")),
        0.0,
        "422 is no conflict"
    );
    assert_eq!(lines(&m, "cita_conflicts_total").len(), 4, "{m}");
}

async fn openapi_documents_every_route(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let doc = app.get("/api/v1/openapi.json").await.ok(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "cita");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for scheme in ["appointment_token", "staff_token"] {
        assert_eq!(
            doc["components"]["securitySchemes"][scheme]["scheme"],
            "bearer"
        );
    }
    // Served links use OpenAPI's member names (utoipa writes `operation_id`).
    let link = &doc["paths"]["/api/v1/appointments"]["post"]["responses"]["201"]["links"]["GetAppointment"];
    assert_eq!(link["operationId"], "get_appointment", "{link}");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> = cita::http::route_table()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    // Every documented route is served: a request to it is counted under its template,
    // never under `unmatched` (the fallback).
    for (method, path) in &routed {
        let concrete = path
            .replace("{office}", MADRID)
            .replace("{service}", HUELLAS)
            .replace("{locator}", "ABCDEFGH");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let answer = app.raw(method, &concrete, &[], "").await;
        assert_ne!(answer.status.as_u16(), 405, "{path}");
    }
    let m = app.metrics().await;
    for (method, path) in &routed {
        let series = format!(r#"http_requests_total{{route="{path}",method="{method}","#);
        assert_eq!(
            lines(&m, &series).len(),
            1,
            "{method} {path} not served:\n{m}"
        );
    }
    assert!(!m.contains(r#"route="unmatched""#), "{m}");
    // The whole router, layers and all, serves no path the table does not list.
    let debug = format!("{:?}", cita::http::router(app.state.clone()));
    let routes = debug.split("fallback_router").next().unwrap();
    let served: BTreeSet<&str> = routes
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with('/') && !p.contains("__private__axum"))
        .collect();
    let listed: BTreeSet<&str> = routed.iter().map(|(_, p)| p.as_str()).collect();
    // Beside the API, the citizens' and the staff's pages (they are not API operations).
    let pages = format!("{:?}", cita::web::routes());
    let pages: BTreeSet<&str> = pages
        .split("fallback_router")
        .next()
        .unwrap()
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with('/') && !p.contains("__private__axum"))
        .collect();
    assert!(
        pages.contains("/book") && pages.contains("/") && pages.contains("/staff/agenda"),
        "{pages:?}"
    );
    let api: BTreeSet<&str> = served.difference(&pages).copied().collect();
    assert_eq!(api, listed);
    // Operations that need a token say so.
    let secured = &doc["paths"]["/api/v1/appointments/{locator}"]["get"]["security"];
    assert_eq!(secured, &json!([{"appointment_token": []}]));
    let secured = &doc["paths"]["/api/v1/admin/config"]["put"]["security"];
    assert_eq!(secured, &json!([{"staff_token": []}]));
}
