//! What a model costs us (per million tokens) and what it costs tenants (per 1k tokens).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub model: String,
    /// Millionths of a dollar per million input tokens ($0.15 → 150,000).
    pub input_micro_usd_per_million: i64,
    pub output_micro_usd_per_million: i64,
    /// Thousandths of a credit per 1,000 tokens (1 credit → 1,000).
    pub millicredits_per_1k_tokens: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
