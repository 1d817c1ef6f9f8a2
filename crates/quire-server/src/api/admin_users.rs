//! `/api/v1/admin/users/`: operators search users (members and operators), read one,
//! deactivate or activate them, and make a password-reset link for them.

use super::views::UserView;
use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody, MalformedPath},
    extract::{ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use chrono::{DateTime, Utc};
use quire_core::{
    accounts::password_reset,
    admin::users::{self, UserFilter},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve))
        .routes(routes!(deactivate))
        .routes(routes!(activate))
        .routes(routes!(reset_password_link))
}

/// Every user, newest first. `?search=` matches email and name. Sort keys: `id`,
/// `created_at`, `email`, `name`, `last_login_at`.
#[utoipa::path(get, path = "/users/", tag = "admin", operation_id = "admin_list_users",
    security(("bearer" = [])),
    params(ListParams, UserFilter),
    responses(
        (status = 200, description = "A page of users", body = Paginated<UserView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<UserFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<UserView>>> {
    let page = users::list(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |u| UserView::from(&u))))
}

#[utoipa::path(get, path = "/users/{id}/", tag = "admin", operation_id = "admin_retrieve_user",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(UserView::from(
        &users::get(&state.quire.db, id).await?,
    )))
}

/// Deactivate a user: every session of theirs is revoked (their tokens get 401 from the next
/// request) and login answers 403 `user_inactive`. Not yourself (400). An inactive user stays
/// as they are.
#[utoipa::path(post, path = "/users/{id}/deactivate/", tag = "admin", operation_id = "admin_deactivate_user",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user now", body = UserView),
        (status = 400, description = "The operator's own user, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = users::set_active(&state.quire, operator.user.id, id, false).await?;
    Ok(Json(UserView::from(&user)))
}

/// Activate a user again: they may log in (their old sessions stay closed). An active user
/// stays as they are.
#[utoipa::path(post, path = "/users/{id}/activate/", tag = "admin", operation_id = "admin_activate_user",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user now", body = UserView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn activate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserView>> {
    let user = users::set_active(&state.quire, operator.user.id, id, true).await?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResetLinkView {
    /// Send it to the user: it sets a new password once, until `expires_at`. Absolute when
    /// `public_url` is configured, else a path on Quire's site.
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// Make a password-reset link for a user, to send them: it works once, for 30 minutes, and
/// using it ends every session of theirs. Earlier unused links stop working. Audited (without
/// the link).
#[utoipa::path(post, path = "/users/{id}/reset_password_link/", tag = "admin",
    operation_id = "admin_user_reset_password_link", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 201, description = "The link", body = ResetLinkView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn reset_password_link(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(axum::http::StatusCode, Json<ResetLinkView>)> {
    let issued = password_reset::issue_by_operator(&state.quire, operator.user.id, id).await?;
    let base = state
        .quire
        .settings
        .public_url
        .as_deref()
        .unwrap_or_default();
    Ok((
        axum::http::StatusCode::CREATED,
        Json(ResetLinkView {
            link: format!("{}{}", base.trim_end_matches('/'), issued.path()),
            expires_at: issued.expires_at,
        }),
    ))
}
