//! Operators and users: the searchable list, and deactivation (sessions revoked; login and
//! every request refused) and activation.

use crate::{
    Error, Quire, ValidationErrors,
    accounts::sessions,
    audit,
    db::{Db, begin_write},
    entities::user,
    listing::{self, Page, PageRequest, SortKeys},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Order, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

/// Users listed for an operator.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Matches the email or the name, ignoring case.
    pub search: Option<String>,
    pub account_id: Option<i64>,
    /// `true` for operators.
    pub is_staff: Option<bool>,
    pub is_active: Option<bool>,
}

const SORT_KEYS: SortKeys<user::Column> = &[
    ("id", user::Column::Id),
    ("created_at", user::Column::CreatedAt),
    ("email", user::Column::Email),
    ("name", user::Column::Name),
    ("last_login_at", user::Column::LastLoginAt),
];

/// Every user (members and operators), newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    filter: UserFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<user::Model>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (user::Column::Id, Order::Desc))?;
    let mut select = user::Entity::find();
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(
            term,
            &[user::Column::Email, user::Column::Name],
        ));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(user::Column::AccountId.eq(account_id));
    }
    if let Some(is_staff) = filter.is_staff {
        select = select.filter(user::Column::IsStaff.eq(is_staff));
    }
    if let Some(is_active) = filter.is_active {
        select = select.filter(user::Column::IsActive.eq(is_active));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

pub async fn get(db: &Db, id: i64) -> Result<user::Model, Error> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Activates or deactivates user `id`. Deactivating revokes every session of the user, so
/// their tokens stop working on the next request, and the gates refuse their login; an
/// operator may not deactivate themselves. Activating lets them log in again (their old
/// sessions stay revoked). Asking for the state the user is in changes nothing.
pub async fn set_active(
    quire: &Quire,
    operator_id: i64,
    id: i64,
    active: bool,
) -> Result<user::Model, Error> {
    if !active && id == operator_id {
        return Err(Error::Validation(ValidationErrors::single(
            "id",
            "You cannot deactivate yourself; ask another operator.",
        )));
    }
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    let current = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.is_active == active {
        return Ok(current);
    }
    let mut row: user::ActiveModel = current.clone().into();
    row.is_active = Set(active);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let revoked = if active {
        0
    } else {
        sessions::revoke_all(&txn, id, "deactivated").await?
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: if active {
                "user.activated"
            } else {
                "user.deactivated"
            },
            object_type: "user",
            object_id: Some(id),
            account_id: updated.account_id,
            before: Some(json!({"is_active": current.is_active})),
            after: Some(json!({"is_active": updated.is_active, "sessions_revoked": revoked})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
