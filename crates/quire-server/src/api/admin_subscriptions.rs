//! `/api/v1/admin/subscriptions/`: operators list and read subscriptions, edit their status,
//! period and cancel flag, and run the billing job on one now.

use super::views::SubscriptionView;
use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody, MalformedPath},
    extract::{ApiJson, ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use quire_core::admin::subscriptions::{self, SubscriptionFilter, SubscriptionPatch};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve, update))
        .routes(routes!(run_billing))
}

/// What running billing on one subscription did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingRunView {
    /// Transitions made, by name (`renewal_opened`, `renewed`, `cancelled`, `trial_ended`,
    /// `past_due`, `suspended`, `free_renewal`, `monthly_grants`); empty when nothing was due.
    pub transitions: BTreeMap<String, u32>,
    /// 1 when a step failed (it is logged, and tried again by the next pass).
    pub failures: u32,
    /// The subscription after the run.
    pub subscription: SubscriptionView,
}

/// Every subscription, newest first. Sort keys: `id`, `created_at`, `current_period_end`.
#[utoipa::path(get, path = "/subscriptions/", tag = "admin", operation_id = "admin_list_subscriptions",
    security(("bearer" = [])),
    params(ListParams, SubscriptionFilter),
    responses(
        (status = 200, description = "A page of subscriptions", body = Paginated<SubscriptionView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SubscriptionFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<SubscriptionView>>> {
    let page = subscriptions::list(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |s| {
        SubscriptionView::from(&s)
    })))
}

#[utoipa::path(get, path = "/subscriptions/{id}/", tag = "admin", operation_id = "admin_retrieve_subscription",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such subscription", body = ErrorBody),
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(SubscriptionView::from(
        &subscriptions::get(&state.quire.db, id).await?,
    )))
}

/// Edit the status, the period or the cancel flag (audited with before and after). Only the
/// row changes; run billing (`run_billing/`) to have the billing job act on it.
#[utoipa::path(patch, path = "/subscriptions/{id}/", tag = "admin", operation_id = "admin_update_subscription",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    request_body = SubscriptionPatch,
    responses(
        (status = 200, description = "The subscription now", body = SubscriptionView),
        (status = 400, description = "An unknown status, a bad date, or a period that ends before it starts, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SubscriptionPatch>,
) -> ApiResult<Json<SubscriptionView>> {
    let updated = subscriptions::update(&state.quire, operator.user.id, id, body).await?;
    Ok(Json(SubscriptionView::from(&updated)))
}

/// Run the billing job on this subscription now, by the same code path as the scheduled job
/// (renewal payment, renewal, cancellation, trial end, past due, suspension, free renewal,
/// monthly grants — with their emails), whatever the scheduled pass would pick.
#[utoipa::path(post, path = "/subscriptions/{id}/run_billing/", tag = "admin", operation_id = "admin_run_billing",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "What billing did", body = BillingRunView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such subscription", body = ErrorBody),
    ))]
pub async fn run_billing(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BillingRunView>> {
    let (report, subscription) =
        subscriptions::run_billing(&state.quire, operator.user.id, id).await?;
    Ok(Json(BillingRunView {
        transitions: report
            .transitions
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count))
            .collect(),
        failures: report.failures,
        subscription: SubscriptionView::from(&subscription),
    }))
}
