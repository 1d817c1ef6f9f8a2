//! Tenancy: the caller's own account and subscription, and their sites and sectors, every
//! query scoped by the tenant's account and limited by its plan.

pub mod account;
pub mod sectors;
pub mod sites;

use crate::{Error, ValidationErrors};
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

/// Takes the account's row lock for the rest of the transaction, so two concurrent creations
/// cannot both pass a plan-limit count (on SQLite the write transaction's lock does that).
pub(crate) async fn lock_account(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> Result<(), Error> {
    use crate::entities::account;
    account::Entity::update_many()
        .col_expr(account::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// `PlanLimit` when `active` rows already fill the plan's `limit` for `resource`.
pub(crate) fn check_limit(active: u64, limit: i32, resource: &'static str) -> Result<(), Error> {
    let limit = i64::from(limit);
    if i64::try_from(active).unwrap_or(i64::MAX) >= limit {
        return Err(Error::PlanLimit { resource, limit });
    }
    Ok(())
}

/// A required, trimmed name of 1 to 100 characters.
pub(crate) fn check_name(errors: &mut ValidationErrors, field: &str, value: &str) -> String {
    let name = value.trim().to_owned();
    if name.is_empty() {
        errors.add(field, "This field may not be blank.");
    } else if name.chars().count() > 100 {
        errors.add(field, "Use at most 100 characters.");
    }
    name
}

/// Free text of at most 2,000 characters.
pub(crate) fn check_description(errors: &mut ValidationErrors, value: &str) -> String {
    let text = value.trim().to_owned();
    if text.chars().count() > 2_000 {
        errors.add("description", "Use at most 2,000 characters.");
    }
    text
}

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or set.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
