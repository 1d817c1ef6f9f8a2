//! The console's AI settings: the provider as configured (read-only), model rates (list,
//! create, edit, delete) and operation prices (list, edit), through `admin::ai_settings` as
//! `/api/v1/admin/ai/`. Prompt templates have their own module.

use super::{
    form::{FieldErrors, decimal, scaled, segment},
    page::{Message, PAGE_SIZE, failure, messages, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    admin::ai_settings::{self, ModelRatePatch, NewModelRate},
    credits::pricing::DEFAULT_MODEL,
    entities::model_rate,
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/ai", get(settings_page))
        .route("/admin/ai/model-rates", post(create_rate))
        .route(
            "/admin/ai/model-rates/{model}",
            get(rate_page).post(update_rate),
        )
        .route("/admin/ai/model-rates/{model}/delete", post(delete_rate))
        .merge(super::admin_ai_prices::router())
        .merge(super::admin_prompts::router())
}

/// Who the audit log names for the operator's changes (as the API does).
pub fn actor(page: &OperatorPage) -> String {
    format!("user:{}", page.operator.user.id)
}

/// Decimal places of a rate typed in dollars (stored in millionths) and of credits (stored in
/// thousandths).
const USD_PLACES: u32 = 6;
const CREDIT_PLACES: u32 = 3;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub ordering: String,
    pub page: Option<u64>,
    pub done: Option<String>,
}

/// A rate's fields as typed: dollars per million tokens and credits per 1,000 tokens.
#[derive(Default, Deserialize)]
struct RateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    input_usd: String,
    #[serde(default)]
    output_usd: String,
    #[serde(default)]
    credits_per_1k: String,
}

impl RateForm {
    fn of(rate: &model_rate::Model) -> Self {
        Self {
            csrf: String::new(),
            model: rate.model.clone(),
            input_usd: decimal(rate.input_micro_usd_per_million, USD_PLACES),
            output_usd: decimal(rate.output_micro_usd_per_million, USD_PLACES),
            credits_per_1k: decimal(rate.millicredits_per_1k_tokens, CREDIT_PLACES),
        }
    }

    /// The rates in the core's units; numbers that cannot be read are messages on the core's
    /// field names.
    fn parsed(&self) -> Result<NewModelRate, Error> {
        let mut errors = FieldErrors::default();
        let rate = NewModelRate {
            model: self.model.clone(),
            input_micro_usd_per_million: scaled(
                &mut errors,
                "input_micro_usd_per_million",
                &self.input_usd,
                USD_PLACES,
            ),
            output_micro_usd_per_million: scaled(
                &mut errors,
                "output_micro_usd_per_million",
                &self.output_usd,
                USD_PLACES,
            ),
            millicredits_per_1k_tokens: scaled(
                &mut errors,
                "millicredits_per_1k_tokens",
                &self.credits_per_1k,
                CREDIT_PLACES,
            ),
        };
        errors.into_result()?;
        Ok(rate)
    }
}

#[derive(Template)]
#[template(path = "admin/ai_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    provider: &'static str,
    model: String,
    base_url: String,
    api_key_set: bool,
    timeout_seconds: u64,
    max_attempts: u32,
    per_account_concurrency: usize,
    credit_value: String,
    rates: Vec<RateRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    notice: Option<&'static str>,
    error: Option<String>,
    form: RateForm,
    errors: FieldErrors,
}

struct RateRow {
    model: String,
    path: String,
    input: String,
    output: String,
    credits: String,
    updated: String,
}

impl From<model_rate::Model> for RateRow {
    fn from(rate: model_rate::Model) -> Self {
        Self {
            path: segment(&rate.model),
            input: format!("${}", decimal(rate.input_micro_usd_per_million, USD_PLACES)),
            output: format!(
                "${}",
                decimal(rate.output_micro_usd_per_million, USD_PLACES)
            ),
            credits: decimal(rate.millicredits_per_1k_tokens, CREDIT_PLACES),
            updated: rate.updated_at.format("%Y-%m-%d %H:%M").to_string(),
            model: rate.model,
        }
    }
}

async fn settings_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<ListQuery>,
) -> Response {
    let (form, errors) = (RateForm::default(), FieldErrors::default());
    settings_view(&state, &page, query, StatusCode::OK, form, errors).await
}

/// The configuration, the rates as `list` asks and the new-rate form (as typed, with its
/// messages when refused), answered with `status`.
async fn settings_view(
    state: &AppState,
    page: &OperatorPage,
    list: ListQuery,
    status: StatusCode,
    form: RateForm,
    errors: FieldErrors,
) -> Response {
    let config = ai_settings::configuration(&state.quire);
    let mut view = SettingsPage {
        chrome: page.chrome("ai"),
        provider: config.provider,
        model: config.model,
        base_url: config.base_url.unwrap_or_default(),
        api_key_set: config.api_key_set,
        timeout_seconds: config.timeout_seconds,
        max_attempts: config.max_attempts,
        per_account_concurrency: config.per_account_concurrency,
        credit_value: format!("${}", decimal(config.credit_value_micro_usd, USD_PLACES)),
        rates: Vec::new(),
        sort: Sort::new("/admin/ai", &[], Some(list.ordering.as_str())),
        page: 1,
        pages: 1,
        notice: list.done.as_deref().and_then(|done| match done {
            "created" => Some("Model rate added; the model's next call is priced with it."),
            "saved" => Some("Model rate saved; the model's next call is priced with it."),
            "deleted" => Some("Model rate removed; the model's calls use the * rate now."),
            _ => None,
        }),
        error: None,
        form,
        errors,
    };
    let listed = match PageRequest::new(list.page, Some(PAGE_SIZE)) {
        Ok(request) => {
            let db = &state.quire.db;
            let mut listed = ai_settings::list_model_rates(db, view.sort.ordering(), request).await;
            if view.sort.refused(&listed) {
                listed = ai_settings::list_model_rates(db, None, request).await;
            }
            listed
        }
        Err(error) => Err(error),
    };
    match listed {
        Ok(listed) => {
            view.page = listed.page;
            view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
            view.rates = listed.items.into_iter().map(RateRow::from).collect();
            render(status, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => Redirect::to("/admin/ai").into_response(),
        Err(error) => failure(&error),
    }
}

async fn create_rate(
    State(state): State<AppState>,
    page: OperatorPage,
    Form(form): Form<RateForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    let created = match form.parsed() {
        Ok(input) => {
            ai_settings::create_model_rate(&state.quire.db, &actor(&page), input, now).await
        }
        Err(error) => Err(error),
    };
    let list = ListQuery {
        ordering: String::new(),
        page: None,
        done: None,
    };
    match created {
        Ok(_) => Redirect::to("/admin/ai?done=created").into_response(),
        Err(Error::Validation(errors)) => {
            let (status, errors) = (StatusCode::UNPROCESSABLE_ENTITY, FieldErrors::new(errors));
            settings_view(&state, &page, list, status, form, errors).await
        }
        Err(Error::Conflict(_)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "model",
                "This model has rates already; change them in its row above.",
            );
            settings_view(&state, &page, list, StatusCode::CONFLICT, form, errors).await
        }
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "admin/ai_rate.html")]
struct RatePage {
    chrome: Chrome,
    model: String,
    path: String,
    /// The `*` rate prices every model without its own and cannot be removed.
    is_default: bool,
    form: RateForm,
    errors: FieldErrors,
    problem: Option<String>,
}

fn rate_not_found() -> Response {
    Message {
        heading: "No rates for this model",
        text: "They may have been removed.".to_owned(),
        link: "/admin/ai",
        link_text: "AI settings",
    }
    .respond(StatusCode::NOT_FOUND)
}

async fn find_rate(state: &AppState, model: &str) -> Result<Option<model_rate::Model>, Error> {
    Ok(ai_settings::all_model_rates(&state.quire.db)
        .await?
        .into_iter()
        .find(|rate| rate.model == model))
}

/// The rate's page: its form as stored, or as typed with `errors`, answered with `status`.
async fn rate_view(
    state: &AppState,
    page: &OperatorPage,
    model: String,
    status: StatusCode,
    typed: Option<RateForm>,
    errors: FieldErrors,
    problem: Option<String>,
) -> Response {
    let stored = match find_rate(state, &model).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return rate_not_found(),
        Err(error) => return failure(&error),
    };
    let view = RatePage {
        chrome: page.chrome("ai"),
        path: segment(&model),
        is_default: model == DEFAULT_MODEL,
        form: typed.unwrap_or_else(|| RateForm::of(&stored)),
        model,
        errors,
        problem,
    };
    render(status, &view)
}

async fn rate_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(model): Path<String>,
) -> Response {
    rate_view(
        &state,
        &page,
        model,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn update_rate(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(model): Path<String>,
    Form(mut form): Form<RateForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    form.model.clone_from(&model);
    let now = state.quire.clock.now();
    let updated = match form.parsed() {
        Ok(rate) => {
            let patch = ModelRatePatch {
                input_micro_usd_per_million: Some(rate.input_micro_usd_per_million),
                output_micro_usd_per_million: Some(rate.output_micro_usd_per_million),
                millicredits_per_1k_tokens: Some(rate.millicredits_per_1k_tokens),
            };
            let db = &state.quire.db;
            ai_settings::update_model_rate(db, &actor(&page), &model, patch, now).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => Redirect::to("/admin/ai?done=saved").into_response(),
        Err(Error::Validation(errors)) => {
            let (status, errors) = (StatusCode::UNPROCESSABLE_ENTITY, FieldErrors::new(errors));
            rate_view(&state, &page, model, status, Some(form), errors, None).await
        }
        Err(Error::NotFound) => rate_not_found(),
        Err(error) => failure(&error),
    }
}

async fn delete_rate(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(model): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match ai_settings::delete_model_rate(&state.quire.db, &actor(&page), &model, now).await {
        Ok(()) => Redirect::to("/admin/ai?done=deleted").into_response(),
        Err(Error::Conflict(reason)) => {
            let (status, errors) = (StatusCode::CONFLICT, FieldErrors::default());
            rate_view(&state, &page, model, status, None, errors, Some(reason)).await
        }
        Err(Error::NotFound) => rate_not_found(),
        Err(error) => failure(&error),
    }
}
