//! F5 — a tenant cancels at the period's end and resumes before it: the account keeps
//! working meanwhile, each action is audited, and what cannot be done is a 409.

use crate::common::{Backend, TestApp, body};
use quire_core::{
    billing::apply::apply_payment,
    entities::{audit_log, enums::PaymentStatus, payment},
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

quire_testkit::on_both_backends!(
    cancelling_keeps_the_account_working_until_the_end_and_resume_undoes_it,
    only_a_running_subscription_of_ones_own_can_be_cancelled,
);

/// An active member whose first payment was applied: a running monthly period.
async fn paying_member(app: &TestApp, email: &str) -> (String, i64) {
    let token = app.active_member(email, "agency-monthly").await;
    let tenant = app.tenant(email).await;
    let pending = payment::Entity::find()
        .filter(payment::Column::AccountId.eq(tenant.account.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .one(app.db())
        .await
        .expect("query")
        .expect("payment");
    let applied = apply_payment(
        app.db(),
        pending.id,
        "system:test",
        None,
        chrono::Utc::now(),
    )
    .await
    .expect("applied");
    (token, applied.subscription.id)
}

async fn cancelling_keeps_the_account_working_until_the_end_and_resume_undoes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, id) = paying_member(&app, "ada@example.com").await;
    let cancel = format!("/api/v1/auth/subscriptions/{id}/cancel/");
    let resume = format!("/api/v1/auth/subscriptions/{id}/resume/");

    let cancelled = app.post(&cancel, &json!({}), Some(&token)).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled = body(cancelled).await;
    assert_eq!(cancelled["cancel_at_period_end"], true);
    assert_eq!(cancelled["status"], "active");
    // The seed: the app keeps working, and credits can be spent, until the period ends.
    assert_eq!(
        app.get("/api/v1/planner/keywords/", Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post(&cancel, &json!({}), Some(&token)).await.status(),
        StatusCode::CONFLICT
    );

    let resumed = app.post(&resume, &json!({}), Some(&token)).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    assert_eq!(body(resumed).await["cancel_at_period_end"], false);
    assert_eq!(
        app.post(&resume, &json!({}), Some(&token)).await.status(),
        StatusCode::CONFLICT
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq("subscription"))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(audited, 2, "the cancellation and the resumption");
}

async fn only_a_running_subscription_of_ones_own_can_be_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, id) = paying_member(&app, "ada@example.com").await;
    let other = app.active_member("bob@example.com", "agency-monthly").await;
    let foreign = app
        .post(
            &format!("/api/v1/auth/subscriptions/{id}/cancel/"),
            &json!({}),
            Some(&other),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    // Bob's own subscription still waits for its first payment: nothing to cancel.
    let bobs = body(app.get("/api/v1/auth/subscriptions/", Some(&other)).await).await["results"][0]
        ["id"]
        .as_i64()
        .expect("subscription");
    let unpaid = app
        .post(
            &format!("/api/v1/auth/subscriptions/{bobs}/cancel/"),
            &json!({}),
            Some(&other),
        )
        .await;
    assert_eq!(unpaid.status(), StatusCode::CONFLICT);
}
