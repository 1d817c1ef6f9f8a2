//! `/api/v1/planner/clusters/`: the caller's keyword clusters (F3b): CRUD, merge, and moving
//! keywords into a cluster.

use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use quire_core::{
    entities::{cluster, enums::ClusterStatus},
    planner::clusters::{
        self, ClusterFilter, ClusterPatch, MergeClusters, MoveKeywords, NewCluster,
    },
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, destroy))
        .routes(routes!(merge))
        .routes(routes!(move_keywords))
}

/// A cluster as the API shows it. `keyword_count` and `total_volume` are read-only and always
/// equal to the cluster's keywords.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub name: String,
    pub description: String,
    pub keyword_count: i64,
    pub total_volume: i64,
    pub status: ClusterStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<cluster::Model> for ClusterView {
    fn from(c: cluster::Model) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            site_id: c.site_id,
            sector_id: c.sector_id,
            name: c.name,
            description: c.description,
            keyword_count: c.keyword_count,
            total_volume: c.total_volume,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The caller's clusters. Sort keys: `id` (default), `name`, `keyword_count`, `total_volume`,
/// `created_at`.
#[utoipa::path(get, path = "/clusters/", tag = "clusters", security(("bearer" = [])),
    params(ListParams, ClusterFilter),
    responses(
        (status = 200, description = "A page of clusters", body = Paginated<ClusterView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<ClusterFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<ClusterView>>> {
    let page = clusters::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, ClusterView::from)))
}

/// Create an empty cluster in one of the caller's sectors. Names are unique per sector,
/// ignoring case.
#[utoipa::path(post, path = "/clusters/", tag = "clusters", security(("bearer" = [])),
    request_body = NewCluster,
    responses(
        (status = 201, description = "Created", body = ClusterView),
        (status = 400, description = "Invalid fields, a taken name, or a sector that is not yours", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewCluster>,
) -> ApiResult<(StatusCode, Json<ClusterView>)> {
    let cluster = clusters::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(cluster.into())))
}

#[utoipa::path(get, path = "/clusters/{id}/", tag = "clusters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "The cluster", body = ClusterView),
        MalformedPath,
        (status = 404, description = "No such cluster in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ClusterView>> {
    Ok(Json(
        clusters::get(&state.quire.db, &tenant, id).await?.into(),
    ))
}

/// Change the name, description or status.
#[utoipa::path(patch, path = "/clusters/{id}/", tag = "clusters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cluster id")),
    request_body = ClusterPatch,
    responses(
        (status = 200, description = "Updated", body = ClusterView),
        (status = 400, description = "Invalid fields or a taken name, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such cluster in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClusterPatch>,
) -> ApiResult<Json<ClusterView>> {
    Ok(Json(
        clusters::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Delete the cluster. Its keywords stay, unclustered; its ideas and writer tasks stay,
/// without a cluster.
#[utoipa::path(delete, path = "/clusters/{id}/", tag = "clusters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cluster id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        (status = 404, description = "No such cluster in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    clusters::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merge other clusters of the same sector into this one: their keywords, ideas and tasks
/// move here, they are deleted, and the totals are recomputed.
#[utoipa::path(post, path = "/clusters/{id}/merge/", tag = "clusters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The cluster that stays")),
    request_body = MergeClusters,
    responses(
        (status = 200, description = "The merged cluster", body = ClusterView),
        (status = 400, description = "An id that is not one of your clusters, another sector's cluster, or the cluster itself, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such cluster in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn merge(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MergeClusters>,
) -> ApiResult<Json<ClusterView>> {
    Ok(Json(
        clusters::merge(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Move keywords of the cluster's sector into this cluster, out of whichever cluster held
/// them; the totals of every cluster touched are recomputed. (To take a keyword out of every
/// cluster, PATCH the keyword with `cluster_id: null`.)
#[utoipa::path(post, path = "/clusters/{id}/move_keywords/", tag = "clusters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The cluster to move the keywords into")),
    request_body = MoveKeywords,
    responses(
        (status = 200, description = "The cluster with its new totals", body = ClusterView),
        (status = 400, description = "Ids that are not your keywords, are in another sector, or are archived (each listed), or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such cluster in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn move_keywords(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MoveKeywords>,
) -> ApiResult<Json<ClusterView>> {
    Ok(Json(
        clusters::move_keywords(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}
