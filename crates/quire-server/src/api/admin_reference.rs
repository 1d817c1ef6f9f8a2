//! `/api/v1/admin/industries/` and `/api/v1/admin/industry-sectors/`: the global reference
//! data for operators — list, create, retrieve, PATCH, and delete while nothing uses it. Each
//! change is audited.

use super::views::{IndustrySectorView, IndustryView};
use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody, MalformedPath},
    extract::{ApiJson, ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
    http::StatusCode,
};
use quire_core::{
    admin::industries::{
        self, IndustryPatch, IndustrySectorFilter, IndustrySectorPatch, NewIndustry,
        NewIndustrySector,
    },
    entities::industry_sector,
    reference::catalogue::{self, IndustryFilter},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_industries, create_industry))
        .routes(routes!(retrieve_industry, update_industry, delete_industry))
        .routes(routes!(list_industry_sectors, create_industry_sector))
        .routes(routes!(
            retrieve_industry_sector,
            update_industry_sector,
            delete_industry_sector
        ))
}

fn sector_view(s: industry_sector::Model) -> IndustrySectorView {
    IndustrySectorView {
        id: s.id,
        industry_id: s.industry_id,
        slug: s.slug,
        name: s.name,
        description: s.description,
    }
}

/// Industries, each with all of its sectors. Sort keys: `id`, `name` (default), `slug`.
#[utoipa::path(get, path = "/industries/", tag = "admin", security(("bearer" = [])),
    params(ListParams, IndustryFilter),
    responses(
        (status = 200, description = "A page of industries", body = Paginated<IndustryView>),
        (status = 400, description = "Bad page, page size or ordering", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_industries(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<IndustryFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<IndustryView>>> {
    let page = catalogue::list_industries(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, IndustryView::from)))
}

/// Create an industry (with no sectors yet).
#[utoipa::path(post, path = "/industries/", tag = "admin", security(("bearer" = [])),
    request_body = NewIndustry,
    responses(
        (status = 201, description = "Created", body = IndustryView),
        (status = 400, description = "Field errors (a taken slug among them)", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn create_industry(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<NewIndustry>,
) -> ApiResult<(StatusCode, Json<IndustryView>)> {
    let created = industries::create_industry(
        &state.quire.db,
        operator.user.id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IndustryView::from((created, Vec::new()))),
    ))
}

#[utoipa::path(get, path = "/industries/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry id")),
    responses(
        (status = 200, description = "The industry with its sectors", body = IndustryView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such industry", body = ErrorBody),
    ))]
pub async fn retrieve_industry(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<IndustryView>> {
    let found = industries::get_industry(&state.quire.db, id).await?;
    Ok(Json(IndustryView::from(found)))
}

/// Change an industry's slug, name or description.
#[utoipa::path(patch, path = "/industries/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry id")),
    request_body = IndustryPatch,
    responses(
        (status = 200, description = "Changed", body = IndustryView),
        (status = 400, description = "Field errors, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such industry", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_industry(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IndustryPatch>,
) -> ApiResult<Json<IndustryView>> {
    let updated = industries::update_industry(
        &state.quire.db,
        operator.user.id,
        id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(IndustryView::from(updated)))
}

/// Delete an industry that has no sectors and that no tenant site names (else 409).
#[utoipa::path(delete, path = "/industries/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such industry", body = ErrorBody),
        (status = 409, description = "Sites or industry sectors use it", body = ErrorBody),
    ))]
pub async fn delete_industry(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    industries::delete_industry(
        &state.quire.db,
        operator.user.id,
        id,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Industry sectors; `?industry_id=` and `?search=` (name or slug) filter. Sort keys: `id`,
/// `name` (default), `slug`, `industry_id`.
#[utoipa::path(get, path = "/industry-sectors/", tag = "admin", security(("bearer" = [])),
    params(ListParams, IndustrySectorFilter),
    responses(
        (status = 200, description = "A page of industry sectors", body = Paginated<IndustrySectorView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_industry_sectors(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<IndustrySectorFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<IndustrySectorView>>> {
    let page = industries::list_industry_sectors(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, sector_view)))
}

/// Create an industry sector in an industry.
#[utoipa::path(post, path = "/industry-sectors/", tag = "admin", security(("bearer" = [])),
    request_body = NewIndustrySector,
    responses(
        (status = 201, description = "Created", body = IndustrySectorView),
        (status = 400, description = "Field errors (an unknown industry or a taken slug among them)", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn create_industry_sector(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<NewIndustrySector>,
) -> ApiResult<(StatusCode, Json<IndustrySectorView>)> {
    let created = industries::create_industry_sector(
        &state.quire.db,
        operator.user.id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(sector_view(created))))
}

#[utoipa::path(get, path = "/industry-sectors/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry sector id")),
    responses(
        (status = 200, description = "The industry sector", body = IndustrySectorView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such industry sector", body = ErrorBody),
    ))]
pub async fn retrieve_industry_sector(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<IndustrySectorView>> {
    let found = industries::get_industry_sector(&state.quire.db, id).await?;
    Ok(Json(sector_view(found)))
}

/// Change an industry sector. Moving it to another industry is a 409 while tenant sectors use
/// it.
#[utoipa::path(patch, path = "/industry-sectors/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry sector id")),
    request_body = IndustrySectorPatch,
    responses(
        (status = 200, description = "Changed", body = IndustrySectorView),
        (status = 400, description = "Field errors, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such industry sector", body = ErrorBody),
        (status = 409, description = "A move while tenant sectors use it", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_industry_sector(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IndustrySectorPatch>,
) -> ApiResult<Json<IndustrySectorView>> {
    let updated = industries::update_industry_sector(
        &state.quire.db,
        operator.user.id,
        id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(sector_view(updated)))
}

/// Delete an industry sector that no tenant sector uses (else 409), with its seed keywords.
#[utoipa::path(delete, path = "/industry-sectors/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Industry sector id")),
    responses(
        (status = 204, description = "Deleted, with its seed keywords"),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such industry sector", body = ErrorBody),
        (status = 409, description = "Tenant sectors use it", body = ErrorBody),
    ))]
pub async fn delete_industry_sector(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    industries::delete_industry_sector(
        &state.quire.db,
        operator.user.id,
        id,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
