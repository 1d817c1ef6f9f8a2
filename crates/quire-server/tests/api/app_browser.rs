//! The tenant app's journeys in a real browser (issue 9's browser tests): (a) pricing → sign
//! up on a paid plan → the transfer's instructions → an operator confirms it in the console →
//! the member signs in; (b) a free member plans and writes: site, sector, CSV import, Auto
//! Cluster, ideas, the writer, an article, a section rewritten, the exports; (c) cancel at the
//! period's end, billing runs once the period is over, and the member meets the
//! subscription-required page.

use crate::{
    browser::Browser,
    common::{Backend, PASSWORD, TestApp},
};
use chrono::TimeDelta;
use quire_core::{accounts::operators, billing::job};
use std::time::Duration;

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

/// How long a job page may take to show its finished job (the offline provider is quick; the
/// page polls every second).
const JOB: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_member_plans_and_writes_an_article_in_the_browser() {
    let Some(browser) = Browser::start("journey_plan_and_write").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let _workers = app.start_workers(1);
    let base = app.base.clone();
    let csv = std::env::temp_dir().join(format!("quire-journey-{}.csv", std::process::id()));
    std::fs::write(
        &csv,
        "keyword,volume,difficulty,intent\ntrail running shoes,900,30,commercial\n\
         best trail running shoes,700,35,commercial\ntrail shoes for women,400,20,commercial\n\
         how to clean running shoes,300,10,informational\nrunning shoe care tips,250,12,informational\n",
    )
    .expect("a CSV file");
    let csv_path = csv.display().to_string();
    browser
        .run(async |b| {
            b.step("sign_up_free");
            b.open(&format!("{base}/register?plan=free")).await;
            b.fill("#name", "Wren Writer").await;
            b.fill("#email", "wren@example.com").await;
            b.fill("#password", PASSWORD).await;
            b.click("form[action='/register'] button[type=submit]")
                .await;
            assert_eq!(b.path().await, "/dashboard");

            b.step("site");
            b.click("nav a[href='/sites']").await;
            b.fill("#site-name", "Trail Journal").await;
            b.fill("#site-url", "trail.example.com").await;
            b.click("form[action='/sites'] button[type=submit]").await;
            b.step("sector");
            b.fill("#sector-name", "Running shoes").await;
            b.click("form[action$='/sectors'] button[type=submit]")
                .await;
            assert!(b.text("main").await.contains("Running shoes"));

            b.step("import");
            b.click("nav a[href='/keywords']").await;
            b.click("a[href^='/keywords/import']").await;
            b.choose("#i-sector option:nth-child(2)").await;
            b.find("#i-file")
                .await
                .send_keys(&csv_path)
                .await
                .expect("choose the file");
            b.click("form[action='/keywords/import'] button[type=submit]")
                .await;
            assert_eq!(b.text("#import-added").await, "5");

            b.step("auto_cluster");
            b.click("nav a[href='/keywords']").await;
            b.choose("input[data-select-all=ids]").await;
            b.choose("#b-sector option:nth-child(2)").await;
            b.choose("#b-method option[value=local]").await;
            b.click("#auto-cluster").await;
            let estimate = b.text("#estimate-credits").await;
            assert!(
                estimate.parse::<i64>().is_ok(),
                "an estimate before confirming: {estimate}"
            );
            b.click("#confirm").await;
            b.find_within("#job-next", JOB).await;
            b.click("#job-next").await;
            assert_eq!(b.path().await, "/clusters");

            b.step("generate_ideas");
            b.choose("input[data-select-all=ids]").await;
            b.click("#generate-ideas").await;
            b.find("#estimate-credits").await;
            b.click("#confirm").await;
            b.find_within("#job-next", JOB).await;
            b.click("#job-next").await;
            assert_eq!(b.path().await, "/ideas");

            b.step("send_to_writer");
            b.choose("tbody input[name=ids]").await;
            b.click("#send-to-writer").await;
            b.click("#to-writer").await;
            assert_eq!(b.path().await, "/writer");

            b.step("generate_article");
            b.choose("tbody input[name=task_ids]").await;
            b.click("#generate-selected").await;
            b.find("#estimate-credits").await;
            b.click("#generate-start").await;
            b.find_within("#job-next", JOB).await;
            b.click("#job-next").await;
            assert!(b.path().await.starts_with("/content/"));
            let article = b.text("#article").await;
            assert!(
                article.contains("Offline draft"),
                "labelled offline: {article}"
            );

            b.step("regenerate_section");
            b.choose("details.regenerate:nth-of-type(1) summary").await;
            b.fill("details.regenerate textarea", "shorter, with an example")
                .await;
            b.click("details.regenerate button[type=submit]").await;
            b.find_within("#job-next", JOB).await;
            b.click("#job-next").await;
            assert!(b.text("#article").await.contains("Offline draft rewrite"));

            b.step("export");
            let content = b.path().await;
            let markdown = b.fetch(&format!("{content}/export?format=markdown")).await;
            assert!(markdown.contains("Offline draft"), "{markdown}");
            let html = b.fetch(&format!("{content}/export?format=html")).await;
            assert!(html.contains("<h2") && !html.contains("<script"), "{html}");
        })
        .await;
    let _ = std::fs::remove_file(&csv);
}
