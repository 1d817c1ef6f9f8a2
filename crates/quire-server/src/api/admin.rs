//! `/api/v1/admin/`: the operators' API (operators log in like everyone; their tokens carry
//! no account). Tenants get 403, anonymous callers 401. Payments (list, confirm a bank
//! transfer through `apply_payment`, reject) live here; the router gathers the other areas.

use super::views::{AdminPaymentView, PaymentView};
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
use quire_core::billing::{
    apply,
    payments::{self, PaymentFilter},
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_payments))
        .routes(routes!(confirm_payment))
        .routes(routes!(reject_payment))
        .merge(super::admin_accounts::router())
        .merge(super::admin_users::router())
        .merge(super::admin_subscriptions::router())
        .merge(super::admin_usage::router())
        .merge(super::admin_ai::router())
        .merge(super::admin_audit::router())
        .merge(super::admin_plans::router())
        .merge(super::admin_reference::router())
        .merge(super::admin_seed_keywords::router())
}

/// Every account's payments, newest first; `?status=pending` for the ones to confirm. Sort
/// keys: `id`, `created_at`, `amount`.
#[utoipa::path(get, path = "/payments/", tag = "admin", security(("bearer" = [])),
    params(ListParams, PaymentFilter),
    responses(
        (status = 200, description = "A page of payments, each with its account's name and owner", body = Paginated<AdminPaymentView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_payments(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<PaymentFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<AdminPaymentView>>> {
    let page = payments::list_all(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |p| {
        AdminPaymentView::from(&p)
    })))
}

/// Confirm that a bank transfer arrived: the payment is applied (`apply_payment`) — paid,
/// the subscription active for its period, the plan's credits granted, the account active.
/// A payment already applied (or rejected) is a 409 and nothing changes.
#[utoipa::path(post, path = "/payments/{id}/confirm/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Payment id")),
    responses(
        (status = 200, description = "Applied", body = PaymentView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such payment", body = ErrorBody),
        (status = 409, description = "Already applied, or rejected", body = ErrorBody),
    ))]
pub async fn confirm_payment(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PaymentView>> {
    let applied = apply::confirm(
        &state.quire,
        id,
        &format!("user:{}", operator.user.id),
        Some(operator.user.id),
    )
    .await?;
    Ok(Json(PaymentView::from(&applied.payment)))
}

/// Why a payment is rejected.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Rejection {
    /// Shown to the account with the payment (at most 1,000 characters).
    pub note: String,
}

/// Reject a pending payment (the transfer never arrived, or not in full). The account stays
/// as it is.
#[utoipa::path(post, path = "/payments/{id}/reject/", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Payment id")),
    request_body = Rejection,
    responses(
        (status = 200, description = "Rejected", body = PaymentView),
        (status = 400, description = "No note, or too long, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such payment", body = ErrorBody),
        (status = 409, description = "Not pending", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn reject_payment(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Rejection>,
) -> ApiResult<Json<PaymentView>> {
    let rejected = payments::reject(
        &state.quire.db,
        id,
        operator.user.id,
        &body.note,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(PaymentView::from(&rejected)))
}
