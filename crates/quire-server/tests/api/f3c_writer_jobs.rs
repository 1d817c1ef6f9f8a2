//! F3c — the writer's AI operations as jobs: generating an article through the pipeline
//! (exact credits per call against the fake model's usage, length within ±15% of the target
//! however the model strays), rewriting one section (one call, a new version, the old one
//! kept), failures that leave no half article, and the offline path from keywords to a
//! rewritten section without any key.

use crate::ai_setup::{AiApp, CREDITS_PER_CALL, ai_app, answer};
use crate::common::{Backend, body};
use quire_core::{
    ai::offline::OFFLINE_LABEL,
    entities::{content, content_version, enums::TaskStatus, task},
    planner::stored_json,
    writer::versions,
};
use quire_testkit::fake_openai::{Reply, Script, user_message};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    an_article_is_charged_call_by_call_and_lands_near_its_length,
    a_model_that_writes_short_is_steered_back_towards_the_target,
    rewriting_a_section_charges_one_call_and_keeps_the_earlier_version,
    a_failure_part_way_returns_every_credit_and_leaves_no_article,
    other_tenants_tasks_and_busy_tasks_are_refused,
    a_batch_starts_one_job_per_task,
    a_batch_the_balance_cannot_cover_starts_nothing,
    the_offline_provider_goes_from_keywords_to_a_rewritten_section,
);

/// The number after `marker` in the prompt ("about 255 words" → 255).
fn number_after(prompt: &str, marker: &str) -> usize {
    prompt
        .split(marker)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or(0)
}

fn words(count: usize) -> String {
    (0..count)
        .map(|n| if n % 12 == 11 { "word." } else { "word" })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A model that writes every part at `ratio` times the words it is asked for.
fn writer_model(ratio: f64) -> Script {
    Script::responding(move |request| {
        let prompt = user_message(request);
        let scaled = |n: usize| (n as f64 * ratio).round() as usize;
        if prompt.starts_with("Plan the article") {
            return answer(
                json!({"outline": ["Fit", "Cushioning", "Grip", "Durability", "Price"]}),
            );
        }
        if prompt.starts_with("Write the section") {
            let asked = number_after(prompt, "Length: about");
            return answer(json!({"text": words(scaled(asked)), "summary": "It covered a point."}));
        }
        if prompt.starts_with("Write the introduction") {
            let intro = number_after(prompt, "introduction (about");
            let conclusion = number_after(prompt, "conclusion (about");
            return answer(json!({
                "introduction": words(scaled(intro)),
                "conclusion": words(scaled(conclusion)),
            }));
        }
        if prompt.starts_with("Give the final title") {
            return answer(json!({
                "title": "How to choose running shoes",
                "meta_title": "How to choose running shoes: fit, cushioning, grip and the price you should pay",
                "meta_description": "Everything to check before you buy.",
            }));
        }
        if prompt.starts_with("Rewrite the section") {
            return answer(json!({"text": "A rewritten section, shorter and clearer."}));
        }
        answer(json!({}))
    })
}

async fn writer(backend: Backend, script: Option<Script>) -> AiApp {
    ai_app(backend, script).await
}

impl AiApp {
    /// A task written from scratch (the tasks API is tested on its own).
    async fn task(&self, word_count: i32, outline: &[&str]) -> task::Model {
        let sector = quire_core::entities::sector::Entity::find_by_id(self.sector)
            .one(self.app.db())
            .await
            .expect("query")
            .expect("sector");
        let now = chrono::Utc::now();
        let outline: Vec<String> = outline.iter().map(|s| (*s).to_owned()).collect();
        task::ActiveModel {
            account_id: Set(sector.account_id),
            site_id: Set(sector.site_id),
            sector_id: Set(sector.id),
            idea_id: Set(None),
            cluster_id: Set(None),
            title: Set("Choosing running shoes".to_owned()),
            brief: Set(String::new()),
            outline: Set(stored_json::encode(&outline)),
            target_keywords: Set(stored_json::encode(&["running shoes".to_owned()])),
            word_count: Set(word_count),
            tone: Set("friendly".to_owned()),
            audience: Set("beginners".to_owned()),
            language: Set("en".to_owned()),
            point_of_view: Set(String::new()),
            notes: Set(String::new()),
            status: Set(TaskStatus::Queued),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.app.db())
        .await
        .expect("task")
    }

    async fn generate(&self, task_id: i64) -> Value {
        self.run(
            "/api/v1/writer/content/generate/",
            json!({ "task_id": task_id }),
        )
        .await
    }

    async fn content_of(&self, task_id: i64) -> Option<content::Model> {
        content::Entity::find()
            .filter(content::Column::TaskId.eq(task_id))
            .one(self.app.db())
            .await
            .expect("content")
    }

    async fn task_status(&self, id: i64) -> TaskStatus {
        task::Entity::find_by_id(id)
            .one(self.app.db())
            .await
            .expect("query")
            .expect("task")
            .status
    }
}

fn within(words: i64, target: i64, percent: i64) -> bool {
    (words - target).abs() * 100 <= target * percent
}

async fn an_article_is_charged_call_by_call_and_lands_near_its_length(backend: Backend) {
    // The model runs 25% long on every part; the pipeline asks less of the later ones.
    let writer = writer(backend, Some(writer_model(1.25))).await;
    let task = writer.task(1_500, &[]).await;
    let before = writer.balance().await;
    let job = writer.generate(task.id).await;
    assert_eq!(job["status"], "succeeded", "{job}");

    // Outline, five sections, introduction and conclusion, metadata: eight calls.
    let calls = writer.usage(Some("generate_article")).await;
    assert_eq!(calls.len(), 8);
    assert!(calls.iter().all(|c| c.credits_charged == CREDITS_PER_CALL));
    assert_eq!(job["charged_credits"], 8 * CREDITS_PER_CALL);
    assert_eq!(before - writer.balance().await, 8 * CREDITS_PER_CALL);

    let content = writer.content_of(task.id).await.expect("the article");
    let words = i64::from(content.word_count);
    assert!(
        within(words, 1_500, 15),
        "{words} words for a 1,500-word target"
    );
    assert_eq!(job["result"]["word_count"], words);
    assert_eq!(content.version, 1);
    assert_eq!(content.title, "How to choose running shoes");
    assert!(
        content.meta_title.chars().count() <= 60,
        "{}",
        content.meta_title
    );
    let sections = versions::sections_of(&content.sections);
    let headings: Vec<&str> = sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(
        headings,
        vec![
            "",
            "Fit",
            "Cushioning",
            "Grip",
            "Durability",
            "Price",
            "Conclusion"
        ]
    );
    let ids: std::collections::HashSet<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), sections.len(), "section ids are unique");
    assert_eq!(writer.task_status(task.id).await, TaskStatus::Draft);
    assert_eq!(
        content_version::Entity::find()
            .filter(content_version::Column::ContentId.eq(content.id))
            .count(writer.app.db())
            .await
            .expect("versions"),
        1
    );
}

async fn a_model_that_writes_short_is_steered_back_towards_the_target(backend: Backend) {
    let writer = writer(backend, Some(writer_model(0.7))).await;
    // The task brings its own outline: no outline call.
    let task = writer.task(2_000, &["One", "Two", "Three", "Four"]).await;
    let job = writer.generate(task.id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(writer.usage(Some("generate_article")).await.len(), 6);
    let words = i64::from(
        writer
            .content_of(task.id)
            .await
            .expect("article")
            .word_count,
    );
    assert!(
        within(words, 2_000, 15),
        "{words} words for a 2,000-word target"
    );
}

async fn rewriting_a_section_charges_one_call_and_keeps_the_earlier_version(backend: Backend) {
    let writer = writer(backend, Some(writer_model(1.0))).await;
    let task = writer.task(1_500, &["Fit", "Grip", "Price"]).await;
    let generated = writer.generate(task.id).await;
    assert_eq!(generated["status"], "succeeded", "{generated}");
    let article_charge = generated["charged_credits"].as_i64().expect("charge");
    let first = writer.content_of(task.id).await.expect("article");
    let sections = versions::sections_of(&first.sections);
    let grip = sections.iter().find(|s| s.heading == "Grip").expect("Grip");
    let before = writer.balance().await;

    let job = writer
        .run(
            "/api/v1/writer/content/regenerate_section/",
            json!({"content_id": first.id, "section_id": grip.id, "instructions": "Shorter."}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let charge = before - writer.balance().await;
    assert_eq!(charge, CREDITS_PER_CALL);
    assert!(charge < article_charge, "a rewrite costs less than a draft");
    let calls = writer.usage(Some("regenerate_section")).await;
    assert_eq!(calls.len(), 1);

    let second = writer.content_of(task.id).await.expect("article");
    assert_eq!(second.version, 2);
    assert!(
        second
            .body
            .contains("## Grip\n\nA rewritten section, shorter and clearer.")
    );
    let unchanged = |body: &str, heading: &str| {
        let at = body.find(&format!("## {heading}")).expect("heading");
        body[at..]
            .split("\n## ")
            .next()
            .expect("section")
            .to_owned()
    };
    assert_eq!(
        unchanged(&first.body, "Fit"),
        unchanged(&second.body, "Fit")
    );
    assert_eq!(
        versions::sections_of(&second.sections),
        sections,
        "the same sections with the same ids"
    );
    let kept = content_version::Entity::find()
        .filter(content_version::Column::ContentId.eq(first.id))
        .filter(content_version::Column::Version.eq(1))
        .one(writer.app.db())
        .await
        .expect("query")
        .expect("version 1 kept");
    assert_eq!(kept.body, first.body);

    let gone = writer
        .app
        .post(
            "/api/v1/writer/content/regenerate_section/",
            &json!({"content_id": first.id, "section_id": "nope"}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::BAD_REQUEST);
}

async fn a_failure_part_way_returns_every_credit_and_leaves_no_article(backend: Backend) {
    let mut script = writer_model(1.0);
    script.replies = vec![
        answer(json!({"outline": ["Fit", "Grip", "Price"]})),
        answer(json!({"text": words(300), "summary": "Fit."})),
    ];
    script.responder = None;
    script.fallback = Reply::ServerError;
    let writer = writer(backend, Some(script)).await;
    let task = writer.task(1_500, &[]).await;
    let before = writer.balance().await;
    let job = writer.generate(task.id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(
        writer.balance().await,
        before,
        "every reserved credit came back"
    );
    assert!(
        writer.content_of(task.id).await.is_none(),
        "no half article"
    );
    assert_eq!(writer.task_status(task.id).await, TaskStatus::Failed);
    // It can be generated again.
    let again = writer
        .app
        .post(
            "/api/v1/writer/content/generate/estimate/",
            &json!({"task_id": task.id}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
}

async fn other_tenants_tasks_and_busy_tasks_are_refused(backend: Backend) {
    let writer = writer(backend, None).await;
    let task = writer.task(800, &["One", "Two"]).await;
    let other = writer
        .app
        .active_member("bob@example.com", "agency-monthly")
        .await;
    for request in [json!({"task_id": task.id}), json!({"task_ids": [task.id]})] {
        let response = writer
            .app
            .post("/api/v1/writer/content/generate/", &request, Some(&other))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{request}");
    }
    for request in [
        json!({}),
        json!({"task_id": task.id, "task_ids": [task.id]}),
        json!({"task_ids": []}),
    ] {
        let response = writer
            .app
            .post(
                "/api/v1/writer/content/generate/",
                &request,
                Some(&writer.token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{request}");
    }
    // A job queued (no worker can take it: stop them first) makes the task busy.
    let mut writer = writer;
    writer.workers.take();
    let queued = writer
        .app
        .post(
            "/api/v1/writer/content/generate/",
            &json!({"task_id": task.id}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    assert_eq!(writer.task_status(task.id).await, TaskStatus::Generating);
    let twice = writer
        .app
        .post(
            "/api/v1/writer/content/generate/",
            &json!({"task_id": task.id}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
}

async fn the_offline_provider_goes_from_keywords_to_a_rewritten_section(backend: Backend) {
    let writer = writer(backend, None).await;
    let ids = writer
        .keywords(&[
            "trail running shoes",
            "best trail running shoes",
            "trail running shoes for women",
        ])
        .await;
    let clustered = writer
        .run(
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": ids, "sector_id": writer.sector, "method": "hybrid"}),
        )
        .await;
    assert_eq!(clustered["status"], "succeeded", "{clustered}");
    let cluster = clustered["result"]["cluster_ids"][0]
        .as_i64()
        .expect("cluster");
    let ideas = writer
        .run(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster], "ideas_per_cluster": 1}),
        )
        .await;
    assert_eq!(ideas["status"], "succeeded", "{ideas}");
    let idea = ideas["result"]["idea_ids"][0].as_i64().expect("idea");
    let sent = writer
        .app
        .post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [idea]}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let task = body(sent).await["created"][0]["id"].as_i64().expect("task");

    let generated = writer.generate(task).await;
    assert_eq!(generated["status"], "succeeded", "{generated}");
    assert_eq!(generated["result"]["offline_draft"], true);
    let article = writer.content_of(task).await.expect("article");
    assert!(
        article.body.starts_with(OFFLINE_LABEL),
        "{}",
        &article.body[..80]
    );
    assert!(article.meta_title.starts_with("Offline draft"));
    let section = versions::sections_of(&article.sections)
        .into_iter()
        .find(|s| !s.heading.is_empty())
        .expect("a section");
    let rewritten = writer
        .run(
            "/api/v1/writer/content/regenerate_section/",
            json!({"content_id": article.id, "section_id": section.id, "instructions": "Add an example."}),
        )
        .await;
    assert_eq!(rewritten["status"], "succeeded", "{rewritten}");
    let after = writer.content_of(task).await.expect("article");
    assert_eq!(after.version, 2);
    assert!(
        after
            .body
            .contains("Offline draft rewrite, asked: Add an example.")
    );
    assert!(
        writer
            .usage(Some("generate_article"))
            .await
            .iter()
            .all(|u| u.provider == "offline")
    );
}

async fn a_batch_starts_one_job_per_task(backend: Backend) {
    let writer = writer(backend, None).await;
    let first = writer.task(600, &["One"]).await;
    let second = writer.task(600, &["Two"]).await;
    let response = writer
        .app
        .post(
            "/api/v1/writer/content/generate/",
            &json!({"task_ids": [first.id, second.id, first.id]}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let jobs = body(response).await["jobs"]
        .as_array()
        .expect("jobs")
        .clone();
    assert_eq!(jobs.len(), 2, "one job per distinct task");
    for job in &jobs {
        let id = job["id"].as_i64().expect("id");
        let done = body(
            writer
                .app
                .get(&format!("/api/v1/jobs/{id}/?wait=30"), Some(&writer.token))
                .await,
        )
        .await;
        assert_eq!(done["status"], "succeeded", "{done}");
    }
    assert!(writer.content_of(first.id).await.is_some());
    assert!(writer.content_of(second.id).await.is_some());
}

async fn a_batch_the_balance_cannot_cover_starts_nothing(backend: Backend) {
    let mut writer = writer(backend, None).await;
    writer.workers.take();
    let first = writer.task(600, &["One"]).await;
    let second = writer.task(600, &["Two"]).await;
    let one = body(
        writer
            .app
            .post(
                "/api/v1/writer/content/generate/estimate/",
                &json!({"task_id": first.id}),
                Some(&writer.token),
            )
            .await,
    )
    .await["credits"]
        .as_i64()
        .expect("credits");
    let row = quire_core::entities::account::Entity::find_by_id(writer.account)
        .one(writer.app.db())
        .await
        .expect("query")
        .expect("account");
    let mut short: quire_core::entities::account::ActiveModel = row.into();
    short.credits = Set(one + 1);
    short.update(writer.app.db()).await.expect("update");

    let response = writer
        .app
        .post(
            "/api/v1/writer/content/generate/",
            &json!({"task_ids": [first.id, second.id]}),
            Some(&writer.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        writer.balance().await,
        one + 1,
        "the first job's hold came back"
    );
    let open = quire_core::entities::job::Entity::find()
        .filter(quire_core::entities::job::Column::Status.is_in([
            quire_core::entities::enums::JobStatus::Queued,
            quire_core::entities::enums::JobStatus::Running,
        ]))
        .count(writer.app.db())
        .await
        .expect("jobs");
    assert_eq!(open, 0, "no job is left waiting");
    assert_eq!(writer.task_status(first.id).await, TaskStatus::Queued);
    assert_eq!(writer.task_status(second.id).await, TaskStatus::Queued);
}
