//! The credit lifecycle and the job queue on both databases: concurrent reservations, the
//! ledger invariants under random sequences, settlement keyed by the job, dead workers.

use chrono::{Duration, Utc};
use proptest::prelude::*;
use quire_core::{
    Error, Quire,
    accounts::{
        principal::Tenant,
        register::{self, Registration},
    },
    config::Settings,
    credits::usage::Call,
    entities::{
        account, credit_transaction,
        enums::{CreditState, JobStatus},
        job, plan,
    },
    jobs::{
        queue::{self, NewJob},
        worker::{self, Handlers, JobContext, JobError, JobHandler},
    },
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::Arc;

quire_testkit::on_both_backends!(
    fifty_parallel_reservations_against_ten_succeed_exactly_ten,
    a_job_settles_once_and_returns_what_it_did_not_use,
    twenty_jobs_of_one_account_finish_at_once_and_none_is_lost,
    a_failed_job_returns_every_credit,
    a_dead_workers_job_is_retried_and_charged_once,
    a_dead_workers_last_attempt_fails_and_is_refunded,
    cancelling_a_queued_job_refunds_it_and_a_finished_one_conflicts,
    a_worker_runs_a_job_end_to_end_with_progress_and_usage,
    a_jobs_results_and_its_end_are_one_commit,
    the_running_jobs_cap_holds_per_account,
    the_estimate_prices_the_prompt_and_the_output_cap,
);

async fn open(backend: Backend) -> (Arc<Quire>, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: 8,
        ..Settings::default()
    };
    (
        Arc::new(Quire::open(settings).await.expect("open")),
        database,
    )
}

/// A tenant on the free plan (100 credits), with its balance set to `credits` through the
/// ledger.
async fn tenant(quire: &Quire, email: &str, credits: i64) -> Tenant {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await
        .expect("query")
        .expect("free plan");
    let registered = register::register(
        quire,
        Registration {
            email: email.to_owned(),
            password: "quiet-harbour-lantern-42".to_owned(),
            name: "Test".to_owned(),
            plan_id: Some(free.id),
            ..Registration::default()
        },
    )
    .await
    .expect("register");
    let adjustment = credits - registered.account.credits;
    if adjustment != 0 {
        let txn = sea_orm::TransactionTrait::begin(&quire.db)
            .await
            .expect("txn");
        quire_core::credits::ledger::apply(
            &txn,
            quire_core::credits::ledger::Entry {
                account_id: registered.account.id,
                amount: adjustment,
                kind: quire_core::entities::enums::CreditKind::Adjustment,
                idempotency_key: "test-balance".to_owned(),
                actor: "test".to_owned(),
                operation: None,
                payment_id: None,
                note: None,
            },
        )
        .await
        .expect("adjust");
        txn.commit().await.expect("commit");
    }
    let account = account::Entity::find_by_id(registered.account.id)
        .one(&quire.db)
        .await
        .expect("query")
        .expect("account");
    Tenant {
        user: registered.user,
        account,
        plan: registered.plan,
        session_id: "test".to_owned(),
    }
}

async fn balance(quire: &Quire, account_id: i64) -> i64 {
    account::Entity::find_by_id(account_id)
        .one(&quire.db)
        .await
        .expect("query")
        .expect("account")
        .credits
}

/// The account's balance equals the sum of its ledger and is never negative.
async fn assert_ledger_matches(quire: &Quire, account_id: i64) {
    let rows = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .all(&quire.db)
        .await
        .expect("query");
    let sum: i64 = rows.iter().map(|r| r.amount).sum();
    let now = balance(quire, account_id).await;
    assert_eq!(sum, now, "ledger sum vs balance");
    assert!(now >= 0);
    assert!(rows.iter().all(|r| r.balance_after >= 0));
}

fn job_of(kind: &str, reserve: i64) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        input: serde_json::json!({}),
        reserve,
    }
}

async fn fifty_parallel_reservations_against_ten_succeed_exactly_ten(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = Arc::new(tenant(&quire, "ada@example.com", 100).await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let quire = quire.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            queue::enqueue(&quire, &tenant, job_of("test", 10), 3).await
        }));
    }
    let mut succeeded = 0;
    let mut short = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => succeeded += 1,
            Err(Error::InsufficientCredits {
                required,
                available,
            }) => {
                assert_eq!(required, 10);
                assert!(available < 10);
                short += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((succeeded, short), (10, 40));
    assert_eq!(balance(&quire, tenant.account.id).await, 0);
    let jobs = job::Entity::find().all(&quire.db).await.expect("query");
    assert_eq!(jobs.len(), 10, "a refused reservation leaves no job behind");
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn claim(quire: &Quire, worker: &str) -> job::Model {
    queue::claim(&quire.db, worker, Duration::seconds(60), 10)
        .await
        .expect("claim")
        .expect("a job to claim")
}

async fn a_job_settles_once_and_returns_what_it_did_not_use(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    let queued = queue::enqueue(&quire, &tenant, job_of("test", 30), 3)
        .await
        .expect("enqueue");
    assert_eq!(queued.credit_state, CreditState::Reserved);
    assert_eq!(balance(&quire, tenant.account.id).await, 70);
    let running = claim(&quire, "w1").await;
    let done = queue::succeed(&quire.db, &running, &serde_json::json!({"ok": true}), 12)
        .await
        .expect("succeed")
        .expect("still ours");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.charged_credits, 12);
    assert_eq!(balance(&quire, tenant.account.id).await, 88);
    // The same settlement again (a retried worker) changes nothing.
    assert!(
        queue::succeed(&quire.db, &running, &serde_json::json!({}), 12)
            .await
            .expect("second succeed")
            .is_none()
    );
    assert_eq!(balance(&quire, tenant.account.id).await, 88);

    // An actual charge above the estimate is capped at the reservation.
    queue::enqueue(&quire, &tenant, job_of("test", 5), 3)
        .await
        .expect("enqueue");
    let running = claim(&quire, "w1").await;
    let done = queue::succeed(&quire.db, &running, &serde_json::json!({}), 9)
        .await
        .expect("succeed")
        .expect("ours");
    assert_eq!(done.charged_credits, 5);
    assert_eq!(balance(&quire, tenant.account.id).await, 83);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

/// Workers finishing jobs of one account at the same moment: each finish is recorded (none
/// fails on a busy database and runs again after its lease), each charged once.
async fn twenty_jobs_of_one_account_finish_at_once_and_none_is_lost(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    let mut running = Vec::new();
    for n in 0..20 {
        queue::enqueue(&quire, &tenant, job_of("test", 3), 3)
            .await
            .expect("enqueue");
        let claimed = queue::claim(&quire.db, &format!("w{n}"), Duration::seconds(60), 100)
            .await
            .expect("claim")
            .expect("a job to claim");
        running.push(claimed);
    }
    let finishes = running.into_iter().map(|job| {
        let quire = quire.clone();
        tokio::spawn(
            async move { queue::succeed(&quire.db, &job, &serde_json::json!({}), 2).await },
        )
    });
    for finish in finishes.collect::<Vec<_>>() {
        let done = finish.await.expect("task").expect("succeed");
        assert!(
            done.is_some(),
            "a worker holding its lease records its result"
        );
    }
    assert_eq!(balance(&quire, tenant.account.id).await, 100 - 20 * 2);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn a_failed_job_returns_every_credit(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 50).await;
    queue::enqueue(&quire, &tenant, job_of("test", 20), 3)
        .await
        .expect("enqueue");
    let running = claim(&quire, "w1").await;
    let failed = queue::fail(
        &quire.db,
        &running,
        "the model answered nonsense twice",
        false,
    )
    .await
    .expect("fail")
    .expect("ours");
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.credit_state, CreditState::Refunded);
    assert_eq!(balance(&quire, tenant.account.id).await, 50);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn a_dead_workers_job_is_retried_and_charged_once(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    queue::enqueue(&quire, &tenant, job_of("test", 40), 3)
        .await
        .expect("enqueue");
    // Worker 1 claims with a lease that is already over, then "dies".
    let dead = queue::claim(&quire.db, "w1", Duration::seconds(-1), 10)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(queue::sweep(&quire.db, Utc::now()).await.expect("sweep"), 1);
    let requeued = job::Entity::find_by_id(dead.id)
        .one(&quire.db)
        .await
        .expect("query")
        .expect("job");
    assert_eq!(requeued.status, JobStatus::Queued);
    assert_eq!(
        requeued.credit_state,
        CreditState::Reserved,
        "the reservation is kept"
    );
    assert_eq!(balance(&quire, tenant.account.id).await, 60);

    // Make the back-off pass, then worker 2 finishes it.
    let mut ready: job::ActiveModel = requeued.into();
    ready.run_after = Set(Utc::now() - Duration::seconds(1));
    ready.update(&quire.db).await.expect("update");
    let retried = claim(&quire, "w2").await;
    assert_eq!(retried.attempts, 2);
    queue::succeed(&quire.db, &retried, &serde_json::json!({}), 15)
        .await
        .expect("succeed")
        .expect("ours");
    // The dead worker waking up late cannot write anything.
    assert!(
        queue::succeed(&quire.db, &dead, &serde_json::json!({}), 40)
            .await
            .expect("late succeed")
            .is_none()
    );
    assert!(
        queue::fail(&quire.db, &dead, "late", false)
            .await
            .expect("late fail")
            .is_none()
    );
    assert_eq!(balance(&quire, tenant.account.id).await, 85);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn a_dead_workers_last_attempt_fails_and_is_refunded(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    queue::enqueue(&quire, &tenant, job_of("test", 40), 1)
        .await
        .expect("enqueue");
    queue::claim(&quire.db, "w1", Duration::seconds(-1), 10)
        .await
        .expect("claim")
        .expect("job");
    queue::sweep(&quire.db, Utc::now()).await.expect("sweep");
    let ended = job::Entity::find()
        .one(&quire.db)
        .await
        .expect("query")
        .expect("job");
    assert_eq!(ended.status, JobStatus::Failed);
    assert_eq!(ended.credit_state, CreditState::Refunded);
    assert_eq!(balance(&quire, tenant.account.id).await, 100);
    // A second sweep finds nothing to do.
    assert_eq!(queue::sweep(&quire.db, Utc::now()).await.expect("sweep"), 0);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn cancelling_a_queued_job_refunds_it_and_a_finished_one_conflicts(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    let queued = queue::enqueue(&quire, &tenant, job_of("test", 25), 3)
        .await
        .expect("enqueue");
    let canceled = queue::cancel(&quire.db, &tenant, queued.id)
        .await
        .expect("cancel");
    assert_eq!(canceled.status, JobStatus::Canceled);
    assert_eq!(balance(&quire, tenant.account.id).await, 100);
    assert!(matches!(
        queue::cancel(&quire.db, &tenant, queued.id).await,
        Err(Error::Conflict(_))
    ));
    let other = tenant_other(&quire).await;
    assert!(matches!(
        queue::cancel(&quire.db, &other, queued.id).await,
        Err(Error::NotFound)
    ));
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn tenant_other(quire: &Quire) -> Tenant {
    tenant(quire, "bob@example.com", 100).await
}

async fn the_running_jobs_cap_holds_per_account(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let ada = tenant(&quire, "ada@example.com", 100).await;
    let bob = tenant(&quire, "bob@example.com", 100).await;
    for _ in 0..2 {
        queue::enqueue(&quire, &ada, job_of("test", 1), 3)
            .await
            .expect("enqueue");
    }
    let bobs = queue::enqueue(&quire, &bob, job_of("test", 1), 3)
        .await
        .expect("enqueue");
    let lease = Duration::seconds(60);
    let first = queue::claim(&quire.db, "w1", lease, 1)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(first.account_id, ada.account.id);
    // Ada is at her cap of one running job: the next claim skips to Bob's.
    let second = queue::claim(&quire.db, "w2", lease, 1)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(second.id, bobs.id);
    assert!(
        queue::claim(&quire.db, "w3", lease, 1)
            .await
            .expect("claim")
            .is_none()
    );
    queue::succeed(&quire.db, &first, &serde_json::json!({}), 1)
        .await
        .expect("succeed");
    let third = queue::claim(&quire.db, "w3", lease, 1)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(third.account_id, ada.account.id);
}

async fn the_estimate_prices_the_prompt_and_the_output_cap(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let request = quire_core::ai::ChatRequest {
        operation: "auto_cluster_ai".to_owned(),
        system: "You group keywords.".to_owned(),
        user: "Group sourdough starter keywords.".to_owned(),
        max_output_tokens: 500,
        json: false,
        context: serde_json::Value::Null,
    };
    let tokens = quire_core::ai::tokens::estimate_request_tokens(&request);
    assert!(tokens > 500 && tokens < 600, "{tokens}");
    // offline-draft: one credit per 1k tokens → ceil(0.5x) = 1, under the minimum of 2.
    let estimate = quire_core::credits::pricing::estimate(&quire.db, "offline-draft", &request)
        .await
        .expect("estimate");
    assert_eq!(estimate, 2);
    // gpt-4o: five credits per 1k tokens → ceil(2.5x) = 3.
    let estimate = quire_core::credits::pricing::estimate(&quire.db, "gpt-4o", &request)
        .await
        .expect("estimate");
    assert_eq!(estimate, 3);
}

/// A handler that reports progress, logs one model call of 1,000 tokens and answers.
struct Scripted;

#[async_trait::async_trait]
impl JobHandler for Scripted {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError> {
        ctx.progress(50, "Halfway").await?;
        ctx.record_call(Call {
            account_id: ctx.job.account_id,
            user_id: ctx.job.user_id,
            job_id: Some(ctx.job.id),
            operation: "generate_ideas",
            provider: "offline",
            model: "offline-draft",
            input_tokens: 600,
            output_tokens: 400,
            latency_ms: 3,
            error: None,
        })
        .await?;
        Ok(serde_json::json!({"words": 1200}))
    }
}

/// A handler that renames its account as its "result", in the job's results transaction.
/// With `lose_the_job`, the job is re-queued inside that transaction before the end is
/// recorded, standing in for a sweep that took the job over while the results were written.
struct RenamesTheAccount {
    lose_the_job: bool,
}

#[async_trait::async_trait]
impl JobHandler for RenamesTheAccount {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError> {
        let Some(txn) = queue::results_transaction(&ctx.quire.db, &ctx.job).await? else {
            return Err(JobError::LeaseLost);
        };
        let mut renamed: account::ActiveModel = account::Entity::find_by_id(ctx.job.account_id)
            .one(&txn)
            .await
            .map_err(Error::from)?
            .expect("the account")
            .into();
        renamed.name = Set("Renamed by the job".to_owned());
        renamed.update(&txn).await.map_err(Error::from)?;
        if self.lose_the_job {
            let mut requeued: job::ActiveModel = ctx.job.clone().into();
            requeued.status = Set(JobStatus::Queued);
            requeued.worker_id = Set(None);
            requeued.update(&txn).await.map_err(Error::from)?;
        }
        ctx.succeed_with(txn, serde_json::json!({"renamed": true}))
            .await
    }
}

async fn account_name(quire: &Quire, account_id: i64) -> String {
    account::Entity::find_by_id(account_id)
        .one(&quire.db)
        .await
        .expect("query")
        .expect("the account")
        .name
}

async fn a_jobs_results_and_its_end_are_one_commit(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    let named = account_name(&quire, tenant.account.id).await;
    let handlers = |lose_the_job| {
        Handlers::default().with("rename", Arc::new(RenamesTheAccount { lose_the_job }))
    };

    // The end cannot be recorded: the results written beside it are not kept either, so a
    // later attempt cannot write them a second time.
    let lost = queue::enqueue(&quire, &tenant, job_of("rename", 10), 3)
        .await
        .expect("enqueue");
    worker::run_one(&quire, &handlers(true), claim(&quire, "w1").await).await;
    assert_eq!(account_name(&quire, tenant.account.id).await, named);
    let untouched = queue::get(&quire.db, &tenant, lost.id).await.expect("get");
    assert_eq!(untouched.status, JobStatus::Running);
    assert_eq!(untouched.result, None);
    assert_eq!(balance(&quire, tenant.account.id).await, 90);

    // Recorded: the results, the charge and the job's end land together, once.
    let kept = queue::enqueue(&quire, &tenant, job_of("rename", 10), 3)
        .await
        .expect("enqueue");
    let running = claim(&quire, "w2").await;
    assert_eq!(running.id, kept.id);
    worker::run_one(&quire, &handlers(false), running).await;
    assert_eq!(
        account_name(&quire, tenant.account.id).await,
        "Renamed by the job"
    );
    let done = queue::get(&quire.db, &tenant, kept.id).await.expect("get");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result.as_deref(), Some(r#"{"renamed":true}"#));
    assert_eq!(done.charged_credits, 0);
    assert_eq!(balance(&quire, tenant.account.id).await, 90);
    assert_ledger_matches(&quire, tenant.account.id).await;
}

async fn a_worker_runs_a_job_end_to_end_with_progress_and_usage(backend: Backend) {
    let (quire, _db) = open(backend).await;
    let tenant = tenant(&quire, "ada@example.com", 100).await;
    let queued = queue::enqueue(&quire, &tenant, job_of("scripted", 20), 3)
        .await
        .expect("enqueue");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = worker::spawn(
        quire.clone(),
        Handlers::default().with("scripted", Arc::new(Scripted)),
        1,
        stopped,
    );
    let mut finished = None;
    for _ in 0..200 {
        let current = queue::get(&quire.db, &tenant, queued.id)
            .await
            .expect("get");
        if current.status == JobStatus::Succeeded {
            finished = Some(current);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    let done = finished.expect("the job finished");
    // 1,000 tokens at one credit per 1k is 1 credit, under generate_ideas's minimum of 2.
    assert_eq!(done.charged_credits, 2);
    assert_eq!(done.progress, 100);
    assert_eq!(done.result.as_deref(), Some(r#"{"words":1200}"#));
    assert_eq!(balance(&quire, tenant.account.id).await, 98);
    let usage = quire_core::entities::ai_usage_log::Entity::find()
        .one(&quire.db)
        .await
        .expect("query")
        .expect("a usage row");
    assert_eq!(usage.job_id, Some(queued.id));
    assert_eq!(usage.credits_charged, 2);
    assert_eq!((usage.input_tokens, usage.output_tokens), (600, 400));
    assert_ledger_matches(&quire, tenant.account.id).await;

    // A job of a kind nobody handles fails and is refunded.
    let orphan = queue::enqueue(&quire, &tenant, job_of("unknown-kind", 10), 3)
        .await
        .expect("enqueue");
    let claimed = claim(&quire, "w9").await;
    worker::run_one(&quire, &Handlers::default(), claimed).await;
    let ended = queue::get(&quire.db, &tenant, orphan.id)
        .await
        .expect("get");
    assert_eq!(ended.status, JobStatus::Failed);
    assert_eq!(balance(&quire, tenant.account.id).await, 98);
}

/// Random sequences of grant, reserve, settle, refund and lease expiry keep the invariants:
/// balance = ledger sum ≥ 0, and every job's credits are settled or refunded at most once.
#[derive(Debug, Clone)]
enum Step {
    Grant(i64),
    Reserve(i64),
    Settle(usize, i64),
    Refund(usize),
    Expire(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..50).prop_map(Step::Grant),
        (0i64..60).prop_map(Step::Reserve),
        (0usize..8, 0i64..80).prop_map(|(j, a)| Step::Settle(j, a)),
        (0usize..8).prop_map(Step::Refund),
        (0usize..8).prop_map(Step::Expire),
    ]
}

#[test]
fn random_credit_sequences_keep_the_ledger_invariants() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut backends = vec![Backend::Sqlite];
    if quire_testkit::postgres_url().is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let (quire, _database) = runtime.block_on(open(backend));
        let counter = std::sync::atomic::AtomicUsize::new(0);
        proptest!(ProptestConfig::with_cases(24), |(steps in proptest::collection::vec(step(), 1..25))| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            runtime.block_on(run_steps(&quire, n, steps));
        });
    }
}

async fn run_steps(quire: &Quire, n: usize, steps: Vec<Step>) {
    let tenant = tenant(quire, &format!("p{n}@example.com"), 20).await;
    let mut jobs: Vec<job::Model> = Vec::new();
    let mut grants = 0;
    for step in steps {
        match step {
            Step::Grant(amount) => {
                grants += 1;
                let txn = sea_orm::TransactionTrait::begin(&quire.db)
                    .await
                    .expect("txn");
                quire_core::credits::ledger::apply(
                    &txn,
                    quire_core::credits::ledger::Entry {
                        account_id: tenant.account.id,
                        amount,
                        kind: quire_core::entities::enums::CreditKind::Adjustment,
                        idempotency_key: format!("grant-{grants}"),
                        actor: "test".to_owned(),
                        operation: None,
                        payment_id: None,
                        note: None,
                    },
                )
                .await
                .expect("grant");
                txn.commit().await.expect("commit");
            }
            Step::Reserve(amount) => {
                let before = balance(quire, tenant.account.id).await;
                match queue::enqueue(quire, &tenant, job_of("test", amount), 2).await {
                    Ok(job) => {
                        let claimed = queue::claim(&quire.db, "w", Duration::seconds(60), 100)
                            .await
                            .expect("claim")
                            .expect("the job just queued");
                        assert_eq!(claimed.id, job.id);
                        jobs.push(claimed);
                    }
                    Err(Error::InsufficientCredits { .. }) => {
                        assert!(amount > before);
                        assert_eq!(balance(quire, tenant.account.id).await, before);
                    }
                    Err(other) => panic!("{other:?}"),
                }
            }
            Step::Settle(index, actual) => {
                if let Some(job) = jobs.get(index % jobs.len().max(1)) {
                    queue::succeed(&quire.db, job, &serde_json::json!({}), actual)
                        .await
                        .expect("settle");
                }
            }
            Step::Refund(index) => {
                if let Some(job) = jobs.get(index % jobs.len().max(1)) {
                    queue::fail(&quire.db, job, "failed", false)
                        .await
                        .expect("refund");
                }
            }
            Step::Expire(index) => {
                if let Some(job) = jobs.get(index % jobs.len().max(1)) {
                    let mut row: job::ActiveModel = job.clone().into();
                    row.lease_until = Set(Some(Utc::now() - Duration::seconds(1)));
                    let _ = row.update(&quire.db).await;
                    queue::sweep(&quire.db, Utc::now()).await.expect("sweep");
                }
            }
        }
        assert_ledger_matches(quire, tenant.account.id).await;
    }
    // Each job's reservation was released at most once and charged at most once.
    let rows = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(tenant.account.id))
        .all(&quire.db)
        .await
        .expect("query");
    for job in &jobs {
        for suffix in ["reserve", "release", "usage"] {
            let key = format!("job:{}:{suffix}", job.id);
            assert!(
                rows.iter().filter(|r| r.idempotency_key == key).count() <= 1,
                "{key}"
            );
        }
    }
    // The cases share one database and the test claims whichever job is due: a job the sweep
    // queued again (due after its back-off) must not be claimed by a later case.
    for job in &jobs {
        match queue::cancel(&quire.db, &tenant, job.id).await {
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_ledger_matches(quire, tenant.account.id).await;
}
