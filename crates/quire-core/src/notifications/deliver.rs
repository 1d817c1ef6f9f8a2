//! Sends a billing email to an account once the change it reports has committed: to the
//! billing address, else the owner's. A failure is logged and never undoes the change.

use super::{Notification, NotificationKind};
use crate::{
    Quire,
    entities::{account, plan, user},
};
use sea_orm::{DbErr, EntityTrait};

/// Sends `kind` about `account_id`'s plan `plan_id`; logs, never fails.
pub async fn to_account(quire: &Quire, account_id: i64, plan_id: i64, kind: NotificationKind) {
    let template = kind.template_name();
    if let Err(error) = send(quire, account_id, plan_id, kind).await {
        tracing::warn!(account_id, template, %error, "billing email not sent");
    }
}

async fn send(
    quire: &Quire,
    account_id: i64,
    plan_id: i64,
    kind: NotificationKind,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let account = account::Entity::find_by_id(account_id)
        .one(&quire.db)
        .await?
        .ok_or(DbErr::RecordNotFound(format!("account {account_id}")))?;
    let plan = plan::Entity::find_by_id(plan_id)
        .one(&quire.db)
        .await?
        .ok_or(DbErr::RecordNotFound(format!("plan {plan_id}")))?;
    let to = match account.billing_email.clone() {
        Some(address) => address,
        None => {
            let owner_id = account.owner_id.ok_or(DbErr::RecordNotFound(format!(
                "owner of account {account_id}"
            )))?;
            user::Entity::find_by_id(owner_id)
                .one(&quire.db)
                .await?
                .ok_or(DbErr::RecordNotFound(format!("user {owner_id}")))?
                .email
        }
    };
    let notification = Notification {
        account_name: account.name,
        plan_name: plan.name,
        kind,
    };
    quire.mailer.send(&to, &notification).await?;
    Ok(())
}
