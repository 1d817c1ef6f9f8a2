//! The seed's "How to actually use this" walk as one test: a clean user signs up on a paid
//! plan (F1), is held at login until an operator confirms the transfer (F2), plans and writes
//! with AI while every credit movement is checked against the jobs and the usage log (F3),
//! renews (F4) and cancels (F5) — through the API, with the billing job on a moved clock.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::TimeDelta;
use quire_core::{
    accounts::operators,
    billing::job,
    entities::{ai_usage_log, credit_transaction, subscription},
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(the_seed_walk_from_sign_up_to_cancellation);

const EMAIL: &str = "walker@example.com";

struct Walk {
    app: TestApp,
    token: String,
    account: i64,
}

impl Walk {
    async fn balance(&self) -> i64 {
        body(
            self.app
                .get("/api/v1/billing/credits/", Some(&self.token))
                .await,
        )
        .await["balance"]
            .as_i64()
            .expect("balance")
    }

    async fn ledger_sum(&self) -> i64 {
        credit_transaction::Entity::find()
            .filter(credit_transaction::Column::AccountId.eq(self.account))
            .all(self.app.db())
            .await
            .expect("ledger")
            .iter()
            .map(|row| row.amount)
            .sum()
    }

    /// Runs an AI operation to its end and checks the credits it moved: the balance falls by
    /// exactly what the job charged, that equals the usage rows of its model calls, and the
    /// ledger still adds up to the balance. Returns the job and what it cost.
    async fn ai_step(&self, path: &str, request: Value, calls_a_model: bool) -> (Value, i64) {
        let before = self.balance().await;
        let response = self
            .app
            .post(&format!("{path}?wait=30"), &request, Some(&self.token))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{path}");
        let job = body(response).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let after = self.balance().await;
        let charged = job["charged_credits"].as_i64().expect("charged");
        assert!(charged > 0, "{path} costs credits");
        assert_eq!(
            before - after,
            charged,
            "{path}: balance falls by the charge"
        );
        let usage = ai_usage_log::Entity::find()
            .filter(ai_usage_log::Column::JobId.eq(job["id"].as_i64()))
            .all(self.app.db())
            .await
            .expect("usage");
        if calls_a_model {
            assert!(!usage.is_empty(), "{path} logs its model calls");
            let logged: i64 = usage.iter().map(|row| row.credits_charged).sum();
            assert_eq!(logged, charged, "{path}: usage log = charge");
            assert!(
                usage
                    .iter()
                    .all(|row| row.input_tokens + row.output_tokens > 0)
            );
        }
        assert_eq!(self.ledger_sum().await, after, "ledger = balance");
        (job, charged)
    }
}

async fn the_seed_walk_from_sign_up_to_cancellation(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.jobs.poll_milliseconds = 20;
    })
    .await;
    let _workers = app.start_workers(1);

    // F1: the plan catalogue, then sign-up on a paid plan with a bank transfer.
    let plans = body(app.get("/api/v1/auth/plans/", None).await).await;
    let starter = plans
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["slug"] == "starter-monthly")
        .expect("starter")
        .clone();
    let registered = app
        .post(
            "/api/v1/auth/register/",
            &json!({
                "email": EMAIL, "password": PASSWORD, "name": "Walker",
                "account_name": "Walker Media", "plan_id": starter["id"],
                "payment_method": "bank_transfer",
            }),
            None,
        )
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered = body(registered).await;
    let account = registered["account"]["id"].as_i64().expect("account");
    assert_eq!(registered["account"]["status"], "pending_payment");
    assert_eq!(registered["subscription"]["status"], "pending_payment");
    assert_eq!(
        registered["account"]["credits"],
        starter["included_credits"]
    );
    let reference = registered["payment"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    assert!(
        registered.get("access").is_none(),
        "no tokens before payment"
    );

    // F2: held at login with the instructions until an operator confirms the money.
    let held = app.login(EMAIL, PASSWORD).await;
    assert_eq!(held.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body(held).await["code"], "payment_pending");
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    let ops = body(app.login("ops@quire.example", PASSWORD).await).await["access"]
        .as_str()
        .expect("operator token")
        .to_owned();
    let pending = body(
        app.get("/api/v1/admin/payments/?status=pending", Some(&ops))
            .await,
    )
    .await;
    let row = &pending["results"][0];
    assert_eq!(row["reference"], reference.as_str());
    let confirmed = app
        .post(
            &format!("/api/v1/admin/payments/{}/confirm/", row["id"]),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let session = app.login(EMAIL, PASSWORD).await;
    assert_eq!(session.status(), StatusCode::OK);
    let session = body(session).await;
    assert_eq!(session["account"]["status"], "active");
    let walk = Walk {
        token: session["access"].as_str().expect("token").to_owned(),
        app,
        account,
    };
    let app = &walk.app;
    let token = walk.token.as_str();
    let me = body(app.get("/api/v1/auth/me/", Some(token)).await).await;
    assert_eq!(me["account"]["id"], account);
    assert_eq!(walk.balance().await, 1_000);

    // F3a: a site and a sector.
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Trail blog", "url": "https://trail.example.com"}),
            Some(token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Trail running"}),
            Some(token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");

    // F3b: keywords cost nothing; clustering, ideas and the writer cost what they used.
    let before_keywords = walk.balance().await;
    let mut keyword_ids = Vec::new();
    for text in [
        "trail running shoes",
        "best trail running shoes",
        "trail running shoes for women",
        "how to start trail running",
        "trail running for beginners",
        "trail running tips",
    ] {
        let created = app
            .post(
                "/api/v1/planner/keywords/",
                &json!({"sector_id": sector, "keyword": text, "volume": 500}),
                Some(token),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        keyword_ids.push(body(created).await["id"].as_i64().expect("keyword"));
    }
    assert_eq!(
        walk.balance().await,
        before_keywords,
        "adding keywords is free"
    );

    let (clustered, _) = walk
        .ai_step(
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": keyword_ids, "sector_id": sector, "method": "hybrid"}),
            true,
        )
        .await;
    let cluster = clustered["result"]["cluster_ids"][0]
        .as_i64()
        .expect("cluster");
    let (ideas, _) = walk
        .ai_step(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster], "ideas_per_cluster": 1}),
            true,
        )
        .await;
    let idea = ideas["result"]["idea_ids"][0].as_i64().expect("idea");
    let sent = app
        .post(
            "/api/v1/planner/ideas/send_to_writer/",
            &json!({"idea_ids": [idea]}),
            Some(token),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let task = body(sent).await["created"][0]["id"].as_i64().expect("task");

    // F3c: a draft, then one section rewritten for less.
    let (_, article_cost) = walk
        .ai_step(
            "/api/v1/writer/content/generate/",
            json!({"task_id": task}),
            true,
        )
        .await;
    let contents = body(app.get("/api/v1/writer/content/", Some(token)).await).await;
    let content = contents["results"][0]["id"].as_i64().expect("content");
    let detail = body(
        app.get(&format!("/api/v1/writer/content/{content}/"), Some(token))
            .await,
    )
    .await;
    let section = detail["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["heading"].as_str().is_some_and(|h| !h.is_empty()))
        .expect("a section")["id"]
        .clone();
    let (_, rewrite_cost) = walk
        .ai_step(
            "/api/v1/writer/content/regenerate_section/",
            json!({"content_id": content, "section_id": section, "instructions": "Add an example."}),
            true,
        )
        .await;
    assert!(
        rewrite_cost < article_cost,
        "{rewrite_cost} < {article_cost}"
    );
    let spent_balance = walk.balance().await;
    assert!(spent_balance < 1_000);

    // F4: the renewal is opened a week ahead; the tenant reports the transfer and an
    // operator confirms it; credits jump back to the plan amount when the new period starts.
    let sub = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(account))
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription");
    let end = sub.current_period_end.expect("end");
    app.clock.set(end - TimeDelta::days(7));
    assert_eq!(
        job::run_once(&app.quire)
            .await
            .expect("runs")
            .count("renewal_opened"),
        1
    );
    let own = body(
        app.get("/api/v1/billing/payments/?status=pending", Some(token))
            .await,
    )
    .await;
    let renewal = own["results"]
        .as_array()
        .expect("payments")
        .iter()
        .find(|p| p["status"] == "pending")
        .expect("the renewal")["id"]
        .as_i64()
        .expect("id");
    let notified = app
        .post(
            &format!("/api/v1/billing/payments/{renewal}/notify/"),
            &json!({"payer_name": "Walker Media", "bank": "Example Bank",
                    "transfer_date": (end - TimeDelta::days(6)).to_rfc3339()}),
            Some(token),
        )
        .await;
    assert_eq!(notified.status(), StatusCode::OK);
    app.clock.set(end - TimeDelta::days(5));
    let renewed = app
        .post(
            &format!("/api/v1/admin/payments/{renewal}/confirm/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed = body(renewed).await;
    assert_eq!(
        renewed["period_start"].as_str().map(str::to_owned),
        Some(end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    );
    // Paid early: the credits of this period stay until it ends; then the billing job starts
    // the paid period and the balance jumps to the plan amount.
    assert_eq!(walk.balance().await, spent_balance);
    app.clock.set(end);
    assert_eq!(
        job::run_once(&app.quire)
            .await
            .expect("runs")
            .count("renewed"),
        1
    );
    assert_eq!(walk.balance().await, 1_000, "reset to the plan amount");
    assert_eq!(walk.ledger_sum().await, 1_000);

    // F5: cancel at the period's end; the account works until then, then is closed.
    let cancelled = app
        .post(
            &format!("/api/v1/auth/subscriptions/{}/cancel/", sub.id),
            &json!({}),
            Some(token),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let new_end = subscription::Entity::find_by_id(sub.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription")
        .current_period_end
        .expect("end");
    app.clock.set(new_end - TimeDelta::hours(1));
    assert!(
        job::run_once(&app.quire)
            .await
            .expect("runs")
            .transitions
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/planner/keywords/", Some(token))
            .await
            .status(),
        StatusCode::OK
    );
    app.clock.set(new_end);
    assert_eq!(
        job::run_once(&app.quire)
            .await
            .expect("runs")
            .count("cancelled"),
        1
    );
    assert_eq!(
        app.login(EMAIL, PASSWORD).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    let rows_before = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account))
        .count(app.db())
        .await
        .expect("count");
    let refused = app
        .post(
            "/api/v1/planner/keywords/auto_cluster/",
            &json!({"keyword_ids": keyword_ids, "sector_id": sector, "method": "local"}),
            Some(token),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    let rows_after = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(rows_before, rows_after, "a blocked call moves no credit");
    assert_eq!(
        app.outbox.kinds_sent_to(EMAIL),
        [
            "payment_pending.txt",
            "payment_confirmed.txt",
            "renewal_due.txt",
            "payment_confirmed.txt",
            "cancelled.txt"
        ]
    );
}
