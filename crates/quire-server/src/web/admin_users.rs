//! The console's users: members and operators, searched by email or name, deactivated (their
//! sessions end at once) or activated again (`admin::users`).

use super::{
    page::{PAGE_SIZE, enum_text, failure, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    accounts::password_reset,
    admin::users::{self, UserFilter},
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page))
        .route("/admin/users/{id}/activate", post(activate))
        .route("/admin/users/{id}/deactivate", post(deactivate))
        .route("/admin/users/{id}/reset_link", post(reset_link))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    search: String,
    rows: Vec<UserRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    notice: Option<Notice>,
}

struct Notice {
    ok: bool,
    text: &'static str,
}

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    account_id: Option<i64>,
    last_login: String,
    active: bool,
}

#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    search: String,
    ordering: Option<String>,
    page: Option<u64>,
    done: Option<String>,
}

async fn users_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<UsersQuery>,
) -> Response {
    let filter = UserFilter {
        search: Some(query.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..UserFilter::default()
    };
    let mut sort = Sort::new(
        "/admin/users",
        &[("search", &query.search)],
        query.ordering.as_deref(),
    );
    let request = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => request,
        Err(_) => return Redirect::to("/admin/users").into_response(),
    };
    let db = &state.quire.db;
    let mut listed = users::list(db, filter.clone(), sort.ordering(), request).await;
    if sort.refused(&listed) {
        listed = users::list(db, filter, None, request).await;
    }
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/admin/users").into_response(),
        Err(error) => return failure(&error),
    };
    render(
        StatusCode::OK,
        &UsersPage {
            chrome: page.chrome("users"),
            sort,
            search: query.search,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            notice: query.done.as_deref().map(|done| match done {
                "activated" => Notice {
                    ok: true,
                    text: "User activated: they can sign in again.",
                },
                "deactivated" => Notice {
                    ok: true,
                    text: "User deactivated: their sessions have ended.",
                },
                _ => Notice {
                    ok: false,
                    text: "You cannot deactivate yourself; ask another operator.",
                },
            }),
            rows: listed
                .items
                .into_iter()
                .map(|u| UserRow {
                    role: enum_text(&u.role),
                    last_login: u
                        .last_login_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".to_owned()),
                    active: u.is_active,
                    account_id: u.account_id,
                    id: u.id,
                    email: u.email,
                    name: u.name,
                })
                .collect(),
        },
    )
}

async fn activate(
    state: State<AppState>,
    page: OperatorPage,
    id: Path<i64>,
    form: Form<CsrfForm>,
) -> Response {
    set_active(state, page, id, form, true).await
}

async fn deactivate(
    state: State<AppState>,
    page: OperatorPage,
    id: Path<i64>,
    form: Form<CsrfForm>,
) -> Response {
    set_active(state, page, id, form, false).await
}

async fn set_active(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
    active: bool,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let done = match users::set_active(&state.quire, page.operator.user.id, id, active).await {
        Ok(_) if active => "activated",
        Ok(_) => "deactivated",
        Err(Error::Validation(_)) => "refused",
        Err(Error::NotFound) => return Redirect::to("/admin/users").into_response(),
        Err(error) => return failure(&error),
    };
    Redirect::to(&format!("/admin/users?done={done}")).into_response()
}

#[derive(Template)]
#[template(path = "admin/reset_link.html")]
struct ResetLinkPage {
    chrome: Chrome,
    email: String,
    link: String,
    expires: String,
}

/// Makes a password-reset link for the user and shows it once, to send them (it is not put
/// in an address or a log).
async fn reset_link(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let quire = &state.quire;
    let user = match users::get(&quire.db, id).await {
        Ok(user) => user,
        Err(Error::NotFound) => return Redirect::to("/admin/users").into_response(),
        Err(error) => return failure(&error),
    };
    match password_reset::issue_by_operator(quire, page.operator.user.id, id).await {
        Ok(issued) => {
            let base = quire.settings.public_url.as_deref().unwrap_or_default();
            render(
                StatusCode::OK,
                &ResetLinkPage {
                    chrome: page.chrome("users"),
                    email: user.email,
                    link: format!("{}{}", base.trim_end_matches('/'), issued.path()),
                    expires: issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                },
            )
        }
        Err(error) => failure(&error),
    }
}
