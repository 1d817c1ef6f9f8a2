//! The tenant app's planner pages over plain HTTP: a member signed up through `/register`
//! takes a site and a sector to keywords (a CSV import reporting its bad row by line),
//! Auto Cluster after seeing its estimate, ideas and writer tasks; another tenant's ids are
//! not found, a forged form changes nothing, and a run the balance cannot cover says so in
//! words and charges nothing.

use crate::{
    common::{Backend, TestApp, body},
    visitor::{Visitor, location},
};
use quire_core::entities::{
    account, cluster, content_idea, credit_transaction, industry_sector, job, keyword, sector,
    site, task,
};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use std::time::Duration;

quire_testkit::on_both_backends!(
    a_member_plans_from_a_site_to_writer_tasks_in_the_pages,
    another_tenants_ids_are_not_found_and_forged_forms_change_nothing,
    an_auto_cluster_the_balance_cannot_cover_is_refused_in_words_and_charges_nothing,
);

/// A signed-in member's browser and account.
struct Member {
    visitor: Visitor,
    csrf: String,
    account_id: i64,
}

/// Signs up on the free plan through the register form, as a browser would.
async fn sign_up(app: &TestApp, email: &str) -> Member {
    let mut visitor = Visitor::new(&app.base);
    let registered = visitor.sign_up(email, app.plan_id("free").await).await;
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    visitor.page("/dashboard", StatusCode::OK).await;
    Member {
        csrf: visitor.csrf.clone(),
        visitor,
        account_id: app.tenant(email).await.account.id,
    }
}

impl Member {
    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.visitor.get(path).await;
        (response.status(), response.text().await.expect("html"))
    }

    /// Posts `fields` with this session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, String)]) -> reqwest::Response {
        let mut form = vec![("csrf", self.csrf.clone())];
        form.extend(fields.iter().cloned());
        self.post_as_is(path, &form).await
    }

    async fn post_as_is(&self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.visitor.post_as_is(path, &form).await
    }

    async fn import(&self, sector_id: i64, csv: &str, csrf: &str) -> reqwest::Response {
        let file = Part::bytes(csv.as_bytes().to_vec())
            .file_name("keywords.csv")
            .mime_str("text/csv")
            .expect("mime");
        let form = Form::new()
            .text("csrf", csrf.to_owned())
            .text("sector_id", sector_id.to_string())
            .part("file", file);
        self.visitor.post_multipart("/keywords/import", form).await
    }

    /// Follows a job to its end through the page's status endpoint; answers its page.
    async fn finished_job(&self, path: &str) -> String {
        for _ in 0..400 {
            let (status, json) = self.get(&format!("{path}/status")).await;
            assert_eq!(status, StatusCode::OK);
            let state: Value = serde_json::from_str(&json).expect("status json");
            if state["running"] == false {
                return self.get(path).await.1;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the job did not finish");
    }
}

/// The ticked boxes of a selection form.
fn ticked(name: &'static str, ids: &[i64]) -> Vec<(&'static str, String)> {
    ids.iter().map(|id| (name, id.to_string())).collect()
}

async fn keywords_of(app: &TestApp, account_id: i64) -> Vec<keyword::Model> {
    keyword::Entity::find()
        .filter(keyword::Column::AccountId.eq(account_id))
        .all(app.db())
        .await
        .expect("keywords")
}

async fn only_sector(app: &TestApp, account_id: i64) -> sector::Model {
    sector::Entity::find()
        .filter(sector::Column::AccountId.eq(account_id))
        .one(app.db())
        .await
        .expect("query")
        .expect("a sector")
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |settings| {
        settings.jobs.poll_milliseconds = 20;
        settings.jobs.max_attempts = 1;
    })
    .await
}

const BAD_FILE: &str = "keyword,volume\nrunning shoes,lots\n";
const GOOD_FILE: &str = "keyword,volume,intent\n\
    running shoes,900,commercial\n\
    trail running shoes,500,commercial\n\
    Running  Shoes,10,\n\
    sourdough bread recipe,300,informational\n\
    easy bread recipe,200,informational\n";

async fn a_member_plans_from_a_site_to_writer_tasks_in_the_pages(backend: Backend) {
    let app = spawn(backend).await;
    let _workers = app.start_workers(1);
    let ada = sign_up(&app, "ada@example.com").await;

    // A site, and the plan's limit in words for a second one.
    let (status, html) = ada.get("/sites").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Add a site"), "{html}");
    let created = ada
        .post(
            "/sites",
            &[
                ("name", "Ada's shop".to_owned()),
                ("url", "ada.example.com".to_owned()),
                ("industry_id", String::new()),
                ("description", String::new()),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let site_page = location(&created);
    let site_id: i64 = site_page
        .trim_start_matches("/sites/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the site's id");
    let second = ada
        .post(
            "/sites",
            &[
                ("name", "Another".to_owned()),
                ("url", "another.example.com".to_owned()),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    let refused = second.text().await.expect("html");
    assert!(
        refused.contains("Your plan allows 1 active sites"),
        "{refused}"
    );
    assert!(
        refused.contains("value=\"Another\""),
        "what was typed stays"
    );
    let sites = site::Entity::find()
        .filter(site::Column::AccountId.eq(ada.account_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(sites, 1);

    // A sector with its industry sector from the reference data.
    let industry_sector = industry_sector::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("reference data");
    let added = ada
        .post(
            &format!("/sites/{site_id}/sectors"),
            &[
                ("name", "Running".to_owned()),
                ("industry_sector_id", industry_sector.id.to_string()),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let (status, html) = ada.get(location(&added)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&industry_sector.name), "{html}");
    let sector = only_sector(&app, ada.account_id).await;
    assert_eq!(sector.industry_sector_id, Some(industry_sector.id));

    // A file whose only row is bad: its line is named and nothing is imported.
    let bad = ada.import(sector.id, BAD_FILE, &ada.csrf).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = bad.text().await.expect("html");
    assert!(report.contains("Line 2:"), "{report}");
    assert!(report.contains("0 keywords added"), "{report}");
    assert!(keywords_of(&app, ada.account_id).await.is_empty());

    // A good file: four added, the repeated one skipped.
    let good = ada.import(sector.id, GOOD_FILE, &ada.csrf).await;
    assert_eq!(good.status(), StatusCode::OK);
    let report = good.text().await.expect("html");
    assert!(
        report.contains("4 keywords added; 1 skipped as duplicates"),
        "{report}"
    );
    let stored = keywords_of(&app, ada.account_id).await;
    assert_eq!(stored.len(), 4);

    // Listed with a filter and an order.
    let (status, list) = ada
        .get(&format!(
            "/keywords?sector_id={}&search=shoes&ordering=volume",
            sector.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.contains("bread"), "the search filters");
    let trail = list.find(">trail running shoes</a>").expect("trail");
    let plain = list.find(">running shoes</a>").expect("plain");
    assert!(trail < plain, "500 searches before 900");
    assert!(list.contains("aria-sort=\"ascending\""));
    let (_, by_volume_down) = ada
        .get(&format!(
            "/keywords?sector_id={}&ordering=-volume",
            sector.id
        ))
        .await;
    assert!(
        by_volume_down.find(">running shoes</a>") < by_volume_down.find(">easy bread recipe</a>")
    );

    // The export has the same filters.
    let (status, csv) = ada
        .get(&format!(
            "/keywords/export?sector_id={}&search=bread",
            sector.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("sourdough bread recipe") && !csv.contains("shoes"),
        "{csv}"
    );

    // Auto Cluster: first the estimate, nothing queued; then the job.
    let ids: Vec<i64> = stored.iter().map(|k| k.id).collect();
    let mut selection = ticked("ids", &ids);
    selection.extend([
        ("sector_id", sector.id.to_string()),
        ("method", "local".to_owned()),
        ("back", format!("sector_id={}", sector.id)),
    ]);
    let mut choose = selection.clone();
    choose.push(("action", "auto_cluster".to_owned()));
    let estimate = ada.post("/keywords/selection", &choose).await;
    assert_eq!(estimate.status(), StatusCode::OK);
    let estimate = estimate.text().await.expect("html");
    assert!(
        estimate.contains("Group 4 keywords of the sector Running"),
        "{estimate}"
    );
    assert!(
        estimate.contains("id=\"estimate-credits\">1<"),
        "{estimate}"
    );
    assert_eq!(job::Entity::find().count(app.db()).await.expect("jobs"), 0);
    let started = ada.post("/keywords/auto_cluster", &selection).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let job_page = ada.finished_job(location(&started)).await;
    assert!(job_page.contains("succeeded"), "{job_page}");
    assert!(job_page.contains("href=\"/clusters\""), "{job_page}");
    let clusters = cluster::Entity::find()
        .filter(cluster::Column::AccountId.eq(ada.account_id))
        .all(app.db())
        .await
        .expect("clusters");
    assert!(!clusters.is_empty());
    let (status, page) = ada.get("/clusters").await;
    assert_eq!(status, StatusCode::OK);
    for cluster in &clusters {
        assert!(
            page.contains(&format!("id=\"cluster-{}\"", cluster.id)),
            "{page}"
        );
    }

    // Generate ideas: the estimate, then the job.
    let cluster_ids: Vec<i64> = clusters.iter().map(|c| c.id).collect();
    let mut chosen = ticked("ids", &cluster_ids);
    chosen.push(("ideas_per_cluster", "2".to_owned()));
    let estimate = ada.post("/clusters/ideas", &chosen).await;
    assert_eq!(estimate.status(), StatusCode::OK);
    assert!(
        estimate
            .text()
            .await
            .expect("html")
            .contains("estimate-credits")
    );
    let started = ada.post("/clusters/generate_ideas", &chosen).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let job_page = ada.finished_job(location(&started)).await;
    assert!(job_page.contains("href=\"/ideas\""), "{job_page}");
    let ideas = content_idea::Entity::find()
        .filter(content_idea::Column::AccountId.eq(ada.account_id))
        .all(app.db())
        .await
        .expect("ideas");
    assert_eq!(ideas.len(), clusters.len() * 2);
    let (_, page) = ada.get("/ideas").await;
    assert!(page.contains(&ideas[0].title), "{page}");

    // Send to writer: one task per idea, and the way to the writer.
    let idea_ids: Vec<i64> = ideas.iter().map(|i| i.id).collect();
    let sent = ada.post("/ideas/send", &ticked("ids", &idea_ids)).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, page) = ada.get(location(&sent)).await;
    assert!(
        page.contains(&format!("{} writer tasks created", ideas.len())),
        "{page}"
    );
    assert!(page.contains("href=\"/writer\""));
    let tasks = task::Entity::find()
        .filter(task::Column::AccountId.eq(ada.account_id))
        .count(app.db())
        .await
        .expect("tasks");
    assert_eq!(tasks, ideas.len() as u64);
}

async fn another_tenants_ids_are_not_found_and_forged_forms_change_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let ada = sign_up(&app, "ada@example.com").await;
    let bob = app.active_member("bob@example.com", "free").await;
    let bobs_site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Bob's", "url": "https://bob.example.com"}),
            Some(&bob),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let bobs_sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": bobs_site, "name": "Bread"}),
            Some(&bob),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    let bobs_keyword = body(
        app.post(
            "/api/v1/planner/keywords/",
            &json!({"sector_id": bobs_sector, "keyword": "rye bread"}),
            Some(&bob),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("keyword");
    let bobs_cluster = body(
        app.post(
            "/api/v1/planner/clusters/",
            &json!({"sector_id": bobs_sector, "name": "Breads"}),
            Some(&bob),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("cluster");

    for path in [
        format!("/sites/{bobs_site}"),
        format!("/keywords/{bobs_keyword}"),
        format!("/clusters/{bobs_cluster}"),
        format!("/keywords/seeds?sector_id={bobs_sector}"),
    ] {
        let (status, html) = ada.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains("There is nothing here in your account"),
            "{path}"
        );
    }
    let delete_site = ada.post(&format!("/sites/{bobs_site}/delete"), &[]).await;
    assert_eq!(delete_site.status(), StatusCode::NOT_FOUND);
    let delete_cluster = ada
        .post(&format!("/clusters/{bobs_cluster}/delete"), &[])
        .await;
    assert_eq!(delete_cluster.status(), StatusCode::NOT_FOUND);
    let bulk = ada
        .post(
            "/keywords/delete",
            &[("ids", bobs_keyword.to_string()), ("back", String::new())],
        )
        .await;
    assert_eq!(bulk.status(), StatusCode::SEE_OTHER);
    assert!(location(&bulk).contains("count=0"));
    let clustering = ada
        .post(
            "/keywords/auto_cluster",
            &[
                ("ids", bobs_keyword.to_string()),
                ("sector_id", bobs_sector.to_string()),
                ("method", "local".to_owned()),
            ],
        )
        .await;
    assert_eq!(clustering.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        clustering
            .text()
            .await
            .expect("html")
            .contains("No such sector.")
    );
    let bobs = app.tenant("bob@example.com").await.account.id;
    assert_eq!(keywords_of(&app, bobs).await.len(), 1);
    assert!(
        cluster::Entity::find_by_id(bobs_cluster)
            .one(app.db())
            .await
            .expect("query")
            .is_some()
    );
    assert!(
        site::Entity::find_by_id(bobs_site)
            .one(app.db())
            .await
            .expect("query")
            .is_some()
    );

    // Forms without this session's token are refused and change nothing.
    let forged = ada
        .post_as_is(
            "/sites",
            &[
                ("csrf", "forged".to_owned()),
                ("name", "Forged".to_owned()),
                ("url", "forged.example.com".to_owned()),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let ada_sites = site::Entity::find()
        .filter(site::Column::AccountId.eq(ada.account_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(ada_sites, 0);
    let created = ada
        .post(
            "/sites",
            &[
                ("name", "Ada's".to_owned()),
                ("url", "ada.example.com".to_owned()),
            ],
        )
        .await;
    let site_id: i64 = location(&created)
        .trim_start_matches("/sites/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the site's id");
    ada.post(
        &format!("/sites/{site_id}/sectors"),
        &[("name", "Shoes".to_owned())],
    )
    .await;
    let sector = only_sector(&app, ada.account_id).await;
    let forged_import = ada.import(sector.id, GOOD_FILE, "forged").await;
    assert_eq!(forged_import.status(), StatusCode::FORBIDDEN);
    assert!(keywords_of(&app, ada.account_id).await.is_empty());

    // The seed library: two picked, then one of them again (skipped and counted).
    let (status, library) = ada
        .get(&format!("/keywords/seeds?sector_id={}", sector.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    let seeds: Vec<String> = library
        .split("name=\"seed_ids\" value=\"")
        .skip(1)
        .take(2)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    assert_eq!(seeds.len(), 2, "{library}");
    let picked = [
        ("sector_id", sector.id.to_string()),
        ("seed_ids", seeds[0].clone()),
        ("seed_ids", seeds[1].clone()),
    ];
    let added = ada.post("/keywords/seeds", &picked).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let (_, list) = ada.get(location(&added)).await;
    assert!(
        list.contains("2 keywords added from the seed library; 0 were already"),
        "{list}"
    );
    let again = ada.post("/keywords/seeds", &picked[..2]).await;
    let (_, list) = ada.get(location(&again)).await;
    assert!(list.contains("0 keywords added from the seed library; 1 were already"));
    assert_eq!(keywords_of(&app, ada.account_id).await.len(), 2);
    let forged_delete = ada
        .post_as_is(
            &format!("/sites/{site_id}/delete"),
            &[("csrf", "forged".to_owned())],
        )
        .await;
    assert_eq!(forged_delete.status(), StatusCode::FORBIDDEN);
    assert!(
        site::Entity::find_by_id(site_id)
            .one(app.db())
            .await
            .expect("query")
            .is_some()
    );
}

async fn an_auto_cluster_the_balance_cannot_cover_is_refused_in_words_and_charges_nothing(
    backend: Backend,
) {
    let app = spawn(backend).await;
    let ada = sign_up(&app, "ada@example.com").await;
    let created = ada
        .post(
            "/sites",
            &[
                ("name", "Ada's".to_owned()),
                ("url", "ada.example.com".to_owned()),
            ],
        )
        .await;
    let site_id = location(&created)
        .trim_start_matches("/sites/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    ada.post(
        &format!("/sites/{site_id}/sectors"),
        &[("name", "Shoes".to_owned())],
    )
    .await;
    let sector = only_sector(&app, ada.account_id).await;
    assert_eq!(
        ada.import(sector.id, GOOD_FILE, &ada.csrf).await.status(),
        StatusCode::OK
    );
    let ids: Vec<i64> = keywords_of(&app, ada.account_id)
        .await
        .iter()
        .map(|k| k.id)
        .collect();
    let row = account::Entity::find_by_id(ada.account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    let mut poor: account::ActiveModel = row.into();
    poor.credits = Set(0);
    poor.update(app.db()).await.expect("update");
    let ledger_before = credit_transaction::Entity::find()
        .count(app.db())
        .await
        .expect("ledger");

    let mut selection = ticked("ids", &ids);
    selection.extend([
        ("sector_id", sector.id.to_string()),
        ("method", "local".to_owned()),
    ]);
    let mut choose = selection.clone();
    choose.push(("action", "auto_cluster".to_owned()));
    let estimate = ada.post("/keywords/selection", &choose).await;
    assert_eq!(estimate.status(), StatusCode::OK);
    let estimate = estimate.text().await.expect("html");
    assert!(
        estimate.contains("Your balance does not cover this"),
        "{estimate}"
    );

    let refused = ada.post("/keywords/auto_cluster", &selection).await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    let words = refused.text().await.expect("html");
    assert!(
        words.contains("This needs 1 credits and you have 0. Nothing was charged."),
        "{words}"
    );
    assert!(words.contains("href=\"/billing\""));
    assert_eq!(job::Entity::find().count(app.db()).await.expect("jobs"), 0);
    assert_eq!(
        credit_transaction::Entity::find()
            .count(app.db())
            .await
            .expect("ledger"),
        ledger_before
    );
    let balance = account::Entity::find_by_id(ada.account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
        .credits;
    assert_eq!(balance, 0);
}
