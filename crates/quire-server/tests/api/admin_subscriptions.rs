//! Operators and subscriptions: list and filters, a validated and audited edit, and running
//! billing on one subscription — the seed's "edit the dates in admin, then run the same code
//! path": a period end moved into the past falls past due with a renewal payment, and with
//! the cancel flag set it ends the subscription.

use crate::{
    admin_accounts::{audit_rows, operator},
    common::{Backend, TestApp, body},
};
use chrono::{DateTime, TimeDelta, Utc};
use quire_core::{
    billing::apply,
    entities::{
        account,
        enums::{AccountStatus, PaymentPurpose, PaymentStatus, SubscriptionStatus},
        payment, subscription,
    },
};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    subscriptions_are_listed_and_filtered_for_operators_only,
    a_patch_is_validated_and_audited_with_before_and_after,
    a_period_end_moved_into_the_past_falls_past_due_with_a_renewal_payment,
    a_cancelled_subscription_past_its_end_is_ended_by_run_billing,
    run_billing_with_nothing_due_changes_nothing,
);

/// Registers `email` on Starter and has its first payment confirmed; the account and
/// subscription ids.
async fn paying_member(app: &TestApp, email: &str) -> (i64, i64) {
    let registered = app.register(email, "starter-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let first = payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .one(app.db())
        .await
        .expect("query")
        .expect("the first payment");
    let applied = apply::confirm(&app.quire, first.id, "system:test", None)
        .await
        .expect("applied");
    (account_id, applied.subscription.id)
}

async fn subscription_of(app: &TestApp, id: i64) -> subscription::Model {
    subscription::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription")
}

async fn account_status(app: &TestApp, id: i64) -> AccountStatus {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
        .status
}

async fn patch(app: &TestApp, ops: &str, id: i64, changes: Value) -> reqwest::Response {
    app.call(
        Method::PATCH,
        &format!("/api/v1/admin/subscriptions/{id}/"),
        Some(ops),
        Some(&changes),
    )
    .await
}

async fn run_billing(app: &TestApp, ops: &str, id: i64) -> Value {
    let response = app
        .post(
            &format!("/api/v1/admin/subscriptions/{id}/run_billing/"),
            &json!({}),
            Some(ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

async fn subscriptions_are_listed_and_filtered_for_operators_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    let (ada_account, ada_sub) = paying_member(&app, "ada@example.com").await;
    let bob = app.register("bob@example.com", "starter-monthly").await;
    let bob_sub = body(
        app.get(
            &format!(
                "/api/v1/admin/subscriptions/?account_id={}",
                bob["account"]["id"]
            ),
            Some(&ops),
        )
        .await,
    )
    .await["results"][0]["id"]
        .as_i64()
        .expect("bob's subscription");
    let ids = |query: &str| {
        let path = format!("/api/v1/admin/subscriptions/{query}");
        let ops = ops.clone();
        let app = &app;
        async move {
            let response = app.get(&path, Some(&ops)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            body(response).await["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| r["id"].as_i64().expect("id"))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("").await, [bob_sub, ada_sub]);
    assert_eq!(ids("?status=active").await, [ada_sub]);
    assert_eq!(ids("?status=pending_payment").await, [bob_sub]);
    assert_eq!(ids(&format!("?account_id={ada_account}")).await, [ada_sub]);
    assert_eq!(ids("?ordering=id").await, [ada_sub, bob_sub]);
    let one = body(
        app.get(
            &format!("/api/v1/admin/subscriptions/{ada_sub}/"),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(one["account_id"], ada_account);
    assert_eq!(one["status"], "active");
    assert_eq!(
        app.get("/api/v1/admin/subscriptions/999999/", Some(&ops))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/admin/subscriptions/?status=gone", Some(&ops))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    let tenant = body(app.login("ada@example.com", crate::common::PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        app.get("/api/v1/admin/subscriptions/", Some(&tenant))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(
            &app,
            &tenant,
            ada_sub,
            json!({"cancel_at_period_end": true})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .post(
            &format!("/api/v1/admin/subscriptions/{ada_sub}/run_billing/"),
            &json!({}),
            Some(&tenant),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!subscription_of(&app, ada_sub).await.cancel_at_period_end);
}

async fn a_patch_is_validated_and_audited_with_before_and_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    let (account_id, sub_id) = paying_member(&app, "ada@example.com").await;
    let before = subscription_of(&app, sub_id).await;
    let start = before.current_period_start.expect("start");
    let end = before.current_period_end.expect("end");

    for invalid in [
        json!({"current_period_end": rfc3339(start - TimeDelta::days(1))}),
        json!({"current_period_start": rfc3339(end)}),
        json!({"current_period_start": rfc3339(start), "current_period_end": rfc3339(start)}),
        json!({"status": "paused"}),
        json!({"current_period_end": "next tuesday"}),
        json!({"cancel_at_period_end": "yes"}),
    ] {
        let response = patch(&app, &ops, sub_id, invalid.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{invalid}");
    }
    let response = patch(&app, &ops, sub_id, json!({"status": "paused"})).await;
    assert!(body(response).await["status"].is_array());
    assert_eq!(
        subscription_of(&app, sub_id).await,
        before,
        "nothing changed"
    );
    assert!(
        audit_rows(&app, "subscription.updated", "subscription", sub_id)
            .await
            .is_empty()
    );

    let unchanged = patch(&app, &ops, sub_id, json!({})).await;
    assert_eq!(unchanged.status(), StatusCode::OK);
    assert!(
        audit_rows(&app, "subscription.updated", "subscription", sub_id)
            .await
            .is_empty()
    );

    let new_end = end + TimeDelta::days(10);
    let response = patch(
        &app,
        &ops,
        sub_id,
        json!({"current_period_end": rfc3339(new_end), "cancel_at_period_end": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated = body(response).await;
    assert_eq!(updated["cancel_at_period_end"], true);
    assert!(updated["canceled_at"].is_string());
    let row = subscription_of(&app, sub_id).await;
    assert_eq!(row.current_period_end, Some(new_end));
    assert_eq!(row.current_period_start, Some(start));

    let rows = audit_rows(&app, "subscription.updated", "subscription", sub_id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, format!("user:{ops_id}"));
    assert_eq!(rows[0].account_id, Some(account_id));
    let recorded: Value =
        serde_json::from_str(rows[0].before.as_deref().expect("before")).expect("json");
    assert_eq!(recorded["cancel_at_period_end"], false);
    assert_eq!(
        recorded["current_period_end"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        Some(end.into())
    );
    let recorded: Value =
        serde_json::from_str(rows[0].after.as_deref().expect("after")).expect("json");
    assert_eq!(recorded["cancel_at_period_end"], true);
    assert_eq!(
        recorded["current_period_end"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        Some(new_end.into())
    );

    assert_eq!(
        patch(&app, &ops, 999_999, json!({"cancel_at_period_end": true}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_period_end_moved_into_the_past_falls_past_due_with_a_renewal_payment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    let (account_id, sub_id) = paying_member(&app, "ada@example.com").await;
    let now = app.clock.now();
    let response = patch(
        &app,
        &ops,
        sub_id,
        json!({
            "current_period_start": rfc3339(now - TimeDelta::days(31)),
            "current_period_end": rfc3339(now - TimeDelta::hours(1)),
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        account_status(&app, account_id).await,
        AccountStatus::Active
    );

    let report = run_billing(&app, &ops, sub_id).await;
    assert_eq!(report["transitions"], json!({"past_due": 1}));
    assert_eq!(report["failures"], 0);
    assert_eq!(report["subscription"]["status"], "past_due");
    assert_eq!(
        subscription_of(&app, sub_id).await.status,
        SubscriptionStatus::PastDue
    );
    assert_eq!(
        account_status(&app, account_id).await,
        AccountStatus::PastDue
    );
    let renewal = payment::Entity::find()
        .filter(payment::Column::SubscriptionId.eq(sub_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .all(app.db())
        .await
        .expect("query");
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0].purpose, PaymentPurpose::Subscription);
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com").last(),
        Some(&"past_due.txt")
    );
    assert_eq!(
        audit_rows(&app, "subscription.past_due", "subscription", sub_id)
            .await
            .len(),
        1
    );
    let runs = audit_rows(&app, "subscription.billing_run", "subscription", sub_id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].actor, format!("user:{ops_id}"));

    // Nothing more is due until the grace period ends.
    assert_eq!(
        run_billing(&app, &ops, sub_id).await["transitions"],
        json!({})
    );
}

async fn a_cancelled_subscription_past_its_end_is_ended_by_run_billing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    let (account_id, sub_id) = paying_member(&app, "ada@example.com").await;
    let now = app.clock.now();
    let response = patch(
        &app,
        &ops,
        sub_id,
        json!({
            "cancel_at_period_end": true,
            "current_period_start": rfc3339(now - TimeDelta::days(31)),
            "current_period_end": rfc3339(now - TimeDelta::minutes(5)),
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let report = run_billing(&app, &ops, sub_id).await;
    assert_eq!(report["transitions"], json!({"cancelled": 1}));
    assert_eq!(report["subscription"]["status"], "canceled");
    assert_eq!(
        account_status(&app, account_id).await,
        AccountStatus::Cancelled
    );
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com").last(),
        Some(&"cancelled.txt")
    );
    let login = app.login("ada@example.com", crate::common::PASSWORD).await;
    assert_eq!(login.status(), StatusCode::PAYMENT_REQUIRED);
}

async fn run_billing_with_nothing_due_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    let (account_id, sub_id) = paying_member(&app, "ada@example.com").await;
    let before = subscription_of(&app, sub_id).await;
    let report = run_billing(&app, &ops, sub_id).await;
    assert_eq!(report["transitions"], json!({}));
    assert_eq!(report["failures"], 0);
    assert_eq!(subscription_of(&app, sub_id).await, before);
    assert_eq!(
        account_status(&app, account_id).await,
        AccountStatus::Active
    );
    assert_eq!(
        app.post(
            "/api/v1/admin/subscriptions/999999/run_billing/",
            &json!({}),
            Some(&ops)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}
