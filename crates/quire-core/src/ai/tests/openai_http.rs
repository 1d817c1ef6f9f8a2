//! The OpenAI-compatible provider through [`AiClient`] against the fake server.

use super::{API_KEY, MODEL, fast_policy, openai_client, request};
use crate::ai::{AiError, RetryPolicy, tokens};
use quire_testkit::fake_openai::{
    ANSWER_MODEL, COMPLETION_TOKENS, FakeOpenAi, JSON_ANSWER, PROMPT_TOKENS, Reply, Script,
    TEXT_ANSWER,
};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_successful_call_passes_the_reported_usage_through_exactly() {
    let server = FakeOpenAi::start(Script::default()).await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let response = client
        .complete(1, &request("hello there"))
        .await
        .expect("answer");
    assert_eq!(response.content, TEXT_ANSWER);
    assert_eq!(response.input_tokens, PROMPT_TOKENS);
    assert_eq!(response.output_tokens, COMPLETION_TOKENS);
    assert_eq!(response.provider, "openai");
    assert_eq!(response.model, ANSWER_MODEL);
    assert_eq!(response.attempts, 1);
    assert_eq!(server.hits(), 1);
    assert_eq!(client.provider_name(), "openai");
    assert_eq!(client.model(), MODEL);
}

#[tokio::test]
async fn the_request_carries_model_messages_token_limit_and_key() {
    let server = FakeOpenAi::start(Script::default()).await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    client
        .complete(1, &request("hello there"))
        .await
        .expect("answer");
    let seen = server.seen();
    let body = &seen[0].body;
    assert_eq!(body["model"], MODEL);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are a test."},
            {"role": "user", "content": "hello there"}
        ])
    );
    assert_eq!(body["max_tokens"], 64);
    assert!(body.get("max_completion_tokens").is_none());
    assert!(body.get("response_format").is_none());
    assert!(body.get("stream").is_none_or(|stream| stream == false));
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {API_KEY}").as_str())
    );
}

#[tokio::test]
async fn json_mode_sends_response_format_json_object() {
    let server = FakeOpenAi::start(Script::default()).await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let mut req = request("give me JSON");
    req.json = true;
    let response = client.complete(1, &req).await.expect("answer");
    assert_eq!(response.content, JSON_ANSWER);
    assert_eq!(
        server.seen()[0].body["response_format"],
        json!({"type": "json_object"})
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_once_the_wait_is_over() {
    let server = FakeOpenAi::start(Script {
        replies: vec![Reply::RateLimited {
            retry_after: Some("1"),
        }],
        ..Script::default()
    })
    .await;
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(5),
        ..fast_policy()
    };
    let client = openai_client(&server.base_url, policy, 2);
    let started = Instant::now();
    let response = client.complete(1, &request("hello")).await.expect("answer");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.attempts, 2);
    assert_eq!(server.hits(), 2);
    assert_eq!(response.input_tokens, PROMPT_TOKENS);
}

#[tokio::test]
async fn a_429_whose_retries_run_out_reports_the_retry_after() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::RateLimited {
            retry_after: Some("0"),
        },
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("rate limited");
    assert_eq!(
        error,
        AiError::RateLimited {
            retry_after: Some(Duration::ZERO)
        }
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_500_every_time_fails_after_max_attempts() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::ServerError,
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("server error");
    assert_eq!(error, AiError::Server { status: 500 });
    // Exactly max_attempts: async-openai's own retry layer is not in the way.
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_500_then_success_counts_both_attempts() {
    let server = FakeOpenAi::start(Script {
        replies: vec![Reply::ServerError, Reply::ServerError],
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let response = client.complete(1, &request("hello")).await.expect("answer");
    assert_eq!(response.attempts, 3);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_hang_longer_than_the_timeout_ends_in_timeout_after_retries() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::Hang(Duration::from_secs(30)),
        ..Script::default()
    })
    .await;
    let policy = RetryPolicy {
        max_attempts: 2,
        timeout: Duration::from_millis(200),
        ..fast_policy()
    };
    let client = openai_client(&server.base_url, policy, 2);
    let started = Instant::now();
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("timeout");
    assert_eq!(error, AiError::Timeout);
    assert_eq!(server.hits(), 2);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_bad_response_and_is_not_retried() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::Malformed,
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("bad body");
    assert!(matches!(error, AiError::BadResponse(_)), "{error:?}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn an_exhausted_quota_is_a_configuration_error_and_is_not_retried() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::QuotaExhausted,
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("quota");
    assert!(
        matches!(&error, AiError::Config(m) if m.contains("quota")),
        "{error:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_missing_usage_falls_back_to_local_counts() {
    let server = FakeOpenAi::start(Script {
        fallback: Reply::NoUsage,
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 2);
    let req = request("hello there");
    let response = client.complete(1, &req).await.expect("answer");
    assert_eq!(
        response.input_tokens,
        tokens::estimate_request_tokens(&req) - i64::from(req.max_output_tokens)
    );
    assert_eq!(response.output_tokens, tokens::count_tokens(TEXT_ANSWER));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let client = openai_client(&format!("http://{address}/v1"), fast_policy(), 2);
    let error = client
        .complete(1, &request("hello"))
        .await
        .expect_err("refused");
    assert!(matches!(error, AiError::Transport(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_is_capped_while_another_runs_alongside() {
    let delay = Duration::from_millis(300);
    let server = FakeOpenAi::start(Script {
        ok_delay: delay,
        ..Script::default()
    })
    .await;
    let client = openai_client(&server.base_url, fast_policy(), 1);
    let (first, second, other) = (
        request("acct1 first"),
        request("acct1 second"),
        request("acct2 only"),
    );
    let started = Instant::now();
    let (first, second, other) = tokio::join!(
        client.complete(1, &first),
        client.complete(1, &second),
        client.complete(2, &other),
    );
    let elapsed = started.elapsed();
    for result in [first, second, other] {
        result.expect("answer");
    }
    assert_eq!(server.max_in_flight("acct1"), 1);
    assert_eq!(server.max_in_flight("acct2"), 1);
    assert_eq!(server.max_in_flight_overall(), 2);
    // Account 1's calls ran one after the other; account 2's ran beside them.
    assert!(elapsed >= delay * 2, "{elapsed:?}");
    assert_eq!(client.tracked_accounts(), 0);
}
