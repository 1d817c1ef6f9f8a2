//! `/api/v1/billing/`: the caller's credits — balance, the ledger, and AI usage.

use super::views::{CreditTransactionView, UsageView};
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::TenantContext,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use chrono::{DateTime, Utc};
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
