//! `/api/v1/auth/accounts/` and `/api/v1/auth/subscriptions/`: the caller's own account
//! (owners and admins may edit it) and its subscriptions: cancel, resume, change plan.

use super::views::{AccountView, PaymentView, PendingPaymentView, SubscriptionView};
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals, MalformedPath},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{Json, extract::OriginalUri, extract::State};
use chrono::{DateTime, Utc};
use quire_core::{
    billing::{
        plan_change::{self, PlanChoice, TakesEffect},
        subscription_actions,
    },
    listing::Page,
    tenancy::account::{self, AccountPatch},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts))
        .routes(routes!(retrieve_account, update_account))
        .routes(routes!(list_subscriptions))
        .routes(routes!(retrieve_subscription))
        .routes(routes!(cancel_subscription))
        .routes(routes!(resume_subscription))
        .routes(routes!(change_plan))
}

/// The caller's account, as a one-row list.
#[utoipa::path(get, path = "/accounts/", tag = "accounts", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "The caller's account", body = Paginated<AccountView>),
        (status = 400, description = "Bad page or page size", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list_accounts(
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<AccountView>>> {
    let request = params.page_request()?;
    if request.page > 1 {
        return Err(quire_core::Error::NotFound.into());
    }
    let page = Page {
        count: 1,
        page: 1,
        page_size: request.page_size,
        items: vec![tenant.account],
    };
    Ok(Json(Paginated::new(page, &uri, |a| AccountView::from(&a))))
}

#[utoipa::path(get, path = "/accounts/{id}/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The caller's account", body = AccountView),
        MalformedPath,
        (status = 404, description = "Not the caller's account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve_account(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AccountView>> {
    let found = account::get(&state.quire.db, &tenant, id).await?;
    Ok(Json(AccountView::from(&found)))
}

/// Rename the account or edit its billing details (owners and admins).
#[utoipa::path(patch, path = "/accounts/{id}/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = AccountPatch,
    responses(
        (status = 200, description = "Updated", body = AccountView),
        (status = 400, description = "Invalid fields, or a malformed path id", body = ErrorBody),
        (status = 404, description = "Not the caller's account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn update_account(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AccountPatch>,
) -> ApiResult<Json<AccountView>> {
    let updated = account::update(&state.quire.db, &tenant, id, body).await?;
    Ok(Json(AccountView::from(&updated)))
}

/// The account's subscriptions, newest first.
#[utoipa::path(get, path = "/subscriptions/", tag = "accounts", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of subscriptions", body = Paginated<SubscriptionView>),
        (status = 400, description = "Bad page or page size", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<SubscriptionView>>> {
    let page =
        account::list_subscriptions(&state.quire.db, &tenant, params.page_request()?).await?;
    Ok(Json(Paginated::new(page, &uri, |s| {
        SubscriptionView::from(&s)
    })))
}

#[utoipa::path(get, path = "/subscriptions/{id}/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        MalformedPath,
        (status = 404, description = "No such subscription in your account", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn retrieve_subscription(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubscriptionView>> {
    let found = account::get_subscription(&state.quire.db, &tenant, id).await?;
    Ok(Json(SubscriptionView::from(&found)))
}

/// Cancel at the end of the current period (`cancel_at_period_end`): the account keeps
/// working and spending its credits until `current_period_end`, and gets no new credits
/// after. Owners and admins.
#[utoipa::path(post, path = "/subscriptions/{id}/cancel/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "Cancelled at the period's end", body = SubscriptionView),
        MalformedPath,
        (status = 404, description = "No such subscription in your account", body = ErrorBody),
        (status = 409, description = "Already cancelled, or nothing running to cancel", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubscriptionView>> {
    let updated =
        subscription_actions::cancel(&state.quire.db, &tenant, id, state.quire.clock.now()).await?;
    Ok(Json(SubscriptionView::from(&updated)))
}

/// Undo a cancellation before the period ends. Owners and admins.
#[utoipa::path(post, path = "/subscriptions/{id}/resume/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "Resumed", body = SubscriptionView),
        MalformedPath,
        (status = 404, description = "No such subscription in your account", body = ErrorBody),
        (status = 409, description = "Not cancelled, or the period has ended", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn resume_subscription(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubscriptionView>> {
    let updated =
        subscription_actions::resume(&state.quire.db, &tenant, id, state.quire.clock.now()).await?;
    Ok(Json(SubscriptionView::from(&updated)))
}

/// The answer to a plan change.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChangeView {
    /// The subscription after the change: `plan_id` moves only when an upgrade is paid;
    /// `scheduled_plan_id` holds a downgrade until the renewal.
    pub subscription: SubscriptionView,
    /// The chosen plan.
    pub plan_id: i64,
    /// `when_paid` (upgrade), `at_renewal` (downgrade) or `now` (the current plan chosen
    /// again: the pending change is cancelled).
    pub takes_effect: TakesEffect,
    /// When the subscription will be on `plan_id`: null until an upgrade is paid, the
    /// period's end for a downgrade, now for a cancelled change.
    pub effective_at: Option<DateTime<Utc>>,
    /// A payment to make: the upgrade's, or the renewal that replaced one for the old plan.
    pub payment: Option<PendingPaymentView>,
}

/// Change plan (owners and admins). A bigger paid plan (more credits a month) is an upgrade:
/// a pending payment opens and the plan switches, with a new period, when it is confirmed.
/// Anything else is a downgrade, scheduled for the end of the current period (an open
/// renewal payment is replaced by one for the new plan). Choosing the current plan cancels a
/// pending change; a new choice replaces one.
#[utoipa::path(post, path = "/subscriptions/{id}/change_plan/", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    request_body = PlanChoice,
    responses(
        (status = 200, description = "Upgrade requested, downgrade scheduled, or pending change cancelled", body = PlanChangeView),
        (status = 400, description = "Not an active plan, already on it, or a malformed body, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such subscription in your account", body = ErrorBody),
        (status = 409, description = "The subscription is not active, trialing or past due, or is cancelled at the period's end", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn change_plan(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PlanChoice>,
) -> ApiResult<Json<PlanChangeView>> {
    let changed = plan_change::change_plan(&state.quire, &tenant, id, body.plan_id).await?;
    Ok(Json(PlanChangeView {
        subscription: SubscriptionView::from(&changed.subscription),
        plan_id: changed.plan.id,
        takes_effect: changed.takes_effect,
        effective_at: changed.effective_at,
        payment: changed
            .payment
            .map(|(payment, instructions)| PendingPaymentView {
                payment: PaymentView::from(&payment),
                instructions,
            }),
    }))
}
