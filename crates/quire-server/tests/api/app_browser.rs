//! The tenant app's journeys in a real browser (issue 9's browser tests): (a) pricing → sign
//! up on a paid plan → the transfer's instructions → an operator confirms it in the console →
//! the member signs in; (c) cancel at the period's end, billing runs once the period is over,
//! and the member meets the subscription-required page.

use crate::{
    browser::Browser,
    common::{Backend, PASSWORD, TestApp},
};
use chrono::TimeDelta;
use quire_core::{accounts::operators, billing::job};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_customer_signs_up_pays_by_transfer_and_gets_in() {
    let Some(browser) = Browser::start("journey_paid_sign_up").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let base = app.base.clone();
    browser
        .run(async |b| {
            b.step("pricing");
            b.open(&format!("{base}/")).await;
            assert_eq!(b.path().await, "/pricing");
            b.click("a[href='/pricing?cycle=annual']").await;
            b.find("#plan-starter-annual").await;
            b.click("a[href='/pricing']").await;
            b.click("#plan-starter-monthly a.button").await;

            b.step("register");
            assert_eq!(b.path().await, "/register");
            let methods = b.text("fieldset").await;
            assert!(methods.contains("coming soon"), "{methods}");
            b.fill("#name", "Nora Newcomer").await;
            b.fill("#email", "nora@example.com").await;
            b.fill("#password", "short").await;
            b.click("form[action='/register'] button[type=submit]")
                .await;
            let error = b.text("#password-error").await;
            assert!(!error.is_empty(), "a weak password is refused in words");
            assert_eq!(
                b.find("#email").await.prop("value").await.expect("value"),
                Some("nora@example.com".to_owned())
            );
            b.fill("#password", PASSWORD).await;
            b.click("form[action='/register'] button[type=submit]")
                .await;

            b.step("instructions");
            let reference = b.text("#payment-reference").await;
            assert!(reference.starts_with("QR-"), "{reference}");
            assert!(b.text("#instructions").await.contains("29.00 USD"));

            b.step("refused_before_payment");
            b.open(&format!("{base}/login")).await;
            b.fill("#email", "nora@example.com").await;
            b.fill("#password", PASSWORD).await;
            b.click("form[action='/login'] button[type=submit]").await;
            assert_eq!(b.text("h1").await, "Waiting for your bank transfer");
            assert_eq!(b.text("#payment-reference").await, reference);

            b.step("operator_confirms");
            b.open(&format!("{base}/admin/login")).await;
            b.fill("#email", "ops@quire.example").await;
            b.fill("#password", PASSWORD).await;
            b.click("button[type=submit]").await;
            b.open(&format!("{base}/admin/payments?status=pending"))
                .await;
            assert!(b.text("tbody tr").await.contains(&reference));
            b.click("button[name=confirm]").await;
            b.accept_dialog().await;
            assert!(b.text("[role=status]").await.contains("confirmed"));
            b.click("form[action='/admin/logout'] button").await;

            b.step("member_signs_in");
            b.open(&format!("{base}/login")).await;
            b.fill("#email", "nora@example.com").await;
            b.fill("#password", PASSWORD).await;
            b.click("form[action='/login'] button[type=submit]").await;
            assert_eq!(b.path().await, "/dashboard");
            assert_eq!(b.text("#credits-left").await, "1000");
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_subscription_ends_with_its_period() {
    let Some(browser) = Browser::start("journey_cancel").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    let clock = app.clock.clone();
    let quire = app.quire.clone();
    browser
        .run(async |b| {
            b.step("sign_up_free");
            b.open(&format!("{base}/register?plan=free")).await;
            b.fill("#name", "Cass Canceller").await;
            b.fill("#email", "cass@example.com").await;
            b.fill("#password", PASSWORD).await;
            b.click("form[action='/register'] button[type=submit]")
                .await;
            assert_eq!(b.path().await, "/dashboard");

            b.step("cancel");
            b.click("nav a[href='/billing']").await;
            b.click("#cancel").await;
            b.accept_dialog().await;
            assert!(
                b.text("#notice")
                    .await
                    .contains("ends at the end of this period")
            );
            assert!(b.text("#subscription-status").await.contains("ends"));
            b.find("#resume").await;

            b.step("still_working");
            b.click("nav a[href='/dashboard']").await;
            assert_eq!(b.text("#credits-left").await, "100");

            b.step("period_ends");
            clock.advance(TimeDelta::days(32));
            let report = job::run_once(&quire).await.expect("billing runs");
            assert_eq!(report.count("cancelled"), 1, "{report:?}");
            b.open(&format!("{base}/dashboard")).await;
            assert_eq!(b.text("h1").await, "An active subscription is required");
            b.click("#gate button[type=submit]").await;
            assert_eq!(b.path().await, "/login");
        })
        .await;
}
