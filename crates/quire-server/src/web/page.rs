//! Rendering a page: the template to HTML with the pages' security headers, and the short
//! message pages (not found, not allowed, expired form) every area shares.

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use quire_core::{Error, ValidationErrors};

/// Pages load scripts, styles and images only from Quire itself, post forms only to it, and
/// are never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `template` rendered with `status`; a template that fails to render is a 500 message page.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong.</p>"),
            )
                .into_response()
        }
    }
}

/// Rows per page of the console's tables.
pub const PAGE_SIZE: u64 = 50;

/// A short page that says what happened and where to go next.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub heading: &'static str,
    pub text: String,
    pub link: &'static str,
    pub link_text: &'static str,
}

impl Message {
    pub fn respond(self, status: StatusCode) -> Response {
        render(status, &self)
    }
}

/// An unexpected error: logged, and a page that says so.
pub fn failure(error: &Error) -> Response {
    tracing::error!(%error, "page failed");
    Message {
        heading: "Something went wrong",
        text: "Nothing was changed. Try again; if it keeps happening, tell support.".to_owned(),
        // `/` leads a member to their dashboard and an operator to the console.
        link: "/",
        link_text: "Back to Quire",
    }
    .respond(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An enum stored as snake_case text, as people read it in a table.
pub fn enum_text(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every field message of `errors`, as one sentence run for a notice.
pub fn messages(errors: &ValidationErrors) -> String {
    errors
        .fields()
        .values()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}
