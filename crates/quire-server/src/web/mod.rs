//! Server-rendered pages: askama templates over the same services as the API, one stylesheet
//! and one small script. The tenant app at the root, the operators' console under `/admin/`.

pub mod admin;
mod admin_accounts;
mod admin_audit;
mod admin_plans;
mod admin_usage;
mod admin_users;
mod app_auth;
mod app_content;
mod app_content_versions;
mod app_dashboard;
mod app_jobs;
mod app_lists;
mod app_notice;
mod app_writer;
mod app_writer_brief;
mod app_writer_generate;
mod assets;
mod chart;
mod gate;
mod member;
mod page;
mod session;

use crate::state::AppState;
use axum::{Router, routing::get};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/quire.css", get(assets::stylesheet))
        .route("/static/quire.js", get(assets::script))
        .merge(admin::router())
        .merge(app_auth::router())
        .merge(app_dashboard::router())
        .merge(app_jobs::router())
        .merge(app_writer::router())
        .merge(app_writer_generate::router())
        .merge(app_content::router())
        .merge(app_content_versions::router())
}
