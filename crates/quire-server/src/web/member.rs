//! The tenant app's signed-in member: the page-session cookie turned into the tenant context
//! with the same gates as the API on every request, the CSRF check of their forms, and what
//! the app's layout needs.

use super::{gate, session::session_cookie_name};
use crate::state::AppState;
use axum::{
    extract::FromRequestParts,
    http::{Uri, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{
    Error,
    accounts::{
        principal::{self, Principal, Tenant},
        tokens::TokenType,
    },
};

/// A member who passed the gates, on one of the app's pages.
pub struct MemberPage {
    pub tenant: Tenant,
    pub csrf: String,
}

impl MemberPage {
    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_ok(&self, state: &AppState, submitted: &str) -> bool {
        state
            .quire
            .keys
            .verify_csrf(&self.tenant.session_id, submitted)
    }

    /// What the app's layout needs on a page of area `nav`.
    pub fn chrome(&self, nav: &'static str) -> AppChrome {
        AppChrome {
            nav,
            csrf: self.csrf.clone(),
            user_name: self.tenant.user.name.clone(),
            account_name: self.tenant.account.name.clone(),
            credits: self.tenant.account.credits,
        }
    }
}

/// The app's top bar: the current area, the sign-out form's token, who is signed in and the
/// credits they have.
pub struct AppChrome {
    pub nav: &'static str,
    pub csrf: String,
    pub user_name: String,
    pub account_name: String,
    pub credits: i64,
}

/// Where sign-in sends a visitor who asked for `uri`: back there afterwards.
pub fn sign_in_redirect(uri: &Uri) -> Response {
    let next = uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| *p != "/");
    match next {
        Some(next) => Redirect::to(&format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        ))
        .into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

impl FromRequestParts<AppState> for MemberPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar
            .get(session_cookie_name(&state.quire))
            .map(|c| c.value().to_owned())
        else {
            return Err(sign_in_redirect(&parts.uri));
        };
        match principal::authenticate_page(&state.quire, &token).await {
            Ok(Principal::Member(tenant)) => Ok(Self {
                csrf: state.quire.keys.csrf_token(&tenant.session_id),
                tenant: *tenant,
            }),
            Ok(Principal::Operator(_)) => Err(Redirect::to("/admin/").into_response()),
            Err(Error::Gate(refusal)) => {
                // Still signed in: the page offers to sign out and shows an unpaid renewal.
                let claims = state.quire.keys.verify(&token, TokenType::Page).ok();
                let refused = gate::Refused {
                    account_id: claims.as_ref().and_then(|c| c.account_id),
                    sign_out_csrf: claims.map(|c| state.quire.keys.csrf_token(&c.sid)),
                };
                Err(gate::page(state, refusal, refused).await)
            }
            Err(_) => Err(sign_in_redirect(&parts.uri)),
        }
    }
}

/// Nothing of that id in the member's account (another tenant's ids look the same).
pub fn not_found() -> Response {
    super::page::Message {
        heading: "Not found",
        text: "There is nothing here in your account. It may have been deleted.".to_owned(),
        link: "/dashboard",
        link_text: "Back to the dashboard",
    }
    .respond(axum::http::StatusCode::NOT_FOUND)
}
