//! Operators' audit log: newest first, before and after as JSON, every filter, pages, and no
//! way to change or remove an entry.

use crate::admin_usage::operator_token;
use crate::common::{Backend, TestApp, body};
use chrono::{DateTime, Utc};
use quire_core::audit::{self, Entry};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    the_log_lists_newest_first_with_before_and_after_as_json,
    every_filter_narrows_the_log,
    the_log_cannot_be_changed_through_the_api,
);

/// (actor, action, object type, object id, account id, before, after, instant)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<i64>,
    Option<Value>,
    Option<Value>,
    &'static str,
);

fn rows() -> Vec<Row> {
    vec![
        (
            "user:1",
            "payment.confirmed",
            "payment",
            Some(10),
            Some(100),
            Some(json!({"status": "pending"})),
            Some(json!({"status": "paid", "reference": "QR-ALPHA"})),
            "2026-03-01T08:00:00Z",
        ),
        (
            "system:billing",
            "subscription.renewed",
            "subscription",
            Some(20),
            Some(100),
            Some(json!({"status": "active"})),
            Some(json!({"status": "active", "period": 2})),
            "2026-03-01T23:59:59Z",
        ),
        (
            "user:1",
            "payment.rejected",
            "payment",
            Some(11),
            Some(200),
            Some(json!({"status": "pending"})),
            Some(json!({"status": "failed", "note": "No 100% transfer_seen"})),
            "2026-03-02T00:00:00Z",
        ),
        (
            "user:2",
            "ai.model_rate.updated",
            "model_rate",
            None,
            None,
            Some(json!({"model": "gpt-4o", "millicredits_per_1k_tokens": 5000})),
            Some(json!({"model": "gpt-4o", "millicredits_per_1k_tokens": 6000})),
            "2026-03-03T10:00:00Z",
        ),
        (
            "user:2",
            "ai.prompt.reset",
            "prompt_override",
            None,
            None,
            Some(json!({"operation": "generate_ideas", "text": "=== user ===\nHi"})),
            None,
            "2026-03-03T11:00:00Z",
        ),
    ]
}

async fn audited_app(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    for (actor, action, object_type, object_id, account_id, before, after, at) in rows() {
        audit::record(
            app.db(),
            Entry {
                actor,
                action,
                object_type,
                object_id,
                account_id,
                before,
                after,
            },
            at.parse::<DateTime<Utc>>().expect("instant"),
        )
        .await
        .expect("audit row");
    }
    let operator = operator_token(&app).await;
    (app, operator)
}

async fn actions(app: &TestApp, operator: &str, query: &str) -> Vec<String> {
    let response = app
        .get(&format!("/api/v1/admin/audit/{query}"), Some(operator))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    body(response).await["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["action"].as_str().expect("action").to_owned())
        .collect()
}

async fn the_log_lists_newest_first_with_before_and_after_as_json(backend: Backend) {
    let (app, operator) = audited_app(backend).await;
    let page = body(app.get("/api/v1/admin/audit/", Some(&operator)).await).await;
    assert_eq!(page["count"], 5);
    let newest = &page["results"][0];
    assert_eq!(newest["action"], "ai.prompt.reset");
    assert_eq!(newest["actor"], "user:2");
    assert_eq!(newest["object_type"], "prompt_override");
    assert!(newest["object_id"].is_null() && newest["account_id"].is_null());
    assert_eq!(newest["before"]["text"], "=== user ===\nHi");
    assert!(newest["after"].is_null());
    let oldest = &page["results"][4];
    assert_eq!(oldest["action"], "payment.confirmed");
    assert_eq!(
        oldest["after"],
        json!({"status": "paid", "reference": "QR-ALPHA"})
    );
    assert_eq!(oldest["object_id"], 10);
    assert_eq!(oldest["account_id"], 100);

    let first = body(
        app.get(
            "/api/v1/admin/audit/?page_size=2&action=payment.",
            Some(&operator),
        )
        .await,
    )
    .await;
    assert_eq!(first["count"], 2);
    assert!(first["next"].is_null());
    let second = body(
        app.get("/api/v1/admin/audit/?page_size=2&page=2", Some(&operator))
            .await,
    )
    .await;
    assert_eq!(second["results"][0]["action"], "payment.rejected");
    assert_eq!(
        actions(&app, &operator, "?ordering=created_at").await[0],
        "payment.confirmed"
    );

    let tenant = app.active_member("ada@example.com", "agency-monthly").await;
    let response = app.get("/api/v1/admin/audit/", Some(&tenant)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app.get("/api/v1/admin/audit/", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn every_filter_narrows_the_log(backend: Backend) {
    let (app, operator) = audited_app(backend).await;
    for (query, expected) in [
        (
            "?actor=user:1",
            vec!["payment.rejected", "payment.confirmed"],
        ),
        ("?actor=system:billing", vec!["subscription.renewed"]),
        ("?action=payment.confirmed", vec!["payment.confirmed"]),
        (
            "?action=payment.",
            vec!["payment.rejected", "payment.confirmed"],
        ),
        (
            "?action=ai.",
            vec!["ai.prompt.reset", "ai.model_rate.updated"],
        ),
        ("?action=ai.model_rate.", vec!["ai.model_rate.updated"]),
        // Without the dot it is exact: no action is called just `payment`.
        ("?action=payment", vec![]),
        (
            "?account_id=100",
            vec!["subscription.renewed", "payment.confirmed"],
        ),
        (
            "?object_type=payment",
            vec!["payment.rejected", "payment.confirmed"],
        ),
        (
            "?object_type=payment&object_id=11",
            vec!["payment.rejected"],
        ),
        // Whole UTC days, both ends included: 23:59:59 is still the 1st.
        (
            "?from=2026-03-01&to=2026-03-01",
            vec!["subscription.renewed", "payment.confirmed"],
        ),
        (
            "?from=2026-03-02",
            vec![
                "ai.prompt.reset",
                "ai.model_rate.updated",
                "payment.rejected",
            ],
        ),
        (
            "?to=2026-03-02",
            vec![
                "payment.rejected",
                "subscription.renewed",
                "payment.confirmed",
            ],
        ),
        // Text in the before or after JSON, any case; % and _ match themselves.
        ("?search=qr-alpha", vec!["payment.confirmed"]),
        ("?search=gpt-4o", vec!["ai.model_rate.updated"]),
        ("?search=100%25%20transfer_seen", vec!["payment.rejected"]),
        ("?search=%25", vec!["payment.rejected"]),
        (
            "?search=generate_ideas&actor=user:2",
            vec!["ai.prompt.reset"],
        ),
    ] {
        assert_eq!(actions(&app, &operator, query).await, expected, "{query}");
    }
    for query in [
        "?from=2026-03-02&to=2026-03-01",
        "?from=monday",
        "?object_id=ten",
        "?ordering=actor",
    ] {
        let response = app
            .get(&format!("/api/v1/admin/audit/{query}"), Some(&operator))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
}

async fn the_log_cannot_be_changed_through_the_api(backend: Backend) {
    let (app, operator) = audited_app(backend).await;
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let response = app
            .call(
                method.clone(),
                "/api/v1/admin/audit/",
                Some(&operator),
                Some(&json!({})),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
    let spec = body(app.get("/api/openapi.json", None).await).await;
    let paths = spec["paths"].as_object().expect("paths");
    let audit: Vec<(&String, Vec<&String>)> = paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/admin/audit"))
        .map(|(path, operations)| (path, operations.as_object().expect("ops").keys().collect()))
        .collect();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].1, vec!["get"]);
    assert_eq!(
        body(app.get("/api/v1/admin/audit/", Some(&operator)).await).await["count"],
        5
    );
}
