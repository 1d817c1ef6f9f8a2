//! `/api/v1/planner/ideas/`: the caller's content ideas (F3b): CRUD, and "send to writer",
//! which makes one writer task per idea.

use super::writer_tasks::TaskView;
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
    entities::{
        content_idea,
        enums::{ContentType, IdeaStatus},
    },
    planner::{
        ideas::{self, IdeaFilter, IdeaPatch, NewIdea, SendToWriter, SentToWriter},
        stored_json,
    },
    writer::tasks::SkipReason,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, destroy))
        .routes(routes!(send_to_writer))
}

/// A content idea as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub cluster_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// Section headings.
    pub outline: Vec<String>,
    pub content_type: ContentType,
    pub content_structure: String,
    pub target_keywords: Vec<String>,
    pub estimated_words: i32,
    pub status: IdeaStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<content_idea::Model> for IdeaView {
    fn from(i: content_idea::Model) -> Self {
        Self {
            id: i.id,
            account_id: i.account_id,
            site_id: i.site_id,
            sector_id: i.sector_id,
            cluster_id: i.cluster_id,
            title: i.title,
            description: i.description,
            outline: stored_json::decode(&i.outline),
            content_type: i.content_type,
            content_structure: i.content_structure,
            target_keywords: stored_json::decode(&i.target_keywords),
            estimated_words: i.estimated_words,
            status: i.status,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// An idea that did not become a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedIdea {
    pub idea_id: i64,
    /// `already_sent` (a task was already made from it) or `archived`.
    pub reason: SkipReason,
}

/// What "send to writer" did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentToWriterView {
    /// One new task per idea sent, in the order of `idea_ids`.
    pub created: Vec<TaskView>,
    pub skipped: Vec<SkippedIdea>,
}

impl From<SentToWriter> for SentToWriterView {
    fn from(sent: SentToWriter) -> Self {
        Self {
            created: sent.created.into_iter().map(TaskView::created).collect(),
            skipped: sent
                .skipped
                .into_iter()
                .map(|(idea_id, reason)| SkippedIdea { idea_id, reason })
                .collect(),
        }
    }
}

/// The caller's content ideas. Sort keys: `id` (default), `title`, `estimated_words`,
/// `created_at`.
#[utoipa::path(get, path = "/ideas/", tag = "ideas", security(("bearer" = [])),
    params(ListParams, IdeaFilter),
    responses(
        (status = 200, description = "A page of ideas", body = Paginated<IdeaView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<IdeaFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<IdeaView>>> {
    let page = ideas::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, IdeaView::from)))
}

/// Add an idea by hand, in one of the caller's sectors (optionally from one of its clusters
/// there).
#[utoipa::path(post, path = "/ideas/", tag = "ideas", security(("bearer" = [])),
    request_body = NewIdea,
    responses(
        (status = 201, description = "Created", body = IdeaView),
        (status = 400, description = "Invalid fields, or a sector or cluster that is not yours", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewIdea>,
) -> ApiResult<(StatusCode, Json<IdeaView>)> {
    let idea = ideas::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(idea.into())))
}

#[utoipa::path(get, path = "/ideas/{id}/", tag = "ideas", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Idea id")),
    responses(
        (status = 200, description = "The idea", body = IdeaView),
        MalformedPath,
        (status = 404, description = "No such idea in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<IdeaView>> {
    Ok(Json(ideas::get(&state.quire.db, &tenant, id).await?.into()))
}

/// Change some fields. `status` may be `new` or `archived`; an idea becomes `sent` only by
/// sending it to the writer, and cannot return to `new` once a task was made from it.
#[utoipa::path(patch, path = "/ideas/{id}/", tag = "ideas", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Idea id")),
    request_body = IdeaPatch,
    responses(
        (status = 200, description = "Updated", body = IdeaView),
        (status = 400, description = "Invalid fields, or a cluster that is not yours or in another sector, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such idea in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IdeaPatch>,
) -> ApiResult<Json<IdeaView>> {
    Ok(Json(
        ideas::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Delete the idea. Writer tasks made from it stay.
#[utoipa::path(delete, path = "/ideas/{id}/", tag = "ideas", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Idea id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        (status = 404, description = "No such idea in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ideas::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send ideas to the writer: one `queued` writer task per idea, carrying its title, outline,
/// target keywords, description (as the brief), estimated words, site, sector and cluster;
/// the ideas become `sent`. Ideas already sent (or archived) are skipped and listed, so
/// sending twice never makes two tasks. Costs no credits.
#[utoipa::path(post, path = "/ideas/send_to_writer/", tag = "ideas", security(("bearer" = [])),
    request_body = SendToWriter,
    responses(
        (status = 201, description = "The tasks made and the ideas skipped", body = SentToWriterView),
        (status = 400, description = "No ids, more than 100, or ids that are not your ideas (listed; nothing is made)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn send_to_writer(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<SendToWriter>,
) -> ApiResult<(StatusCode, Json<SentToWriterView>)> {
    let sent = ideas::send_to_writer(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(sent.into())))
}
