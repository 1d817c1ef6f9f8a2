//! `/api/v1/auth/sectors/`: the sectors of the caller's sites (F3a).

use super::views::SectorView;
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{Json, extract::OriginalUri, extract::State, http::StatusCode};
use quire_core::tenancy::sectors::{self, NewSector, SectorFilter, SectorPatch};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, replace, destroy))
}

/// The sectors of the caller's sites. Sort keys: `id`, `name`, `site_id`, `created_at`,
/// `updated_at`.
#[utoipa::path(get, path = "/sectors/", tag = "sectors", security(("bearer" = [])),
    params(ListParams, SectorFilter),
    responses(
        (status = 200, description = "A page of sectors", body = Paginated<SectorView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SectorFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<SectorView>>> {
    let page = sectors::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, SectorView::from)))
}

/// Add a sector to one of the caller's sites. Active sectors per site are limited by the
/// plan's `max_industries` (`plan_limit_exceeded`).
#[utoipa::path(post, path = "/sectors/", tag = "sectors", security(("bearer" = [])),
    request_body = NewSector,
    responses(
        (status = 201, description = "Created", body = SectorView),
        (status = 400, description = "Invalid fields (including a site that is not yours), or `plan_limit_exceeded` with `limit`", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewSector>,
) -> ApiResult<(StatusCode, Json<SectorView>)> {
    let sector = sectors::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(sector.into())))
}

#[utoipa::path(get, path = "/sectors/{id}/", tag = "sectors", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sector id")),
    responses(
        (status = 200, description = "The sector", body = SectorView),
        MalformedPath,
        (status = 404, description = "No such sector in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SectorView>> {
    Ok(Json(
        sectors::get(&state.quire.db, &tenant, id).await?.into(),
    ))
}

/// Change some fields. Re-activating an archived sector counts against the plan.
#[utoipa::path(patch, path = "/sectors/{id}/", tag = "sectors", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sector id")),
    request_body = SectorPatch,
    responses(
        (status = 200, description = "Updated", body = SectorView),
        (status = 400, description = "Invalid fields or `plan_limit_exceeded`, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such sector in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SectorPatch>,
) -> ApiResult<Json<SectorView>> {
    Ok(Json(
        sectors::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Replace the sector: fields left out return to their defaults; `site_id` must stay the same.
#[utoipa::path(put, path = "/sectors/{id}/", tag = "sectors", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sector id")),
    request_body = NewSector,
    responses(
        (status = 200, description = "Replaced", body = SectorView),
        (status = 400, description = "Invalid fields or `plan_limit_exceeded`, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such sector in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn replace(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewSector>,
) -> ApiResult<Json<SectorView>> {
    let current = sectors::get(&state.quire.db, &tenant, id).await?;
    let patch = sectors::replacement(current.site_id, body)?;
    Ok(Json(
        sectors::update(&state.quire.db, &tenant, id, patch)
            .await?
            .into(),
    ))
}

/// Delete the sector **and everything in it**: its keywords, clusters, ideas, tasks and
/// content. To keep them, archive the sector instead (`PATCH {"is_active": false}`).
#[utoipa::path(delete, path = "/sectors/{id}/", tag = "sectors", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sector id")),
    responses(
        (status = 204, description = "Deleted with everything under it"),
        MalformedPath,
        (status = 404, description = "No such sector in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    sectors::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
