//! The JSON API under `/api/v1/`, one module per resource.

pub mod auth;
pub mod views;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().nest("/auth", auth::router())
}
