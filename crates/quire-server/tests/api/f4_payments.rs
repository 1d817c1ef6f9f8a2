//! F4 — bank-transfer payments: the payer's report, an operator's confirmation through
//! `apply_payment` (the period on the calendar, the plan's credits as a ledger row keyed by
//! the payment, the account active, audited), a second confirmation refused with nothing
//! changed, and rejection.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{TimeZone, Utc};
use quire_core::{
    billing::{apply::apply_payment, payments},
    entities::{
        account, audit_log, credit_transaction,
        enums::{
            AccountStatus, CreditKind, PaymentMethod, PaymentPurpose, PaymentStatus,
            SubscriptionStatus,
        },
        payment, plan, subscription,
    },
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

quire_testkit::on_both_backends!(
    an_operator_confirms_a_transfer_and_the_account_opens,
    confirming_twice_is_refused_and_changes_nothing,
    renewals_start_at_the_old_end_and_follow_the_calendar,
    tenants_see_their_payments_and_report_a_transfer,
    an_operator_rejects_a_payment_with_a_note,
    a_payer_who_cannot_sign_in_yet_reports_the_transfer_by_reference,
);

async fn operator(app: &TestApp) -> String {
    quire_core::accounts::operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
        .await
        .expect("operator");
    body(app.login("ops@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn pending_payment_of(app: &TestApp, account_id: i64) -> payment::Model {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .one(app.db())
        .await
        .expect("query")
        .expect("a pending payment")
}

async fn account(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

async fn ledger_rows(app: &TestApp, account_id: i64) -> u64 {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .count(app.db())
        .await
        .expect("count")
}

async fn an_operator_confirms_a_transfer_and_the_account_opens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("payer@example.com", "starter-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    assert_eq!(
        app.login("payer@example.com", PASSWORD).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    let ops = operator(&app).await;
    let pending = body(
        app.get("/api/v1/admin/payments/?status=pending", Some(&ops))
            .await,
    )
    .await;
    assert_eq!(pending["count"], 1);
    let id = pending["results"][0]["id"].as_i64().expect("payment");
    // Each row names its account and the owner's email (SPEC §8).
    assert_eq!(
        pending["results"][0]["account_name"],
        "payer@example.com account"
    );
    assert_eq!(pending["results"][0]["owner_email"], "payer@example.com");

    let confirmed = app
        .post(
            &format!("/api/v1/admin/payments/{id}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed = body(confirmed).await;
    assert_eq!(confirmed["status"], "paid");
    assert!(confirmed["period_start"].is_string() && confirmed["period_end"].is_string());

    // The seed's F4 rows: dates match the confirmation, credits jump to the plan amount,
    // the account is active and login works again.
    let opened = account(&app, account_id).await;
    assert_eq!(opened.status, AccountStatus::Active);
    assert_eq!(opened.credits, 1_000);
    let grant = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .filter(credit_transaction::Column::Kind.eq(CreditKind::RenewalGrant))
        .one(app.db())
        .await
        .expect("query")
        .expect("the grant");
    assert_eq!(grant.idempotency_key, format!("payment:{id}"));
    assert_eq!(grant.payment_id, Some(id));
    let sub = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(account_id))
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription");
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(
        sub.current_period_end.map(|t| t.to_rfc3339()),
        confirmed["period_end"].as_str().map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .expect("date")
                .with_timezone(&Utc)
                .to_rfc3339()
        })
    );
    assert_eq!(
        app.login("payer@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("payment.applied"))
        .one(app.db())
        .await
        .expect("query")
        .expect("an audit row");
    assert_eq!(audited.object_id, Some(id));
    assert!(audited.actor.starts_with("user:"));

    // The payer heard about both ends: the instructions at sign-up, the confirmation now.
    assert_eq!(
        app.outbox.kinds_sent_to("payer@example.com"),
        ["payment_pending.txt", "payment_confirmed.txt"]
    );
    let confirmation = &app.outbox.sent()[1].email;
    assert!(
        confirmation.body.contains(
            &pending["results"][0]["reference"]
                .as_str()
                .expect("reference")
                .to_owned()
        )
    );

    // Tenants cannot use the operators' API.
    let tenant = body(app.login("payer@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    let refused = app
        .post(
            &format!("/api/v1/admin/payments/{id}/confirm/"),
            &json!({}),
            Some(&tenant),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn confirming_twice_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("payer@example.com", "agency-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let id = pending_payment_of(&app, account_id).await.id;
    let ops = operator(&app).await;
    let path = format!("/api/v1/admin/payments/{id}/confirm/");
    let empty = json!({});
    let (first, second) = tokio::join!(
        app.post(&path, &empty, Some(&ops)),
        app.post(&path, &empty, Some(&ops)),
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let after_first = account(&app, account_id).await;
    let rows = ledger_rows(&app, account_id).await;

    let again = app.post(&path, &json!({}), Some(&ops)).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        body(again).await["detail"],
        "This payment has already been applied."
    );
    assert_eq!(account(&app, account_id).await.credits, after_first.credits);
    assert_eq!(ledger_rows(&app, account_id).await, rows);
}

async fn renewals_start_at_the_old_end_and_follow_the_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Agency adds its credits at each renewal; its monthly cycle crosses February.
    let registered = app.register("payer@example.com", "agency-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let first = pending_payment_of(&app, account_id).await;
    let jan_31 = Utc.with_ymd_and_hms(2027, 1, 31, 10, 0, 0).unwrap();
    let applied = apply_payment(app.db(), first.id, "system:test", None, jan_31)
        .await
        .expect("applied");
    assert_eq!(applied.subscription.current_period_start, Some(jan_31));
    let feb_28 = Utc.with_ymd_and_hms(2027, 2, 28, 10, 0, 0).unwrap();
    assert_eq!(applied.subscription.current_period_end, Some(feb_28));
    let after_first = applied.account.credits;

    let agency = plan::Entity::find_by_id(first.plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let renewal = payments::create_pending(
        app.db(),
        account_id,
        applied.subscription.id,
        &agency,
        PaymentMethod::BankTransfer,
        PaymentPurpose::Subscription,
        Utc::now(),
    )
    .await
    .expect("renewal payment");
    // Paid a day early: prepaid. Nothing moves until the running period ends…
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 2, 27, 9, 0, 0).unwrap());
    let prepaid = quire_core::billing::apply::confirm(&app.quire, renewal.id, "system:test", None)
        .await
        .expect("renewed");
    assert_eq!(prepaid.starts_at, feb_28);
    assert_eq!(prepaid.payment.period_start, Some(feb_28));
    let mar_31 = Utc.with_ymd_and_hms(2027, 3, 31, 10, 0, 0).unwrap();
    assert_eq!(prepaid.payment.period_end, Some(mar_31));
    assert_eq!(prepaid.subscription.current_period_end, Some(feb_28));
    assert_eq!(prepaid.credits_moved, 0);
    assert_eq!(account(&app, account_id).await.credits, after_first);
    assert_eq!(
        app.outbox.kinds_sent_to("payer@example.com").last(),
        Some(&"payment_confirmed.txt")
    );
    // …then the billing job starts the new period at the old end, back on the 31st, and the
    // `add` policy adds the plan's credits.
    app.clock.set(feb_28);
    let report = quire_core::billing::job::run_once(&app.quire)
        .await
        .expect("runs");
    assert_eq!(report.count("renewed"), 1);
    let sub = subscription::Entity::find_by_id(applied.subscription.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription");
    assert_eq!(sub.current_period_start, Some(feb_28));
    assert_eq!(sub.current_period_end, Some(mar_31));
    assert_eq!(
        account(&app, account_id).await.credits,
        after_first + agency.effective_credits_per_month(),
    );
    let report = quire_core::billing::job::run_once(&app.quire)
        .await
        .expect("runs");
    assert!(report.transitions.is_empty(), "{report}");
}

async fn tenants_see_their_payments_and_report_a_transfer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "agency-monthly").await;
    let other = app.active_member("bob@example.com", "agency-monthly").await;
    let listed = body(app.get("/api/v1/billing/payments/", Some(&token)).await).await;
    assert_eq!(listed["count"], 1);
    let id = listed["results"][0]["id"].as_i64().expect("payment");
    let path = format!("/api/v1/billing/payments/{id}/notify/");
    let notice = json!({
        "payer_name": "  Ada   Lovelace ",
        "bank": "First Bank",
        "transfer_reference": "TRX-991",
        "transfer_date": "2026-11-20T00:00:00Z",
    });

    let foreign = app.post(&path, &notice, Some(&other)).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    for bad in [
        json!({"payer_name": "", "bank": "B", "transfer_date": "2026-11-20T00:00:00Z"}),
        json!({"payer_name": "A", "bank": "B", "transfer_date": "2999-01-01T00:00:00Z"}),
    ] {
        let refused = app.post(&path, &bad, Some(&token)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let reported = app.post(&path, &notice, Some(&token)).await;
    assert_eq!(reported.status(), StatusCode::OK);
    let reported = body(reported).await;
    assert_eq!(reported["payer_name"], "Ada Lovelace");
    assert_eq!(reported["payer_bank"], "First Bank");
    assert_eq!(reported["payer_transaction_ref"], "TRX-991");
    assert!(reported["notified_at"].is_string());

    // The operator sees the report with the payment.
    let ops = operator(&app).await;
    let seen = body(
        app.get(
            &format!(
                "/api/v1/admin/payments/?status=pending&account_id={}",
                listed["results"][0]["account_id"]
            ),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(seen["results"][0]["payer_name"], "Ada Lovelace");

    // Operators and anonymous callers do not use the tenant endpoint.
    assert_eq!(
        app.get("/api/v1/billing/payments/", Some(&ops))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/billing/payments/", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Once paid, there is nothing left to report.
    let confirm = app
        .post(
            &format!("/api/v1/admin/payments/{id}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirm.status(), StatusCode::OK);
    assert_eq!(
        app.post(&path, &notice, Some(&token)).await.status(),
        StatusCode::CONFLICT
    );
}

async fn an_operator_rejects_a_payment_with_a_note(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("payer@example.com", "starter-monthly").await;
    let account_id = registered["account"]["id"].as_i64().expect("account");
    let id = pending_payment_of(&app, account_id).await.id;
    let ops = operator(&app).await;
    let path = format!("/api/v1/admin/payments/{id}/reject/");
    let no_note = app.post(&path, &json!({"note": " "}), Some(&ops)).await;
    assert_eq!(no_note.status(), StatusCode::BAD_REQUEST);
    let rejected = app
        .post(&path, &json!({"note": "No transfer arrived."}), Some(&ops))
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let rejected = body(rejected).await;
    assert_eq!(rejected["status"], "failed");
    assert_eq!(rejected["note"], "No transfer arrived.");
    assert_eq!(
        account(&app, account_id).await.status,
        AccountStatus::PendingPayment,
        "the account stays as it was"
    );
    let confirm = app
        .post(
            &format!("/api/v1/admin/payments/{id}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirm.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.post(&path, &json!({"note": "again"}), Some(&ops))
            .await
            .status(),
        StatusCode::CONFLICT
    );
}

async fn a_payer_who_cannot_sign_in_yet_reports_the_transfer_by_reference(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("first@example.com", "starter-monthly").await;
    let reference = registered["payment"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let report = |reference: &str, email: &str| {
        json!({
            "reference": reference, "email": email, "payer_name": "  First   Payer ",
            "bank": "Example Bank", "transfer_reference": "TRX-991",
            "transfer_date": Utc::now().to_rfc3339(),
        })
    };
    // Another email, or a reference that does not exist: the same 404, nothing recorded.
    for (reference, email) in [
        (reference.as_str(), "someone@example.com"),
        ("QR-0000-0000-0", "first@example.com"),
    ] {
        let refused = app
            .post(
                "/api/v1/billing/transfers/",
                &report(reference, email),
                None,
            )
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    }
    let malformed = app
        .post(
            "/api/v1/billing/transfers/",
            &report("QR-1234", "first@example.com"),
            None,
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(body(malformed).await["reference"].is_array());

    // As typed from a bank statement: lower case, spaces instead of dashes; email in capitals.
    let typed = reference.to_lowercase().replace('-', " ");
    let recorded = app
        .post(
            "/api/v1/billing/transfers/",
            &report(&typed, "FIRST@example.com"),
            None,
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::OK);
    let recorded = body(recorded).await;
    assert_eq!(recorded["payer_name"], "First Payer");
    assert_eq!(recorded["payer_transaction_ref"], "TRX-991");

    // The operator sees it, confirms, and a second report is a conflict.
    let ops = operator(&app).await;
    let listed = body(
        app.get("/api/v1/admin/payments/?status=pending", Some(&ops))
            .await,
    )
    .await;
    assert_eq!(listed["results"][0]["payer_bank"], "Example Bank");
    let id = listed["results"][0]["id"].as_i64().expect("id");
    let confirmed = app
        .post(
            &format!("/api/v1/admin/payments/{id}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let again = app
        .post(
            "/api/v1/billing/transfers/",
            &report(&reference, "first@example.com"),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}
