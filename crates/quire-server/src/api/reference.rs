//! Reference data for signed-in callers: industries with their sectors, and the
//! seed-keyword library.

use super::views::{IndustryView, SeedKeywordView};
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::Authenticated,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use quire_core::reference::catalogue::{self, IndustryFilter, SeedKeywordFilter};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn auth_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_industries))
}

pub fn planner_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_seed_keywords))
}

/// Industries, each with all of its sectors. Sort keys: `id`, `name` (default), `slug`.
#[utoipa::path(get, path = "/industries/", tag = "reference", security(("bearer" = [])),
    params(ListParams, IndustryFilter),
    responses(
        (status = 200, description = "A page of industries", body = Paginated<IndustryView>),
        (status = 400, description = "Bad page, page size or ordering", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list_industries(
    State(state): State<AppState>,
    _caller: Authenticated,
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

/// The seed-keyword library. Sort keys: `id`, `keyword`, `volume` (default, highest first),
/// `difficulty`. Volumes and difficulties are estimates.
#[utoipa::path(get, path = "/seed-keywords/", tag = "reference", security(("bearer" = [])),
    params(ListParams, SeedKeywordFilter),
    responses(
        (status = 200, description = "A page of seed keywords", body = Paginated<SeedKeywordView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list_seed_keywords(
    State(state): State<AppState>,
    _caller: Authenticated,
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
