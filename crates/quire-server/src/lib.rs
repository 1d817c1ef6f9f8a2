//! Quire's HTTP adapter: the JSON API, operational endpoints, docs and the middleware stack.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod state;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware,
    response::Redirect,
    routing::get,
};
use quire_core::Quire;
use state::AppState;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower::{Layer, ServiceBuilder, util::MapRequestLayer};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// A request still running after this answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything `quire serve` answers, with its middleware.
pub fn router(quire: Arc<Quire>) -> Result<Router, prometheus::Error> {
    let state = AppState {
        quire,
        metrics: Arc::new(metrics::Metrics::new()?),
    };
    let api = Router::new()
        .nest("/v1", api::router())
        .fallback(api_not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let request_id = HeaderName::from_static("x-request-id");
    Ok(Router::new()
        .route("/", get(|| async { Redirect::to("/api/docs/") }))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi::ApiDoc::openapi()))
        .nest("/api", api)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http())
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                ))
                .layer(CompressionLayer::new())
                .layer(DefaultBodyLimit::max(BODY_LIMIT))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("frame-ancestors 'none'"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                )),
        ))
}

async fn api_not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
}

/// API paths answer with and without the trailing slash: it is dropped before routing.
///
/// tower-http's `NormalizePathLayer` would do this for every path, which sends the docs
/// page (served at `/api/docs/`) into a redirect loop; so only `/api/v1/…` is trimmed.
fn trim_api_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.starts_with("/api/v1/") && path.len() > "/api/v1/".len() && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    quire: Arc<Quire>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(quire).map_err(std::io::Error::other)?;
    let app = MapRequestLayer::new(trim_api_trailing_slash).layer(router);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
