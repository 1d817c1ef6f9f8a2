//! Password-reset links: an operator makes one for a user (to send them), the user opens it
//! and chooses a new password. A link works once, for 30 minutes; only the SHA-256 of its
//! random token is stored. Using it changes the password and ends every session of the user.

use super::{password::Password, sessions, tokens};
use crate::{
    Error, Quire, ValidationErrors, audit,
    entities::{password_reset, user},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

/// How long a link works.
pub const LIFETIME_MINUTES: i64 = 30;

/// A link just made: the token to put in it (shown once) and when it stops working.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl IssuedLink {
    /// The link's path on Quire's own site.
    pub fn path(&self) -> String {
        format!("/reset-password?token={}", self.token)
    }
}

/// Makes a reset link for user `user_id`, on behalf of operator `operator_id` (audited; the
/// token itself is not in the audit log). Earlier unused links of the user stop working.
pub async fn issue_by_operator(
    quire: &Quire,
    operator_id: i64,
    user_id: i64,
) -> Result<IssuedLink, Error> {
    let now = quire.clock.now();
    let txn = quire.db.begin().await?;
    let target = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires_at = now + Duration::minutes(LIFETIME_MINUTES);
    password_reset::ActiveModel {
        token_hash: Set(tokens::fingerprint(&token)),
        user_id: Set(user_id),
        issued_by: Set(Some(operator_id)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "user.password_reset_link",
            object_type: "user",
            object_id: Some(user_id),
            account_id: target.account_id,
            before: None,
            after: Some(json!({"expires_at": expires_at})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedLink { token, expires_at })
}

/// Whether `token` is a link that still works (for showing its form).
pub async fn is_usable(quire: &Quire, token: &str) -> Result<bool, Error> {
    Ok(usable(quire, token).await?.is_some())
}

async fn usable(quire: &Quire, token: &str) -> Result<Option<password_reset::Model>, Error> {
    let found = password_reset::Entity::find_by_id(tokens::fingerprint(token.trim()))
        .one(&quire.db)
        .await?;
    let now = quire.clock.now();
    Ok(found.filter(|link| link.used_at.is_none() && link.expires_at > now))
}

/// Sets the password of the link's user to `new_password` and ends all their sessions. A
/// used, expired or unknown link is refused on `token`; a weak password on `password`.
pub async fn reset(quire: &Quire, token: &str, new_password: &str) -> Result<(), Error> {
    let refused = || {
        Error::Validation(ValidationErrors::single(
            "token",
            "This link has expired or was already used. Ask for a new one.",
        ))
    };
    let link = usable(quire, token).await?.ok_or_else(refused)?;
    let target = user::Entity::find_by_id(link.user_id)
        .one(&quire.db)
        .await?
        .ok_or_else(refused)?;
    let password = Password::parse(new_password, Some(&target.email))
        .map_err(|message| Error::Validation(ValidationErrors::single("password", message)))?;
    let hash = quire.hashing.hash(password.expose().to_owned()).await?;
    let now = quire.clock.now();
    let txn = quire.db.begin().await?;
    // Spending the link is the guard: of two uses at once, only one updates it.
    let spent = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::TokenHash.eq(&link.token_hash))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if spent != 1 {
        return Err(refused());
    }
    let mut changed: user::ActiveModel = target.into();
    changed.password_hash = Set(hash);
    changed.updated_at = Set(now);
    let changed = changed.update(&txn).await?;
    let ended = sessions::revoke_all(&txn, changed.id, "password_reset").await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{}", changed.id),
            action: "user.password_reset",
            object_type: "user",
            object_id: Some(changed.id),
            account_id: changed.account_id,
            before: None,
            after: Some(json!({"sessions_revoked": ended})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
