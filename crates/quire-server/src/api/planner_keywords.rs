//! `/api/v1/planner/keywords/`: the keywords of the caller's sectors (F3b) — list, create,
//! change, delete, bulk add from the seed library, CSV import and export, bulk delete.

use crate::{
    error::{ApiError, ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{
        DefaultBodyLimit, Multipart, OriginalUri, State,
        multipart::{MultipartError, MultipartRejection},
    },
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use quire_core::{
    ValidationErrors,
    entities::{
        enums::{KeywordIntent, KeywordStatus},
        keyword,
    },
    planner::keywords::{
        self, BulkAdd, BulkAddOutcome, BulkDelete, ImportOutcome, ImportTarget, KeywordFilter,
        KeywordPatch, NewKeyword,
    },
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The largest import upload: a 100,000-row file with long keywords fits.
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, destroy))
        .routes(routes!(bulk_add))
        .routes(routes!(bulk_delete))
        .routes(routes!(export))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

/// A keyword of one of the caller's sectors.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub keyword: String,
    /// The seed keyword it was added from, if any.
    pub seed_keyword_id: Option<i64>,
    /// Monthly searches; 0 when unknown.
    pub volume: i64,
    /// 0–100, or null when unknown.
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
    pub status: KeywordStatus,
    pub cluster_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<keyword::Model> for KeywordView {
    fn from(k: keyword::Model) -> Self {
        Self {
            id: k.id,
            account_id: k.account_id,
            site_id: k.site_id,
            sector_id: k.sector_id,
            keyword: k.keyword,
            seed_keyword_id: k.seed_keyword_id,
            volume: k.volume,
            difficulty: k.difficulty,
            intent: k.intent,
            status: k.status,
            cluster_id: k.cluster_id,
            created_at: k.created_at,
            updated_at: k.updated_at,
        }
    }
}

/// What a bulk add did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAddView {
    pub created: u64,
    /// Ids named twice, and keywords the sector already had.
    pub duplicates: u64,
    /// Seed keywords that could not be added.
    pub errors: Vec<SeedKeywordErrorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeedKeywordErrorView {
    pub seed_keyword_id: i64,
    pub message: String,
}

impl From<BulkAddOutcome> for BulkAddView {
    fn from(outcome: BulkAddOutcome) -> Self {
        Self {
            created: outcome.created,
            duplicates: outcome.duplicates,
            errors: outcome
                .errors
                .into_iter()
                .map(|e| SeedKeywordErrorView {
                    seed_keyword_id: e.seed_keyword_id,
                    message: e.message,
                })
                .collect(),
        }
    }
}

/// What an import did: every data row of the file was created, is a duplicate (earlier in
/// the file or already in the sector) or has an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Data rows in the file (not the header, not blank lines).
    pub rows: u64,
    pub created: u64,
    pub duplicates: u64,
    /// Rows not imported, with the 1-based line where each starts.
    pub errors: Vec<RowErrorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorView {
    pub line: u64,
    pub message: String,
}

impl From<ImportOutcome> for ImportView {
    fn from(outcome: ImportOutcome) -> Self {
        Self {
            rows: outcome.rows,
            created: outcome.created,
            duplicates: outcome.duplicates,
            errors: outcome
                .errors
                .into_iter()
                .map(|e| RowErrorView {
                    line: e.line,
                    message: e.message,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDeleteView {
    /// How many of the caller's keywords were deleted.
    pub deleted: u64,
}

/// The upload form of an import (`multipart/form-data`).
#[derive(Debug, ToSchema)]
pub struct ImportForm {
    /// The CSV file: UTF-8 (a byte-order mark is fine), comma, semicolon or tab separated,
    /// with a `keyword` column and optional `volume`, `difficulty` and `intent` columns (or
    /// no header: those four columns in that order). At most 100,000 rows and 16 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: Bytes,
    /// One of the caller's sectors.
    pub sector_id: i64,
    /// When given, it must be the sector's site.
    pub site_id: Option<i64>,
}

/// The caller's keywords. Sort keys: `id`, `keyword`, `volume`, `difficulty`, `created_at`;
/// without `ordering`, the highest volume comes first (ties by id). A range whose minimum
/// exceeds its maximum is a 400.
#[utoipa::path(get, path = "/keywords/", tag = "keywords", security(("bearer" = [])),
    params(ListParams, KeywordFilter),
    responses(
        (status = 200, description = "A page of keywords", body = Paginated<KeywordView>),
        (status = 400, description = "Bad page, page size, ordering, filter or range", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<KeywordFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<KeywordView>>> {
    let page = keywords::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, KeywordView::from)))
}

/// Add one keyword to a sector: your own text, or a `seed_keyword_id` of the library (its
/// text, volume, difficulty and intent are copied unless given). The seed keyword must
/// belong to the sector's industry sector. A keyword the sector already has (ignoring case)
/// is refused. Costs no credits; no plan limit caps the number of keywords.
#[utoipa::path(post, path = "/keywords/", tag = "keywords", security(("bearer" = [])),
    request_body = NewKeyword,
    responses(
        (status = 201, description = "Created", body = KeywordView),
        (status = 400, description = "Invalid fields, a sector, site or seed keyword that does not fit, or a duplicate", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewKeyword>,
) -> ApiResult<(StatusCode, Json<KeywordView>)> {
    let keyword = keywords::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(keyword.into())))
}

#[utoipa::path(get, path = "/keywords/{id}/", tag = "keywords", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Keyword id")),
    responses(
        (status = 200, description = "The keyword", body = KeywordView),
        MalformedPath,
        (status = 404, description = "No such keyword in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<KeywordView>> {
    Ok(Json(
        keywords::get(&state.quire.db, &tenant, id).await?.into(),
    ))
}

/// Change the text, volume, difficulty, intent, status or cluster. A new text must stay
/// unique in the sector; `cluster_id` must be a cluster of the keyword's own sector (`null`
/// removes the keyword from its cluster). Cluster totals follow.
#[utoipa::path(patch, path = "/keywords/{id}/", tag = "keywords", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Keyword id")),
    request_body = KeywordPatch,
    responses(
        (status = 200, description = "Updated", body = KeywordView),
        (status = 400, description = "Invalid fields, a duplicate, or a cluster of another sector, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such keyword in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<KeywordPatch>,
) -> ApiResult<Json<KeywordView>> {
    Ok(Json(
        keywords::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Delete the keyword; its cluster's totals follow.
#[utoipa::path(delete, path = "/keywords/{id}/", tag = "keywords", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Keyword id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        (status = 404, description = "No such keyword in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    keywords::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add up to 1,000 seed keywords to a sector in one transaction. Unknown ids and seed
/// keywords of another industry sector are listed in `errors`; ids named twice and keywords
/// the sector already has are skipped and counted in `duplicates`. Answers 200 with the
/// counts, whether or not anything was created. Costs no credits.
#[utoipa::path(post, path = "/keywords/bulk_add/", tag = "keywords", security(("bearer" = [])),
    request_body = BulkAdd,
    responses(
        (status = 200, description = "What was added, skipped and refused", body = BulkAddView),
        (status = 400, description = "No ids, more than 1,000, or a sector or site that is not yours", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn bulk_add(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<BulkAdd>,
) -> ApiResult<Json<BulkAddView>> {
    Ok(Json(
        keywords::bulk_add(&state.quire.db, &tenant, body)
            .await?
            .into(),
    ))
}

/// Import a keyword CSV into a sector (`multipart/form-data` with `file` and `sector_id`).
/// Rows with errors are listed with their line; keywords repeated in the file or already in
/// the sector are skipped and counted. A file that is not CSV, holds no keywords or has
/// more than 100,000 rows is a 400 on `file`, and nothing is written; otherwise all new
/// keywords are written in one transaction. Costs no credits.
#[utoipa::path(post, path = "/keywords/import/", tag = "keywords", security(("bearer" = [])),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was imported, skipped and refused", body = ImportView),
        (status = 400, description = "A missing or refused file, or a sector or site that is not yours", body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Body is not multipart/form-data", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn import(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ImportView>> {
    let multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data with `file` and `sector_id` fields.",
        )
    })?;
    let form = read_form(multipart).await?;
    let target = ImportTarget {
        sector_id: form.sector_id,
        site_id: form.site_id,
    };
    let outcome = keywords::import_csv(&state.quire.db, &tenant, target, form.file).await?;
    Ok(Json(outcome.into()))
}

/// The caller's keywords as a CSV download (`keyword,volume,difficulty,intent,cluster,status`,
/// UTF-8 with a byte-order mark), with the list's filters and ordering. Cells that a
/// spreadsheet would run as formulas are escaped with a leading `'`, which import removes.
#[utoipa::path(get, path = "/keywords/export/", tag = "keywords", security(("bearer" = [])),
    params(ListParams, KeywordFilter),
    responses(
        (status = 200, description = "keywords.csv", content_type = "text/csv", body = String),
        (status = 400, description = "Bad ordering, filter or range", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn export(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<KeywordFilter>,
) -> ApiResult<impl IntoResponse> {
    let csv =
        keywords::export_csv(&state.quire.db, &tenant, filter, params.ordering.as_deref()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"keywords.csv\"",
            ),
        ],
        csv,
    ))
}

/// Delete up to 10,000 keywords by id in one transaction. Ids that are not your keywords
/// are ignored and not counted. Cluster totals follow.
#[utoipa::path(post, path = "/keywords/bulk_delete/", tag = "keywords", security(("bearer" = [])),
    request_body = BulkDelete,
    responses(
        (status = 200, description = "How many were deleted", body = BulkDeleteView),
        (status = 400, description = "No ids, or more than 10,000", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<BulkDelete>,
) -> ApiResult<Json<BulkDeleteView>> {
    let deleted = keywords::bulk_delete(&state.quire.db, &tenant, body).await?;
    Ok(Json(BulkDeleteView { deleted }))
}

/// Reads the upload form; unknown fields are ignored.
async fn read_form(mut multipart: Multipart) -> ApiResult<ImportForm> {
    let mut file = None;
    let mut sector_id = None;
    let mut site_id = None;
    let mut errors = ValidationErrors::default();
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        match field.name() {
            Some("file") => file = Some(field.bytes().await.map_err(upload_error)?),
            Some(name @ ("sector_id" | "site_id")) => {
                let name = name.to_owned();
                let text = field.text().await.map_err(upload_error)?;
                let value = match text.trim() {
                    "" => None,
                    number => number.parse::<i64>().map(Some).unwrap_or_else(|_| {
                        errors.add(&name, "A whole number is required.");
                        None
                    }),
                };
                if name == "sector_id" {
                    sector_id = value;
                } else {
                    site_id = value;
                }
            }
            _ => {}
        }
    }
    if file.is_none() {
        errors.add("file", "Attach the CSV file as the `file` field.");
    }
    if sector_id.is_none() && !errors.fields().contains_key("sector_id") {
        errors.add("sector_id", "This field is required.");
    }
    match (file, sector_id) {
        (Some(file), Some(sector_id)) if errors.is_empty() => Ok(ImportForm {
            file,
            sector_id,
            site_id,
        }),
        _ => Err(ApiError::invalid(errors)),
    }
}

pub(super) fn upload_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The upload is larger than 16 MiB; split the file.",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The upload could not be read as multipart/form-data.",
        )
    }
}
