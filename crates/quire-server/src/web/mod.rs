//! Server-rendered pages: askama templates over the same services as the API, one stylesheet
//! and one small script. For now the operators' console under `/admin/`.

pub mod admin;
mod admin_accounts;
mod admin_audit;
mod admin_plan_form;
mod admin_plans;
mod admin_usage;
mod admin_users;
mod assets;
mod chart;
mod form;
mod page;
mod session;
mod table;

use crate::state::AppState;
use axum::{Router, routing::get};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/quire.css", get(assets::stylesheet))
        .route("/static/quire.js", get(assets::script))
        .merge(admin::router())
}
