//! F3c — articles: list and detail, edits that re-derive sections with stable ids, meta limits,
//! optimistic concurrency, versions kept and revertible, sanitised exports, and no way into
//! another tenant's articles.

use crate::common::{Backend, TestApp, body};
use quire_core::{
    entities::{enums::TaskStatus, task},
    writer::versions::{self, Draft},
};
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    content_is_listed_filtered_ordered_and_read,
    versions_are_kept_and_revertible,
    edits_rederive_sections_with_stable_ids,
    meta_limits_and_bad_fields_are_refused_without_writing,
    a_stale_version_is_a_conflict,
    exports_are_markdown_or_sanitised_html,
    another_tenants_content_is_not_found,
);

const CONTENT: &str = "/api/v1/writer/content/";

/// A signed-in member on the agency plan with one site and one sector.
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
    .await;
    let sector = created(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Hiking"}),
            Some(&token),
        )
        .await,
    )
    .await;
    Member {
        token,
        account,
        site,
        sector,
    }
}

async fn created(response: Response) -> i64 {
    let status = response.status();
    let json = body(response).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    json["id"].as_i64().expect("id")
}

async fn expect(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let text = response.text().await.expect("text");
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn draft(title: &str, body: &str) -> Draft {
    Draft {
        title: title.to_owned(),
        meta_title: format!("{title} meta"),
        meta_description: format!("All about {title}."),
        body: body.to_owned(),
    }
}

/// A task in `sector_id` (an idea sent to the writer) with its generated article; the
/// article's id and the task.
async fn article(app: &TestApp, who: &Member, sector_id: i64, draft: Draft) -> (i64, task::Model) {
    let idea = created(
        app.post(
            "/api/v1/planner/ideas/",
            &json!({"sector_id": sector_id, "title": draft.title}),
            Some(&who.token),
        )
        .await,
    )
    .await;
    let sent = expect(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [idea]}),
            Some(&who.token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let task_id = sent["created"][0]["id"].as_i64().expect("task id");
    let task = task::Entity::find_by_id(task_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    let content = versions::save_generated(app.db(), &task, draft, "Generated")
        .await
        .expect("generated");
    (content.id, task)
}

async fn patch(app: &TestApp, token: &str, id: i64, payload: Value) -> Response {
    app.call(
        Method::PATCH,
        &format!("{CONTENT}{id}/"),
        Some(token),
        Some(&payload),
    )
    .await
}

async fn detail(app: &TestApp, token: &str, id: i64) -> Value {
    expect(
        app.get(&format!("{CONTENT}{id}/"), Some(token)).await,
        StatusCode::OK,
    )
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

async fn content_is_listed_filtered_ordered_and_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let other_sector = created(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": ada.site, "name": "Camping"}),
            Some(&ada.token),
        )
        .await,
    )
    .await;
    let (boots, boots_task) = article(
        &app,
        &ada,
        ada.sector,
        draft("Boots", "Lead words.\n\n## Fit\n\nSnug and warm.\n"),
    )
    .await;
    let (tents, _) = article(
        &app,
        &ada,
        other_sector,
        draft("Tents for everyone", "One two three.\n"),
    )
    .await;

    let all = expect(app.get(CONTENT, Some(&ada.token)).await, StatusCode::OK).await;
    assert_eq!(all["count"], 2);
    assert_eq!(ids(&all), [boots, tents]);
    let first = &all["results"][0];
    assert_eq!(first["account_id"], ada.account);
    assert_eq!(first["task_id"], boots_task.id);
    assert_eq!(first["site_id"], ada.site);
    assert_eq!(first["sector_id"], ada.sector);
    assert_eq!(first["version"], 1);
    assert_eq!(first["status"], "draft");
    assert_eq!(first["word_count"], 6);
    assert!(first.get("body").is_none(), "lists leave the body out");

    for (query, expected) in [
        (format!("task_id={}", boots_task.id), vec![boots]),
        (format!("sector_id={other_sector}"), vec![tents]),
        (format!("site_id={}", ada.site), vec![boots, tents]),
        ("search=TENTS".to_owned(), vec![tents]),
        ("status=draft".to_owned(), vec![boots, tents]),
        ("status=published".to_owned(), vec![]),
        ("ordering=-word_count".to_owned(), vec![boots, tents]),
        ("ordering=word_count".to_owned(), vec![tents, boots]),
        ("ordering=-title".to_owned(), vec![tents, boots]),
        ("ordering=-created_at".to_owned(), vec![tents, boots]),
        ("ordering=updated_at".to_owned(), vec![boots, tents]),
        ("ordering=-id".to_owned(), vec![tents, boots]),
    ] {
        let list = expect(
            app.get(&format!("{CONTENT}?{query}"), Some(&ada.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&list), expected, "{query}");
    }
    for bad in ["ordering=body", "status=gone", "task_id=x"] {
        expect(
            app.get(&format!("{CONTENT}?{bad}"), Some(&ada.token)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }

    let one = detail(&app, &ada.token, boots).await;
    assert_eq!(one["title"], "Boots");
    assert_eq!(one["meta_title"], "Boots meta");
    assert_eq!(one["meta_description"], "All about Boots.");
    assert_eq!(one["body"], "Lead words.\n\n## Fit\n\nSnug and warm.\n");
    assert_eq!(one["version"], 1);
    let sections = one["sections"].as_array().expect("sections");
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["heading"], "");
    assert_eq!(sections[1]["heading"], "Fit");
    assert_eq!(sections[1]["order"], 1);
    assert!(sections[1]["id"].as_str().is_some_and(|id| !id.is_empty()));
    expect(
        app.get(&format!("{CONTENT}999999/"), Some(&ada.token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn versions_are_kept_and_revertible(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let first = draft("Boots", "Version one.\n\n## Fit\n\nSnug.\n");
    let (id, _) = article(&app, &ada, ada.sector, first.clone()).await;

    let second_body = "Version two.\n\n## Fit\n\nSnug and warm.\n\n## Care\n\nWax them.\n";
    expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({"title": "Better boots", "body": second_body}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let third = expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({"meta_title": "Boots, compared", "meta_description": "Which boots to buy."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(third["version"], 3);

    let history = expect(
        app.get(&format!("{CONTENT}{id}/versions/"), Some(&ada.token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history["count"], 3);
    let listed: Vec<(i64, String)> = history["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|v| {
            assert_eq!(v["content_id"], id);
            assert_eq!(v["account_id"], ada.account);
            (
                v["version"].as_i64().expect("version"),
                v["note"].as_str().expect("note").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (3, "Edited".to_owned()),
            (2, "Edited".to_owned()),
            (1, "Generated".to_owned())
        ]
    );
    assert_eq!(history["results"][2]["word_count"], 4);
    let oldest_first = expect(
        app.get(
            &format!("{CONTENT}{id}/versions/?ordering=version&page_size=1"),
            Some(&ada.token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(oldest_first["results"][0]["version"], 1);
    assert!(oldest_first["next"].is_string());

    // Each version holds exactly what it was saved with.
    let expected = [
        (
            1,
            "Boots",
            "Boots meta",
            "All about Boots.",
            first.body.as_str(),
        ),
        (
            2,
            "Better boots",
            "Boots meta",
            "All about Boots.",
            second_body,
        ),
        (
            3,
            "Better boots",
            "Boots, compared",
            "Which boots to buy.",
            second_body,
        ),
    ];
    let version_path = |n: i64| format!("{CONTENT}{id}/versions/{n}/");
    for (n, title, meta_title, meta_description, text) in expected {
        let version = expect(
            app.get(&version_path(n), Some(&ada.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(version["version"], n);
        assert_eq!(version["title"], title, "version {n}");
        assert_eq!(version["meta_title"], meta_title, "version {n}");
        assert_eq!(version["meta_description"], meta_description, "version {n}");
        assert_eq!(version["body"], text, "version {n}");
    }
    expect(
        app.get(&version_path(9), Some(&ada.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let revert = |to: Value| {
        let app = &app;
        let token = ada.token.clone();
        async move {
            app.post(
                &format!("{CONTENT}{id}/revert/"),
                &json!({ "version": to }),
                Some(&token),
            )
            .await
        }
    };
    let reverted = expect(revert(json!(1)).await, StatusCode::OK).await;
    assert_eq!(reverted["version"], 4);
    assert_eq!(reverted["title"], "Boots");
    assert_eq!(reverted["meta_title"], "Boots meta");
    assert_eq!(reverted["meta_description"], "All about Boots.");
    assert_eq!(reverted["body"], first.body);
    assert_eq!(reverted["word_count"], 4);
    let headings: Vec<&str> = reverted["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["heading"].as_str().expect("heading"))
        .collect();
    assert_eq!(headings, ["", "Fit"]);
    let fourth = expect(
        app.get(&version_path(4), Some(&ada.token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fourth["note"], "Reverted to 1");
    assert_eq!(fourth["body"], first.body);
    // The versions in between are still there, unchanged.
    let second = expect(
        app.get(&version_path(2), Some(&ada.token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["body"], second_body);

    for bad in [json!(9), json!(0), json!(4), json!("one")] {
        let refused = expect(revert(bad.clone()).await, StatusCode::BAD_REQUEST).await;
        assert!(refused.to_string().contains("version"), "{bad}: {refused}");
    }
    assert_eq!(detail(&app, &ada.token, id).await["version"], 4);
    // Reverting forward again works too.
    let forward = expect(revert(json!(3)).await, StatusCode::OK).await;
    assert_eq!(forward["version"], 5);
    assert_eq!(forward["meta_title"], "Boots, compared");
    assert_eq!(forward["body"], second_body);
}

async fn edits_rederive_sections_with_stable_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let (id, task) = article(
        &app,
        &ada,
        ada.sector,
        draft(
            "Boots",
            "Lead.\n\n## Fit\n\nSnug.\n\n## Care\n\nWax.\n\n## Price\n\nFair.\n",
        ),
    )
    .await;
    let before = detail(&app, &ada.token, id).await;
    let old: Vec<Value> = before["sections"].as_array().expect("sections").clone();
    assert_eq!(old.len(), 4);

    // Fit stays (its text changes), Care becomes Maintenance, Price moves up, Sizes is new.
    let edited = "A new lead.\n\n## Price\n\nStill fair.\n\n## Fit\n\nSnug and warm, \
                  true to size.\n\n## Maintenance\n\nWax.\n\n## Sizes\n\n```\n## not a heading\n```\n";
    let after = expect(
        patch(&app, &ada.token, id, json!({"body": edited})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["version"], 2);
    assert_eq!(after["body"], edited);
    let new = after["sections"].as_array().expect("sections");
    let headings: Vec<&str> = new
        .iter()
        .map(|s| s["heading"].as_str().expect("h"))
        .collect();
    assert_eq!(headings, ["", "Price", "Fit", "Maintenance", "Sizes"]);
    let orders: Vec<i64> = new
        .iter()
        .map(|s| s["order"].as_i64().expect("o"))
        .collect();
    assert_eq!(orders, [0, 1, 2, 3, 4]);
    assert_eq!(new[0]["id"], old[0]["id"], "the lead keeps its id");
    assert_eq!(
        new[1]["id"], old[3]["id"],
        "Price keeps its id where it moves"
    );
    assert_eq!(new[2]["id"], old[1]["id"], "Fit keeps its id");
    for fresh in [&new[3]["id"], &new[4]["id"]] {
        assert!(
            old.iter().all(|s| &s["id"] != fresh),
            "renamed and new headings get new ids"
        );
    }
    assert_eq!(after["word_count"], 20);
    let versions = expect(
        app.get(&format!("{CONTENT}{id}/versions/"), Some(&ada.token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(versions["results"][0]["note"], "Edited");

    // The same text again (and an empty PATCH) makes no version.
    let same = expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({"body": edited, "title": "  Boots ", "meta_title": "Boots meta"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(same["version"], 2);
    assert_eq!(same["sections"], after["sections"]);
    expect(patch(&app, &ada.token, id, json!({})).await, StatusCode::OK).await;

    // A status change alone makes no version either; a queued task does not follow it.
    let reviewed = expect(
        patch(&app, &ada.token, id, json!({"status": "review"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reviewed["status"], "review");
    assert_eq!(reviewed["version"], 2);
    let count = expect(
        app.get(&format!("{CONTENT}{id}/versions/"), Some(&ada.token))
            .await,
        StatusCode::OK,
    )
    .await["count"]
        .clone();
    assert_eq!(count, 2);
    let task_status = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            task::Entity::find_by_id(task.id)
                .one(&db)
                .await
                .expect("query")
                .expect("task")
                .status
        }
    };
    assert_eq!(task_status(&app).await, TaskStatus::Queued);

    // Once the task holds a draft, it follows the article's status.
    let row = task::Entity::find_by_id(task.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    let mut row: task::ActiveModel = row.into();
    row.status = Set(TaskStatus::Draft);
    row.update(app.db()).await.expect("task to draft");
    let published = expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({"status": "published", "title": "Boots, reviewed"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["version"], 3);
    assert_eq!(published["title"], "Boots, reviewed");
    assert_eq!(task_status(&app).await, TaskStatus::Published);
}

async fn meta_limits_and_bad_fields_are_refused_without_writing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let (id, _) = article(&app, &ada, ada.sector, draft("Boots", "Some words.\n")).await;
    let before = detail(&app, &ada.token, id).await;

    for (payload, field) in [
        (json!({"meta_title": "x".repeat(61)}), "meta_title"),
        (
            json!({"meta_description": "y".repeat(161)}),
            "meta_description",
        ),
        (json!({"title": "   "}), "title"),
        (json!({"title": "t".repeat(256)}), "title"),
        (json!({"body": " \n "}), "body"),
        (json!({"body": "b".repeat(200_001)}), "body"),
        (json!({"status": "archived"}), "status"),
        (json!({"version": "two"}), "version"),
        // One bad field spoils the whole PATCH.
        (
            json!({"title": "Fine", "body": "Fine.", "meta_title": "m".repeat(61)}),
            "meta_title",
        ),
    ] {
        let refused = expect(
            patch(&app, &ada.token, id, payload.clone()).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(
            refused.to_string().contains(field),
            "{field} named in {refused}"
        );
    }
    let refused = expect(
        patch(&app, &ada.token, id, json!({"meta_title": "x".repeat(61)})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        refused["meta_title"][0], "Use at most 60 characters.",
        "{refused}"
    );
    assert_eq!(
        detail(&app, &ada.token, id).await,
        before,
        "nothing written"
    );

    // The limits count characters, not bytes; whitespace runs become one space.
    let at_limits = expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({
                "meta_title": "é".repeat(60),
                "meta_description": format!("  {}\n", "d".repeat(160)),
                "title": "Boots,\n  reviewed",
                "body": "b".repeat(200_000),
            }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(at_limits["meta_title"], "é".repeat(60));
    assert_eq!(at_limits["meta_description"], "d".repeat(160));
    assert_eq!(at_limits["title"], "Boots, reviewed");
    assert_eq!(at_limits["version"], 2);
}

async fn a_stale_version_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let (id, _) = article(&app, &ada, ada.sector, draft("Boots", "Words.\n")).await;

    let saved = expect(
        patch(
            &app,
            &ada.token,
            id,
            json!({"version": 1, "body": "Mine.\n"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved["version"], 2);
    // Another editor still holds version 1.
    for late in [
        json!({"version": 1, "body": "Theirs.\n"}),
        json!({"version": 1, "status": "review"}),
        json!({"version": 3, "title": "From the future"}),
    ] {
        let refused = expect(
            patch(&app, &ada.token, id, late.clone()).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(refused["code"], "conflict", "{late}: {refused}");
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains("version 2")),
            "{refused}"
        );
    }
    let now = detail(&app, &ada.token, id).await;
    assert_eq!(now["body"], "Mine.\n");
    assert_eq!(now["status"], "draft");
    assert_eq!(now["version"], 2);

    // Two editors of version 2 at once: one wins, the other is told.
    let (a, b) = tokio::join!(
        patch(
            &app,
            &ada.token,
            id,
            json!({"version": 2, "body": "First.\n"})
        ),
        patch(
            &app,
            &ada.token,
            id,
            json!({"version": 2, "body": "Second.\n"})
        ),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let after = detail(&app, &ada.token, id).await;
    assert_eq!(after["version"], 3);
    let versions = expect(
        app.get(&format!("{CONTENT}{id}/versions/"), Some(&ada.token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(versions["count"], 3);
    assert_eq!(versions["results"][0]["version"], 3);
}

async fn exports_are_markdown_or_sanitised_html(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let hostile = "Intro <script>alert('body')</script> words.\n\n\
                   <img src=x onerror=\"alert(1)\">\n\n\
                   [click me](javascript:alert(1))\n\n\
                   <a href=\"JaVaScRiPt:alert(2)\" onclick=\"steal()\">caps</a>\n\n\
                   <iframe src=\"https://evil.example/\"></iframe>\n\n\
                   [inline](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))\n\n\
                   ## Good links\n\n[safe](https://example.com/guide) and **bold** ~~old~~\n\n\
                   | Size | Fit |\n|---|---|\n| 42 | snug |\n";
    let (id, _) = article(
        &app,
        &ada,
        ada.sector,
        Draft {
            title: "Best Boots & \"Shoes\" <script>alert(3)</script>".to_owned(),
            meta_title: "Boots </title><script>alert(4)</script>".to_owned(),
            meta_description: "\"><script>alert(5)</script>".to_owned(),
            body: hostile.to_owned(),
        },
    )
    .await;
    let export = |format: &'static str| {
        let app = &app;
        let token = ada.token.clone();
        async move {
            app.get(&format!("{CONTENT}{id}/export/{format}"), Some(&token))
                .await
        }
    };

    for query in ["", "?format=markdown"] {
        let response = export(query).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/markdown; charset=utf-8");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"best-boots-shoes-script-alert-3-script.md\""
        );
        let text = response.text().await.expect("text");
        assert_eq!(
            text,
            format!("# Best Boots & \"Shoes\" <script>alert(3)</script>\n\n{hostile}")
        );
    }

    let response = export("?format=html").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"best-boots-shoes-script-alert-3-script.html\""
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("sandbox")
    );
    let page = response.text().await.expect("text");
    let lower = page.to_lowercase();
    for gone in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "vbscript:",
        "data:",
        "<iframe",
        "evil.example",
    ] {
        assert!(!lower.contains(gone), "{gone} in {page}");
    }
    let (_, article_body) = page.split_once("</h1>").expect("a heading");
    assert!(!article_body.contains("alert("), "{article_body}");
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{page}"
    );
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(
        page.contains("<title>Boots &lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;</title>")
    );
    assert!(page.contains(
        "<meta name=\"description\" content=\"&quot;&gt;&lt;script&gt;alert(5)&lt;/script&gt;\">"
    ));
    assert!(page.contains(
        "<h1>Best Boots &amp; &quot;Shoes&quot; &lt;script&gt;alert(3)&lt;/script&gt;</h1>"
    ));
    assert!(page.contains(
        "<a href=\"https://example.com/guide\" rel=\"noopener noreferrer nofollow\">safe</a>"
    ));
    assert!(page.contains("<h2>Good links</h2>"));
    assert!(page.contains("<strong>bold</strong>"));
    assert!(page.contains("<del>old</del>"));
    assert!(page.contains("<td>snug</td>"));
    assert!(page.contains("caps</a>"), "the link text stays");
    for link in page.split("<a ").skip(1) {
        let tag = &link[..link.find('>').expect("tag end")];
        assert!(
            tag.contains("rel=\"noopener noreferrer nofollow\""),
            "{tag}"
        );
    }

    let refused = expect(export("?format=pdf").await, StatusCode::BAD_REQUEST).await;
    assert!(refused.to_string().contains("format"), "{refused}");
}

async fn another_tenants_content_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let bob = member(&app, "bob@example.com").await;
    let (id, task) = article(&app, &ada, ada.sector, draft("Boots", "Words.\n")).await;
    let before = detail(&app, &ada.token, id).await;

    for (method, path, payload) in [
        (Method::GET, format!("{CONTENT}{id}/"), None),
        (
            Method::PATCH,
            format!("{CONTENT}{id}/"),
            Some(json!({"title": "Stolen"})),
        ),
        (Method::GET, format!("{CONTENT}{id}/versions/"), None),
        (Method::GET, format!("{CONTENT}{id}/versions/1/"), None),
        (
            Method::POST,
            format!("{CONTENT}{id}/revert/"),
            Some(json!({"version": 1})),
        ),
        (Method::GET, format!("{CONTENT}{id}/export/"), None),
        (
            Method::GET,
            format!("{CONTENT}{id}/export/?format=html"),
            None,
        ),
    ] {
        let response = app
            .call(method.clone(), &path, Some(&bob.token), payload.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    for query in [
        String::new(),
        format!("?task_id={}", task.id),
        format!("?site_id={}", ada.site),
        format!("?sector_id={}", ada.sector),
    ] {
        let list = expect(
            app.get(&format!("{CONTENT}{query}"), Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(list["count"], 0, "{query}");
    }
    assert_eq!(detail(&app, &ada.token, id).await, before);
    assert_ne!(bob.account, ada.account);
}
