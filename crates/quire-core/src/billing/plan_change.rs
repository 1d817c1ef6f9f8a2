//! A tenant changes their subscription's plan: a bigger paid plan waits for its payment and
//! starts when it is confirmed (`apply_payment`); anything else waits for the next renewal,
//! which a past-due subscription has already reached. Owners and admins only; audited; an
//! open renewal payment always follows the plan it will renew.

use super::{
    apply::apply_payment,
    payments::{self, PaymentInstructions},
};
use crate::{
    Error, Quire, ValidationErrors,
    accounts::principal::Tenant,
    audit,
    db::begin_write,
    entities::{
        enums::{PaymentMethod, PaymentPurpose, PaymentStatus, SubscriptionStatus, UserRole},
        payment, plan, subscription,
    },
    notifications::{NotificationKind, deliver},
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The plan a tenant chooses.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanChoice {
    /// An active plan of the catalogue.
    pub plan_id: i64,
}

/// When the subscription will be on the chosen plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TakesEffect {
    /// An upgrade: once its payment is confirmed, with a new period starting then.
    WhenPaid,
    /// A downgrade: at the end of the current period.
    AtRenewal,
    /// At once: the current plan chosen again (the pending change is cancelled, nothing else
    /// moves), or a past-due subscription renewed on a free plan.
    Now,
}

/// What a plan change did.
#[derive(Debug, Clone)]
pub struct PlanChange {
    pub subscription: subscription::Model,
    /// The chosen plan.
    pub plan: plan::Model,
    pub takes_effect: TakesEffect,
    /// When the subscription will be on `plan`: unknown until paid for an upgrade, the period's
    /// end for a downgrade, now for `TakesEffect::Now`.
    pub effective_at: Option<DateTime<Utc>>,
    /// A payment to make now: the upgrade's, or a renewal that replaced one for another plan.
    pub payment: Option<(payment::Model, PaymentInstructions)>,
}

/// Moves subscription `id` of the caller's account to `plan_id` (see the module's rules), then
/// emails the instructions of any payment it created.
pub async fn change_plan(
    quire: &Quire,
    tenant: &Tenant,
    id: i64,
    plan_id: i64,
) -> Result<PlanChange, Error> {
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = subscription::Entity::find_by_id(id)
        .filter(subscription::Column::AccountId.eq(tenant.account.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !matches!(tenant.user.role, UserRole::Owner | UserRole::Admin) {
        return Err(Error::RoleNotAllowed);
    }
    let chosen = plan::Entity::find_by_id(plan_id)
        .filter(plan::Column::IsActive.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Error::Validation(ValidationErrors::single(
                "plan_id",
                "Choose one of the plans on offer.",
            ))
        })?;
    if !matches!(
        current.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
    ) {
        return Err(Error::Conflict(
            "Only an active, trialing or past-due subscription can change plan.".to_owned(),
        ));
    }
    if current.cancel_at_period_end {
        return Err(Error::Conflict(
            "Resume the subscription before changing plan.".to_owned(),
        ));
    }
    let on_plan = plan::Entity::find_by_id(current.plan_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::Internal(format!("subscription {id} names a missing plan")))?;
    let upgrades = open_payments(&txn, id, PaymentPurpose::PlanChange).await?;

    let (takes_effect, scheduled, action) = if chosen.id == on_plan.id {
        if current.scheduled_plan_id.is_none() && upgrades.is_empty() {
            return Err(Error::Validation(ValidationErrors::single(
                "plan_id",
                "The subscription is already on this plan.",
            )));
        }
        (TakesEffect::Now, None, "subscription.plan_change_cancelled")
    } else if is_upgrade(&on_plan, &chosen) {
        (
            TakesEffect::WhenPaid,
            None,
            "subscription.upgrade_requested",
        )
    } else if chosen.is_free() && current.status == SubscriptionStatus::PastDue {
        // Past due, the renewal is now: a free plan's is applied at once.
        (
            TakesEffect::Now,
            Some(chosen.id),
            "subscription.downgrade_scheduled",
        )
    } else {
        (
            TakesEffect::AtRenewal,
            Some(chosen.id),
            "subscription.downgrade_scheduled",
        )
    };
    let note = if chosen.id == on_plan.id {
        format!("Cancelled: staying on {}.", on_plan.name)
    } else {
        format!("Replaced: plan changed to {}.", chosen.name)
    };
    let voided_upgrades = void(&txn, &upgrades, &note, now).await?;

    // The open renewal is for the plan the next period will be on.
    let next_plan = if scheduled.is_some() {
        &chosen
    } else {
        &on_plan
    };
    let (voided_renewals, renewal) =
        follow_next_plan(&txn, &current, next_plan, &note, now).await?;
    let free_renewal = if scheduled.is_some() && takes_effect == TakesEffect::Now {
        Some(zero_renewal(&txn, &current, &chosen, now).await?)
    } else {
        None
    };
    let payment = if takes_effect == TakesEffect::WhenPaid {
        Some(
            payments::create_pending(
                &txn,
                current.account_id,
                current.id,
                &chosen,
                live_method(&current),
                PaymentPurpose::PlanChange,
                now,
            )
            .await?,
        )
    } else {
        renewal
    };

    let mut row: subscription::ActiveModel = current.clone().into();
    row.scheduled_plan_id = Set(scheduled);
    row.updated_at = Set(now);
    let mut updated = row.update(&txn).await?;
    let actor = format!("user:{}", tenant.user.id);
    audit::record(
        &txn,
        audit::Entry {
            actor: &actor,
            action,
            object_type: "subscription",
            object_id: Some(updated.id),
            account_id: Some(updated.account_id),
            before: Some(json!({
                "plan_id": current.plan_id,
                "scheduled_plan_id": current.scheduled_plan_id,
            })),
            after: Some(json!({
                "plan_id": updated.plan_id,
                "chosen_plan_id": chosen.id,
                "scheduled_plan_id": updated.scheduled_plan_id,
                "payment_id": payment.as_ref().or(free_renewal.as_ref()).map(|p| p.id),
                "payments_voided": voided_upgrades + voided_renewals,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;

    if let Some(free) = free_renewal {
        // The path every renewal takes: plan, period, credits and account move together.
        updated = apply_payment(&quire.db, free.id, &actor, None, now)
            .await?
            .subscription;
    }
    let payment = payment.map(|payment| {
        let instructions = PaymentInstructions::new(&quire.settings.bank_transfer, &payment);
        (payment, instructions)
    });
    if let Some((payment, instructions)) = &payment {
        deliver::to_account(
            quire,
            payment.account_id,
            payment.plan_id,
            NotificationKind::PaymentPending {
                instructions: instructions.clone(),
            },
        )
        .await;
    }
    let effective_at = match takes_effect {
        TakesEffect::WhenPaid => None,
        TakesEffect::AtRenewal => updated.current_period_end,
        TakesEffect::Now => Some(now),
    };
    Ok(PlanChange {
        subscription: updated,
        plan: chosen,
        takes_effect,
        effective_at,
        payment,
    })
}

/// The free plan's open renewal payment, opened if there is none, for `apply_payment`.
async fn zero_renewal(
    conn: &impl ConnectionTrait,
    sub: &subscription::Model,
    free: &plan::Model,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    let open = open_payments(conn, sub.id, PaymentPurpose::Subscription)
        .await?
        .into_iter()
        .find(|p| p.plan_id == free.id);
    match open {
        Some(open) => Ok(open),
        None => Ok(payments::create_pending(
            conn,
            sub.account_id,
            sub.id,
            free,
            live_method(sub),
            PaymentPurpose::Subscription,
            now,
        )
        .await?),
    }
}

/// More credits a month, and not free: paid for now, started when paid.
fn is_upgrade(from: &plan::Model, to: &plan::Model) -> bool {
    !to.is_free() && to.effective_credits_per_month() > from.effective_credits_per_month()
}

/// The subscription's payment method, or bank transfer while that is the only live one.
fn live_method(sub: &subscription::Model) -> PaymentMethod {
    if sub.payment_method.is_live() {
        sub.payment_method
    } else {
        PaymentMethod::BankTransfer
    }
}

async fn open_payments(
    conn: &impl ConnectionTrait,
    subscription_id: i64,
    purpose: PaymentPurpose,
) -> Result<Vec<payment::Model>, Error> {
    Ok(payment::Entity::find()
        .filter(payment::Column::SubscriptionId.eq(subscription_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .filter(payment::Column::Purpose.eq(purpose))
        .all(conn)
        .await?)
}

async fn void(
    conn: &impl ConnectionTrait,
    stale: &[payment::Model],
    note: &str,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    if stale.is_empty() {
        return Ok(0);
    }
    let voided = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Void))
        .col_expr(payment::Column::Note, Expr::value(note))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.is_in(stale.iter().map(|p| p.id)))
        .exec(conn)
        .await?;
    Ok(voided.rows_affected)
}

/// Voids the open renewal payments for another plan than `next_plan`; when there were some
/// and none is for `next_plan` yet, opens one for it (unless it is free). The billing job
/// opens renewals itself when there is none.
async fn follow_next_plan(
    conn: &impl ConnectionTrait,
    sub: &subscription::Model,
    next_plan: &plan::Model,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(u64, Option<payment::Model>), Error> {
    let open = open_payments(conn, sub.id, PaymentPurpose::Subscription).await?;
    let (right, stale): (Vec<_>, Vec<_>) =
        open.into_iter().partition(|p| p.plan_id == next_plan.id);
    let voided = void(conn, &stale, note, now).await?;
    if stale.is_empty() || !right.is_empty() || next_plan.is_free() {
        return Ok((voided, None));
    }
    // The method the billing job chose for the renewal it replaces.
    let renewal = payments::create_pending(
        conn,
        sub.account_id,
        sub.id,
        next_plan,
        stale[0].method,
        PaymentPurpose::Subscription,
        now,
    )
    .await?;
    Ok((voided, Some(renewal)))
}
