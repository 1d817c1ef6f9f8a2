//! Changing the address one signs in with: asked for with the current password, confirmed by
//! a link emailed to the new address (once, for 30 minutes; only the SHA-256 of its token is
//! stored). The address changes only when that link is used; the old address is told.

use super::{email::Email, tokens};
use crate::{
    Error, Quire, ValidationErrors, audit,
    db::begin_write,
    entities::{email_change, user},
    notifications::account::AccountEmail,
};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use serde_json::json;

/// How long a confirmation link works.
pub const LIFETIME_MINUTES: i64 = 30;

/// User `user_id` asks to sign in as `new_email` from now on, proving who they are with
/// `password`. A link to confirm it is emailed to the new address; earlier unconfirmed
/// requests stop working. A wrong password is refused on `password`; an invalid, unchanged or
/// taken address on `email`.
pub async fn request(
    quire: &Quire,
    user_id: i64,
    password: &str,
    new_email: &str,
) -> Result<Email, Error> {
    let target = user::Entity::find_by_id(user_id)
        .one(&quire.db)
        .await?
        .ok_or(Error::NotFound)?;
    let invalid = |field: &str, message: &str| {
        Error::Validation(ValidationErrors::single(field, message.to_owned()))
    };
    let matches = quire
        .hashing
        .verify(password.to_owned(), target.password_hash.clone())
        .await?;
    if !matches {
        return Err(invalid("password", "This is not your current password."));
    }
    let new_email = Email::parse(new_email).map_err(|message| invalid("email", message))?;
    if new_email.as_str() == target.email {
        return Err(invalid("email", "You already sign in with this address."));
    }
    if taken(&quire.db, &new_email).await? {
        return Err(invalid("email", "Another user signs in with this address."));
    }
    let now = quire.clock.now();
    let token = hex::encode(rand::random::<[u8; 32]>());
    let txn = begin_write(&quire.db).await?;
    email_change::Entity::update_many()
        .col_expr(email_change::Column::UsedAt, Expr::value(now))
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    email_change::ActiveModel {
        token_hash: Set(tokens::fingerprint(&token)),
        user_id: Set(user_id),
        new_email: Set(new_email.to_string()),
        expires_at: Set(now + Duration::minutes(LIFETIME_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{user_id}"),
            action: "user.email_change_requested",
            object_type: "user",
            object_id: Some(user_id),
            account_id: target.account_id,
            before: Some(json!({"email": target.email})),
            after: Some(json!({"email": new_email.as_str()})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    let mail = AccountEmail::EmailChange {
        link: quire
            .settings
            .link_to(&format!("/confirm-email?token={token}")),
        minutes: LIFETIME_MINUTES,
        old_email: target.email,
    };
    if let Err(error) = quire.mailer.send(new_email.as_str(), &mail).await {
        tracing::warn!(user_id, %error, "email-change confirmation not sent");
    }
    Ok(new_email)
}

async fn taken(db: &impl ConnectionTrait, email: &Email) -> Result<bool, Error> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// The address a link still confirms, if it works (for showing its page).
pub async fn pending_address(quire: &Quire, token: &str) -> Result<Option<String>, Error> {
    Ok(usable(quire, token).await?.map(|link| link.new_email))
}

async fn usable(quire: &Quire, token: &str) -> Result<Option<email_change::Model>, Error> {
    let found = email_change::Entity::find_by_id(tokens::fingerprint(token.trim()))
        .one(&quire.db)
        .await?;
    let now = quire.clock.now();
    Ok(found.filter(|link| link.used_at.is_none() && link.expires_at > now))
}

/// Uses the link of `token`: its user signs in with the new address from now on, and the old
/// address is told. A used, expired or unknown link is refused on `token`; an address another
/// user took meanwhile on `email`.
pub async fn confirm(quire: &Quire, token: &str) -> Result<user::Model, Error> {
    let refused = || {
        Error::Validation(ValidationErrors::single(
            "token",
            "This link has expired or was already used. Ask for a new one.",
        ))
    };
    let link = usable(quire, token).await?.ok_or_else(refused)?;
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    // Spending the link is the guard: of two uses at once, only one updates it.
    let spent = email_change::Entity::update_many()
        .col_expr(email_change::Column::UsedAt, Expr::value(now))
        .filter(email_change::Column::TokenHash.eq(&link.token_hash))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if spent != 1 {
        return Err(refused());
    }
    let new_email = Email::parse(&link.new_email).map_err(|_| refused())?;
    if taken(&txn, &new_email).await? {
        return Err(Error::Validation(ValidationErrors::single(
            "email",
            "Another user signed up with this address meanwhile.",
        )));
    }
    let target = user::Entity::find_by_id(link.user_id)
        .one(&txn)
        .await?
        .ok_or_else(refused)?;
    let old_email = target.email.clone();
    let mut changed: user::ActiveModel = target.into();
    changed.email = Set(new_email.to_string());
    changed.updated_at = Set(now);
    let changed = changed.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{}", changed.id),
            action: "user.email_changed",
            object_type: "user",
            object_id: Some(changed.id),
            account_id: changed.account_id,
            before: Some(json!({"email": old_email})),
            after: Some(json!({"email": changed.email})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    let notice = AccountEmail::EmailChanged {
        new_email: changed.email.clone(),
    };
    if let Err(error) = quire.mailer.send(&old_email, &notice).await {
        tracing::warn!(user_id = changed.id, %error, "email-changed notice not sent");
    }
    Ok(changed)
}
