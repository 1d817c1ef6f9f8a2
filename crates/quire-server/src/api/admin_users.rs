//! `/api/v1/admin/users/`: operators search users (members and operators), read one, and
//! deactivate or activate them.

use super::views::UserView;
use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody},
    extract::OperatorContext,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, Path, State},
};
use quire_core::admin::users::{self, UserFilter};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve))
        .routes(routes!(deactivate))
        .routes(routes!(activate))
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
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    _operator: OperatorContext,
    Path(id): Path<i64>,
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
        (status = 400, description = "The operator's own user", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    Path(id): Path<i64>,
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
        AdminRefusals,
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn activate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    let user = users::set_active(&state.quire, operator.user.id, id, true).await?;
    Ok(Json(UserView::from(&user)))
}
