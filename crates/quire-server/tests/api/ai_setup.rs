//! Shared setup of the AI-operation tests: an app whose model is the fake OpenAI server (or
//! the offline provider), priced at known rates, with an active agency member, a site, a
//! sector and job workers running.

use crate::common::{Backend, TestApp, Workers, body};
use quire_core::entities::{account, ai_usage_log, model_rate};
use quire_testkit::fake_openai::{ANSWER_MODEL, FakeOpenAi, Reply, Script};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// The fake model's usage per call, and its rates: 50 credits per 1k tokens, $2/$8 per
/// million input/output tokens.
pub const PROMPT_TOKENS: i64 = 300;
pub const COMPLETION_TOKENS: i64 = 100;
/// ceil(400 × 50 / 1000).
pub const CREDITS_PER_CALL: i64 = 20;
/// 300 × 2 + 100 × 8 micro-dollars.
pub const COST_PER_CALL: i64 = 1_400;

/// A fake-model answer with this content and the usage above.
pub fn answer(content: Value) -> Reply {
    Reply::Answer {
        content: content.to_string(),
        prompt_tokens: PROMPT_TOKENS,
        completion_tokens: COMPLETION_TOKENS,
    }
}

pub struct AiApp {
    pub app: TestApp,
    pub token: String,
    pub account: i64,
    pub sector: i64,
    /// Dropping them stops the workers.
    pub workers: Option<Workers>,
    _model: Option<FakeOpenAi>,
}

/// The app on the fake model running `script`, or on the offline provider when `None`.
pub async fn ai_app(backend: Backend, script: Option<Script>) -> AiApp {
    let model = match script {
        Some(script) => Some(FakeOpenAi::start(script).await),
        None => None,
    };
    let base_url = model.as_ref().map(|m| m.base_url.clone());
    let app = TestApp::spawn_with(backend, |settings| {
        settings.jobs.poll_milliseconds = 20;
        settings.jobs.max_attempts = 1;
        settings.ai_max_attempts = 1;
        if let Some(base_url) = base_url {
            settings.ai_provider = quire_core::config::AiProvider::Openai;
            settings.ai_base_url = Some(base_url);
            settings.ai_model = Some("gpt-test".to_owned());
            settings.ai_api_key = Some("sk-test".to_owned().into());
        }
    })
    .await;
    let now = chrono::Utc::now();
    for model in ["gpt-test", ANSWER_MODEL] {
        model_rate::ActiveModel {
            model: Set(model.to_owned()),
            input_micro_usd_per_million: Set(2_000_000),
            output_micro_usd_per_million: Set(8_000_000),
            millicredits_per_1k_tokens: Set(50_000),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(app.db())
        .await
        .expect("rate");
    }
    let token = app.active_member("ada@example.com", "agency-monthly").await;
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Ada's", "url": "https://ada.example.com"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Running"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    let account = body(app.get("/api/v1/auth/me/", Some(&token)).await).await["account"]["id"]
        .as_i64()
        .expect("account");
    let workers = app.start_workers(1);
    AiApp {
        app,
        token,
        account,
        sector,
        workers: Some(workers),
        _model: model,
    }
}

impl AiApp {
    pub async fn balance(&self) -> i64 {
        account::Entity::find_by_id(self.account)
            .one(self.app.db())
            .await
            .expect("query")
            .expect("account")
            .credits
    }

    /// Keywords added to the sector directly (adding keywords is tested on its own).
    pub async fn keywords(&self, texts: &[&str]) -> Vec<i64> {
        let mut ids = Vec::new();
        for (n, text) in texts.iter().enumerate() {
            let volume = 1_000 - i64::try_from(n).expect("small");
            ids.push(
                crate::f3b_clusters_ideas::insert_keyword(&self.app, self.sector, text, volume)
                    .await,
            );
        }
        ids
    }

    /// POSTs an AI operation and waits for its job to end; returns the finished job.
    pub async fn run(&self, path: &str, request: Value) -> Value {
        let response = self
            .app
            .post(&format!("{path}?wait=30"), &request, Some(&self.token))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{path}");
        assert!(response.headers().contains_key("location"));
        body(response).await
    }

    /// The account's usage rows, of one operation when given.
    pub async fn usage(&self, operation: Option<&str>) -> Vec<ai_usage_log::Model> {
        let mut select =
            ai_usage_log::Entity::find().filter(ai_usage_log::Column::AccountId.eq(self.account));
        if let Some(operation) = operation {
            select = select.filter(ai_usage_log::Column::Operation.eq(operation));
        }
        select.all(self.app.db()).await.expect("usage")
    }
}
