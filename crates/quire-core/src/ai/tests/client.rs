//! [`AiClient`]'s retry policy, slots and construction, with a scripted in-process provider.

use super::fast_policy;
use crate::ai::{
    AiClient, AiError, ChatRequest, ChatResponse, OfflineProvider, Provider, RetryPolicy,
};
use crate::config::{AiProvider, Settings};
use secrecy::SecretString;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Answers from a list of results, then succeeds; counts calls.
struct Scripted {
    results: Mutex<VecDeque<Result<(), AiError>>>,
    calls: AtomicU32,
    delay: Duration,
}

impl Scripted {
    fn new(results: Vec<Result<(), AiError>>) -> Arc<Self> {
        Arc::new(Self {
            results: Mutex::new(results.into()),
            calls: AtomicU32::new(0),
            delay: Duration::ZERO,
        })
    }

    fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            results: Mutex::new(VecDeque::new()),
            calls: AtomicU32::new(0),
            delay,
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Provider for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn model(&self) -> &str {
        "scripted-1"
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, AiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let next = self.results.lock().expect("lock").pop_front();
        next.unwrap_or(Ok(()))?;
        Ok(ChatResponse {
            content: request.user.clone(),
            input_tokens: 1,
            output_tokens: 1,
            provider: "scripted",
            model: "scripted-1".into(),
            latency: self.delay,
            attempts: 1,
        })
    }
}

fn request() -> ChatRequest {
    super::request("hello")
}

#[test]
fn back_off_grows_exponentially_between_base_and_max() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1000),
        timeout: Duration::from_secs(1),
    };
    let error = AiError::Server { status: 502 };
    for _ in 0..50 {
        assert_eq!(policy.delay_after(1, &error), Duration::from_millis(100));
        let second = policy.delay_after(2, &error);
        assert!((100..=200).contains(&second.as_millis()), "{second:?}");
        let fourth = policy.delay_after(4, &error);
        assert!((100..=800).contains(&fourth.as_millis()), "{fourth:?}");
        let late = policy.delay_after(40, &error);
        assert!((100..=1000).contains(&late.as_millis()), "{late:?}");
    }
}

#[test]
fn retry_after_replaces_the_back_off_and_is_capped() {
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(2),
        ..fast_policy()
    };
    let wait = |seconds| AiError::RateLimited {
        retry_after: Some(Duration::from_secs(seconds)),
    };
    assert_eq!(policy.delay_after(1, &wait(1)), Duration::from_secs(1));
    assert_eq!(policy.delay_after(1, &wait(60)), Duration::from_secs(2));
    let without = policy.delay_after(1, &AiError::RateLimited { retry_after: None });
    assert_eq!(without, policy.base_delay);
}

#[test]
fn only_transient_errors_are_retryable() {
    assert!(AiError::RateLimited { retry_after: None }.is_retryable());
    assert!(AiError::Server { status: 503 }.is_retryable());
    assert!(AiError::Timeout.is_retryable());
    assert!(AiError::Transport("reset".into()).is_retryable());
    assert!(!AiError::BadResponse("junk".into()).is_retryable());
    assert!(!AiError::Config("no key".into()).is_retryable());
}

#[tokio::test]
async fn a_bad_response_is_returned_at_once() {
    let provider = Scripted::new(vec![Err(AiError::BadResponse("junk".into()))]);
    let client = AiClient::new(provider.clone(), fast_policy(), 1);
    let error = client.complete(7, &request()).await.expect_err("bad");
    assert_eq!(error, AiError::BadResponse("junk".into()));
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn transient_errors_are_retried_and_attempts_counted() {
    let provider = Scripted::new(vec![
        Err(AiError::Timeout),
        Err(AiError::Transport("reset".into())),
    ]);
    let client = AiClient::new(provider.clone(), fast_policy(), 1);
    let response = client.complete(7, &request()).await.expect("answer");
    assert_eq!(response.attempts, 3);
    assert_eq!(provider.calls(), 3);
}

#[tokio::test]
async fn zero_max_attempts_still_makes_one() {
    let provider = Scripted::new(vec![Err(AiError::Timeout)]);
    let policy = RetryPolicy {
        max_attempts: 0,
        ..fast_policy()
    };
    let client = AiClient::new(provider.clone(), policy, 0);
    assert_eq!(client.complete(7, &request()).await, Err(AiError::Timeout));
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn idle_accounts_are_forgotten_even_after_a_cancelled_wait() {
    let provider = Scripted::slow(Duration::from_millis(100));
    let client = AiClient::new(provider, fast_policy(), 1);
    let request = request();
    let running = client.complete(3, &request);
    let waiting = tokio::time::timeout(Duration::from_millis(20), client.complete(3, &request));
    let (done, cancelled) = tokio::join!(running, waiting);
    done.expect("answer");
    assert!(
        cancelled.is_err(),
        "the second call should still be waiting"
    );
    assert_eq!(client.tracked_accounts(), 0);
}

#[tokio::test]
async fn settings_choose_the_offline_provider_by_default() {
    let client = AiClient::from_settings(&Settings::default()).expect("offline");
    assert_eq!(client.provider_name(), "offline");
    assert_eq!(client.model(), "offline-draft");
    let response = client.complete(1, &request()).await.expect("draft");
    assert_eq!(response.provider, "offline");
    assert_eq!(response.attempts, 1);
    assert_eq!(OfflineProvider.name(), client.provider_name());
}

#[test]
fn settings_choose_the_openai_provider_and_hide_the_key() {
    let settings = Settings {
        ai_provider: AiProvider::Openai,
        ai_base_url: Some("http://127.0.0.1:11434/v1".into()),
        ai_api_key: Some(SecretString::from("sk-very-secret")),
        ai_model: Some("llama3.1".into()),
        ..Settings::default()
    };
    let client = AiClient::from_settings(&settings).expect("openai");
    assert_eq!(client.provider_name(), "openai");
    assert_eq!(client.model(), "llama3.1");
    let printed = format!("{client:?}");
    assert!(printed.contains("llama3.1"));
    assert!(!printed.contains("sk-very-secret"));

    let without_model = Settings {
        ai_model: None,
        ..settings
    };
    assert!(matches!(
        AiClient::from_settings(&without_model),
        Err(AiError::Config(_))
    ));
}
