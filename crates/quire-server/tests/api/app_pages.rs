//! The tenant app's public pages, sign-in with the gates' pages, billing and usage, over plain
//! HTTP: what a new user sees, that refusals say what to do and change nothing, and that
//! another tenant's ids are not found.

use crate::{
    common::{Backend, TestApp},
    visitor::{Visitor, location},
};
use quire_core::{
    accounts::operators,
    admin::accounts::{self as admin_accounts, StatusChange},
    billing::apply,
    entities::{
        account,
        enums::{AccountStatus, PaymentStatus},
        payment, subscription, user,
    },
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

quire_testkit::on_both_backends!(
    a_paid_sign_up_waits_for_its_transfer_then_signs_in,
    members_manage_billing_and_read_their_usage,
    refused_members_see_what_to_do_and_can_sign_out,
);

async fn account_of(app: &TestApp, email: &str) -> account::Model {
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .expect("query")
        .expect("user");
    account::Entity::find_by_id(owner.account_id.expect("member"))
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

async fn payments_of(app: &TestApp, account_id: i64) -> Vec<payment::Model> {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .all(app.db())
        .await
        .expect("payments")
}

async fn a_paid_sign_up_waits_for_its_transfer_then_signs_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut visitor = Visitor::new(&app.url(""));

    // Pricing: plans from the database, by billing cycle.
    let monthly = visitor.page("/pricing", StatusCode::OK).await;
    assert!(monthly.contains("id=\"plan-starter-monthly\""));
    assert!(!monthly.contains("id=\"plan-starter-annual\""));
    let annual = visitor.page("/pricing?cycle=annual", StatusCode::OK).await;
    assert!(annual.contains("id=\"plan-starter-annual\""));
    assert!(
        annual.contains("id=\"plan-free\""),
        "free plans show in both"
    );

    // The form offers card and PayPal as coming soon, not as choices.
    let form = visitor
        .page("/register?plan=starter-monthly", StatusCode::OK)
        .await;
    assert!(
        form.contains("value=\"stripe\"  disabled") || form.contains("value=\"stripe\" disabled")
    );
    assert!(form.contains("coming soon"));

    // A weak password is refused in words, what was typed is kept, nothing is created.
    let starter = app.plan_id("starter-monthly").await;
    let starter_text = starter.to_string();
    let weak = visitor
        .post(
            "/register",
            &[
                ("plan_id", &starter_text),
                ("name", "Pat"),
                ("email", "pat@example.com"),
                ("password", "short"),
                ("payment_method", "bank_transfer"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = weak.text().await.expect("html");
    assert!(html.contains("value=\"pat@example.com\""));
    assert!(
        html.contains("class=\"error-text\" id=\"password-error\">")
            && !html.contains("id=\"password-error\"></span>")
    );
    let nobody = user::Entity::find()
        .filter(user::Column::Email.eq("pat@example.com"))
        .one(app.db())
        .await
        .expect("query");
    assert!(nobody.is_none());

    // Signed up on a paid plan: the transfer to make, with its reference.
    let signed_up = visitor.sign_up("pat@example.com", starter).await;
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let html = signed_up.text().await.expect("html");
    let account = account_of(&app, "pat@example.com").await;
    let pending = payments_of(&app, account.id).await;
    assert_eq!(pending.len(), 1);
    let reference = pending[0].reference.clone();
    assert!(html.contains(&reference));
    assert!(html.contains("I have paid"));

    // Signing in before the transfer is confirmed: the 402 page with the instructions.
    let refused = visitor.sign_in("pat@example.com").await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(refused.text().await.expect("html").contains(&reference));

    // "I have paid" before sign-in: a wrong email is refused in words, the right one recorded.
    visitor
        .page(
            &format!("/payments/report?reference={reference}"),
            StatusCode::OK,
        )
        .await;
    let report = |email: &'static str| {
        [
            ("reference", reference.clone()),
            ("email", email.to_owned()),
            ("payer_name", "Pat Payer".to_owned()),
            ("bank", "First Bank".to_owned()),
            ("transfer_reference", String::new()),
            ("transfer_date", "2026-11-20".to_owned()),
        ]
    };
    let fields = report("someone@example.com");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = visitor.post("/payments/report", &pairs).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("No open payment has this reference")
    );
    let fields = report("pat@example.com");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reported = visitor.post("/payments/report", &pairs).await;
    assert_eq!(reported.status(), StatusCode::OK);
    let payment = &payments_of(&app, account.id).await[0];
    assert!(payment.notified_at.is_some());
    assert_eq!(payment.payer_name.as_deref(), Some("Pat Payer"));

    // An operator confirms; now sign-in opens the dashboard with the plan's credits, and a
    // `next` that leaves Quire is ignored.
    apply::confirm(&app.quire, payment.id, "test", None)
        .await
        .expect("confirm");
    visitor
        .page("/login?next=//evil.example/", StatusCode::OK)
        .await;
    let signed_in = visitor
        .post(
            "/login",
            &[
                ("email", "pat@example.com"),
                ("password", crate::common::PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/dashboard");
    let dashboard = visitor.page("/dashboard", StatusCode::OK).await;
    assert!(dashboard.contains("id=\"credits-left\">1000<"));
}

async fn members_manage_billing_and_read_their_usage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut visitor = Visitor::new(&app.url(""));
    let free = app.plan_id("free").await;
    let signed_up = visitor.sign_up("fay@example.com", free).await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_up), "/dashboard");
    let account = account_of(&app, "fay@example.com").await;
    let subscription_of = || async {
        subscription::Entity::find()
            .filter(subscription::Column::AccountId.eq(account.id))
            .one(app.db())
            .await
            .expect("query")
            .expect("subscription")
    };
    let sub = subscription_of().await;

    // A forged form changes nothing.
    let billing = visitor.page("/billing", StatusCode::OK).await;
    assert!(billing.contains("id=\"plan-name\">Free<"));
    let token = visitor.csrf.clone();
    visitor.csrf = "forged".to_owned();
    let forged = visitor
        .post(&format!("/billing/subscriptions/{}/cancel", sub.id), &[])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!subscription_of().await.cancel_at_period_end);
    visitor.csrf = token;

    // Cancel at the period's end, then resume; doing it twice says why it cannot.
    let cancel = format!("/billing/subscriptions/{}/cancel", sub.id);
    let cancelled = visitor.post(&cancel, &[]).await;
    assert_eq!(location(&cancelled), "/billing?done=cancelled");
    assert!(subscription_of().await.cancel_at_period_end);
    let again = visitor.post(&cancel, &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.expect("html").contains("id=\"notice\""));
    let resumed = visitor
        .post(&format!("/billing/subscriptions/{}/resume", sub.id), &[])
        .await;
    assert_eq!(location(&resumed), "/billing?done=resumed");
    assert!(!subscription_of().await.cancel_at_period_end);

    // Upgrading opens a payment whose transfer the page shows, and "I have paid" records it.
    let starter = app.plan_id("starter-monthly").await.to_string();
    let upgraded = visitor
        .post(
            &format!("/billing/subscriptions/{}/change_plan", sub.id),
            &[("plan_id", &starter)],
        )
        .await;
    assert_eq!(location(&upgraded), "/billing?done=upgrade");
    let open = payments_of(&app, account.id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].status, PaymentStatus::Pending);
    let billing = visitor.page("/billing?done=upgrade", StatusCode::OK).await;
    assert!(billing.contains(&open[0].reference));
    let report_path = format!("/billing/payments/{}/report", open[0].id);
    visitor.page(&report_path, StatusCode::OK).await;
    let bad_date = visitor
        .post(
            &report_path,
            &[
                ("payer_name", "Fay"),
                ("bank", "Bank"),
                ("transfer_date", "yesterday"),
            ],
        )
        .await;
    assert_eq!(bad_date.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(payments_of(&app, account.id).await[0].notified_at.is_none());
    let reported = visitor
        .post(
            &report_path,
            &[
                ("payer_name", "Fay"),
                ("bank", "Bank"),
                ("transfer_date", "2026-11-25"),
            ],
        )
        .await;
    assert_eq!(location(&reported), "/billing?done=reported");
    assert!(payments_of(&app, account.id).await[0].notified_at.is_some());

    // The account's details: a bad country is refused in words and nothing changes, then
    // the account is renamed.
    visitor.page("/billing", StatusCode::OK).await;
    let bad = visitor
        .post(
            "/billing/account",
            &[("name", "Fay & Co"), ("billing_country", "Germany")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(account_of(&app, "fay@example.com").await.name, account.name);
    let saved = visitor
        .post(
            "/billing/account",
            &[("name", "Fay & Co"), ("billing_country", "DE")],
        )
        .await;
    assert_eq!(location(&saved), "/billing?done=account");
    let renamed = account_of(&app, "fay@example.com").await;
    assert_eq!(
        (renamed.name.as_str(), renamed.billing_country.as_deref()),
        ("Fay & Co", Some("DE"))
    );

    // Usage: the ledger's sign-up grant, the AI calls tab, a bad filter in words.
    let usage = visitor.page("/usage", StatusCode::OK).await;
    assert!(usage.contains("signup grant") && usage.contains("+100"));
    visitor.page("/usage?tab=ai", StatusCode::OK).await;
    let bad = visitor.get("/usage?kind=bogus").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = visitor.get("/usage?from=someday").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Another tenant's payment and job are not found here.
    let mut other = Visitor::new(&app.url(""));
    other.sign_up("olly@example.com", free).await;
    assert_eq!(
        other.get(&report_path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(other.get("/jobs/1").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other.get("/jobs/1/status").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn refused_members_see_what_to_do_and_can_sign_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut visitor = Visitor::new(&app.url(""));

    // Signed out: sent to sign-in, and back afterwards.
    let away = visitor.get("/billing").await;
    assert_eq!(location(&away), "/login?next=%2Fbilling");
    let free = app.plan_id("free").await;
    visitor.sign_up("sam@example.com", free).await;
    let account = account_of(&app, "sam@example.com").await;

    // Suspended by an operator mid-session: the very next page is the 403 page.
    let operator = operators::create(
        &app.quire,
        "ops@quire.example",
        crate::common::PASSWORD,
        "Ops",
    )
    .await
    .expect("operator");
    let suspend = StatusChange {
        status: AccountStatus::Suspended,
        reason: Some("test".to_owned()),
    };
    admin_accounts::set_status(&app.quire, operator.id, account.id, suspend)
        .await
        .expect("suspend");
    let refused = visitor.get("/dashboard").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Your account is suspended"));

    // The refusal page still signs out, and the session is over.
    visitor.csrf = crate::visitor::hidden_csrf(&html).expect("a sign-out form");
    let out = visitor.post("/logout", &[]).await;
    assert_eq!(location(&out), "/login?done=signed_out");
    let reactivate = StatusChange {
        status: AccountStatus::Active,
        reason: None,
    };
    admin_accounts::set_status(&app.quire, operator.id, account.id, reactivate)
        .await
        .expect("reactivate");
    assert_eq!(
        visitor.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );

    // Signing out everywhere ends the other browser's session too.
    let mut laptop = Visitor::new(&app.url(""));
    let mut phone = Visitor::new(&app.url(""));
    laptop.sign_in("sam@example.com").await;
    phone.sign_in("sam@example.com").await;
    phone.page("/dashboard", StatusCode::OK).await;
    let out = phone.post("/logout", &[("everywhere", "on")]).await;
    assert_eq!(location(&out), "/login?done=signed_out_everywhere");
    assert_eq!(
        laptop.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
}
