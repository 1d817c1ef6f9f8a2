//! The tenant app's isolation matrix: every page and form that takes an id, requested by
//! another tenant with that tenant's own valid session and CSRF token, answers 404 and changes
//! nothing of the owner's.

use crate::{
    ai_setup::ai_app,
    common::{Backend, body},
    visitor::Visitor,
};
use quire_core::entities::{content, payment, site, subscription, task};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

quire_testkit::on_both_backends!(another_tenants_ids_are_not_found_on_any_page);

/// Every field any of the forms reads, so that no form refuses the request before it looks
/// the id up.
const FIELDS: &[(&str, &str)] = &[
    ("name", "Taken over"),
    ("url", "https://evil.example"),
    ("keyword", "taken over"),
    ("title", "Taken over"),
    ("meta_title", "Taken over"),
    ("meta_description", "Taken over"),
    ("body", "# Taken over"),
    ("status", "draft"),
    ("version", "1"),
    ("section_id", "s1"),
    ("instructions", "take over"),
    ("plan_id", "1"),
    ("payer_name", "Mallory"),
    ("bank", "Bank"),
    ("transfer_date", "2026-11-20"),
    ("description", ""),
    ("volume", "1"),
    ("difficulty", "1"),
    ("intent", "informational"),
    ("target_words", "800"),
    ("word_count", "800"),
];

async fn another_tenants_ids_are_not_found_on_any_page(backend: Backend) {
    // The owner: a site and sector, a keyword clustered, an idea, a task, an article (all by
    // the offline provider), an open payment and a subscription.
    let owner = ai_app(backend, None).await;
    let app = &owner.app;
    let keywords = owner.keywords(&["trail shoes", "best trail shoes"]).await;
    let clustered = owner
        .run(
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": keywords, "sector_id": owner.sector, "method": "local"}),
        )
        .await;
    let cluster = clustered["result"]["cluster_ids"][0]
        .as_i64()
        .expect("cluster");
    let ideas = owner
        .run(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster], "ideas_per_cluster": 1}),
        )
        .await;
    let idea = ideas["result"]["idea_ids"][0].as_i64().expect("idea");
    let sent = app
        .post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [idea]}),
            Some(&owner.token),
        )
        .await;
    let task_id = body(sent).await["created"][0]["id"].as_i64().expect("task");
    let generated = owner
        .run(
            "/api/v1/writer/content/generate/",
            json!({"task_id": task_id}),
        )
        .await;
    let job = generated["id"].as_i64().expect("job");
    let content_id = generated["result"]["content_id"].as_i64().expect("content");
    let site_id = site::Entity::find()
        .filter(site::Column::AccountId.eq(owner.account))
        .one(app.db())
        .await
        .expect("query")
        .expect("site")
        .id;
    let open_payment = payment::Entity::find()
        .filter(payment::Column::AccountId.eq(owner.account))
        .one(app.db())
        .await
        .expect("query")
        .expect("the sign-up's payment")
        .id;
    let subscription_of = || async {
        subscription::Entity::find()
            .filter(subscription::Column::AccountId.eq(owner.account))
            .one(app.db())
            .await
            .expect("query")
            .expect("subscription")
    };
    let sub = subscription_of().await.id;
    let (sector, keyword) = (owner.sector, keywords[0]);

    // The other tenant, signed in through the pages with a valid CSRF token.
    let mut other = Visitor::new(&app.url(""));
    let free = app.plan_id("free").await;
    other.sign_up("mallory@example.com", free).await;
    other.page("/dashboard", StatusCode::OK).await;

    let pages = [
        format!("/sites/{site_id}"),
        format!("/keywords/{keyword}"),
        format!("/clusters/{cluster}"),
        format!("/writer/{task_id}"),
        format!("/content/{content_id}"),
        format!("/content/{content_id}/edit"),
        format!("/content/{content_id}/versions"),
        format!("/content/{content_id}/versions/1"),
        format!("/content/{content_id}/export?format=markdown"),
        format!("/jobs/{job}"),
        format!("/jobs/{job}/status"),
        format!("/billing/payments/{open_payment}/report"),
    ];
    for path in &pages {
        let status = other.get(path).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let forms = [
        format!("/sites/{site_id}"),
        format!("/sites/{site_id}/sectors"),
        format!("/sites/{site_id}/sectors/{sector}/delete"),
        format!("/keywords/{keyword}"),
        format!("/keywords/{keyword}/delete"),
        format!("/clusters/{cluster}"),
        format!("/clusters/{cluster}/delete"),
        format!("/writer/{task_id}"),
        format!("/writer/{task_id}/delete"),
        format!("/content/{content_id}/edit"),
        format!("/content/{content_id}/regenerate"),
        format!("/content/{content_id}/revert"),
        format!("/billing/payments/{open_payment}/report"),
        format!("/billing/subscriptions/{sub}/cancel"),
        format!("/billing/subscriptions/{sub}/resume"),
        format!("/billing/subscriptions/{sub}/change_plan"),
        format!("/sites/{site_id}/delete"),
    ];
    for path in &forms {
        let status = other.post(path, FIELDS).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}");
    }

    // Nothing of the owner's moved.
    let still = |found: bool, what: &str| assert!(found, "the owner's {what} is still there");
    still(
        site::Entity::find_by_id(site_id)
            .one(app.db())
            .await
            .expect("query")
            .is_some_and(|s| s.name != "Taken over"),
        "site",
    );
    still(
        task::Entity::find_by_id(task_id)
            .one(app.db())
            .await
            .expect("query")
            .is_some_and(|t| t.title != "Taken over"),
        "task",
    );
    let article = content::Entity::find_by_id(content_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("article");
    assert_eq!(article.version, 1);
    assert!(!subscription_of().await.cancel_at_period_end);
    let report = payment::Entity::find_by_id(open_payment)
        .one(app.db())
        .await
        .expect("query")
        .expect("payment");
    assert!(report.notified_at.is_none());
}
