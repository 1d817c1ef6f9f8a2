//! The console's seed-keyword import in a real browser: an operator picks a CSV file with the
//! file input, sees a bad row refused with its line, then imports a good file and finds its
//! rows listed under their sector.

use crate::{
    browser::Browser,
    common::{Backend, PASSWORD, TestApp},
};
use quire_core::{
    accounts::operators,
    admin::industries::{self, NewIndustry, NewIndustrySector},
};

const HEADER: &str = "keyword,industry_sector,volume,difficulty,intent,country,language\n";

/// Writes `text` to a file of its own for the browser to upload.
fn csv_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("quire-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for uploads");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the CSV file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_imports_seed_keywords_from_a_csv_file() {
    let Some(browser) = Browser::start("seed_import").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let operator = operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let now = app.quire.clock.now();
    let space = industries::create_industry(
        &app.quire.db,
        operator.id,
        NewIndustry {
            slug: "space".to_owned(),
            name: "Space".to_owned(),
            description: None,
        },
        now,
    )
    .await
    .expect("industry");
    let launchers = industries::create_industry_sector(
        &app.quire.db,
        operator.id,
        NewIndustrySector {
            industry_id: space.id,
            slug: "launchers".to_owned(),
            name: "Launchers".to_owned(),
            description: None,
        },
        now,
    )
    .await
    .expect("sector");
    let bad = csv_file(
        "bad.csv",
        &format!(
            "{HEADER}reusable rockets,launchers,500,40,informational,US,en\n\
             launch pad rental,no-such-sector,90,30,commercial,US,en\n"
        ),
    );
    let good = csv_file(
        "good.csv",
        &format!(
            "{HEADER}reusable rockets,launchers,500,40,informational,US,en\n\
             launch pad rental,launchers,90,30,commercial,US,en\n"
        ),
    );
    let base = app.base.clone();
    browser
        .run(async |b| {
            b.step("sign_in");
            b.open(&format!("{base}/admin/login")).await;
            b.fill("#email", "ops@quire.example").await;
            b.fill("#password", PASSWORD).await;
            b.click("button[type=submit]").await;
            b.find("#pending-payments").await;
            b.click("a[href='/admin/reference']").await;
            b.click("a[href='/admin/reference/keywords']").await;

            b.step("bad_file");
            b.find("#import-file")
                .await
                .send_keys(&bad.display().to_string())
                .await
                .expect("choose the file");
            b.click("button[name=import]").await;
            let refusal = b.text("#import").await;
            assert!(refusal.contains("Nothing was imported"), "{refusal}");
            assert!(refusal.contains("no-such-sector"), "{refusal}");
            assert!(b.text("#import-errors tbody td").await == "3", "{refusal}");

            b.step("good_file");
            b.find("#import-file")
                .await
                .send_keys(&good.display().to_string())
                .await
                .expect("choose the file");
            b.click("button[name=import]").await;
            let notice = b.text("[role=status]").await;
            assert!(notice.contains("2 keywords added"), "{notice}");

            b.step("listed");
            b.choose(&format!("#filter-sector option[value='{}']", launchers.id))
                .await;
            b.click("form.filters button").await;
            b.find("#filter-sector option[selected]").await;
            let rows = b.text("tbody").await;
            assert!(rows.contains("reusable rockets"), "{rows}");
            assert!(rows.contains("launch pad rental"), "{rows}");
            assert!(rows.contains("Space › Launchers"), "{rows}");
            assert!(b.text("main").await.contains("2 keyword(s) match."));
        })
        .await;
    let _ = std::fs::remove_dir_all(bad.parent().expect("the folder"));
}
