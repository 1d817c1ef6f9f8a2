//! The signed-in member's own sign-in settings: change the password (the current one first;
//! their other sessions end) and change the email address (confirmed by a link sent to it);
//! for the owner, download all the account's data and delete the account.

use super::{
    app_notice::Notice,
    form::FieldErrors,
    member::{AppChrome, MemberPage},
    page::{failure, render},
    session::{cookie, expired_form, session_cookie_name},
};
use crate::{api::account_data, state::AppState};
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use quire_core::{
    Error,
    accounts::{
        deletion, email_change, export,
        password_change::{self, PasswordChange},
    },
    entities::enums::UserRole,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
        .route("/account/export", get(download_data))
        .route("/account/delete", post(delete_account))
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
    /// Only the owner downloads the account's data and deletes the account.
    is_owner: bool,
    delete_errors: FieldErrors,
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
            is_owner: page.tenant.user.role == UserRole::Owner,
            delete_errors: FieldErrors::default(),
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

/// The account's data as a JSON download (the API's export, for the owner's browser).
async fn download_data(State(state): State<AppState>, page: MemberPage) -> Response {
    if let Err(error) = export::authorise(&page.tenant) {
        return refused(&page, &error);
    }
    account_data::download(state.quire.clone(), page.tenant)
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: String,
    #[serde(default)]
    password: String,
}

/// Deletes the account when the owner's password confirms it, then signs the browser out.
async fn delete_account(
    State(state): State<AppState>,
    jar: CookieJar,
    page: MemberPage,
    Form(form): Form<DeleteForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    match deletion::delete(&state.quire, &page.tenant, &form.password).await {
        Ok(_) => {
            let name = session_cookie_name(&state.quire);
            let jar = jar.remove(cookie(&state.quire, name, String::new()));
            (jar, Redirect::to("/login?done=account_deleted")).into_response()
        }
        Err(Error::Validation(errors)) => {
            let mut view = AccountPage::new(&page, None);
            view.delete_errors = FieldErrors::new(errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(error) => refused(&page, &error),
    }
}

/// The account page with the reason an owner-only action was refused, or a failure page.
fn refused(page: &MemberPage, error: &Error) -> Response {
    match error {
        Error::RoleNotAllowed => render(
            StatusCode::FORBIDDEN,
            &AccountPage::new(
                page,
                Some(Notice::refused(
                    "Only the account's owner can download its data or delete it.",
                )),
            ),
        ),
        other => failure(other),
    }
}
