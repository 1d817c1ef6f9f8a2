//! Changing one's own password: the current password first, then the new one. Every other
//! session of the user ends (the one making the change stays), and unused reset links stop
//! working.

use super::{password::Password, password_reset, sessions};
use crate::{Error, Quire, ValidationErrors, audit, db::begin_write, entities::user};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

/// What a member or operator typed to change their password.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
}

/// Sets user `user_id`'s password to `change.new` when `change.current` is their password;
/// ends their sessions but `session_id`. A wrong current password is refused on
/// `current_password`, a weak new one on `new_password`; then nothing changes.
pub async fn change(
    quire: &Quire,
    user_id: i64,
    session_id: &str,
    change: PasswordChange<'_>,
) -> Result<(), Error> {
    let target = user::Entity::find_by_id(user_id)
        .one(&quire.db)
        .await?
        .ok_or(Error::NotFound)?;
    let matches = quire
        .hashing
        .verify(change.current.to_owned(), target.password_hash.clone())
        .await?;
    if !matches {
        return Err(Error::Validation(ValidationErrors::single(
            "current_password",
            "This is not your current password.",
        )));
    }
    let password = Password::parse(change.new, Some(&target.email))
        .map_err(|message| Error::Validation(ValidationErrors::single("new_password", message)))?;
    let hash = quire.hashing.hash(password.expose().to_owned()).await?;
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    let mut changed: user::ActiveModel = target.into();
    changed.password_hash = Set(hash);
    changed.updated_at = Set(now);
    let changed = changed.update(&txn).await?;
    let ended = sessions::revoke_others(&txn, user_id, session_id, "password_changed").await?;
    password_reset::revoke_all(&txn, user_id, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{user_id}"),
            action: "user.password_changed",
            object_type: "user",
            object_id: Some(user_id),
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
