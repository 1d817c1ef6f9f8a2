//! `/api/v1/admin/plans/`: the plan catalogue for operators — every plan (inactive too),
//! create, retrieve, PATCH, delete while unused, activate, deactivate, reorder. Each change is
//! audited; the public `GET /api/v1/auth/plans/` shows the active plans in the new order.

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
use chrono::{DateTime, Utc};
use quire_core::{
    admin::plans::{self, NewPlan, PlanFilter, PlanOrder, PlanPatch},
    entities::{
        enums::{BillingCycle, CreditPolicy},
        plan,
    },
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(retrieve_plan, update_plan, delete_plan))
        .routes(routes!(activate_plan))
        .routes(routes!(deactivate_plan))
        .routes(routes!(reorder_plans))
}

/// A plan with every field, as operators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPlanView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Minor units of `currency`.
    pub price: i64,
    pub currency: String,
    pub billing_cycle: BillingCycle,
    pub included_credits: i64,
    /// Legacy: used when `included_credits` is 0.
    pub credits_per_month: i64,
    /// What one month of the plan grants.
    pub effective_credits_per_month: i64,
    pub max_sites: i32,
    pub max_industries: i32,
    pub max_users: i32,
    pub trial_days: i32,
    pub credit_policy: CreditPolicy,
    pub is_active: bool,
    pub sort_order: i32,
    pub stripe_product_id: Option<String>,
    pub stripe_price_id: Option<String>,
    pub paypal_plan_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&plan::Model> for AdminPlanView {
    fn from(p: &plan::Model) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price,
            currency: p.currency.clone(),
            billing_cycle: p.billing_cycle,
            included_credits: p.included_credits,
            credits_per_month: p.credits_per_month,
            effective_credits_per_month: p.effective_credits_per_month(),
            max_sites: p.max_sites,
            max_industries: p.max_industries,
            max_users: p.max_users,
            trial_days: p.trial_days,
            credit_policy: p.credit_policy,
            is_active: p.is_active,
            sort_order: p.sort_order,
            stripe_product_id: p.stripe_product_id.clone(),
            stripe_price_id: p.stripe_price_id.clone(),
            paypal_plan_id: p.paypal_plan_id.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Every plan, active or not, by `sort_order` then id; `?is_active=` filters. Sort keys:
/// `sort_order`, `id`, `name`, `slug`, `price`, `created_at`.
#[utoipa::path(get, path = "/plans/", tag = "admin", security(("bearer" = [])),
    params(ListParams, PlanFilter),
    responses(
        (status = 200, description = "A page of plans", body = Paginated<AdminPlanView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_plans(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<PlanFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<AdminPlanView>>> {
    let page = plans::list(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |p| {
        AdminPlanView::from(&p)
    })))
}

/// Create a plan. It is offered at once unless `is_active` is false, and placed after every
/// other plan unless `sort_order` is given.
#[utoipa::path(post, path = "/plans/", tag = "admin", security(("bearer" = [])),
    request_body = NewPlan,
    responses(
        (status = 201, description = "Created", body = AdminPlanView),
        (status = 400, description = "Field errors (a taken slug among them)", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn create_plan(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<AdminPlanView>)> {
    let created = plans::create(
        &state.quire.db,
        operator.user.id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(AdminPlanView::from(&created))))
}

#[utoipa::path(get, path = "/plans/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = AdminPlanView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
pub async fn retrieve_plan(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AdminPlanView>> {
    let found = plans::get(&state.quire.db, id).await?;
    Ok(Json(AdminPlanView::from(&found)))
}

/// Change any fields of a plan (the slug too, if no other plan has it). Accounts on the plan
/// get the new price, credits and limits from their next payment, grant or request; payments
/// already open keep their amounts.
#[utoipa::path(patch, path = "/plans/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    request_body = PlanPatch,
    responses(
        (status = 200, description = "Changed", body = AdminPlanView),
        (status = 400, description = "Field errors, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_plan(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PlanPatch>,
) -> ApiResult<Json<AdminPlanView>> {
    let updated = plans::update(
        &state.quire.db,
        operator.user.id,
        id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(AdminPlanView::from(&updated)))
}

/// Delete a plan that no account, subscription or payment refers to. A plan in use is a 409:
/// deactivate it instead.
#[utoipa::path(delete, path = "/plans/{id}/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "In use: deactivate instead", body = ErrorBody),
    ))]
pub async fn delete_plan(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    plans::delete(
        &state.quire.db,
        operator.user.id,
        id,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Offer the plan again: it returns to the pricing list and sign-up, and accounts on it may
/// sign in again. Activating an active plan changes nothing.
#[utoipa::path(post, path = "/plans/{id}/activate/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "Active", body = AdminPlanView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
pub async fn activate_plan(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AdminPlanView>> {
    set_active(&state, operator.user.id, id, true).await
}

/// Withdraw the plan: it leaves the pricing list and sign-up, and every account on it gets
/// 402 `subscription_required` at login and on each request until the plan is active again.
/// Deactivating an inactive plan changes nothing.
#[utoipa::path(post, path = "/plans/{id}/deactivate/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "Inactive", body = AdminPlanView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
pub async fn deactivate_plan(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AdminPlanView>> {
    set_active(&state, operator.user.id, id, false).await
}

async fn set_active(
    state: &AppState,
    operator_id: i64,
    id: i64,
    active: bool,
) -> ApiResult<Json<AdminPlanView>> {
    let changed = plans::set_active(
        &state.quire.db,
        operator_id,
        id,
        active,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(AdminPlanView::from(&changed)))
}

/// Set the display order: the listed plans get `sort_order` 10, 20, 30… in that order, and
/// the others follow in their present order. Answers every plan in the new order.
#[utoipa::path(post, path = "/plans/reorder/", tag = "admin", security(("bearer" = [])),
    request_body = PlanOrder,
    responses(
        (status = 200, description = "Every plan, in the new order", body = [AdminPlanView]),
        (status = 400, description = "No ids, an unknown id or one listed twice", body = ErrorBody),
        AdminRefusals,
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn reorder_plans(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<PlanOrder>,
) -> ApiResult<Json<Vec<AdminPlanView>>> {
    let reordered = plans::reorder(
        &state.quire.db,
        operator.user.id,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(reordered.iter().map(AdminPlanView::from).collect()))
}
