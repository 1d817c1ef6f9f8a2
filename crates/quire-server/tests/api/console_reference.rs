//! The console's reference-data and AI-settings pages over plain HTTP: industries and sectors
//! created, edited and deleted; refused input re-rendered (422) with nothing written; forged
//! CSRF tokens change nothing; seed-keyword CSV imports all or nothing; model rates,
//! operation prices and prompt overrides edited and seen through the API; tenants refused.

use crate::{
    admin_plans::audit_rows,
    admin_usage::operator_token,
    common::{Backend, PASSWORD, TestApp, body},
};
use quire_core::{
    accounts::{operators, sessions},
    entities::{industry, industry_sector, prompt_override, seed_keyword},
};
use reqwest::{
    Client, StatusCode, header,
    multipart::{Form, Part},
    redirect::Policy,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

quire_testkit::on_both_backends!(
    industries_and_sectors_are_managed_in_the_console,
    seed_keywords_are_managed_and_imported_all_or_nothing,
    ai_settings_are_edited_in_the_console,
    tenants_are_refused_the_reference_and_ai_pages,
);

/// A browser-like client that does not follow redirects, so each answer can be checked.
fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of cookie `name` set by `response`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .map(|line| {
            line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_owned()
}

/// An operator signed in to the console: the session cookie and the forms' CSRF token.
struct Console<'a> {
    app: &'a TestApp,
    http: Client,
    cookie: String,
    csrf: String,
}

impl<'a> Console<'a> {
    /// Creates the operator `ops@quire.example` and signs in through the form.
    async fn sign_in(app: &'a TestApp) -> Self {
        operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
            .await
            .expect("operator");
        let http = client();
        let form = http
            .get(app.url("/admin/login"))
            .send()
            .await
            .expect("form");
        let login_cookie = set_cookie(&form, "quire_login").expect("a form cookie");
        let csrf = hidden_csrf(&form.text().await.expect("html"));
        let signed_in = http
            .post(app.url("/admin/login"))
            .header(header::COOKIE, format!("quire_login={login_cookie}"))
            .form(&[
                ("email", "ops@quire.example"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let session = set_cookie(&signed_in, "quire_session").expect("a session");
        let mut console = Self {
            app,
            http,
            cookie: format!("quire_session={session}"),
            csrf: String::new(),
        };
        let (_, html) = console.get("/admin/reference").await;
        console.csrf = hidden_csrf(&html);
        console
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(self.app.url(path))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("get");
        (response.status(), response.text().await.expect("html"))
    }

    /// Posts `fields` with this session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_as_is(path, &form).await
    }

    /// Posts `fields` exactly as given (a forged token among them).
    async fn post_as_is(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.app.url(path))
            .header(header::COOKIE, &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("post")
    }

    /// Uploads `file` to the seed-keyword import with the CSRF token `csrf`.
    async fn import(&self, csrf: &str, file: &str) -> reqwest::Response {
        let form = Form::new().text("csrf", csrf.to_owned()).part(
            "file",
            Part::bytes(file.as_bytes().to_vec())
                .file_name("seeds.csv")
                .mime_str("text/csv")
                .expect("mime"),
        );
        self.http
            .post(self.app.url("/admin/reference/keywords/import"))
            .header(header::COOKIE, &self.cookie)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "a redirect");
    response.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

async fn industry_by_slug(app: &TestApp, slug: &str) -> Option<industry::Model> {
    industry::Entity::find()
        .filter(industry::Column::Slug.eq(slug))
        .one(app.db())
        .await
        .expect("query")
}

async fn sector_by_slug(app: &TestApp, slug: &str) -> Option<industry_sector::Model> {
    industry_sector::Entity::find()
        .filter(industry_sector::Column::Slug.eq(slug))
        .one(app.db())
        .await
        .expect("query")
}

async fn count_industries(app: &TestApp) -> u64 {
    industry::Entity::find()
        .count(app.db())
        .await
        .expect("count")
}

async fn industries_and_sectors_are_managed_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = Console::sign_in(&app).await;
    let (status, html) = console.get("/admin/reference?search=finance").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("aria-current=\"page\">Reference data"), "nav");
    assert!(html.contains("id=\"industry-finance\""), "{html}");
    // An order the list does not know: the usual order, and a notice saying why.
    let (status, html) = console.get("/admin/reference?ordering=password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("cannot be ordered by “password”"), "{html}");
    let (_, html) = console.get("/admin/reference?ordering=-name").await;
    assert!(html.contains("aria-sort=\"descending\""), "{html}");
    let before = count_industries(&app).await;

    // Refused input comes back (422) with the messages by their fields and the input kept.
    let refused = console
        .post(
            "/admin/reference/industries",
            &[
                ("slug", "Outer Space"),
                ("name", "Rockets"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("id=\"industry-slug-error\""), "{html}");
    assert!(html.contains("value=\"Outer Space\""), "{html}");
    assert!(html.contains("value=\"Rockets\""), "{html}");
    assert_eq!(count_industries(&app).await, before);

    // A forged CSRF token changes nothing.
    let forged = console
        .post_as_is(
            "/admin/reference/industries",
            &[("csrf", "0000"), ("slug", "forged"), ("name", "Forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(industry_by_slug(&app, "forged").await.is_none());

    let created = console
        .post(
            "/admin/reference/industries",
            &[
                ("slug", "space"),
                ("name", " Space "),
                ("description", "Rockets."),
            ],
        )
        .await;
    let space = industry_by_slug(&app, "space").await.expect("created");
    assert_eq!(
        location(&created),
        format!("/admin/reference/industries/{}?done=created", space.id)
    );
    assert_eq!(space.name, "Space");
    let path = format!("/admin/reference/industries/{}", space.id);

    // Editing: a taken slug is refused with the typed values kept; then a good edit saves.
    let refused = console
        .post(
            &path,
            &[
                ("slug", "finance"),
                ("name", "Space tech"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Another industry has this slug."), "{html}");
    assert!(html.contains("value=\"Space tech\""), "{html}");
    let saved = console
        .post(
            &path,
            &[
                ("slug", "space-tech"),
                ("name", "Space tech"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(location(&saved), format!("{path}?done=saved"));
    let edited = industry_by_slug(&app, "space-tech").await.expect("edited");
    assert_eq!(edited.name, "Space tech");
    let audited = audit_rows(&app, "industry.updated").await;
    assert_eq!(audited.len(), 1);
    assert!(
        audited[0].actor.starts_with("user:"),
        "{}",
        audited[0].actor
    );

    // A sector in it: refused without a name, then added.
    let sectors = format!("{path}/sectors");
    let refused = console
        .post(&sectors, &[("slug", "launchers"), ("name", " ")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("id=\"sector-name-error\"")
    );
    assert!(sector_by_slug(&app, "launchers").await.is_none());
    let added = console
        .post(&sectors, &[("slug", "launchers"), ("name", "Launchers")])
        .await;
    assert_eq!(location(&added), format!("{path}?done=sector_created"));
    let sector = sector_by_slug(&app, "launchers").await.expect("added");
    assert_eq!(sector.industry_id, space.id);
    let (status, html) = console.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"sector-launchers\""), "{html}");

    // An industry with a sector stays, and the page says why.
    let delete = format!("{path}/delete");
    let kept = console.post(&delete, &[]).await;
    assert_eq!(kept.status(), StatusCode::CONFLICT);
    assert!(kept.text().await.expect("html").contains("in use"));

    // The sector edited, then deleted (a forged token first changes nothing).
    let sector_path = format!("/admin/reference/sectors/{}", sector.id);
    let industry_id = space.id.to_string();
    let saved = console
        .post(
            &sector_path,
            &[
                ("industry_id", &industry_id),
                ("slug", "rockets"),
                ("name", "Rockets"),
                ("description", "Big ones."),
            ],
        )
        .await;
    assert_eq!(location(&saved), format!("{path}?done=sector_saved"));
    let renamed = sector_by_slug(&app, "rockets").await.expect("renamed");
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Rockets", "Big ones.")
    );
    let forged = console
        .post_as_is(&format!("{sector_path}/delete"), &[("csrf", "0000")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(sector_by_slug(&app, "rockets").await.is_some());
    let deleted = console.post(&format!("{sector_path}/delete"), &[]).await;
    assert_eq!(location(&deleted), format!("{path}?done=sector_deleted"));
    assert!(sector_by_slug(&app, "rockets").await.is_none());

    // Now the industry can go.
    let deleted = console.post(&delete, &[]).await;
    assert_eq!(location(&deleted), "/admin/reference?done=deleted");
    assert!(industry_by_slug(&app, "space-tech").await.is_none());
    assert_eq!(count_industries(&app).await, before);
    assert_eq!(audit_rows(&app, "industry.deleted").await.len(), 1);
    assert_eq!(audit_rows(&app, "industry_sector.deleted").await.len(), 1);
}

const HEADER: &str = "keyword,industry_sector,volume,difficulty,intent,country,language\n";

async fn seed_count(app: &TestApp) -> u64 {
    seed_keyword::Entity::find()
        .count(app.db())
        .await
        .expect("count")
}

async fn seed_keywords_are_managed_and_imported_all_or_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = Console::sign_in(&app).await;
    let mental = sector_by_slug(&app, "mental-health")
        .await
        .expect("starter");
    let (status, html) = console
        .get(&format!(
            "/admin/reference/keywords?industry_sector_id={}&search=therapy&ordering=-volume",
            mental.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("therapy near me"), "{html}");
    assert!(!html.contains("sleep"), "filtered to the sector");
    let (status, _) = console
        .get("/admin/reference/keywords?industry_id=abc")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let before = seed_count(&app).await;

    // One bad row: its line and problem are listed, and nothing is imported.
    let bad = format!(
        "{HEADER}orbital launch cost,mental-health,100,20,informational,US,en\n\
         rocket insurance,mental-health,90,101,commercial,US,en\n\
         satellite broadband,mental-health,80,30,commercial,US,en\n"
    );
    let refused = console.import(&console.csrf, &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(
        html.contains("<td class=\"num\">3</td><td>difficulty"),
        "line 3's problem: {html}"
    );
    assert_eq!(seed_count(&app).await, before);

    // A file that is not a seed-keyword CSV is refused on the file field.
    let refused = console.import(&console.csrf, "just some text\n").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("id=\"import-file-error\"")
    );

    // A forged token imports nothing, even a good file.
    let good = format!(
        "{HEADER}orbital launch cost,mental-health,100,20,informational,US,en\n\
         rocket insurance,{},90,40,commercial,US,en\n\
         satellite broadband,mental-health,80,30,commercial,us,EN\n",
        mental.id
    );
    let forged = console.import("0000", &good).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(seed_count(&app).await, before);

    let imported = console.import(&console.csrf, &good).await;
    let to = location(&imported);
    assert_eq!(
        to,
        "/admin/reference/keywords?done=imported&rows=3&created=3&duplicates=0"
    );
    assert_eq!(seed_count(&app).await, before + 3);
    let (_, html) = console.get(&to).await;
    assert!(html.contains("3 keywords added"), "{html}");
    let (_, html) = console
        .get("/admin/reference/keywords?search=rocket+insurance")
        .await;
    assert!(html.contains("rocket insurance"), "{html}");

    // One keyword by its form: refused input is kept with its messages, then saved, deleted.
    let sector_id = mental.id.to_string();
    let fields = |difficulty: &'static str, country: &'static str| {
        [
            ("keyword", "space therapy"),
            ("industry_sector_id", sector_id.as_str()),
            ("volume", "10"),
            ("difficulty", difficulty),
            ("intent", "informational"),
            ("country", country),
            ("language", "en"),
        ]
    };
    let refused = console
        .post("/admin/reference/keywords", &fields("101", "USA"))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Must be from 0 to 100."), "{html}");
    assert!(html.contains("id=\"country-error\""), "{html}");
    assert!(html.contains("value=\"USA\""), "{html}");
    assert_eq!(seed_count(&app).await, before + 3);
    let created = console
        .post("/admin/reference/keywords", &fields("12", "US"))
        .await;
    assert!(location(&created).contains("done=created"));
    let keyword = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::Keyword.eq("space therapy"))
        .one(app.db())
        .await
        .expect("query")
        .expect("created");
    let path = format!("/admin/reference/keywords/{}", keyword.id);
    let saved = console.post(&path, &fields("55", "GB")).await;
    assert!(location(&saved).contains("done=saved"));
    let saved = seed_keyword::Entity::find_by_id(keyword.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("kept");
    assert_eq!((saved.difficulty, saved.country.as_str()), (55, "GB"));
    let deleted = console.post(&format!("{path}/delete"), &[]).await;
    assert_eq!(location(&deleted), "/admin/reference/keywords?done=deleted");
    assert_eq!(seed_count(&app).await, before + 3);
}

async fn ai_settings_are_edited_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = Console::sign_in(&app).await;
    let token = operator_token(&app).await;
    let api = |path: &'static str| {
        let (app, token) = (&app, &token);
        async move { body(app.get(path, Some(token)).await).await }
    };
    let (status, html) = console.get("/admin/ai").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"ai-provider\">offline<"), "{html}");
    assert!(html.contains("Read-only"), "{html}");

    // The * rate edited in dollars and credits, seen through the API in its units.
    let refused = console
        .post(
            "/admin/ai/model-rates/*",
            &[
                ("input_usd", "0.2"),
                ("output_usd", "abc"),
                ("credits_per_1k", "-1"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("at most 6 decimal places"), "{html}");
    assert!(html.contains("value=\"abc\""), "{html}");
    let saved = console
        .post(
            "/admin/ai/model-rates/*",
            &[
                ("input_usd", "0.2"),
                ("output_usd", "0.8"),
                ("credits_per_1k", "1.5"),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/admin/ai?done=saved");
    let rates = api("/api/v1/admin/ai/model-rates/?ordering=model").await;
    let star = rates["results"]
        .as_array()
        .expect("rates")
        .iter()
        .find(|r| r["model"] == "*")
        .expect("the * rate")
        .clone();
    assert_eq!(star["input_micro_usd_per_million"], 200_000);
    assert_eq!(star["output_micro_usd_per_million"], 800_000);
    assert_eq!(star["millicredits_per_1k_tokens"], 1_500);

    // A new rate for a model with a slash, found at its own page, then removed.
    let created = console
        .post(
            "/admin/ai/model-rates",
            &[
                ("model", "openai/gpt-5"),
                ("input_usd", "1.25"),
                ("output_usd", "10"),
                ("credits_per_1k", "4"),
            ],
        )
        .await;
    assert_eq!(location(&created), "/admin/ai?done=created");
    let again = console
        .post(
            "/admin/ai/model-rates",
            &[
                ("model", "openai/gpt-5"),
                ("input_usd", "1"),
                ("output_usd", "1"),
                ("credits_per_1k", "1"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let (status, html) = console.get("/admin/ai/model-rates/openai%2Fgpt-5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"1.25\""), "{html}");
    let removed = console
        .post("/admin/ai/model-rates/openai%2Fgpt-5/delete", &[])
        .await;
    assert_eq!(location(&removed), "/admin/ai?done=deleted");
    let kept = console.post("/admin/ai/model-rates/*/delete", &[]).await;
    assert_eq!(kept.status(), StatusCode::CONFLICT);
    let rates = api("/api/v1/admin/ai/model-rates/").await;
    assert!(
        rates["results"]
            .as_array()
            .expect("rates")
            .iter()
            .all(|r| r["model"] != "openai/gpt-5")
    );

    // An operation's minimum and flat price.
    let (status, html) = console.get("/admin/ai/prices?ordering=-operation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"price-generate_ideas\""), "{html}");
    let refused = console
        .post(
            "/admin/ai/prices/generate_ideas",
            &[("min_credits", "7"), ("flat_credits", "-3")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("id=\"flat-credits-error\"")
    );
    for (flat, expected) in [("5", serde_json::json!(5)), ("", serde_json::Value::Null)] {
        let saved = console
            .post(
                "/admin/ai/prices/generate_ideas",
                &[("min_credits", "7"), ("flat_credits", flat)],
            )
            .await;
        assert_eq!(location(&saved), "/admin/ai/prices?done=saved");
        let prices = api("/api/v1/admin/ai/operation-prices/").await;
        let price = prices["results"]
            .as_array()
            .expect("prices")
            .iter()
            .find(|p| p["operation"] == "generate_ideas")
            .expect("generate_ideas")
            .clone();
        assert_eq!(price["min_credits"], 7);
        assert_eq!(price["flat_credits"], expected);
    }

    // A prompt override: previewed with the sample variables, saved, removed.
    let path = "/admin/ai/prompts/generate_ideas";
    let text = "=== user ===\nIdeas for {{ cluster }}, please.";
    let preview = console
        .post(&format!("{path}/preview"), &[("text", text)])
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await.expect("html");
    assert!(html.contains("Ideas for Running shoes, please."), "{html}");
    assert!(
        prompt_override::Entity::find()
            .one(app.db())
            .await
            .expect("query")
            .is_none()
    );
    let broken = console
        .post(
            &format!("{path}/preview"),
            &[("text", "=== user ===\n{% if %}")],
        )
        .await;
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        broken
            .text()
            .await
            .expect("html")
            .contains("id=\"prompt-text-error\"")
    );
    let saved = console.post(path, &[("text", text)]).await;
    assert_eq!(location(&saved), format!("{path}?done=saved"));
    let prompts = api("/api/v1/admin/ai/prompts/").await;
    let ideas = prompts
        .as_array()
        .expect("prompts")
        .iter()
        .find(|p| p["operation"] == "generate_ideas")
        .expect("generate_ideas")
        .clone();
    assert_eq!(ideas["override_text"], text);
    let (_, html) = console.get("/admin/ai/prompts").await;
    assert!(html.contains("overridden"), "{html}");
    let removed = console.post(&format!("{path}/remove"), &[]).await;
    assert_eq!(location(&removed), format!("{path}?done=removed"));
    assert!(
        prompt_override::Entity::find()
            .one(app.db())
            .await
            .expect("query")
            .is_none()
    );
    assert_eq!(audit_rows(&app, "ai.prompt.reset").await.len(), 1);
}

async fn tenants_are_refused_the_reference_and_ai_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("tenant@example.com", "free").await;
    let session = sessions::login(&app.quire, "tenant@example.com", PASSWORD, None)
        .await
        .expect("tenant session");
    let token = sessions::page_token(&app.quire, &session).expect("page token");
    let cookie = format!("quire_session={}", token.token);
    let http = client();
    for path in [
        "/admin/reference",
        "/admin/reference/keywords",
        "/admin/ai",
        "/admin/ai/prices",
        "/admin/ai/prompts",
    ] {
        let refused = http
            .get(app.url(path))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("get");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let before = count_industries(&app).await;
    let refused = http
        .post(app.url("/admin/reference/industries"))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", "x"),
            ("slug", "tenant-made"),
            ("name", "Tenant made"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(count_industries(&app).await, before);
}
