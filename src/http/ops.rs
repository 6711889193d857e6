//! Health endpoints for balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready` (the database answers).
    #[schema(value_type = String, pattern = "^(ok|ready)$")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses(
    (status = 200, description = "alive: `status` is `ok`", body = Health),
))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers: send traffic here.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "ready: `status` is `ready`", body = Health),
    (status = 503, description = "database unreachable", body = super::error::Problem),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.booking.store().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::unavailable()
    })?;
    Ok(Json(Health { status: "ready" }))
}
