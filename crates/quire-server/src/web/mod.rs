//! Server-rendered pages: askama templates over the same services as the API, one stylesheet
//! and one small script. The tenant app at the root, the operators' console under `/admin/`.

pub mod admin;
mod admin_accounts;
mod admin_ai;
mod admin_ai_prices;
mod admin_audit;
mod admin_plan_form;
mod admin_plans;
mod admin_prompts;
mod admin_reference;
mod admin_sectors;
mod admin_seed_keyword;
mod admin_seed_keywords;
mod admin_usage;
mod admin_users;
mod app_account;
mod app_auth;
mod app_billing;
mod app_clusters;
mod app_confirm;
mod app_confirm_email;
mod app_content;
mod app_content_versions;
mod app_dashboard;
mod app_forgot_password;
mod app_ideas;
mod app_jobs;
mod app_keyword_actions;
mod app_keyword_edit;
mod app_keyword_files;
mod app_keyword_seeds;
mod app_keywords;
mod app_lists;
mod app_notice;
mod app_password_reset;
mod app_sites;
mod app_transfer;
mod app_usage;
mod app_writer;
mod app_writer_brief;
mod app_writer_generate;
mod assets;
mod chart;
mod form;
mod gate;
mod member;
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
        .merge(app_auth::router())
        .merge(app_billing::router())
        .merge(app_transfer::router())
        .merge(app_password_reset::router())
        .merge(app_forgot_password::router())
        .merge(app_confirm_email::router())
        .merge(app_account::router())
        .merge(app_dashboard::router())
        .merge(app_jobs::router())
        .merge(app_usage::router())
        .merge(app_sites::router())
        .merge(app_keywords::router())
        .merge(app_keyword_actions::router())
        .merge(app_keyword_edit::router())
        .merge(app_keyword_files::router())
        .merge(app_keyword_seeds::router())
        .merge(app_clusters::router())
        .merge(app_ideas::router())
        .merge(app_writer::router())
        .merge(app_writer_generate::router())
        .merge(app_content::router())
        .merge(app_content_versions::router())
}
