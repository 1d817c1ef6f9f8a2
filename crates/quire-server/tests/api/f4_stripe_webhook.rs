//! F4 — the Stripe webhook: 503 until a signing secret is configured, the signature checked on
//! the raw body, every event kept once in the inbox so a replay changes nothing, a paid
//! invoice applied through `apply_payment`, and Stripe's subscription changes mirrored.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{SubsecRound, TimeDelta};
use quire_core::{
    billing::{apply::apply_payment, payments, stripe_signature},
    entities::{
        account, audit_log, credit_transaction,
        enums::{
            AccountStatus, PaymentMethod, PaymentPurpose, PaymentStatus, SubscriptionStatus,
            SuspensionReason, WebhookEventStatus,
        },
        payment, plan, subscription, webhook_event,
    },
};
use reqwest::{Response, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    the_webhook_answers_503_while_stripe_is_not_enabled,
    bad_signatures_and_malformed_events_are_refused_and_nothing_is_stored,
    a_paid_invoice_applies_its_payment_once,
    an_invoice_that_does_not_match_its_payment_is_ignored,
    an_invoice_of_a_stripe_subscription_pays_its_oldest_pending_payment,
    stripe_mirrors_the_cancel_flag_of_a_subscription,
    a_deleted_subscription_ends_it_and_cancels_the_account,
    unknown_event_types_are_recorded_and_ignored,
    an_event_left_unprocessed_is_processed_on_retry,
);

const SECRET: &str = "whsec_test";
const PATH: &str = "/api/v1/billing/webhooks/stripe/";

/// An app with a signing secret, its clock on a whole second (PostgreSQL keeps microseconds).
async fn enabled(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.stripe_webhook_secret = Some(SECRET.into());
    })
    .await;
    app.clock.set(app.clock.now().trunc_subsecs(0));
    app
}

/// Posts `raw` with this `Stripe-Signature` header (none when `None`).
async fn post_raw(app: &TestApp, raw: &[u8], signature: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body(raw.to_vec());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.expect("request")
}

/// Posts `event` signed now (by the app's clock) with the right secret.
async fn deliver(app: &TestApp, event: &Value) -> Response {
    let raw = serde_json::to_vec(event).expect("json");
    let signature = stripe_signature::sign(SECRET, app.clock.now().timestamp(), &raw);
    post_raw(app, &raw, Some(&signature)).await
}

/// Delivers `event` and returns the 200 receipt.
async fn delivered(app: &TestApp, event: &Value) -> Value {
    let response = deliver(app, event).await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "data": {"object": object}})
}

fn invoice_paid(id: &str, reference: &str, amount: i64, currency: &str) -> Value {
    event(
        id,
        "invoice.paid",
        json!({
            "id": "in_1",
            "object": "invoice",
            "amount_paid": amount,
            "currency": currency,
            "metadata": {"quire_payment_reference": reference},
        }),
    )
}

fn stripe_subscription(id: &str, kind: &str, stripe_id: &str, cancel: bool) -> Value {
    event(
        id,
        kind,
        json!({
            "id": stripe_id,
            "object": "subscription",
            "cancel_at_period_end": cancel,
            "canceled_at": if cancel { json!(1_900_000_000) } else { Value::Null },
        }),
    )
}

async fn stored_events(app: &TestApp) -> Vec<webhook_event::Model> {
    webhook_event::Entity::find()
        .all(app.db())
        .await
        .expect("query")
}

async fn stored_event(app: &TestApp, event_id: &str) -> webhook_event::Model {
    webhook_event::Entity::find()
        .filter(webhook_event::Column::EventId.eq(event_id))
        .one(app.db())
        .await
        .expect("query")
        .expect("stored event")
}

async fn account_of(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

async fn payment_of(app: &TestApp, id: i64) -> payment::Model {
    payment::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("payment")
}

async fn subscription_of(app: &TestApp, id: i64) -> subscription::Model {
    subscription::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription")
}

async fn ledger_rows(app: &TestApp, account_id: i64) -> u64 {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .count(app.db())
        .await
        .expect("count")
}

/// Registers `email` on `plan_slug`; its account id and its pending first payment.
async fn registered(app: &TestApp, email: &str, plan_slug: &str) -> (i64, payment::Model) {
    let account_id = app.register(email, plan_slug).await["account"]["id"]
        .as_i64()
        .expect("account");
    let pending = payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .one(app.db())
        .await
        .expect("query")
        .expect("a pending payment");
    (account_id, pending)
}

/// A member whose first payment was applied, and whose subscription mirrors `stripe_id`.
async fn stripe_member(app: &TestApp, email: &str, stripe_id: &str) -> subscription::Model {
    let (_, pending) = registered(app, email, "agency-monthly").await;
    let applied = apply_payment(app.db(), pending.id, "system:test", None, app.clock.now())
        .await
        .expect("applied");
    let mut row: subscription::ActiveModel = applied.subscription.into();
    row.external_id = Set(Some(stripe_id.to_owned()));
    row.update(app.db()).await.expect("external id")
}

async fn the_webhook_answers_503_while_stripe_is_not_enabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, pending) = registered(&app, "payer@example.com", "starter-monthly").await;
    let response = deliver(
        &app,
        &invoice_paid("evt_1", &pending.reference, pending.amount, "usd"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let refused = body(response).await;
    assert_eq!(refused["code"], "stripe_disabled");
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("QUIRE_STRIPE_WEBHOOK_SECRET")
    );
    assert!(stored_events(&app).await.is_empty());
    assert_eq!(
        payment_of(&app, pending.id).await.status,
        PaymentStatus::Pending
    );
}

async fn bad_signatures_and_malformed_events_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = enabled(backend).await;
    let (account_id, pending) = registered(&app, "payer@example.com", "starter-monthly").await;
    let raw = serde_json::to_vec(&invoice_paid(
        "evt_1",
        &pending.reference,
        pending.amount,
        "usd",
    ))
    .expect("json");
    let now = app.clock.now().timestamp();
    let tampered = String::from_utf8(raw.clone())
        .expect("text")
        .replace("evt_1", "evt_2");
    let too_old = now - stripe_signature::TOLERANCE_SECONDS - 1;
    for (case, sent, signature) in [
        ("missing", raw.clone(), None),
        (
            "another secret",
            raw.clone(),
            Some(stripe_signature::sign("whsec_other", now, &raw)),
        ),
        (
            "expired",
            raw.clone(),
            Some(stripe_signature::sign(SECRET, too_old, &raw)),
        ),
        (
            "tampered body",
            tampered.into_bytes(),
            Some(stripe_signature::sign(SECRET, now, &raw)),
        ),
        ("malformed header", raw.clone(), Some("v1=abc".to_owned())),
    ] {
        let response = post_raw(&app, &sent, signature.as_deref()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
        let refused = body(response).await;
        assert_eq!(refused["code"], "invalid_signature", "{case}");
        assert!(
            refused["detail"]
                .as_str()
                .expect("detail")
                .contains("Stripe-Signature"),
            "{case}: {refused}"
        );
    }

    // Signed correctly, but not a Stripe event.
    for malformed in [
        b"{\"id\": \"evt_1\", \"type\": ".to_vec(),
        br#"{"id": "evt_1", "type": "invoice.paid"}"#.to_vec(),
        br#"{"id": "", "type": "invoice.paid", "data": {"object": {}}}"#.to_vec(),
        br#"{"id": "evt_1", "type": "invoice.paid", "data": {"object": 5}}"#.to_vec(),
    ] {
        let signature = stripe_signature::sign(SECRET, now, &malformed);
        let response = post_raw(&app, &malformed, Some(&signature)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body(response).await["code"], "malformed_event");
    }

    let huge = vec![b' '; quire_server::BODY_LIMIT + 1];
    let signature = stripe_signature::sign(SECRET, now, &huge);
    let response = post_raw(&app, &huge, Some(&signature)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(response).await["code"], "payload_too_large");

    assert!(stored_events(&app).await.is_empty());
    assert_eq!(
        payment_of(&app, pending.id).await.status,
        PaymentStatus::Pending
    );
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::PendingPayment
    );
}

async fn a_paid_invoice_applies_its_payment_once(backend: Backend) {
    let app = enabled(backend).await;
    let (account_id, pending) = registered(&app, "payer@example.com", "starter-monthly").await;
    let plan = plan::Entity::find_by_id(pending.plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let rows_before = ledger_rows(&app, account_id).await;
    // Stripe writes currencies in lower case.
    let paid = invoice_paid(
        "evt_paid",
        &pending.reference,
        pending.amount,
        &pending.currency.to_lowercase(),
    );

    let receipt = delivered(&app, &paid).await;
    assert_eq!(
        receipt,
        json!({"received": true, "event_id": "evt_paid", "status": "applied"})
    );
    let opened = account_of(&app, account_id).await;
    assert_eq!(opened.status, AccountStatus::Active);
    assert_eq!(opened.credits, plan.effective_credits_per_month());
    assert_eq!(ledger_rows(&app, account_id).await, rows_before + 1);
    let confirmed = payment_of(&app, pending.id).await;
    assert_eq!(confirmed.status, PaymentStatus::Paid);
    assert_eq!(confirmed.confirmed_at, Some(app.clock.now()));
    assert_eq!(confirmed.confirmed_by, None);
    assert_eq!(
        app.outbox.kinds_sent_to("payer@example.com"),
        ["payment_pending.txt", "payment_confirmed.txt"]
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("payment.applied"))
        .one(app.db())
        .await
        .expect("query")
        .expect("audit row");
    assert_eq!(audited.actor, "system:stripe");
    let stored = stored_event(&app, "evt_paid").await;
    assert_eq!(stored.status, WebhookEventStatus::Applied);
    assert_eq!(stored.provider, "stripe");
    assert_eq!(stored.event_type, "invoice.paid");
    assert_eq!(stored.processed_at, Some(app.clock.now()));
    assert_eq!(
        serde_json::from_str::<Value>(&stored.payload).expect("payload"),
        paid
    );
    assert_eq!(
        app.login("payer@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    // Stripe delivers the same event again, later: nothing moves.
    app.clock.advance(TimeDelta::minutes(10));
    let replay = delivered(&app, &paid).await;
    assert_eq!(replay["status"], "duplicate");
    assert_eq!(replay["event_id"], "evt_paid");
    assert_eq!(ledger_rows(&app, account_id).await, rows_before + 1);
    assert_eq!(account_of(&app, account_id).await, opened);
    assert_eq!(stored_event(&app, "evt_paid").await, stored);
    assert_eq!(app.outbox.sent().len(), 2);

    // Another event for the same invoice finds the payment already applied.
    let mut second = paid.clone();
    second["id"] = json!("evt_paid_again");
    let ignored = delivered(&app, &second).await;
    assert_eq!(ignored["status"], "ignored");
    assert!(
        ignored["reason"]
            .as_str()
            .expect("reason")
            .contains("already been applied"),
        "{ignored}"
    );
    let stored = stored_event(&app, "evt_paid_again").await;
    assert_eq!(stored.status, WebhookEventStatus::Ignored);
    assert!(
        stored
            .error
            .expect("reason")
            .contains("already been applied")
    );
    assert_eq!(ledger_rows(&app, account_id).await, rows_before + 1);
    assert_eq!(account_of(&app, account_id).await, opened);
    assert_eq!(app.outbox.sent().len(), 2);
    assert_eq!(stored_events(&app).await.len(), 2);
}

async fn an_invoice_that_does_not_match_its_payment_is_ignored(backend: Backend) {
    let app = enabled(backend).await;
    let (account_id, pending) = registered(&app, "payer@example.com", "starter-monthly").await;
    let rows_before = ledger_rows(&app, account_id).await;
    let other_currency = if pending.currency == "EUR" {
        "usd"
    } else {
        "eur"
    };
    for (id, event, reason) in [
        (
            "evt_short",
            invoice_paid("evt_short", &pending.reference, pending.amount - 1, "usd"),
            "the invoice paid",
        ),
        (
            "evt_currency",
            invoice_paid(
                "evt_currency",
                &pending.reference,
                pending.amount,
                other_currency,
            ),
            "the invoice paid",
        ),
        (
            "evt_unknown",
            invoice_paid("evt_unknown", "QX-NOPE-0000", pending.amount, "usd"),
            "no Quire payment",
        ),
        (
            "evt_nothing",
            event(
                "evt_nothing",
                "invoice.paid",
                json!({"amount_paid": pending.amount, "currency": "usd"}),
            ),
            "neither",
        ),
        (
            "evt_no_amount",
            event(
                "evt_no_amount",
                "invoice.paid",
                json!({"metadata": {"quire_payment_reference": pending.reference}}),
            ),
            "no amount_paid",
        ),
    ] {
        let receipt = delivered(&app, &event).await;
        assert_eq!(receipt["status"], "ignored", "{id}");
        assert!(
            receipt["reason"].as_str().expect("reason").contains(reason),
            "{id}: {receipt}"
        );
        assert_eq!(
            stored_event(&app, id).await.status,
            WebhookEventStatus::Ignored
        );
    }
    assert_eq!(
        payment_of(&app, pending.id).await.status,
        PaymentStatus::Pending
    );
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::PendingPayment
    );
    assert_eq!(ledger_rows(&app, account_id).await, rows_before);
    assert_eq!(app.outbox.kinds_sent_to("payer@example.com").len(), 1);
}

async fn an_invoice_of_a_stripe_subscription_pays_its_oldest_pending_payment(backend: Backend) {
    let app = enabled(backend).await;
    let (account_id, pending) = registered(&app, "payer@example.com", "starter-monthly").await;
    let sub_id = pending.subscription_id.expect("subscription");
    let mut row: subscription::ActiveModel = subscription_of(&app, sub_id).await.into();
    row.external_id = Set(Some("sub_123".to_owned()));
    row.update(app.db()).await.expect("external id");
    // A newer pending payment of the same subscription waits its turn.
    let plan = plan::Entity::find_by_id(pending.plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let newer = payments::create_pending(
        app.db(),
        account_id,
        sub_id,
        &plan,
        PaymentMethod::BankTransfer,
        PaymentPurpose::Subscription,
        app.clock.now(),
    )
    .await
    .expect("newer payment");

    let unknown = event(
        "evt_other_sub",
        "invoice.paid",
        json!({"amount_paid": pending.amount, "currency": "usd", "subscription": "sub_999"}),
    );
    let receipt = delivered(&app, &unknown).await;
    assert_eq!(receipt["status"], "ignored");
    assert!(
        receipt["reason"]
            .as_str()
            .expect("reason")
            .contains("sub_999")
    );

    // Stripe's newer API versions name the subscription under `parent`.
    let paid = event(
        "evt_sub_paid",
        "invoice.paid",
        json!({
            "amount_paid": pending.amount,
            "currency": pending.currency.to_lowercase(),
            "parent": {"subscription_details": {"subscription": "sub_123"}},
        }),
    );
    assert_eq!(delivered(&app, &paid).await["status"], "applied");
    assert_eq!(
        payment_of(&app, pending.id).await.status,
        PaymentStatus::Paid
    );
    assert_eq!(
        payment_of(&app, newer.id).await.status,
        PaymentStatus::Pending
    );
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Active
    );
}

async fn stripe_mirrors_the_cancel_flag_of_a_subscription(backend: Backend) {
    let app = enabled(backend).await;
    let sub = stripe_member(&app, "ada@example.com", "sub_ada").await;
    let kind = "customer.subscription.updated";

    let cancel = stripe_subscription("evt_cancel", kind, "sub_ada", true);
    assert_eq!(delivered(&app, &cancel).await["status"], "applied");
    let cancelled = subscription_of(&app, sub.id).await;
    assert!(cancelled.cancel_at_period_end);
    assert_eq!(
        cancelled.canceled_at.map(|t| t.timestamp()),
        Some(1_900_000_000)
    );
    assert_eq!(cancelled.status, SubscriptionStatus::Active);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("subscription.updated_by_stripe"))
        .all(app.db())
        .await
        .expect("query");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor, "system:stripe");
    assert_eq!(audited[0].object_id, Some(sub.id));

    // The same state again changes nothing.
    let again = stripe_subscription("evt_cancel_again", kind, "sub_ada", true);
    assert_eq!(delivered(&app, &again).await["status"], "ignored");
    assert_eq!(subscription_of(&app, sub.id).await, cancelled);

    let resume = stripe_subscription("evt_resume", kind, "sub_ada", false);
    assert_eq!(delivered(&app, &resume).await["status"], "applied");
    let resumed = subscription_of(&app, sub.id).await;
    assert!(!resumed.cancel_at_period_end);
    assert_eq!(resumed.canceled_at, None);

    let unknown = stripe_subscription("evt_unknown_sub", kind, "sub_nobody", true);
    let receipt = delivered(&app, &unknown).await;
    assert_eq!(receipt["status"], "ignored");
    assert!(
        receipt["reason"]
            .as_str()
            .expect("reason")
            .contains("sub_nobody")
    );
    assert_eq!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("subscription.updated_by_stripe"))
            .count(app.db())
            .await
            .expect("count"),
        2
    );
}

async fn a_deleted_subscription_ends_it_and_cancels_the_account(backend: Backend) {
    let app = enabled(backend).await;
    let sub = stripe_member(&app, "ada@example.com", "sub_ada").await;
    let plan = plan::Entity::find_by_id(sub.plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let renewal = payments::create_pending(
        app.db(),
        sub.account_id,
        sub.id,
        &plan,
        PaymentMethod::BankTransfer,
        PaymentPurpose::Subscription,
        app.clock.now(),
    )
    .await
    .expect("renewal");
    let credits = account_of(&app, sub.account_id).await.credits;
    let kind = "customer.subscription.deleted";

    let deleted = stripe_subscription("evt_deleted", kind, "sub_ada", false);
    assert_eq!(delivered(&app, &deleted).await["status"], "applied");
    let ended = subscription_of(&app, sub.id).await;
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    assert_eq!(ended.ended_at, Some(app.clock.now()));
    let closed = account_of(&app, sub.account_id).await;
    assert_eq!(closed.status, AccountStatus::Cancelled);
    assert_eq!(closed.credits, credits, "no credit moves");
    assert_eq!(
        payment_of(&app, renewal.id).await.status,
        PaymentStatus::Void
    );
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body(login).await["code"], "subscription_required");
    assert_eq!(
        app.outbox.kinds_sent_to("ada@example.com").last(),
        Some(&"cancelled.txt")
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("subscription.deleted_by_stripe"))
        .one(app.db())
        .await
        .expect("query")
        .expect("audit row");
    assert_eq!(audited.object_id, Some(sub.id));

    // Deleted again (another event id): already over, nothing changes.
    let sent = app.outbox.sent().len();
    let again = stripe_subscription("evt_deleted_again", kind, "sub_ada", false);
    assert_eq!(delivered(&app, &again).await["status"], "ignored");
    assert_eq!(subscription_of(&app, sub.id).await, ended);
    assert_eq!(app.outbox.sent().len(), sent);

    // An operator's suspension stands: the subscription ends, the account stays suspended.
    let bob = stripe_member(&app, "bob@example.com", "sub_bob").await;
    let mut suspended: account::ActiveModel = account_of(&app, bob.account_id).await.into();
    suspended.status = Set(AccountStatus::Suspended);
    suspended.suspension_reason = Set(Some(SuspensionReason::Operator));
    suspended.update(app.db()).await.expect("suspend");
    let deleted = stripe_subscription("evt_deleted_bob", kind, "sub_bob", false);
    assert_eq!(delivered(&app, &deleted).await["status"], "applied");
    assert_eq!(
        subscription_of(&app, bob.id).await.status,
        SubscriptionStatus::Canceled
    );
    let still = account_of(&app, bob.account_id).await;
    assert_eq!(still.status, AccountStatus::Suspended);
    assert_eq!(still.suspension_reason, Some(SuspensionReason::Operator));
}

async fn unknown_event_types_are_recorded_and_ignored(backend: Backend) {
    let app = enabled(backend).await;
    let created = event("evt_customer", "customer.created", json!({"id": "cus_1"}));
    let receipt = delivered(&app, &created).await;
    assert_eq!(receipt["status"], "ignored");
    assert!(
        receipt["reason"]
            .as_str()
            .expect("reason")
            .contains("unhandled event type")
    );
    let stored = stored_event(&app, "evt_customer").await;
    assert_eq!(stored.status, WebhookEventStatus::Ignored);
    assert_eq!(stored.event_type, "customer.created");
    assert!(
        stored
            .error
            .expect("reason")
            .contains("unhandled event type")
    );
    let replay = delivered(&app, &created).await;
    assert_eq!(replay["status"], "duplicate");
    assert!(
        replay["reason"]
            .as_str()
            .expect("reason")
            .contains("already ignored")
    );
}

async fn an_event_left_unprocessed_is_processed_on_retry(backend: Backend) {
    let app = enabled(backend).await;
    for (status, email) in [
        (WebhookEventStatus::Received, "first@example.com"),
        (WebhookEventStatus::Failed, "second@example.com"),
    ] {
        let (account_id, pending) = registered(&app, email, "starter-monthly").await;
        let id = format!("evt_{email}");
        let paid = invoice_paid(&id, &pending.reference, pending.amount, "usd");
        // An earlier delivery stored the event, then crashed (or failed) before finishing it.
        webhook_event::ActiveModel {
            provider: Set("stripe".to_owned()),
            event_id: Set(id.clone()),
            event_type: Set("invoice.paid".to_owned()),
            payload: Set(paid.to_string()),
            status: Set(status),
            error: Set((status == WebhookEventStatus::Failed).then(|| "database: gone".into())),
            received_at: Set(app.clock.now()),
            processed_at: Set(None),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("stored event");

        assert_eq!(
            delivered(&app, &paid).await["status"],
            "applied",
            "{status:?}"
        );
        assert_eq!(
            payment_of(&app, pending.id).await.status,
            PaymentStatus::Paid
        );
        assert_eq!(
            account_of(&app, account_id).await.status,
            AccountStatus::Active
        );
        let stored = stored_event(&app, &id).await;
        assert_eq!(stored.status, WebhookEventStatus::Applied);
        assert_eq!(stored.error, None);
    }
    assert_eq!(stored_events(&app).await.len(), 2);
}
