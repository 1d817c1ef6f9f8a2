//! Rendering a page: the template to HTML with the pages' security headers, and the short
//! message pages (not found, not allowed, expired form) every area shares.

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use quire_core::{Error, ValidationErrors};

/// The key under which a page's templates find the response's CSP nonce
/// (`("csp_nonce"|value::<String>)?` in `base.html`, on its `<script>` and stylesheet).
const NONCE_KEY: &str = "csp_nonce";

/// The Content-Security-Policy of a page whose `<script>` and `<style>`/stylesheet elements
/// carry `nonce`: only those run or apply (no inline script or style without it, no script
/// from anywhere else); images only from Quire or `data:`; forms post only to Quire; never
/// framed.
fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:; object-src 'none'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// A fresh nonce for one response: 128 random bits, hex.
fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// `template` rendered with `status`, under a policy with a nonce of its own; a template that
/// fails to render is a 500 message page.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    let nonce = new_nonce();
    let policy = HeaderValue::from_str(&content_security_policy(&nonce));
    let values: [(&str, &dyn std::any::Any); 1] = [(NONCE_KEY, &nonce)];
    match (template.render_with_values(&values), policy) {
        (Ok(html), Ok(policy)) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        (Err(error), _) => {
            tracing::error!(%error, "a page failed to render");
            render_failed()
        }
        (_, Err(error)) => {
            tracing::error!(%error, "a page's policy is not a header value");
            render_failed()
        }
    }
}

fn render_failed() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>Error</title><p>Something went wrong.</p>"),
    )
        .into_response()
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

/// "in N seconds" for a short wait, "in N minutes" (rounded up) for a longer one.
pub fn retry_in(seconds: u64) -> String {
    if seconds < 120 {
        format!("in {seconds} seconds")
    } else {
        format!("in {} minutes", seconds.div_ceil(60))
    }
}

/// `response` with the `Retry-After` header a 429 carries.
pub fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The page for a rate limit on a public form: 429, what happened and when to try again.
pub fn too_many_requests(what: &str, retry_after_secs: u64, link: &'static str) -> Response {
    let page = Message {
        heading: "Too many requests",
        text: format!(
            "Too many {what} from your network. Nothing was done; try again {}.",
            retry_in(retry_after_secs)
        ),
        link,
        link_text: "Back",
    };
    with_retry_after(
        page.respond(StatusCode::TOO_MANY_REQUESTS),
        retry_after_secs,
    )
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
