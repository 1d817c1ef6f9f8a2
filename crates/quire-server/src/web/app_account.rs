//! The signed-in member's own sign-in settings: change the password (the current one first;
//! their other sessions end) and change the email address (confirmed by a link sent to it).

use super::{
    app_notice::Notice,
    form::FieldErrors,
    member::{AppChrome, MemberPage},
    page::{failure, render},
    session::expired_form,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    accounts::{
        email_change,
        password_change::{self, PasswordChange},
    },
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
}

#[derive(Template)]
#[template(path = "app/account.html")]
struct AccountPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    email: String,
    new_email: String,
    password_errors: FieldErrors,
    email_errors: FieldErrors,
}

impl AccountPage {
    fn new(page: &MemberPage, notice: Option<Notice>) -> Self {
        Self {
            chrome: page.chrome("account"),
            notice,
            email: page.tenant.user.email.clone(),
            new_email: String::new(),
            password_errors: FieldErrors::default(),
            email_errors: FieldErrors::default(),
        }
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn account_page(page: MemberPage, Query(query): Query<DoneQuery>) -> Response {
    let notice = match query.done.as_deref() {
        Some("password") => Some(Notice::ok(
            "Your password is changed. Your other sessions have ended.",
        )),
        Some("email") => Some(Notice::ok(format!(
            "We sent a link to the new address. Open it within {} minutes to confirm it; until \
             then you sign in as before.",
            email_change::LIFETIME_MINUTES
        ))),
        _ => None,
    };
    render(StatusCode::OK, &AccountPage::new(&page, notice))
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    page: MemberPage,
    Form(form): Form<PasswordForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let change = PasswordChange {
        current: &form.current_password,
        new: &form.new_password,
    };
    let tenant = &page.tenant;
    match password_change::change(&state.quire, tenant.user.id, &tenant.session_id, change).await {
        Ok(()) => Redirect::to("/account?done=password").into_response(),
        Err(Error::Validation(errors)) => {
            let mut view = AccountPage::new(&page, None);
            view.password_errors = FieldErrors::new(errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct EmailForm {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn change_email(
    State(state): State<AppState>,
    page: MemberPage,
    Form(form): Form<EmailForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    match email_change::request(
        &state.quire,
        page.tenant.user.id,
        &form.password,
        &form.email,
    )
    .await
    {
        Ok(_) => Redirect::to("/account?done=email").into_response(),
        Err(Error::Validation(errors)) => {
            let mut view = AccountPage::new(&page, None);
            view.new_email = form.email;
            view.email_errors = FieldErrors::new(errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(error) => failure(&error),
    }
}
