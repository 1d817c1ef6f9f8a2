//! "Forgot password?": a visitor gives an address and, when a user signs in with it, a reset
//! link is emailed there. The page answers the same whether or not one does.

use super::{
    form::FieldErrors,
    page::{Message, render, too_many_requests},
    session::{expired_form, public_form_ok, public_form_token},
};
use crate::{api::credentials::forgot_answer, extract::ClientAddress, state::AppState};
use askama::Template;
use axum::{
    Form, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{
    Error, ValidationErrors,
    accounts::{email::Email, password_reset},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/forgot-password", get(forgot_form).post(forgot))
}

#[derive(Template)]
#[template(path = "app/forgot_password.html")]
struct ForgotPage {
    csrf: String,
    email: String,
    errors: FieldErrors,
}

async fn forgot_form(State(state): State<AppState>, jar: CookieJar) -> Response {
    let (jar, csrf) = public_form_token(&state.quire, jar);
    let page = ForgotPage {
        csrf,
        email: String::new(),
        errors: FieldErrors::default(),
    };
    (jar, render(StatusCode::OK, &page)).into_response()
}

#[derive(Deserialize)]
struct ForgotForm {
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(form): Form<ForgotForm>,
) -> Response {
    if !public_form_ok(&state.quire, &jar, &form.csrf) {
        return expired_form();
    }
    if let Err(Error::RateLimited { retry_after_secs }) =
        state.quire.rate_limits.password_reset(address)
    {
        return too_many_requests(
            "password-reset requests",
            retry_after_secs,
            "/forgot-password",
        );
    }
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            let page = ForgotPage {
                csrf: form.csrf,
                email: form.email,
                errors: FieldErrors::new(ValidationErrors::single("email", message)),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    // As the API: the lookup and the email happen after the answer.
    let quire = state.quire.clone();
    tokio::spawn(async move { password_reset::request_by_email(&quire, email.as_str()).await });
    Message {
        heading: "Check your email",
        text: forgot_answer(),
        link: "/login",
        link_text: "Go to sign-in",
    }
    .respond(StatusCode::OK)
}
