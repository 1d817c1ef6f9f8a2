//! `/api/v1/writer/tasks/`: the caller's writer tasks, read-only for now (they are made by
//! sending ideas to the writer).

use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::TenantContext,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, Path, State},
};
use chrono::{DateTime, Utc};
use quire_core::{
    entities::{enums::TaskStatus, task},
    planner::stored_json,
    writer::tasks::{self, TaskFilter},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve))
}

/// A writer task as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    /// The idea it was made from, if any (null once that idea is deleted).
    pub idea_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub title: String,
    pub brief: String,
    /// Section headings.
    pub outline: Vec<String>,
    pub target_keywords: Vec<String>,
    /// The target length in words.
    pub word_count: i32,
    pub tone: String,
    pub audience: String,
    pub language: String,
    pub point_of_view: String,
    pub notes: String,
    pub status: TaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<task::Model> for TaskView {
    fn from(t: task::Model) -> Self {
        Self {
            id: t.id,
            account_id: t.account_id,
            site_id: t.site_id,
            sector_id: t.sector_id,
            idea_id: t.idea_id,
            cluster_id: t.cluster_id,
            title: t.title,
            brief: t.brief,
            outline: stored_json::decode(&t.outline),
            target_keywords: stored_json::decode(&t.target_keywords),
            word_count: t.word_count,
            tone: t.tone,
            audience: t.audience,
            language: t.language,
            point_of_view: t.point_of_view,
            notes: t.notes,
            status: t.status,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// The caller's writer tasks. Sort keys: `id` (default), `title`, `word_count`, `status`,
/// `created_at`, `updated_at`.
#[utoipa::path(get, path = "/tasks/", tag = "writer", security(("bearer" = [])),
    params(ListParams, TaskFilter),
    responses(
        (status = 200, description = "A page of tasks", body = Paginated<TaskView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<TaskFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<TaskView>>> {
    let page = tasks::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, TaskView::from)))
}

#[utoipa::path(get, path = "/tasks/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskView),
        (status = 404, description = "No such task in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    Path(id): Path<i64>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(tasks::get(&state.quire.db, &tenant, id).await?.into()))
}
