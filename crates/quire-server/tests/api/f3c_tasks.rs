//! F3c — writer tasks: made from an idea (the seed's row 1) or from scratch, validated,
//! isolated between tenants, moved along their status only as far as the work allows, and
//! deleted with their article; none of it costs credits.

use crate::common::{Backend, TestApp, body};
use quire_core::{
    entities::{
        content, content_idea, content_version,
        enums::{ContentStatus, IdeaStatus, TaskStatus},
        task,
    },
    writer::versions::{self, Draft},
};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    a_task_from_an_idea_is_linked_to_it_and_costs_no_credits,
    a_task_from_scratch_takes_its_brief_and_defaults,
    bad_input_is_refused_and_nothing_is_written,
    another_tenants_ideas_sectors_and_tasks_are_out_of_reach,
    the_status_follows_the_work,
    deleting_a_task_deletes_its_article_and_versions,
);

const TASKS: &str = "/api/v1/writer/tasks/";

/// A signed-in member on the agency plan with one site and one sector in it.
struct Member {
    token: String,
    account: i64,
    site: i64,
    sector: i64,
}

async fn member(app: &TestApp, email: &str) -> Member {
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
    let sector = created(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Baking"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    Member {
        token,
        account,
        site,
        sector,
    }
}

async fn answer_with(response: reqwest::Response, expected: StatusCode) -> Value {
    let status = response.status();
    let answer = body(response).await;
    assert_eq!(status, expected, "{answer}");
    answer
}

async fn created(response: reqwest::Response) -> Value {
    answer_with(response, StatusCode::CREATED).await
}

async fn ok(response: reqwest::Response) -> Value {
    answer_with(response, StatusCode::OK).await
}

async fn refused(response: reqwest::Response) -> Value {
    answer_with(response, StatusCode::BAD_REQUEST).await
}

fn ids(list: &Value) -> Vec<i64> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

fn task_path(id: i64) -> String {
    format!("{TASKS}{id}/")
}

async fn patch(app: &TestApp, token: &str, id: i64, fields: Value) -> reqwest::Response {
    app.call(Method::PATCH, &task_path(id), Some(token), Some(&fields))
        .await
}

async fn delete(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.call(Method::DELETE, &task_path(id), Some(token), None)
        .await
}

async fn new_id(app: &TestApp, token: &str, path: &str, fields: Value) -> i64 {
    created(app.post(path, &fields, Some(token)).await).await["id"]
        .as_i64()
        .expect("id")
}

/// The balance, the reserved credits and the number of ledger entries.
async fn credits(app: &TestApp, token: &str) -> (Value, Value, Value) {
    let balance = ok(app.get("/api/v1/billing/credits/", Some(token)).await).await;
    let ledger = ok(app
        .get("/api/v1/billing/credits/transactions/", Some(token))
        .await)
    .await;
    (
        balance["balance"].clone(),
        balance["reserved"].clone(),
        ledger["count"].clone(),
    )
}

async fn task_count(app: &TestApp) -> u64 {
    task::Entity::find().count(app.db()).await.expect("count")
}

async fn task_row(app: &TestApp, id: i64) -> task::Model {
    task::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("task")
}

/// Sets the task's status as the generation jobs do.
async fn set_status(app: &TestApp, id: i64, status: TaskStatus) {
    let mut row: task::ActiveModel = task_row(app, id).await.into();
    row.status = Set(status);
    row.update(app.db()).await.expect("status");
}

/// Gives the task an article, as a generation would (version 1, then `versions` - 1 more).
async fn give_article(app: &TestApp, id: i64, versions: usize) -> content::Model {
    let task = task_row(app, id).await;
    let draft = |n: usize| Draft {
        title: format!("Sourdough, take {n}"),
        meta_title: "Sourdough".to_owned(),
        meta_description: "All about sourdough.".to_owned(),
        body: format!("Intro {n}.\n\n## The starter\n\nFlour and water.\n"),
    };
    let mut article = versions::save_generated(app.db(), &task, draft(1), "generated")
        .await
        .expect("article");
    for n in 2..=versions {
        article = versions::save_version(app.db(), &article, draft(n), "regenerated")
            .await
            .expect("version");
    }
    article
}

async fn a_task_from_an_idea_is_linked_to_it_and_costs_no_credits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let cluster = new_id(
        &app,
        &ada.token,
        "/api/v1/planner/clusters/",
        json!({"sector_id": ada.sector, "name": "Bread"}),
    )
    .await;
    let ideas = "/api/v1/planner/ideas/";
    let sourdough = new_id(
        &app,
        &ada.token,
        ideas,
        json!({
            "sector_id": ada.sector,
            "cluster_id": cluster,
            "title": "Sourdough for beginners",
            "description": "Starter, feeding, first loaf.",
            "outline": ["The starter", "Feeding", "The first loaf"],
            "target_keywords": ["sourdough starter", "first sourdough loaf"],
            "estimated_words": 2400,
        }),
    )
    .await;
    let short = new_id(
        &app,
        &ada.token,
        ideas,
        json!({"sector_id": ada.sector, "title": "Rye in brief", "estimated_words": 150}),
    )
    .await;
    let archived = new_id(
        &app,
        &ada.token,
        ideas,
        json!({"sector_id": ada.sector, "title": "Old idea", "status": "archived"}),
    )
    .await;
    let before = credits(&app, &ada.token).await;

    // F3c row 1: the task is linked to the idea, its site, sector, cluster and account, and
    // carries what the idea says; brief fields come along.
    let task = created(
        app.post(
            TASKS,
            &json!({
                "idea_id": sourdough,
                "tone": " friendly ",
                "audience": "Home bakers",
                "language": "fr-CA",
                "point_of_view": "Second",
                "notes": "Mention rye flour.",
            }),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(task["account_id"], ada.account);
    assert_eq!(task["site_id"], ada.site);
    assert_eq!(task["sector_id"], ada.sector);
    assert_eq!(task["cluster_id"], cluster);
    assert_eq!(task["idea_id"], sourdough);
    assert_eq!(task["content_id"], Value::Null);
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
    assert_eq!(task["tone"], "friendly");
    assert_eq!(task["audience"], "Home bakers");
    assert_eq!(task["language"], "fr-CA");
    assert_eq!(task["point_of_view"], "second");
    assert_eq!(task["notes"], "Mention rye flour.");
    assert_eq!(task["status"], "queued");
    let id = task["id"].as_i64().expect("id");
    assert_eq!(
        ok(app.get(&task_path(id), Some(&ada.token)).await).await,
        task
    );
    let idea = content_idea::Entity::find_by_id(sourdough)
        .one(app.db())
        .await
        .expect("query")
        .expect("idea");
    assert_eq!(idea.status, IdeaStatus::Sent);

    // Once sent, an idea makes no second task, here or through send-to-writer.
    let answer = refused(
        app.post(TASKS, &json!({"idea_id": sourdough}), Some(&ada.token))
            .await,
    )
    .await;
    assert!(
        answer["idea_id"][0]
            .as_str()
            .expect("message")
            .contains("already sent"),
        "{answer}"
    );
    let sent = created(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [sourdough]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(sent["created"], json!([]));
    let answer = refused(
        app.post(TASKS, &json!({"idea_id": archived}), Some(&ada.token))
            .await,
    )
    .await;
    assert!(
        answer["idea_id"][0]
            .as_str()
            .expect("message")
            .contains("archived"),
        "{answer}"
    );
    // The idea fixes the sector: another one is refused.
    let other_sector = new_id(
        &app,
        &ada.token,
        "/api/v1/auth/sectors/",
        json!({"site_id": ada.site, "name": "Pastry"}),
    )
    .await;
    refused(
        app.post(
            TASKS,
            &json!({"idea_id": short, "sector_id": other_sector}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(task_count(&app).await, 1);

    // Given fields win over the idea's; an idea's length is brought into the task range.
    let short_task = created(
        app.post(
            TASKS,
            &json!({"idea_id": short, "sector_id": ada.sector, "outline": ["Why rye"]}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(short_task["word_count"], 300);
    assert_eq!(short_task["outline"], json!(["Why rye"]));
    assert_eq!(short_task["language"], "en");
    assert_eq!(short_task["cluster_id"], Value::Null);

    // No credits: the balance, the reservations and the ledger are as they were.
    assert_eq!(credits(&app, &ada.token).await, before);
}

async fn a_task_from_scratch_takes_its_brief_and_defaults(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let before = credits(&app, &ada.token).await;

    let plain = created(
        app.post(
            TASKS,
            &json!({"sector_id": ada.sector, "title": "  Croissants  "}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(plain["account_id"], ada.account);
    assert_eq!(plain["site_id"], ada.site);
    assert_eq!(plain["sector_id"], ada.sector);
    assert_eq!(plain["idea_id"], Value::Null);
    assert_eq!(plain["cluster_id"], Value::Null);
    assert_eq!(plain["title"], "Croissants");
    assert_eq!(plain["word_count"], 1500);
    assert_eq!(plain["language"], "en");
    assert_eq!(plain["target_keywords"], json!([]));
    assert_eq!(plain["outline"], json!([]));
    assert_eq!(plain["point_of_view"], "");
    assert_eq!(plain["status"], "queued");

    let full = created(
        app.post(
            TASKS,
            &json!({
                "site_id": ada.site,
                "sector_id": ada.sector,
                "title": "Baguettes at home",
                "target_keywords": ["baguette  recipe", "Baguette Recipe", "home oven"],
                "word_count": 3000,
                "brief": "A weekend project.",
                "outline": ["Flour", "Shaping", "Baking"],
                "tone": "warm",
                "audience": "Beginners",
                "language": "en-GB",
                "point_of_view": "first",
                "notes": "No stand mixer.",
            }),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(
        full["target_keywords"],
        json!(["baguette recipe", "home oven"])
    );
    assert_eq!(full["word_count"], 3000);
    assert_eq!(full["brief"], "A weekend project.");
    assert_eq!(full["outline"], json!(["Flour", "Shaping", "Baking"]));
    assert_eq!(full["tone"], "warm");
    assert_eq!(full["audience"], "Beginners");
    assert_eq!(full["language"], "en-GB");
    assert_eq!(full["point_of_view"], "first");
    assert_eq!(full["notes"], "No stand mixer.");
    let plain_id = plain["id"].as_i64().expect("id");
    let full_id = full["id"].as_i64().expect("id");

    // PATCH changes brief fields, one at a time, and leaves the rest.
    let changed = ok(patch(
        &app,
        &ada.token,
        plain_id,
        json!({"word_count": 800, "tone": "crisp", "point_of_view": ""}),
    )
    .await)
    .await;
    assert_eq!(changed["word_count"], 800);
    assert_eq!(changed["tone"], "crisp");
    assert_eq!(changed["title"], "Croissants");
    assert_eq!(changed["status"], "queued");

    // Lists: filters, search and ordering.
    let listed = ok(app
        .get(
            &format!("{TASKS}?sector_id={}&site_id={}", ada.sector, ada.site),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(ids(&listed), vec![plain_id, full_id]);
    let listed = ok(app
        .get(&format!("{TASKS}?search=BAGUETTE"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&listed), vec![full_id]);
    assert_eq!(listed["results"][0]["content_id"], Value::Null);
    let listed = ok(app
        .get(&format!("{TASKS}?ordering=-word_count"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&listed), vec![full_id, plain_id]);
    let listed = ok(app
        .get(&format!("{TASKS}?ordering=title"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&listed), vec![full_id, plain_id]);
    for ordering in ["id", "-created_at", "updated_at", "status"] {
        ok(app
            .get(&format!("{TASKS}?ordering={ordering}"), Some(&ada.token))
            .await)
        .await;
    }
    refused(
        app.get(&format!("{TASKS}?ordering=brief"), Some(&ada.token))
            .await,
    )
    .await;
    let listed = ok(app
        .get(&format!("{TASKS}?status=draft"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&listed), Vec::<i64>::new());

    assert_eq!(credits(&app, &ada.token).await, before);
}

async fn bad_input_is_refused_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let sector = ada.sector;
    let many = |n: usize| -> Vec<String> { (0..n).map(|i| format!("item {i}")).collect() };
    let cases = [
        (json!({"title": "No sector"}), "sector_id"),
        (json!({"sector_id": sector}), "title"),
        (json!({"sector_id": sector, "title": "   "}), "title"),
        (
            json!({"sector_id": sector, "title": "x".repeat(256)}),
            "title",
        ),
        (
            json!({"sector_id": sector, "title": "T", "word_count": 299}),
            "word_count",
        ),
        (
            json!({"sector_id": sector, "title": "T", "word_count": 10_001}),
            "word_count",
        ),
        (
            json!({"sector_id": sector, "title": "T", "target_keywords": many(31)}),
            "target_keywords",
        ),
        (
            json!({"sector_id": sector, "title": "T", "target_keywords": [" "]}),
            "target_keywords",
        ),
        (
            json!({"sector_id": sector, "title": "T", "outline": many(31)}),
            "outline",
        ),
        (
            json!({"sector_id": sector, "title": "T", "outline": ["Intro", ""]}),
            "outline",
        ),
        (
            json!({"sector_id": sector, "title": "T", "tone": "t".repeat(65)}),
            "tone",
        ),
        (
            json!({"sector_id": sector, "title": "T", "audience": "a".repeat(256)}),
            "audience",
        ),
        (
            json!({"sector_id": sector, "title": "T", "notes": "n".repeat(5_001)}),
            "notes",
        ),
        (
            json!({"sector_id": sector, "title": "T", "brief": "b".repeat(5_001)}),
            "brief",
        ),
        (
            json!({"sector_id": sector, "title": "T", "language": "e"}),
            "language",
        ),
        (
            json!({"sector_id": sector, "title": "T", "language": "en_US"}),
            "language",
        ),
        (
            json!({"sector_id": sector, "title": "T", "language": ""}),
            "language",
        ),
        (
            json!({"sector_id": sector, "title": "T", "point_of_view": "fourth"}),
            "point_of_view",
        ),
        (json!({"idea_id": 999_999}), "idea_id"),
        (json!({"sector_id": 999_999, "title": "T"}), "sector_id"),
    ];
    for (fields, field) in &cases {
        let answer = refused(app.post(TASKS, fields, Some(&ada.token)).await).await;
        assert!(answer[field].is_array(), "{fields}: {answer}");
    }
    // Several problems are reported together.
    let answer = refused(
        app.post(
            TASKS,
            &json!({"sector_id": sector, "title": "", "word_count": 5, "point_of_view": "all"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    for field in ["title", "word_count", "point_of_view"] {
        assert!(answer[field].is_array(), "{answer}");
    }
    // A site that is not the sector's.
    let other_site = new_id(
        &app,
        &ada.token,
        "/api/v1/auth/sites/",
        json!({"name": "Other", "url": "https://other.example.com"}),
    )
    .await;
    refused(
        app.post(
            TASKS,
            &json!({"site_id": other_site, "sector_id": sector, "title": "T"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    // Status is not taken at creation: tasks start `queued`.
    let queued = created(
        app.post(
            TASKS,
            &json!({"sector_id": sector, "title": "Kept", "status": "published"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(queued["status"], "queued");
    assert_eq!(task_count(&app).await, 1);

    // A bad PATCH changes nothing, not even the valid fields beside the bad one.
    let id = queued["id"].as_i64().expect("id");
    let before = task_row(&app, id).await;
    for fields in [
        json!({"title": "New title", "word_count": 20_000}),
        json!({"title": ""}),
        json!({"language": "not a tag"}),
        json!({"outline": many(31)}),
        json!({"status": "finished"}),
    ] {
        refused(patch(&app, &ada.token, id, fields).await).await;
    }
    assert_eq!(task_row(&app, id).await, before);
}

async fn another_tenants_ideas_sectors_and_tasks_are_out_of_reach(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let bob = member(&app, "bob@example.com").await;
    let bobs_idea = new_id(
        &app,
        &bob.token,
        "/api/v1/planner/ideas/",
        json!({"sector_id": bob.sector, "title": "Bob's idea"}),
    )
    .await;
    let bobs_task = new_id(
        &app,
        &bob.token,
        TASKS,
        json!({"sector_id": bob.sector, "title": "Bob's task"}),
    )
    .await;

    // In a body: a 400 that reads like a missing row.
    let answer = refused(
        app.post(TASKS, &json!({"idea_id": bobs_idea}), Some(&ada.token))
            .await,
    )
    .await;
    assert_eq!(answer["idea_id"], json!(["No such idea."]));
    let answer = refused(
        app.post(
            TASKS,
            &json!({"sector_id": bob.sector, "title": "Mine"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    assert_eq!(answer["sector_id"], json!(["No such sector."]));
    // Ada's idea cannot be moved into Bob's sector either.
    let adas_idea = new_id(
        &app,
        &ada.token,
        "/api/v1/planner/ideas/",
        json!({"sector_id": ada.sector, "title": "Ada's idea"}),
    )
    .await;
    refused(
        app.post(
            TASKS,
            &json!({"idea_id": adas_idea, "sector_id": bob.sector}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let idea = content_idea::Entity::find_by_id(bobs_idea)
        .one(app.db())
        .await
        .expect("query")
        .expect("idea");
    assert_eq!(idea.status, IdeaStatus::New, "Bob's idea was not sent");

    // On a path: 404, and Bob's task is untouched.
    let before = task_row(&app, bobs_task).await;
    for response in [
        app.get(&task_path(bobs_task), Some(&ada.token)).await,
        patch(&app, &ada.token, bobs_task, json!({"title": "Mine now"})).await,
        delete(&app, &ada.token, bobs_task).await,
    ] {
        answer_with(response, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(task_row(&app, bobs_task).await, before);
    // Lists hold only the caller's tasks, whatever the filter.
    let listed = ok(app
        .get(
            &format!("{TASKS}?sector_id={}&idea_id={bobs_idea}", bob.sector),
            Some(&ada.token),
        )
        .await)
    .await;
    assert_eq!(listed["count"], 0);
    let listed = ok(app.get(TASKS, Some(&ada.token)).await).await;
    assert_eq!(listed["count"], 0);
    assert_eq!(task_count(&app).await, 1);
}

async fn the_status_follows_the_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let before = credits(&app, &ada.token).await;
    let id = new_id(
        &app,
        &ada.token,
        TASKS,
        json!({"sector_id": ada.sector, "title": "Sourdough"}),
    )
    .await;

    // Without an article, a user cannot claim one; the system's statuses are the system's.
    for status in ["draft", "review", "published", "generating", "failed"] {
        let answer = refused(patch(&app, &ada.token, id, json!({"status": status})).await).await;
        assert!(answer["status"].is_array(), "{status}: {answer}");
    }
    // Saying the status it has is fine.
    ok(patch(
        &app,
        &ada.token,
        id,
        json!({"status": "queued", "notes": "x"}),
    )
    .await)
    .await;

    // While generating: no edit, no delete (409, saying why).
    set_status(&app, id, TaskStatus::Generating).await;
    let answer = answer_with(
        patch(&app, &ada.token, id, json!({"title": "Renamed"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        answer["detail"]
            .as_str()
            .expect("detail")
            .contains("being generated"),
        "{answer}"
    );
    answer_with(
        patch(&app, &ada.token, id, json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    answer_with(delete(&app, &ada.token, id).await, StatusCode::CONFLICT).await;
    assert_eq!(task_row(&app, id).await.title, "Sourdough");

    // A failed generation may be queued again, and nothing else.
    set_status(&app, id, TaskStatus::Failed).await;
    refused(patch(&app, &ada.token, id, json!({"status": "draft"})).await).await;
    let queued = ok(patch(&app, &ada.token, id, json!({"status": "queued"})).await).await;
    assert_eq!(queued["status"], "queued");

    // With an article, the user moves it between draft, review and published; the article's
    // status follows.
    let article = give_article(&app, id, 1).await;
    set_status(&app, id, TaskStatus::Draft).await;
    let shown = ok(app.get(&task_path(id), Some(&ada.token)).await).await;
    assert_eq!(shown["content_id"], article.id);
    for (status, content_status) in [
        ("review", ContentStatus::Review),
        ("published", ContentStatus::Published),
        ("draft", ContentStatus::Draft),
        ("published", ContentStatus::Published),
    ] {
        let moved = ok(patch(&app, &ada.token, id, json!({"status": status})).await).await;
        assert_eq!(moved["status"], status);
        assert_eq!(moved["content_id"], article.id);
        let row = content::Entity::find_by_id(article.id)
            .one(app.db())
            .await
            .expect("query")
            .expect("article");
        assert_eq!(row.status, content_status);
    }
    let listed = ok(app
        .get(&format!("{TASKS}?status=published"), Some(&ada.token))
        .await)
    .await;
    assert_eq!(ids(&listed), vec![id]);
    assert_eq!(listed["results"][0]["content_id"], article.id);
    // Back to the queue or to the system's statuses: refused.
    for status in ["queued", "failed", "generating"] {
        refused(patch(&app, &ada.token, id, json!({"status": status})).await).await;
    }
    // A published task's brief may still change.
    let edited = ok(patch(&app, &ada.token, id, json!({"tone": "plain"})).await).await;
    assert_eq!(edited["tone"], "plain");
    assert_eq!(edited["status"], "published");

    assert_eq!(credits(&app, &ada.token).await, before);
}

async fn deleting_a_task_deletes_its_article_and_versions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let before = credits(&app, &ada.token).await;
    let idea = new_id(
        &app,
        &ada.token,
        "/api/v1/planner/ideas/",
        json!({"sector_id": ada.sector, "title": "Sourdough"}),
    )
    .await;
    let id = created(
        app.post(TASKS, &json!({"idea_id": idea}), Some(&ada.token))
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let kept = new_id(
        &app,
        &ada.token,
        TASKS,
        json!({"sector_id": ada.sector, "title": "Kept"}),
    )
    .await;
    let article = give_article(&app, id, 3).await;
    let kept_article = give_article(&app, kept, 2).await;
    set_status(&app, id, TaskStatus::Review).await;

    let response = delete(&app, &ada.token, id).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    answer_with(
        app.get(&task_path(id), Some(&ada.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    answer_with(delete(&app, &ada.token, id).await, StatusCode::NOT_FOUND).await;
    let article_rows = content::Entity::find()
        .filter(content::Column::Id.eq(article.id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(article_rows, 0);
    let version_rows = |content_id: i64| {
        content_version::Entity::find()
            .filter(content_version::Column::ContentId.eq(content_id))
            .count(app.db())
    };
    assert_eq!(version_rows(article.id).await.expect("count"), 0);
    // The other task keeps its article and versions; the idea stays `sent`.
    assert_eq!(version_rows(kept_article.id).await.expect("count"), 2);
    assert_eq!(task_count(&app).await, 1);
    let idea = content_idea::Entity::find_by_id(idea)
        .one(app.db())
        .await
        .expect("query")
        .expect("idea");
    assert_eq!(idea.status, IdeaStatus::Sent);

    assert_eq!(credits(&app, &ada.token).await, before);
}
