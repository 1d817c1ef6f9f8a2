//! `/api/v1/writer/tasks/`: the caller's writer tasks (F3c): made from an idea or from
//! scratch, read, edited, moved along their status and deleted. No credits are charged.

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
    entities::{enums::TaskStatus, task},
    planner::stored_json,
    writer::tasks::{self, NewTask, TaskFilter, TaskPatch},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, destroy))
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
    /// The task's article (`/api/v1/writer/content/{id}/`), once one was generated.
    pub content_id: Option<i64>,
    pub title: String,
    pub brief: String,
    /// Section headings.
    pub outline: Vec<String>,
    pub target_keywords: Vec<String>,
    /// The target length in words.
    pub word_count: i32,
    pub tone: String,
    pub audience: String,
    /// A language tag (`en`, `fr-CA`…).
    pub language: String,
    /// `first`, `second`, `third`, or empty for the writer's choice.
    pub point_of_view: String,
    pub notes: String,
    pub status: TaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TaskView {
    /// The view of `t`, whose article (if any) is `content_id`.
    pub fn new(t: task::Model, content_id: Option<i64>) -> Self {
        Self {
            id: t.id,
            account_id: t.account_id,
            site_id: t.site_id,
            sector_id: t.sector_id,
            idea_id: t.idea_id,
            cluster_id: t.cluster_id,
            content_id,
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

    /// The view of a task just made, which has no article yet.
    pub fn created(t: task::Model) -> Self {
        Self::new(t, None)
    }
}

/// The caller's writer tasks, each with `content_id` when it has an article. Filters: site,
/// sector, cluster, idea, status, and `search` in the title. Sort keys: `id` (default),
/// `title`, `word_count`, `status`, `created_at`, `updated_at`.
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
    let db = &state.quire.db;
    let page = tasks::list(
        db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    let contents = tasks::content_ids(db, &ids).await?;
    Ok(Json(Paginated::new(page, &uri, |t| {
        let content_id = contents.get(&t.id).copied();
        TaskView::new(t, content_id)
    })))
}

/// Create a `queued` task, either from one of your ideas (`idea_id`: the task carries the
/// idea's title, description as the brief, outline, target keywords, estimated words as
/// `word_count` (brought into 300–10,000), site, sector and cluster, and the idea becomes
/// `sent`, as with send-to-writer) or from scratch (`sector_id`, optional `site_id`, `title`,
/// `target_keywords`, `word_count`, default 1,500). Brief fields given on either path are
/// used as they are. Costs no credits.
#[utoipa::path(post, path = "/tasks/", tag = "writer", security(("bearer" = [])),
    request_body = NewTask,
    responses(
        (status = 201, description = "Created", body = TaskView),
        (status = 400, description = "Invalid fields; an idea that is not yours, archived or already sent; or a sector that is not yours (nothing is written)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewTask>,
) -> ApiResult<(StatusCode, Json<TaskView>)> {
    let task = tasks::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(TaskView::created(task))))
}

#[utoipa::path(get, path = "/tasks/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskView),
        MalformedPath,
        (status = 404, description = "No such task in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TaskView>> {
    let db = &state.quire.db;
    let task = tasks::get(db, &tenant, id).await?;
    let content_id = tasks::content_id(db, task.id).await?;
    Ok(Json(TaskView::new(task, content_id)))
}

/// Change brief fields and the status. The status follows the work: `queued`, `generating`
/// and `failed` are set by Quire; you may move a task between `draft`, `review` and
/// `published` once it has an article (its article's status follows), and a `failed` task
/// back to `queued`. A task whose article is being generated cannot be changed (409).
#[utoipa::path(patch, path = "/tasks/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    request_body = TaskPatch,
    responses(
        (status = 200, description = "Updated", body = TaskView),
        (status = 400, description = "Invalid fields, or a status move the rules refuse (nothing is written), or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such task in your account", body = ErrorBody),
        (status = 409, description = "The task is `generating`, or started generating meanwhile", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TaskPatch>,
) -> ApiResult<Json<TaskView>> {
    let db = &state.quire.db;
    let task = tasks::update(db, &tenant, id, body).await?;
    let content_id = tasks::content_id(db, task.id).await?;
    Ok(Json(TaskView::new(task, content_id)))
}

/// Delete the task and, with it, its article and every version of that article (they cannot
/// be recovered). The idea it came from stays `sent`. A task whose article is being
/// generated cannot be deleted (409).
#[utoipa::path(delete, path = "/tasks/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 204, description = "Deleted, with its article and versions"),
        MalformedPath,
        (status = 404, description = "No such task in your account", body = ErrorBody),
        (status = 409, description = "The task is `generating`", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    tasks::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
