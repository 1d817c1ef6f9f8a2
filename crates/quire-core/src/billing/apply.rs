//! `apply_payment`: the one code path that turns a pending payment into a paid period — used
//! by an operator's confirmation of a bank transfer, the payment provider's webhook and the
//! billing job (free renewals). One transaction under the account's lock: the payment paid,
//! the subscription active on the payment's plan for the right period, the plan's credits
//! granted as a ledger row keyed by the payment, the account active on that plan (unless an
//! operator suspended it), the transition audited. Applying a payment twice is refused and changes nothing.

use super::periods;
use crate::{
    Error, Quire, audit,
    credits::ledger::{self, Applied as LedgerApplied, Entry},
    db::{Db, begin_write},
    entities::{
        account,
        enums::{
            AccountStatus, CreditKind, CreditPolicy, PaymentPurpose, PaymentStatus,
            SubscriptionStatus,
        },
        payment, plan, subscription,
    },
    notifications::{NotificationKind, deliver},
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use serde_json::json;

/// What applying a payment changed.
#[derive(Debug, Clone)]
pub struct Applied {
    pub payment: payment::Model,
    /// The subscription as it stands now: unchanged when the payment prepaid a later period.
    pub subscription: subscription::Model,
    pub account: account::Model,
    /// The credits the ledger row moved (negative when a `reset` lowered the balance; zero
    /// until a prepaid period starts).
    pub credits_moved: i64,
    /// When the paid period starts: now, or the end of the running period when prepaid.
    pub starts_at: DateTime<Utc>,
}

/// Applies payment `payment_id` at `now` on behalf of `actor` (`user:{id}` or `system:…`).
/// A payment that is not pending is a conflict and nothing changes.
///
/// A renewal paid while the current period still runs is *prepaid*: the payment is paid and
/// keeps its period, and the billing job starts that period (plan, credits) when the running
/// one ends, so paying early never cuts the paid period short or moves credits early.
pub async fn apply_payment(
    db: &Db,
    payment_id: i64,
    actor: &str,
    confirmed_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Applied, Error> {
    let account_id = payment::Entity::find_by_id(payment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?
        .account_id;
    let txn = begin_write(db).await?;
    // The lock is taken before anything is read: a concurrent confirmation has finished by then.
    lock_account(&txn, account_id).await?;
    let payment = payment::Entity::find_by_id(payment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    match payment.status {
        PaymentStatus::Pending => {}
        PaymentStatus::Paid => {
            return Err(Error::Conflict(
                "This payment has already been applied.".to_owned(),
            ));
        }
        PaymentStatus::Failed | PaymentStatus::Void => {
            return Err(Error::Conflict(
                "This payment was rejected or voided; it cannot be applied.".to_owned(),
            ));
        }
    }
    let plan = plan::Entity::find_by_id(payment.plan_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::Internal(format!("payment {payment_id} names a missing plan")))?;
    let subscription_id = payment
        .subscription_id
        .ok_or_else(|| Error::Conflict("This payment is not for a subscription.".to_owned()))?;
    let current = subscription::Entity::find_by_id(subscription_id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Error::Internal(format!("payment {payment_id} names a missing subscription"))
        })?;
    let account = account::Entity::find_by_id(payment.account_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;

    // A first payment and a plan change start now; a renewal (or the end of a trial) starts
    // at the old end.
    let old_end = match (current.status, payment.purpose) {
        (SubscriptionStatus::PendingPayment, _) | (_, PaymentPurpose::PlanChange) => None,
        _ => current.current_period_end,
    };
    let period = periods::renewal_period(old_end, current.billing_anchor, plan.billing_cycle, now);
    let prepaid = matches!(
        current.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
    ) && period.start > now;

    let mut paid: payment::ActiveModel = payment.clone().into();
    paid.status = Set(PaymentStatus::Paid);
    paid.period_start = Set(Some(period.start));
    paid.period_end = Set(Some(period.end));
    paid.confirmed_by = Set(confirmed_by);
    paid.confirmed_at = Set(Some(now));
    paid.updated_at = Set(now);
    let payment_after = paid.update(&txn).await?;
    let voided = if payment.purpose == PaymentPurpose::PlanChange {
        void_open_renewals(&txn, subscription_id, payment.id, now).await?
    } else {
        0
    };
    let (subscription, account_after, credits_moved) = if prepaid {
        (current.clone(), account.clone(), 0)
    } else {
        start_period(&txn, &current, &plan, &payment_after, period, actor, now).await?
    };

    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "payment.applied",
            object_type: "payment",
            object_id: Some(payment.id),
            account_id: Some(account.id),
            before: Some(json!({
                "payment": payment.status,
                "subscription": current.status,
                "period_end": current.current_period_end,
                "account": account.status,
                "credits": account.credits,
            })),
            after: Some(json!({
                "payment": payment_after.status,
                "subscription": subscription.status,
                "period_start": period.start,
                "period_end": period.end,
                "prepaid": prepaid,
                "plan_id": plan.id,
                "account": account_after.status,
                "credits": account_after.credits,
                "renewal_payments_voided": voided,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Applied {
        payment: payment_after,
        subscription,
        account: account_after,
        credits_moved,
        starts_at: period.start,
    })
}

/// Starts the period `paid` paid for, in the caller's transaction (which holds the account's
/// lock): the subscription active on its plan for `period`, the plan's credits granted as one
/// ledger row keyed by the payment, the account active on the plan. Paying lifts what
/// non-payment caused, never an operator's suspension. Answers the subscription, the
/// account and the credits moved.
pub(crate) async fn start_period(
    txn: &DatabaseTransaction,
    current: &subscription::Model,
    plan: &plan::Model,
    paid: &payment::Model,
    period: periods::Period,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(subscription::Model, account::Model, i64), Error> {
    let mut sub: subscription::ActiveModel = current.clone().into();
    sub.status = Set(SubscriptionStatus::Active);
    sub.plan_id = Set(plan.id);
    sub.current_period_start = Set(Some(period.start));
    sub.current_period_end = Set(Some(period.end));
    sub.billing_anchor = Set(Some(period.anchor));
    if current.billing_anchor != Some(period.anchor) {
        sub.last_monthly_grant = Set(None);
    }
    sub.ended_at = Set(None);
    // A downgrade chosen after this period was paid for waits for the next renewal.
    if paid.purpose == PaymentPurpose::PlanChange || current.scheduled_plan_id == Some(plan.id) {
        sub.scheduled_plan_id = Set(None);
    }
    sub.updated_at = Set(now);
    let subscription = sub.update(txn).await?;

    let balance = account::Entity::find_by_id(paid.account_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?
        .credits;
    let plan_credits = plan.effective_credits_per_month();
    let amount = match plan.credit_policy {
        CreditPolicy::Reset => plan_credits - balance,
        CreditPolicy::Add => plan_credits,
    };
    let granted = ledger::apply(
        txn,
        Entry {
            account_id: paid.account_id,
            amount,
            kind: CreditKind::RenewalGrant,
            idempotency_key: format!("payment:{}", paid.id),
            actor: actor.to_owned(),
            operation: None,
            payment_id: Some(paid.id),
            note: Some(format!(
                "Payment {} applied: {} credits of {} ({:?})",
                paid.reference, plan_credits, plan.name, plan.credit_policy
            )),
        },
    )
    .await
    .map_err(Error::from)?;
    if matches!(granted, LedgerApplied::AlreadyApplied(_)) {
        return Err(Error::Conflict(
            "This payment has already been applied.".to_owned(),
        ));
    }

    let account_before = account::Entity::find_by_id(paid.account_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    let held_by_operator = account_before.suspended_by_operator();
    let mut active: account::ActiveModel = account_before.into();
    if !held_by_operator {
        active.status = Set(AccountStatus::Active);
        active.suspension_reason = Set(None);
    }
    active.plan_id = Set(Some(plan.id));
    active.grace_period_ends_at = Set(None);
    active.updated_at = Set(now);
    let account_after = active.update(txn).await?;
    Ok((subscription, account_after, amount))
}

/// A paid plan change replaces the period the open renewal payments were for: they are void.
async fn void_open_renewals(
    txn: &DatabaseTransaction,
    subscription_id: i64,
    paid_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let voided = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Void))
        .col_expr(
            payment::Column::Note,
            Expr::value(format!(
                "Replaced by the plan change paid with payment {paid_id}."
            )),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::SubscriptionId.eq(subscription_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .filter(payment::Column::Purpose.eq(PaymentPurpose::Subscription))
        .exec(txn)
        .await?;
    Ok(voided.rows_affected)
}

/// Applies payment `payment_id` now (by the Quire clock), then emails the payer that it
/// arrived. What operator confirmations and the webhook call.
pub async fn confirm(
    quire: &Quire,
    payment_id: i64,
    actor: &str,
    confirmed_by: Option<i64>,
) -> Result<Applied, Error> {
    let applied = apply_payment(
        &quire.db,
        payment_id,
        actor,
        confirmed_by,
        quire.clock.now(),
    )
    .await?;
    deliver::to_account(
        quire,
        applied.account.id,
        applied.payment.plan_id,
        NotificationKind::PaymentConfirmed {
            amount: super::payments::format_amount(
                applied.payment.amount,
                &applied.payment.currency,
            ),
            reference: applied.payment.reference.clone(),
            period_end: applied
                .subscription
                .current_period_end
                .unwrap_or(quire.clock.now()),
        },
    )
    .await;
    Ok(applied)
}
