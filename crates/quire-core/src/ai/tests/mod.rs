//! Tests of the AI core against a fake OpenAI-compatible server and a scripted provider.

mod client;
mod job_billing;
mod openai_http;
mod prompt_overrides;

use super::{AiClient, ChatRequest, OpenAiProvider, RetryPolicy};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

const API_KEY: &str = "sk-test-0123456789";
const MODEL: &str = "gpt-test";

/// Millisecond back-off so failure paths stay fast.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
    }
}

fn request(user: &str) -> ChatRequest {
    ChatRequest {
        operation: "smoke_test".into(),
        system: "You are a test.".into(),
        user: user.into(),
        max_output_tokens: 64,
        json: false,
        context: serde_json::Value::Null,
    }
}

fn openai_client(base_url: &str, policy: RetryPolicy, per_account: usize) -> AiClient {
    let key = SecretString::from(API_KEY);
    let provider = OpenAiProvider::new(base_url, Some(&key), MODEL).expect("valid provider");
    AiClient::new(Arc::new(provider), policy, per_account)
}
