//! Page sessions: the signed page-session token in an HttpOnly, SameSite=Strict cookie (also
//! `Secure` and `__Host-` prefixed when Quire is served over TLS), the operator extractor that
//! applies the same gates as the API on every request, and the CSRF checks of every form.

use super::page::Message;
use crate::state::AppState;
use axum::{
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use quire_core::{
    Quire,
    accounts::{
        principal::{self, Operator, Principal},
        tokens::SignedToken,
    },
};

/// The page session's cookie.
pub fn session_cookie_name(quire: &Quire) -> &'static str {
    if quire.settings.serves_tls() {
        "__Host-quire_session"
    } else {
        "quire_session"
    }
}

/// The sign-in form's CSRF cookie (double submit: the form carries the same value).
pub fn login_cookie_name(quire: &Quire) -> &'static str {
    if quire.settings.serves_tls() {
        "__Host-quire_login"
    } else {
        "quire_login"
    }
}

/// A cookie only Quire's own pages send back: HttpOnly, SameSite=Strict, path `/`.
pub fn cookie(quire: &Quire, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(quire.settings.serves_tls())
        .path("/")
        .build()
}

/// The session cookie for `token`. It lasts as long as the browser's session; the token in
/// it expires on its own and dies at once with a sign-out.
pub fn session_cookie(quire: &Quire, token: &SignedToken) -> Cookie<'static> {
    cookie(quire, session_cookie_name(quire), token.token.clone())
}

/// A form that carries nothing but its CSRF token (a button that acts).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A random token for the sign-in form.
pub fn new_form_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The CSRF token of a form shown before sign-in (sign-in, sign-up, reporting a transfer):
/// the one already in the visitor's form cookie, else a new one the returned jar sets.
pub fn public_form_token(quire: &Quire, jar: CookieJar) -> (CookieJar, String) {
    let name = login_cookie_name(quire);
    match jar.get(name).map(|c| c.value().to_owned()) {
        Some(token) if !token.is_empty() => (jar, token),
        _ => {
            let token = new_form_token();
            (jar.add(cookie(quire, name, token.clone())), token)
        }
    }
}

/// Whether a form shown before sign-in came back with the token of the visitor's cookie.
pub fn public_form_ok(quire: &Quire, jar: &CookieJar, submitted: &str) -> bool {
    jar.get(login_cookie_name(quire))
        .is_some_and(|c| !c.value().is_empty() && c.value() == submitted)
}

/// A signed-in operator on a console page, with the CSRF token their forms carry.
pub struct OperatorPage {
    pub operator: Operator,
    /// The page-session token (for signing out).
    pub token: String,
    pub csrf: String,
}

impl OperatorPage {
    /// Whether a submitted form carries this session's CSRF token (else answer
    /// [`expired_form`]).
    pub fn csrf_ok(&self, state: &AppState, submitted: &str) -> bool {
        state
            .quire
            .keys
            .verify_csrf(&self.operator.session_id, submitted)
    }

    /// What the console's layout needs.
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        Chrome {
            nav,
            csrf: self.csrf.clone(),
            operator_email: self.operator.user.email.clone(),
        }
    }
}

/// The console's top bar: the current area, the sign-out form's CSRF token, who is signed in.
pub struct Chrome {
    pub nav: &'static str,
    pub csrf: String,
    pub operator_email: String,
}

pub fn expired_form() -> Response {
    Message {
        heading: "This form has expired",
        text: "Nothing was changed. Go back, reload the page and try again.".to_owned(),
        link: "/",
        link_text: "Back to Quire",
    }
    .respond(StatusCode::FORBIDDEN)
}

impl FromRequestParts<AppState> for OperatorPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let sign_in = || Redirect::to("/admin/login").into_response();
        let Some(token) = jar
            .get(session_cookie_name(&state.quire))
            .map(|c| c.value().to_owned())
        else {
            return Err(sign_in());
        };
        match principal::authenticate_page(&state.quire, &token).await {
            Ok(Principal::Operator(operator)) => Ok(Self {
                csrf: state.quire.keys.csrf_token(&operator.session_id),
                operator: *operator,
                token,
            }),
            Ok(Principal::Member(_)) => Err(Message {
                heading: "Operators only",
                text: "This console is for the people who run Quire. You are signed in to a \
                       tenant account."
                    .to_owned(),
                link: "/",
                link_text: "Go to Quire",
            }
            .respond(StatusCode::FORBIDDEN)),
            Err(_) => Err(sign_in()),
        }
    }
}
