//! What a tenant does with their own subscription (F5): cancel at the period's end, and resume
//! before it. The account keeps working and spending its credits until the end; the billing
//! job ends the subscription then. Owners and admins only; each action is audited.

use crate::{
    Error,
    accounts::principal::Tenant,
    audit,
    db::{Db, begin_write},
    entities::{
        enums::{SubscriptionStatus, UserRole},
        subscription,
    },
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

/// Sets `cancel_at_period_end`: an active or trialing subscription ends when its period does.
/// Already set, or nothing running to cancel, is a conflict.
pub async fn cancel(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    now: DateTime<Utc>,
) -> Result<subscription::Model, Error> {
    change(db, tenant, id, now, Change::Cancel).await
}

/// Clears `cancel_at_period_end` before the period ends. Not cancelled, or the period already
/// over, is a conflict.
pub async fn resume(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    now: DateTime<Utc>,
) -> Result<subscription::Model, Error> {
    change(db, tenant, id, now, Change::Resume).await
}

#[derive(Clone, Copy)]
enum Change {
    Cancel,
    Resume,
}

async fn change(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    now: DateTime<Utc>,
    change: Change,
) -> Result<subscription::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = subscription::Entity::find_by_id(id)
        .filter(subscription::Column::AccountId.eq(tenant.account.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !matches!(tenant.user.role, UserRole::Owner | UserRole::Admin) {
        return Err(Error::RoleNotAllowed);
    }
    let running = matches!(
        current.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
    ) && current.current_period_end.is_some_and(|end| end > now);
    let (cancel_flag, canceled_at, action) = match change {
        Change::Cancel if !running => {
            return Err(Error::Conflict(
                "Only an active or trialing subscription can be cancelled.".to_owned(),
            ));
        }
        Change::Cancel if current.cancel_at_period_end => {
            return Err(Error::Conflict(
                "This subscription is already cancelled at the end of its period.".to_owned(),
            ));
        }
        Change::Cancel => (true, Some(now), "subscription.cancel_requested"),
        Change::Resume if !current.cancel_at_period_end => {
            return Err(Error::Conflict(
                "This subscription is not cancelled.".to_owned(),
            ));
        }
        Change::Resume if !running => {
            return Err(Error::Conflict(
                "The period has ended; subscribe again from billing.".to_owned(),
            ));
        }
        Change::Resume => (false, None, "subscription.resumed"),
    };
    let mut row: subscription::ActiveModel = current.clone().into();
    row.cancel_at_period_end = Set(cancel_flag);
    row.canceled_at = Set(canceled_at);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{}", tenant.user.id),
            action,
            object_type: "subscription",
            object_id: Some(updated.id),
            account_id: Some(updated.account_id),
            before: Some(json!({"cancel_at_period_end": current.cancel_at_period_end})),
            after: Some(json!({
                "cancel_at_period_end": updated.cancel_at_period_end,
                "current_period_end": updated.current_period_end,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
