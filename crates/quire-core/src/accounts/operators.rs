//! Operators: staff users with no account, created from the CLI.

use super::{email::Email, password::Password};
use crate::{
    Error, Quire, ValidationErrors, db,
    entities::{enums::UserRole, user},
};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};

/// Creates an operator. The password follows the same rule as tenants' passwords.
pub async fn create(
    quire: &Quire,
    email: &str,
    password_input: &str,
    name: &str,
) -> Result<user::Model, Error> {
    let mut errors = ValidationErrors::default();
    let email = Email::parse(email).map_err(|m| errors.add("email", m)).ok();
    let password = Password::parse(password_input, email.as_ref().map(Email::as_str))
        .map_err(|m| errors.add("password", m))
        .ok();
    let (Some(email), Some(password)) = (email, password) else {
        return Err(Error::Validation(errors));
    };
    let password_hash = quire.hashing.hash(password.expose().to_owned()).await?;
    let now = Utc::now();
    let created = user::ActiveModel {
        email: Set(email.into_inner()),
        password_hash: Set(password_hash),
        name: Set(name.trim().to_owned()),
        account_id: Set(None),
        role: Set(UserRole::Operator),
        is_staff: Set(true),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&quire.db)
    .await;
    match created {
        Err(err) if db::is_unique_violation(&err) => Err(Error::Validation(
            ValidationErrors::single("email", "A user with this email already exists."),
        )),
        other => Ok(other?),
    }
}
