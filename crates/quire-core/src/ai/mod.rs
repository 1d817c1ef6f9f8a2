//! AI core: the provider interface, the retrying per-account-capped client, prompts and token counting.

mod client;
pub mod offline;
mod offline_json;
pub mod openai;
pub mod prompts;
pub mod tokens;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use client::{AiClient, RetryPolicy};
pub use offline::OfflineProvider;
pub use openai::OpenAiProvider;

/// One chat call: a system and a user message for a named operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// What the call is for (`outline`, `section`…); logged, and the offline provider names it.
    pub operation: String,
    pub system: String,
    pub user: String,
    /// Upper bound on generated tokens, sent to the model.
    pub max_output_tokens: u32,
    /// Ask for a JSON object (`response_format: json_object`). The prompt must say "JSON" for
    /// OpenAI to accept it. The content is not validated here: a reply that does not parse still
    /// used tokens, so the caller decides whether to charge and re-prompt.
    pub json: bool,
    /// The facts the prompt was written from (`Null` when none). Models read the prompt; the
    /// offline provider drafts its answer from these.
    pub context: serde_json::Value,
}

/// A model's answer with what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatResponse {
    pub content: String,
    /// Prompt tokens as the provider reports them.
    pub input_tokens: i64,
    /// Generated tokens as the provider reports them.
    pub output_tokens: i64,
    /// `openai` or `offline`.
    pub provider: &'static str,
    /// The model that answered, as the provider names it (may be more specific than the one asked for).
    pub model: String,
    /// Duration of the successful attempt, back-off and queueing excluded.
    pub latency: Duration,
    /// Attempts made, the successful one included (set by [`AiClient`]; 1 from a bare provider).
    pub attempts: u32,
}

/// Why a model call failed. Provider messages may appear in the text: log it, do not show it to tenants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// HTTP 429; `retry_after` from the `Retry-After` (or `retry-after-ms`) header when given.
    #[error("the AI provider is rate limiting requests")]
    RateLimited { retry_after: Option<Duration> },
    /// HTTP 5xx.
    #[error("the AI provider failed with HTTP {status}")]
    Server { status: u16 },
    #[error("the AI provider did not answer in time")]
    Timeout,
    /// A body that is not a usable chat completion, or a request the provider refused as invalid
    /// (HTTP 400, 413, 422…). Not retried by [`AiClient`]; the caller may re-prompt.
    #[error("unusable answer from the AI provider: {0}")]
    BadResponse(String),
    /// Settings, API key, model name, quota or a prompt template are wrong: an operator must act.
    #[error("AI configuration: {0}")]
    Config(String),
    /// The provider could not be reached (connection refused, reset, DNS, TLS…).
    #[error("could not reach the AI provider: {0}")]
    Transport(String),
}

impl AiError {
    /// Whether trying the same request again may succeed: rate limits, server errors, time-outs
    /// and transport failures.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AiError::RateLimited { .. }
                | AiError::Server { .. }
                | AiError::Timeout
                | AiError::Transport(_)
        )
    }
}

/// A chat model behind one interface.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Short stable name recorded with usage: `openai`, `offline`.
    fn name(&self) -> &'static str;
    /// The configured model.
    fn model(&self) -> &str;
    /// One attempt, no retries and no time-out of its own ([`AiClient`] adds both).
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, AiError>;
}
