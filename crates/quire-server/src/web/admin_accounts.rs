//! The console's accounts: search, an account's page (plan, subscription, usage, ledger), and
//! what operators do to it — suspend, reactivate, adjust credits — through the same services
//! as `/api/v1/admin/accounts/`.

use super::{
    page::{PAGE_SIZE, enum_text, failure, render},
    session::{Chrome, OperatorPage, expired_form, new_form_token},
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
use quire_core::{
    Error,
    admin::{
        accounts::{self, AccountFilter, Detail, StatusChange},
        credits::{self, Adjustment},
    },
    billing::payments::format_amount,
    entities::enums::AccountStatus,
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(accounts_page))
        .route("/admin/accounts/{id}", get(account_page))
        .route("/admin/accounts/{id}/status", post(change_status))
        .route("/admin/accounts/{id}/adjust", post(adjust_credits))
}

const STATUS_FILTERS: [&str; 7] = [
    "all",
    "active",
    "trial",
    "pending_payment",
    "past_due",
    "suspended",
    "cancelled",
];

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    search: String,
    status_options: Vec<(&'static str, bool)>,
    rows: Vec<AccountRow>,
    /// The filters as a query string, for the pager's links.
    query: String,
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
    let request = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => request,
        Err(error) => return failure(&error),
    };
    let listed = match accounts::list(&state.quire.db, filter, None, request).await {
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
            query: serde_urlencoded::to_string([("search", &search), ("status", &status)])
                .unwrap_or_default(),
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
        AccountStatus::Suspended | AccountStatus::Cancelled => "bad",
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
    subscriptions: Vec<String>,
    ai_calls: i64,
    credits_charged: i64,
    cost: String,
    /// `(when, kind, amount, balance after, note)`.
    ledger: Vec<(String, String, i64, i64, String)>,
    /// A fresh idempotency key, so a form submitted twice adjusts once.
    adjustment_key: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

impl AccountPage {
    fn new(chrome: Chrome, detail: Detail) -> Self {
        let account = detail.account;
        Self {
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
                .map(|s| {
                    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
                        t.map_or_else(|| "–".to_owned(), |t| t.format("%Y-%m-%d").to_string())
                    };
                    format!(
                        "Subscription {}: {}, {} → {}{}",
                        s.id,
                        enum_text(&s.status),
                        day(s.current_period_start),
                        day(s.current_period_end),
                        if s.cancel_at_period_end {
                            ", cancels at period end"
                        } else {
                            ""
                        }
                    )
                })
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
            let mut view = AccountPage::new(page.chrome("accounts"), detail);
            view.notice = query.done.as_deref().and_then(|done| match done {
                "suspended" => Some("Account suspended: its members are refused from now on."),
                "reactivated" => Some("Account reactivated."),
                "adjusted" => Some("Credits adjusted; the ledger row is below."),
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
            let mut view = AccountPage::new(page.chrome("accounts"), detail);
            view.error = Some(
                errors
                    .fields()
                    .values()
                    .flat_map(|messages| messages.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
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
