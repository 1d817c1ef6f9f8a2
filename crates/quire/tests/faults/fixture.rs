//! What the fault tests share: a PostgreSQL test database opened in the test process, tenants
//! on the free plan, a tenant's HTTP session with a `quire serve` child, the fake model's idea
//! answers, and the check that an account's books add up.

use quire_core::{
    Quire,
    accounts::register::{Registration, register},
    config::Settings,
    entities::{
        account, credit_transaction,
        enums::{CreditState, JobStatus},
        job, plan, subscription,
    },
};
use quire_testkit::{
    Backend, TestDatabase,
    fake_openai::{FakeOpenAi, Reply, Script},
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_quire");
const PASSWORD: &str = "quiet-harbour-lantern-42";

/// A fresh PostgreSQL database, or `None` after saying why the test is skipped.
pub async fn postgres_database() -> Option<TestDatabase> {
    if quire_testkit::postgres_url().is_none() {
        eprintln!("skipped: QUIRE_TEST_POSTGRES_URL is not set (fault tests run on PostgreSQL)");
        return None;
    }
    Some(TestDatabase::create(Backend::Postgres).await)
}

/// The database opened in the test process (migrated and seeded), to set up and to check.
pub async fn open(database: &TestDatabase) -> Quire {
    Quire::open(Settings {
        database_url: database.url.clone(),
        database_max_connections: 4,
        ..Settings::default()
    })
    .await
    .expect("open the test database")
}

pub struct Member {
    pub email: String,
    pub account_id: i64,
    pub subscription: subscription::Model,
}

/// Registers `email` on the free plan: active at once, with the plan's credits.
pub async fn free_member(quire: &Quire, email: &str) -> Member {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await
        .expect("query")
        .expect("the free plan");
    let registered = register(
        quire,
        Registration {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            name: "Fault".to_owned(),
            account_name: None,
            plan_id: Some(free.id),
            payment_method: None,
        },
    )
    .await
    .expect("registered");
    Member {
        email: email.to_owned(),
        account_id: registered.account.id,
        subscription: registered.subscription,
    }
}

/// The environment of a `quire serve` on `database_url`: the shortest lease allowed (5 s),
/// workers that poll often, and the fake model when given (else the offline provider).
pub fn serve_env(database_url: &str, model: Option<&FakeOpenAi>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("QUIRE_DATABASE_URL", database_url.to_owned()),
        ("QUIRE_DATABASE_MAX_CONNECTIONS", "5".to_owned()),
        ("QUIRE_JOBS__LEASE_SECONDS", "5".to_owned()),
        ("QUIRE_JOBS__POLL_MILLISECONDS", "20".to_owned()),
    ];
    if let Some(model) = model {
        env.extend([
            ("QUIRE_AI_PROVIDER", "openai".to_owned()),
            ("QUIRE_AI_BASE_URL", model.base_url.clone()),
            ("QUIRE_AI_MODEL", "gpt-test".to_owned()),
            ("QUIRE_AI_API_KEY", "sk-test".to_owned()),
        ]);
    }
    env
}

/// A model that proposes one idea per request, after `delay`.
pub fn ideas_model(delay: Duration) -> Script {
    Script {
        ok_delay: delay,
        ..Script::responding(|_| ideas_answer())
    }
}

/// One usable idea, 300 + 100 tokens.
pub fn ideas_answer() -> Reply {
    Reply::Answer {
        content: json!({"ideas": [{"title": "Trail shoes for wet days"}]}).to_string(),
        prompt_tokens: 300,
        completion_tokens: 100,
    }
}

/// A tenant signed in to one server.
pub struct Session {
    pub client: reqwest::Client,
    pub base: String,
    token: String,
}

impl Session {
    pub async fn login(base: &str, email: &str) -> Self {
        // Generous: set-up requests only; a test that bounds its requests says so per request.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let response = client
            .post(format!("{base}/api/v1/auth/login/"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("log in");
        assert_eq!(response.status(), StatusCode::OK);
        let session: Value = response.json().await.expect("json");
        Self {
            client,
            base: base.to_owned(),
            token: session["access"].as_str().expect("token").to_owned(),
        }
    }

    /// POSTs `body` to `path` as this tenant.
    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
    }

    /// POSTs and returns the `id` of what the answer (with `status`) holds.
    async fn id_of(&self, path: &str, body: Value, status: StatusCode) -> i64 {
        let response = self.post(path, &body).send().await.expect("request");
        assert_eq!(response.status(), status, "{path}");
        let answer: Value = response.json().await.expect("json");
        answer["id"].as_i64().expect("id")
    }

    /// A site and a sector in it; returns the sector.
    pub async fn sector(&self) -> i64 {
        let site = self
            .id_of(
                "/api/v1/auth/sites/",
                json!({"name": "Trail", "url": "https://trail.example.com"}),
                StatusCode::CREATED,
            )
            .await;
        self.id_of(
            "/api/v1/auth/sectors/",
            json!({"site_id": site, "name": "Running"}),
            StatusCode::CREATED,
        )
        .await
    }

    /// `count` clusters in a new sector.
    pub async fn clusters(&self, count: usize) -> Vec<i64> {
        let sector = self.sector().await;
        let mut ids = Vec::new();
        for n in 0..count {
            let body = json!({"sector_id": sector, "name": format!("Cluster {n}")});
            ids.push(
                self.id_of("/api/v1/planner/clusters/", body, StatusCode::CREATED)
                    .await,
            );
        }
        ids
    }

    /// Queues one idea for `cluster`; returns the job.
    pub async fn generate_ideas(&self, cluster: i64) -> i64 {
        let body = json!({"cluster_ids": [cluster], "ideas_per_cluster": 1});
        self.id_of(
            "/api/v1/planner/clusters/generate_ideas/",
            body,
            StatusCode::ACCEPTED,
        )
        .await
    }
}

/// Polls `done` every 50 ms until it holds; panics with `what` after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn jobs(quire: &Quire, ids: &[i64]) -> Vec<job::Model> {
    job::Entity::find()
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .all(&quire.db)
        .await
        .expect("jobs")
}

fn finished(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled
    )
}

/// Waits until every job of `ids` has ended, at most `limit`; returns them.
pub async fn wait_for_jobs(quire: &Quire, ids: &[i64], limit: Duration) -> Vec<job::Model> {
    let started = Instant::now();
    loop {
        let jobs = jobs(quire, ids).await;
        if jobs.len() == ids.len() && jobs.iter().all(|j| finished(j.status)) {
            return jobs;
        }
        assert!(
            started.elapsed() < limit,
            "jobs still unfinished after {limit:?}: {:?}",
            jobs.iter()
                .filter(|j| !finished(j.status))
                .map(|j| (j.id, j.status, j.attempts))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn assert_succeeded(job: &job::Model) {
    assert_eq!(
        job.status,
        JobStatus::Succeeded,
        "job {}: {:?}",
        job.id,
        job.error
    );
}

pub async fn balance(quire: &Quire, account_id: i64) -> i64 {
    account::Entity::find_by_id(account_id)
        .one(&quire.db)
        .await
        .expect("query")
        .expect("account")
        .credits
}

/// The account's books after `jobs` ended: each job's credits held once and returned once,
/// a succeeded job charged once (exactly its `charged_credits`), a failed one charged
/// nothing, and the ledger adding up to the balance.
pub async fn assert_books_balance(quire: &Quire, account_id: i64, jobs: &[job::Model]) {
    let ledger = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .all(&quire.db)
        .await
        .expect("ledger");
    let balance = balance(quire, account_id).await;
    assert_eq!(
        ledger.iter().map(|row| row.amount).sum::<i64>(),
        balance,
        "the ledger adds up to the balance"
    );
    for job in jobs {
        assert!(
            finished(job.status),
            "job {} ended: {:?}",
            job.id,
            job.status
        );
        assert!(job.reserved_credits > 0, "job {} held credits", job.id);
        let rows = |step: &str| -> Vec<&credit_transaction::Model> {
            let key = format!("job:{}:{step}", job.id);
            ledger.iter().filter(|r| r.idempotency_key == key).collect()
        };
        let held = rows("reserve");
        let returned = rows("release");
        assert_eq!(held.len(), 1, "job {} held once", job.id);
        assert_eq!(held[0].amount, -job.reserved_credits);
        assert_eq!(returned.len(), 1, "job {} returned its hold once", job.id);
        assert_eq!(returned[0].amount, job.reserved_credits);
        let charges = rows("usage");
        assert!(charges.len() <= 1, "job {} charged at most once", job.id);
        let charged = -charges.iter().map(|r| r.amount).sum::<i64>();
        assert_eq!(charged, job.charged_credits, "job {}'s charge", job.id);
        if job.status == JobStatus::Succeeded {
            assert_eq!(job.credit_state, CreditState::Settled, "job {}", job.id);
        } else {
            assert_eq!(job.credit_state, CreditState::Refunded, "job {}", job.id);
            assert_eq!(charged, 0, "failed job {} charged nothing", job.id);
        }
    }
}
