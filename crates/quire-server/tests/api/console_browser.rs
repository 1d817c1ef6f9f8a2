//! The operators' console in a real browser: an operator signs in, sees the new account's
//! transfer waiting, confirms it, and the tenant can sign in.

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
