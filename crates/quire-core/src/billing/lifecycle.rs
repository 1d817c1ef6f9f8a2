//! One subscription's next billing transition at an instant (SPEC F5): annual monthly grants,
//! the renewal payment opened before the end, a prepaid period starting, cancellation, trial
//! end, past due and suspension.
//!
//! [`step`] makes at most one transition, in one transaction that takes the account's lock
//! first and then re-reads everything, so two billing runs (or a run racing an operator's
//! confirmation) see each other's work and never repeat it. Each transition is audited; the
//! emails it calls for are returned, to be sent once the transaction has committed.

use super::{
    apply::start_period,
    payments::{self, PaymentInstructions},
    periods,
};
use crate::{
    Error, Quire, audit,
    credits::ledger::{self, Entry},
    db::begin_write,
    entities::{
        account,
        enums::{
            AccountStatus, BillingCycle, CreditKind, CreditPolicy, PaymentMethod, PaymentPurpose,
            PaymentStatus, SubscriptionStatus, SuspensionReason,
        },
        payment, plan, subscription,
    },
    notifications::NotificationKind,
    tenancy::lock_account,
};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use serde_json::json;

/// Who the billing job's ledger rows and audit entries name.
pub const ACTOR: &str = "system:billing";

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// An annual plan's monthly credits, `count` months of them.
    MonthlyGrants { count: u32 },
    /// The payment for the next period was opened before the period ends.
    RenewalOpened { payment_id: i64 },
    /// The period ended and the next one was paid for in advance: it starts now.
    Renewed { payment_id: i64 },
    /// The period ended with the cancel flag set: subscription `canceled`, account `cancelled`.
    Cancelled,
    /// The trial ended unpaid: subscription and account `pending_payment`.
    TrialEnded { payment_id: i64 },
    /// The period ended unpaid: subscription and account `past_due`.
    PastDue { payment_id: i64 },
    /// The grace period ended unpaid: account `suspended` for non-payment.
    Suspended,
    /// The period of a free plan ended: its zero payment is open, for the caller to apply.
    FreeRenewalDue { payment_id: i64 },
}

impl Transition {
    /// A stable name for reports and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::MonthlyGrants { .. } => "monthly_grants",
            Self::RenewalOpened { .. } => "renewal_opened",
            Self::Renewed { .. } => "renewed",
            Self::Cancelled => "cancelled",
            Self::TrialEnded { .. } => "trial_ended",
            Self::PastDue { .. } => "past_due",
            Self::Suspended => "suspended",
            Self::FreeRenewalDue { .. } => "free_renewal",
        }
    }
}

/// A transition made, and the emails to send about it.
#[derive(Debug, Clone)]
pub struct Step {
    pub transition: Transition,
    pub account_id: i64,
    /// `(plan_id, what to say)`, sent to the account after commit.
    pub emails: Vec<(i64, NotificationKind)>,
}

/// Everything a step decides from, read under the account's lock.
struct State {
    subscription: subscription::Model,
    account: account::Model,
    plan: plan::Model,
    /// The plan the next period is on: a scheduled downgrade, else the current plan.
    next_plan: plan::Model,
}

/// Makes subscription `id`'s next due transition at `now`; `None` when nothing is due.
pub async fn step(quire: &Quire, id: i64, now: DateTime<Utc>) -> Result<Option<Step>, Error> {
    let Some(found) = subscription::Entity::find_by_id(id).one(&quire.db).await? else {
        return Ok(None);
    };
    if quiet_until_later(quire, &found, now) {
        return Ok(None);
    }
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, found.account_id).await?;
    let state = load(&txn, id).await?;
    let decided = match state.subscription.status {
        SubscriptionStatus::Active | SubscriptionStatus::Trialing => {
            running(quire, &txn, &state, now).await?
        }
        SubscriptionStatus::PastDue => past_due(quire, &txn, &state, now).await?,
        SubscriptionStatus::PendingPayment | SubscriptionStatus::Canceled => None,
    };
    let Some((transition, emails)) = decided else {
        return Ok(None);
    };
    txn.commit().await?;
    Ok(Some(Step {
        transition,
        account_id: state.account.id,
        emails,
    }))
}

/// Whether a running subscription, read without the lock, can have nothing due at `now`: its
/// period ends after the notice window and no annual monthly grant has fallen due. Such
/// subscriptions (every active annual one is a candidate of each pass) are skipped without
/// taking the account's lock; anything that makes them due later is seen by a later pass.
fn quiet_until_later(quire: &Quire, sub: &subscription::Model, now: DateTime<Utc>) -> bool {
    let notice = TimeDelta::days(i64::from(quire.settings.billing.renewal_notice_days));
    let (Some(anchor), Some(end)) = (sub.billing_anchor, sub.current_period_end) else {
        return false;
    };
    let last = sub.last_monthly_grant.and_then(|k| u32::try_from(k).ok());
    sub.status == SubscriptionStatus::Active
        && end > now + notice
        && periods::monthly_grants_due(anchor, end, last, now).is_empty()
}

type Decided = Option<(Transition, Vec<(i64, NotificationKind)>)>;

async fn load(txn: &DatabaseTransaction, id: i64) -> Result<State, Error> {
    let subscription = subscription::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    let account = account::Entity::find_by_id(subscription.account_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    let plan = find_plan(txn, subscription.plan_id).await?;
    let next_plan = match subscription.scheduled_plan_id {
        Some(scheduled) => find_plan(txn, scheduled).await?,
        None => plan.clone(),
    };
    Ok(State {
        subscription,
        account,
        plan,
        next_plan,
    })
}

async fn find_plan(txn: &DatabaseTransaction, id: i64) -> Result<plan::Model, Error> {
    plan::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Internal(format!("a subscription names missing plan {id}")))
}

/// An active or trialing subscription: grants, then the end of the period, then the notice.
async fn running(
    quire: &Quire,
    txn: &DatabaseTransaction,
    state: &State,
    now: DateTime<Utc>,
) -> Result<Decided, Error> {
    let sub = &state.subscription;
    if let Some(count) = monthly_grants(txn, state, now).await? {
        return Ok(Some((Transition::MonthlyGrants { count }, Vec::new())));
    }
    let Some(end) = sub.current_period_end else {
        return Ok(None);
    };
    if end <= now {
        return ended(quire, txn, state, end, now).await.map(Some);
    }
    let notice = TimeDelta::days(i64::from(quire.settings.billing.renewal_notice_days));
    if sub.cancel_at_period_end || state.next_plan.is_free() || now < end - notice {
        return Ok(None);
    }
    if open_renewal(txn, sub, &state.next_plan).await?.is_some()
        || prepaid_renewal(txn, sub, end).await?.is_some()
    {
        return Ok(None);
    }
    let payment = renewal_payment(txn, state, now).await?;
    record(
        txn,
        state,
        "payment.renewal_opened",
        json!({"period_end": end}),
        json!({"payment_id": payment.id, "amount": payment.amount, "plan_id": payment.plan_id}),
        now,
    )
    .await?;
    let email = NotificationKind::RenewalDue {
        instructions: instructions(quire, &payment),
        period_end: end,
    };
    Ok(Some((
        Transition::RenewalOpened {
            payment_id: payment.id,
        },
        vec![(payment.plan_id, email)],
    )))
}

/// The period is over: start a prepaid one, cancel, renew a free plan, end a trial or fall
/// past due.
async fn ended(
    quire: &Quire,
    txn: &DatabaseTransaction,
    state: &State,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Transition, Vec<(i64, NotificationKind)>), Error> {
    let sub = &state.subscription;
    // What was paid for runs, even when a cancellation was asked for since: the
    // cancellation then takes effect at the end of the prepaid period.
    if let Some(prepaid) = prepaid_renewal(txn, sub, end).await? {
        let plan = find_plan(txn, prepaid.plan_id).await?;
        let period =
            periods::renewal_period(Some(end), sub.billing_anchor, plan.billing_cycle, end);
        let (renewed, _, credits) =
            start_period(txn, sub, &plan, &prepaid, period, ACTOR, now).await?;
        record(
            txn,
            state,
            "subscription.renewed",
            json!({"period_end": end, "plan_id": sub.plan_id}),
            json!({
                "payment_id": prepaid.id,
                "period_start": renewed.current_period_start,
                "period_end": renewed.current_period_end,
                "plan_id": renewed.plan_id,
                "credits_moved": credits,
            }),
            now,
        )
        .await?;
        let payment_id = prepaid.id;
        return Ok((Transition::Renewed { payment_id }, Vec::new()));
    }
    if sub.cancel_at_period_end {
        cancel(txn, state, end, now).await?;
        let email = NotificationKind::Cancelled { ended_at: end };
        return Ok((Transition::Cancelled, vec![(sub.plan_id, email)]));
    }
    let payment = match open_renewal(txn, sub, &state.next_plan).await? {
        Some(open) => open,
        None => renewal_payment(txn, state, now).await?,
    };
    if state.next_plan.is_free() {
        let payment_id = payment.id;
        return Ok((Transition::FreeRenewalDue { payment_id }, Vec::new()));
    }
    let payment_id = payment.id;
    if sub.status == SubscriptionStatus::Trialing {
        move_to(
            txn,
            state,
            SubscriptionStatus::PendingPayment,
            AccountStatus::PendingPayment,
            None,
            now,
        )
        .await?;
        record(
            txn,
            state,
            "subscription.trial_ended",
            json!({"subscription": sub.status, "account": state.account.status}),
            json!({"subscription": SubscriptionStatus::PendingPayment, "payment_id": payment_id}),
            now,
        )
        .await?;
        let email = NotificationKind::PaymentPending {
            instructions: instructions(quire, &payment),
        };
        return Ok((
            Transition::TrialEnded { payment_id },
            vec![(payment.plan_id, email)],
        ));
    }
    let grace = TimeDelta::days(i64::from(quire.settings.billing.grace_days));
    let suspends_at = end + grace;
    move_to(
        txn,
        state,
        SubscriptionStatus::PastDue,
        AccountStatus::PastDue,
        Some(suspends_at),
        now,
    )
    .await?;
    record(
        txn,
        state,
        "subscription.past_due",
        json!({"subscription": sub.status, "account": state.account.status}),
        json!({
            "subscription": SubscriptionStatus::PastDue,
            "payment_id": payment_id,
            "grace_period_ends_at": suspends_at,
        }),
        now,
    )
    .await?;
    let email = NotificationKind::PastDue {
        instructions: instructions(quire, &payment),
        suspends_at,
    };
    Ok((
        Transition::PastDue { payment_id },
        vec![(payment.plan_id, email)],
    ))
}

/// A past-due subscription whose grace period is over suspends its account.
async fn past_due(
    quire: &Quire,
    txn: &DatabaseTransaction,
    state: &State,
    now: DateTime<Utc>,
) -> Result<Decided, Error> {
    let account = &state.account;
    if account.status != AccountStatus::PastDue {
        return Ok(None);
    }
    let grace = TimeDelta::days(i64::from(quire.settings.billing.grace_days));
    let suspends_at = account
        .grace_period_ends_at
        .or_else(|| state.subscription.current_period_end.map(|end| end + grace));
    if suspends_at.is_some_and(|at| at > now) {
        return Ok(None);
    }
    let mut row: account::ActiveModel = account.clone().into();
    row.status = Set(AccountStatus::Suspended);
    row.suspension_reason = Set(Some(SuspensionReason::NonPayment));
    row.updated_at = Set(now);
    row.update(txn).await?;
    let payment = match open_renewal(txn, &state.subscription, &state.next_plan).await? {
        Some(open) => open,
        None => renewal_payment(txn, state, now).await?,
    };
    record(
        txn,
        state,
        "account.suspended",
        json!({"account": account.status, "grace_period_ends_at": suspends_at}),
        json!({"account": AccountStatus::Suspended, "suspension_reason": SuspensionReason::NonPayment}),
        now,
    )
    .await?;
    let email = NotificationKind::Suspended {
        instructions: instructions(quire, &payment),
    };
    Ok(Some((
        Transition::Suspended,
        vec![(payment.plan_id, email)],
    )))
}

/// Grants an annual plan's monthly credits that are due, all in this transaction.
async fn monthly_grants(
    txn: &DatabaseTransaction,
    state: &State,
    now: DateTime<Utc>,
) -> Result<Option<u32>, Error> {
    let sub = &state.subscription;
    let (Some(anchor), Some(end)) = (sub.billing_anchor, sub.current_period_end) else {
        return Ok(None);
    };
    if sub.status != SubscriptionStatus::Active
        || state.plan.billing_cycle != BillingCycle::Annual
        || state.account.status != AccountStatus::Active
    {
        return Ok(None);
    }
    let last = sub.last_monthly_grant.and_then(|k| u32::try_from(k).ok());
    let due = periods::monthly_grants_due(anchor, end, last, now);
    let Some(newest) = due.last() else {
        return Ok(None);
    };
    let plan_credits = state.plan.effective_credits_per_month();
    for grant in &due {
        let balance = account::Entity::find_by_id(sub.account_id)
            .one(txn)
            .await?
            .ok_or(Error::NotFound)?
            .credits;
        ledger::apply(
            txn,
            Entry {
                account_id: sub.account_id,
                amount: match state.plan.credit_policy {
                    CreditPolicy::Reset => plan_credits - balance,
                    CreditPolicy::Add => plan_credits,
                },
                kind: CreditKind::MonthlyGrant,
                idempotency_key: periods::annual_grant_key(sub.id, anchor, grant.index),
                actor: ACTOR.to_owned(),
                operation: None,
                payment_id: None,
                note: Some(format!(
                    "Month {} of the annual {} plan: {plan_credits} credits ({:?}), due {}",
                    grant.index + 1,
                    state.plan.name,
                    state.plan.credit_policy,
                    grant.at.format("%Y-%m-%d"),
                )),
            },
        )
        .await?;
    }
    let mut row: subscription::ActiveModel = sub.clone().into();
    row.last_monthly_grant = Set(i32::try_from(newest.index).ok());
    row.updated_at = Set(now);
    row.update(txn).await?;
    let count = u32::try_from(due.len()).unwrap_or(u32::MAX);
    record(
        txn,
        state,
        "subscription.monthly_grant",
        json!({"last_monthly_grant": sub.last_monthly_grant}),
        json!({"last_monthly_grant": newest.index, "grants": count}),
        now,
    )
    .await?;
    Ok(Some(count))
}

/// Ends the subscription at `end`: `canceled`, the account `cancelled`, open payments void.
async fn cancel(
    txn: &DatabaseTransaction,
    state: &State,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let ended = end_subscription(
        txn,
        &state.subscription,
        &state.account,
        end,
        "The subscription was cancelled at the end of its period.",
        now,
    )
    .await?;
    record(
        txn,
        state,
        "subscription.canceled",
        json!({"subscription": state.subscription.status, "account": state.account.status}),
        json!({
            "subscription": ended.subscription.status,
            "ended_at": end,
            "account": ended.account.status,
            "payments_voided": ended.payments_voided,
        }),
        now,
    )
    .await
}

/// A subscription ended by [`end_subscription`].
pub(crate) struct Ended {
    pub subscription: subscription::Model,
    pub account: account::Model,
    pub payments_voided: u64,
}

/// Ends `sub` at `ended_at`, in the caller's transaction (which holds the account's lock):
/// the subscription `canceled` with no scheduled plan, the account `cancelled` with its
/// grace period and non-payment suspension cleared (an operator's suspension stands), and
/// its pending payments void with `note`. No credit moves.
pub(crate) async fn end_subscription(
    txn: &DatabaseTransaction,
    sub: &subscription::Model,
    account: &account::Model,
    ended_at: DateTime<Utc>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Ended, Error> {
    let mut row: subscription::ActiveModel = sub.clone().into();
    row.status = Set(SubscriptionStatus::Canceled);
    row.ended_at = Set(Some(ended_at));
    row.canceled_at = Set(Some(sub.canceled_at.unwrap_or(now)));
    row.scheduled_plan_id = Set(None);
    row.updated_at = Set(now);
    let subscription = row.update(txn).await?;
    let account = if account.suspended_by_operator() {
        account.clone()
    } else {
        let mut closed: account::ActiveModel = account.clone().into();
        closed.status = Set(AccountStatus::Cancelled);
        closed.suspension_reason = Set(None);
        closed.grace_period_ends_at = Set(None);
        closed.updated_at = Set(now);
        closed.update(txn).await?
    };
    let payments_voided = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Void))
        .col_expr(payment::Column::Note, Expr::value(note))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::SubscriptionId.eq(sub.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .exec(txn)
        .await?
        .rows_affected;
    Ok(Ended {
        subscription,
        account,
        payments_voided,
    })
}

/// Moves the subscription and (unless an operator suspended it) the account.
async fn move_to(
    txn: &DatabaseTransaction,
    state: &State,
    subscription_status: SubscriptionStatus,
    account_status: AccountStatus,
    grace_period_ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut row: subscription::ActiveModel = state.subscription.clone().into();
    row.status = Set(subscription_status);
    row.updated_at = Set(now);
    row.update(txn).await?;
    if !state.account.suspended_by_operator() {
        let mut account: account::ActiveModel = state.account.clone().into();
        account.status = Set(account_status);
        account.grace_period_ends_at = Set(grace_period_ends_at);
        account.updated_at = Set(now);
        account.update(txn).await?;
    }
    Ok(())
}

/// The subscription's oldest open payment for a period of `plan`, if any.
async fn open_renewal(
    txn: &DatabaseTransaction,
    sub: &subscription::Model,
    plan: &plan::Model,
) -> Result<Option<payment::Model>, Error> {
    Ok(payment::Entity::find()
        .filter(payment::Column::SubscriptionId.eq(sub.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .filter(payment::Column::Purpose.eq(PaymentPurpose::Subscription))
        .filter(payment::Column::PlanId.eq(plan.id))
        .order_by_asc(payment::Column::Id)
        .one(txn)
        .await?)
}

/// The paid payment whose period starts at `end`: the next period, paid in advance.
async fn prepaid_renewal(
    txn: &DatabaseTransaction,
    sub: &subscription::Model,
    end: DateTime<Utc>,
) -> Result<Option<payment::Model>, Error> {
    Ok(payment::Entity::find()
        .filter(payment::Column::SubscriptionId.eq(sub.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Paid))
        .filter(payment::Column::Purpose.eq(PaymentPurpose::Subscription))
        .filter(payment::Column::PeriodStart.eq(end))
        .order_by_asc(payment::Column::Id)
        .one(txn)
        .await?)
}

/// Opens the payment for the next period, on the next plan, by bank transfer (the one live
/// method) unless the subscription pays another way.
async fn renewal_payment(
    txn: &DatabaseTransaction,
    state: &State,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    let method = match state.subscription.payment_method {
        PaymentMethod::Stripe => PaymentMethod::Stripe,
        PaymentMethod::BankTransfer | PaymentMethod::Paypal => PaymentMethod::BankTransfer,
    };
    Ok(payments::create_pending(
        txn,
        state.account.id,
        state.subscription.id,
        &state.next_plan,
        method,
        PaymentPurpose::Subscription,
        now,
    )
    .await?)
}

fn instructions(quire: &Quire, payment: &payment::Model) -> PaymentInstructions {
    PaymentInstructions::new(&quire.settings.bank_transfer, payment)
}

async fn record(
    txn: &DatabaseTransaction,
    state: &State,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    audit::record(
        txn,
        audit::Entry {
            actor: ACTOR,
            action,
            object_type: "subscription",
            object_id: Some(state.subscription.id),
            account_id: Some(state.account.id),
            before: Some(before),
            after: Some(after),
        },
        now,
    )
    .await
    .map(drop)
}
