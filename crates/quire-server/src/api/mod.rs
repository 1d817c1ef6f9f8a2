//! The JSON API under `/api/v1/`, one module per resource; each registers its routes with
//! their OpenAPI description, so the router and the spec cannot drift apart.

pub mod account_data;
pub mod accounts;
pub mod admin;
pub mod admin_accounts;
pub mod admin_ai;
pub mod admin_audit;
pub mod admin_plans;
pub mod admin_reference;
pub mod admin_seed_keywords;
pub mod admin_subscriptions;
pub mod admin_usage;
pub mod admin_users;
pub mod auth;
pub mod billing;
pub mod credentials;
pub mod jobs;
pub mod planner_clusters;
pub mod planner_ideas;
pub mod planner_jobs;
pub mod planner_keywords;
pub mod reference;
pub mod sectors;
pub mod sites;
pub mod views;
pub mod webhooks;
pub mod writer_content;
pub mod writer_jobs;
pub mod writer_tasks;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .nest(
            "/auth",
            auth::router()
                .merge(credentials::router())
                .merge(sites::router())
                .merge(sectors::router())
                .merge(accounts::router())
                .merge(account_data::router())
                .merge(reference::auth_router()),
        )
        .nest(
            "/planner",
            reference::planner_router()
                .merge(planner_clusters::router())
                .merge(planner_ideas::router())
                .merge(planner_jobs::router())
                .merge(planner_keywords::router()),
        )
        .nest(
            "/writer",
            writer_tasks::router()
                .merge(writer_content::router())
                .merge(writer_jobs::router()),
        )
        .merge(jobs::router())
        .nest("/billing", billing::router().merge(webhooks::router()))
        .nest("/admin", admin::router())
}
