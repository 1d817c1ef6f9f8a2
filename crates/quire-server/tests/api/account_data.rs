//! An owner's data (issue 11, item 8): the export holds every row of the account and none of
//! another's; deleting the account removes every tenant row in one go, keeps the ledger and
//! payments for the operator's books, audits it, kills every token and frees the address.

use crate::{
    common::{Backend, PASSWORD, TestApp, body},
    visitor::{Visitor, location},
};
use quire_core::{
    entities::{
        account, ai_usage_log, audit_log, cluster, content, content_idea, content_version,
        credit_transaction,
        enums::{
            AccountStatus, JobStatus, PaymentStatus, SubscriptionStatus, UsageStatus, UserRole,
        },
        job, keyword, payment, refresh_token_family, sector, site, subscription, task, user,
    },
    jobs::queue::{self, NewJob},
    writer::versions::{self, Draft},
};
use reqwest::{Method, StatusCode, header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

quire_testkit::on_both_backends!(
    the_export_holds_the_accounts_rows_and_none_of_another_tenants,
    only_the_owner_exports_or_deletes_the_account,
    a_wrong_password_deletes_nothing,
    deleting_the_account_removes_its_rows_and_keeps_the_books,
    the_account_page_downloads_the_data_and_deletes_the_account,
);

const EXPORT: &str = "/api/v1/auth/account/export/";
const ACCOUNT: &str = "/api/v1/auth/account/";

/// The account's id, and the ids of the rows [`fill`] made in it.
struct Filled {
    account: i64,
    site: i64,
    keyword: i64,
    content: i64,
    job: i64,
}

async fn account_id(app: &TestApp, token: &str) -> i64 {
    body(app.get("/api/v1/auth/me/", Some(token)).await).await["account"]["id"]
        .as_i64()
        .expect("account id")
}

async fn created(app: &TestApp, token: &str, path: &str, payload: Value) -> i64 {
    let response = app.post(path, &payload, Some(token)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{path}");
    body(response).await["id"].as_i64().expect("id")
}

/// A row in every tenant table of `email`'s account: a site and sector, a keyword in a
/// cluster, an idea sent to the writer (a task) with an article at version 2, a queued job
/// holding 5 credits, an AI usage row and an editor.
async fn fill(app: &TestApp, token: &str, email: &str, n: usize) -> Filled {
    let account = account_id(app, token).await;
    let site = created(
        app,
        token,
        "/api/v1/auth/sites/",
        json!({"name": format!("Site {n}"), "url": format!("https://site{n}.example.com")}),
    )
    .await;
    let sector = created(
        app,
        token,
        "/api/v1/auth/sectors/",
        json!({"site_id": site, "name": format!("Sector {n}")}),
    )
    .await;
    let cluster = created(
        app,
        token,
        "/api/v1/planner/clusters/",
        json!({"sector_id": sector, "name": format!("Cluster {n}")}),
    )
    .await;
    let keyword =
        crate::f3b_clusters_ideas::insert_keyword(app, sector, &format!("keyword {n}"), 10).await;
    let idea = created(
        app,
        token,
        "/api/v1/planner/ideas/",
        json!({"sector_id": sector, "cluster_id": cluster, "title": format!("Idea {n}")}),
    )
    .await;
    let sent = body(
        app.post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [idea]}),
            Some(token),
        )
        .await,
    )
    .await;
    let task_id = sent["created"][0]["id"].as_i64().expect("task id");
    let task_row = task::Entity::find_by_id(task_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("task");
    let draft = Draft {
        title: format!("Article {n}"),
        meta_title: format!("Article {n}"),
        meta_description: "About it.".to_owned(),
        body: "Lead.\n\n## First\n\nWords.\n".to_owned(),
    };
    let first = versions::save_generated(app.db(), &task_row, draft.clone(), "Generated")
        .await
        .expect("content");
    let second = versions::save_version(
        app.db(),
        &first,
        Draft {
            body: "Lead.\n\n## First\n\nOther words.\n".to_owned(),
            ..draft
        },
        "Rewrote",
    )
    .await
    .expect("version 2");
    let job = queue::enqueue(
        &app.quire,
        &app.tenant(email).await,
        NewJob {
            kind: "account-data-check".to_owned(),
            input: json!({}),
            reserve: 5,
        },
        1,
    )
    .await
    .expect("a job")
    .id;
    ai_usage_log::ActiveModel {
        account_id: Set(account),
        operation: Set("generate_article".to_owned()),
        provider: Set("offline".to_owned()),
        model: Set("offline".to_owned()),
        input_tokens: Set(100),
        output_tokens: Set(200),
        cost_micro_usd: Set(0),
        credits_charged: Set(2),
        status: Set(UsageStatus::Succeeded),
        latency_ms: Set(5),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("usage row");
    let now = chrono::Utc::now();
    user::ActiveModel {
        email: Set(format!("editor{n}@example.com")),
        password_hash: Set(String::new()),
        name: Set(format!("Editor {n}")),
        account_id: Set(Some(account)),
        role: Set(UserRole::Editor),
        is_staff: Set(false),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("an editor");
    Filled {
        account,
        site,
        keyword,
        content: second.id,
        job,
    }
}

/// How many rows each tenant table holds for `account`.
async fn counts(app: &TestApp, account: i64) -> BTreeMap<&'static str, u64> {
    let db = app.db();
    macro_rules! count {
        ($($name:literal => $entity:ident),+ $(,)?) => {
            BTreeMap::from([$((
                $name,
                $entity::Entity::find()
                    .filter($entity::Column::AccountId.eq(account))
                    .count(db)
                    .await
                    .expect("count"),
            )),+])
        };
    }
    count!(
        "sites" => site,
        "sectors" => sector,
        "keywords" => keyword,
        "clusters" => cluster,
        "ideas" => content_idea,
        "tasks" => task,
        "content" => content,
        "content_versions" => content_version,
        "jobs" => job,
        "ai_usage" => ai_usage_log,
        "users" => user,
        "sessions" => refresh_token_family,
        "ledger" => credit_transaction,
        "payments" => payment,
        "subscriptions" => subscription,
    )
}

async fn ledger(app: &TestApp, account: i64) -> Vec<credit_transaction::Model> {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account))
        .order_by_asc(credit_transaction::Column::Id)
        .all(app.db())
        .await
        .expect("ledger")
}

async fn account_row(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|row| row["id"].as_i64().expect("id"))
        .collect()
}

async fn the_export_holds_the_accounts_rows_and_none_of_another_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "agency-monthly").await;
    let bob = app.active_member("bob@example.com", "agency-monthly").await;
    let mine = fill(&app, &ada, "ada@example.com", 1).await;
    let theirs = fill(&app, &bob, "bob@example.com", 2).await;

    let response = app.get(EXPORT, Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"quire-account-"),
        "{disposition}"
    );
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    let export = body(response).await;
    // The same download compressed, as browsers ask for it: it ends cleanly.
    let compressed = app
        .client
        .get(app.url(EXPORT))
        .bearer_auth(&ada)
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("send");
    assert_eq!(compressed.status(), StatusCode::OK);
    assert!(!compressed.bytes().await.expect("a whole body").is_empty());
    assert_eq!(export["format"], "quire.account-export");
    assert_eq!(export["version"], 1);
    assert_eq!(export["account"]["id"], mine.account);
    assert_eq!(ids(&export["sites"]), vec![mine.site]);
    assert_eq!(ids(&export["keywords"]), vec![mine.keyword]);
    assert_eq!(ids(&export["content"]), vec![mine.content]);
    assert_eq!(ids(&export["jobs"]), vec![mine.job]);
    let counted = counts(&app, mine.account).await;
    for (section, table) in [
        ("users", "users"),
        ("subscriptions", "subscriptions"),
        ("payments", "payments"),
        ("ledger", "ledger"),
        ("ai_usage", "ai_usage"),
        ("sites", "sites"),
        ("sectors", "sectors"),
        ("keywords", "keywords"),
        ("clusters", "clusters"),
        ("ideas", "ideas"),
        ("tasks", "tasks"),
        ("content", "content"),
        ("content_versions", "content_versions"),
        ("jobs", "jobs"),
    ] {
        let rows = export[section].as_array().expect(section);
        assert_eq!(rows.len() as u64, counted[table], "{section}");
        assert!(
            !rows.is_empty(),
            "{section} is empty: fill() should make one"
        );
        for row in rows {
            if section != "users" {
                assert_eq!(row["account_id"], mine.account, "{section}: {row}");
            }
        }
    }
    let text = export.to_string();
    assert!(!text.contains("bob@example.com"));
    assert!(!text.contains("Site 2"));
    assert!(!text.contains(&format!("\"account_id\":{}", theirs.account)));
    for member in export["users"].as_array().expect("users") {
        assert!(member.get("password_hash").is_none(), "{member}");
    }
    assert!(!text.contains("$argon2"));
}

async fn only_the_owner_exports_or_deletes_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "agency-monthly").await;
    let account = account_id(&app, &ada).await;
    let hash = user::Entity::find()
        .filter(user::Column::Email.eq("ada@example.com"))
        .one(app.db())
        .await
        .expect("query")
        .expect("owner")
        .password_hash;
    let now = chrono::Utc::now();
    user::ActiveModel {
        email: Set("eve@example.com".to_owned()),
        password_hash: Set(hash),
        name: Set("Eve".to_owned()),
        account_id: Set(Some(account)),
        role: Set(UserRole::Admin),
        is_staff: Set(false),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("an admin");
    let eve = body(app.login("eve@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();

    assert_eq!(
        app.get(EXPORT, Some(&eve)).await.status(),
        StatusCode::FORBIDDEN
    );
    let refused = app
        .call(
            Method::DELETE,
            ACCOUNT,
            Some(&eve),
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(refused).await["code"], "permission_denied");
    assert_eq!(
        account_row(&app, account).await.status,
        AccountStatus::Active
    );
    assert_eq!(
        app.get(EXPORT, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn a_wrong_password_deletes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "agency-monthly").await;
    let filled = fill(&app, &ada, "ada@example.com", 1).await;
    let before = counts(&app, filled.account).await;
    let balance = account_row(&app, filled.account).await.credits;

    let wrong = app
        .call(
            Method::DELETE,
            ACCOUNT,
            Some(&ada),
            Some(&json!({"password": "not-my-password-9"})),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let error = body(wrong).await;
    assert!(error["password"].is_array(), "{error}");
    let missing = app
        .call(Method::DELETE, ACCOUNT, Some(&ada), Some(&json!({})))
        .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);

    assert_eq!(counts(&app, filled.account).await, before);
    let row = account_row(&app, filled.account).await;
    assert_eq!(row.status, AccountStatus::Active);
    assert_eq!(row.credits, balance);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&ada)).await.status(),
        StatusCode::OK
    );
}

async fn deleting_the_account_removes_its_rows_and_keeps_the_books(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = crate::admin_accounts::operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let session = body(app.login("ada@example.com", PASSWORD).await).await;
    let ada = session["access"].as_str().expect("access").to_owned();
    let refresh = session["refresh"].as_str().expect("refresh").to_owned();
    let bob = app.active_member("bob@example.com", "agency-monthly").await;
    let filled = fill(&app, &ada, "ada@example.com", 1).await;
    let other = fill(&app, &bob, "bob@example.com", 2).await;
    let other_before = counts(&app, other.account).await;
    let other_ledger = ledger(&app, other.account).await;
    let ledger_before = ledger(&app, filled.account).await;
    let sum_before: i64 = ledger_before.iter().map(|row| row.amount).sum();
    let payments_before = counts(&app, filled.account).await["payments"];
    assert!(payments_before > 0);

    let deleted = app
        .call(
            Method::DELETE,
            ACCOUNT,
            Some(&ada),
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    // Every tenant row is gone; the ledger, payments and subscription stay.
    let after = counts(&app, filled.account).await;
    for (table, count) in &after {
        match *table {
            "ledger" | "payments" | "subscriptions" => assert!(*count > 0, "{table}"),
            _ => assert_eq!(*count, 0, "{table} still has rows"),
        }
    }
    assert_eq!(after["payments"], payments_before);
    // The queued job's 5 credits came back through the ledger; every earlier row is kept.
    let ledger_after = ledger(&app, filled.account).await;
    assert_eq!(&ledger_after[..ledger_before.len()], &ledger_before[..]);
    let released: Vec<_> = ledger_after[ledger_before.len()..].to_vec();
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(released[0].amount, 5);
    let sum_after: i64 = ledger_after.iter().map(|row| row.amount).sum();
    assert_eq!(sum_after, sum_before + 5);
    let row = account_row(&app, filled.account).await;
    assert_eq!(
        row.credits, sum_after,
        "the balance is still the ledger's sum"
    );
    assert_eq!(row.status, AccountStatus::Deleted);
    assert_eq!(row.owner_id, None);
    assert!(!row.name.contains("ada"), "{}", row.name);
    assert_eq!(row.billing_email, None);
    let subscriptions = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(filled.account))
        .all(app.db())
        .await
        .expect("subscriptions");
    assert!(
        subscriptions
            .iter()
            .all(|s| s.status == SubscriptionStatus::Canceled && s.ended_at.is_some())
    );
    let payments = payment::Entity::find()
        .filter(payment::Column::AccountId.eq(filled.account))
        .all(app.db())
        .await
        .expect("payments");
    assert!(payments.iter().all(|p| p.status != PaymentStatus::Pending));

    // The audit log says who deleted it and what the books held.
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.deleted"))
        .filter(audit_log::Column::AccountId.eq(filled.account))
        .one(app.db())
        .await
        .expect("query")
        .expect("an audit row");
    assert!(audit.actor.starts_with("user:"), "{}", audit.actor);
    let recorded: Value =
        serde_json::from_str(audit.after.as_deref().expect("after")).expect("json");
    assert_eq!(recorded["ledger_total"], sum_after);
    assert_eq!(recorded["ledger_rows"], ledger_after.len());
    assert_eq!(recorded["jobs_cancelled"], 1);
    assert_eq!(recorded["removed"]["sites"], 1);

    // Tokens are dead, login fails, the address registers again.
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&ada)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh/", &json!({"refresh": refresh}), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.register("ada@example.com", "free").await;

    // The other tenant is untouched.
    assert_eq!(counts(&app, other.account).await, other_before);
    assert_eq!(ledger(&app, other.account).await, other_ledger);
    let other_job = job::Entity::find_by_id(other.job)
        .one(app.db())
        .await
        .expect("query")
        .expect("job");
    assert_eq!(other_job.status, JobStatus::Queued);

    // Operators see the account as deleted, and cannot bring it back.
    let listed = body(
        app.get("/api/v1/admin/accounts/?status=deleted", Some(&ops))
            .await,
    )
    .await;
    assert_eq!(ids(&listed["results"]), vec![filled.account]);
    let revived = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/accounts/{}/status/", filled.account),
            Some(&ops),
            Some(&json!({"status": "active"})),
        )
        .await;
    assert_eq!(revived.status(), StatusCode::CONFLICT);
}

async fn the_account_page_downloads_the_data_and_deletes_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("walt@example.com", "free").await;
    let mut member = Visitor::new(&app.url(""));
    assert_eq!(
        member.sign_in("walt@example.com").await.status(),
        StatusCode::SEE_OTHER
    );
    let page = member.page("/account", StatusCode::OK).await;
    assert!(page.contains("Download my data"), "{page}");
    assert!(page.contains("Delete account"), "{page}");
    assert_eq!(
        page.matches("id=\"delete-account\"").count(),
        1,
        "the section is on the page once, and not in its title: {page}"
    );

    let download = member.get("/account/export").await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    let export: Value = download.json().await.expect("json");
    assert_eq!(export["users"][0]["email"], "walt@example.com");

    let forged = member
        .post_as_is(
            "/account/delete",
            &[("password", PASSWORD), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = member
        .post("/account/delete", &[("password", "not-my-password-9")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("not your current password")
    );
    assert_eq!(
        app.login("walt@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    let deleted = member
        .post("/account/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&deleted), "/login?done=account_deleted");
    let login = member
        .page("/login?done=account_deleted", StatusCode::OK)
        .await;
    assert!(login.contains("Your account and its data are deleted."));
    let gone = member.get("/account").await;
    assert_eq!(gone.status(), StatusCode::SEE_OTHER, "signed out");
    assert_eq!(
        app.login("walt@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
