//! Quire's HTTP adapter: the JSON API, operational endpoints, docs and the middleware stack.

pub mod api;
pub mod error;
pub mod extract;
pub mod listing;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod state;
pub mod web;

use axum::{
    BoxError, Router,
    body::{Bytes, HttpBody},
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware,
    response::IntoResponse,
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
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Browsers that reached Quire over TLS keep to TLS for a year (`Strict-Transport-Security`,
/// sent only when `public_url` is `https://`; not for subdomains, which Quire does not own).
const HSTS: &str = "max-age=31536000";

/// The interactive API docs (Swagger UI) load their scripts from Quire and set styles inline,
/// so they get a policy of their own instead of the pages' nonce-based one.
const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Everything `quire serve` answers, with its middleware.
pub fn router(quire: Arc<Quire>) -> Result<Router, prometheus::Error> {
    let state = AppState {
        quire,
        metrics: Arc::new(metrics::Metrics::new()?),
    };
    let hsts = state.quire.settings.serves_tls().then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )
    });
    let request_timeout = Duration::from_secs(state.quire.settings.request_timeout_seconds);
    let (routes, spec) = routes().split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    Ok(routes
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", spec))
        .merge(web::router())
        .fallback(not_found)
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
                .layer(middleware::map_response_with_state(
                    request_timeout,
                    explain_timeout,
                ))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    request_timeout,
                ))
                .layer(CompressionLayer::new())
                .layer(DefaultBodyLimit::max(BODY_LIMIT))
                .layer(middleware::map_response(api_no_store))
                .option_layer(hsts)
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

/// The OpenAPI document `/api/openapi.json` serves, built from the same routes the server runs.
pub fn api_spec() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// Every documented route: the operational endpoints and the API.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(utoipa_axum::routes!(ops::healthz))
        .routes(utoipa_axum::routes!(ops::readyz))
        .routes(utoipa_axum::routes!(ops::metrics))
        .nest("/api/v1", api::router())
}

/// API answers are never cached; the API docs get their own policy.
async fn api_no_store(
    request_path: axum::extract::OriginalUri,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let path = request_path.path();
    if path.starts_with("/api/") {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if path.starts_with("/api/docs") {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        );
    }
    response
}

/// The time-out layer answers 408 with an empty body; this gives it the API's error body.
async fn explain_timeout<B>(
    State(limit): State<Duration>,
    response: axum::http::Response<B>,
) -> axum::response::Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    if response.status() != StatusCode::REQUEST_TIMEOUT {
        return response.into_response();
    }
    error::ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "The request ran past the server's {}-second limit and was stopped.",
            limit.as_secs()
        ),
    )
    .into_response()
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
}

/// API paths answer with and without the trailing slash: one is added before routing, since
/// every `/api/v1/` route is declared (and documented) with it.
fn add_api_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.starts_with("/api/v1/") && !path.ends_with('/') {
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
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
    let app = MapRequestLayer::new(add_api_trailing_slash).layer(router);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
