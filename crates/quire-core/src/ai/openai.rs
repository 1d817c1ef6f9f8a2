//! Any OpenAI-compatible chat API (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter…) through async-openai.
//!
//! async-openai retries 429s and 5xx itself by default. We install our own HTTP service with
//! `Client::with_http_service`, which leaves that retry layer out, so [`super::AiClient`] is the
//! one place that retries. The crate turns an error status into `ApiError` without the
//! `Retry-After` header, so the same service answers every non-2xx response with an
//! [`HttpFailure`] carrying the status, that header and the body, which we map to [`AiError`].

use super::{AiError, ChatRequest, ChatResponse, Provider, tokens};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, CreateChatCompletionRequest,
    CreateChatCompletionResponse, ResponseFormat,
};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::Service;
use url::Url;

/// Longest provider error text kept in an [`AiError`].
const MAX_ERROR_TEXT: usize = 300;

/// Which field carries `max_output_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenLimitField {
    /// OpenAI's current name; its reasoning models refuse `max_tokens`.
    MaxCompletionTokens,
    /// The name every OpenAI-compatible server understands (Ollama and LM Studio know no other).
    MaxTokens,
}

/// A chat model at `base_url` (the API root, e.g. `https://api.openai.com/v1` or
/// `http://localhost:11434/v1`). The output limit goes out as `max_completion_tokens` to OpenAI
/// and Azure OpenAI, and as `max_tokens` to every other server.
pub struct OpenAiProvider {
    client: Client<OpenAIConfig>,
    base_url: String,
    model: String,
    token_limit_field: TokenLimitField,
}

impl fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiProvider {
    /// `api_key` may be absent for local servers. Nothing is read from `OPENAI_*` variables.
    pub fn new(
        base_url: &str,
        api_key: Option<&SecretString>,
        model: &str,
    ) -> Result<Self, AiError> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base_url)
            .map_err(|e| AiError::Config(format!("ai_base_url is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(AiError::Config(
                "ai_base_url must start with http:// or https://".into(),
            ));
        }
        let model = model.trim();
        if model.is_empty() {
            return Err(AiError::Config("ai_model is empty".into()));
        }
        let api_key = api_key.map(|key| key.expose_secret()).unwrap_or_default();
        // async-openai puts the key in a header and panics on characters a header cannot carry.
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AiError::Config(
                "ai_api_key may hold only visible ASCII characters".into(),
            ));
        }
        let config = OpenAIConfig::new()
            .with_api_base(&base_url)
            .with_api_key(api_key)
            .with_org_id("")
            .with_project_id("");
        let token_limit_field = match parsed.host_str() {
            Some(host) if host == "api.openai.com" || host.ends_with(".openai.azure.com") => {
                TokenLimitField::MaxCompletionTokens
            }
            _ => TokenLimitField::MaxTokens,
        };
        Ok(Self {
            client: Client::with_config(config).with_http_service(StatusAwareService::default()),
            base_url,
            model: model.to_owned(),
            token_limit_field,
        })
    }

    fn chat_request(&self, request: &ChatRequest) -> CreateChatCompletionRequest {
        let mut messages = Vec::with_capacity(2);
        if !request.system.is_empty() {
            messages.push(ChatCompletionRequestMessage::from(
                ChatCompletionRequestSystemMessage::from(
                    ChatCompletionRequestSystemMessageContent::Text(request.system.clone()),
                ),
            ));
        }
        messages.push(ChatCompletionRequestMessage::from(
            ChatCompletionRequestUserMessage::from(ChatCompletionRequestUserMessageContent::Text(
                request.user.clone(),
            )),
        ));
        let mut body = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            response_format: request.json.then_some(ResponseFormat::JsonObject),
            ..Default::default()
        };
        match self.token_limit_field {
            TokenLimitField::MaxCompletionTokens => {
                body.max_completion_tokens = Some(request.max_output_tokens);
            }
            // Deprecated by OpenAI, but the only name most compatible servers read.
            #[allow(deprecated)]
            TokenLimitField::MaxTokens => body.max_tokens = Some(request.max_output_tokens),
        }
        body
    }

    fn chat_response(
        &self,
        request: &ChatRequest,
        response: CreateChatCompletionResponse,
        latency: Duration,
    ) -> Result<ChatResponse, AiError> {
        let message = response
            .choices
            .into_iter()
            .next()
            .map(|choice| choice.message)
            .ok_or_else(|| AiError::BadResponse("the answer has no choices".into()))?;
        let content = match (message.content, message.refusal) {
            (Some(content), _) if !content.is_empty() => content,
            (_, Some(refusal)) => {
                return Err(AiError::BadResponse(format!(
                    "the model refused: {}",
                    clip(&refusal)
                )));
            }
            _ => return Err(AiError::BadResponse("the answer is empty".into())),
        };
        let (input_tokens, output_tokens) = match response.usage {
            Some(usage) => (
                i64::from(usage.prompt_tokens),
                i64::from(usage.completion_tokens),
            ),
            None => {
                tracing::warn!(
                    model = %self.model,
                    "the AI provider reported no usage; counting tokens locally"
                );
                let prompt =
                    tokens::estimate_request_tokens(request) - i64::from(request.max_output_tokens);
                (prompt, tokens::count_tokens(&content))
            }
        };
        let model = if response.model.is_empty() {
            self.model.clone()
        } else {
            response.model
        };
        Ok(ChatResponse {
            content,
            input_tokens,
            output_tokens,
            provider: self.name(),
            model,
            latency,
            attempts: 1,
        })
    }
}

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, AiError> {
        let body = self.chat_request(request);
        let started = Instant::now();
        let response = self
            .client
            .chat()
            .create(body)
            .await
            .map_err(error_from_openai)?;
        self.chat_response(request, response, started.elapsed())
    }
}

/// A non-2xx answer, with what async-openai's own error would drop.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}")]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

type HttpResponse = <ReqwestService as Service<HttpRequestFactory>>::Response;
type HttpFuture = <ReqwestService as Service<HttpRequestFactory>>::Future;

/// async-openai's plain transport (no retry layer) that fails non-2xx answers with [`HttpFailure`].
#[derive(Clone, Default)]
struct StatusAwareService {
    inner: ReqwestService,
}

impl Service<HttpRequestFactory> for StatusAwareService {
    type Response = HttpResponse;
    type Error = OpenAIError;
    type Future = HttpFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequestFactory) -> HttpFuture {
        let sent = self.inner.call(request);
        Box::pin(async move {
            let response = sent.await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let headers = response.headers();
            let retry_after = retry_after(
                header(headers.get("retry-after-ms")),
                header(headers.get("retry-after")),
            );
            let body = response.bytes().await.map_err(OpenAIError::Reqwest)?;
            Err(OpenAIError::Boxed(Box::new(HttpFailure {
                status: status.as_u16(),
                retry_after,
                body: String::from_utf8_lossy(&body).into_owned(),
            })))
        })
    }
}

fn header<V: AsRef<[u8]>>(value: Option<V>) -> Option<String> {
    value.and_then(|v| std::str::from_utf8(v.as_ref()).ok().map(str::to_owned))
}

/// `retry-after-ms` (OpenAI) first, then `Retry-After` in seconds. HTTP dates are ignored.
fn retry_after(millis: Option<String>, seconds: Option<String>) -> Option<Duration> {
    let parse = |value: Option<String>, scale: f64| {
        value
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .and_then(|v| Duration::try_from_secs_f64(v / scale).ok())
    };
    parse(millis, 1000.0).or_else(|| parse(seconds, 1.0))
}

fn error_from_openai(error: OpenAIError) -> AiError {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpFailure>() {
            Ok(failure) => error_from_status(failure.status, failure.retry_after, &failure.body),
            Err(other) => AiError::Transport(other.to_string()),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => AiError::Timeout,
        OpenAIError::Reqwest(e) if e.is_decode() => {
            AiError::BadResponse(format!("reading the answer failed: {e}"))
        }
        OpenAIError::Reqwest(e) => AiError::Transport(e.to_string()),
        OpenAIError::ApiError(e) => {
            error_from_status(e.status_code.as_u16(), None, &e.api_error.message)
        }
        OpenAIError::JSONDeserialize(e, _) => {
            AiError::BadResponse(format!("the answer is not a chat completion: {e}"))
        }
        OpenAIError::InvalidArgument(message) => AiError::Config(message),
        other => AiError::Transport(other.to_string()),
    }
}

fn error_from_status(status: u16, retry_after: Option<Duration>, body: &str) -> AiError {
    let (code, message) = api_error(body);
    match status {
        429 if code.as_deref() == Some("insufficient_quota") => {
            AiError::Config(format!("the AI provider's quota is used up: {message}"))
        }
        429 => AiError::RateLimited { retry_after },
        408 => AiError::Timeout,
        500..=599 => AiError::Server { status },
        401 | 403 => AiError::Config(format!(
            "the AI provider refused the API key (HTTP {status}): {message}"
        )),
        404 => AiError::Config(format!(
            "the AI provider knows no such model or path (HTTP 404), check ai_base_url and \
             ai_model: {message}"
        )),
        _ => AiError::BadResponse(format!(
            "the AI provider refused the request (HTTP {status}): {message}"
        )),
    }
}

/// `error.code` and `error.message` of an OpenAI error body, or the start of any other body.
fn api_error(body: &str) -> (Option<String>, String) {
    let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
    let error = parsed.as_ref().and_then(|value| value.get("error"));
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let message = field("message").unwrap_or_else(|| body.to_owned());
    (field("code"), clip(&message))
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_milliseconds_first_then_seconds() {
        let ms = |v: &str| Some(v.to_owned());
        assert_eq!(
            retry_after(ms("1500"), ms("9")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(None, ms("2")), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after(None, ms("0.25")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(None, ms("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(ms("-1"), None), None);
        assert_eq!(retry_after(None, None), None);
    }

    #[test]
    fn statuses_map_to_errors() {
        assert_eq!(
            error_from_status(429, Some(Duration::from_secs(1)), ""),
            AiError::RateLimited {
                retry_after: Some(Duration::from_secs(1))
            }
        );
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert!(
            matches!(error_from_status(429, None, quota), AiError::Config(m) if m.contains("exceeded your current quota"))
        );
        assert_eq!(
            error_from_status(503, None, "<html>"),
            AiError::Server { status: 503 }
        );
        assert_eq!(error_from_status(408, None, ""), AiError::Timeout);
        assert!(matches!(
            error_from_status(401, None, ""),
            AiError::Config(_)
        ));
        assert!(matches!(
            error_from_status(404, None, ""),
            AiError::Config(_)
        ));
        assert!(
            matches!(error_from_status(400, None, r#"{"error":{"message":"context too long"}}"#), AiError::BadResponse(m) if m.contains("context too long"))
        );
    }

    #[test]
    fn long_provider_text_is_clipped() {
        let long = "x".repeat(5000);
        assert_eq!(clip(&long).chars().count(), MAX_ERROR_TEXT + 1);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn settings_are_checked_and_the_key_never_shows() {
        let key = SecretString::from("sk-test-secret-key");
        let provider =
            OpenAiProvider::new("http://127.0.0.1:11434/v1/", Some(&key), "llama3").expect("valid");
        assert_eq!(provider.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(provider.token_limit_field, TokenLimitField::MaxTokens);
        assert!(!format!("{provider:?}").contains("sk-test-secret-key"));

        let openai = OpenAiProvider::new("https://api.openai.com/v1", Some(&key), "gpt-4o-mini")
            .expect("valid");
        assert_eq!(
            openai.token_limit_field,
            TokenLimitField::MaxCompletionTokens
        );

        assert!(OpenAiProvider::new("ftp://example.com", None, "m").is_err());
        assert!(OpenAiProvider::new("not a url", None, "m").is_err());
        assert!(OpenAiProvider::new("http://localhost/v1", None, " ").is_err());
        let bad_key = SecretString::from("sk-line\nbreak");
        assert!(OpenAiProvider::new("http://localhost/v1", Some(&bad_key), "m").is_err());
    }
}
