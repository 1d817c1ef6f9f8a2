//! `/api/v1/admin/usage/`: AI usage summed per account, operation, model and UTC day, with
//! revenue (credits × `pricing.credit_value_micro_usd`) and margin; and the daily chart.

use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody},
    extract::OperatorContext,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use quire_core::admin::usage::{self, DailyUsage, UsageFigures, UsageReportFilter, UsageRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(daily))
}

/// A page of usage groups, the totals over every call the filters select, and the credit
/// value the revenue was computed with.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReportView {
    /// Groups across all pages.
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<UsageRow>,
    pub totals: UsageFigures,
    /// Millionths of a dollar one credit is worth (`pricing.credit_value_micro_usd`).
    pub credit_value_micro_usd: i64,
}

/// The AI usage log summed per group: calls, failed calls, tokens, our cost, the credits
/// charged, what those credits are worth and the margin. `?group_by=` picks the keys
/// (default `account,operation,model,day`; days are UTC). Newest day first, then account,
/// operation and model; `?ordering=` takes a key or a sum (`-cost_micro_usd`,
/// `-margin_micro_usd`…).
#[utoipa::path(get, path = "/usage/", tag = "admin", security(("bearer" = [])),
    params(ListParams, UsageReportFilter),
    responses(
        (status = 200, description = "A page of usage groups with totals", body = UsageReportView),
        (status = 400, description = "Bad page, ordering, group or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn report(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<UsageReportFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<UsageReportView>> {
    let credit_value = state.quire.settings.pricing.credit_value_micro_usd;
    let report = usage::report(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
        credit_value,
    )
    .await?;
    let page = Paginated::new(report.page, &uri, |row| row);
    Ok(Json(UsageReportView {
        count: page.count,
        next: page.next,
        previous: page.previous,
        results: page.results,
        totals: report.totals,
        credit_value_micro_usd: credit_value,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// Days up to and including today (UTC), 1 to 366 (default 30).
    pub days: Option<u32>,
}

/// Totals per UTC day for the last `?days=` days (today included), oldest first, days
/// without calls as zeros: the cost against the credits charged, for the dashboard chart.
#[utoipa::path(get, path = "/usage/daily/", tag = "admin", security(("bearer" = [])),
    params(DailyParams),
    responses(
        (status = 200, description = "One entry per day", body = Vec<DailyUsage>),
        (status = 400, description = "Days out of range", body = ErrorBody),
        AdminRefusals,
    ))]
pub async fn daily(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<DailyParams>,
) -> ApiResult<Json<Vec<DailyUsage>>> {
    Ok(Json(
        usage::daily(
            &state.quire.db,
            None,
            params.days.unwrap_or(30),
            state.quire.clock.now().date_naive(),
            state.quire.settings.pricing.credit_value_micro_usd,
        )
        .await?,
    ))
}
