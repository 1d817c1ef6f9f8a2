//! The caller's own account (owners and admins may rename it and edit billing details) and
//! its subscriptions.

use super::{check_name, double_option};
use crate::{
    Error, ValidationErrors,
    accounts::{email::Email, principal::Tenant},
    db::Db,
    entities::{account, enums::UserRole, subscription},
    listing::{self, Page, PageRequest},
};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use utoipa::ToSchema;

/// What an owner may change on their account; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AccountPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub billing_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub billing_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub billing_address: Option<Option<String>>,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub billing_country: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub tax_id: Option<Option<String>>,
}

/// The caller's account, fresh from the database; any other id is `NotFound`.
pub async fn get(db: &Db, tenant: &Tenant, id: i64) -> Result<account::Model, Error> {
    if id != tenant.account.id {
        return Err(Error::NotFound);
    }
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: AccountPatch,
) -> Result<account::Model, Error> {
    let current = get(db, tenant, id).await?;
    if !matches!(tenant.user.role, UserRole::Owner | UserRole::Admin) {
        return Err(Error::RoleNotAllowed);
    }
    let mut errors = ValidationErrors::default();
    let mut row: account::ActiveModel = current.into();
    if let Some(name) = patch.name {
        row.name = Set(check_name(&mut errors, "name", &name));
    }
    if let Some(email) = patch.billing_email {
        row.billing_email = Set(optional(email).and_then(|e| match Email::parse(&e) {
            Ok(email) => Some(email.into_inner()),
            Err(message) => {
                errors.add("billing_email", message);
                None
            }
        }));
    }
    if let Some(name) = patch.billing_name {
        row.billing_name = Set(bounded(&mut errors, "billing_name", name, 200));
    }
    if let Some(address) = patch.billing_address {
        row.billing_address = Set(bounded(&mut errors, "billing_address", address, 1_000));
    }
    if let Some(country) = patch.billing_country {
        let country = optional(country).map(|c| c.to_uppercase());
        if country
            .as_deref()
            .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            errors.add(
                "billing_country",
                "Use a two-letter country code such as DE or US.",
            );
        }
        row.billing_country = Set(country);
    }
    if let Some(tax_id) = patch.tax_id {
        row.tax_id = Set(bounded(&mut errors, "tax_id", tax_id, 64));
    }
    errors.into_result()?;
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

/// Trimmed; blank becomes `None`.
fn optional(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn bounded(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    let value = optional(value);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("Use at most {max} characters."));
    }
    value
}

/// The account's subscriptions, newest first.
pub async fn list_subscriptions(
    db: &Db,
    tenant: &Tenant,
    page: PageRequest,
) -> Result<Page<subscription::Model>, Error> {
    let select =
        subscription::Entity::find().filter(subscription::Column::AccountId.eq(tenant.account.id));
    listing::fetch_page(
        db,
        select,
        &[(subscription::Column::Id, sea_orm::Order::Desc)],
        page,
    )
    .await
}

pub async fn get_subscription(
    db: &Db,
    tenant: &Tenant,
    id: i64,
) -> Result<subscription::Model, Error> {
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::AccountId.eq(tenant.account.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}
