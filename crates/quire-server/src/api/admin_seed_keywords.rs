//! `/api/v1/admin/seed-keywords/`: the seed-keyword library for operators — list, create,
//! retrieve, PATCH, DELETE, and CSV import (all rows or none). Each change is audited; an
//! import is one audit row with its counts.

use super::{
    planner_keywords::{IMPORT_BODY_LIMIT, upload_error},
    views::SeedKeywordView,
};
use crate::{
    error::{AdminRefusals, ApiError, ApiResult, ErrorBody, MalformedPath},
    extract::{ApiJson, ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, Multipart, OriginalUri, State, multipart::MultipartRejection},
    http::StatusCode,
};
use quire_core::{
    ValidationErrors,
    admin::seed_keywords::{self, ImportOutcome, NewSeedKeyword, SeedKeywordPatch},
    reference::catalogue::{self, SeedKeywordFilter},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_seed_keywords, create_seed_keyword))
        .routes(routes!(
            retrieve_seed_keyword,
            update_seed_keyword,
            delete_seed_keyword
        ))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_seed_keywords))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

/// The seed-keyword library; `?industry_sector_id=`, `?industry_id=`, `?intent=`, `?search=`
/// and volume and difficulty ranges filter. Sort keys: `id`, `keyword`, `volume` (default,
/// highest first), `difficulty`.
#[utoipa::path(get, path = "/seed-keywords/", tag = "admin", security(("bearer" = [])),
    params(ListParams, SeedKeywordFilter),
    responses(
        (status = 200, description = "A page of seed keywords", body = Paginated<SeedKeywordView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_seed_keywords(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SeedKeywordFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<SeedKeywordView>>> {
    let page = catalogue::list_seed_keywords(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, SeedKeywordView::from)))
}

/// Add a keyword to the library. Its text is unique in its industry sector, ignoring case.
#[utoipa::path(post, path = "/seed-keywords/", tag = "admin", security(("bearer" = [])),
    request_body = NewSeedKeyword,
    responses(
        (status = 201, description = "Created", body = SeedKeywordView),
        (status = 400, description = "Field errors (an unknown industry sector or a duplicate among them)", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn create_seed_keyword(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<NewSeedKeyword>,
) -> ApiResult<(StatusCode, Json<SeedKeywordView>)> {
    let created = seed_keywords::create(
        &state.quire.db,
        operator.user.id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(SeedKeywordView::from(created))))
}

#[utoipa::path(get, path = "/seed-keywords/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seed keyword id")),
    responses(
        (status = 200, description = "The seed keyword", body = SeedKeywordView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such seed keyword", body = ErrorBody),
    ))]
pub async fn retrieve_seed_keyword(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SeedKeywordView>> {
    let found = seed_keywords::get(&state.quire.db, id).await?;
    Ok(Json(SeedKeywordView::from(found)))
}

#[utoipa::path(patch, path = "/seed-keywords/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seed keyword id")),
    request_body = SeedKeywordPatch,
    responses(
        (status = 200, description = "Changed", body = SeedKeywordView),
        (status = 400, description = "Field errors, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such seed keyword", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_seed_keyword(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SeedKeywordPatch>,
) -> ApiResult<Json<SeedKeywordView>> {
    let updated = seed_keywords::update(
        &state.quire.db,
        operator.user.id,
        id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(SeedKeywordView::from(updated)))
}

/// Remove a keyword from the library. Tenants' keywords taken from it stay, unlinked.
#[utoipa::path(delete, path = "/seed-keywords/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seed keyword id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such seed keyword", body = ErrorBody),
    ))]
pub async fn delete_seed_keyword(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    seed_keywords::delete(
        &state.quire.db,
        operator.user.id,
        id,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The upload form of an import (`multipart/form-data`).
#[derive(Debug, ToSchema)]
pub struct SeedImportForm {
    /// The CSV file: UTF-8 (a byte-order mark is fine), comma, semicolon or tab separated. A
    /// header row names the columns `keyword`, `industry_sector` (an industry sector's id, or
    /// its slug in any case; `industry_sector_id` and `industry_sector_slug` are read as the
    /// same column), `volume`, `difficulty` (0–100), `intent`, `country` (e.g. `US`) and
    /// `language` (e.g. `en`), in any order; other columns are ignored. Every cell is
    /// required. At most 100,000 rows and 16 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: Bytes,
}

/// What an import did: every data row was created or skipped as a duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeedImportView {
    /// Data rows in the file (not the header, not blank lines).
    pub rows: u64,
    pub created: u64,
    /// Rows repeating an earlier row of the file, or a keyword their industry sector already
    /// has (ignoring case).
    pub duplicates: u64,
}

impl From<ImportOutcome> for SeedImportView {
    fn from(outcome: ImportOutcome) -> Self {
        Self {
            rows: outcome.rows,
            created: outcome.created,
            duplicates: outcome.duplicates,
        }
    }
}

/// Import seed keywords from a CSV file (`multipart/form-data` with `file`). All or nothing:
/// when any row has an error the answer is 400 `invalid_rows` with each row's line and
/// problems, and nothing is written. Rows repeating a keyword of the same industry sector
/// (in the file or already in the library, ignoring case) are skipped and counted.
#[utoipa::path(post, path = "/seed-keywords/import/", tag = "admin", security(("bearer" = [])),
    request_body(content = SeedImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was imported and skipped", body = SeedImportView),
        (status = 400, description = "No file, a refused file (on `file`), or rows with errors (`invalid_rows`, with `errors`)", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Body is not multipart/form-data", body = ErrorBody),
    ))]
pub async fn import_seed_keywords(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<SeedImportView>> {
    let multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data with a `file` field.",
        )
    })?;
    let file = read_file(multipart).await?;
    let outcome = seed_keywords::import_csv(
        &state.quire.db,
        operator.user.id,
        file,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(outcome.into()))
}

/// The `file` field of the form; other fields are ignored.
async fn read_file(mut multipart: Multipart) -> ApiResult<Bytes> {
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(upload_error);
        }
    }
    Err(ApiError::invalid(ValidationErrors::single(
        "file",
        "Attach the CSV file as the `file` field.",
    )))
}
