//! The credit statement and the jobs API: balance, reservations, the ledger newest first,
//! polling with `?wait=`, cancelling, and AI usage rows.

use crate::common::{Backend, TestApp, body};
use quire_core::{
    credits::usage::Call,
    jobs::{
        queue::{self, NewJob},
        worker::{self, Handlers, JobContext, JobError, JobHandler},
    },
};
use reqwest::{Method, StatusCode};
use std::{sync::Arc, time::Instant};

quire_testkit::on_both_backends!(
    the_statement_shows_balance_reservations_and_the_ledger_newest_first,
    a_queued_job_can_be_polled_with_wait_and_cancelled_once,
    a_finished_job_shows_its_result_charge_and_usage,
    an_accepted_operation_answers_202_with_location_and_can_wait,
);

async fn queue_job(app: &TestApp, email: &str, kind: &str, reserve: i64) -> i64 {
    queue::enqueue(
        &app.quire,
        &app.tenant(email).await,
        NewJob {
            kind: kind.to_owned(),
            input: serde_json::json!({"topic": "sourdough"}),
            reserve,
        },
        3,
    )
    .await
    .expect("enqueue")
    .id
}

async fn the_statement_shows_balance_reservations_and_the_ledger_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    let credits = body(app.get("/api/v1/billing/credits/", Some(&token)).await).await;
    assert_eq!(credits["balance"], 100);
    assert_eq!(credits["reserved"], 0);
    assert_eq!(credits["used_this_period"], 0);
    assert!(credits["period_start"].is_string());

    queue_job(&app, "ada@example.com", "test", 30).await;
    let credits = body(app.get("/api/v1/billing/credits/", Some(&token)).await).await;
    assert_eq!(credits["balance"], 70);
    assert_eq!(credits["reserved"], 30);

    let ledger = body(
        app.get("/api/v1/billing/credits/transactions/", Some(&token))
            .await,
    )
    .await;
    assert_eq!(ledger["count"], 2);
    assert_eq!(ledger["results"][0]["kind"], "reservation");
    assert_eq!(ledger["results"][0]["amount"], -30);
    assert_eq!(ledger["results"][0]["balance_after"], 70);
    assert_eq!(ledger["results"][1]["kind"], "signup_grant");
    let grants = body(
        app.get(
            "/api/v1/billing/credits/transactions/?kind=signup_grant",
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(grants["count"], 1);
    let bad = app
        .get(
            "/api/v1/billing/credits/transactions/?kind=gift",
            Some(&token),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

async fn a_queued_job_can_be_polled_with_wait_and_cancelled_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    let id = queue_job(&app, "ada@example.com", "test", 10).await;
    let path = format!("/api/v1/jobs/{id}/");

    let started = Instant::now();
    let job = body(app.get(&format!("{path}?wait=1"), Some(&token)).await).await;
    assert!(started.elapsed().as_millis() >= 900, "wait held the answer");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["reserved_credits"], 10);
    assert_eq!(job["credit_state"], "reserved");
    let bad_wait = app.get(&format!("{path}?wait=soon"), Some(&token)).await;
    assert_eq!(bad_wait.status(), StatusCode::BAD_REQUEST);

    let listed = body(app.get("/api/v1/jobs/?status=queued", Some(&token)).await).await;
    assert_eq!(listed["count"], 1);

    let cancel = format!("/api/v1/jobs/{id}/cancel/");
    let canceled = app.call(Method::POST, &cancel, Some(&token), None).await;
    assert_eq!(canceled.status(), StatusCode::OK);
    let canceled = body(canceled).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["credit_state"], "refunded");
    let credits = body(app.get("/api/v1/billing/credits/", Some(&token)).await).await;
    assert_eq!(credits["balance"], 100);
    assert_eq!(credits["reserved"], 0);

    let again = app.call(Method::POST, &cancel, Some(&token), None).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(body(again).await["code"], "conflict");
}

/// Logs one 2,000-token call at one credit per 1k on the `*` rate and answers.
struct Scripted;

#[async_trait::async_trait]
impl JobHandler for Scripted {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError> {
        ctx.progress(40, "Writing").await?;
        ctx.record_call(Call {
            account_id: ctx.job.account_id,
            user_id: ctx.job.user_id,
            job_id: Some(ctx.job.id),
            operation: "generate_ideas",
            provider: "offline",
            model: "offline-draft",
            input_tokens: 1_500,
            output_tokens: 1_500,
            latency_ms: 12,
            error: None,
        })
        .await?;
        Ok(serde_json::json!({"ideas": 3}))
    }
}

async fn a_finished_job_shows_its_result_charge_and_usage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    let id = queue_job(&app, "ada@example.com", "scripted", 10).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = worker::spawn(
        app.quire.clone(),
        Handlers::default().with("scripted", Arc::new(Scripted)),
        1,
        stopped,
    );
    let job = body(
        app.get(&format!("/api/v1/jobs/{id}/?wait=20"), Some(&token))
            .await,
    )
    .await;
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["ideas"], 3);
    assert_eq!(job["progress"], 100);
    // 3,000 tokens at 1 credit per 1k = 3 credits (above generate_ideas' minimum of 2).
    assert_eq!(job["charged_credits"], 3);
    let credits = body(app.get("/api/v1/billing/credits/", Some(&token)).await).await;
    assert_eq!(credits["balance"], 97);
    assert_eq!(credits["used_this_period"], 3);

    let usage = body(
        app.get(
            "/api/v1/billing/usage/?operation=generate_ideas",
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(usage["count"], 1);
    let row = &usage["results"][0];
    assert_eq!(row["job_id"], id);
    assert_eq!(row["input_tokens"], 1_500);
    assert_eq!(row["credits_charged"], 3);
    assert_eq!(row["status"], "succeeded");
    assert!(
        row.get("cost_micro_usd").is_none(),
        "our cost is for operators only"
    );
    let none = body(
        app.get(
            "/api/v1/billing/usage/?operation=generate_article",
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(none["count"], 0);
}

/// The answer every AI operation's POST gives, checked on its own until the first operation
/// (planner, issue 5) routes to it.
async fn an_accepted_operation_answers_202_with_location_and_can_wait(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("ada@example.com", "free").await;
    let tenant = app.tenant("ada@example.com").await;
    let state = quire_server::state::AppState {
        quire: app.quire.clone(),
        metrics: Arc::new(quire_server::metrics::Metrics::new().expect("metrics")),
    };
    let id = queue_job(&app, "ada@example.com", "test", 5).await;
    let job = queue::get(app.db(), &tenant, id).await.expect("job");
    let response = quire_server::api::jobs::accepted(&state, &tenant, job.clone(), None)
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.headers()["location"],
        format!("/api/v1/jobs/{id}/").as_str()
    );
    let started = Instant::now();
    let waited = quire_server::api::jobs::accepted(&state, &tenant, job, Some(1))
        .await
        .expect("answer");
    assert!(started.elapsed().as_millis() >= 900);
    assert_eq!(waited.status(), StatusCode::ACCEPTED);
}
