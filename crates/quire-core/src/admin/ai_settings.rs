//! The AI settings operators see and change: the provider from configuration (read-only),
//! model rates and operation prices. Pricing reads these tables on every call, so a change
//! applies to the next call on every node.

use crate::{
    Error, Quire, ValidationErrors, audit,
    config::AiProvider,
    credits::pricing::DEFAULT_MODEL,
    db::{self, Db, begin_write},
    entities::{model_rate, operation_price},
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::double_option,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryOrder, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The model provider as configured (`QUIRE_AI_*` or `quire.toml`); changing it takes a
/// restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiConfiguration {
    /// `offline` or `openai`.
    pub provider: &'static str,
    pub base_url: Option<String>,
    /// The model calls go to (`offline-draft` for the offline provider).
    pub model: String,
    /// Whether an API key is configured; the key itself is never shown.
    pub api_key_set: bool,
    pub timeout_seconds: u64,
    pub max_attempts: u32,
    pub per_account_concurrency: usize,
    pub credit_value_micro_usd: i64,
}

pub fn configuration(quire: &Quire) -> AiConfiguration {
    let settings = &quire.settings;
    AiConfiguration {
        provider: match settings.ai_provider {
            AiProvider::Offline => "offline",
            AiProvider::Openai => "openai",
        },
        base_url: settings.ai_base_url.clone(),
        model: quire.ai.model().to_owned(),
        api_key_set: settings.ai_api_key.is_some(),
        timeout_seconds: settings.ai_timeout_seconds,
        max_attempts: settings.ai_max_attempts,
        per_account_concurrency: settings.ai_per_account_concurrency,
        credit_value_micro_usd: settings.pricing.credit_value_micro_usd,
    }
}

/// Every model rate, by model name.
pub async fn all_model_rates(db: &Db) -> Result<Vec<model_rate::Model>, Error> {
    Ok(model_rate::Entity::find()
        .order_by_asc(model_rate::Column::Model)
        .all(db)
        .await?)
}

/// Every operation price, by operation.
pub async fn all_operation_prices(db: &Db) -> Result<Vec<operation_price::Model>, Error> {
    Ok(operation_price::Entity::find()
        .order_by_asc(operation_price::Column::Operation)
        .all(db)
        .await?)
}

const RATE_SORT_KEYS: SortKeys<model_rate::Column> = &[
    ("model", model_rate::Column::Model),
    ("updated_at", model_rate::Column::UpdatedAt),
];

pub async fn list_model_rates(
    db: &Db,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<model_rate::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        RATE_SORT_KEYS,
        (model_rate::Column::Model, sea_orm::Order::Asc),
    )?;
    listing::fetch_page(db, model_rate::Entity::find(), &ordering, page).await
}

const PRICE_SORT_KEYS: SortKeys<operation_price::Column> = &[
    ("operation", operation_price::Column::Operation),
    ("updated_at", operation_price::Column::UpdatedAt),
];

pub async fn list_operation_prices(
    db: &Db,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<operation_price::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        PRICE_SORT_KEYS,
        (operation_price::Column::Operation, sea_orm::Order::Asc),
    )?;
    listing::fetch_page(db, operation_price::Entity::find(), &ordering, page).await
}

/// A model's rates; `*` is the rate of every model without its own.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewModelRate {
    /// The model name as the provider reports it (1–128 characters, no spaces), or `*`.
    pub model: String,
    /// Millionths of a dollar per million input tokens ($0.15 → 150,000).
    pub input_micro_usd_per_million: i64,
    pub output_micro_usd_per_million: i64,
    /// Thousandths of a credit per 1,000 tokens (1 credit → 1,000).
    pub millicredits_per_1k_tokens: i64,
}

/// The rates to change; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ModelRatePatch {
    pub input_micro_usd_per_million: Option<i64>,
    pub output_micro_usd_per_million: Option<i64>,
    pub millicredits_per_1k_tokens: Option<i64>,
}

/// The operation's price rules to change; absent fields stay, `flat_credits: null` returns
/// the operation to metered pricing.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OperationPricePatch {
    pub min_credits: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub flat_credits: Option<Option<i64>>,
}

fn not_negative(errors: &mut ValidationErrors, field: &str, value: i64) -> i64 {
    if value < 0 {
        errors.add(field, "Must be 0 or more.");
    }
    value
}

fn rate_json(rate: &model_rate::Model) -> serde_json::Value {
    json!({
        "model": rate.model,
        "input_micro_usd_per_million": rate.input_micro_usd_per_million,
        "output_micro_usd_per_million": rate.output_micro_usd_per_million,
        "millicredits_per_1k_tokens": rate.millicredits_per_1k_tokens,
    })
}

fn price_json(price: &operation_price::Model) -> serde_json::Value {
    json!({
        "operation": price.operation,
        "min_credits": price.min_credits,
        "flat_credits": price.flat_credits,
    })
}

/// An audit entry for a change to the AI settings (no account, keyed by name in the JSON).
fn entry<'a>(
    actor: &'a str,
    action: &'a str,
    object_type: &'a str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> audit::Entry<'a> {
    audit::Entry {
        actor,
        action,
        object_type,
        object_id: None,
        account_id: None,
        before,
        after,
    }
}

/// Adds a model's rates; 409 when the model has some already.
pub async fn create_model_rate(
    db: &Db,
    actor: &str,
    input: NewModelRate,
    now: DateTime<Utc>,
) -> Result<model_rate::Model, Error> {
    let mut errors = ValidationErrors::default();
    let model = input.model.trim().to_owned();
    if model.is_empty()
        || model.chars().count() > 128
        || model.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.add(
            "model",
            "Give the model's name: 1 to 128 characters, no spaces.",
        );
    }
    let row = model_rate::ActiveModel {
        model: Set(model),
        input_micro_usd_per_million: Set(not_negative(
            &mut errors,
            "input_micro_usd_per_million",
            input.input_micro_usd_per_million,
        )),
        output_micro_usd_per_million: Set(not_negative(
            &mut errors,
            "output_micro_usd_per_million",
            input.output_micro_usd_per_million,
        )),
        millicredits_per_1k_tokens: Set(not_negative(
            &mut errors,
            "millicredits_per_1k_tokens",
            input.millicredits_per_1k_tokens,
        )),
        created_at: Set(now),
        updated_at: Set(now),
    };
    errors.into_result()?;
    let txn = begin_write(db).await?;
    let created = match row.insert(&txn).await {
        Ok(created) => created,
        Err(err) if db::is_unique_violation(&err) => {
            // Rolled back here, not on drop: on SQLite the failed insert holds the write lock
            // until the rollback runs, and the operator's next change must not find it taken.
            txn.rollback().await?;
            return Err(Error::Conflict(
                "This model has rates already; change them instead.".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        &txn,
        entry(
            actor,
            "ai.model_rate.created",
            "model_rate",
            None,
            Some(rate_json(&created)),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_model_rate(
    db: &Db,
    actor: &str,
    model: &str,
    patch: ModelRatePatch,
    now: DateTime<Utc>,
) -> Result<model_rate::Model, Error> {
    let mut errors = ValidationErrors::default();
    let txn = begin_write(db).await?;
    let current = model_rate::Entity::find_by_id(model.to_owned())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let before = rate_json(&current);
    let mut row = current.into_active_model();
    if let Some(value) = patch.input_micro_usd_per_million {
        row.input_micro_usd_per_million = Set(not_negative(
            &mut errors,
            "input_micro_usd_per_million",
            value,
        ));
    }
    if let Some(value) = patch.output_micro_usd_per_million {
        row.output_micro_usd_per_million = Set(not_negative(
            &mut errors,
            "output_micro_usd_per_million",
            value,
        ));
    }
    if let Some(value) = patch.millicredits_per_1k_tokens {
        row.millicredits_per_1k_tokens = Set(not_negative(
            &mut errors,
            "millicredits_per_1k_tokens",
            value,
        ));
    }
    errors.into_result()?;
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        entry(
            actor,
            "ai.model_rate.updated",
            "model_rate",
            Some(before),
            Some(rate_json(&updated)),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Removes a model's rates: its calls are priced at the `*` rate from then on. The `*` rate
/// itself stays (409): without it unknown models would cost nothing.
pub async fn delete_model_rate(
    db: &Db,
    actor: &str,
    model: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    let current = model_rate::Entity::find_by_id(model.to_owned())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.model == DEFAULT_MODEL {
        return Err(Error::Conflict(
            "The * rate prices every model without its own; change it instead.".into(),
        ));
    }
    let before = rate_json(&current);
    current.delete(&txn).await?;
    audit::record(
        &txn,
        entry(
            actor,
            "ai.model_rate.deleted",
            "model_rate",
            Some(before),
            None,
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn update_operation_price(
    db: &Db,
    actor: &str,
    operation: &str,
    patch: OperationPricePatch,
    now: DateTime<Utc>,
) -> Result<operation_price::Model, Error> {
    let mut errors = ValidationErrors::default();
    let txn = begin_write(db).await?;
    let current = operation_price::Entity::find_by_id(operation.to_owned())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let before = price_json(&current);
    let mut row = current.into_active_model();
    if let Some(value) = patch.min_credits {
        row.min_credits = Set(not_negative(&mut errors, "min_credits", value));
    }
    if let Some(value) = patch.flat_credits {
        row.flat_credits = Set(value.map(|v| not_negative(&mut errors, "flat_credits", v)));
    }
    errors.into_result()?;
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        entry(
            actor,
            "ai.operation_price.updated",
            "operation_price",
            Some(before),
            Some(price_json(&updated)),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
