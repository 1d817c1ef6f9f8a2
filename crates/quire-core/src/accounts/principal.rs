//! Who is calling: an access token turned into a member (the tenant context) or an operator,
//! with the gates applied on every request.

use super::{gates, tokens::TokenType};
use crate::{
    Error, Quire,
    entities::{account, plan, refresh_token_family as family, user},
};
use sea_orm::{
    EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Query},
};

/// The tenant context: a member who passed the gates, their account and its plan. Every
/// tenant query is scoped by `account.id`.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub user: user::Model,
    pub account: account::Model,
    pub plan: plan::Model,
    pub session_id: String,
}

/// A platform operator (staff user, no account).
#[derive(Debug, Clone)]
pub struct Operator {
    pub user: user::Model,
    pub session_id: String,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Member(Box<Tenant>),
    Operator(Box<Operator>),
}

impl Principal {
    pub fn user(&self) -> &user::Model {
        match self {
            Principal::Member(m) => &m.user,
            Principal::Operator(o) => &o.user,
        }
    }

    /// The session (refresh-token family) the caller's token belongs to.
    pub fn session_id(&self) -> &str {
        match self {
            Principal::Member(m) => &m.session_id,
            Principal::Operator(o) => &o.session_id,
        }
    }

    pub fn account(&self) -> Option<&account::Model> {
        match self {
            Principal::Member(m) => Some(&m.account),
            Principal::Operator(_) => None,
        }
    }
}

/// Verifies the access token and loads user, account, plan and session liveness in one
/// query, then applies the same gates as login. A suspension, a deactivated plan or a
/// logout takes effect on the very next request.
pub async fn authenticate(quire: &Quire, access_token: &str) -> Result<Principal, Error> {
    authenticate_as(quire, access_token, TokenType::Access).await
}

/// [`authenticate`] for a browser's page-session token (the web pages' cookie).
pub async fn authenticate_page(quire: &Quire, page_token: &str) -> Result<Principal, Error> {
    authenticate_as(quire, page_token, TokenType::Page).await
}

async fn authenticate_as(quire: &Quire, token: &str, typ: TokenType) -> Result<Principal, Error> {
    let claims = quire.keys.verify(token, typ)?;

    let live_session = Query::select()
        .expr(Expr::val(1))
        .from(family::Entity)
        .and_where(Expr::col((family::Entity, family::Column::Id)).eq(claims.sid.as_str()))
        .and_where(Expr::col((family::Entity, family::Column::UserId)).eq(claims.user_id))
        .and_where(Expr::col((family::Entity, family::Column::RevokedAt)).is_null())
        .take();
    let (user, account, plan) = user::Entity::find_by_id(claims.user_id)
        .find_also_related(account::Entity)
        .and_also_related(plan::Entity)
        .filter(Expr::exists(live_session))
        .one(&quire.db)
        .await?
        .ok_or(Error::Unauthenticated("session_revoked"))?;
    if user.account_id != claims.account_id {
        return Err(Error::Unauthenticated("token_invalid"));
    }

    gates::enforce(quire, &user, account.as_ref(), plan.as_ref()).await?;
    let session_id = claims.sid;
    match (user.is_staff, account, plan) {
        (true, None, _) => Ok(Principal::Operator(Box::new(Operator { user, session_id }))),
        (false, Some(account), Some(plan)) => Ok(Principal::Member(Box::new(Tenant {
            user,
            account,
            plan,
            session_id,
        }))),
        // The gates refuse members without account or plan; a staff user with an account
        // is not a shape Quire creates.
        _ => Err(Error::Unauthenticated("token_invalid")),
    }
}
