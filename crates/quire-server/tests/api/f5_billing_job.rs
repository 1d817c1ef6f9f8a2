//! F4/F5 — the billing job on a clock the tests move: renewal payments opened before the end,
//! past due, suspension after the grace period, cancellation at the period's end, trial end,
//! free renewals, annual monthly grants across a year, scheduled downgrades; and its
//! idempotence — two runs at once, and a run racing an operator's confirmation.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use quire_core::{
    billing::{apply, job},
    entities::{
        account, audit_log, credit_transaction,
        enums::{AccountStatus, CreditKind, PaymentStatus, SubscriptionStatus, SuspensionReason},
        payment, subscription,
    },
};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::time::Duration;

quire_testkit::on_both_backends!(
    an_unpaid_month_goes_from_notice_to_past_due_to_suspended_and_payment_reopens_it,
    cancellation_takes_effect_when_the_period_ends,
    a_prepaid_period_runs_before_a_later_cancellation_ends_it,
    a_trial_ends_into_pending_payment,
    a_free_plan_renews_itself_with_its_credits,
    an_annual_plan_grants_its_credits_every_month_for_a_year,
    a_scheduled_downgrade_takes_effect_at_the_renewal,
    an_operators_suspension_is_left_alone,
    two_runs_at_once_make_one_renewal_and_one_transition,
    a_confirmation_racing_the_billing_job_ends_consistent,
    only_the_lease_holder_runs_the_scheduled_job,
);

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid instant")
}

/// Registers `email` on `slug` at `when` and has its first payment confirmed then.
/// Returns `(account_id, subscription_id)`.
async fn paying_member(app: &TestApp, email: &str, slug: &str, when: DateTime<Utc>) -> (i64, i64) {
    app.clock.set(when);
    let registered = app.register(email, slug).await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let first = open_payments(app, account_id).await.remove(0);
    let applied = apply::confirm(&app.quire, first.id, "system:test", None)
        .await
        .expect("the first payment applies");
    (account_id, applied.subscription.id)
}

async fn run(app: &TestApp) -> job::Report {
    job::run_once(&app.quire).await.expect("billing runs")
}

async fn account_of(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

async fn subscription_of(app: &TestApp, id: i64) -> subscription::Model {
    subscription::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription")
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

async fn payment_count(app: &TestApp, account_id: i64) -> u64 {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .count(app.db())
        .await
        .expect("count")
}

async fn audited(app: &TestApp, action: &str, account_id: i64) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::AccountId.eq(account_id))
        .count(app.db())
        .await
        .expect("count")
}

async fn grants(
    app: &TestApp,
    account_id: i64,
    kind: CreditKind,
) -> Vec<credit_transaction::Model> {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .filter(credit_transaction::Column::Kind.eq(kind))
        .order_by_asc(credit_transaction::Column::Id)
        .all(app.db())
        .await
        .expect("query")
}

/// Spends `credits` of the account's balance, as AI usage would.
async fn spend(app: &TestApp, account_id: i64, credits: i64) {
    let row = account_of(app, account_id).await;
    let mut spent: account::ActiveModel = row.clone().into();
    spent.credits = Set(row.credits - credits);
    spent.update(app.db()).await.expect("spend");
}

async fn sub_plan(app: &TestApp, id: i64) -> i64 {
    subscription_of(app, id).await.plan_id
}

async fn login_status(app: &TestApp, email: &str) -> StatusCode {
    app.login(email, PASSWORD).await.status()
}

async fn an_unpaid_month_goes_from_notice_to_past_due_to_suspended_and_payment_reopens_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let email = "payer@example.com";
    let (account_id, sub_id) =
        paying_member(&app, email, "starter-monthly", at(2027, 1, 31, 10)).await;
    let end = subscription_of(&app, sub_id)
        .await
        .current_period_end
        .expect("end");
    assert_eq!(end, at(2027, 2, 28, 10));

    // Eight days before the end nothing is due; seven days before, the renewal is opened.
    app.clock.set(end - TimeDelta::days(8));
    assert!(run(&app).await.transitions.is_empty());
    app.clock.set(end - TimeDelta::days(7));
    assert_eq!(run(&app).await.count("renewal_opened"), 1);
    let renewal = open_payments(&app, account_id).await;
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0].amount, 2_900);
    assert_eq!(
        app.outbox.kinds_sent_to(email).last(),
        Some(&"renewal_due.txt")
    );
    assert!(run(&app).await.transitions.is_empty(), "opened once");

    // The end passes unpaid: past due, with the same payment; login still works (grace).
    app.clock.set(end + TimeDelta::minutes(1));
    assert_eq!(run(&app).await.count("past_due"), 1);
    assert_eq!(open_payments(&app, account_id).await.len(), 1);
    assert_eq!(
        subscription_of(&app, sub_id).await.status,
        SubscriptionStatus::PastDue
    );
    let past_due = account_of(&app, account_id).await;
    assert_eq!(past_due.status, AccountStatus::PastDue);
    assert_eq!(
        past_due.grace_period_ends_at,
        Some(end + TimeDelta::days(7))
    );
    assert_eq!(login_status(&app, email).await, StatusCode::OK);
    assert_eq!(
        app.outbox.kinds_sent_to(email).last(),
        Some(&"past_due.txt")
    );

    // The grace period ends: suspended for non-payment; login and planner calls get 402.
    let token = body(app.login(email, PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    app.clock.set(end + TimeDelta::days(7));
    assert_eq!(run(&app).await.count("suspended"), 1);
    let suspended = account_of(&app, account_id).await;
    assert_eq!(suspended.status, AccountStatus::Suspended);
    assert_eq!(
        suspended.suspension_reason,
        Some(SuspensionReason::NonPayment)
    );
    assert_eq!(
        login_status(&app, email).await,
        StatusCode::PAYMENT_REQUIRED
    );
    let blocked = app
        .post(
            "/api/v1/planner/keywords/auto_cluster/",
            &json!({"keyword_ids": [1], "sector_id": 1, "method": "local"}),
            Some(&token),
        )
        .await;
    assert_eq!(blocked.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        account_of(&app, account_id).await.credits,
        suspended.credits
    );
    assert_eq!(
        app.outbox.kinds_sent_to(email).last(),
        Some(&"suspended.txt")
    );
    assert!(run(&app).await.transitions.is_empty());
    for action in [
        "payment.renewal_opened",
        "subscription.past_due",
        "account.suspended",
    ] {
        assert_eq!(audited(&app, action, account_id).await, 1, "{action}");
    }

    // The transfer arrives: the new period starts at the old end, on the anchor's day.
    spend(&app, account_id, 400).await;
    app.clock.set(end + TimeDelta::days(9));
    let applied = apply::confirm(&app.quire, renewal[0].id, "system:test", None)
        .await
        .expect("renewal applies");
    assert_eq!(applied.subscription.current_period_start, Some(end));
    assert_eq!(
        applied.subscription.current_period_end,
        Some(at(2027, 3, 31, 10))
    );
    let reopened = account_of(&app, account_id).await;
    assert_eq!(reopened.status, AccountStatus::Active);
    assert_eq!(reopened.credits, 1_000, "reset to the plan amount");
    assert_eq!(login_status(&app, email).await, StatusCode::OK);
    assert!(run(&app).await.transitions.is_empty());
}

async fn cancellation_takes_effect_when_the_period_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "leaver@example.com";
    let (account_id, sub_id) =
        paying_member(&app, email, "starter-monthly", at(2027, 3, 1, 8)).await;
    let token = body(app.login(email, PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    let cancelled = app
        .post(
            &format!("/api/v1/auth/subscriptions/{sub_id}/cancel/"),
            &json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let end = subscription_of(&app, sub_id)
        .await
        .current_period_end
        .expect("end");

    // No renewal is opened for a subscription that is ending, and it works until the end.
    app.clock.set(end - TimeDelta::days(1));
    assert!(run(&app).await.transitions.is_empty());
    assert!(open_payments(&app, account_id).await.is_empty());
    let credits = account_of(&app, account_id).await.credits;

    app.clock.set(end);
    assert_eq!(run(&app).await.count("cancelled"), 1);
    let ended = subscription_of(&app, sub_id).await;
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    assert_eq!(ended.ended_at, Some(end));
    let account = account_of(&app, account_id).await;
    assert_eq!(account.status, AccountStatus::Cancelled);
    assert_eq!(account.credits, credits, "no new credits after the end");
    assert_eq!(
        login_status(&app, email).await,
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(
        app.get("/api/v1/planner/keywords/", Some(&token))
            .await
            .status(),
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(
        app.outbox.kinds_sent_to(email).last(),
        Some(&"cancelled.txt")
    );
    assert_eq!(audited(&app, "subscription.canceled", account_id).await, 1);

    // Months later nothing more happens.
    app.clock.set(end + TimeDelta::days(90));
    assert!(run(&app).await.transitions.is_empty());
    assert_eq!(account_of(&app, account_id).await.credits, credits);
}

async fn a_trial_ends_into_pending_payment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "trier@example.com";
    app.clock.set(at(2027, 5, 1, 12));
    let registered = app.register(email, "growth-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    assert_eq!(registered["account"]["status"], "trial");
    let trial_end = at(2027, 5, 15, 12);

    // The payment is opened a week before the trial ends, then the trial ends unpaid.
    app.clock.set(trial_end - TimeDelta::days(7));
    assert_eq!(run(&app).await.count("renewal_opened"), 1);
    app.clock.set(trial_end);
    assert_eq!(run(&app).await.count("trial_ended"), 1);
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::PendingPayment
    );
    let open = open_payments(&app, account_id).await;
    assert_eq!(
        open.len(),
        1,
        "the payment opened before the end is the one to pay"
    );
    let refused = app.login(email, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    let refused = body(refused).await;
    assert_eq!(refused["code"], "payment_pending");
    assert_eq!(
        app.outbox.kinds_sent_to(email),
        ["renewal_due.txt", "payment_pending.txt"]
    );

    // Paying starts the first paid period at the trial's end.
    let applied = apply::confirm(&app.quire, open[0].id, "system:test", None)
        .await
        .expect("applies");
    assert_eq!(applied.subscription.current_period_start, Some(trial_end));
    assert_eq!(login_status(&app, email).await, StatusCode::OK);
}

async fn a_free_plan_renews_itself_with_its_credits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "free@example.com";
    app.clock.set(at(2027, 1, 31, 9));
    let registered = app.register(email, "free").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let sub_id = registered["subscription"]["id"]
        .as_i64()
        .expect("subscription");
    spend(&app, account_id, 60).await;

    // No notice for a free plan; at the end a new period starts and the balance resets.
    app.clock.set(at(2027, 2, 27, 9));
    assert!(run(&app).await.transitions.is_empty());
    app.clock.set(at(2027, 2, 28, 9));
    assert_eq!(run(&app).await.count("free_renewal"), 1);
    let renewed = subscription_of(&app, sub_id).await;
    assert_eq!(renewed.status, SubscriptionStatus::Active);
    assert_eq!(renewed.current_period_start, Some(at(2027, 2, 28, 9)));
    assert_eq!(renewed.current_period_end, Some(at(2027, 3, 31, 9)));
    assert_eq!(account_of(&app, account_id).await.credits, 100);
    assert_eq!(
        grants(&app, account_id, CreditKind::RenewalGrant)
            .await
            .len(),
        1
    );
    assert!(open_payments(&app, account_id).await.is_empty());
    assert!(run(&app).await.transitions.is_empty());
    assert_eq!(
        app.outbox.kinds_sent_to(email),
        Vec::<&str>::new(),
        "a free renewal sends nothing"
    );
}

async fn an_annual_plan_grants_its_credits_every_month_for_a_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "annual@example.com";
    // Anchored on 31 January: grants fall on the last day of shorter months.
    let anchor = at(2027, 1, 31, 10);
    let (account_id, sub_id) = paying_member(&app, email, "starter-annual", anchor).await;
    let plan_credits = account_of(&app, account_id).await.credits;

    let mut expected_days = Vec::new();
    for month in 1..12_u32 {
        let due = anchor
            .checked_add_months(chrono::Months::new(month))
            .expect("date");
        expected_days.push(due);
        app.clock.set(due - TimeDelta::minutes(1));
        spend(&app, account_id, 7).await;
        let before = run(&app).await;
        assert_eq!(
            before.count("monthly_grants"),
            0,
            "month {month} is not due yet"
        );
        app.clock.set(due);
        assert_eq!(run(&app).await.count("monthly_grants"), 1, "month {month}");
        assert_eq!(account_of(&app, account_id).await.credits, plan_credits);
        assert!(run(&app).await.transitions.is_empty());
    }
    assert_eq!(expected_days[0], at(2027, 2, 28, 10));
    assert_eq!(expected_days[2], at(2027, 4, 30, 10));
    let monthly = grants(&app, account_id, CreditKind::MonthlyGrant).await;
    assert_eq!(monthly.len(), 11, "the twelfth month is the renewal's");
    let renewal_end = subscription_of(&app, sub_id)
        .await
        .current_period_end
        .expect("end");
    assert_eq!(renewal_end, at(2028, 1, 31, 10));
    app.clock.set(renewal_end - TimeDelta::days(7));
    assert_eq!(run(&app).await.count("renewal_opened"), 1);
    assert_eq!(open_payments(&app, account_id).await[0].amount, 29_000);
    app.clock.set(renewal_end);
    let report = run(&app).await;
    assert_eq!(report.count("monthly_grants"), 0);
    assert_eq!(report.count("past_due"), 1);
    assert_eq!(
        grants(&app, account_id, CreditKind::MonthlyGrant)
            .await
            .len(),
        11
    );
}

async fn a_scheduled_downgrade_takes_effect_at_the_renewal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (account_id, sub_id) = paying_member(
        &app,
        "down@example.com",
        "agency-monthly",
        at(2027, 6, 10, 10),
    )
    .await;
    let starter = app.plan_id("starter-monthly").await;
    let sub = subscription_of(&app, sub_id).await;
    let end = sub.current_period_end.expect("end");
    let mut scheduled: subscription::ActiveModel = sub.into();
    scheduled.scheduled_plan_id = Set(Some(starter));
    scheduled.update(app.db()).await.expect("schedule");

    app.clock.set(end - TimeDelta::days(3));
    assert_eq!(run(&app).await.count("renewal_opened"), 1);
    let renewal = open_payments(&app, account_id).await.remove(0);
    assert_eq!((renewal.plan_id, renewal.amount), (starter, 2_900));
    // Paid three days early: Agency runs to its end, with its credits and limits.
    let agency_credits = account_of(&app, account_id).await.credits;
    let applied = apply::confirm(&app.quire, renewal.id, "system:test", None)
        .await
        .expect("applies");
    assert_eq!(applied.starts_at, end);
    assert_eq!(applied.subscription.plan_id, sub_plan(&app, sub_id).await);
    assert_ne!(applied.subscription.plan_id, starter);
    assert_eq!(applied.account.credits, agency_credits);
    assert!(
        run(&app).await.transitions.is_empty(),
        "no second renewal is opened"
    );
    // At the end the prepaid Starter period starts.
    app.clock.set(end);
    assert_eq!(run(&app).await.count("renewed"), 1);
    let renewed = subscription_of(&app, sub_id).await;
    assert_eq!(renewed.plan_id, starter);
    assert_eq!(renewed.scheduled_plan_id, None);
    assert_eq!(renewed.current_period_start, Some(end));
    let account = account_of(&app, account_id).await;
    assert_eq!(account.plan_id, Some(starter));
    assert_eq!(account.credits, 1_000, "Starter resets to its amount");

    // A downgrade to the free plan needs no payment: the job renews onto it.
    let free = app.plan_id("free").await;
    let sub = subscription_of(&app, sub_id).await;
    let next_end = sub.current_period_end.expect("end");
    let mut scheduled: subscription::ActiveModel = sub.into();
    scheduled.scheduled_plan_id = Set(Some(free));
    scheduled.update(app.db()).await.expect("schedule");
    app.clock.set(next_end - TimeDelta::days(3));
    assert!(
        run(&app).await.transitions.is_empty(),
        "nothing to pay for a free plan"
    );
    app.clock.set(next_end);
    assert_eq!(run(&app).await.count("free_renewal"), 1);
    let on_free = subscription_of(&app, sub_id).await;
    assert_eq!(on_free.plan_id, free);
    assert_eq!(on_free.status, SubscriptionStatus::Active);
    assert_eq!(account_of(&app, account_id).await.credits, 100);
}

async fn an_operators_suspension_is_left_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (account_id, sub_id) = paying_member(
        &app,
        "held@example.com",
        "starter-monthly",
        at(2027, 2, 1, 10),
    )
    .await;
    let row = account_of(&app, account_id).await;
    let mut held: account::ActiveModel = row.into();
    held.status = Set(AccountStatus::Suspended);
    held.suspension_reason = Set(Some(SuspensionReason::Operator));
    held.update(app.db()).await.expect("suspend");
    let end = subscription_of(&app, sub_id)
        .await
        .current_period_end
        .expect("end");
    app.clock.set(end + TimeDelta::days(30));
    let report = run(&app).await;
    assert_eq!(report.count("past_due"), 1);
    assert_eq!(report.count("suspended"), 0);
    let account = account_of(&app, account_id).await;
    assert_eq!(account.status, AccountStatus::Suspended);
    assert_eq!(account.suspension_reason, Some(SuspensionReason::Operator));
    assert_eq!(
        subscription_of(&app, sub_id).await.status,
        SubscriptionStatus::PastDue
    );
    // Paying renews the subscription but does not lift the operator's suspension.
    let renewal = open_payments(&app, account_id).await.remove(0);
    apply::confirm(&app.quire, renewal.id, "system:test", None)
        .await
        .expect("applies");
    assert_eq!(
        subscription_of(&app, sub_id).await.status,
        SubscriptionStatus::Active
    );
    let account = account_of(&app, account_id).await;
    assert_eq!(account.status, AccountStatus::Suspended);
    assert_eq!(account.suspension_reason, Some(SuspensionReason::Operator));
}

async fn two_runs_at_once_make_one_renewal_and_one_transition(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut members = Vec::new();
    for n in 0..4 {
        members.push(
            paying_member(
                &app,
                &format!("m{n}@example.com"),
                "starter-monthly",
                at(2027, 4, 1, 9),
            )
            .await,
        );
    }
    // Straight past the end: each subscription needs a renewal payment and a past-due move.
    app.clock.set(at(2027, 5, 1, 10));
    let (a, b) = tokio::join!(job::run_once(&app.quire), job::run_once(&app.quire));
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    assert_eq!(a.failures + b.failures, 0);
    assert_eq!(a.count("past_due") + b.count("past_due"), 4);
    for (account_id, sub_id) in members {
        assert_eq!(
            payment_count(&app, account_id).await,
            2,
            "first + one renewal"
        );
        assert_eq!(audited(&app, "subscription.past_due", account_id).await, 1);
        assert_eq!(
            subscription_of(&app, sub_id).await.status,
            SubscriptionStatus::PastDue
        );
    }
}

async fn a_confirmation_racing_the_billing_job_ends_consistent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for round in 0..4 {
        let email = format!("racer{round}@example.com");
        let (account_id, sub_id) =
            paying_member(&app, &email, "starter-monthly", at(2027, 7, 1, 9)).await;
        let end = subscription_of(&app, sub_id)
            .await
            .current_period_end
            .expect("end");
        app.clock.set(end - TimeDelta::days(2));
        run(&app).await;
        let renewal = open_payments(&app, account_id).await.remove(0);
        // The transfer is confirmed just as the period ends and the job runs.
        app.clock.set(end + TimeDelta::seconds(1));
        let (confirmed, ran) = tokio::join!(
            apply::confirm(&app.quire, renewal.id, "system:test", None),
            job::run_once(&app.quire)
        );
        confirmed.expect("the confirmation applies whatever the job did");
        assert_eq!(ran.expect("the job runs").failures, 0);
        // One consistent end: paid, active, the next period, one grant, nothing open.
        let sub = subscription_of(&app, sub_id).await;
        assert_eq!(sub.status, SubscriptionStatus::Active, "round {round}");
        assert_eq!(sub.current_period_start, Some(end));
        let account = account_of(&app, account_id).await;
        assert_eq!(account.status, AccountStatus::Active);
        assert_eq!(account.grace_period_ends_at, None);
        assert!(open_payments(&app, account_id).await.is_empty());
        assert_eq!(payment_count(&app, account_id).await, 2);
        assert_eq!(
            grants(&app, account_id, CreditKind::RenewalGrant)
                .await
                .len(),
            2
        );
        assert!(run(&app).await.transitions.is_empty());
        app.clock.set(at(2027, 7, 1, 9));
    }
}

async fn only_the_lease_holder_runs_the_scheduled_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.db();
    let ttl = Duration::from_secs(60);
    assert!(
        job::try_lease(db, job::LEASE_NAME, "node-a", ttl)
            .await
            .expect("lease")
    );
    assert!(
        !job::try_lease(db, job::LEASE_NAME, "node-b", ttl)
            .await
            .expect("lease")
    );
    assert!(
        job::try_lease(db, job::LEASE_NAME, "node-a", ttl)
            .await
            .expect("renew")
    );
    assert!(
        job::run_if_leader(&app.quire, "node-b")
            .await
            .expect("runs")
            .is_none(),
        "node-b waits its turn"
    );
    assert!(
        job::run_if_leader(&app.quire, "node-a")
            .await
            .expect("runs")
            .is_some()
    );
    job::release_lease(db, job::LEASE_NAME, "node-a")
        .await
        .expect("release");
    assert!(
        job::try_lease(db, job::LEASE_NAME, "node-b", ttl)
            .await
            .expect("lease")
    );

    // Two nodes racing for a free lease: exactly one gets it.
    job::release_lease(db, job::LEASE_NAME, "node-b")
        .await
        .expect("release");
    let (a, b) = tokio::join!(
        job::try_lease(db, job::LEASE_NAME, "node-c", ttl),
        job::try_lease(db, job::LEASE_NAME, "node-d", ttl)
    );
    assert!(a.expect("c") ^ b.expect("d"));
}

async fn a_prepaid_period_runs_before_a_later_cancellation_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "prepaid@example.com";
    let (account_id, sub_id) =
        paying_member(&app, email, "starter-monthly", at(2027, 8, 31, 10)).await;
    let end = subscription_of(&app, sub_id)
        .await
        .current_period_end
        .expect("end");
    assert_eq!(end, at(2027, 9, 30, 10));
    app.clock.set(end - TimeDelta::days(7));
    run(&app).await;
    let renewal = open_payments(&app, account_id).await.remove(0);
    apply::confirm(&app.quire, renewal.id, "system:test", None)
        .await
        .expect("prepaid");
    let token = body(app.login(email, PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    let cancelled = app
        .post(
            &format!("/api/v1/auth/subscriptions/{sub_id}/cancel/"),
            &json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    // What was paid for runs: the October period starts, on the anchor's day…
    app.clock.set(end);
    let report = run(&app).await;
    assert_eq!((report.count("renewed"), report.count("cancelled")), (1, 0));
    let renewed = subscription_of(&app, sub_id).await;
    assert_eq!(renewed.current_period_end, Some(at(2027, 10, 31, 10)));
    assert!(renewed.cancel_at_period_end);
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Active
    );
    // …and the cancellation ends it.
    app.clock.set(at(2027, 10, 31, 10));
    assert_eq!(run(&app).await.count("cancelled"), 1);
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Cancelled
    );
}
