//! Two `quire serve` nodes on one database: every job runs once however the workers of both
//! race for it, and the billing job — on both nodes' schedulers and two `quire billing run`s
//! at the same moment — renews each due account once.

use crate::fixture::{
    BIN, Session, assert_books_balance, assert_succeeded, free_member, ideas_model, open,
    postgres_database, serve_env, wait_for_jobs,
};
use quire_core::entities::{
    ai_usage_log, content_idea, credit_transaction, enums::CreditKind, subscription,
};
use quire_testkit::{fake_openai::FakeOpenAi, process::ServerProcess};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TENANTS: usize = 3;
const JOBS_PER_TENANT: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_run_each_job_exactly_once() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let quire = open(&database).await;
    // Calls slow enough that every worker of both nodes is busy at once.
    let model = FakeOpenAi::start(ideas_model(Duration::from_millis(200))).await;
    let env = serve_env(&database.url, Some(&model));
    let nodes = [
        ServerProcess::start(BIN, &env),
        ServerProcess::start(BIN, &env),
    ];

    let mut members = Vec::new();
    let mut ids = Vec::new();
    for tenant in 0..TENANTS {
        let member = free_member(&quire, &format!("node{tenant}@example.com")).await;
        let node = &nodes[tenant % 2];
        let session = Session::login(&node.base_url, &member.email).await;
        for cluster in session.clusters(JOBS_PER_TENANT).await {
            ids.push(session.generate_ideas(cluster).await);
        }
        members.push(member);
    }
    let ended = wait_for_jobs(&quire, &ids, Duration::from_secs(60)).await;

    for job in &ended {
        assert_succeeded(job);
        assert_eq!(job.attempts, 1, "job {} was claimed once", job.id);
        let calls = ai_usage_log::Entity::find()
            .filter(ai_usage_log::Column::JobId.eq(job.id))
            .all(&quire.db)
            .await
            .expect("usage");
        assert_eq!(calls.len(), 1, "job {} called the model once", job.id);
    }
    assert_eq!(model.hits(), ids.len(), "one model call per job");
    let ideas = content_idea::Entity::find()
        .all(&quire.db)
        .await
        .expect("ideas");
    assert_eq!(ideas.len(), ids.len(), "one idea stored per job");
    let clusters: BTreeSet<Option<i64>> = ideas.iter().map(|i| i.cluster_id).collect();
    assert_eq!(clusters.len(), ids.len(), "one idea per cluster");
    // Each node runs two workers with ids of their own: more than two ids means both took jobs.
    let workers: BTreeSet<&str> = ended
        .iter()
        .filter_map(|j| j.worker_id.as_deref())
        .collect();
    assert!(workers.len() > 2, "both nodes worked: {workers:?}");
    for member in &members {
        let theirs: Vec<_> = ended
            .iter()
            .filter(|j| j.account_id == member.account_id)
            .cloned()
            .collect();
        assert_books_balance(&quire, member.account_id, &theirs).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_job_run_everywhere_at_once_renews_each_account_once() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let quire = open(&database).await;
    let mut due = Vec::new();
    // Free periods that ended yesterday: each is renewed with a grant of the plan's credits.
    let ended = chrono::Utc::now() - chrono::TimeDelta::days(1);
    for n in 0..6 {
        let member = free_member(&quire, &format!("renew{n}@example.com")).await;
        let mut row: subscription::ActiveModel = member.subscription.clone().into();
        row.current_period_start = Set(Some(ended - chrono::TimeDelta::days(30)));
        row.current_period_end = Set(Some(ended));
        row.update(&quire.db).await.expect("backdate");
        due.push(member);
    }

    // Two passes from a shell and two nodes' schedulers, all starting together.
    let env = serve_env(&database.url, None);
    let passes: Vec<_> = (0..2)
        .map(|_| {
            Command::new(BIN)
                .args(["billing", "run"])
                .env("QUIRE_CONFIG", "/nonexistent/quire.toml")
                .env("QUIRE_LOG", "warn")
                .env("QUIRE_DATABASE_URL", &database.url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("quire billing run")
        })
        .collect();
    let _nodes = [
        ServerProcess::start(BIN, &env),
        ServerProcess::start(BIN, &env),
    ];
    let mut renewed_by_passes = 0;
    for pass in passes {
        let output = pass.wait_with_output().expect("billing run ends");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        renewed_by_passes += text
            .split("free_renewal: ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |count| count.trim().parse::<usize>().expect("count"));
    }
    assert!(
        renewed_by_passes <= due.len(),
        "{renewed_by_passes} renewals"
    );

    let accounts: Vec<i64> = due.iter().map(|m| m.account_id).collect();
    let grants = || async {
        let rows = credit_transaction::Entity::find()
            .filter(credit_transaction::Column::AccountId.is_in(accounts.clone()))
            .filter(credit_transaction::Column::Kind.eq(CreditKind::RenewalGrant))
            .all(&quire.db)
            .await
            .expect("ledger");
        let mut per_account: BTreeMap<i64, usize> = BTreeMap::new();
        for row in rows {
            *per_account.entry(row.account_id).or_default() += 1;
        }
        per_account
    };
    // The schedulers may still be on their first pass when the shell's passes end.
    let started = Instant::now();
    while grants().await.len() < accounts.len() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "every due account renewed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let every pass that started finish, then count again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (account, count) in grants().await {
        assert_eq!(count, 1, "account {account} renewed once");
    }
    for member in &due {
        let now = subscription::Entity::find_by_id(member.subscription.id)
            .one(&quire.db)
            .await
            .expect("query")
            .expect("subscription");
        let end = now.current_period_end.expect("a period");
        assert!(
            end > chrono::Utc::now() && end < chrono::Utc::now() + chrono::TimeDelta::days(32),
            "one period added: {end}"
        );
        assert_books_balance(&quire, member.account_id, &[]).await;
    }
}
