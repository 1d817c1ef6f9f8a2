//! The AI usage log: one row per model call with its tokens, our cost and the tenant's
//! credits; and the tenant's view of it.

use super::pricing;
use crate::{
    Error,
    accounts::principal::Tenant,
    db::Db,
    entities::{ai_usage_log, enums::UsageStatus},
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use utoipa::IntoParams;

/// A finished model call, as the provider reported it.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub job_id: Option<i64>,
    pub operation: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub latency_ms: i64,
    /// `None` when it succeeded.
    pub error: Option<&'a str>,
}

/// Prices the call and writes its row. A failed call is logged with its tokens and cost but
/// charges no credits.
pub async fn record(
    conn: &impl ConnectionTrait,
    call: Call<'_>,
) -> Result<ai_usage_log::Model, Error> {
    let price = pricing::price(conn, call.model, call.operation).await?;
    let credits = if call.error.is_none() {
        price.credits(call.input_tokens, call.output_tokens)
    } else {
        0
    };
    Ok(ai_usage_log::ActiveModel {
        account_id: Set(call.account_id),
        user_id: Set(call.user_id),
        job_id: Set(call.job_id),
        operation: Set(call.operation.to_owned()),
        provider: Set(call.provider.to_owned()),
        model: Set(call.model.to_owned()),
        input_tokens: Set(call.input_tokens),
        output_tokens: Set(call.output_tokens),
        cost_micro_usd: Set(price.cost_micro_usd(call.input_tokens, call.output_tokens)),
        credits_charged: Set(credits),
        status: Set(if call.error.is_none() {
            UsageStatus::Succeeded
        } else {
            UsageStatus::Failed
        }),
        error: Set(call.error.map(str::to_owned)),
        latency_ms: Set(call.latency_ms),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageFilter {
    pub operation: Option<String>,
    pub status: Option<UsageStatus>,
    pub job_id: Option<i64>,
    /// Calls at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Calls before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

pub const SORT_KEYS: SortKeys<ai_usage_log::Column> = &[
    ("id", ai_usage_log::Column::Id),
    ("created_at", ai_usage_log::Column::CreatedAt),
    ("credits_charged", ai_usage_log::Column::CreditsCharged),
];

/// The tenant's usage rows, newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: UsageFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<ai_usage_log::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        SORT_KEYS,
        (ai_usage_log::Column::Id, sea_orm::Order::Desc),
    )?;
    let mut select =
        ai_usage_log::Entity::find().filter(ai_usage_log::Column::AccountId.eq(tenant.account.id));
    if let Some(operation) = filter.operation {
        select = select.filter(ai_usage_log::Column::Operation.eq(operation));
    }
    if let Some(status) = filter.status {
        select = select.filter(ai_usage_log::Column::Status.eq(status));
    }
    if let Some(job_id) = filter.job_id {
        select = select.filter(ai_usage_log::Column::JobId.eq(job_id));
    }
    if let Some(from) = filter.from {
        select = select.filter(ai_usage_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(ai_usage_log::Column::CreatedAt.lt(to));
    }
    listing::fetch_page(db, select, &ordering, page).await
}
