//! The console's audit log: every operator action and billing transition, newest first,
//! searched by action (or prefix), account and text (`admin::audit_log`, read-only).

use super::{
    page::{PAGE_SIZE, failure, messages, render},
    session::{Chrome, OperatorPage},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use quire_core::{
    Error,
    admin::audit_log::{self, AuditFilter},
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    action: String,
    account_id: String,
    search: String,
    rows: Vec<AuditRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    error: Option<String>,
}

struct AuditRow {
    when: String,
    actor: String,
    action: String,
    object: String,
    account_id: Option<i64>,
    before: String,
    after: String,
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    search: String,
    ordering: Option<String>,
    page: Option<u64>,
}

async fn audit_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<AuditQuery>,
) -> Response {
    let mut view = AuditPage {
        chrome: page.chrome("audit"),
        sort: Sort::new(
            "/admin/audit",
            &[
                ("action", &query.action),
                ("account_id", &query.account_id),
                ("search", &query.search),
            ],
            query.ordering.as_deref(),
        ),
        action: query.action.clone(),
        account_id: query.account_id.clone(),
        search: query.search.clone(),
        rows: Vec::new(),
        page: 1,
        pages: 1,
        error: None,
    };
    let account_id = match query.account_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                view.error = Some("The account id is a number.".to_owned());
                return render(StatusCode::BAD_REQUEST, &view);
            }
        },
    };
    let filter = AuditFilter {
        action: Some(query.action.trim().to_owned()).filter(|a| !a.is_empty()),
        account_id,
        search: Some(query.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..AuditFilter::default()
    };
    let db = &state.quire.db;
    let listed = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => {
            let listed = audit_log::list(db, filter.clone(), view.sort.ordering(), request).await;
            if view.sort.refused(&listed) {
                audit_log::list(db, filter, None, request).await
            } else {
                listed
            }
        }
        Err(error) => Err(error),
    };
    match listed {
        Ok(listed) => {
            view.page = listed.page;
            view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
            view.rows = listed
                .items
                .into_iter()
                .map(|row| AuditRow {
                    when: row.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    object: match row.object_id {
                        Some(id) => format!("{} {id}", row.object_type),
                        None => row.object_type,
                    },
                    actor: row.actor,
                    action: row.action,
                    account_id: row.account_id,
                    before: row.before.unwrap_or_default(),
                    after: row.after.unwrap_or_default(),
                })
                .collect();
            render(StatusCode::OK, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => render(StatusCode::OK, &view),
        Err(error) => failure(&error),
    }
}
