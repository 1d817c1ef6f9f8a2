//! `/api/v1/admin/accounts/`: operators search accounts, read one (plan, subscriptions, owner,
//! members, this period's usage, latest ledger rows) and its ledger, suspend or reactivate it,
//! set its daily AI ceiling, and adjust its credits.

use super::views::{AccountView, CreditTransactionView, PlanView, SubscriptionView, UserView};
use crate::{
    error::{AdminRefusals, ApiError, ApiResult, ErrorBody, MalformedPath},
    extract::{ApiJson, ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
    http::HeaderMap,
};
use quire_core::{
    ValidationErrors,
    admin::{
        account_limits::{self, LimitsPatch},
        accounts::{self, AccountFilter, StatusChange, Usage},
        credits::{self, Adjustment},
    },
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve, update_limits))
        .routes(routes!(ledger))
        .routes(routes!(set_status))
        .routes(routes!(adjust_credits))
}

/// An account as operators list it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAccountView {
    #[serde(flatten)]
    pub account: AccountView,
    pub plan_name: Option<String>,
    pub owner_email: Option<String>,
}

/// An account with what an operator looks at first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDetailView {
    #[serde(flatten)]
    pub account: AccountView,
    pub plan: Option<PlanView>,
    /// Newest first.
    pub subscriptions: Vec<SubscriptionView>,
    pub owner: Option<UserView>,
    /// Members of the account, active or not.
    pub user_count: u64,
    /// AI usage of the current period.
    pub usage: UsageSummaryView,
    /// The 20 newest ledger rows, newest first.
    pub latest_ledger: Vec<CreditTransactionView>,
}

/// AI usage of the current period.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageSummaryView {
    #[serde(flatten)]
    pub usage: Usage,
    /// `cost_micro_usd` in dollars, e.g. `0.012345`.
    pub cost_usd: String,
}

/// The answer to a credit adjustment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentView {
    pub transaction: CreditTransactionView,
    /// The account's balance now.
    pub balance: i64,
}

/// Every account, newest first. `?search=` matches name, slug and the owner's email. Sort
/// keys: `id`, `created_at`, `credits`, `name`.
#[utoipa::path(get, path = "/accounts/", tag = "admin", operation_id = "admin_list_accounts",
    security(("bearer" = [])),
    params(ListParams, AccountFilter),
    responses(
        (status = 200, description = "A page of accounts", body = Paginated<AdminAccountView>),
        (status = 400, description = "Bad page, page size, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<AccountFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<AdminAccountView>>> {
    let page = accounts::list(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, |row| AdminAccountView {
        account: AccountView::from(&row.account),
        plan_name: row.plan_name,
        owner_email: row.owner_email,
    })))
}

/// One account: its plan, subscriptions, owner, number of users, credits, this period's AI
/// usage (calls, tokens, credits charged, cost) and the 20 newest ledger rows.
#[utoipa::path(get, path = "/accounts/{id}/", tag = "admin", operation_id = "admin_retrieve_account",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = AccountDetailView),
        MalformedPath,
        AdminRefusals,
        (status = 404, description = "No such account", body = ErrorBody),
    ))]
pub async fn retrieve(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AccountDetailView>> {
    let detail = accounts::detail(&state.quire, id).await?;
    let cost = detail.usage.cost_micro_usd;
    Ok(Json(AccountDetailView {
        account: AccountView::from(&detail.account),
        plan: detail.plan.as_ref().map(PlanView::from),
        subscriptions: detail
            .subscriptions
            .iter()
            .map(SubscriptionView::from)
            .collect(),
        owner: detail.owner.as_ref().map(UserView::from),
        user_count: detail.users,
        usage: UsageSummaryView {
            usage: detail.usage,
            cost_usd: format!("{}.{:06}", cost / 1_000_000, (cost % 1_000_000).abs()),
        },
        latest_ledger: detail
            .ledger
            .into_iter()
            .map(CreditTransactionView::from)
            .collect(),
    }))
}

/// Set the account's limits: `daily_ai_credit_limit` is the most credits its AI operations
/// may hold or charge in one UTC day (0 stops AI; `null` returns it to the platform default).
/// Past it, AI requests answer 429 `daily_ai_limit_reached` until midnight UTC. The change is
/// audited (`account.daily_ai_credit_limit_changed`) and applies to the account's next request.
#[utoipa::path(patch, path = "/accounts/{id}/", tag = "admin", operation_id = "admin_update_account_limits",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = LimitsPatch,
    responses(
        (status = 200, description = "The account now", body = AccountView),
        (status = 400, description = "A negative or too large ceiling, a malformed body, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_limits(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LimitsPatch>,
) -> ApiResult<Json<AccountView>> {
    let account = account_limits::update(&state.quire, operator.user.id, id, body).await?;
    Ok(Json(AccountView::from(&account)))
}

/// The account's credit ledger, newest first. Sort keys: `id`, `created_at`, `amount`.
#[utoipa::path(get, path = "/accounts/{id}/ledger/", tag = "admin", operation_id = "admin_account_ledger",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id"), ListParams),
    responses(
        (status = 200, description = "A page of ledger rows", body = Paginated<CreditTransactionView>),
        (status = 400, description = "Bad page, page size or ordering, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such account, or page past the end", body = ErrorBody),
    ))]
pub async fn ledger(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<CreditTransactionView>>> {
    let page = accounts::ledger(
        &state.quire.db,
        id,
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

/// Suspend the account (`suspended`: its members get 403 "Account suspended" from their next
/// request, and billing never lifts it) or make it `active` again (from any status: the
/// suspension reason and grace period are cleared, the subscription is left as it is). The
/// other statuses are billing's (400). Asking for the status it has changes nothing.
#[utoipa::path(post, path = "/accounts/{id}/status/", tag = "admin", operation_id = "admin_set_account_status",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = StatusChange,
    responses(
        (status = 200, description = "The account now", body = AccountView),
        (status = 400, description = "A status operators do not set, or a reason over 500 characters, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "The account was deleted by its owner", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusChange>,
) -> ApiResult<Json<AccountView>> {
    let account = accounts::set_status(&state.quire, operator.user.id, id, body).await?;
    Ok(Json(AccountView::from(&account)))
}

/// Give (positive `amount`) or take (negative) credits: one `adjustment` row on the ledger
/// with the note. Taking more than the balance is a 400 naming the balance, and nothing
/// changes. Send an `Idempotency-Key` header to make a retry safe: the same key with the
/// same amount and note answers the first adjustment again; with others, 409.
#[utoipa::path(post, path = "/accounts/{id}/adjust_credits/", tag = "admin", operation_id = "admin_adjust_credits",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Account id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–200 visible ASCII characters; a retry with the same key applies once"),
    ),
    request_body = Adjustment,
    responses(
        (status = 200, description = "Applied (or applied before, for a repeated key)", body = AdjustmentView),
        (status = 400, description = "Zero or too large an amount, no note, a bad key, or more than the balance, or a malformed path id", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "The key was used for another adjustment", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn adjust_credits(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Adjustment>,
) -> ApiResult<Json<AdjustmentView>> {
    let key = headers
        .get("idempotency-key")
        .map(|value| {
            value.to_str().map_err(|_| {
                ApiError::invalid(ValidationErrors::single(
                    "Idempotency-Key",
                    "Use 1 to 200 visible ASCII characters.",
                ))
            })
        })
        .transpose()?;
    let adjusted = credits::adjust(&state.quire, operator.user.id, id, body, key).await?;
    Ok(Json(AdjustmentView {
        transaction: CreditTransactionView::from(adjusted.transaction),
        balance: adjusted.balance,
    }))
}
