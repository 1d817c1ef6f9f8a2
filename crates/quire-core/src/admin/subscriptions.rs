//! Operators and subscriptions: the list, an edit of the status, period or cancel flag, and
//! running the billing job on one subscription now — so a changed date is acted on by the
//! same code path as the scheduled job.

use crate::{
    Error, Quire, ValidationErrors, audit,
    billing::job::{self, Report},
    db::{Db, begin_write},
    entities::{enums::SubscriptionStatus, subscription},
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// Subscriptions listed for an operator.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionFilter {
    pub status: Option<SubscriptionStatus>,
    pub account_id: Option<i64>,
}

const SORT_KEYS: SortKeys<subscription::Column> = &[
    ("id", subscription::Column::Id),
    ("created_at", subscription::Column::CreatedAt),
    ("current_period_end", subscription::Column::CurrentPeriodEnd),
];

/// Every subscription, newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    filter: SubscriptionFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<subscription::Model>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (subscription::Column::Id, Order::Desc))?;
    let mut select = subscription::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(subscription::Column::Status.eq(status));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(subscription::Column::AccountId.eq(account_id));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

pub async fn get(db: &Db, id: i64) -> Result<subscription::Model, Error> {
    subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// What an operator may change on a subscription; absent (or null) fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SubscriptionPatch {
    pub status: Option<SubscriptionStatus>,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// Setting it records `canceled_at` (now); clearing it clears `canceled_at`.
    pub cancel_at_period_end: Option<bool>,
}

/// Edits the subscription's row, under its account's lock, audited with before and after.
/// The period must end after it starts. Only the row changes: the account, payments and
/// credits move when billing runs (see [`run_billing`]). A patch that changes nothing
/// writes nothing.
pub async fn update(
    quire: &Quire,
    operator_id: i64,
    id: i64,
    patch: SubscriptionPatch,
) -> Result<subscription::Model, Error> {
    let now = quire.clock.now();
    let account_id = get(&quire.db, id).await?.account_id;
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, account_id).await?;
    let current = subscription::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let start = patch.current_period_start.or(current.current_period_start);
    let end = patch.current_period_end.or(current.current_period_end);
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        return Err(Error::Validation(ValidationErrors::single(
            "current_period_end",
            "The period must end after it starts.",
        )));
    }
    let status = patch.status.unwrap_or(current.status);
    let cancel = patch
        .cancel_at_period_end
        .unwrap_or(current.cancel_at_period_end);
    if (status, start, end, cancel)
        == (
            current.status,
            current.current_period_start,
            current.current_period_end,
            current.cancel_at_period_end,
        )
    {
        return Ok(current);
    }
    let mut row: subscription::ActiveModel = current.clone().into();
    row.status = Set(status);
    row.current_period_start = Set(start);
    row.current_period_end = Set(end);
    if cancel != current.cancel_at_period_end {
        row.cancel_at_period_end = Set(cancel);
        row.canceled_at = Set(cancel.then_some(now));
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let state = |s: &subscription::Model| {
        json!({
            "status": s.status,
            "current_period_start": s.current_period_start,
            "current_period_end": s.current_period_end,
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": s.canceled_at,
        })
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "subscription.updated",
            object_type: "subscription",
            object_id: Some(id),
            account_id: Some(account_id),
            before: Some(state(&current)),
            after: Some(state(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Runs the billing job on subscription `id` now ([`job::run_for_subscription`]): each
/// transition audited by billing as usual, and the run itself audited with the operator as
/// actor. What it did, and the subscription after it.
pub async fn run_billing(
    quire: &Quire,
    operator_id: i64,
    id: i64,
) -> Result<(Report, subscription::Model), Error> {
    let report = job::run_for_subscription(quire, id).await?;
    let after = get(&quire.db, id).await?;
    audit::record(
        &quire.db,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "subscription.billing_run",
            object_type: "subscription",
            object_id: Some(id),
            account_id: Some(after.account_id),
            before: None,
            after: Some(json!({
                "transitions": report.transitions,
                "failures": report.failures,
                "status": after.status,
            })),
        },
        quire.clock.now(),
    )
    .await?;
    Ok((report, after))
}
