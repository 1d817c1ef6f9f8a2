//! An operator's limits on one account: the daily AI ceiling, audited.

use crate::{
    Error, Quire, ValidationErrors, audit, db::begin_write, entities::account,
    tenancy::double_option, tenancy::lock_account,
};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The largest daily ceiling an operator may set (a trillion credits: "no practical limit").
pub const MAX_DAILY_AI_CREDIT_LIMIT: i64 = 1_000_000_000_000;

/// The account's limits to change; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LimitsPatch {
    /// Most credits AI operations may hold or charge in one UTC day (0 stops AI for the
    /// account); `null`: the platform default (`rate_limits.daily_ai_credit_limit`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub daily_ai_credit_limit: Option<Option<i64>>,
}

/// Applies `patch` to account `id` and records the change in the audit log, together. A
/// change to the value the account already has records nothing.
pub async fn update(
    quire: &Quire,
    operator_id: i64,
    id: i64,
    patch: LimitsPatch,
) -> Result<account::Model, Error> {
    if let Some(Some(limit)) = patch.daily_ai_credit_limit
        && !(0..=MAX_DAILY_AI_CREDIT_LIMIT).contains(&limit)
    {
        return Err(Error::Validation(ValidationErrors::single(
            "daily_ai_credit_limit",
            format!("Use a whole number from 0 to {MAX_DAILY_AI_CREDIT_LIMIT}, or null."),
        )));
    }
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, id).await?;
    let current = account::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let Some(limit) = patch.daily_ai_credit_limit else {
        return Ok(current);
    };
    if current.daily_ai_credit_limit == limit {
        return Ok(current);
    }
    let mut row: account::ActiveModel = current.clone().into();
    row.daily_ai_credit_limit = Set(limit);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "account.daily_ai_credit_limit_changed",
            object_type: "account",
            object_id: Some(id),
            account_id: Some(id),
            before: Some(json!({"daily_ai_credit_limit": current.daily_ai_credit_limit})),
            after: Some(json!({"daily_ai_credit_limit": updated.daily_ai_credit_limit})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
