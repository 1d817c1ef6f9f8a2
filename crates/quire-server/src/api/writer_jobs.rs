//! The writer's AI operations, each a job: generate an article (one task, or a batch with one
//! job per task) and rewrite one section; with an estimate endpoint for each.

use super::{jobs::WaitParams, planner_jobs::EstimateView, views::JobView};
use crate::{
    error::{AiLimitRefusals, ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, TenantContext},
    listing::ApiQuery,
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use quire_core::writer::{
    generation::{self, GenerateRequest},
    regeneration::{self, RegenerateRequest},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generate))
        .routes(routes!(estimate_generate))
        .routes(routes!(regenerate_section))
        .routes(routes!(estimate_regenerate_section))
}

/// The jobs a batch started, one per task.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBatchView {
    pub jobs: Vec<JobView>,
}

/// What `generate` answers: the job for `task_id`, or `{jobs}` for `task_ids`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum GenerateAnswer {
    One(JobView),
    Batch(JobBatchView),
}

/// Write the article of a task as a job: outline (unless the task has one), each section in
/// context, introduction and conclusion, title and metadata, steered to the task's word
/// count. `{task_id}` answers the job (poll `Location`); `{task_ids}` (up to 20) answers
/// `{jobs}`, one per task, started all or none. The article is stored as the task's content
/// (version 1, or the next version). Credits: the estimate is reserved now (402 with
/// `required` and `available` when short); the calls' actual usage is charged at the end; a
/// failed run stores nothing and returns everything.
#[utoipa::path(post, path = "/content/generate/", tag = "writer", security(("bearer" = [])),
    params(WaitParams),
    request_body = GenerateRequest,
    responses(
        (status = 202, description = "Queued: the job for `task_id` (poll `Location`), or `{jobs}` for `task_ids`", body = GenerateAnswer),
        (status = 400, description = "Neither or both of task_id and task_ids, too many, or tasks that are not yours", body = ErrorBody),
        (status = 409, description = "A task's article is being generated already", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
        AiLimitRefusals,
    ))]
pub async fn generate(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(wait): ApiQuery<WaitParams>,
    ApiJson(body): ApiJson<GenerateRequest>,
) -> ApiResult<Response> {
    let planned = generation::plan(&state.quire, &tenant, &body).await?;
    let mut jobs = generation::enqueue(&state.quire, &tenant, planned).await?;
    if body.task_id.is_some()
        && let Some(job) = jobs.pop()
    {
        return super::jobs::accepted(&state, &tenant, job, wait.wait).await;
    }
    let jobs = jobs.into_iter().map(JobView::from).collect();
    let answer = GenerateAnswer::Batch(JobBatchView { jobs });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// The credits generating these articles would reserve, without starting anything.
#[utoipa::path(post, path = "/content/generate/estimate/", tag = "writer", security(("bearer" = [])),
    request_body = GenerateRequest,
    responses(
        (status = 200, description = "The estimate", body = EstimateView),
        (status = 400, description = "Same checks as the operation", body = ErrorBody),
        (status = 409, description = "A task's article is being generated already", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn estimate_generate(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<GenerateRequest>,
) -> ApiResult<Json<EstimateView>> {
    let planned = generation::plan(&state.quire, &tenant, &body).await?;
    let credits = planned.iter().map(|p| p.credits).sum();
    Ok(Json(EstimateView::new(
        credits,
        tenant.account.credits,
        planned.len(),
    )))
}

/// Rewrite one section of an article as a job, in context (the outline and the text around
/// it) and following `instructions`; the article gets a new version. Only that one call is
/// charged.
#[utoipa::path(post, path = "/content/regenerate_section/", tag = "writer", security(("bearer" = [])),
    params(WaitParams),
    request_body = RegenerateRequest,
    responses(
        (status = 202, description = "Queued; poll the job at `Location`", body = JobView),
        (status = 400, description = "Content that is not yours, no such section, or instructions too long", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
        AiLimitRefusals,
    ))]
pub async fn regenerate_section(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(wait): ApiQuery<WaitParams>,
    ApiJson(body): ApiJson<RegenerateRequest>,
) -> ApiResult<Response> {
    let planned = regeneration::plan(&state.quire, &tenant, body).await?;
    let job = regeneration::enqueue(&state.quire, &tenant, planned).await?;
    super::jobs::accepted(&state, &tenant, job, wait.wait).await
}

/// The credits a section rewrite would reserve, without starting it.
#[utoipa::path(post, path = "/content/regenerate_section/estimate/", tag = "writer", security(("bearer" = [])),
    request_body = RegenerateRequest,
    responses(
        (status = 200, description = "The estimate", body = EstimateView),
        (status = 400, description = "Same checks as the operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn estimate_regenerate_section(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<RegenerateRequest>,
) -> ApiResult<Json<EstimateView>> {
    let planned = regeneration::plan(&state.quire, &tenant, body).await?;
    Ok(Json(EstimateView::new(
        planned.credits,
        tenant.account.credits,
        1,
    )))
}
