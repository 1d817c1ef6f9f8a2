//! The console's accounts: search, an account's page (plan, subscription, usage, ledger), and
//! what operators do to it — suspend, reactivate, adjust credits, set the daily AI ceiling —
//! through the same services
//! as `/api/v1/admin/accounts/`.

use super::{
    page::{PAGE_SIZE, enum_text, failure, messages, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form, new_form_token},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDateTime, Utc};
use quire_core::{
    Error,
    admin::{
        account_limits::{self, LimitsPatch},
        accounts::{self, AccountFilter, Detail, StatusChange},
        credits::{self, Adjustment},
        subscriptions::{self, SubscriptionPatch},
    },
    billing::payments::format_amount,
    entities::{
        enums::{AccountStatus, SubscriptionStatus},
        subscription,
    },
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(accounts_page))
        .route("/admin/accounts/{id}", get(account_page))
        .route("/admin/accounts/{id}/status", post(change_status))
        .route("/admin/accounts/{id}/adjust", post(adjust_credits))
        .route("/admin/accounts/{id}/limits", post(set_limits))
        .route(
            "/admin/accounts/{id}/subscriptions/{subscription}/edit",
            post(edit_subscription),
        )
        .route(
            "/admin/accounts/{id}/subscriptions/{subscription}/run_billing",
            post(run_billing),
        )
}

const STATUS_FILTERS: [&str; 8] = [
    "all",
    "active",
    "trial",
    "pending_payment",
    "past_due",
    "suspended",
    "cancelled",
    "deleted",
];

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    search: String,
    status_options: Vec<(&'static str, bool)>,
    rows: Vec<AccountRow>,
    sort: Sort,
    page: u64,
    pages: u64,
}

struct AccountRow {
    id: i64,
    name: String,
    owner_email: String,
    plan: String,
    status: String,
    status_class: &'static str,
    credits: i64,
    created: String,
}

#[derive(Deserialize)]
struct AccountsQuery {
    search: Option<String>,
    status: Option<String>,
    ordering: Option<String>,
    page: Option<u64>,
}

async fn accounts_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<AccountsQuery>,
) -> Response {
    let status = query
        .status
        .filter(|s| STATUS_FILTERS.contains(&s.as_str()))
        .unwrap_or_else(|| "all".to_owned());
    let search = query.search.unwrap_or_default();
    let filter = AccountFilter {
        search: Some(search.clone()).filter(|s| !s.trim().is_empty()),
        status: serde_json::from_value(serde_json::Value::String(status.clone())).ok(),
        plan_id: None,
    };
    let mut sort = Sort::new(
        "/admin/accounts",
        &[("search", &search), ("status", &status)],
        query.ordering.as_deref(),
    );
    let request = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => request,
        Err(_) => return Redirect::to("/admin/accounts").into_response(),
    };
    let db = &state.quire.db;
    let mut listed = accounts::list(db, filter.clone(), sort.ordering(), request).await;
    if sort.refused(&listed) {
        listed = accounts::list(db, filter, None, request).await;
    }
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/admin/accounts").into_response(),
        Err(error) => return failure(&error),
    };
    let pages = listed.count.div_ceil(PAGE_SIZE).max(1);
    render(
        StatusCode::OK,
        &AccountsPage {
            chrome: page.chrome("accounts"),
            status_options: STATUS_FILTERS
                .iter()
                .map(|option| (*option, *option == status))
                .collect(),
            sort,
            search,
            page: listed.page,
            pages,
            rows: listed
                .items
                .into_iter()
                .map(|row| AccountRow {
                    id: row.account.id,
                    status: enum_text(&row.account.status),
                    status_class: status_class(row.account.status),
                    name: row.account.name,
                    owner_email: row.owner_email.unwrap_or_default(),
                    plan: row.plan_name.unwrap_or_default(),
                    credits: row.account.credits,
                    created: row.account.created_at.format("%Y-%m-%d").to_string(),
                })
                .collect(),
        },
    )
}

fn status_class(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active | AccountStatus::Trial => "ok",
        AccountStatus::PendingPayment | AccountStatus::PastDue => "warn",
        AccountStatus::Suspended | AccountStatus::Cancelled | AccountStatus::Deleted => "bad",
    }
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    chrome: Chrome,
    id: i64,
    name: String,
    status: String,
    status_class: &'static str,
    suspended: bool,
    suspension: Option<String>,
    credits: i64,
    plan: String,
    owner: String,
    users: u64,
    subscriptions: Vec<SubscriptionRow>,
    ai_calls: i64,
    credits_charged: i64,
    cost: String,
    /// `(when, kind, amount, balance after, note)`.
    ledger: Vec<(String, String, i64, i64, String)>,
    /// A fresh idempotency key, so a form submitted twice adjusts once.
    adjustment_key: String,
    /// The account's own daily AI ceiling as the form shows it (empty: none of its own).
    ai_ceiling: String,
    /// What applies when it has none of its own, in words.
    platform_ceiling: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

impl AccountPage {
    fn new(chrome: Chrome, detail: Detail, platform_ceiling: Option<i64>) -> Self {
        let account = detail.account;
        Self {
            ai_ceiling: account
                .daily_ai_credit_limit
                .map(|limit| limit.to_string())
                .unwrap_or_default(),
            platform_ceiling: platform_ceiling.map_or_else(
                || "no ceiling".to_owned(),
                |limit| format!("{limit} credits a day"),
            ),
            chrome,
            id: account.id,
            status: enum_text(&account.status),
            status_class: status_class(account.status),
            suspended: account.status == AccountStatus::Suspended,
            suspension: account.suspension_reason.map(|r| enum_text(&r)),
            name: account.name,
            credits: account.credits,
            plan: detail.plan.map(|p| p.name).unwrap_or_default(),
            owner: detail.owner.map(|o| o.email).unwrap_or_default(),
            users: detail.users,
            subscriptions: detail
                .subscriptions
                .iter()
                .map(SubscriptionRow::new)
                .collect(),
            ai_calls: detail.usage.ai_calls,
            credits_charged: detail.usage.credits_charged,
            cost: format_amount(detail.usage.cost_micro_usd / 10_000, "USD"),
            ledger: detail
                .ledger
                .into_iter()
                .map(|row| {
                    (
                        row.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        enum_text(&row.kind),
                        row.amount,
                        row.balance_after,
                        row.note.unwrap_or_default(),
                    )
                })
                .collect(),
            adjustment_key: new_form_token(),
            notice: None,
            error: None,
        }
    }
}

/// A subscription as the account page shows and edits it.
struct SubscriptionRow {
    id: i64,
    summary: String,
    status_options: Vec<(&'static str, bool)>,
    /// `datetime-local` values, UTC.
    start: String,
    end: String,
    cancel: bool,
}

const SUBSCRIPTION_STATUSES: [&str; 5] = [
    "pending_payment",
    "trialing",
    "active",
    "past_due",
    "canceled",
];

impl SubscriptionRow {
    fn new(s: &subscription::Model) -> Self {
        let local = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        let status = enum_text(&s.status);
        Self {
            id: s.id,
            summary: format!(
                "{}, {} → {} UTC{}",
                status,
                local(s.current_period_start).replace('T', " "),
                local(s.current_period_end).replace('T', " "),
                if s.cancel_at_period_end {
                    ", cancels at period end"
                } else {
                    ""
                }
            ),
            status_options: SUBSCRIPTION_STATUSES
                .iter()
                .map(|option| (*option, *option == status))
                .collect(),
            start: local(s.current_period_start),
            end: local(s.current_period_end),
            cancel: s.cancel_at_period_end,
        }
    }
}

#[derive(Deserialize)]
struct AccountQuery {
    done: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Query(query): Query<AccountQuery>,
) -> Response {
    match accounts::detail(&state.quire, id).await {
        Ok(detail) => {
            let mut view = AccountPage::new(
                page.chrome("accounts"),
                detail,
                state.quire.settings.rate_limits.daily_ai_credit_limit,
            );
            view.notice = query.done.as_deref().and_then(|done| match done {
                "suspended" => Some("Account suspended: its members are refused from now on."),
                "reactivated" => Some("Account reactivated."),
                "adjusted" => Some("Credits adjusted; the ledger row is below."),
                "subscription" => Some("Subscription saved. Run billing to apply it."),
                "billing" => Some("Billing ran on the subscription; see its state below."),
                "limits" => Some("Daily AI ceiling saved; it applies from the next request."),
                _ => None,
            });
            render(StatusCode::OK, &view)
        }
        Err(error) => not_found_or_failure(&error),
    }
}

/// The account page again, with what was wrong with the operator's input.
async fn refused(state: &AppState, page: &OperatorPage, id: i64, error: Error) -> Response {
    let Error::Validation(errors) = error else {
        return not_found_or_failure(&error);
    };
    match accounts::detail(&state.quire, id).await {
        Ok(detail) => {
            let mut view = AccountPage::new(
                page.chrome("accounts"),
                detail,
                state.quire.settings.rate_limits.daily_ai_credit_limit,
            );
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(error) => not_found_or_failure(&error),
    }
}

fn not_found_or_failure(error: &Error) -> Response {
    match error {
        Error::NotFound => super::page::Message {
            heading: "No such account",
            text: "It may have been deleted.".to_owned(),
            link: "/admin/accounts",
            link_text: "All accounts",
        }
        .respond(StatusCode::NOT_FOUND),
        other => failure(other),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    csrf: String,
    status: AccountStatus,
    #[serde(default)]
    reason: Option<String>,
}

async fn change_status(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let change = StatusChange {
        status: form.status,
        reason: form.reason.filter(|r| !r.trim().is_empty()),
    };
    match accounts::set_status(&state.quire, page.operator.user.id, id, change).await {
        Ok(account) => {
            let done = if account.status == AccountStatus::Suspended {
                "suspended"
            } else {
                "reactivated"
            };
            Redirect::to(&format!("/admin/accounts/{id}?done={done}")).into_response()
        }
        Err(error) => refused(&state, &page, id, error).await,
    }
}

#[derive(Deserialize)]
struct LimitsForm {
    csrf: String,
    #[serde(default)]
    daily_ai_credit_limit: String,
}

/// Sets the daily AI ceiling: a whole number of credits, or empty for the platform default.
async fn set_limits(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<LimitsForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let typed = form.daily_ai_credit_limit.trim();
    let limit = if typed.is_empty() {
        None
    } else if let Ok(limit) = typed.parse::<i64>() {
        Some(limit)
    } else {
        let invalid = quire_core::ValidationErrors::single(
            "daily_ai_credit_limit",
            "Give a whole number of credits, or leave it empty for the platform default.",
        );
        return refused(&state, &page, id, Error::Validation(invalid)).await;
    };
    let patch = LimitsPatch {
        daily_ai_credit_limit: Some(limit),
    };
    match account_limits::update(&state.quire, page.operator.user.id, id, patch).await {
        Ok(_) => Redirect::to(&format!("/admin/accounts/{id}?done=limits")).into_response(),
        Err(error) => refused(&state, &page, id, error).await,
    }
}

#[derive(Deserialize)]
struct AdjustForm {
    csrf: String,
    key: String,
    amount: String,
    note: String,
}

async fn adjust_credits(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<AdjustForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let Ok(amount) = form.amount.trim().parse::<i64>() else {
        let invalid =
            quire_core::ValidationErrors::single("amount", "Give a whole number of credits.");
        return refused(&state, &page, id, Error::Validation(invalid)).await;
    };
    let adjustment = Adjustment {
        amount,
        note: form.note,
    };
    match credits::adjust(
        &state.quire,
        page.operator.user.id,
        id,
        adjustment,
        Some(&form.key),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/admin/accounts/{id}?done=adjusted")).into_response(),
        Err(error) => refused(&state, &page, id, error).await,
    }
}

#[derive(Deserialize)]
struct SubscriptionForm {
    csrf: String,
    status: SubscriptionStatus,
    current_period_start: String,
    current_period_end: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    cancel_at_period_end: Option<String>,
}

/// A `datetime-local` value read as UTC; empty means unchanged.
fn utc(value: &str) -> Result<Option<DateTime<Utc>>, Error> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .map(|t| Some(t.and_utc()))
        .map_err(|_| {
            Error::Validation(quire_core::ValidationErrors::single(
                "current_period_end",
                "Give dates as shown, e.g. 2027-01-31T09:00.",
            ))
        })
}

async fn edit_subscription(
    State(state): State<AppState>,
    page: OperatorPage,
    Path((id, subscription_id)): Path<(i64, i64)>,
    Form(form): Form<SubscriptionForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let patch = match (
        utc(&form.current_period_start),
        utc(&form.current_period_end),
    ) {
        (Ok(start), Ok(end)) => SubscriptionPatch {
            status: Some(form.status),
            current_period_start: start,
            current_period_end: end,
            cancel_at_period_end: Some(form.cancel_at_period_end.is_some()),
        },
        (Err(error), _) | (_, Err(error)) => return refused(&state, &page, id, error).await,
    };
    if let Err(error) = owned_subscription(&state, id, subscription_id).await {
        return not_found_or_failure(&error);
    }
    match subscriptions::update(&state.quire, page.operator.user.id, subscription_id, patch).await {
        Ok(_) => Redirect::to(&format!("/admin/accounts/{id}?done=subscription")).into_response(),
        Err(error) => refused(&state, &page, id, error).await,
    }
}

async fn run_billing(
    State(state): State<AppState>,
    page: OperatorPage,
    Path((id, subscription_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    if let Err(error) = owned_subscription(&state, id, subscription_id).await {
        return not_found_or_failure(&error);
    }
    match subscriptions::run_billing(&state.quire, page.operator.user.id, subscription_id).await {
        Ok(_) => Redirect::to(&format!("/admin/accounts/{id}?done=billing")).into_response(),
        Err(error) => not_found_or_failure(&error),
    }
}

/// The subscription must belong to the account in the page's address.
async fn owned_subscription(state: &AppState, account_id: i64, id: i64) -> Result<(), Error> {
    let found = subscriptions::get(&state.quire.db, id).await?;
    if found.account_id == account_id {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
