//! A fake OpenAI-compatible server on loopback: answers from a script (fixed replies, given
//! contents, or a function of the request), can fail on demand, and counts requests and how
//! many were in flight at once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PROMPT_TOKENS: i64 = 57;
pub const COMPLETION_TOKENS: i64 = 17;
pub const ANSWER_MODEL: &str = "gpt-test-2025-01-01";
pub const TEXT_ANSWER: &str = "Hello from the fake model.";
pub const JSON_ANSWER: &str = r#"{"greeting":"hello"}"#;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a chat completion and `usage`, after the configured delay.
    Ok,
    /// 200 with this content and this usage, after the configured delay.
    Answer {
        content: String,
        prompt_tokens: i64,
        completion_tokens: i64,
    },
    /// 200 with a chat completion but no `usage`.
    NoUsage,
    /// 429 `rate_limit_exceeded`, with `Retry-After` when given.
    RateLimited { retry_after: Option<&'static str> },
    /// 429 `insufficient_quota`.
    QuotaExhausted,
    /// 500 with an OpenAI error body.
    ServerError,
    /// Waits this long, then answers like `Ok`.
    Hang(Duration),
    /// 200 with a cut-off JSON body.
    Malformed,
    /// 200 with prose where JSON was asked for (a model ignoring the format).
    ProseForJson,
}

/// Builds the reply to a request from its JSON body.
pub type Responder = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

/// How the server behaves: `replies` in order, then `responder` (when set) or `fallback` for
/// every later request.
#[derive(Clone)]
pub struct Script {
    pub replies: Vec<Reply>,
    pub fallback: Reply,
    pub responder: Option<Responder>,
    pub ok_delay: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            replies: Vec::new(),
            fallback: Reply::Ok,
            responder: None,
            ok_delay: Duration::ZERO,
        }
    }
}

impl Script {
    /// Answers every request with `respond(request body)`.
    pub fn responding(respond: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> Self {
        Self {
            responder: Some(Arc::new(respond)),
            ..Self::default()
        }
    }
}

/// The user message of a chat-completion request body.
pub fn user_message(body: &Value) -> &str {
    body["messages"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub body: Value,
    pub authorization: Option<String>,
}

pub struct FakeOpenAi {
    /// The API root to configure, ending in `/v1`.
    pub base_url: String,
    state: Arc<ServerState>,
}

struct ServerState {
    replies: Mutex<VecDeque<Reply>>,
    fallback: Reply,
    responder: Option<Responder>,
    ok_delay: Duration,
    hits: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    in_flight: Mutex<InFlight>,
}

/// Requests in flight now and at most, overall and per tag (the user message's first word).
#[derive(Default)]
struct InFlight {
    now: HashMap<String, usize>,
    max: HashMap<String, usize>,
    total_now: usize,
    total_max: usize,
}

struct InFlightGuard {
    state: Arc<ServerState>,
    tag: String,
}

impl InFlightGuard {
    fn enter(state: &Arc<ServerState>, tag: &str) -> Self {
        let mut in_flight = state.in_flight.lock().expect("lock");
        let now = in_flight.now.entry(tag.to_owned()).or_default();
        *now += 1;
        let now = *now;
        let max = in_flight.max.entry(tag.to_owned()).or_default();
        *max = (*max).max(now);
        in_flight.total_now += 1;
        in_flight.total_max = in_flight.total_max.max(in_flight.total_now);
        Self {
            state: Arc::clone(state),
            tag: tag.to_owned(),
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut in_flight = self.state.in_flight.lock().expect("lock");
        if let Some(now) = in_flight.now.get_mut(&self.tag) {
            *now -= 1;
        }
        in_flight.total_now -= 1;
    }
}

impl FakeOpenAi {
    pub async fn start(script: Script) -> Self {
        let state = Arc::new(ServerState {
            replies: Mutex::new(script.replies.into()),
            fallback: script.fallback,
            responder: script.responder,
            ok_delay: script.ok_delay,
            hits: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            in_flight: Mutex::new(InFlight::default()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base_url: format!("http://{address}/v1"),
            state,
        }
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    /// Most requests in flight at once whose user message starts with `tag`.
    pub fn max_in_flight(&self, tag: &str) -> usize {
        let in_flight = self.state.in_flight.lock().expect("lock");
        in_flight.max.get(tag).copied().unwrap_or(0)
    }

    /// Most requests in flight at once, all tags.
    pub fn max_in_flight_overall(&self) -> usize {
        self.state.in_flight.lock().expect("lock").total_max
    }
}

async fn chat_completions(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let tag = user_message(&body)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned();
    let json_mode = body["response_format"]["type"] == "json_object";
    let scripted = state.replies.lock().expect("lock").pop_front();
    let reply = scripted.unwrap_or_else(|| match &state.responder {
        Some(respond) => respond(&body),
        None => state.fallback.clone(),
    });
    state.seen.lock().expect("lock").push(Seen {
        body,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let _in_flight = InFlightGuard::enter(&state, &tag);
    let canned = |json: bool| if json { JSON_ANSWER } else { TEXT_ANSWER };
    match reply {
        Reply::Ok => {
            tokio::time::sleep(state.ok_delay).await;
            completion(canned(json_mode), Some((PROMPT_TOKENS, COMPLETION_TOKENS)))
        }
        Reply::Answer {
            content,
            prompt_tokens,
            completion_tokens,
        } => {
            tokio::time::sleep(state.ok_delay).await;
            completion(&content, Some((prompt_tokens, completion_tokens)))
        }
        Reply::NoUsage => completion(canned(json_mode), None),
        Reply::ProseForJson => completion(TEXT_ANSWER, Some((PROMPT_TOKENS, COMPLETION_TOKENS))),
        Reply::Hang(duration) => {
            tokio::time::sleep(duration).await;
            completion(canned(json_mode), Some((PROMPT_TOKENS, COMPLETION_TOKENS)))
        }
        Reply::RateLimited { retry_after } => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests",
                "requests",
                "rate_limit_exceeded",
            );
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.parse().expect("header value"));
            }
            response
        }
        Reply::QuotaExhausted => error(
            StatusCode::TOO_MANY_REQUESTS,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        ),
        Reply::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            "server_error",
        ),
        Reply::Malformed => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"mess"#,
        )
            .into_response(),
    }
}

fn completion(content: &str, usage: Option<(i64, i64)>) -> Response {
    let mut body = json!({
        "id": "chatcmpl-fake123",
        "object": "chat.completion",
        "created": 1_735_689_600,
        "model": ANSWER_MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "service_tier": "default",
        "system_fingerprint": "fp_fake"
    });
    if let Some((prompt_tokens, completion_tokens)) = usage {
        body["usage"] = json!({
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        });
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn error(status: StatusCode, message: &str, kind: &str, code: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}
