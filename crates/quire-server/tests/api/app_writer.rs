//! The tenant app's writer and content pages over plain HTTP: a task written from scratch,
//! its article generated (estimate first, then the job, offline provider), rendered and
//! labelled, a section regenerated, an edit refused for a stale version with the text kept,
//! hostile Markdown never rendered as script, a revert and both exports; and the refusals —
//! another tenant's ids, a forged CSRF token, a balance too small.

use crate::{
    common::{Backend, PASSWORD, TestApp, body},
    visitor::{Visitor, location},
};
use quire_core::{
    entities::{account, content, job, task},
    writer::versions::{self, Draft},
};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use std::time::Duration;

quire_testkit::on_both_backends!(
    a_member_writes_an_article_from_the_writer_pages,
    writer_pages_refuse_other_tenants_forged_forms_and_short_balances,
);

/// Markdown that tries every way into a page: script, handlers, script links, an iframe.
const HOSTILE: &str = "Intro <script>alert('page')</script> text.\n\n\
    <img src=x onerror=\"alert(1)\"> [click](javascript:alert(2))\n\n\
    ## A section\n\n<iframe src=\"https://evil.example\"></iframe> \
    <a href=\"JaVaScRiPt:alert(3)\" onclick=\"steal()\">mixed</a>\n";

/// The value of the first hidden field `name` in `html`.
fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no field {name}"))
        .to_owned()
}

/// The `<article>` of a page.
fn article_of(html: &str) -> &str {
    let start = html.find("<article").expect("an article");
    let end = html[start..].find("</article>").expect("its end") + start;
    &html[start..end]
}

fn assert_harmless(html: &str) {
    let lower = html.to_lowercase();
    for bad in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "alert(",
    ] {
        assert!(!lower.contains(bad), "{bad} in {html}");
    }
}

/// A signed-in member's browser.
struct Member {
    visitor: Visitor,
}

impl Member {
    /// Signs up on the free plan through `/register` (signed in at once).
    async fn sign_up(app: &TestApp, email: &str) -> Self {
        let mut visitor = Visitor::new(&app.base);
        let registered = visitor.sign_up(email, app.plan_id("free").await).await;
        assert_eq!(registered.status(), StatusCode::SEE_OTHER);
        Self { visitor }
    }

    /// Signs an existing member in through `/login`.
    async fn sign_in(app: &TestApp, email: &str) -> Self {
        let mut visitor = Visitor::new(&app.base);
        let signed_in = visitor.sign_in(email).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        Self { visitor }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.visitor.get(path).await
    }

    /// The page at `path`, which must answer 200.
    async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.expect("html")
    }

    /// Posts `form` as given (its CSRF token included by the caller).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.visitor.post_as_is(path, form).await
    }

    async fn post_pairs(&self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.post(path, &form).await
    }

    /// Waits for job `path` (`/jobs/N`) to end, as its page's script does.
    async fn finished(&self, path: &str) -> Value {
        for _ in 0..600 {
            let status: Value = self
                .get(&format!("{path}/status"))
                .await
                .json()
                .await
                .expect("json");
            if status["running"] == false {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} did not finish");
    }
}

/// A site and a sector through the API; returns the sector's id.
async fn sector(app: &TestApp, email: &str) -> i64 {
    let token = body(app.login(email, PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Trail Notes", "url": "https://trail.example"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Running"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector")
}

async fn content_of(app: &TestApp, task_id: i64) -> content::Model {
    content::Entity::find()
        .filter(content::Column::TaskId.eq(task_id))
        .one(app.db())
        .await
        .expect("query")
        .expect("an article")
}

async fn a_member_writes_an_article_from_the_writer_pages(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.jobs.poll_milliseconds = 20;
        settings.jobs.max_attempts = 1;
    })
    .await;
    let member = Member::sign_up(&app, "wren@example.com").await;
    let sector = sector(&app, "wren@example.com").await.to_string();
    let _workers = app.start_workers(1);

    // A task from scratch: a refused brief keeps what was typed, then a good one is made.
    let form = member.page("/writer/new").await;
    assert!(
        form.contains(&format!("<option value=\"{sector}\"")),
        "{form}"
    );
    let csrf = hidden(&form, "csrf");
    let brief = |title: &'static str, words: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("sector_id", sector.clone()),
            ("title", title.to_owned()),
            ("target_keywords", "trail shoes, trail running".to_owned()),
            ("word_count", words.to_owned()),
            ("tone", "friendly".to_owned()),
            ("audience", "new trail runners".to_owned()),
            ("language", "en".to_owned()),
            ("point_of_view", "second".to_owned()),
            ("outline", "Fit\nGrip\n".to_owned()),
            ("brief", "What to check before buying.".to_owned()),
            ("notes", "Mention wet rock.".to_owned()),
        ]
    };
    let refused = member
        .post_pairs("/writer/new", &brief("Choosing trail shoes", "50"))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("Use a length from 300 to 10000 words."),
        "{html}"
    );
    assert!(
        html.contains("value=\"Choosing trail shoes\""),
        "kept: {html}"
    );
    assert_eq!(
        task::Entity::find().count(app.db()).await.expect("count"),
        0
    );
    let created = member
        .post_pairs("/writer/new", &brief("Choosing trail shoes", "600"))
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let task = task::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("the task");
    assert_eq!(
        location(&created),
        format!("/writer/{}?done=created", task.id)
    );
    assert_eq!(
        (
            task.word_count,
            task.point_of_view.as_str(),
            task.tone.as_str()
        ),
        (600, "second", "friendly")
    );
    assert!(task.outline.contains("Grip"));
    let list = member.page("/writer?status=queued&search=trail").await;
    assert!(list.contains(&format!("value=\"{}\"", task.id)), "{list}");
    let none = member.page("/writer?status=published").await;
    assert!(none.contains("No tasks match"), "{none}");

    // Generate article: the estimate first, then the job.
    let estimate = member
        .page(&format!("/writer/generate?task_ids={}", task.id))
        .await;
    let credits: i64 = estimate
        .split("id=\"estimate-credits\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("the estimate");
    assert!(credits > 0);
    let id = task.id.to_string();
    let started = member
        .post(
            "/writer/generate",
            &[("csrf", &hidden(&estimate, "csrf")), ("task_ids", &id)],
        )
        .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let job_page = location(&started);
    assert!(job_page.starts_with("/jobs/"), "{job_page}");
    assert_eq!(member.finished(job_page).await["status"], "succeeded");
    let article = content_of(&app, task.id).await;
    let done = member.page(job_page).await;
    assert!(done.contains(&format!("href=\"/content/{}\"", article.id)));

    // The article, rendered and labelled as the offline provider's.
    let path = format!("/content/{}", article.id);
    let page = member.page(&path).await;
    assert!(page.contains("id=\"offline-label\""), "{page}");
    let rendered = article_of(&page);
    assert!(rendered.contains("<h2>"), "{rendered}");
    assert!(
        rendered.contains("<blockquote>"),
        "the label, rendered: {rendered}"
    );
    assert!(!rendered.contains("## "), "no raw Markdown: {rendered}");
    assert!(page.contains("id=\"meta-title\">Offline draft"), "{page}");
    let list = member.page("/content?search=&status=draft").await;
    assert!(list.contains(&path), "{list}");

    // Regenerate a section with instructions: a job, then version 2.
    let section = versions::sections_of(&article.sections)
        .into_iter()
        .find(|s| !s.heading.is_empty())
        .expect("a section");
    assert!(page.contains(&format!("value=\"{}\"", section.id)));
    let regenerated = member
        .post(
            &format!("{path}/regenerate"),
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("section_id", &section.id),
                ("instructions", "Add an example."),
            ],
        )
        .await;
    assert_eq!(regenerated.status(), StatusCode::SEE_OTHER);
    let job_page = location(&regenerated);
    assert_eq!(member.finished(job_page).await["status"], "succeeded");
    let history = member.page(&format!("{path}/versions")).await;
    assert!(history.contains("id=\"version-2\""), "{history}");
    assert!(history.contains("Rewrote section"), "{history}");
    let page = member.page(&path).await;
    assert!(page.contains("Offline draft rewrite, asked: Add an example."));

    // An edit with hostile Markdown saves version 3 and never renders a script.
    let edit = member.page(&format!("{path}/edit")).await;
    assert_eq!(hidden(&edit, "version"), "2");
    let csrf = hidden(&edit, "csrf");
    let saved = member
        .post(
            &format!("{path}/edit"),
            &[
                ("csrf", &csrf),
                ("version", "2"),
                ("title", "Choosing trail shoes"),
                ("meta_title", "Trail shoes"),
                ("meta_description", "What to check."),
                ("body", HOSTILE),
                ("status", "review"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), format!("{path}?done=saved"));
    assert_eq!(content_of(&app, task.id).await.version, 3);
    let page = member.page(&path).await;
    assert_harmless(article_of(&page));
    assert!(article_of(&page).contains("mixed"), "{page}");
    assert!(!page.contains("id=\"offline-label\""));

    // An edit of version 2, now stale: 409 in words, the text kept, nothing saved.
    let stale = member
        .post(
            &format!("{path}/edit"),
            &[
                ("csrf", &csrf),
                ("version", "2"),
                ("title", "Choosing trail shoes"),
                ("meta_title", ""),
                ("meta_description", ""),
                ("body", "My careful rewrite of the whole piece."),
                ("status", "review"),
            ],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let html = stale.text().await.expect("html");
    assert!(html.contains("changed meanwhile"), "{html}");
    assert!(
        html.contains("My careful rewrite of the whole piece."),
        "{html}"
    );
    assert_eq!(hidden(&html, "version"), "3", "saving again is a choice");
    assert_eq!(content_of(&app, task.id).await.version, 3);

    // Both exports, as the API sends them; the HTML one sanitised.
    let markdown = member.get(&format!("{path}/export?format=markdown")).await;
    assert_eq!(markdown.status(), StatusCode::OK);
    assert!(
        markdown.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/markdown")
    );
    let disposition = markdown.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("disposition")
        .to_owned();
    assert_eq!(
        disposition,
        "attachment; filename=\"choosing-trail-shoes.md\""
    );
    assert!(
        markdown
            .text()
            .await
            .expect("text")
            .starts_with("# Choosing trail shoes\n\n")
    );
    let html = member.get(&format!("{path}/export?format=html")).await;
    assert_eq!(html.status(), StatusCode::OK);
    assert!(
        html.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .contains("sandbox")
    );
    let exported = html.text().await.expect("html");
    assert!(
        exported.contains("<h1>Choosing trail shoes</h1>"),
        "{exported}"
    );
    assert_harmless(&exported);

    // Revert to the generated version: its text becomes version 4.
    let history = member.page(&format!("{path}/versions")).await;
    assert!(
        history.contains("data-confirm=\"Revert to version 1?"),
        "{history}"
    );
    let reverted = member
        .post(
            &format!("{path}/revert"),
            &[("csrf", &hidden(&history, "csrf")), ("version", "1")],
        )
        .await;
    assert_eq!(reverted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&reverted), format!("{path}?done=reverted"));
    let now = content_of(&app, task.id).await;
    assert_eq!((now.version, now.body.as_str()), (4, article.body.as_str()));
    let page = member.page(&format!("{path}?done=reverted")).await;
    assert!(page.contains("id=\"offline-label\""));
    assert!(
        member
            .page(&format!("{path}/versions/3"))
            .await
            .contains("mixed")
    );
}

async fn writer_pages_refuse_other_tenants_forged_forms_and_short_balances(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@example.com", "free").await;
    let owner = Member::sign_in(&app, "owner@example.com").await;
    let sector = sector(&app, "owner@example.com").await;
    let create = owner.page("/writer/new").await;
    let created = owner
        .post(
            "/writer/new",
            &[
                ("csrf", &hidden(&create, "csrf")),
                ("sector_id", &sector.to_string()),
                ("title", "Owner's task"),
                ("word_count", "600"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let task = task::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    let draft = Draft {
        title: "Owner's article".to_owned(),
        meta_title: String::new(),
        meta_description: String::new(),
        body: "Lead.\n\n## Part\n\nText.\n".to_owned(),
    };
    let article = versions::save_generated(app.db(), &task, draft, "Generated")
        .await
        .expect("article");

    // Another tenant sees 404 pages for every one of these ids, and changes nothing.
    let other = Member::sign_up(&app, "other@example.com").await;
    let theirs = other.page("/writer").await;
    assert!(!theirs.contains("Owner&#x27;s task") && !theirs.contains("Owner's task"));
    let (t, c) = (task.id, article.id);
    for path in [
        format!("/writer/{t}"),
        format!("/content/{c}"),
        format!("/content/{c}/edit"),
        format!("/content/{c}/versions"),
        format!("/content/{c}/versions/1"),
        format!("/content/{c}/export?format=html"),
    ] {
        let response = other.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.text().await.expect("html").contains("Not found"));
    }
    let csrf = hidden(&theirs, "csrf");
    let tries = [
        (format!("/writer/{t}"), StatusCode::NOT_FOUND),
        (format!("/writer/{t}/delete"), StatusCode::NOT_FOUND),
        (format!("/content/{c}/edit"), StatusCode::NOT_FOUND),
        (format!("/content/{c}/revert"), StatusCode::NOT_FOUND),
        (format!("/content/{c}/regenerate"), StatusCode::NOT_FOUND),
        (
            "/writer/generate".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("title", "Taken".to_owned()),
            ("body", "Taken.".to_owned()),
            ("version", "1".to_owned()),
            ("section_id", "x".to_owned()),
            ("task_ids", t.to_string()),
        ]
    };
    for (path, status) in &tries {
        let response = other.post_pairs(path, &form(&csrf)).await;
        assert_eq!(response.status(), *status, "{path}");
    }
    let refused = other
        .post(
            "/writer/generate",
            &[("csrf", &csrf), ("task_ids", &t.to_string())],
        )
        .await;
    assert!(refused.text().await.expect("html").contains("No such task"));

    // The owner's forms without their CSRF token change nothing.
    for (path, _) in &tries {
        let response = owner.post_pairs(path, &form("forged")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let kept = content_of(&app, t).await;
    assert_eq!((kept.version, kept.title.as_str()), (1, "Owner's article"));
    let still = task::Entity::find_by_id(t)
        .one(app.db())
        .await
        .expect("query")
        .expect("task kept");
    assert_eq!(still.title, "Owner's task");
    assert_eq!(job::Entity::find().count(app.db()).await.expect("count"), 0);

    // A generate the balance cannot cover: the estimate warns, the start is a 402 in words.
    let row = account::Entity::find_by_id(task.account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    let mut poor: account::ActiveModel = row.into();
    poor.credits = Set(1);
    poor.update(app.db()).await.expect("spend");
    let estimate = owner.page(&format!("/writer/generate?task_ids={t}")).await;
    assert!(
        estimate.contains("and you have 1. Nothing was charged."),
        "{estimate}"
    );
    assert!(!estimate.contains("id=\"generate-start\""), "{estimate}");
    let short = owner
        .post(
            "/writer/generate",
            &[
                ("csrf", &hidden(&estimate, "csrf")),
                ("task_ids", &t.to_string()),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::PAYMENT_REQUIRED);
    let html = short.text().await.expect("html");
    assert!(html.contains("This needs "), "{html}");
    assert!(html.contains("you have 1. Nothing was charged."), "{html}");
    assert!(html.contains("href=\"/billing\""), "{html}");
    let after = account::Entity::find_by_id(task.account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    assert_eq!(after.credits, 1);
    assert_eq!(job::Entity::find().count(app.db()).await.expect("count"), 0);
    let task_now = task::Entity::find_by_id(t)
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    assert_eq!(task_now.status, task.status);
}
