//! Password-reset links: an operator makes one for a user (to send them), or anyone asks for
//! one to be emailed to an address; the user opens it and chooses a new password. A link works
//! once, for 30 minutes; only the SHA-256 of its random token is stored. Using it changes the
//! password and ends every session of the user.

use super::{password::Password, sessions, tokens};
use crate::{
    Error, Quire, ValidationErrors, audit,
    db::begin_write,
    entities::{password_reset, user},
    notifications::account::AccountEmail,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
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
    let txn = begin_write(&quire.db).await?;
    let target = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let issued = issue(&txn, user_id, Some(operator_id), now).await?;
    let expires_at = issued.expires_at;
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
    Ok(issued)
}

/// A new link for user `user_id` (made by operator `issued_by`, or asked for by email when
/// `None`); earlier unused links of the user stop working.
async fn issue(
    conn: &impl ConnectionTrait,
    user_id: i64,
    issued_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<IssuedLink, Error> {
    revoke_all(conn, user_id, now).await?;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires_at = now + Duration::minutes(LIFETIME_MINUTES);
    password_reset::ActiveModel {
        token_hash: Set(tokens::fingerprint(&token)),
        user_id: Set(user_id),
        issued_by: Set(issued_by),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(IssuedLink { token, expires_at })
}

/// Someone asked for a reset link for `email` ("forgot password"): when an active user signs
/// in with it, a new link is emailed to that address. Says nothing about whether one does —
/// the caller answers the same either way — and never fails: problems are logged.
pub async fn request_by_email(quire: &Quire, email: &str) {
    if let Err(error) = email_link(quire, email).await {
        tracing::warn!(%error, "password-reset email not sent");
    }
}

async fn email_link(
    quire: &Quire,
    email: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(sessions::email_key(email)))
        .filter(user::Column::IsActive.eq(true))
        .one(&quire.db)
        .await?;
    let Some(target) = found else {
        return Ok(());
    };
    let issued = issue(&quire.db, target.id, None, quire.clock.now()).await?;
    let mail = AccountEmail::PasswordReset {
        link: quire.settings.link_to(&issued.path()),
        minutes: LIFETIME_MINUTES,
    };
    quire.mailer.send(&target.email, &mail).await?;
    Ok(())
}

/// Spends every unused link of user `user_id` (their password just changed another way).
pub(crate) async fn revoke_all(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
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
    let txn = begin_write(&quire.db).await?;
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
