//! `/api/v1/billing/`: the caller's credits — balance, the ledger, and AI usage — and
//! payments, with the payer's report of a transfer (also by reference, before sign-in).

use super::views::{CreditTransactionView, PaymentView, UsageView};
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, ApiPath, TenantContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use chrono::{DateTime, Utc};
use quire_core::billing::payments::{
    self as billing_payments, TransferByReference, TransferNotice,
};
use quire_core::credits::{
    statement::{self, TransactionFilter},
    usage::{self, UsageFilter},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(credits))
        .routes(routes!(transactions))
        .routes(routes!(usage_rows))
        .routes(routes!(payments))
        .routes(routes!(notify_payment))
        .routes(routes!(report_transfer))
}

/// The caller's payments, newest first. Sort keys: `id`, `created_at`, `amount`.
#[utoipa::path(get, path = "/payments/", tag = "billing", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of payments", body = Paginated<PaymentView>),
        (status = 400, description = "Bad page, page size or ordering", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn payments(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<PaymentView>>> {
    let page = billing_payments::list_own(
        &state.quire.db,
        &tenant,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |p| PaymentView::from(&p))))
}

/// "I have paid": report the bank transfer made for one of your pending payments (payer
/// name, bank, the bank's reference, the date). The operator sees it when confirming.
#[utoipa::path(post, path = "/payments/{id}/notify/", tag = "billing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Payment id")),
    request_body = TransferNotice,
    responses(
        (status = 200, description = "Recorded", body = PaymentView),
        (status = 400, description = "Invalid fields, or a malformed path id", body = ErrorBody),
        (status = 404, description = "No such payment in your account", body = ErrorBody),
        (status = 409, description = "The payment is no longer pending", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn notify_payment(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransferNotice>,
) -> ApiResult<Json<PaymentView>> {
    let payment =
        billing_payments::notify(&state.quire.db, &tenant, id, body, state.quire.clock.now())
            .await?;
    Ok(Json(PaymentView::from(&payment)))
}

/// "I have paid" before the account can sign in (it waits for its first payment): the
/// payment's reference and the account's email identify the payment. No sign-in needed; an
/// unknown reference and a wrong email both answer 404.
#[utoipa::path(post, path = "/transfers/", tag = "billing",
    request_body = TransferByReference,
    responses(
        (status = 200, description = "Recorded", body = PaymentView),
        (status = 400, description = "Invalid fields or not a payment reference", body = ErrorBody),
        (status = 404, description = "No payment with this reference for this email", body = ErrorBody),
        (status = 409, description = "The payment is no longer pending", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn report_transfer(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TransferByReference>,
) -> ApiResult<Json<PaymentView>> {
    let payment =
        billing_payments::notify_by_reference(&state.quire.db, body, state.quire.clock.now())
            .await?;
    Ok(Json(PaymentView::from(&payment)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    /// Credits available now (held reservations already taken out).
    pub balance: i64,
    /// Credits held by jobs that have not finished.
    pub reserved: i64,
    /// Credits charged for AI usage in the current period.
    pub used_this_period: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/credits/", tag = "billing", security(("bearer" = [])),
    responses(
        (status = 200, description = "Balance, reserved and this period's use", body = CreditsView),
        GateRefusals,
    ))]
pub async fn credits(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
) -> ApiResult<Json<CreditsView>> {
    let summary = statement::summary(&state.quire.db, &tenant).await?;
    Ok(Json(CreditsView {
        balance: summary.balance,
        reserved: summary.reserved,
        used_this_period: summary.used_this_period,
        period_start: summary.period_start,
        period_end: summary.period_end,
    }))
}

/// The credit ledger, newest first. Sort keys: `id`, `created_at`, `amount`.
#[utoipa::path(get, path = "/credits/transactions/", tag = "billing", security(("bearer" = [])),
    params(ListParams, TransactionFilter),
    responses(
        (status = 200, description = "A page of ledger rows", body = Paginated<CreditTransactionView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn transactions(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<TransactionFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<CreditTransactionView>>> {
    let page = statement::transactions(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(
        page,
        &uri,
        CreditTransactionView::from,
    )))
}

/// AI usage: one row per model call. Sort keys: `id`, `created_at`, `credits_charged`.
#[utoipa::path(get, path = "/usage/", tag = "billing", security(("bearer" = [])),
    params(ListParams, UsageFilter),
    responses(
        (status = 200, description = "A page of usage rows", body = Paginated<UsageView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        (status = 404, description = "Page past the end", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn usage_rows(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<UsageFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<UsageView>>> {
    let page = usage::list(
        &state.quire.db,
        &tenant,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, UsageView::from)))
}
