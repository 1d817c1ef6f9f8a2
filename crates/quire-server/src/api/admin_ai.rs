//! `/api/v1/admin/ai/`: the provider as configured (read-only), model rates, operation prices
//! and prompt overrides with previews. Every change is audited; pricing and prompts are read
//! from the database on every call, so a change applies to the next call on every node.

use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, OperatorContext},
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use quire_core::{
    admin::{
        ai_settings::{self, ModelRatePatch, NewModelRate, OperationPricePatch},
        prompts::{self, PreviewRequest, Prompt, PromptSource},
    },
    entities::{model_rate, operation_price, prompt_override},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings))
        .routes(routes!(list_model_rates, create_model_rate))
        .routes(routes!(update_model_rate, delete_model_rate))
        .routes(routes!(list_operation_prices))
        .routes(routes!(update_operation_price))
        .routes(routes!(list_prompts))
        .routes(routes!(set_prompt, reset_prompt))
        .routes(routes!(preview_prompt))
}

fn actor(operator: &quire_core::accounts::principal::Operator) -> String {
    format!("user:{}", operator.user.id)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelRateView {
    /// A model name, or `*` for every model without a rate of its own.
    pub model: String,
    /// Millionths of a dollar per million input tokens.
    pub input_micro_usd_per_million: i64,
    pub output_micro_usd_per_million: i64,
    /// Thousandths of a credit per 1,000 tokens.
    pub millicredits_per_1k_tokens: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<model_rate::Model> for ModelRateView {
    fn from(r: model_rate::Model) -> Self {
        Self {
            model: r.model,
            input_micro_usd_per_million: r.input_micro_usd_per_million,
            output_micro_usd_per_million: r.output_micro_usd_per_million,
            millicredits_per_1k_tokens: r.millicredits_per_1k_tokens,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationPriceView {
    pub operation: String,
    /// The least one call of the operation charges.
    pub min_credits: i64,
    /// When set, the operation costs exactly this, whatever the tokens.
    pub flat_credits: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

impl From<operation_price::Model> for OperationPriceView {
    fn from(p: operation_price::Model) -> Self {
        Self {
            operation: p.operation,
            min_credits: p.min_credits,
            flat_credits: p.flat_credits,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromptOverrideView {
    pub operation: String,
    pub text: String,
    pub updated_at: DateTime<Utc>,
}

impl From<prompt_override::Model> for PromptOverrideView {
    fn from(o: prompt_override::Model) -> Self {
        Self {
            operation: o.operation,
            text: o.text,
            updated_at: o.updated_at,
        }
    }
}

/// The provider as configured, and the pricing and prompts operators edit here.
#[derive(Debug, Serialize, ToSchema)]
pub struct AiSettingsView {
    /// `offline` or `openai`.
    pub provider: String,
    pub base_url: Option<String>,
    /// The model calls go to.
    pub model: String,
    /// Whether an API key is configured (the key is never shown).
    pub api_key_set: bool,
    pub timeout_seconds: u64,
    pub max_attempts: u32,
    pub per_account_concurrency: usize,
    /// Why the provider fields cannot be changed here.
    pub provider_settings_note: String,
    /// What one credit is worth in the usage report (`pricing.credit_value_micro_usd`).
    pub credit_value_micro_usd: i64,
    pub model_rates: Vec<ModelRateView>,
    pub operation_prices: Vec<OperationPriceView>,
    pub prompt_overrides: Vec<PromptOverrideView>,
}

/// The provider, base URL and model from configuration — read-only: they come from the
/// `QUIRE_AI_*` variables or `quire.toml` and change with a restart; the API key is never
/// shown, only whether one is set — with every model rate, operation price and prompt
/// override.
#[utoipa::path(get, path = "/ai/settings/", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The AI settings", body = AiSettingsView),
        AdminRefusals,
    ))]
pub async fn settings(
    State(state): State<AppState>,
    _operator: OperatorContext,
) -> ApiResult<Json<AiSettingsView>> {
    let db = &state.quire.db;
    let config = ai_settings::configuration(&state.quire);
    let prompt_overrides = prompts::list(db)
        .await?
        .into_iter()
        .filter_map(|prompt| prompt.stored.map(PromptOverrideView::from))
        .collect();
    Ok(Json(AiSettingsView {
        provider: config.provider.to_owned(),
        base_url: config.base_url,
        model: config.model,
        api_key_set: config.api_key_set,
        timeout_seconds: config.timeout_seconds,
        max_attempts: config.max_attempts,
        per_account_concurrency: config.per_account_concurrency,
        provider_settings_note: "The provider, base URL, model and API key come from the \
                                 QUIRE_AI_* environment variables or quire.toml; change them \
                                 there and restart Quire."
            .to_owned(),
        credit_value_micro_usd: config.credit_value_micro_usd,
        model_rates: ai_settings::all_model_rates(db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        operation_prices: ai_settings::all_operation_prices(db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        prompt_overrides,
    }))
}

/// Model rates: what a model costs us and what it costs tenants. Sort keys: `model`,
/// `updated_at`.
#[utoipa::path(get, path = "/ai/model-rates/", tag = "admin", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of model rates", body = Paginated<ModelRateView>),
        (status = 400, description = "Bad page, page size or ordering", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_model_rates(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<ModelRateView>>> {
    let page = ai_settings::list_model_rates(
        &state.quire.db,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, ModelRateView::from)))
}

/// Add a model's rates (audited `ai.model_rate.created`). Rates are 0 or more.
#[utoipa::path(post, path = "/ai/model-rates/", tag = "admin", security(("bearer" = [])),
    request_body = NewModelRate,
    responses(
        (status = 201, description = "Created", body = ModelRateView),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        AdminRefusals,
        (status = 409, description = "The model has rates already", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn create_model_rate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiJson(body): ApiJson<NewModelRate>,
) -> ApiResult<(StatusCode, Json<ModelRateView>)> {
    let created = ai_settings::create_model_rate(
        &state.quire.db,
        &actor(&operator),
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Change a model's rates (audited `ai.model_rate.updated`); the next call of that model is
/// priced with them. A model name with `/` is sent as `%2F`.
#[utoipa::path(patch, path = "/ai/model-rates/{model}/", tag = "admin", security(("bearer" = [])),
    params(("model" = String, Path, description = "Model name, or `*`")),
    request_body = ModelRatePatch,
    responses(
        (status = 200, description = "Updated", body = ModelRateView),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No rates for this model", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_model_rate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(model): ApiPath<String>,
    ApiJson(body): ApiJson<ModelRatePatch>,
) -> ApiResult<Json<ModelRateView>> {
    let updated = ai_settings::update_model_rate(
        &state.quire.db,
        &actor(&operator),
        &model,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(updated.into()))
}

/// Remove a model's rates (audited `ai.model_rate.deleted`): its calls are priced at the `*`
/// rate from then on. The `*` rate cannot be removed (409).
#[utoipa::path(delete, path = "/ai/model-rates/{model}/", tag = "admin", security(("bearer" = [])),
    params(("model" = String, Path, description = "Model name")),
    responses(
        (status = 204, description = "Removed"),
        AdminRefusals,
        (status = 404, description = "No rates for this model", body = ErrorBody),
        (status = 409, description = "The `*` rate stays", body = ErrorBody),
    ))]
pub async fn delete_model_rate(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(model): ApiPath<String>,
) -> ApiResult<StatusCode> {
    ai_settings::delete_model_rate(
        &state.quire.db,
        &actor(&operator),
        &model,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Operation prices: each AI operation's minimum charge per call, or its flat price. Sort
/// keys: `operation`, `updated_at`.
#[utoipa::path(get, path = "/ai/operation-prices/", tag = "admin", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of operation prices", body = Paginated<OperationPriceView>),
        (status = 400, description = "Bad page, page size or ordering", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list_operation_prices(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<OperationPriceView>>> {
    let page = ai_settings::list_operation_prices(
        &state.quire.db,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, OperationPriceView::from)))
}

/// Change an operation's minimum or flat price (audited `ai.operation_price.updated`); the
/// next call is priced with it. Values are 0 or more; `flat_credits: null` meters the
/// operation again.
#[utoipa::path(patch, path = "/ai/operation-prices/{operation}/", tag = "admin", security(("bearer" = [])),
    params(("operation" = String, Path, description = "Operation, e.g. `generate_ideas`")),
    request_body = OperationPricePatch,
    responses(
        (status = 200, description = "Updated", body = OperationPriceView),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn update_operation_price(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(operation): ApiPath<String>,
    ApiJson(body): ApiJson<OperationPricePatch>,
) -> ApiResult<Json<OperationPriceView>> {
    let updated = ai_settings::update_operation_price(
        &state.quire.db,
        &actor(&operator),
        &operation,
        body,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(updated.into()))
}

/// One operation's prompt: the built-in template and the override that replaces it, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptView {
    /// The template's operation (`generate_ideas`, `article_section`…).
    pub operation: String,
    /// The built-in template's id, `operation.vN`.
    pub template_id: String,
    pub default_text: String,
    /// The operator's override, used instead of the default when set.
    pub override_text: Option<String>,
    pub override_updated_at: Option<DateTime<Utc>>,
}

impl From<Prompt> for PromptView {
    fn from(p: Prompt) -> Self {
        Self {
            operation: p.template.operation.to_owned(),
            template_id: p.template.id(),
            default_text: p.template.text.to_owned(),
            override_text: p.stored.as_ref().map(|o| o.text.clone()),
            override_updated_at: p.stored.map(|o| o.updated_at),
        }
    }
}

/// Every operation with a prompt template (a fixed set, so not paginated), each with its
/// built-in text and the override, if any.
#[utoipa::path(get, path = "/ai/prompts/", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every prompt", body = Vec<PromptView>),
        AdminRefusals,
    ))]
pub async fn list_prompts(
    State(state): State<AppState>,
    _operator: OperatorContext,
) -> ApiResult<Json<Vec<PromptView>>> {
    Ok(Json(
        prompts::list(&state.quire.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A prompt template to use instead of the built-in one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PromptText {
    /// minijinja text with `=== system ===` and `=== user ===` sections, as in
    /// `crates/quire-core/prompts/` (at most 50,000 characters).
    pub text: String,
}

/// Set the operation's override (audited `ai.prompt.updated`); the next call uses it. It must
/// render with the operation's sample variables: a syntax error or an unknown variable is a
/// 400 with the renderer's message.
#[utoipa::path(put, path = "/ai/prompts/{operation}/", tag = "admin", security(("bearer" = [])),
    params(("operation" = String, Path, description = "Template operation, e.g. `generate_ideas`")),
    request_body = PromptText,
    responses(
        (status = 200, description = "Stored", body = PromptView),
        (status = 400, description = "Empty, too long, or does not render", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn set_prompt(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(operation): ApiPath<String>,
    ApiJson(body): ApiJson<PromptText>,
) -> ApiResult<Json<PromptView>> {
    let prompt = prompts::set_override(
        &state.quire.db,
        &actor(&operator),
        &operation,
        &body.text,
        state.quire.clock.now(),
    )
    .await?;
    Ok(Json(prompt.into()))
}

/// Remove the operation's override (audited `ai.prompt.reset`): the built-in template is used
/// again.
#[utoipa::path(delete, path = "/ai/prompts/{operation}/", tag = "admin", security(("bearer" = [])),
    params(("operation" = String, Path, description = "Template operation")),
    responses(
        (status = 204, description = "Back to the built-in template"),
        AdminRefusals,
        (status = 404, description = "No such operation, or no override", body = ErrorBody),
    ))]
pub async fn reset_prompt(
    State(state): State<AppState>,
    OperatorContext(operator): OperatorContext,
    ApiPath(operation): ApiPath<String>,
) -> ApiResult<StatusCode> {
    prompts::remove_override(
        &state.quire.db,
        &actor(&operator),
        &operation,
        state.quire.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// `system` or `user`.
    pub role: String,
    pub content: String,
}

/// The messages a call would send.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub template_id: String,
    pub source: PromptSource,
    /// The variables the template was rendered with.
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
    /// The system message (left out when the template has none), then the user message.
    pub messages: Vec<MessageView>,
}

/// Render a template as the AI core does: the `text` given, else the stored override, else
/// the built-in template, with the `context` given (a JSON object) or the operation's sample
/// variables. Nothing is stored or sent to a model.
#[utoipa::path(post, path = "/ai/prompts/{operation}/preview/", tag = "admin", security(("bearer" = [])),
    params(("operation" = String, Path, description = "Template operation")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The rendered messages", body = PreviewView),
        (status = 400, description = "The template does not render, or the context is not an object", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "No such operation", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn preview_prompt(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiPath(operation): ApiPath<String>,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> ApiResult<Json<PreviewView>> {
    let preview = prompts::preview(&state.quire.db, &operation, body).await?;
    let mut messages = Vec::with_capacity(2);
    if !preview.rendered.system.is_empty() {
        messages.push(MessageView {
            role: "system".to_owned(),
            content: preview.rendered.system,
        });
    }
    messages.push(MessageView {
        role: "user".to_owned(),
        content: preview.rendered.user,
    });
    Ok(Json(PreviewView {
        template_id: preview.template_id,
        source: preview.source,
        context: preview.context,
        messages,
    }))
}
