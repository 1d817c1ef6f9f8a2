//! F5 — a tenant changes plan: an upgrade opens a payment and switches plan, period and credits
//! when an operator confirms it; a downgrade waits for the renewal (an open renewal follows the
//! new plan); choosing the current plan cancels a pending change; who may, and what is refused.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{Months, SubsecRound, TimeDelta, Utc};
use quire_core::{
    billing::{apply::apply_payment, job, payments},
    entities::{
        account, audit_log,
        enums::{
            AccountStatus, PaymentMethod, PaymentPurpose, PaymentStatus, SubscriptionStatus,
            UserRole,
        },
        payment, plan, subscription, user,
    },
};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    an_upgrade_switches_plan_period_and_credits_when_its_payment_is_confirmed,
    a_downgrade_waits_for_the_renewal_and_choosing_the_current_plan_cancels_it,
    a_new_choice_replaces_a_pending_upgrade,
    a_past_due_subscription_renews_on_a_free_plan_at_once,
    only_owners_and_admins_change_their_own_running_subscription_to_an_active_plan,
);

/// A member on `slug` whose first payment was applied at the clock's time: a running period.
/// The token and the subscription.
async fn paying_member(app: &TestApp, email: &str, slug: &str) -> (String, subscription::Model) {
    app.clock.set(app.clock.now().trunc_subsecs(0));
    let token = app.active_member(email, slug).await;
    let tenant = app.tenant(email).await;
    let first = open_payments(app, tenant.account.id).await.remove(0);
    let applied = apply_payment(app.db(), first.id, "system:test", None, app.clock.now())
        .await
        .expect("applied");
    (token, applied.subscription)
}

/// A renewal payment for the subscription's plan, as the billing job opens one.
async fn open_renewal(app: &TestApp, sub: &subscription::Model) -> payment::Model {
    let plan = plan_row(app, sub.plan_id).await;
    payments::create_pending(
        app.db(),
        sub.account_id,
        sub.id,
        &plan,
        PaymentMethod::BankTransfer,
        PaymentPurpose::Subscription,
        app.clock.now(),
    )
    .await
    .expect("renewal")
}

async fn open_payments(app: &TestApp, account_id: i64) -> Vec<payment::Model> {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(payment::Column::Id)
        .all(app.db())
        .await
        .expect("query")
}

async fn payment_row(app: &TestApp, id: i64) -> payment::Model {
    payment::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("payment")
}

async fn plan_row(app: &TestApp, id: i64) -> plan::Model {
    plan::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan")
}

async fn subscription_row(app: &TestApp, id: i64) -> subscription::Model {
    subscription::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription")
}

async fn account_row(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(app.db())
        .await
        .expect("count")
}

async fn operator(app: &TestApp) -> String {
    quire_core::accounts::operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
        .await
        .expect("operator");
    body(app.login("ops@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn change_plan(app: &TestApp, token: &str, sub: i64, plan_id: i64) -> reqwest::Response {
    app.post(
        &format!("/api/v1/auth/subscriptions/{sub}/change_plan/"),
        &json!({"plan_id": plan_id}),
        Some(token),
    )
    .await
}

async fn changed(app: &TestApp, token: &str, sub: i64, plan_id: i64) -> Value {
    let response = change_plan(app, token, sub, plan_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

async fn an_upgrade_switches_plan_period_and_credits_when_its_payment_is_confirmed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (token, sub) = paying_member(&app, "ada@example.com", "starter-monthly").await;
    let starter = sub.plan_id;
    let growth = app.plan_id("growth-monthly").await;
    let renewal = open_renewal(&app, &sub).await;
    let sent_before = app.outbox.sent().len();

    let answer = changed(&app, &token, sub.id, growth).await;
    assert_eq!(answer["takes_effect"], "when_paid");
    assert_eq!(answer["effective_at"], Value::Null);
    assert_eq!(answer["plan_id"], growth);
    assert_eq!(answer["subscription"]["plan_id"], starter);
    assert_eq!(answer["subscription"]["scheduled_plan_id"], Value::Null);
    let paid_by = &answer["payment"];
    assert_eq!(paid_by["status"], "pending");
    assert_eq!(paid_by["purpose"], "plan_change");
    assert_eq!(paid_by["plan_id"], growth);
    assert_eq!(paid_by["amount"], 7_900);
    assert_eq!(paid_by["method"], "bank_transfer");
    assert_eq!(paid_by["instructions"]["reference"], paid_by["reference"]);
    assert_eq!(paid_by["instructions"]["amount_display"], "79.00 USD");
    let upgrade_id = paid_by["id"].as_i64().expect("payment id");
    assert_eq!(audited(&app, "subscription.upgrade_requested").await, 1);

    // The instructions went by email; nothing switches until the money arrives.
    let sent = app.outbox.sent();
    assert_eq!(sent.len(), sent_before + 1);
    assert_eq!(sent[sent_before].to, "ada@example.com");
    assert_eq!(sent[sent_before].kind, "payment_pending.txt");
    let reference = paid_by["reference"].as_str().expect("reference");
    assert!(sent[sent_before].email.body.contains(reference));
    assert!(sent[sent_before].email.subject.contains("Growth"));
    let waiting = subscription_row(&app, sub.id).await;
    assert_eq!(waiting.plan_id, starter);
    assert_eq!(waiting.current_period_start, sub.current_period_start);
    let account_before = account_row(&app, sub.account_id).await;
    assert_eq!(account_before.plan_id, Some(starter));
    assert_eq!(account_before.credits, 1_000);
    assert_eq!(
        payment_row(&app, renewal.id).await.status,
        PaymentStatus::Pending
    );

    let confirmed_at = app.clock.advance(TimeDelta::days(3));
    let ops = operator(&app).await;
    let confirm = app
        .post(
            &format!("/api/v1/admin/payments/{upgrade_id}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirm.status(), StatusCode::OK);

    let switched = subscription_row(&app, sub.id).await;
    assert_eq!(switched.plan_id, growth);
    assert_eq!(switched.current_period_start, Some(confirmed_at));
    assert_eq!(
        switched.current_period_end,
        confirmed_at.checked_add_months(Months::new(1))
    );
    let account_after = account_row(&app, sub.account_id).await;
    assert_eq!(account_after.plan_id, Some(growth));
    assert_eq!(account_after.credits, 4_000, "Growth resets to its amount");
    let replaced = payment_row(&app, renewal.id).await;
    assert_eq!(replaced.status, PaymentStatus::Void);
    assert_eq!(
        payment_row(&app, upgrade_id).await.status,
        PaymentStatus::Paid
    );
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com").last(),
        Some(&"payment_confirmed.txt")
    );
}

async fn a_downgrade_waits_for_the_renewal_and_choosing_the_current_plan_cancels_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (token, sub) = paying_member(&app, "ada@example.com", "agency-monthly").await;
    let agency = sub.plan_id;
    let starter = app.plan_id("starter-monthly").await;
    let starter_annual = app.plan_id("starter-annual").await;
    let account_before = account_row(&app, sub.account_id).await;
    let sent_before = app.outbox.sent().len();

    // No renewal open yet: only the schedule moves.
    let answer = changed(&app, &token, sub.id, starter).await;
    assert_eq!(answer["takes_effect"], "at_renewal");
    assert_eq!(answer["payment"], Value::Null);
    assert_eq!(answer["subscription"]["scheduled_plan_id"], starter);
    assert_eq!(answer["subscription"]["plan_id"], agency);
    let period_end = sub.current_period_end.expect("period end");
    assert_eq!(
        answer["effective_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        Some(period_end)
    );
    let scheduled = subscription_row(&app, sub.id).await;
    assert_eq!(scheduled.scheduled_plan_id, Some(starter));
    // Nothing else moved.
    assert_eq!(
        (
            scheduled.plan_id,
            scheduled.status,
            scheduled.current_period_start,
            scheduled.current_period_end,
            scheduled.billing_anchor,
        ),
        (
            sub.plan_id,
            sub.status,
            sub.current_period_start,
            sub.current_period_end,
            sub.billing_anchor,
        )
    );
    let account_after = account_row(&app, sub.account_id).await;
    assert_eq!(account_after.plan_id, Some(agency));
    assert_eq!(account_after.credits, account_before.credits);
    assert!(open_payments(&app, sub.account_id).await.is_empty());
    assert_eq!(app.outbox.sent().len(), sent_before);
    assert_eq!(audited(&app, "subscription.downgrade_scheduled").await, 1);
    let seen = body(
        app.get(
            &format!("/api/v1/auth/subscriptions/{}/", sub.id),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(seen["scheduled_plan_id"], starter);

    // With a renewal open for Agency, another smaller plan replaces it with one for itself.
    let renewal = open_renewal(&app, &sub).await;
    let answer = changed(&app, &token, sub.id, starter_annual).await;
    assert_eq!(answer["takes_effect"], "at_renewal");
    assert_eq!(answer["subscription"]["scheduled_plan_id"], starter_annual);
    let replaced = payment_row(&app, renewal.id).await;
    assert_eq!(replaced.status, PaymentStatus::Void);
    assert_eq!(
        replaced.note.as_deref(),
        Some("Replaced: plan changed to Starter (annual).")
    );
    assert_eq!(answer["payment"]["purpose"], "subscription");
    assert_eq!(answer["payment"]["plan_id"], starter_annual);
    assert_eq!(answer["payment"]["amount"], 29_000);
    assert!(answer["payment"]["instructions"]["text"].is_string());
    assert_eq!(open_payments(&app, sub.account_id).await.len(), 1);
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com")[sent_before..],
        ["payment_pending.txt"]
    );

    // The current plan again: the downgrade is off and the renewal is Agency's again.
    let answer = changed(&app, &token, sub.id, agency).await;
    assert_eq!(answer["takes_effect"], "now");
    assert_eq!(answer["subscription"]["scheduled_plan_id"], Value::Null);
    assert_eq!(answer["payment"]["plan_id"], agency);
    assert_eq!(answer["payment"]["purpose"], "subscription");
    let open = open_payments(&app, sub.account_id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].plan_id, agency);
    assert_eq!(subscription_row(&app, sub.id).await.scheduled_plan_id, None);
    assert_eq!(audited(&app, "subscription.plan_change_cancelled").await, 1);
    assert_eq!(
        account_row(&app, sub.account_id).await.credits,
        account_before.credits
    );

    // Nothing pending any more: choosing it once more is refused.
    let again = change_plan(&app, &token, sub.id, agency).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let again = body(again).await;
    assert_eq!(
        again["plan_id"][0],
        "The subscription is already on this plan."
    );
}

async fn a_new_choice_replaces_a_pending_upgrade(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, sub) = paying_member(&app, "ada@example.com", "starter-monthly").await;
    let growth = app.plan_id("growth-monthly").await;
    let agency = app.plan_id("agency-monthly").await;
    let free = app.plan_id("free").await;

    let first = changed(&app, &token, sub.id, growth).await["payment"]["id"]
        .as_i64()
        .expect("payment");
    let second = changed(&app, &token, sub.id, agency).await;
    assert_eq!(second["takes_effect"], "when_paid");
    let second = second["payment"]["id"].as_i64().expect("payment");
    let voided = payment_row(&app, first).await;
    assert_eq!(voided.status, PaymentStatus::Void);
    assert_eq!(
        voided.note.as_deref(),
        Some("Replaced: plan changed to Agency.")
    );
    let open: Vec<i64> = open_payments(&app, sub.account_id)
        .await
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(open, [second]);
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com")[1..],
        ["payment_pending.txt", "payment_pending.txt"]
    );

    // A free plan is a downgrade, even to fewer credits than the pending upgrade's.
    let to_free = changed(&app, &token, sub.id, free).await;
    assert_eq!(to_free["takes_effect"], "at_renewal");
    assert_eq!(to_free["payment"], Value::Null);
    assert_eq!(payment_row(&app, second).await.status, PaymentStatus::Void);
    assert!(open_payments(&app, sub.account_id).await.is_empty());

    // An upgrade drops a scheduled downgrade.
    let upgrade = changed(&app, &token, sub.id, growth).await;
    assert_eq!(upgrade["subscription"]["scheduled_plan_id"], Value::Null);
    let pending = upgrade["payment"]["id"].as_i64().expect("payment");

    // Choosing the current plan cancels a pending upgrade too.
    let stay = changed(&app, &token, sub.id, sub.plan_id).await;
    assert_eq!(stay["takes_effect"], "now");
    assert_eq!(stay["payment"], Value::Null);
    let cancelled = payment_row(&app, pending).await;
    assert_eq!(cancelled.status, PaymentStatus::Void);
    assert_eq!(
        cancelled.note.as_deref(),
        Some("Cancelled: staying on Starter.")
    );
    let after = subscription_row(&app, sub.id).await;
    assert_eq!(after.plan_id, sub.plan_id);
    assert_eq!(after.scheduled_plan_id, None);
}

async fn a_past_due_subscription_renews_on_a_free_plan_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, sub) = paying_member(&app, "ada@example.com", "starter-monthly").await;
    let free = app.plan_id("free").await;
    let end = sub.current_period_end.expect("period end");
    app.clock.set(end + TimeDelta::days(1));
    job::run_once(&app.quire).await.expect("billing runs");
    assert_eq!(
        subscription_row(&app, sub.id).await.status,
        SubscriptionStatus::PastDue
    );
    let unpaid = open_payments(&app, sub.account_id).await;
    assert_eq!(unpaid.len(), 1, "the renewal the job opened");

    // The renewal is already due: a free plan starts now, through the same path as any.
    let answer = changed(&app, &token, sub.id, free).await;
    assert_eq!(answer["takes_effect"], "now");
    assert_eq!(answer["payment"], Value::Null);
    assert_eq!(answer["subscription"]["plan_id"], free);
    assert_eq!(answer["subscription"]["status"], "active");
    assert_eq!(answer["subscription"]["scheduled_plan_id"], Value::Null);
    // Still within what would have been the next period: it starts at the old end.
    let renewed = subscription_row(&app, sub.id).await;
    assert_eq!(renewed.current_period_start, Some(end));
    let account = account_row(&app, sub.account_id).await;
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.plan_id, Some(free));
    assert_eq!(account.credits, 100);
    assert_eq!(account.grace_period_ends_at, None);
    assert_eq!(
        payment_row(&app, unpaid[0].id).await.status,
        PaymentStatus::Void
    );
    assert!(open_payments(&app, sub.account_id).await.is_empty());
    assert_eq!(audited(&app, "payment.applied").await, 2);
}

async fn only_owners_and_admins_change_their_own_running_subscription_to_an_active_plan(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (token, sub) = paying_member(&app, "ada@example.com", "starter-monthly").await;
    let growth = app.plan_id("growth-monthly").await;
    let free = app.plan_id("free").await;

    // Members below admin.
    let hash = quire_core::accounts::password::hash(PASSWORD).expect("hash");
    for (email, role) in [
        ("viewer@example.com", UserRole::Viewer),
        ("editor@example.com", UserRole::Editor),
    ] {
        user::ActiveModel {
            email: Set(email.to_owned()),
            password_hash: Set(hash.clone()),
            name: Set("Member".to_owned()),
            account_id: Set(Some(sub.account_id)),
            role: Set(role),
            is_staff: Set(false),
            is_active: Set(true),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("member");
        let member = body(app.login(email, PASSWORD).await).await["access"]
            .as_str()
            .expect("token")
            .to_owned();
        let refused = change_plan(&app, &member, sub.id, growth).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{email}");
    }

    // Another tenant's subscription does not exist for the caller.
    let other = app
        .active_member("bob@example.com", "starter-monthly")
        .await;
    let foreign = change_plan(&app, &other, sub.id, growth).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    // Bob's own subscription still waits for its first payment.
    let bobs = body(app.get("/api/v1/auth/subscriptions/", Some(&other)).await).await["results"][0]
        ["id"]
        .as_i64()
        .expect("subscription");
    let unpaid = change_plan(&app, &other, bobs, growth).await;
    assert_eq!(unpaid.status(), StatusCode::CONFLICT);

    // Only plans on offer.
    let retired = plan_row(&app, app.plan_id("agency-annual").await).await;
    let mut row: plan::ActiveModel = retired.clone().into();
    row.is_active = Set(false);
    row.update(app.db()).await.expect("retire");
    for plan_id in [retired.id, 999_999] {
        let refused = change_plan(&app, &token, sub.id, plan_id).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(body(refused).await["plan_id"].is_array());
    }
    let malformed = app
        .post(
            &format!("/api/v1/auth/subscriptions/{}/change_plan/", sub.id),
            &json!({"plan_id": "growth"}),
            Some(&token),
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    // A subscription cancelled at the period's end must be resumed first.
    let cancel = app
        .post(
            &format!("/api/v1/auth/subscriptions/{}/cancel/", sub.id),
            &json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    let cancelled = change_plan(&app, &token, sub.id, free).await;
    assert_eq!(cancelled.status(), StatusCode::CONFLICT);
    assert_eq!(
        body(cancelled).await["detail"],
        "Resume the subscription before changing plan."
    );

    // Nothing was changed by any refusal.
    let after = subscription_row(&app, sub.id).await;
    assert_eq!(after.plan_id, sub.plan_id);
    assert_eq!(after.scheduled_plan_id, None);
    assert!(open_payments(&app, sub.account_id).await.is_empty());
    assert_eq!(audited(&app, "subscription.upgrade_requested").await, 0);
}
