//! The planner's AI operations, each a job: auto cluster (`local`, `ai`, `hybrid`) and idea
//! generation, with an estimate endpoint for each so a client can show the price first.

use super::{jobs::WaitParams, views::JobView};
use crate::{
    error::{AiLimitRefusals, ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, TenantContext},
    listing::ApiQuery,
    state::AppState,
};
use axum::{Json, extract::State, response::Response};
use quire_core::planner::{
    auto_cluster::{self, AutoClusterRequest},
    idea_generation::{self, GenerateIdeasRequest},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auto_cluster))
        .routes(routes!(estimate_auto_cluster))
        .routes(routes!(generate_ideas))
        .routes(routes!(estimate_generate_ideas))
}

/// What an operation would reserve, and what the account holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateView {
    /// Credits reserved when it starts; the charge is what the calls actually use, never more.
    pub credits: i64,
    /// The account's balance now.
    pub available: i64,
    /// Whether the balance covers the reservation.
    pub enough: bool,
    /// How many keywords, clusters or tasks it works on.
    pub items: usize,
}

impl EstimateView {
    pub fn new(credits: i64, available: i64, items: usize) -> Self {
        Self {
            credits,
            available,
            enough: available >= credits,
            items,
        }
    }
}

/// Group keywords of one sector into clusters, as a job. `local` uses Quire's own algorithm
/// (a flat price per 1,000 keywords, up to 100,000 keywords); `ai` lets the model group and
/// name them; `hybrid` groups locally and lets the model name, merge and split (fewer tokens
/// than `ai`); both up to 5,000 keywords. Clustered keywords are left alone unless
/// `recluster` is true. Credits: the estimate is reserved now (402 with `required` and
/// `available` when short), the actual usage is charged when the job ends.
#[utoipa::path(post, path = "/keywords/auto_cluster/", tag = "planner", security(("bearer" = [])),
    params(WaitParams),
    request_body = AutoClusterRequest,
    responses(
        (status = 202, description = "Queued; poll the job at `Location`", body = JobView),
        (status = 400, description = "No keywords, too many, keywords outside the sector, or a sector that is not yours", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
        AiLimitRefusals,
    ))]
pub async fn auto_cluster(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(wait): ApiQuery<WaitParams>,
    ApiJson(body): ApiJson<AutoClusterRequest>,
) -> ApiResult<Response> {
    let planned = auto_cluster::plan(&state.quire, &tenant, body).await?;
    let job = auto_cluster::enqueue(&state.quire, &tenant, planned).await?;
    super::jobs::accepted(&state, &tenant, job, wait.wait).await
}

/// The credits an auto cluster would reserve, without starting it.
#[utoipa::path(post, path = "/keywords/auto_cluster/estimate/", tag = "planner", security(("bearer" = [])),
    request_body = AutoClusterRequest,
    responses(
        (status = 200, description = "The estimate", body = EstimateView),
        (status = 400, description = "Same checks as the operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn estimate_auto_cluster(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<AutoClusterRequest>,
) -> ApiResult<Json<EstimateView>> {
    let planned = auto_cluster::plan(&state.quire, &tenant, body).await?;
    Ok(Json(EstimateView::new(
        planned.credits,
        tenant.account.credits,
        planned.keywords(),
    )))
}

/// Propose content ideas for clusters, as a job: one model call per cluster; the ideas are
/// stored on each cluster's site and sector when every cluster has its ideas. Credits as for
/// every AI operation (reserve the estimate, charge the actual usage, refund a failure).
#[utoipa::path(post, path = "/clusters/generate_ideas/", tag = "planner", security(("bearer" = [])),
    params(WaitParams),
    request_body = GenerateIdeasRequest,
    responses(
        (status = 202, description = "Queued; poll the job at `Location`", body = JobView),
        (status = 400, description = "No clusters, too many, clusters that are not yours, or a bad `ideas_per_cluster`", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
        AiLimitRefusals,
    ))]
pub async fn generate_ideas(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(wait): ApiQuery<WaitParams>,
    ApiJson(body): ApiJson<GenerateIdeasRequest>,
) -> ApiResult<Response> {
    let planned = idea_generation::plan(&state.quire, &tenant, body).await?;
    let job = idea_generation::enqueue(&state.quire, &tenant, planned).await?;
    super::jobs::accepted(&state, &tenant, job, wait.wait).await
}

/// The credits an idea generation would reserve, without starting it.
#[utoipa::path(post, path = "/clusters/generate_ideas/estimate/", tag = "planner", security(("bearer" = [])),
    request_body = GenerateIdeasRequest,
    responses(
        (status = 200, description = "The estimate", body = EstimateView),
        (status = 400, description = "Same checks as the operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn estimate_generate_ideas(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<GenerateIdeasRequest>,
) -> ApiResult<Json<EstimateView>> {
    let clusters = body.cluster_ids.len();
    let planned = idea_generation::plan(&state.quire, &tenant, body).await?;
    Ok(Json(EstimateView::new(
        planned.credits,
        tenant.account.credits,
        clusters,
    )))
}
