//! Sessions (F2): login, refresh-token rotation with reuse detection, and logout.
//!
//! A session is a refresh-token family: one row holding the fingerprint of its only unspent
//! refresh token. Refreshing spends that token and issues the next; presenting a spent one
//! means it was stolen or replayed, so the whole family is revoked.

use super::{
    email::Email,
    gates,
    tokens::{self, SignedToken, TokenType},
};
use crate::{
    Error, Quire,
    entities::{account, plan, refresh_token_family as family, user},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use std::net::IpAddr;

/// A signed-in session: the token pair and who it belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id (its refresh-token family), carried by every token of it.
    pub id: String,
    pub access: SignedToken,
    pub refresh: SignedToken,
    pub user: user::Model,
    pub account: Option<account::Model>,
}

/// Checks the password and the gates, then opens a session.
///
/// Unknown email and wrong password give the same error after the same work (a dummy
/// hash is verified), and both count towards the failed-login throttle. Every attempt counts
/// towards the login rate limits (per client address and per email).
pub async fn login(
    quire: &Quire,
    email: &str,
    password_input: &str,
    address: Option<IpAddr>,
) -> Result<Session, Error> {
    let email_key = email_key(email);
    quire
        .login_throttle
        .check(&email_key, address)
        .map_err(|retry_after_secs| Error::Throttled { retry_after_secs })?;
    quire.rate_limits.login(&email_key, address)?;

    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email_key))
        .find_also_related(account::Entity)
        .and_also_related(plan::Entity)
        .one(&quire.db)
        .await?;
    let phc = found.as_ref().map_or_else(
        || quire.dummy_password_hash.clone(),
        |(u, _, _)| u.password_hash.clone(),
    );
    let matches = quire.hashing.verify(password_input.to_owned(), phc).await?;

    let (user, account, plan) = match found {
        Some(row) if matches => row,
        _ => {
            quire.login_throttle.record_failure(&email_key, address);
            return Err(Error::InvalidCredentials);
        }
    };
    quire.login_throttle.record_success(&email_key);
    gates::enforce(quire, &user, account.as_ref(), plan.as_ref()).await?;

    let mut seen: user::ActiveModel = user.clone().into();
    seen.last_login_at = Set(Some(Utc::now()));
    let user = seen.update(&quire.db).await?;
    start(quire, &user, account.as_ref()).await
}

/// The account of the user who signs in with `email`, if any (for a page that explains a
/// gate's refusal after the password was checked).
pub async fn account_of(db: &crate::db::Db, email: &str) -> Result<Option<i64>, Error> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email_key(email)))
        .one(db)
        .await?;
    Ok(found.and_then(|u| u.account_id))
}

/// The stored form of an email typed at sign-in.
pub(crate) fn email_key(email: &str) -> String {
    Email::parse(email)
        .map(Email::into_inner)
        .unwrap_or_else(|_| email.trim().to_lowercase())
}

/// Opens a new session (refresh-token family) for a user who passed the gates.
pub(crate) async fn start(
    quire: &Quire,
    user: &user::Model,
    account: Option<&account::Model>,
) -> Result<Session, Error> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let account_id = account.map(|a| a.id);
    let (access, refresh) = issue_pair(quire, user.id, account_id, &session_id)?;
    let now = Utc::now();
    family::ActiveModel {
        id: Set(session_id.clone()),
        user_id: Set(user.id),
        account_id: Set(account_id),
        current_token_hash: Set(tokens::fingerprint(&refresh.jti)),
        expires_at: Set(refresh.expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&quire.db)
    .await?;
    Ok(Session {
        id: session_id,
        access,
        refresh,
        user: user.clone(),
        account: account.cloned(),
    })
}

fn issue_pair(
    quire: &Quire,
    user_id: i64,
    account_id: Option<i64>,
    session_id: &str,
) -> Result<(SignedToken, SignedToken), Error> {
    let sign = |typ| {
        quire
            .keys
            .issue(typ, user_id, account_id, session_id)
            .map_err(|e| Error::Internal(format!("signing a token: {e}")))
    };
    Ok((sign(TokenType::Access)?, sign(TokenType::Refresh)?))
}

/// Spends a refresh token and issues the next pair. Presenting a spent token revokes the
/// session; the gates run again, so a blocked account cannot stay signed in by refreshing.
pub async fn refresh(quire: &Quire, refresh_token: &str) -> Result<Session, Error> {
    let claims = quire.keys.verify(refresh_token, TokenType::Refresh)?;
    let presented = tokens::fingerprint(&claims.jti);
    let session = family::Entity::find_by_id(claims.sid.clone())
        .one(&quire.db)
        .await?
        .filter(|s| s.user_id == claims.user_id)
        .ok_or(Error::Unauthenticated("session_revoked"))?;
    if session.revoked_at.is_some() {
        return Err(Error::Unauthenticated("session_revoked"));
    }

    let (user, account, plan) = user::Entity::find_by_id(claims.user_id)
        .find_also_related(account::Entity)
        .and_also_related(plan::Entity)
        .one(&quire.db)
        .await?
        .ok_or(Error::Unauthenticated("token_invalid"))?;
    if user.account_id != claims.account_id {
        return Err(Error::Unauthenticated("token_invalid"));
    }

    let (access, next) = issue_pair(quire, user.id, user.account_id, &session.id)?;
    // Spend the presented token only if it is still the family's current one; a second
    // presentation (or a concurrent one that lost this race) finds no row to update.
    let spent = family::Entity::update_many()
        .col_expr(
            family::Column::CurrentTokenHash,
            Expr::value(tokens::fingerprint(&next.jti)),
        )
        .col_expr(family::Column::ExpiresAt, Expr::value(next.expires_at))
        .col_expr(family::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(family::Column::Id.eq(&session.id))
        .filter(family::Column::CurrentTokenHash.eq(&presented))
        .filter(family::Column::RevokedAt.is_null())
        .exec(&quire.db)
        .await?;
    if spent.rows_affected != 1 {
        revoke(quire, &session.id, "reuse_detected").await?;
        tracing::warn!(session = %session.id, user_id = user.id, "refresh token reuse; session revoked");
        return Err(Error::Unauthenticated("token_reused"));
    }

    gates::enforce(quire, &user, account.as_ref(), plan.as_ref()).await?;
    Ok(Session {
        id: session.id,
        access,
        refresh: next,
        user,
        account,
    })
}

/// The page-session token of `session`, for a browser's cookie: it dies with the session.
pub fn page_token(quire: &Quire, session: &Session) -> Result<SignedToken, Error> {
    quire
        .keys
        .issue(
            TokenType::Page,
            session.user.id,
            session.account.as_ref().map(|a| a.id),
            &session.id,
        )
        .map_err(|e| Error::Internal(format!("signing a token: {e}")))
}

/// Ends the session of `access_token`, or every session of its user when `everywhere`.
/// Works whatever the account's standing, so a blocked user can still sign out.
pub async fn logout(quire: &Quire, access_token: &str, everywhere: bool) -> Result<(), Error> {
    end(quire, access_token, TokenType::Access, everywhere).await
}

/// [`logout`] for a browser's page-session token.
pub async fn logout_page(quire: &Quire, page_token: &str, everywhere: bool) -> Result<(), Error> {
    end(quire, page_token, TokenType::Page, everywhere).await
}

async fn end(quire: &Quire, token: &str, typ: TokenType, everywhere: bool) -> Result<(), Error> {
    let claims = quire.keys.verify(token, typ)?;
    let mut update = family::Entity::update_many()
        .col_expr(family::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(family::Column::RevokedReason, Expr::value("logout"))
        .filter(family::Column::UserId.eq(claims.user_id))
        .filter(family::Column::RevokedAt.is_null());
    if !everywhere {
        update = update.filter(family::Column::Id.eq(&claims.sid));
    }
    update.exec(&quire.db).await?;
    Ok(())
}

/// Revokes every open session of user `user_id` (an operator deactivated them); how many.
pub(crate) async fn revoke_all(
    conn: &impl ConnectionTrait,
    user_id: i64,
    reason: &str,
) -> Result<u64, Error> {
    Ok(family::Entity::update_many()
        .col_expr(family::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(family::Column::RevokedReason, Expr::value(reason))
        .filter(family::Column::UserId.eq(user_id))
        .filter(family::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Revokes every open session of user `user_id` but `kept` (the one changing the password);
/// how many.
pub(crate) async fn revoke_others(
    conn: &impl ConnectionTrait,
    user_id: i64,
    kept: &str,
    reason: &str,
) -> Result<u64, Error> {
    Ok(family::Entity::update_many()
        .col_expr(family::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(family::Column::RevokedReason, Expr::value(reason))
        .filter(family::Column::UserId.eq(user_id))
        .filter(family::Column::Id.ne(kept))
        .filter(family::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

async fn revoke(quire: &Quire, session_id: &str, reason: &str) -> Result<(), Error> {
    family::Entity::update_many()
        .col_expr(family::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(family::Column::RevokedReason, Expr::value(reason))
        .filter(family::Column::Id.eq(session_id))
        .filter(family::Column::RevokedAt.is_null())
        .exec(&quire.db)
        .await?;
    Ok(())
}
