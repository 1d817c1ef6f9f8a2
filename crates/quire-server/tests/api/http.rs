//! HTTP conventions every endpoint keeps: error bodies, limits, slashes, headers, docs,
//! health, metrics, and a signing key that survives restarts.

use crate::common::{Backend, TestApp, body};
use reqwest::StatusCode;
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    malformed_json_gets_400_with_code,
    a_body_over_one_mebibyte_gets_413,
    a_body_that_is_not_json_gets_415,
    a_missing_field_is_named_in_the_error,
    paths_work_with_and_without_the_trailing_slash,
    api_answers_carry_the_security_headers_and_no_store,
    unknown_api_paths_get_a_json_404,
    a_path_id_that_does_not_parse_gets_a_json_400_naming_it,
    a_page_past_any_list_gets_400_not_a_dropped_connection,
    health_and_readiness_answer_200,
    metrics_count_requests_by_route_and_status,
    the_openapi_document_describes_every_endpoint,
    the_docs_page_is_served_without_any_download,
    sessions_survive_a_restart_with_the_generated_key,
);

async fn malformed_json_gets_400_with_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for raw in ["{", "{\"email\": }", "[1,2", "nul"] {
        let response = app
            .client
            .post(app.url("/api/v1/auth/login/"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{raw}");
        let error = body(response).await;
        assert_eq!(error["code"], "malformed_json", "{raw}");
        assert!(error["detail"].is_string());
    }
}

async fn a_body_over_one_mebibyte_gets_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = json!({"email": "a@example.com", "password": "x".repeat(1024 * 1024 + 1)});
    let response = app.post("/api/v1/auth/register/", &huge, None).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(response).await["code"], "payload_too_large");
}

async fn a_body_that_is_not_json_gets_415(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login/"))
        .header("content-type", "text/plain")
        .body("email=a@example.com")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body(response).await["code"], "unsupported_media_type");
}

async fn a_missing_field_is_named_in_the_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post(
            "/api/v1/auth/login/",
            &json!({"email": "a@example.com"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert_eq!(error["code"], "invalid");
    assert_eq!(error["password"][0], "This field is required.");
    let response = app
        .post(
            "/api/v1/auth/login/",
            &json!({"email": 5, "password": "x"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body(response).await["email"].is_array());
}

async fn paths_work_with_and_without_the_trailing_slash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/api/v1/auth/plans/",
        "/api/v1/auth/plans",
        "/api/v1/auth/payment-methods/",
        "/api/v1/auth/payment-methods",
        "/api/v1/auth/plans/?page=1",
    ] {
        assert_eq!(app.get(path, None).await.status(), StatusCode::OK, "{path}");
    }
    let session = app.signed_in_free_member("ada@example.com").await;
    let access = session["access"].as_str().expect("token");
    for path in ["/api/v1/auth/me/", "/api/v1/auth/me"] {
        assert_eq!(
            app.get(path, Some(access)).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
}

async fn api_answers_carry_the_security_headers_and_no_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/auth/plans/", "/api/v1/auth/me/", "/healthz"] {
        let response = app.get(path, None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(headers.contains_key("x-request-id"), "{path}");
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

async fn unknown_api_paths_get_a_json_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/nothing/here/", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body(response).await["code"], "not_found");
}

async fn a_path_id_that_does_not_parse_gets_a_json_400_naming_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("paths@example.com", "free").await;
    for id in ["abc", "9223372036854775808", "1.5"] {
        let response = app
            .get(&format!("/api/v1/auth/sites/{id}/"), Some(&token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{id}");
        let error = body(response).await;
        assert_eq!(error["code"], "invalid", "{id}");
        assert!(
            error["id"][0].as_str().is_some_and(|m| m.contains(id)),
            "{error}"
        );
    }
}

async fn a_page_past_any_list_gets_400_not_a_dropped_connection(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("pages@example.com", "free").await;
    let response = app
        .get("/api/v1/auth/sites/?page=9223372036854775808", Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert_eq!(error["code"], "invalid");
    assert!(error["page"].is_array(), "{error}");
}

async fn health_and_readiness_answer_200(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(body(health).await["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(body(ready).await["status"], "ready");
}

async fn metrics_count_requests_by_route_and_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/api/v1/auth/plans/", None).await;
    app.get("/api/v1/auth/me/", None).await;
    let text = app.get("/metrics", None).await.text().await.expect("text");
    assert!(
        text.contains(
            r#"quire_http_requests_total{method="GET",route="/api/v1/auth/plans/",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/auth/me/",status="401""#),
        "{text}"
    );
    assert!(text.contains("quire_http_request_duration_seconds_bucket"));

    // Database round trips are counted: an authenticated request adds its own.
    let statements = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("quire_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no statement counter in {text}"))
    };
    let token = app.active_member("counted@example.com", "free").await;
    let before = statements(&app.get("/metrics", None).await.text().await.expect("text"));
    let me = app.get("/api/v1/auth/me/", Some(&token)).await;
    assert_eq!(me.status(), reqwest::StatusCode::OK);
    let after = statements(&app.get("/metrics", None).await.text().await.expect("text"));
    assert!(after > before, "{before} → {after}");

    // An authenticated list: the tenant context with its gates, then the page with its count.
    let created = app
        .post(
            "/api/v1/auth/sites/",
            &json!({"name": "Counted", "url": "https://counted.example.com"}),
            Some(&token),
        )
        .await;
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    for (path, status) in [
        ("/api/v1/auth/sites/", reqwest::StatusCode::OK),
        ("/api/v1/auth/sites/?page=2", reqwest::StatusCode::NOT_FOUND),
    ] {
        let before = statements(&app.get("/metrics", None).await.text().await.expect("text"));
        let listed = app.get(path, Some(&token)).await;
        assert_eq!(listed.status(), status, "{path}");
        let after = statements(&app.get("/metrics", None).await.text().await.expect("text"));
        assert_eq!(after - before, 2, "round trips of GET {path}");
        if status == reqwest::StatusCode::OK {
            let page: Value = body(listed).await;
            assert_eq!(page["count"], 1, "{page}");
        }
    }
}

async fn the_openapi_document_describes_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec: Value = body(app.get("/api/openapi.json", None).await).await;
    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/plans/", "get"),
        ("/api/v1/auth/payment-methods/", "get"),
        ("/api/v1/auth/register/", "post"),
        ("/api/v1/auth/login/", "post"),
        ("/api/v1/auth/refresh/", "post"),
        ("/api/v1/auth/logout/", "post"),
        ("/api/v1/auth/me/", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty())
        );
    }
    let login = &paths["/api/v1/auth/login/"]["post"]["responses"];
    for status in ["200", "401", "402", "403", "429"] {
        assert!(login[status].is_object(), "login {status}");
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

async fn the_docs_page_is_served_without_any_download(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The address `quire serve` prints leads a visitor to the pricing page; the docs are at
    // `/api/docs/`.
    let home = app.get("/", None).await;
    assert_eq!(home.url().path(), "/pricing");
    let page = app.get("/api/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load anything remote"
    );
}

async fn sessions_survive_a_restart_with_the_generated_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let access = session["access"].as_str().expect("token").to_owned();
    let database = app.stop().await;
    let restarted = TestApp::spawn_on(database, |_| {}).await;
    assert_eq!(
        restarted
            .get("/api/v1/auth/me/", Some(&access))
            .await
            .status(),
        StatusCode::OK
    );
}
