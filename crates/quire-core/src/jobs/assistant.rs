//! What the model-backed operations need from the world: prompts and JSON answers.
//! A job answers through its [`JobContext`] (charged, logged, operator prompt overrides);
//! the evaluation command answers through a bare [`AiClient`] with the built-in prompts.

use crate::{
    Error,
    ai::{AiClient, ChatRequest, prompts},
    db::Db,
    jobs::worker::{JobContext, JobError},
};
use std::sync::atomic::{AtomicI64, Ordering};

/// A model the clustering methods can ask.
#[async_trait::async_trait]
pub trait Assistant: Send + Sync {
    /// Where operators' prompt overrides are read from; `None` uses the built-in prompts.
    fn prompts_db(&self) -> Option<&Db>;

    /// The model's JSON answer to `request`.
    async fn ask_json(&self, request: &ChatRequest) -> Result<serde_json::Value, JobError>;

    /// Reports progress, when there is someone to report to.
    async fn progress(&self, percent: i32, message: &str) -> Result<(), JobError>;
}

/// The JSON request for `template` rendered with `vars` (the operator's override when `db`
/// is given and holds one); `vars` also go along as the offline provider's context.
pub async fn json_request(
    db: Option<&Db>,
    template: &str,
    operation: &str,
    vars: serde_json::Value,
    max_output_tokens: u32,
) -> Result<ChatRequest, Error> {
    let rendered = match db {
        Some(db) => prompts::prompt_for(db, template, &vars).await?,
        None => prompts::default_template(template)
            .ok_or_else(|| Error::Internal(format!("no prompt template {template}")))?
            .render(None, &vars)
            .map_err(|e| Error::Internal(e.to_string()))?,
    };
    Ok(ChatRequest {
        operation: operation.to_owned(),
        system: rendered.system,
        user: rendered.user,
        max_output_tokens,
        json: true,
        context: vars,
    })
}

#[async_trait::async_trait]
impl Assistant for JobContext {
    fn prompts_db(&self) -> Option<&Db> {
        Some(&self.quire.db)
    }

    async fn ask_json(&self, request: &ChatRequest) -> Result<serde_json::Value, JobError> {
        Ok(self.complete_json(request).await?.0)
    }

    async fn progress(&self, percent: i32, message: &str) -> Result<(), JobError> {
        JobContext::progress(self, percent, message).await
    }
}

/// A bare client with the built-in prompts, for the evaluation command; it counts the tokens
/// its calls used.
pub struct DirectAssistant {
    pub client: AiClient,
    pub tokens: AtomicI64,
    pub calls: AtomicI64,
}

impl DirectAssistant {
    pub fn new(client: AiClient) -> Self {
        Self {
            client,
            tokens: AtomicI64::new(0),
            calls: AtomicI64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl Assistant for DirectAssistant {
    fn prompts_db(&self) -> Option<&Db> {
        None
    }

    async fn ask_json(&self, request: &ChatRequest) -> Result<serde_json::Value, JobError> {
        let answer = self
            .client
            .complete(0, request)
            .await
            .map_err(|e| JobError::Fatal(e.to_string()))?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.tokens.fetch_add(
            answer.input_tokens + answer.output_tokens,
            Ordering::Relaxed,
        );
        serde_json::from_str(&answer.content)
            .map_err(|e| JobError::Fatal(format!("the answer was not JSON: {e}")))
    }

    async fn progress(&self, _percent: i32, _message: &str) -> Result<(), JobError> {
        Ok(())
    }
}
