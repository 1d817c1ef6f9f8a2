//! `/api/v1/writer/content/`: the caller's articles: list, detail, edits, versions, revert and
//! Markdown or HTML export (F3c).

use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
    http::header,
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use quire_core::{
    entities::{content, content_version, enums::ContentStatus},
    writer::{
        content::{self as articles, ContentFilter, ContentPatch, Revert},
        export::{ExportParams, Exported},
        sections::Section,
        versions,
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// What a browser may do with an exported page opened in place: show it and its images,
/// nothing more.
const EXPORT_CSP: &str = "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; \
                          frame-ancestors 'none'; sandbox";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve, update))
        .routes(routes!(list_versions))
        .routes(routes!(retrieve_version))
        .routes(routes!(revert))
        .routes(routes!(export))
}

/// An article in a list (without its body and sections; the detail has them).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentSummaryView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub task_id: i64,
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    pub word_count: i32,
    /// The current version, from 1.
    pub version: i32,
    pub status: ContentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<content::Model> for ContentSummaryView {
    fn from(c: content::Model) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            site_id: c.site_id,
            sector_id: c.sector_id,
            task_id: c.task_id,
            title: c.title,
            meta_title: c.meta_title,
            meta_description: c.meta_description,
            word_count: c.word_count,
            version: c.version,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// An article as it stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub task_id: i64,
    pub title: String,
    /// At most 60 characters.
    pub meta_title: String,
    /// At most 160 characters.
    pub meta_description: String,
    /// Markdown.
    pub body: String,
    /// The lead (empty heading) and each `##` section, in order, with ids that stay while the
    /// heading stays.
    pub sections: Vec<Section>,
    pub word_count: i32,
    /// The current version, from 1; send it back in a PATCH to refuse overwriting a newer one.
    pub version: i32,
    pub status: ContentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<content::Model> for ContentView {
    fn from(c: content::Model) -> Self {
        Self {
            sections: articles::sections(&c),
            id: c.id,
            account_id: c.account_id,
            site_id: c.site_id,
            sector_id: c.sector_id,
            task_id: c.task_id,
            title: c.title,
            meta_title: c.meta_title,
            meta_description: c.meta_description,
            body: c.body,
            word_count: c.word_count,
            version: c.version,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A saved version in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummaryView {
    pub content_id: i64,
    pub account_id: i64,
    pub version: i32,
    pub title: String,
    /// What made it: "Generated", "Rewrote section …", "Edited", "Reverted to 2".
    pub note: String,
    pub word_count: i32,
    pub created_at: DateTime<Utc>,
}

impl From<content_version::Model> for VersionSummaryView {
    fn from(v: content_version::Model) -> Self {
        Self {
            content_id: v.content_id,
            account_id: v.account_id,
            version: v.version,
            title: v.title,
            note: v.note,
            word_count: v.word_count,
            created_at: v.created_at,
        }
    }
}

/// A saved version in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub content_id: i64,
    pub account_id: i64,
    pub version: i32,
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    /// Markdown.
    pub body: String,
    pub sections: Vec<Section>,
    pub note: String,
    pub word_count: i32,
    pub created_at: DateTime<Utc>,
}

impl From<content_version::Model> for VersionView {
    fn from(v: content_version::Model) -> Self {
        Self {
            sections: versions::sections_of(&v.sections),
            content_id: v.content_id,
            account_id: v.account_id,
            version: v.version,
            title: v.title,
            meta_title: v.meta_title,
            meta_description: v.meta_description,
            body: v.body,
            note: v.note,
            word_count: v.word_count,
            created_at: v.created_at,
        }
    }
}

/// The path of one version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    /// Content id.
    pub id: i64,
    /// Version number, from 1.
    pub version: i32,
}

/// The caller's articles. Sort keys: `id` (default), `title`, `word_count`, `updated_at`,
/// `created_at`.
#[utoipa::path(get, path = "/content/", tag = "writer", security(("bearer" = [])),
    params(ListParams, ContentFilter),
    responses(
        (status = 200, description = "A page of articles", body = Paginated<ContentSummaryView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<ContentFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<ContentSummaryView>>> {
    let page = articles::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, ContentSummaryView::from)))
}

#[utoipa::path(get, path = "/content/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Content id")),
    responses(
        (status = 200, description = "The article", body = ContentView),
        MalformedPath,
        (status = 404, description = "No such article in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ContentView>> {
    Ok(Json(
        articles::get(&state.quire.db, &tenant, id).await?.into(),
    ))
}

/// Edit the article. A changed title, meta title, meta description or body becomes the next
/// version (note "Edited"), its sections re-derived from the body's `##` headings (ids kept
/// for headings that stay); a PATCH that changes none of them makes no version, and a status
/// change alone updates the article (and its finished task) without one. Send `version` (the
/// version you edited) to get a 409 instead of overwriting a newer version.
#[utoipa::path(patch, path = "/content/{id}/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Content id")),
    request_body = ContentPatch,
    responses(
        (status = 200, description = "Updated", body = ContentView),
        (status = 400, description = "Invalid fields (meta title over 60 characters, meta description over 160, blank title or body, body over 200,000 characters), or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such article in your account", body = ErrorBody),
        (status = 409, description = "`version` is not the current version, or another edit saved meanwhile", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ContentPatch>,
) -> ApiResult<Json<ContentView>> {
    Ok(Json(
        articles::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// The article's versions, newest first. Sort keys: `version`, `created_at`.
#[utoipa::path(get, path = "/content/{id}/versions/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Content id"), ListParams),
    responses(
        (status = 200, description = "A page of versions", body = Paginated<VersionSummaryView>),
        (status = 400, description = "Bad page, page size or ordering, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such article in your account, or page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list_versions(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<VersionSummaryView>>> {
    let page = articles::versions(
        &state.quire.db,
        &tenant,
        id,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, VersionSummaryView::from)))
}

/// One version in full: title, meta, body and sections as they were.
#[utoipa::path(get, path = "/content/{id}/versions/{version}/", tag = "writer", security(("bearer" = [])),
    params(VersionPath),
    responses(
        (status = 200, description = "The version", body = VersionView),
        MalformedPath,
        (status = 404, description = "No such article in your account, or no such version", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve_version(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        articles::version(&state.quire.db, &tenant, path.id, path.version)
            .await?
            .into(),
    ))
}

/// Make an earlier version's title, meta and body the next version (note "Reverted to N").
/// The versions in between stay in the history.
#[utoipa::path(post, path = "/content/{id}/revert/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Content id")),
    request_body = Revert,
    responses(
        (status = 200, description = "Reverted: the article at its new version", body = ContentView),
        (status = 400, description = "No such version of this article, or it is the current one, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such article in your account", body = ErrorBody),
        (status = 409, description = "Another edit saved meanwhile", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn revert(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Revert>,
) -> ApiResult<Json<ContentView>> {
    Ok(Json(
        articles::revert(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Download the article: `markdown` (default; `# Title` then the body) or `html` (a small
/// page with `<title>`, meta description and the body rendered and sanitised: no scripts,
/// event handlers or `javascript:`/`data:` links; every link `rel="noopener noreferrer
/// nofollow"`). Named after the title (`<slug>.md` or `.html`).
#[utoipa::path(get, path = "/content/{id}/export/", tag = "writer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Content id"), ExportParams),
    responses(
        (status = 200, description = "The file, UTF-8", content(
            (String = "text/markdown"),
            (String = "text/html"),
        )),
        (status = 400, description = "Unknown format, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such article in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn export(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<impl IntoResponse> {
    let file = articles::export(
        &state.quire.db,
        &tenant,
        id,
        params.format.unwrap_or_default(),
    )
    .await?;
    Ok(download(file))
}

/// An export as a download, with the headers both the API and the app's pages send.
pub(crate) fn download(file: Exported) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.filename),
            ),
            (header::CONTENT_SECURITY_POLICY, EXPORT_CSP.to_owned()),
        ],
        file.body,
    )
}
