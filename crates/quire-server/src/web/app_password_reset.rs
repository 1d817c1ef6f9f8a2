//! The page a password-reset link opens: a new password, set once (`password_reset::reset`),
//! which ends every session of the user; then sign in.

use super::{
    form::FieldErrors,
    page::{Message, failure, render, too_many_requests},
    session::{expired_form, public_form_ok, public_form_token},
};
use crate::{extract::ClientAddress, state::AppState};
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{Error, accounts::password_reset};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/reset-password", get(reset_form).post(reset))
}

#[derive(Template)]
#[template(path = "app/reset_password.html")]
struct ResetPage {
    csrf: String,
    token: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct LinkQuery {
    #[serde(default)]
    token: String,
}

fn link_dead() -> Response {
    Message {
        heading: "This link no longer works",
        text: format!(
            "Password links work once, for {} minutes. Ask for a new one.",
            password_reset::LIFETIME_MINUTES
        ),
        link: "/forgot-password",
        link_text: "Email me a new link",
    }
    .respond(StatusCode::GONE)
}

async fn reset_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LinkQuery>,
) -> Response {
    match password_reset::is_usable(&state.quire, &query.token).await {
        Ok(true) => {
            let (jar, csrf) = public_form_token(&state.quire, jar);
            let page = ResetPage {
                csrf,
                token: query.token,
                errors: FieldErrors::default(),
            };
            (jar, render(StatusCode::OK, &page)).into_response()
        }
        Ok(false) => link_dead(),
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

async fn reset(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(form): Form<ResetForm>,
) -> Response {
    if !public_form_ok(&state.quire, &jar, &form.csrf) {
        return expired_form();
    }
    if let Err(Error::RateLimited { retry_after_secs }) =
        state.quire.rate_limits.password_reset(address)
    {
        return too_many_requests("password-reset requests", retry_after_secs, "/login");
    }
    match password_reset::reset(&state.quire, &form.token, &form.password).await {
        Ok(()) => Message {
            heading: "Your password is changed",
            text: "Every session of yours has ended. Sign in with the new password.".to_owned(),
            link: "/login",
            link_text: "Go to sign-in",
        }
        .respond(StatusCode::OK),
        Err(Error::Validation(errors)) if errors.fields().contains_key("token") => link_dead(),
        Err(Error::Validation(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage {
                csrf: form.csrf,
                token: form.token,
                errors: FieldErrors::new(errors),
            },
        ),
        Err(error) => failure(&error),
    }
}
