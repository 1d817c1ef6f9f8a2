//! The tenant's credit statement: balance, credits held by running jobs, this period's use,
//! and the ledger itself.

use crate::{
    Error,
    accounts::principal::Tenant,
    db::Db,
    entities::{
        credit_transaction,
        enums::{CreditKind, CreditState, SubscriptionStatus},
        job, subscription,
    },
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, Func},
};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Credits the account holds now (reservations already taken out).
    pub balance: i64,
    /// Credits held by jobs that have not finished.
    pub reserved: i64,
    /// Credits charged for AI usage since `period_start`.
    pub used_this_period: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: Option<DateTime<Utc>>,
}

/// `CAST(SUM(column) AS BIGINT)`: PostgreSQL sums BIGINT into NUMERIC otherwise.
pub(crate) fn sum_as_bigint(column: impl sea_orm::ColumnTrait) -> Expr {
    Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
}

#[derive(FromQueryResult)]
struct Total {
    total: Option<i64>,
}

/// The balance, the reserved credits and this period's usage. The period is the current
/// subscription period; without one, the calendar month.
pub async fn summary(db: &Db, tenant: &Tenant) -> Result<Summary, Error> {
    let subscription = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(tenant.account.id))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Canceled))
        .order_by_desc(subscription::Column::Id)
        .one(db)
        .await?;
    let now = Utc::now();
    let month_start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let (period_start, period_end) = match subscription {
        Some(s) => (
            s.current_period_start.unwrap_or(month_start),
            s.current_period_end,
        ),
        None => (month_start, None),
    };
    let reserved = job::Entity::find()
        .select_only()
        .column_as(sum_as_bigint(job::Column::ReservedCredits), "total")
        .filter(job::Column::AccountId.eq(tenant.account.id))
        .filter(job::Column::CreditState.eq(CreditState::Reserved))
        .into_model::<Total>()
        .one(db)
        .await?
        .and_then(|t| t.total)
        .unwrap_or(0);
    let used = credit_transaction::Entity::find()
        .select_only()
        .column_as(sum_as_bigint(credit_transaction::Column::Amount), "total")
        .filter(credit_transaction::Column::AccountId.eq(tenant.account.id))
        .filter(credit_transaction::Column::Kind.eq(CreditKind::Usage))
        .filter(credit_transaction::Column::CreatedAt.gte(period_start))
        .into_model::<Total>()
        .one(db)
        .await?
        .and_then(|t| t.total)
        .unwrap_or(0);
    let balance = crate::entities::account::Entity::find_by_id(tenant.account.id)
        .one(db)
        .await?
        .map_or(tenant.account.credits, |a| a.credits);
    Ok(Summary {
        balance,
        reserved,
        used_this_period: -used,
        period_start,
        period_end,
    })
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionFilter {
    pub kind: Option<CreditKind>,
    pub operation: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub const SORT_KEYS: SortKeys<credit_transaction::Column> = &[
    ("id", credit_transaction::Column::Id),
    ("created_at", credit_transaction::Column::CreatedAt),
    ("amount", credit_transaction::Column::Amount),
];

/// The account's ledger, newest first unless ordered otherwise.
pub async fn transactions(
    db: &Db,
    tenant: &Tenant,
    filter: TransactionFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<credit_transaction::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        SORT_KEYS,
        (credit_transaction::Column::Id, sea_orm::Order::Desc),
    )?;
    let mut select = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(tenant.account.id));
    if let Some(kind) = filter.kind {
        select = select.filter(credit_transaction::Column::Kind.eq(kind));
    }
    if let Some(operation) = filter.operation {
        select = select.filter(credit_transaction::Column::Operation.eq(operation));
    }
    if let Some(from) = filter.from {
        select = select.filter(credit_transaction::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(credit_transaction::Column::CreatedAt.lt(to));
    }
    listing::fetch_page(db, select, &ordering, page).await
}
