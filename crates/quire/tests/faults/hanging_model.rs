//! A model that hangs: each call is cut off after `ai_timeout_seconds` and tried
//! `ai_max_attempts` times; a job whose calls never come back is retried as a job, then fails
//! with its reservation returned; a model that hangs once and then answers costs one charge.

use crate::fixture::{
    BIN, Member, Session, assert_books_balance, assert_succeeded, balance, free_member,
    ideas_answer, open, postgres_database, serve_env, wait_for_jobs,
};
use quire_core::{
    Quire,
    entities::{ai_usage_log, enums::JobStatus, enums::UsageStatus, job},
};
use quire_testkit::{
    TestDatabase,
    fake_openai::{FakeOpenAi, Reply, Script},
    process::ServerProcess,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

/// Longer than any test runs: the call only ends when the client gives up.
const FOREVER: Duration = Duration::from_secs(600);
const AI_MAX_ATTEMPTS: usize = 2;
const JOB_MAX_ATTEMPTS: usize = 2;

struct Hung {
    quire: Quire,
    member: Member,
    model: FakeOpenAi,
    _server: ServerProcess,
    session: Session,
    _database: TestDatabase,
}

/// A server whose model calls time out after one second, on a model following `script`.
async fn hung(database: TestDatabase, script: Script) -> Hung {
    let quire = open(&database).await;
    let member = free_member(&quire, "hung@example.com").await;
    let model = FakeOpenAi::start(script).await;
    let mut env = serve_env(&database.url, Some(&model));
    env.extend([
        ("QUIRE_AI_TIMEOUT_SECONDS", "1".to_owned()),
        ("QUIRE_AI_MAX_ATTEMPTS", AI_MAX_ATTEMPTS.to_string()),
        ("QUIRE_JOBS__MAX_ATTEMPTS", JOB_MAX_ATTEMPTS.to_string()),
    ]);
    let server = ServerProcess::start(BIN, &env);
    let session = Session::login(&server.base_url, &member.email).await;
    Hung {
        quire,
        member,
        model,
        _server: server,
        session,
        _database: database,
    }
}

async fn usage_of(quire: &Quire, job: &job::Model) -> Vec<ai_usage_log::Model> {
    ai_usage_log::Entity::find()
        .filter(ai_usage_log::Column::JobId.eq(job.id))
        .all(&quire.db)
        .await
        .expect("usage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_answers_is_timed_out_retried_and_refunded() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let hung = hung(database, Script::responding(|_| Reply::Hang(FOREVER))).await;
    let cluster = hung.session.clusters(1).await[0];
    let before = balance(&hung.quire, hung.member.account_id).await;

    let started = Instant::now();
    let id = hung.session.generate_ideas(cluster).await;
    let ended = wait_for_jobs(&hung.quire, &[id], Duration::from_secs(40)).await;
    let job = &ended[0];
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error.as_deref(),
        Some("the AI provider did not answer in time")
    );
    assert_eq!(
        job.attempts,
        i32::try_from(JOB_MAX_ATTEMPTS).expect("small")
    );
    // Two attempts of the job, each making the call twice; none waited for the model.
    assert_eq!(hung.model.hits(), JOB_MAX_ATTEMPTS * AI_MAX_ATTEMPTS);
    assert!(started.elapsed() < Duration::from_secs(30));
    let usage = usage_of(&hung.quire, job).await;
    assert_eq!(
        usage.len(),
        JOB_MAX_ATTEMPTS,
        "one failed call logged per job attempt"
    );
    assert!(
        usage
            .iter()
            .all(|u| u.status == UsageStatus::Failed && u.credits_charged == 0)
    );
    assert_eq!(balance(&hung.quire, hung.member.account_id).await, before);
    assert_books_balance(&hung.quire, hung.member.account_id, &ended).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_hangs_once_then_answers_is_charged_once() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let script = Script {
        replies: vec![Reply::Hang(FOREVER)],
        ..Script::responding(|_| ideas_answer())
    };
    let hung = hung(database, script).await;
    let cluster = hung.session.clusters(1).await[0];
    let before = balance(&hung.quire, hung.member.account_id).await;

    let id = hung.session.generate_ideas(cluster).await;
    let ended = wait_for_jobs(&hung.quire, &[id], Duration::from_secs(30)).await;
    let job = &ended[0];
    assert_succeeded(job);
    assert_eq!(
        job.attempts, 1,
        "the client's retry saved the job's attempt"
    );
    assert_eq!(hung.model.hits(), 2, "the hung call and its retry");
    let usage = usage_of(&hung.quire, job).await;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].status, UsageStatus::Succeeded);
    assert!(job.charged_credits > 0);
    assert_eq!(
        before - balance(&hung.quire, hung.member.account_id).await,
        job.charged_credits
    );
    assert_books_balance(&hung.quire, hung.member.account_id, &ended).await;
}
