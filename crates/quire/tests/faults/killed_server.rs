//! `kill -9` of a server while its workers are mid-way through AI jobs, then a restart: every
//! job ends, no credit is lost or charged twice, and the ledger adds up to the balance.

use crate::fixture::{
    BIN, Session, assert_books_balance, assert_succeeded, free_member, ideas_model, jobs, open,
    postgres_database, serve_env, wait_for_jobs, wait_until,
};
use quire_core::entities::enums::JobStatus;
use quire_testkit::{fake_openai::FakeOpenAi, process::ServerProcess};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_job_leaves_no_job_running_and_no_credit_moved_twice() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let quire = open(&database).await;
    let member = free_member(&quire, "killed@example.com").await;
    let model = FakeOpenAi::start(ideas_model(Duration::from_millis(1500))).await;
    let env = serve_env(&database.url, Some(&model));

    let first = ServerProcess::start(BIN, &env);
    let session = Session::login(&first.base_url, &member.email).await;
    let mut ids = Vec::new();
    for cluster in session.clusters(5).await {
        ids.push(session.generate_ideas(cluster).await);
    }
    // Both workers are waiting on the slow model: kill the server under them.
    wait_until(Duration::from_secs(20), "two model calls in flight", || {
        model.hits() >= 2
    })
    .await;
    first.kill();
    let cut_off: Vec<i64> = jobs(&quire, &ids)
        .await
        .into_iter()
        .filter(|j| j.status == JobStatus::Running)
        .map(|j| j.id)
        .collect();
    assert!(!cut_off.is_empty(), "the kill found jobs running");
    let calls_before_restart = model.hits();

    let second = ServerProcess::start(BIN, &env);
    let ended = wait_for_jobs(&quire, &ids, Duration::from_secs(60)).await;
    for job in &ended {
        // The model answers well, so every job ends well, those cut off on a second attempt.
        assert_succeeded(job);
        if cut_off.contains(&job.id) {
            assert!(job.attempts >= 2, "job {} was taken up again", job.id);
        }
    }
    assert!(model.hits() > calls_before_restart);
    assert_books_balance(&quire, member.account_id, &ended).await;
    drop(second);
}
