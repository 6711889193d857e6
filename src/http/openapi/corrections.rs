//! Corrections to what utoipa derives from the handlers' annotations: error answers as
//! `application/problem+json`, the surge protection's answers on every route it guards,
//! and request bodies that may be left out.

use utoipa::Modify;
use utoipa::openapi::RefOr;

/// Error answers are `application/problem+json` (the handlers' annotations say
/// `body = Problem`, which utoipa files under `application/json`).
#[derive(Debug)]
pub(super) struct ProblemJson;

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
pub(super) struct SurgeAnswers;

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
pub(super) struct OptionalBodies;

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
