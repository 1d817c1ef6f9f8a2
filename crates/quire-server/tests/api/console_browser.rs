//! The operators' console in a real browser: an operator signs in, sees the new account's
//! transfer waiting, confirms it, and the tenant can sign in; an operator suspends an account
//! (its member is refused at once), adjusts its credits and reactivates it.

use crate::{
    browser::Browser,
    common::{Backend, PASSWORD, TestApp, body},
};
use quire_core::accounts::operators;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_confirms_a_bank_transfer_in_the_console() {
    let Some(browser) = Browser::start("confirm_payment").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let registered = app.register("payer@example.com", "starter-monthly").await;
    let reference = registered["payment"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let base = app.base.clone();
    browser
        .run(async |b| {
            b.step("sign_in");
            b.open(&format!("{base}/admin/payments")).await;
            assert_eq!(
                b.path().await,
                "/admin/login",
                "signed-out visitors go to sign-in"
            );
            b.fill("#email", "ops@quire.example").await;
            b.fill("#password", "not-the-password").await;
            b.click("button[type=submit]").await;
            assert_eq!(b.text("[role=alert]").await, "Email or password is wrong.");
            b.fill("#password", PASSWORD).await;
            b.click("button[type=submit]").await;

            b.step("dashboard");
            assert_eq!(b.text("#pending-payments").await, "1");
            b.click("a[href^='/admin/payments']").await;

            b.step("confirm");
            let row = b.text("tbody tr").await;
            assert!(row.contains(&reference), "{row}");
            assert!(row.contains("payer@example.com"), "{row}");
            assert!(row.contains("29.00 USD"), "{row}");
            b.click("button[name=confirm]").await;
            b.accept_dialog().await;
            let notice = b.text("[role=status]").await;
            assert!(notice.contains("confirmed"), "{notice}");
            assert!(notice.contains(&reference), "{notice}");
            assert!(b.text("main").await.contains("No pending payments."));
        })
        .await;
    let login = app.login("payer@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(body(login).await["account"]["status"], "active");
}

/// Signs `browser` in to the console as the operator.
async fn sign_in(b: &Browser, base: &str) {
    b.open(&format!("{base}/admin/login")).await;
    b.fill("#email", "ops@quire.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.find("#pending-payments").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_suspends_and_reactivates_an_account_in_the_console() {
    let Some(browser) = Browser::start("suspend").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app
        .active_member("member@example.com", "starter-monthly")
        .await;
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let base = app.base.clone();
    let me = || app.get("/api/v1/auth/me/", Some(&token));
    assert_eq!(me().await.status(), StatusCode::OK);
    browser
        .run(async |b| {
            b.step("find_account");
            sign_in(b, &base).await;
            b.click("a[href='/admin/accounts']").await;
            b.fill("#search", "member@").await;
            b.click("form.filters button").await;
            b.click("tbody a").await;
            assert_eq!(b.text("#account-status").await, "active");

            b.step("suspend");
            b.fill("#reason", "Chargeback under review").await;
            b.click("button[name=suspend]").await;
            b.accept_dialog().await;
            assert!(b.text("[role=status]").await.contains("suspended"));
            assert_eq!(b.text("#account-status").await, "suspended");
        })
        .await;
    // The member is refused on their very next request.
    let refused = me().await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(refused).await["detail"], "Account suspended");

    let Some(browser) = Browser::start("reactivate").await else {
        return;
    };
    browser
        .run(async |b| {
            b.step("adjust");
            sign_in(b, &base).await;
            b.open(&format!("{base}/admin/accounts?search=member%40"))
                .await;
            b.click("tbody a").await;
            let before: i64 = b.text("#credits").await.parse().expect("credits");
            b.fill("#amount", "-5000000").await;
            b.fill("#note", "Too much").await;
            b.click("button[name=adjust]").await;
            let error = b.text("[role=alert]").await;
            assert!(error.contains(&before.to_string()), "{error}");
            b.fill("#amount", "250").await;
            b.fill("#note", "Goodwill for the downtime").await;
            b.click("button[name=adjust]").await;
            assert!(b.text("[role=status]").await.contains("adjusted"));
            assert_eq!(b.text("#credits").await, (before + 250).to_string());
            assert!(b.text("tbody").await.contains("Goodwill for the downtime"));

            b.step("reactivate");
            b.click("button[name=reactivate]").await;
            b.accept_dialog().await;
            b.find("button[name=suspend]").await;
            assert_eq!(b.text("#account-status").await, "active");
        })
        .await;
    assert_eq!(me().await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_withdraws_a_plan_and_runs_billing_on_edited_dates() {
    let Some(browser) = Browser::start("plans_and_billing").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app
        .active_member("member@example.com", "starter-monthly")
        .await;
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let base = app.base.clone();
    let me = || app.get("/api/v1/auth/me/", Some(&token));
    browser
        .run(async |b| {
            b.step("withdraw_plan");
            sign_in(b, &base).await;
            b.click("a[href='/admin/plans']").await;
            b.click("#plan-starter-monthly button[name=deactivate]")
                .await;
            b.accept_dialog().await;
            assert!(b.text("[role=status]").await.contains("withdrawn"));
            assert_eq!(me().await.status(), StatusCode::PAYMENT_REQUIRED);
            b.click("#plan-starter-monthly button[name=activate]").await;
            b.find("#plan-starter-monthly button[name=deactivate]")
                .await;
            assert_eq!(me().await.status(), StatusCode::OK);

            b.step("edit_dates");
            b.open(&format!("{base}/admin/accounts?search=member%40"))
                .await;
            b.click("tbody a").await;
            b.choose("select[name=status] option[value=active]").await;
            // A period that ended yesterday, then the billing job on it.
            let yesterday = (chrono::Utc::now() - chrono::TimeDelta::days(1))
                .format("%Y-%m-%dT%H:%M")
                .to_string();
            let before = (chrono::Utc::now() - chrono::TimeDelta::days(31))
                .format("%Y-%m-%dT%H:%M")
                .to_string();
            set_datetime(b, "input[name=current_period_start]", &before).await;
            set_datetime(b, "input[name=current_period_end]", &yesterday).await;
            b.click("button[name=save]").await;
            assert!(b.text("[role=status]").await.contains("Subscription saved"));

            b.step("run_billing");
            b.click("button[name=run_billing]").await;
            b.find("form[action$=run_billing]").await;
            assert!(b.text("[role=status]").await.contains("Billing ran"));
            assert_eq!(b.text("#account-status").await, "past_due");
        })
        .await;
    // Past due is still allowed in (grace period), with a renewal payment to make.
    assert_eq!(me().await.status(), StatusCode::OK);
    let payments = body(app.get("/api/v1/billing/payments/", Some(&token)).await).await;
    assert_eq!(payments["results"][0]["status"], "pending");
}

/// Sets a `datetime-local` input, which takes its value through script, not typing.
async fn set_datetime(b: &Browser, css: &str, value: &str) {
    let field = b.find(css).await;
    b.client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&field).expect("element"),
                serde_json::Value::String(value.to_owned()),
            ],
        )
        .await
        .expect("set the value");
}
