//! The price rules of one AI operation: its minimum charge, or a flat price.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operation_prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub operation: String,
    /// The least a call of this operation charges.
    pub min_credits: i64,
    /// When set, the operation costs exactly this (e.g. local clustering, per batch).
    pub flat_credits: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
