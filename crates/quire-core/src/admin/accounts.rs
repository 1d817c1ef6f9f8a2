//! Operators and tenant accounts: the searchable list, the detail (plan, subscriptions, owner,
//! members, this period's AI usage, latest ledger rows), the ledger, and an operator's
//! suspension and reactivation.

use crate::{
    Error, Quire, ValidationErrors, audit,
    credits::statement::sum_as_bigint,
    db::{Db, begin_write},
    entities::{
        account, ai_usage_log, credit_transaction,
        enums::{AccountStatus, SubscriptionStatus, SuspensionReason},
        plan, subscription, user,
    },
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::lock_account,
};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Expr, Func},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Accounts listed for an operator.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    /// Matches the name, the slug or the owner's email, ignoring case.
    pub search: Option<String>,
    pub status: Option<AccountStatus>,
    pub plan_id: Option<i64>,
}

const SORT_KEYS: SortKeys<account::Column> = &[
    ("id", account::Column::Id),
    ("created_at", account::Column::CreatedAt),
    ("credits", account::Column::Credits),
    ("name", account::Column::Name),
];

/// How many of the newest ledger rows the detail shows.
pub const LATEST_LEDGER_ROWS: u64 = 20;

/// An account as listed: with its plan's name and its owner's email.
#[derive(Debug, Clone)]
pub struct Listed {
    pub account: account::Model,
    pub plan_name: Option<String>,
    pub owner_email: Option<String>,
}

/// Every account, newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    filter: AccountFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<Listed>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (account::Column::Id, Order::Desc))?;
    let mut select = account::Entity::find();
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        let owners = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(listing::search(term, &[user::Column::Email]))
            .into_query();
        select = select.filter(
            Condition::any()
                .add(listing::search(
                    term,
                    &[account::Column::Name, account::Column::Slug],
                ))
                .add(account::Column::OwnerId.in_subquery(owners)),
        );
    }
    if let Some(status) = filter.status {
        select = select.filter(account::Column::Status.eq(status));
    }
    if let Some(plan_id) = filter.plan_id {
        select = select.filter(account::Column::PlanId.eq(plan_id));
    }
    let page = listing::fetch_page(db, select, &ordering, page).await?;
    let plan_names: HashMap<i64, String> = plan::Entity::find()
        .filter(plan::Column::Id.is_in(page.items.iter().filter_map(|a| a.plan_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let owner_emails: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(page.items.iter().filter_map(|a| a.owner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(page.map(|account| Listed {
        plan_name: account.plan_id.and_then(|id| plan_names.get(&id).cloned()),
        owner_email: account
            .owner_id
            .and_then(|id| owner_emails.get(&id).cloned()),
        account,
    }))
}

/// The AI usage of an account's current period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Usage {
    /// The current subscription period's start; without one, the calendar month's.
    pub period_start: DateTime<Utc>,
    pub period_end: Option<DateTime<Utc>>,
    /// Model calls since `period_start`, failed ones included.
    pub ai_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Credits those calls charged the account.
    pub credits_charged: i64,
    /// What those calls cost Quire, in millionths of a US dollar.
    pub cost_micro_usd: i64,
}

/// An account with everything an operator looks at first.
#[derive(Debug, Clone)]
pub struct Detail {
    pub account: account::Model,
    pub plan: Option<plan::Model>,
    /// Newest first.
    pub subscriptions: Vec<subscription::Model>,
    pub owner: Option<user::Model>,
    pub users: u64,
    pub usage: Usage,
    /// The newest [`LATEST_LEDGER_ROWS`] ledger rows, newest first.
    pub ledger: Vec<credit_transaction::Model>,
}

pub async fn detail(quire: &Quire, id: i64) -> Result<Detail, Error> {
    let db = &quire.db;
    let account = find(db, id).await?;
    let plan = match account.plan_id {
        Some(plan_id) => plan::Entity::find_by_id(plan_id).one(db).await?,
        None => None,
    };
    let owner = match account.owner_id {
        Some(owner_id) => user::Entity::find_by_id(owner_id).one(db).await?,
        None => None,
    };
    let subscriptions = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(id))
        .order_by_desc(subscription::Column::Id)
        .all(db)
        .await?;
    let users = user::Entity::find()
        .filter(user::Column::AccountId.eq(id))
        .count(db)
        .await?;
    let current = subscriptions
        .iter()
        .find(|s| s.status != SubscriptionStatus::Canceled);
    let usage = usage(
        db,
        id,
        current.and_then(|s| s.current_period_start),
        current.and_then(|s| s.current_period_end),
        quire.clock.now(),
    )
    .await?;
    let ledger = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(id))
        .order_by_desc(credit_transaction::Column::Id)
        .limit(LATEST_LEDGER_ROWS)
        .all(db)
        .await?;
    Ok(Detail {
        account,
        plan,
        subscriptions,
        owner,
        users,
        usage,
        ledger,
    })
}

#[derive(FromQueryResult)]
struct UsageTotals {
    calls: i64,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    credits: Option<i64>,
    cost: Option<i64>,
}

async fn usage(
    db: &Db,
    account_id: i64,
    period_start: Option<DateTime<Utc>>,
    period_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Usage, Error> {
    let period_start = period_start.unwrap_or_else(|| {
        Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now)
    });
    let totals = ai_usage_log::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::count(Expr::col(ai_usage_log::Column::Id))),
            "calls",
        )
        .column_as(
            sum_as_bigint(ai_usage_log::Column::InputTokens),
            "input_tokens",
        )
        .column_as(
            sum_as_bigint(ai_usage_log::Column::OutputTokens),
            "output_tokens",
        )
        .column_as(
            sum_as_bigint(ai_usage_log::Column::CreditsCharged),
            "credits",
        )
        .column_as(sum_as_bigint(ai_usage_log::Column::CostMicroUsd), "cost")
        .filter(ai_usage_log::Column::AccountId.eq(account_id))
        .filter(ai_usage_log::Column::CreatedAt.gte(period_start))
        .into_model::<UsageTotals>()
        .one(db)
        .await?;
    let (calls, input_tokens, output_tokens, credits, cost) = totals.map_or((0, 0, 0, 0, 0), |t| {
        (
            t.calls,
            t.input_tokens.unwrap_or(0),
            t.output_tokens.unwrap_or(0),
            t.credits.unwrap_or(0),
            t.cost.unwrap_or(0),
        )
    });
    Ok(Usage {
        period_start,
        period_end,
        ai_calls: calls,
        input_tokens,
        output_tokens,
        credits_charged: credits,
        cost_micro_usd: cost,
    })
}

/// The account's ledger, newest first unless ordered otherwise (`id`, `created_at`, `amount`).
pub async fn ledger(
    db: &Db,
    id: i64,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<credit_transaction::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        crate::credits::statement::SORT_KEYS,
        (credit_transaction::Column::Id, Order::Desc),
    )?;
    find(db, id).await?;
    let select =
        credit_transaction::Entity::find().filter(credit_transaction::Column::AccountId.eq(id));
    listing::fetch_page(db, select, &ordering, page).await
}

async fn find(db: &Db, id: i64) -> Result<account::Model, Error> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// An operator's change of an account's status.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StatusChange {
    /// `suspended` (by an operator) or `active`; the other statuses are billing's.
    pub status: AccountStatus,
    /// Why, for the audit log (at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Suspends an account (reason `operator`: the tenant gets 403 from the next request, and
/// billing never lifts it) or makes it `active` again, whatever its status (the suspension
/// reason and grace period cleared; the subscription is not touched). Asking for the status
/// it already has changes nothing.
pub async fn set_status(
    quire: &Quire,
    operator_id: i64,
    id: i64,
    change: StatusChange,
) -> Result<account::Model, Error> {
    let mut errors = ValidationErrors::default();
    let suspension_reason = match change.status {
        AccountStatus::Suspended => Some(SuspensionReason::Operator),
        AccountStatus::Active => None,
        _ => {
            errors.add(
                "status",
                "Operators set `active` or `suspended`; trial, pending_payment, past_due and \
                 cancelled follow the subscription (edit it and run billing).",
            );
            None
        }
    };
    let reason = change
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        errors.add("reason", "Use at most 500 characters.");
    }
    errors.into_result()?;

    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, id).await?;
    let current = account::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.status == AccountStatus::Deleted {
        return Err(Error::Conflict(
            "This account was deleted by its owner; it cannot be reactivated.".to_owned(),
        ));
    }
    if current.status == change.status && current.suspension_reason == suspension_reason {
        return Ok(current);
    }
    let mut row: account::ActiveModel = current.clone().into();
    row.status = Set(change.status);
    row.suspension_reason = Set(suspension_reason);
    if change.status == AccountStatus::Active {
        row.grace_period_ends_at = Set(None);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let state = |a: &account::Model| {
        json!({
            "status": a.status,
            "suspension_reason": a.suspension_reason,
            "grace_period_ends_at": a.grace_period_ends_at,
        })
    };
    let mut after = state(&updated);
    after["reason"] = json!(reason);
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: match change.status {
                AccountStatus::Suspended => "account.suspended",
                _ => "account.reactivated",
            },
            object_type: "account",
            object_id: Some(id),
            account_id: Some(id),
            before: Some(state(&current)),
            after: Some(after),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
