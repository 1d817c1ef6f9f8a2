//! One model call: tokens, what it cost us, and what it cost the tenant.

use super::enums::UsageStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "ai_usage_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub job_id: Option<i64>,
    pub operation: String,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Millionths of a US dollar, from the model-rate table.
    pub cost_micro_usd: i64,
    pub credits_charged: i64,
    pub status: UsageStatus,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
