//! The operators' dashboard figures: accounts by status, payments waiting for confirmation,
//! and the credits granted and used since the start of the month.

use crate::{
    Error,
    credits::statement::{Total, sum_as_bigint},
    db::Db,
    entities::{
        account, credit_transaction,
        enums::{AccountStatus, CreditKind, PaymentStatus},
        payment,
    },
};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};

/// What the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Every account status with its count, in the enum's order (zero counts included).
    pub accounts_by_status: Vec<(AccountStatus, u64)>,
    pub pending_payments: u64,
    /// Credits granted since the first of the month (sign-up, renewal, monthly grants and
    /// positive adjustments).
    pub credits_granted: i64,
    /// Credits charged for AI usage since the first of the month.
    pub credits_used: i64,
}

/// The dashboard's figures at `now`.
pub async fn summary(db: &Db, now: DateTime<Utc>) -> Result<Dashboard, Error> {
    let counts: Vec<(AccountStatus, i64)> = account::Entity::find()
        .select_only()
        .column(account::Column::Status)
        .column_as(
            Expr::from(Func::count(Expr::col(account::Column::Id))),
            "count",
        )
        .group_by(account::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let accounts_by_status = [
        AccountStatus::Active,
        AccountStatus::Trial,
        AccountStatus::PendingPayment,
        AccountStatus::PastDue,
        AccountStatus::Suspended,
        AccountStatus::Cancelled,
        AccountStatus::Deleted,
    ]
    .into_iter()
    .map(|status| {
        let count = counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
        (status, count)
    })
    .collect();
    let pending_payments = payment::Entity::find()
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .count(db)
        .await?;
    let month_start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let granted = [
        CreditKind::SignupGrant,
        CreditKind::RenewalGrant,
        CreditKind::MonthlyGrant,
        CreditKind::Adjustment,
    ];
    let credits_granted = ledger_sum(
        db,
        credit_transaction::Column::Kind
            .is_in(granted)
            .and(credit_transaction::Column::Amount.gt(0)),
        month_start,
    )
    .await?;
    let credits_used = -ledger_sum(
        db,
        credit_transaction::Column::Kind.eq(CreditKind::Usage),
        month_start,
    )
    .await?;
    Ok(Dashboard {
        accounts_by_status,
        pending_payments,
        credits_granted,
        credits_used,
    })
}

async fn ledger_sum(db: &Db, which: Expr, since: DateTime<Utc>) -> Result<i64, Error> {
    Ok(credit_transaction::Entity::find()
        .select_only()
        .column_as(sum_as_bigint(credit_transaction::Column::Amount), "total")
        .filter(which)
        .filter(credit_transaction::Column::CreatedAt.gte(since))
        .into_model::<Total>()
        .one(db)
        .await?
        .and_then(|t| t.total)
        .unwrap_or(0))
}
