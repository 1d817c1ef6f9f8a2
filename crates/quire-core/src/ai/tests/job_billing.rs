//! A job that calls the fake model, end to end on both databases: the exact credits and cost
//! of a success, and every credit returned when the model fails or answers nonsense twice.

use super::{fast_policy, openai_client};
use crate::{
    Quire,
    accounts::{
        principal::Tenant,
        register::{self, Registration},
    },
    ai::ChatRequest,
    config::Settings,
    entities::{
        account, ai_usage_log, credit_transaction,
        enums::{JobStatus, UsageStatus},
        model_rate, plan,
    },
    jobs::{
        queue::{self, NewJob},
        worker::{self, Handlers, JobContext, JobError, JobHandler},
    },
};
use chrono::Utc;
use quire_testkit::fake_openai::{
    ANSWER_MODEL, COMPLETION_TOKENS, FakeOpenAi, PROMPT_TOKENS, Reply, Script,
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::Arc;

quire_testkit::on_both_backends!(
    a_successful_call_charges_exactly_its_tokens_and_costs_exactly_its_rate,
    a_model_failing_every_time_fails_the_job_and_returns_every_credit,
    an_answer_that_is_not_json_twice_fails_the_job_and_returns_every_credit,
);

/// Calls the model once for JSON and answers with what it said.
struct AskForJson;

#[async_trait::async_trait]
impl JobHandler for AskForJson {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError> {
        let request = ChatRequest {
            operation: "generate_ideas".into(),
            system: "Answer in JSON.".into(),
            user: "alpha ideas about sourdough".into(),
            max_output_tokens: 200,
            json: true,
            context: serde_json::Value::Null,
        };
        let (answer, _) = ctx.complete_json(&request).await?;
        Ok(answer)
    }
}

struct Setup {
    quire: Arc<Quire>,
    tenant: Tenant,
    server: FakeOpenAi,
    _database: TestDatabase,
}

async fn setup(backend: Backend, script: Script) -> Setup {
    let database = TestDatabase::create(backend).await;
    let server = FakeOpenAi::start(script).await;
    let mut quire = Quire::open(Settings {
        database_url: database.url.clone(),
        database_max_connections: 5,
        ..Settings::default()
    })
    .await
    .expect("open");
    quire.ai = openai_client(&server.base_url, fast_policy(), 2);
    // $2 and $8 per million tokens; 50 credits per 1k tokens.
    let now = Utc::now();
    model_rate::ActiveModel {
        model: Set(ANSWER_MODEL.to_owned()),
        input_micro_usd_per_million: Set(2_000_000),
        output_micro_usd_per_million: Set(8_000_000),
        millicredits_per_1k_tokens: Set(50_000),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&quire.db)
    .await
    .expect("rate");
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await
        .expect("query")
        .expect("free plan");
    let registered = register::register(
        &quire,
        Registration {
            email: "ada@example.com".into(),
            password: "quiet-harbour-lantern-42".into(),
            name: "Ada".into(),
            plan_id: Some(free.id),
            ..Registration::default()
        },
    )
    .await
    .expect("register");
    let tenant = Tenant {
        user: registered.user,
        account: registered.account,
        plan: registered.plan,
        session_id: String::new(),
    };
    Setup {
        quire: Arc::new(quire),
        tenant,
        server,
        _database: database,
    }
}

/// Queues one job (holding 10 credits, one attempt) and runs it on a worker to its end.
async fn run_job(setup: &Setup) -> crate::entities::job::Model {
    let queued = queue::enqueue(
        &setup.quire,
        &setup.tenant,
        NewJob {
            kind: "ask".into(),
            input: serde_json::json!({}),
            reserve: 10,
        },
        1,
    )
    .await
    .expect("enqueue");
    let claimed = queue::claim(&setup.quire.db, "w", chrono::Duration::seconds(60), 5)
        .await
        .expect("claim")
        .expect("the job");
    worker::run_one(
        &setup.quire,
        &Handlers::default().with("ask", Arc::new(AskForJson)),
        claimed,
    )
    .await;
    queue::get(&setup.quire.db, &setup.tenant, queued.id)
        .await
        .expect("get")
}

async fn balance(setup: &Setup) -> i64 {
    account::Entity::find_by_id(setup.tenant.account.id)
        .one(&setup.quire.db)
        .await
        .expect("query")
        .expect("account")
        .credits
}

async fn usage_rows(setup: &Setup) -> Vec<ai_usage_log::Model> {
    ai_usage_log::Entity::find()
        .all(&setup.quire.db)
        .await
        .expect("query")
}

async fn ledger_sum(setup: &Setup) -> i64 {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(setup.tenant.account.id))
        .all(&setup.quire.db)
        .await
        .expect("query")
        .iter()
        .map(|r| r.amount)
        .sum()
}

async fn a_successful_call_charges_exactly_its_tokens_and_costs_exactly_its_rate(backend: Backend) {
    let setup = setup(backend, Script::default()).await;
    let job = run_job(&setup).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    // 57 + 17 = 74 tokens at 50 credits per 1k = 3.7 → 4 credits (above the minimum of 2).
    assert_eq!((PROMPT_TOKENS, COMPLETION_TOKENS), (57, 17));
    assert_eq!(job.charged_credits, 4);
    let rows = usage_rows(&setup).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.input_tokens, row.output_tokens), (57, 17));
    assert_eq!(row.credits_charged, 4);
    // 57 × $2/M + 17 × $8/M = 114 + 136 micro-dollars.
    assert_eq!(row.cost_micro_usd, 250);
    assert_eq!(row.model, ANSWER_MODEL);
    assert_eq!(row.provider, "openai");
    assert_eq!(row.status, UsageStatus::Succeeded);
    assert_eq!(balance(&setup).await, 100 - 4);
    assert_eq!(ledger_sum(&setup).await, 96);
}

async fn a_model_failing_every_time_fails_the_job_and_returns_every_credit(backend: Backend) {
    let setup = setup(
        backend,
        Script {
            fallback: Reply::ServerError,
            ..Script::default()
        },
    )
    .await;
    let job = run_job(&setup).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        setup.server.hits(),
        3,
        "the client retried before giving up"
    );
    assert_eq!(balance(&setup).await, 100);
    assert_eq!(ledger_sum(&setup).await, 100);
    let rows = usage_rows(&setup).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, UsageStatus::Failed);
    assert_eq!(rows[0].credits_charged, 0);
}

async fn an_answer_that_is_not_json_twice_fails_the_job_and_returns_every_credit(backend: Backend) {
    let setup = setup(
        backend,
        Script {
            fallback: Reply::ProseForJson,
            ..Script::default()
        },
    )
    .await;
    let job = run_job(&setup).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert!(
        job.error
            .as_deref()
            .unwrap_or_default()
            .contains("not valid JSON")
    );
    assert_eq!(setup.server.hits(), 2, "asked once more, then gave up");
    assert_eq!(balance(&setup).await, 100);
    assert_eq!(ledger_sum(&setup).await, 100);
}
