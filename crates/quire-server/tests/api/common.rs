//! The test harness: the real app on port 0 with its own fresh database (a temp SQLite file,
//! or a new PostgreSQL database dropped afterwards), plus helpers to drive it.

use quire_core::{
    Quire,
    clock::ManualClock,
    config::Settings,
    db::Db,
    notifications::{Mailer, Outbox},
};
pub use quire_testkit::{Backend, TestDatabase};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub quire: Arc<Quire>,
    /// The time billing sees; starts at the real time and moves only when a test moves it.
    pub clock: ManualClock,
    /// Every email the app sent.
    pub outbox: Outbox,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub database: Arc<TestDatabase>,
}

/// Settings for tests: the given database, a generous login throttle unless a test says
/// otherwise.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings {
        database_url: database_url.to_owned(),
        database_max_connections: 5,
        ..Settings::default()
    };
    settings.login_throttle.max_failures_per_email = 1_000;
    settings.login_throttle.max_failures_per_address = 1_000;
    settings
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        let database = Arc::new(TestDatabase::create(backend).await);
        Self::spawn_on(database, configure).await
    }

    /// Starts an app on an existing test database (for restarts).
    pub async fn spawn_on(
        database: Arc<TestDatabase>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = test_settings(&database.url);
        configure(&mut settings);
        let mut quire = Quire::open(settings).await.expect("open quire");
        let clock = ManualClock::new(chrono::Utc::now());
        let (mailer, outbox) = Mailer::memory();
        quire.clock = clock.clock();
        quire.mailer = mailer;
        let quire = Arc::new(quire);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(quire_server::serve(listener, quire.clone(), async {
            let _ = rx.await;
        }));
        let app = Self {
            base,
            client: Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            quire,
            clock,
            outbox,
            shutdown: Some(tx),
            server: Some(server),
            database,
        };
        app.wait_until_ready().await;
        app
    }

    async fn wait_until_ready(&self) {
        for _ in 0..500 {
            if let Ok(response) = self.client.get(self.url("/readyz")).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the app did not become ready");
    }

    /// Stops the server and closes its pool, keeping the database for another app.
    pub async fn stop(mut self) -> Arc<TestDatabase> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.database.clone()
    }

    pub fn db(&self) -> &Db {
        &self.quire.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Any method, optional bearer token, optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Registers on `plan_slug` and logs in, making the account active first when the plan
    /// would leave it waiting for payment. Returns the access token.
    pub async fn active_member(&self, email: &str, plan_slug: &str) -> String {
        use quire_core::entities::{account, enums::AccountStatus};
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let registered = self.register(email, plan_slug).await;
        let account_id = registered["account"]["id"].as_i64().expect("account id");
        let row = account::Entity::find_by_id(account_id)
            .one(self.db())
            .await
            .expect("query")
            .expect("account");
        if row.status == AccountStatus::PendingPayment {
            let mut active: account::ActiveModel = row.into();
            active.status = Set(AccountStatus::Active);
            active.update(self.db()).await.expect("activate");
        }
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let session: Value = response.json().await.expect("json");
        session["access"].as_str().expect("token").to_owned()
    }

    /// The tenant context of `email`'s account, as the gates would build it.
    pub async fn tenant(&self, email: &str) -> quire_core::accounts::principal::Tenant {
        use quire_core::entities::{account, plan, user};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let user = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.db())
            .await
            .expect("query")
            .expect("user");
        let account = account::Entity::find_by_id(user.account_id.expect("member"))
            .one(self.db())
            .await
            .expect("query")
            .expect("account");
        let plan = plan::Entity::find_by_id(account.plan_id.expect("plan"))
            .one(self.db())
            .await
            .expect("query")
            .expect("plan");
        quire_core::accounts::principal::Tenant {
            user,
            account,
            plan,
            session_id: String::new(),
        }
    }

    /// The id of the active plan with this slug (from the seeded catalogue).
    pub async fn plan_id(&self, slug: &str) -> i64 {
        let plans: Value = self
            .get("/api/v1/auth/plans/", None)
            .await
            .json()
            .await
            .expect("json");
        plans
            .as_array()
            .expect("array")
            .iter()
            .find(|p| p["slug"] == slug)
            .and_then(|p| p["id"].as_i64())
            .unwrap_or_else(|| panic!("no plan {slug}"))
    }

    /// Registers on the plan with this slug; panics unless it answers 201.
    pub async fn register(&self, email: &str, plan_slug: &str) -> Value {
        let plan_id = self.plan_id(plan_slug).await;
        let response = self
            .post(
                "/api/v1/auth/register/",
                &json!({
                    "email": email,
                    "password": PASSWORD,
                    "name": "Test Owner",
                    "account_name": format!("{email} account"),
                    "plan_id": plan_id,
                    "payment_method": "bank_transfer",
                }),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login/",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// Registers on the free plan and logs in; returns the login body.
    pub async fn signed_in_free_member(&self, email: &str) -> Value {
        self.register(email, "free").await;
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }
}

/// Job workers running for a test; they stop when this is dropped.
pub struct Workers {
    _stop: tokio::sync::watch::Sender<bool>,
    _tasks: tokio::task::JoinSet<()>,
}

impl TestApp {
    /// Starts `count` job workers with every handler of this build.
    pub fn start_workers(&self, count: usize) -> Workers {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let tasks = quire_core::jobs::worker::spawn(
            self.quire.clone(),
            quire_core::jobs::handlers(),
            count,
            stopped,
        );
        Workers {
            _stop: stop,
            _tasks: tasks,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A password that meets the rule.
pub const PASSWORD: &str = "quiet-harbour-lantern-42";

/// Reads the JSON body.
pub async fn body(response: Response) -> Value {
    response.json().await.expect("json body")
}
