//! The page a confirmation link opens: it names the new sign-in address and changes it with
//! one button (a form, so a mail scanner that fetches the link changes nothing).

use super::{
    page::{Message, failure, render},
    session::{expired_form, public_form_ok, public_form_token},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{Error, accounts::email_change};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/confirm-email", get(confirm_form).post(confirm))
}

#[derive(Template)]
#[template(path = "app/confirm_email.html")]
struct ConfirmPage {
    csrf: String,
    token: String,
    email: String,
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
            "Confirmation links work once, for {} minutes. Sign in and ask for a new one on \
             your Account page.",
            email_change::LIFETIME_MINUTES
        ),
        link: "/account",
        link_text: "Go to your account",
    }
    .respond(StatusCode::GONE)
}

async fn confirm_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LinkQuery>,
) -> Response {
    match email_change::pending_address(&state.quire, &query.token).await {
        Ok(Some(email)) => {
            let (jar, csrf) = public_form_token(&state.quire, jar);
            let page = ConfirmPage {
                csrf,
                token: query.token,
                email,
            };
            (jar, render(StatusCode::OK, &page)).into_response()
        }
        Ok(None) => link_dead(),
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    #[serde(default)]
    token: String,
}

async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<ConfirmForm>,
) -> Response {
    if !public_form_ok(&state.quire, &jar, &form.csrf) {
        return expired_form();
    }
    match email_change::confirm(&state.quire, &form.token).await {
        Ok(user) => Message {
            heading: "Your email address is changed",
            text: format!("From now on you sign in as {}.", user.email),
            link: "/login",
            link_text: "Go to sign-in",
        }
        .respond(StatusCode::OK),
        Err(Error::Validation(errors)) if errors.fields().contains_key("token") => link_dead(),
        Err(Error::Validation(errors)) => Message {
            heading: "This address cannot be used",
            text: super::page::messages(&errors),
            link: "/account",
            link_text: "Go to your account",
        }
        .respond(StatusCode::CONFLICT),
        Err(error) => failure(&error),
    }
}
