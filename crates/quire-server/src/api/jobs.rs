//! `/api/v1/jobs/`: the caller's jobs (every AI operation runs as one): list, poll (with
//! `?wait=N`), cancel.

use super::views::JobView;
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use quire_core::{
    entities::enums::JobStatus,
    jobs::queue::{self, JobFilter},
};
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The longest `?wait=` honoured, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;
const WAIT_POLL: Duration = Duration::from_millis(100);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve))
        .routes(routes!(cancel))
}

/// The caller's jobs, newest first. Sort keys: `id`, `created_at`, `finished_at`.
#[utoipa::path(get, path = "/jobs/", tag = "jobs", security(("bearer" = [])),
    params(ListParams, JobFilter),
    responses(
        (status = 200, description = "A page of jobs", body = Paginated<JobView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<JobFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<JobView>>> {
    let page = queue::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, JobView::from)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitParams {
    /// Hold the answer until the job ends or this many seconds pass (at most 60).
    pub wait: Option<u64>,
}

/// One job: status, progress and, once done, its result.
#[utoipa::path(get, path = "/jobs/{id}/", tag = "jobs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id"), WaitParams),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "`wait` is not a number, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such job in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<WaitParams>,
) -> ApiResult<Json<JobView>> {
    let wait = Duration::from_secs(params.wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    Ok(Json(wait_for(&state, &tenant, id, wait).await?.into()))
}

/// The answer to a POST that started an AI operation: 202 with the job and a `Location` to
/// poll; with `?wait=N` (at most 60 s) the answer waits until the job ends or N passes.
pub async fn accepted(
    state: &AppState,
    tenant: &quire_core::accounts::principal::Tenant,
    job: quire_core::entities::job::Model,
    wait: Option<u64>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let location = format!("/api/v1/jobs/{}/", job.id);
    let wait = Duration::from_secs(wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    let job = if wait.is_zero() {
        job
    } else {
        wait_for(state, tenant, job.id, wait).await?
    };
    Ok((
        axum::http::StatusCode::ACCEPTED,
        [(axum::http::header::LOCATION, location)],
        Json(JobView::from(job)),
    )
        .into_response())
}

/// The job once it has ended, or as it is when `wait` runs out.
pub async fn wait_for(
    state: &AppState,
    tenant: &quire_core::accounts::principal::Tenant,
    id: i64,
    wait: Duration,
) -> Result<quire_core::entities::job::Model, quire_core::Error> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let job = queue::get(&state.quire.db, tenant, id).await?;
        let finished = matches!(
            job.status,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled
        );
        if finished || tokio::time::Instant::now() >= deadline {
            return Ok(job);
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

/// Cancel a job. A queued job ends at once with every credit returned; a running one stops
/// at its next progress report, also refunded. A finished job answers 409.
#[utoipa::path(post, path = "/jobs/{id}/cancel/", tag = "jobs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "Canceled, or asked to stop", body = JobView),
        MalformedPath,
        (status = 404, description = "No such job in your account", body = ErrorBody),
        (status = 409, description = "The job has already finished", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(
        queue::cancel(&state.quire.db, &tenant, id).await?.into(),
    ))
}
