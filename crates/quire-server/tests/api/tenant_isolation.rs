//! The tenant-isolation matrix: `tenant_isolation.csv` says, for every endpoint and method,
//! what the owner of an object, a member of another tenant, an anonymous caller and an
//! operator get. One test walks every row on both databases, and fails when the router's
//! OpenAPI document has an endpoint without a row (or a row names an endpoint that is gone).

use crate::common::{Backend, PASSWORD, TestApp, body};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;

quire_testkit::on_both_backends!(
    every_endpoint_has_a_row_in_the_matrix,
    no_tenant_reaches_another_tenants_rows,
);

const MATRIX: &str = include_str!("tenant_isolation.csv");

/// Fills `{model}` in the operators' model-rate paths: the rate the matrix's own POST row
/// creates (so its PATCH and DELETE rows find it).
const MATRIX_MODEL: &str = "isolation-model";
/// Fills `{operation}` in the operators' operation-price and prompt paths.
const MATRIX_OPERATION: &str = "generate_ideas";

#[derive(Debug, Deserialize)]
struct Row {
    method: String,
    path: String,
    /// Which of the owner's objects fills `{id}`: none, site, sector, account, subscription, job,
    /// cluster, idea, task, keyword, content, payment, user; operator-managed: plan, industry,
    /// industry_sector, seed_keyword. A `{version}` in the path is version 1; `{model}` and
    /// `{operation}` are [`MATRIX_MODEL`] and [`MATRIX_OPERATION`].
    object: String,
    /// JSON, with placeholders (`{site}`, `{keyword}`, `{smaller_plan}`… see `Objects::fill`)
    /// replaced by the owner's objects; after
    /// a `multipart:` prefix, a JSON object sent as `multipart/form-data` (its `file` as the
    /// file part, the other members as text fields).
    body: String,
    owner: u16,
    other_tenant: u16,
    anonymous: u16,
    operator: u16,
}

fn rows() -> Vec<Row> {
    csv::Reader::from_reader(MATRIX.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("tenant_isolation.csv parses")
}

async fn every_endpoint_has_a_row_in_the_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = body(app.get("/api/openapi.json", None).await).await;
    let mut documented = BTreeSet::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> =
        rows().into_iter().map(|r| (r.method, r.path)).collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in tenant_isolation.csv: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for endpoints that do not exist: {stale:?}"
    );
}

/// The callers: the owner of the objects, a member of another tenant, an operator.
struct Callers {
    owner: String,
    other: String,
    operator: String,
}

async fn sign_in(app: &TestApp, email: &str) -> String {
    let session = body(app.login(email, PASSWORD).await).await;
    session["access"].as_str().expect("access token").to_owned()
}

async fn fresh_callers(app: &TestApp) -> Callers {
    Callers {
        owner: sign_in(app, "owner@example.com").await,
        other: sign_in(app, "other@example.com").await,
        operator: sign_in(app, "ops@example.com").await,
    }
}

/// The owner's objects a row works on; sites and sectors (and the planner rows in them) are
/// new for every row, since a row may delete them.
struct Objects {
    site: i64,
    sector: i64,
    account: i64,
    subscription: i64,
    job: i64,
    /// A cluster with `idea` in it; `spare_cluster` to merge into it; `keyword`, in the
    /// sector and in no cluster, to move into it.
    cluster: i64,
    spare_cluster: i64,
    keyword: i64,
    idea: i64,
    /// A writer task, made by sending another idea to the writer.
    task: i64,
    /// The task's article, at version 2 (generated, then rewritten), so it can be reverted to 1.
    content: i64,
    /// A section of `content`.
    section: String,
    /// A pending payment of the owner's, new for every row.
    payment: i64,
    /// A plan smaller than the owner's Agency, to change to.
    smaller_plan: i64,
    /// A member of the owner's account other than the owner (operators deactivate it).
    member: i64,
    global: GlobalObjects,
}

/// Operator-managed rows, new for every row (a row may delete them): an inactive plan no one
/// is on, an industry without sectors, and an industry sector (of another industry) with one
/// seed keyword.
struct GlobalObjects {
    plan: i64,
    industry: i64,
    industry_sector: i64,
    seed_keyword: i64,
}

async fn global_objects(app: &TestApp, n: usize) -> GlobalObjects {
    use quire_core::entities::{
        enums::{BillingCycle, CreditPolicy, KeywordIntent},
        industry, industry_sector, plan, seed_keyword,
    };
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    let db = app.db();
    let plan = plan::ActiveModel {
        slug: Set(format!("isolation-{n}")),
        name: Set(format!("Isolation {n}")),
        description: Set(String::new()),
        price: Set(0),
        currency: Set("USD".to_owned()),
        billing_cycle: Set(BillingCycle::Monthly),
        included_credits: Set(0),
        credits_per_month: Set(0),
        max_sites: Set(1),
        max_industries: Set(1),
        max_users: Set(1),
        trial_days: Set(0),
        credit_policy: Set(CreditPolicy::Reset),
        is_active: Set(false),
        sort_order: Set(1_000),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("plan");
    let new_industry = |slug: String| industry::ActiveModel {
        slug: Set(slug.clone()),
        name: Set(slug),
        description: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let empty = new_industry(format!("isolation-empty-{n}"))
        .insert(db)
        .await
        .expect("industry");
    let parent = new_industry(format!("isolation-parent-{n}"))
        .insert(db)
        .await
        .expect("industry");
    let sector = industry_sector::ActiveModel {
        industry_id: Set(parent.id),
        slug: Set(format!("isolation-sector-{n}")),
        name: Set(format!("Isolation sector {n}")),
        description: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("industry sector");
    let seed = seed_keyword::ActiveModel {
        industry_sector_id: Set(sector.id),
        keyword: Set(format!("isolation seed {n}")),
        volume: Set(10),
        difficulty: Set(10),
        intent: Set(KeywordIntent::Informational),
        country: Set("US".to_owned()),
        language: Set("en".to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("seed keyword");
    GlobalObjects {
        plan: plan.id,
        industry: empty.id,
        industry_sector: sector.id,
        seed_keyword: seed.id,
    }
}

/// Creates a row with a POST of `payload` to `path`; its id.
async fn created_id(app: &TestApp, token: &str, path: &str, payload: Value) -> i64 {
    let response = app.post(path, &payload, Some(token)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{path}");
    body(response).await["id"].as_i64().expect("id")
}

async fn owner_objects(app: &TestApp, owner: &str, n: usize) -> Objects {
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &serde_json::json!({"name": format!("Site {n}"), "url": format!("https://site{n}.example.com")}),
            Some(owner),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site id");
    let sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &serde_json::json!({"site_id": site, "name": format!("Sector {n}")}),
            Some(owner),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector id");
    let me = body(app.get("/api/v1/auth/me/", Some(owner)).await).await;
    let account = me["account"]["id"].as_i64().expect("account id");
    let subscriptions = body(app.get("/api/v1/auth/subscriptions/", Some(owner)).await).await;
    let subscription = subscriptions["results"][0]["id"]
        .as_i64()
        .expect("subscription id");
    // No endpoint creates a bare job; AI operations do. Queue one directly.
    let job = quire_core::jobs::queue::enqueue(
        &app.quire,
        &app.tenant("owner@example.com").await,
        quire_core::jobs::queue::NewJob {
            kind: "isolation-check".to_owned(),
            input: serde_json::json!({}),
            reserve: 1,
        },
        1,
    )
    .await
    .expect("a job")
    .id;
    let clusters = "/api/v1/planner/clusters/";
    let cluster = created_id(
        app,
        owner,
        clusters,
        json!({"sector_id": sector, "name": format!("Cluster {n}")}),
    )
    .await;
    let spare_cluster = created_id(
        app,
        owner,
        clusters,
        json!({"sector_id": sector, "name": format!("Spare {n}")}),
    )
    .await;
    let keyword =
        crate::f3b_clusters_ideas::insert_keyword(app, sector, &format!("keyword {n}"), 10).await;
    let ideas = "/api/v1/planner/ideas/";
    let idea = created_id(
        app,
        owner,
        ideas,
        json!({"sector_id": sector, "cluster_id": cluster, "title": "An idea"}),
    )
    .await;
    let sent_idea = created_id(
        app,
        owner,
        ideas,
        json!({"sector_id": sector, "title": "A sent idea"}),
    )
    .await;
    let sent = body(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [sent_idea]}),
            Some(owner),
        )
        .await,
    )
    .await;
    let task = sent["created"][0]["id"].as_i64().expect("task id");
    let (content, section) = owner_content(app, task).await;
    let payment = owner_payment(app, account, subscription).await;
    let smaller_plan = app.plan_id("starter-monthly").await;
    let member = owner_member(app, account).await;
    let global = global_objects(app, n).await;
    Objects {
        site,
        sector,
        account,
        subscription,
        job,
        cluster,
        spare_cluster,
        keyword,
        idea,
        task,
        content,
        section,
        payment,
        smaller_plan,
        member,
        global,
    }
}

/// The owner's account's one editor, made on first use.
async fn owner_member(app: &TestApp, account_id: i64) -> i64 {
    use quire_core::entities::{enums::UserRole, user};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let email = "member@example.com";
    if let Some(found) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .expect("query")
    {
        return found.id;
    }
    let now = chrono::Utc::now();
    user::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(String::new()),
        name: Set("Member".to_owned()),
        account_id: Set(Some(account_id)),
        role: Set(UserRole::Editor),
        is_staff: Set(false),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("a member")
    .id
}

/// Generates an article for `task` the way the writer's jobs save one, then a second version.
/// Its id and the id of its first section.
async fn owner_content(app: &TestApp, task_id: i64) -> (i64, String) {
    use quire_core::{
        entities::task,
        writer::versions::{self, Draft},
    };
    use sea_orm::EntityTrait;
    let task = task::Entity::find_by_id(task_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    let draft = Draft {
        title: "An article".to_owned(),
        meta_title: "An article".to_owned(),
        meta_description: "What it is about.".to_owned(),
        body: "Lead.\n\n## First\n\nWords.\n".to_owned(),
    };
    let first = versions::save_generated(app.db(), &task, draft.clone(), "Generated")
        .await
        .expect("content");
    let rewritten = Draft {
        body: "Lead.\n\n## First\n\nOther words.\n".to_owned(),
        ..draft
    };
    let second = versions::save_version(app.db(), &first, rewritten, "Rewrote section First")
        .await
        .expect("version 2");
    let section = versions::sections_of(&second.sections)[0].id.clone();
    (second.id, section)
}

/// A new pending bank-transfer payment for one period of the owner's plan.
async fn owner_payment(app: &TestApp, account_id: i64, subscription_id: i64) -> i64 {
    use quire_core::{
        billing::payments,
        entities::{
            account,
            enums::{PaymentMethod, PaymentPurpose},
            plan,
        },
    };
    use sea_orm::EntityTrait;
    let owner = account::Entity::find_by_id(account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    let plan = plan::Entity::find_by_id(owner.plan_id.expect("plan"))
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    payments::create_pending(
        app.db(),
        account_id,
        subscription_id,
        &plan,
        PaymentMethod::BankTransfer,
        PaymentPurpose::Subscription,
        chrono::Utc::now(),
    )
    .await
    .expect("payment")
    .id
}

impl Objects {
    fn id_of(&self, object: &str) -> Option<i64> {
        match object {
            "site" => Some(self.site),
            "sector" => Some(self.sector),
            "account" => Some(self.account),
            "subscription" => Some(self.subscription),
            "job" => Some(self.job),
            "cluster" => Some(self.cluster),
            "idea" => Some(self.idea),
            "task" => Some(self.task),
            "content" => Some(self.content),
            "payment" => Some(self.payment),
            "keyword" => Some(self.keyword),
            "user" => Some(self.member),
            "plan" => Some(self.global.plan),
            "industry" => Some(self.global.industry),
            "industry_sector" => Some(self.global.industry_sector),
            "seed_keyword" => Some(self.global.seed_keyword),
            _ => None,
        }
    }

    /// `text` with `{site}`, `{sector}`, `{cluster}`, `{spare_cluster}`, `{keyword}`,
    /// `{idea}`, `{task}`, `{content}`, `{section}`, `{smaller_plan}`, `{plan}`, `{industry}`
    /// and `{industry_sector}` replaced by the ids of these objects.
    fn fill(&self, text: &str) -> String {
        [
            ("{site}", self.site),
            ("{sector}", self.sector),
            ("{cluster}", self.cluster),
            ("{spare_cluster}", self.spare_cluster),
            ("{keyword}", self.keyword),
            ("{idea}", self.idea),
            ("{task}", self.task),
            ("{content}", self.content),
            ("{smaller_plan}", self.smaller_plan),
            ("{plan}", self.global.plan),
            ("{industry}", self.global.industry),
            ("{industry_sector}", self.global.industry_sector),
        ]
        .into_iter()
        .fold(
            text.replace("{section}", &self.section),
            |text, (placeholder, id)| text.replace(placeholder, &id.to_string()),
        )
    }
}

async fn no_tenant_reaches_another_tenants_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("owner@example.com", "agency-monthly")
        .await;
    app.active_member("other@example.com", "agency-monthly")
        .await;
    quire_core::accounts::operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
        .await
        .expect("operator");
    let mut callers = fresh_callers(&app).await;

    for (n, row) in rows().into_iter().enumerate() {
        let objects = owner_objects(&app, &callers.owner, n).await;
        let id = objects.id_of(&row.object);
        let path = match id {
            Some(id) => row.path.replace("{id}", &id.to_string()),
            None => row.path.clone(),
        }
        .replace("{version}", "1")
        .replace("{model}", MATRIX_MODEL)
        .replace("{operation}", MATRIX_OPERATION);
        let request_body = RowBody::of(&row, &objects);
        let method = Method::from_bytes(row.method.as_bytes()).expect("method");
        let before = owner_view(&app, &row, &path, &callers.owner).await;

        // Everyone but the owner first: none of them may change the owner's object.
        for (caller, token, expected) in [
            ("anonymous", None, row.anonymous),
            ("operator", Some(callers.operator.clone()), row.operator),
            (
                "other tenant",
                Some(callers.other.clone()),
                row.other_tenant,
            ),
        ] {
            let response = request_body
                .send(&app, method.clone(), &path, token.as_deref())
                .await;
            let status = response.status();
            let text = response.text().await.expect("text");
            assert_eq!(
                status.as_u16(),
                expected,
                "{} {} as {caller}: {text}",
                row.method,
                row.path
            );
            if caller == "other tenant" && status == StatusCode::OK {
                assert_no_rows_of(&text, objects.account, &row);
            }
        }
        assert_eq!(
            owner_view(&app, &row, &path, &callers.owner).await,
            before,
            "{} {}: another caller changed the owner's object",
            row.method,
            row.path
        );

        let response = request_body
            .send(&app, method, &path, Some(&callers.owner))
            .await;
        let status = response.status();
        assert_eq!(
            status.as_u16(),
            row.owner,
            "{} {} as owner: {}",
            row.method,
            row.path,
            response.text().await.expect("text")
        );
        if row.path.ends_with("/logout/") {
            callers = fresh_callers(&app).await;
        }
        // Frees the row's site (and all in it), so the rows never reach the plan's site limit.
        app.call(
            Method::DELETE,
            &format!("/api/v1/auth/sites/{}/", objects.site),
            Some(&callers.owner),
            None,
        )
        .await;
    }
}

/// A row's request body.
enum RowBody {
    None,
    Json(Value),
    Multipart(Value),
}

impl RowBody {
    fn of(row: &Row, objects: &Objects) -> Self {
        if row.body.is_empty() {
            return Self::None;
        }
        let text = objects.fill(&row.body);
        match text.strip_prefix("multipart:") {
            Some(form) => Self::Multipart(serde_json::from_str(form).expect("row form is JSON")),
            None => Self::Json(serde_json::from_str(&text).expect("row body is JSON")),
        }
    }

    async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::Response {
        let form = match self {
            Self::None => return app.call(method, path, token, None).await,
            Self::Json(json) => return app.call(method, path, token, Some(json)).await,
            Self::Multipart(form) => form,
        };
        let mut parts = reqwest::multipart::Form::new();
        for (name, value) in form.as_object().expect("form is an object") {
            let text = value.as_str().expect("form values are strings").to_owned();
            parts = if name == "file" {
                parts.part(
                    "file",
                    reqwest::multipart::Part::text(text).file_name("upload.csv"),
                )
            } else {
                parts.text(name.clone(), text)
            };
        }
        let mut request = app.client.request(method, app.url(path)).multipart(parts);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }
}

/// The owner's view of the row's object, to see that other callers left it alone.
async fn owner_view(app: &TestApp, row: &Row, path: &str, owner: &str) -> Option<String> {
    if row.object == "none" {
        return None;
    }
    Some(app.get(path, Some(owner)).await.text().await.expect("text"))
}

/// A list answered to another tenant holds none of the owner's rows.
fn assert_no_rows_of(text: &str, owner_account: i64, row: &Row) {
    // Only JSON lists hold rows (`/metrics` answers text).
    let Ok(answer) = serde_json::from_str::<Value>(text) else {
        return;
    };
    // The account export is the caller's own account, never the owner's.
    if !answer["account"].is_null() {
        assert_ne!(answer["account"]["id"], owner_account, "{}", row.path);
    }
    let Some(results) = answer["results"].as_array() else {
        return;
    };
    for result in results {
        assert_ne!(
            result["account_id"], owner_account,
            "{} {}: {result}",
            row.method, row.path
        );
        if row.path == "/api/v1/auth/accounts/" {
            assert_ne!(result["id"], owner_account, "{}: {result}", row.path);
        }
    }
}
