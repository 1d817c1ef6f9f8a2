//! F3b — clusters and ideas, and F3c's first row ("send to writer"): CRUD, totals that always
//! equal the keywords, merging, moving keywords, tenant isolation of every id, and tasks made
//! from ideas without credits.

use crate::common::{Backend, TestApp, body};
use quire_core::{
    entities::{
        cluster, content_idea,
        enums::{ContentType, IdeaStatus, KeywordStatus},
        keyword, sector, task,
    },
    planner::{ideas, keyword_csv::keyword_key},
};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    clusters_are_created_read_changed_listed_and_deleted,
    totals_equal_the_keywords_after_every_change,
    merging_moves_keywords_ideas_and_tasks_into_the_target,
    moving_keywords_refuses_other_sectors_tenants_and_archived_keywords,
    ideas_are_created_validated_changed_listed_and_deleted,
    another_tenants_ids_are_404_on_paths_and_400_in_bodies,
    send_to_writer_makes_one_task_per_idea_without_credits,
    generated_ideas_belong_to_the_clusters_account_site_and_sector,
);

/// Inserts an active keyword into `sector_id` (the keywords API is another module's), on the
/// sector's account and site. Returns its id.
pub async fn insert_keyword(app: &TestApp, sector_id: i64, text: &str, volume: i64) -> i64 {
    let sector = sector::Entity::find_by_id(sector_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("sector");
    let now = chrono::Utc::now();
    keyword::ActiveModel {
        account_id: Set(sector.account_id),
        site_id: Set(sector.site_id),
        sector_id: Set(sector.id),
        keyword: Set(text.to_owned()),
        keyword_key: Set(keyword_key(text)),
        seed_keyword_id: Set(None),
        volume: Set(volume),
        difficulty: Set(None),
        intent: Set(None),
        status: Set(KeywordStatus::Active),
        cluster_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("keyword")
    .id
}

/// A signed-in member on the agency plan with one site and `sectors` sectors in it.
struct Member {
    token: String,
    account: i64,
    site: i64,
    sectors: Vec<i64>,
}

async fn member(app: &TestApp, email: &str, sectors: usize) -> Member {
    let token = app.active_member(email, "agency-monthly").await;
    let account = body(app.get("/api/v1/auth/me/", Some(&token)).await).await["account"]["id"]
        .as_i64()
        .expect("account");
    let site = created(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Blog", "url": format!("https://{}.example.com", email.replace('@', "-"))}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let mut ids = Vec::new();
    for n in 0..sectors {
        let sector = created(
            app.post(
                "/api/v1/auth/sectors/",
                &json!({"site_id": site, "name": format!("Sector {n}")}),
                Some(&token),
            )
            .await,
        )
        .await;
        ids.push(sector["id"].as_i64().expect("sector"));
    }
    Member {
        token,
        account,
        site,
        sectors: ids,
    }
}

async fn created(response: reqwest::Response) -> Value {
    let status = response.status();
    let answer = body(response).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let answer = body(response).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

async fn refused(response: reqwest::Response) -> Value {
    let status = response.status();
    let answer = body(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    answer
}

async fn new_cluster(app: &TestApp, token: &str, sector: i64, name: &str) -> i64 {
    created(
        app.post(
            "/api/v1/planner/clusters/",
            &json!({"sector_id": sector, "name": name}),
            Some(token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("cluster id")
}

async fn new_idea(app: &TestApp, token: &str, fields: Value) -> i64 {
    created(
        app.post("/api/v1/planner/ideas/", &fields, Some(token))
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("idea id")
}

async fn move_into(app: &TestApp, token: &str, cluster: i64, keywords: &[i64]) -> Value {
    ok(app
        .post(
            &format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            &json!({"keyword_ids": keywords}),
            Some(token),
        )
        .await)
    .await
}

fn ids(list: &Value) -> Vec<i64> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// The cluster's totals as the API shows them equal a count and SUM over its keyword rows.
async fn assert_totals(app: &TestApp, token: &str, cluster_id: i64) -> (i64, i64) {
    let shown = ok(app
        .get(
            &format!("/api/v1/planner/clusters/{cluster_id}/"),
            Some(token),
        )
        .await)
    .await;
    let rows = keyword::Entity::find()
        .filter(keyword::Column::ClusterId.eq(cluster_id))
        .all(app.db())
        .await
        .expect("keywords");
    let count = i64::try_from(rows.len()).expect("count");
    let volume: i64 = rows.iter().map(|k| k.volume).sum();
    assert_eq!(
        shown["keyword_count"], count,
        "cluster {cluster_id}: {shown}"
    );
    assert_eq!(
        shown["total_volume"], volume,
        "cluster {cluster_id}: {shown}"
    );
    (count, volume)
}

async fn clusters_are_created_read_changed_listed_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 2).await;
    let (first, second) = (ada.sectors[0], ada.sectors[1]);

    let made = created(
        app.post(
            "/api/v1/planner/clusters/",
            &json!({"sector_id": first, "site_id": ada.site, "name": "  Été shoes ", "description": "Summer"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(made["name"], "Été shoes");
    assert_eq!(made["account_id"], ada.account);
    assert_eq!(made["site_id"], ada.site);
    assert_eq!(made["sector_id"], first);
    assert_eq!(made["keyword_count"], 0);
    assert_eq!(made["total_volume"], 0);
    assert_eq!(made["status"], "active");
    let id = made["id"].as_i64().expect("id");

    // Names are unique per sector ignoring case, Unicode included; another sector may reuse.
    let taken = refused(
        app.post(
            "/api/v1/planner/clusters/",
            &json!({"sector_id": first, "name": "ÉTÉ SHOES"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert!(
        taken["name"][0]
            .as_str()
            .expect("message")
            .contains("already")
    );
    let elsewhere = new_cluster(&app, &ada.token, second, "été shoes").await;
    for bad in [
        json!({"sector_id": first, "name": "  "}),
        json!({"sector_id": first, "name": "x".repeat(256)}),
        json!({"sector_id": first}),
        json!({"sector_id": 999_999, "name": "Nowhere"}),
        json!({"sector_id": first, "site_id": 999_999, "name": "Wrong site"}),
    ] {
        let response = app
            .post("/api/v1/planner/clusters/", &bad, Some(&ada.token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let long_name = "n".repeat(255);
    new_cluster(&app, &ada.token, first, &long_name).await;

    let shown = ok(app
        .get(&format!("/api/v1/planner/clusters/{id}/"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(shown, made);

    let patched = ok(app
        .call(
            Method::PATCH,
            &format!("/api/v1/planner/clusters/{id}/"),
            Some(&ada.token),
            Some(&json!({"name": "Sandals", "status": "archived", "keyword_count": 99})),
        )
        .await)
    .await;
    assert_eq!(patched["name"], "Sandals");
    assert_eq!(patched["description"], "Summer");
    assert_eq!(patched["status"], "archived");
    assert_eq!(patched["keyword_count"], 0, "totals are read-only");
    // Renaming to its own name (another case) is not a clash with itself.
    ok(app
        .call(
            Method::PATCH,
            &format!("/api/v1/planner/clusters/{id}/"),
            Some(&ada.token),
            Some(&json!({"name": "SANDALS"})),
        )
        .await)
    .await;
    refused(
        app.call(
            Method::PATCH,
            &format!("/api/v1/planner/clusters/{id}/"),
            Some(&ada.token),
            Some(&json!({"name": long_name.to_uppercase()})),
        )
        .await,
    )
    .await;

    // Filters, search and ordering.
    let by_sector = ok(app
        .get(
            &format!("/api/v1/planner/clusters/?sector_id={second}"),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(ids(&by_sector), vec![elsewhere]);
    let archived = ok(app
        .get(
            "/api/v1/planner/clusters/?status=archived",
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(ids(&archived), vec![id]);
    let searched = ok(app
        .get("/api/v1/planner/clusters/?search=SAND", Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&searched), vec![id]);
    let keyword = insert_keyword(&app, second, "flip flops", 500).await;
    move_into(&app, &ada.token, elsewhere, &[keyword]).await;
    let by_volume = ok(app
        .get(
            &format!(
                "/api/v1/planner/clusters/?site_id={}&ordering=-total_volume",
                ada.site
            ),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(by_volume["count"], 3);
    assert_eq!(ids(&by_volume)[0], elsewhere);
    for ordering in ["id", "name", "keyword_count", "total_volume", "-created_at"] {
        ok(app
            .get(
                &format!("/api/v1/planner/clusters/?ordering={ordering}"),
                Some(&ada.token),
            )
            .await)
        .await;
    }
    refused(
        app.get(
            "/api/v1/planner/clusters/?ordering=account_id",
            Some(&ada.token),
        )
        .await,
    )
    .await;
    refused(
        app.get("/api/v1/planner/clusters/?status=gone", Some(&ada.token))
            .await,
    )
    .await;

    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/planner/clusters/{id}/"),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get(&format!("/api/v1/planner/clusters/{id}/"), Some(&ada.token))
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn totals_equal_the_keywords_after_every_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 1).await;
    let sector = ada.sectors[0];
    let mut keywords = Vec::new();
    for (n, volume) in [100, 250, 0, 40, 7].into_iter().enumerate() {
        keywords.push(insert_keyword(&app, sector, &format!("kw {n}"), volume).await);
    }
    let a = new_cluster(&app, &ada.token, sector, "A").await;
    let b = new_cluster(&app, &ada.token, sector, "B").await;
    assert_eq!(assert_totals(&app, &ada.token, a).await, (0, 0));

    // Into A: the answer already carries the new totals.
    let answer = move_into(&app, &ada.token, a, &keywords[..4]).await;
    assert_eq!(answer["id"], a);
    assert_eq!(answer["keyword_count"], 4);
    assert_eq!(answer["total_volume"], 390);
    assert_eq!(assert_totals(&app, &ada.token, a).await, (4, 390));

    // Moving from A to B refreshes both; repeats in the list count once.
    move_into(
        &app,
        &ada.token,
        b,
        &[keywords[1], keywords[4], keywords[1]],
    )
    .await;
    assert_eq!(assert_totals(&app, &ada.token, a).await, (3, 140));
    assert_eq!(assert_totals(&app, &ada.token, b).await, (2, 257));

    // Merge B into A.
    let merged = ok(app
        .post(
            &format!("/api/v1/planner/clusters/{a}/merge/"),
            &json!({"cluster_ids": [b]}),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(merged["id"], a);
    assert_eq!(merged["keyword_count"], 5);
    assert_eq!(merged["total_volume"], 397);
    assert_eq!(assert_totals(&app, &ada.token, a).await, (5, 397));
    let b_gone = app
        .get(&format!("/api/v1/planner/clusters/{b}/"), Some(&ada.token))
        .await;
    assert_eq!(b_gone.status(), StatusCode::NOT_FOUND);

    // Deleting A leaves its keywords, unclustered, and its ideas, without a cluster.
    let idea = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "cluster_id": a, "title": "Everything about kw"}),
    )
    .await;
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/planner/clusters/{a}/"),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let left = keyword::Entity::find()
        .filter(keyword::Column::SectorId.eq(sector))
        .all(app.db())
        .await
        .expect("keywords");
    assert_eq!(left.len(), 5);
    assert!(left.iter().all(|k| k.cluster_id.is_none()));
    let idea = ok(app
        .get(&format!("/api/v1/planner/ideas/{idea}/"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(idea["cluster_id"], Value::Null);

    // A fresh cluster takes them again from nowhere.
    let c = new_cluster(&app, &ada.token, sector, "C").await;
    move_into(&app, &ada.token, c, &keywords).await;
    assert_eq!(assert_totals(&app, &ada.token, c).await, (5, 397));
}

async fn merging_moves_keywords_ideas_and_tasks_into_the_target(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 2).await;
    let bob = member(&app, "bob@example.com", 1).await;
    let (sector, other_sector) = (ada.sectors[0], ada.sectors[1]);
    let target = new_cluster(&app, &ada.token, sector, "Running").await;
    let first = new_cluster(&app, &ada.token, sector, "Jogging").await;
    let second = new_cluster(&app, &ada.token, sector, "Sprinting").await;
    let k1 = insert_keyword(&app, sector, "jogging shoes", 30).await;
    let k2 = insert_keyword(&app, sector, "sprint spikes", 12).await;
    move_into(&app, &ada.token, first, &[k1]).await;
    move_into(&app, &ada.token, second, &[k2]).await;
    let idea = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "cluster_id": first, "title": "How to start jogging"}),
    )
    .await;
    let sent_idea = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "cluster_id": second, "title": "Sprint drills"}),
    )
    .await;
    let sent = created(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [sent_idea]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let task = sent["created"][0]["id"].as_i64().expect("task");

    let in_other_sector = new_cluster(&app, &ada.token, other_sector, "Elsewhere").await;
    let bobs = new_cluster(&app, &bob.token, bob.sectors[0], "Bob's").await;
    let merge = |into: i64, ids: Value| {
        let app = &app;
        let token = ada.token.clone();
        async move {
            app.post(
                &format!("/api/v1/planner/clusters/{into}/merge/"),
                &json!({"cluster_ids": ids}),
                Some(&token),
            )
            .await
        }
    };
    let itself = refused(merge(target, json!([first, target])).await).await;
    assert!(
        itself["cluster_ids"][0]
            .as_str()
            .expect("message")
            .contains("itself")
    );
    let wrong = refused(merge(target, json!([first, in_other_sector, bobs, 999_999])).await).await;
    let messages = wrong["cluster_ids"].to_string();
    assert!(
        messages.contains(&format!("No such cluster: {bobs}, 999999.")),
        "{messages}"
    );
    assert!(
        messages.contains(&format!("another sector: {in_other_sector}.")),
        "{messages}"
    );
    refused(merge(target, json!([])).await).await;
    // Nothing moved on a refusal.
    assert_eq!(assert_totals(&app, &ada.token, first).await, (1, 30));
    // Another tenant's target is a 404 even with the caller's own ids in the body.
    let response = app
        .post(
            &format!("/api/v1/planner/clusters/{bobs}/merge/"),
            &json!({"cluster_ids": [first]}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let merged = ok(merge(target, json!([first, second])).await).await;
    assert_eq!(merged["name"], "Running");
    assert_eq!(assert_totals(&app, &ada.token, target).await, (2, 42));
    let idea = ok(app
        .get(&format!("/api/v1/planner/ideas/{idea}/"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(idea["cluster_id"], target);
    let sent_idea = content_idea::Entity::find_by_id(sent_idea)
        .one(app.db())
        .await
        .expect("query")
        .expect("idea");
    assert_eq!(sent_idea.cluster_id, Some(target));
    let task = ok(app
        .get(&format!("/api/v1/writer/tasks/{task}/"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(task["cluster_id"], target);
    let remaining = cluster::Entity::find()
        .filter(cluster::Column::SectorId.eq(sector))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(remaining, 1);
}

async fn moving_keywords_refuses_other_sectors_tenants_and_archived_keywords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 2).await;
    let bob = member(&app, "bob@example.com", 1).await;
    let (sector, other_sector) = (ada.sectors[0], ada.sectors[1]);
    let cluster = new_cluster(&app, &ada.token, sector, "Tea").await;
    let mine = insert_keyword(&app, sector, "green tea", 90).await;
    let elsewhere = insert_keyword(&app, other_sector, "black tea", 80).await;
    let bobs = insert_keyword(&app, bob.sectors[0], "white tea", 70).await;
    let archived = insert_keyword(&app, sector, "old tea", 60).await;
    let mut row: keyword::ActiveModel = keyword::Entity::find_by_id(archived)
        .one(app.db())
        .await
        .expect("query")
        .expect("keyword")
        .into();
    row.status = Set(KeywordStatus::Archived);
    row.update(app.db()).await.expect("archive");

    let answer = refused(
        app.post(
            &format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            &json!({"keyword_ids": [mine, elsewhere, bobs, archived]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let messages = answer["keyword_ids"].to_string();
    assert!(
        messages.contains(&format!("No such keyword: {bobs}.")),
        "{messages}"
    );
    assert!(
        messages.contains(&format!("another sector: {elsewhere}.")),
        "{messages}"
    );
    assert!(messages.contains("Archived"), "{messages}");
    assert!(messages.contains(&archived.to_string()), "{messages}");
    // Nothing moved, not even the good id.
    assert_eq!(assert_totals(&app, &ada.token, cluster).await, (0, 0));
    refused(
        app.post(
            &format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            &json!({"keyword_ids": []}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let too_many: Vec<i64> = (1..=1_001).collect();
    refused(
        app.post(
            &format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            &json!({"keyword_ids": too_many}),
            Some(&ada.token),
        )
        .await,
    )
    .await;

    // Bob cannot move his keyword into Ada's cluster, nor Ada's keyword into his.
    let bobs_cluster = new_cluster(&app, &bob.token, bob.sectors[0], "Bob's tea").await;
    let response = app
        .post(
            &format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            &json!({"keyword_ids": [bobs]}),
            Some(&bob.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    refused(
        app.post(
            &format!("/api/v1/planner/clusters/{bobs_cluster}/move_keywords/"),
            &json!({"keyword_ids": [mine]}),
            Some(&bob.token),
        )
        .await,
    )
    .await;

    move_into(&app, &ada.token, cluster, &[mine]).await;
    assert_eq!(assert_totals(&app, &ada.token, cluster).await, (1, 90));
}

async fn ideas_are_created_validated_changed_listed_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 2).await;
    let bob = member(&app, "bob@example.com", 1).await;
    let (sector, other_sector) = (ada.sectors[0], ada.sectors[1]);
    let cluster = new_cluster(&app, &ada.token, sector, "Coffee").await;
    let other_cluster = new_cluster(&app, &ada.token, other_sector, "Espresso").await;
    let bobs_cluster = new_cluster(&app, &bob.token, bob.sectors[0], "Bob's").await;

    let full = created(
        app.post(
            "/api/v1/planner/ideas/",
            &json!({
                "sector_id": sector,
                "site_id": ada.site,
                "cluster_id": cluster,
                "title": "  How to brew pour-over coffee ",
                "description": "A beginner's guide.",
                "outline": [" Gear ", "Grind", "Pour"],
                "content_type": "how_to",
                "content_structure": "step-by-step",
                "target_keywords": ["pour over", "Pour  Over", "v60 recipe"],
                "estimated_words": 2200,
            }),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(full["account_id"], ada.account);
    assert_eq!(full["site_id"], ada.site);
    assert_eq!(full["sector_id"], sector);
    assert_eq!(full["cluster_id"], cluster);
    assert_eq!(full["title"], "How to brew pour-over coffee");
    assert_eq!(full["outline"], json!(["Gear", "Grind", "Pour"]));
    assert_eq!(full["content_type"], "how_to");
    assert_eq!(full["content_structure"], "step-by-step");
    assert_eq!(full["target_keywords"], json!(["pour over", "v60 recipe"]));
    assert_eq!(full["estimated_words"], 2200);
    assert_eq!(full["status"], "new");
    let full_id = full["id"].as_i64().expect("id");

    let plain = created(
        app.post(
            "/api/v1/planner/ideas/",
            &json!({"sector_id": other_sector, "title": "Espresso at home"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(plain["cluster_id"], Value::Null);
    assert_eq!(plain["content_type"], "article");
    assert_eq!(plain["estimated_words"], 1500);
    assert_eq!(plain["outline"], json!([]));
    assert_eq!(plain["target_keywords"], json!([]));
    let plain_id = plain["id"].as_i64().expect("id");

    let headings: Vec<String> = (0..31).map(|n| format!("Part {n}")).collect();
    for (bad, field) in [
        (json!({"sector_id": sector, "title": " "}), "title"),
        (
            json!({"sector_id": sector, "title": "t".repeat(256)}),
            "title",
        ),
        (json!({"sector_id": sector}), "title"),
        (
            json!({"sector_id": sector, "title": "T", "outline": headings}),
            "outline",
        ),
        (
            json!({"sector_id": sector, "title": "T", "outline": ["h".repeat(201)]}),
            "outline",
        ),
        (
            json!({"sector_id": sector, "title": "T", "outline": [""]}),
            "outline",
        ),
        (
            json!({"sector_id": sector, "title": "T", "target_keywords": (0..31).map(|n| format!("k{n}")).collect::<Vec<_>>()}),
            "target_keywords",
        ),
        (
            json!({"sector_id": sector, "title": "T", "target_keywords": ["k".repeat(256)]}),
            "target_keywords",
        ),
        (
            json!({"sector_id": sector, "title": "T", "estimated_words": 99}),
            "estimated_words",
        ),
        (
            json!({"sector_id": sector, "title": "T", "estimated_words": 10_001}),
            "estimated_words",
        ),
        (
            json!({"sector_id": sector, "title": "T", "cluster_id": other_cluster}),
            "cluster_id",
        ),
        (
            json!({"sector_id": sector, "title": "T", "cluster_id": bobs_cluster}),
            "cluster_id",
        ),
        (
            json!({"sector_id": sector, "title": "T", "status": "sent"}),
            "status",
        ),
        (
            json!({"sector_id": sector, "title": "T", "content_structure": "s".repeat(65)}),
            "content_structure",
        ),
        (
            json!({"sector_id": bob.sectors[0], "title": "T"}),
            "sector_id",
        ),
        (
            json!({"sector_id": sector, "site_id": 999_999, "title": "T"}),
            "site_id",
        ),
    ] {
        let answer = refused(
            app.post("/api/v1/planner/ideas/", &bad, Some(&ada.token))
                .await,
        )
        .await;
        assert!(answer[field].is_array(), "{bad} → {answer}");
    }
    let count = content_idea::Entity::find()
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(count, 2, "nothing written on a refusal");

    // PATCH changes only what it names; `cluster_id: null` detaches.
    let patched = ok(app
        .call(
            Method::PATCH,
            &format!("/api/v1/planner/ideas/{full_id}/"),
            Some(&ada.token),
            Some(&json!({"title": "Pour-over, step by step", "cluster_id": null, "status": "archived"})),
        )
        .await)
    .await;
    assert_eq!(patched["title"], "Pour-over, step by step");
    assert_eq!(patched["cluster_id"], Value::Null);
    assert_eq!(patched["status"], "archived");
    assert_eq!(patched["outline"], full["outline"]);
    assert_eq!(patched["target_keywords"], full["target_keywords"]);
    assert_eq!(patched["estimated_words"], 2200);
    let patched = ok(app
        .call(
            Method::PATCH,
            &format!("/api/v1/planner/ideas/{full_id}/"),
            Some(&ada.token),
            Some(&json!({"cluster_id": cluster, "status": "new", "outline": ["Only"]})),
        )
        .await)
    .await;
    assert_eq!(patched["cluster_id"], cluster);
    assert_eq!(patched["outline"], json!(["Only"]));
    for bad in [
        json!({"cluster_id": other_cluster}),
        json!({"cluster_id": bobs_cluster}),
        json!({"title": ""}),
        json!({"status": "sent"}),
        json!({"estimated_words": 20_000}),
    ] {
        refused(
            app.call(
                Method::PATCH,
                &format!("/api/v1/planner/ideas/{full_id}/"),
                Some(&ada.token),
                Some(&bad),
            )
            .await,
        )
        .await;
    }

    // Filters, search and ordering.
    let list = |query: &str| {
        let url = format!("/api/v1/planner/ideas/?{query}");
        let app = &app;
        let token = ada.token.clone();
        async move { ok(app.get(&url, Some(&token)).await).await }
    };
    assert_eq!(
        ids(&list(&format!("sector_id={sector}")).await),
        vec![full_id]
    );
    assert_eq!(
        ids(&list(&format!("cluster_id={cluster}")).await),
        vec![full_id]
    );
    assert_eq!(
        ids(&list(&format!("site_id={}", ada.site)).await),
        vec![full_id, plain_id]
    );
    assert_eq!(ids(&list("content_type=how_to").await), vec![full_id]);
    assert_eq!(ids(&list("status=new").await), vec![full_id, plain_id]);
    assert_eq!(ids(&list("search=ESPRESSO").await), vec![plain_id]);
    assert_eq!(
        ids(&list("ordering=-estimated_words").await),
        vec![full_id, plain_id]
    );
    assert_eq!(ids(&list("ordering=title").await), vec![plain_id, full_id]);
    list("ordering=-created_at,id").await;
    refused(
        app.get("/api/v1/planner/ideas/?ordering=secret", Some(&ada.token))
            .await,
    )
    .await;
    refused(
        app.get("/api/v1/planner/ideas/?content_type=poem", Some(&ada.token))
            .await,
    )
    .await;
    let bobs_list = ok(app.get("/api/v1/planner/ideas/", Some(&bob.token)).await).await;
    assert_eq!(bobs_list["count"], 0);

    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/planner/ideas/{plain_id}/"),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get(
            &format!("/api/v1/planner/ideas/{plain_id}/"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn another_tenants_ids_are_404_on_paths_and_400_in_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 1).await;
    let bob = member(&app, "bob@example.com", 1).await;
    let sector = ada.sectors[0];
    let cluster = new_cluster(&app, &ada.token, sector, "Ada's").await;
    let spare = new_cluster(&app, &ada.token, sector, "Ada's spare").await;
    let keyword = insert_keyword(&app, sector, "ada keyword", 5).await;
    let idea = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "cluster_id": cluster, "title": "Ada's idea"}),
    )
    .await;
    let task_idea = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "title": "Ada's task"}),
    )
    .await;
    let sent = created(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [task_idea]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let task = sent["created"][0]["id"].as_i64().expect("task");
    let bobs_cluster = new_cluster(&app, &bob.token, bob.sectors[0], "Bob's").await;

    let patch = json!({"name": "Mine now", "title": "Mine now"});
    for (method, path, payload) in [
        (
            Method::GET,
            format!("/api/v1/planner/clusters/{cluster}/"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/planner/clusters/{cluster}/"),
            Some(patch.clone()),
        ),
        (
            Method::DELETE,
            format!("/api/v1/planner/clusters/{cluster}/"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/planner/clusters/{cluster}/merge/"),
            Some(json!({"cluster_ids": [bobs_cluster]})),
        ),
        (
            Method::POST,
            format!("/api/v1/planner/clusters/{cluster}/move_keywords/"),
            Some(json!({"keyword_ids": [keyword]})),
        ),
        (Method::GET, format!("/api/v1/planner/ideas/{idea}/"), None),
        (
            Method::PATCH,
            format!("/api/v1/planner/ideas/{idea}/"),
            Some(patch.clone()),
        ),
        (
            Method::DELETE,
            format!("/api/v1/planner/ideas/{idea}/"),
            None,
        ),
        (Method::GET, format!("/api/v1/writer/tasks/{task}/"), None),
    ] {
        let response = app
            .call(method.clone(), &path, Some(&bob.token), payload.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    for (path, payload, field) in [
        (
            format!("/api/v1/planner/clusters/{bobs_cluster}/merge/"),
            json!({"cluster_ids": [cluster]}),
            "cluster_ids",
        ),
        (
            format!("/api/v1/planner/clusters/{bobs_cluster}/move_keywords/"),
            json!({"keyword_ids": [keyword]}),
            "keyword_ids",
        ),
        (
            "/api/v1/planner/clusters/".to_owned(),
            json!({"sector_id": sector, "name": "In Ada's sector"}),
            "sector_id",
        ),
        (
            "/api/v1/planner/ideas/".to_owned(),
            json!({"sector_id": bob.sectors[0], "cluster_id": cluster, "title": "With Ada's cluster"}),
            "cluster_id",
        ),
        (
            "/api/v1/planner/ideas/send_to_writer/".to_owned(),
            json!({"idea_ids": [idea]}),
            "idea_ids",
        ),
    ] {
        let answer = refused(app.post(&path, &payload, Some(&bob.token)).await).await;
        assert!(answer[field].is_array(), "{path}: {answer}");
    }
    let bobs_lists = [
        "/api/v1/planner/clusters/",
        "/api/v1/planner/ideas/",
        "/api/v1/writer/tasks/",
    ];
    for path in bobs_lists {
        let list = ok(app.get(path, Some(&bob.token)).await).await;
        for row in list["results"].as_array().expect("results") {
            assert_eq!(row["account_id"], bob.account, "{path}: {row}");
        }
    }
    // Ada's rows are as they were.
    let shown = ok(app
        .get(
            &format!("/api/v1/planner/clusters/{cluster}/"),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(shown["name"], "Ada's");
    assert_eq!(assert_totals(&app, &ada.token, cluster).await, (0, 0));
    ok(app
        .get(
            &format!("/api/v1/planner/clusters/{spare}/"),
            Some(&ada.token),
        )
        .await)
    .await;
    let idea_row = ok(app
        .get(&format!("/api/v1/planner/ideas/{idea}/"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(idea_row["status"], "new");
    assert_eq!(
        task::Entity::find().count(app.db()).await.expect("count"),
        1
    );
}

async fn send_to_writer_makes_one_task_per_idea_without_credits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 1).await;
    let sector = ada.sectors[0];
    let cluster = new_cluster(&app, &ada.token, sector, "Bread").await;
    let sourdough = new_idea(
        &app,
        &ada.token,
        json!({
            "sector_id": sector,
            "cluster_id": cluster,
            "title": "Sourdough for beginners",
            "description": "Starter, feeding, first loaf.",
            "outline": ["The starter", "Feeding", "The first loaf"],
            "content_type": "guide",
            "target_keywords": ["sourdough starter", "first sourdough loaf"],
            "estimated_words": 2400,
        }),
    )
    .await;
    let rye = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "title": "Rye bread"}),
    )
    .await;
    let archived = new_idea(
        &app,
        &ada.token,
        json!({"sector_id": sector, "title": "Old idea", "status": "archived"}),
    )
    .await;
    let balance_before = body(app.get("/api/v1/billing/credits/", Some(&ada.token)).await).await;
    let ledger_before = body(
        app.get("/api/v1/billing/credits/transactions/", Some(&ada.token))
            .await,
    )
    .await["count"]
        .clone();

    // An unknown id refuses the whole request, naming it; nothing is made.
    let answer = refused(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [sourdough, 999_999]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert!(
        answer["idea_ids"][0]
            .as_str()
            .expect("message")
            .contains("999999"),
        "{answer}"
    );
    assert_eq!(
        task::Entity::find().count(app.db()).await.expect("count"),
        0
    );
    refused(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": []}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let too_many: Vec<i64> = (1..=101).collect();
    refused(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": too_many}),
            Some(&ada.token),
        )
        .await,
    )
    .await;

    let sent = created(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [sourdough, rye, archived, sourdough]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let made = sent["created"].as_array().expect("created");
    assert_eq!(made.len(), 2, "{sent}");
    assert_eq!(
        sent["skipped"],
        json!([{"idea_id": archived, "reason": "archived"}])
    );
    let task = &made[0];
    assert_eq!(task["account_id"], ada.account);
    assert_eq!(task["site_id"], ada.site);
    assert_eq!(task["sector_id"], sector);
    assert_eq!(task["cluster_id"], cluster);
    assert_eq!(task["idea_id"], sourdough);
    assert_eq!(task["title"], "Sourdough for beginners");
    assert_eq!(task["brief"], "Starter, feeding, first loaf.");
    assert_eq!(
        task["outline"],
        json!(["The starter", "Feeding", "The first loaf"])
    );
    assert_eq!(
        task["target_keywords"],
        json!(["sourdough starter", "first sourdough loaf"])
    );
    assert_eq!(task["word_count"], 2400);
    assert_eq!(task["status"], "queued");
    assert_eq!(made[1]["idea_id"], rye);
    assert_eq!(made[1]["cluster_id"], Value::Null);
    assert_eq!(made[1]["word_count"], 1500);
    let task_id = task["id"].as_i64().expect("task id");
    assert_eq!(
        ok(app
            .get(
                &format!("/api/v1/writer/tasks/{task_id}/"),
                Some(&ada.token)
            )
            .await)
        .await,
        *task
    );
    for idea in [sourdough, rye] {
        let row = content_idea::Entity::find_by_id(idea)
            .one(app.db())
            .await
            .expect("query")
            .expect("idea");
        assert_eq!(row.status, IdeaStatus::Sent);
    }

    // Sending again makes nothing and says why.
    let again = created(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [rye, sourdough]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(again["created"], json!([]));
    assert_eq!(
        again["skipped"],
        json!([
            {"idea_id": rye, "reason": "already_sent"},
            {"idea_id": sourdough, "reason": "already_sent"},
        ])
    );
    // Archiving a sent idea is fine; making it `new` again (to send it twice) is not.
    ok(app
        .call(
            Method::PATCH,
            &format!("/api/v1/planner/ideas/{rye}/"),
            Some(&ada.token),
            Some(&json!({"status": "archived"})),
        )
        .await)
    .await;
    refused(
        app.call(
            Method::PATCH,
            &format!("/api/v1/planner/ideas/{rye}/"),
            Some(&ada.token),
            Some(&json!({"status": "new"})),
        )
        .await,
    )
    .await;
    assert_eq!(
        task::Entity::find().count(app.db()).await.expect("count"),
        2
    );
    let listed = ok(app
        .get(
            &format!("/api/v1/writer/tasks/?idea_id={sourdough}&status=queued"),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(ids(&listed), vec![task_id]);
    let listed = ok(app
        .get(
            &format!(
                "/api/v1/writer/tasks/?cluster_id={cluster}&search=SOURDOUGH&ordering=-word_count"
            ),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(ids(&listed), vec![task_id]);

    // F3c row 1: "No credits": the balance and the ledger are as they were.
    let balance_after = body(app.get("/api/v1/billing/credits/", Some(&ada.token)).await).await;
    assert_eq!(balance_after["balance"], balance_before["balance"]);
    assert_eq!(balance_after["reserved"], balance_before["reserved"]);
    let ledger_after = body(
        app.get("/api/v1/billing/credits/transactions/", Some(&ada.token))
            .await,
    )
    .await["count"]
        .clone();
    assert_eq!(ledger_after, ledger_before);

    // Deleting the idea keeps its task, without the link.
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/planner/ideas/{sourdough}/"),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let kept = ok(app
        .get(
            &format!("/api/v1/writer/tasks/{task_id}/"),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(kept["idea_id"], Value::Null);
    assert_eq!(kept["title"], "Sourdough for beginners");
}

async fn generated_ideas_belong_to_the_clusters_account_site_and_sector(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com", 2).await;
    let sector = ada.sectors[1];
    let cluster_id = new_cluster(&app, &ada.token, sector, "Hiking").await;
    let cluster = cluster::Entity::find_by_id(cluster_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("cluster");
    let from_model: Vec<ideas::GeneratedIdea> = serde_json::from_value(json!([
        {
            "title": format!("  {}  ", "Long title ".repeat(40)),
            "description": "d".repeat(3_000),
            "outline": (0..40).map(|n| if n == 1 { " ".to_owned() } else { format!("Section {n} {}", "x".repeat(250)) }).collect::<Vec<_>>(),
            "content_type": "How-To",
            "content_structure": "s".repeat(100),
            "target_keywords": ["Hiking Boots", "hiking  boots", "", "trail map"],
            "estimated_words": 50_000,
        },
        {"title": "   "},
        {"title": "Best trails", "content_type": "poem", "estimated_words": 3},
        {"title": "Packing list"},
    ]))
    .expect("model output parses");
    let stored = ideas::insert_generated(app.db(), &cluster, from_model)
        .await
        .expect("stored");
    assert_eq!(stored.len(), 3, "the blank title is left out");
    for idea in &stored {
        assert_eq!(idea.account_id, ada.account);
        assert_eq!(idea.site_id, ada.site);
        assert_eq!(idea.sector_id, sector);
        assert_eq!(idea.cluster_id, Some(cluster_id));
        assert_eq!(idea.status, IdeaStatus::New);
    }
    let long = &stored[0];
    assert!((250..=ideas::MAX_TITLE_CHARS).contains(&long.title.chars().count()));
    assert!(!long.title.starts_with(' ') && !long.title.ends_with(' '));
    assert_eq!(
        long.description.chars().count(),
        ideas::MAX_DESCRIPTION_CHARS
    );
    assert_eq!(long.content_type, ContentType::HowTo);
    assert_eq!(
        long.content_structure.chars().count(),
        ideas::MAX_STRUCTURE_CHARS
    );
    assert_eq!(long.estimated_words, 10_000);
    let shown = ok(app
        .get(
            &format!("/api/v1/planner/ideas/{}/", long.id),
            Some(&ada.token),
        )
        .await)
    .await;
    let outline = shown["outline"].as_array().expect("outline");
    assert_eq!(outline.len(), ideas::MAX_HEADINGS);
    assert!(outline.iter().all(|h| {
        let h = h.as_str().expect("heading");
        !h.trim().is_empty() && h.chars().count() <= ideas::MAX_HEADING_CHARS
    }));
    assert_eq!(
        shown["target_keywords"],
        json!(["Hiking Boots", "trail map"])
    );
    assert_eq!(stored[1].content_type, ContentType::Article);
    assert_eq!(stored[1].estimated_words, 100);
    assert_eq!(stored[2].estimated_words, 1_500);
    let listed = ok(app
        .get(
            &format!("/api/v1/planner/ideas/?cluster_id={cluster_id}"),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(listed["count"], 3);
}
