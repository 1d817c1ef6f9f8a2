//! Web hardening (issue 11, item 6): every page carries a Content-Security-Policy with a nonce
//! of its own response, and no script or style runs without it; pages are never framed; over
//! TLS, HSTS and `__Host-` cookies; every form that posts carries a CSRF token; the API docs
//! keep a policy they work under.

use crate::{
    browser::Browser,
    common::{Backend, TestApp},
    visitor::Visitor,
};
use reqwest::{StatusCode, header};
use std::path::{Path, PathBuf};

quire_testkit::on_both_backends!(
    every_page_has_a_policy_with_a_nonce_of_its_own,
    over_tls_answers_carry_hsts_and_cookies_are_host_prefixed,
    the_api_docs_load_under_their_own_policy,
);

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The nonce a policy allows scripts with.
fn script_nonce(policy: &str) -> String {
    policy
        .split("script-src 'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no script nonce in {policy}"))
        .to_owned()
}

async fn every_page_has_a_policy_with_a_nonce_of_its_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("page@example.com", "free").await;
    let mut member = Visitor::new(&app.url(""));
    member.sign_in("page@example.com").await;
    let mut seen = Vec::new();
    for path in [
        "/login",
        "/login",
        "/pricing",
        "/forgot-password",
        "/dashboard",
        "/account",
    ] {
        let response = member.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let policy = header_of(&response, header::CONTENT_SECURITY_POLICY);
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert!(
            header_of(&response, header::STRICT_TRANSPORT_SECURITY).is_empty(),
            "no HSTS over plain HTTP"
        );
        assert_eq!(header_of(&response, header::X_FRAME_OPTIONS), "DENY");
        let nonce = script_nonce(&policy);
        assert!(nonce.len() >= 22, "{nonce}");
        assert!(policy.contains(&format!("style-src 'self' 'nonce-{nonce}'")));
        let html = response.text().await.expect("html");
        assert!(
            html.contains(&format!(
                "<script src=\"/static/quire.js\" defer nonce=\"{nonce}\"></script>"
            )),
            "{path}: the page's script carries the response's nonce"
        );
        assert!(html.contains(&format!("href=\"/static/quire.css\" nonce=\"{nonce}\"")));
        seen.push(nonce);
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a nonce per response: {seen:?}");
    // A message page (not found) has one too.
    let missing = member.get("/sites/999999").await;
    assert!(script_nonce(&header_of(&missing, header::CONTENT_SECURITY_POLICY)).len() >= 22);
}

async fn over_tls_answers_carry_hsts_and_cookies_are_host_prefixed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.public_url = Some("https://quire.example".to_owned());
    })
    .await;
    for path in ["/login", "/healthz", "/api/v1/auth/plans/"] {
        let response = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(
            header_of(&response, header::STRICT_TRANSPORT_SECURITY),
            "max-age=31536000",
            "{path}"
        );
    }
    let login = app.client.get(app.url("/login")).send().await.expect("get");
    let cookie = header_of(&login, header::SET_COOKIE);
    assert!(cookie.starts_with("__Host-quire_login="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");

    let plain = TestApp::spawn(Backend::Sqlite).await;
    let response = plain
        .client
        .get(plain.url("/login"))
        .send()
        .await
        .expect("get");
    assert!(
        response
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}

async fn the_api_docs_load_under_their_own_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let docs = app
        .client
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("get");
    assert_eq!(docs.status(), StatusCode::OK);
    let policy = header_of(&docs, header::CONTENT_SECURITY_POLICY);
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let html = docs.text().await.expect("html");
    assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");
    for asset in [
        "swagger-initializer.js",
        "swagger-ui-bundle.js",
        "swagger-ui.css",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/docs/{asset}")))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
    }
    let spec = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(spec.status(), StatusCode::OK);
}

/// Swagger UI, under its policy, renders the operations in a real browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_render_in_a_browser() {
    let Some(browser) = Browser::start("api_docs").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    browser
        .run(async |b| {
            b.step("docs");
            b.open(&format!("{base}/api/docs/")).await;
            let operation = b
                .find_within(".opblock", std::time::Duration::from_secs(15))
                .await;
            assert!(!operation.text().await.expect("text").is_empty());
        })
        .await;
}

fn templates() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, found: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("templates dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "html") {
                let text = std::fs::read_to_string(&path).expect("template");
                found.push((path, text));
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut found,
    );
    assert!(found.len() > 20, "the templates were found");
    found
}

/// Every `<form method="post">` of every template carries the `csrf` field.
#[test]
fn every_form_that_posts_carries_a_csrf_token() {
    let mut missing = Vec::new();
    let mut forms = 0;
    for (path, text) in templates() {
        let lowered = text.to_lowercase();
        for (start, _) in lowered.match_indices("<form") {
            let tag_end = lowered[start..]
                .find('>')
                .map_or(lowered.len(), |i| start + i);
            let tag = &lowered[start..tag_end];
            if !tag.contains("method=\"post\"") {
                continue;
            }
            forms += 1;
            let end = lowered[start..]
                .find("</form>")
                .map_or(lowered.len(), |i| start + i);
            if !lowered[start..end].contains("name=\"csrf\"") {
                missing.push(format!("{}: {}", path.display(), &text[start..tag_end]));
            }
        }
    }
    assert!(forms > 30, "{forms} forms found");
    assert!(
        missing.is_empty(),
        "forms without a CSRF token: {missing:#?}"
    );
}

/// No template has an inline script, style or event handler the pages' policy would block:
/// the one `<script>` and stylesheet carry the nonce.
#[test]
fn no_template_has_inline_script_or_style_without_the_nonce() {
    let mut found = Vec::new();
    for (path, text) in templates() {
        let lowered = text.to_lowercase();
        for pattern in ["<script", "<style", "<link"] {
            for (start, _) in lowered.match_indices(pattern) {
                let tag_end = lowered[start..]
                    .find('>')
                    .map_or(lowered.len(), |i| start + i);
                if !lowered[start..tag_end].contains("nonce=\"{{ nonce }}\"") {
                    found.push(format!("{}: {}", path.display(), &text[start..tag_end]));
                }
            }
        }
        for attribute in [
            " style=",
            " onclick=",
            " onsubmit=",
            " onchange=",
            " onload=",
            "javascript:",
        ] {
            if lowered.contains(attribute) {
                found.push(format!("{}: {attribute}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "blocked by the policy: {found:#?}");
}
