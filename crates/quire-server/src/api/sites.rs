//! `/api/v1/auth/sites/`: the caller's sites (F3a).

use super::views::SiteView;
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{Json, extract::OriginalUri, extract::State, http::StatusCode};
use quire_core::tenancy::sites::{self, NewSite, SiteFilter, SitePatch};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, replace, destroy))
}

/// The caller's sites. Sort keys: `id`, `name`, `url`, `created_at`, `updated_at`.
#[utoipa::path(get, path = "/sites/", tag = "sites", security(("bearer" = [])),
    params(ListParams, SiteFilter),
    responses(
        (status = 200, description = "A page of sites", body = Paginated<SiteView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SiteFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<SiteView>>> {
    let page = sites::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, SiteView::from)))
}

/// Add a site. Active sites are limited by the plan (`plan_limit_exceeded`).
#[utoipa::path(post, path = "/sites/", tag = "sites", security(("bearer" = [])),
    request_body = NewSite,
    responses(
        (status = 201, description = "Created", body = SiteView),
        (status = 400, description = "Invalid fields, or `plan_limit_exceeded` with `limit`", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<NewSite>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    let site = sites::create(&state.quire.db, &tenant, body).await?;
    Ok((StatusCode::CREATED, Json(site.into())))
}

#[utoipa::path(get, path = "/sites/{id}/", tag = "sites", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = SiteView),
        MalformedPath,
        (status = 404, description = "No such site in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(sites::get(&state.quire.db, &tenant, id).await?.into()))
}

/// Change some fields. Re-activating an archived site counts against the plan.
#[utoipa::path(patch, path = "/sites/{id}/", tag = "sites", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    request_body = SitePatch,
    responses(
        (status = 200, description = "Updated", body = SiteView),
        (status = 400, description = "Invalid fields or `plan_limit_exceeded`, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such site in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SitePatch>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(
        sites::update(&state.quire.db, &tenant, id, body)
            .await?
            .into(),
    ))
}

/// Replace the site: fields left out return to their defaults.
#[utoipa::path(put, path = "/sites/{id}/", tag = "sites", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    request_body = NewSite,
    responses(
        (status = 200, description = "Replaced", body = SiteView),
        (status = 400, description = "Invalid fields or `plan_limit_exceeded`, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such site in your account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn replace(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewSite>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(
        sites::update(&state.quire.db, &tenant, id, SitePatch::from(body))
            .await?
            .into(),
    ))
}

/// Delete the site **and everything in it**: its sectors and, with them, their keywords,
/// clusters, ideas, tasks and content. To keep them, archive the site instead
/// (`PATCH {"is_active": false}`).
#[utoipa::path(delete, path = "/sites/{id}/", tag = "sites", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 204, description = "Deleted with everything under it"),
        MalformedPath,
        (status = 404, description = "No such site in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn destroy(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    sites::delete(&state.quire.db, &tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
