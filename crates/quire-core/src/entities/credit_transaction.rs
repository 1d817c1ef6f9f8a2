//! One row of the append-only credit ledger.

use super::enums::CreditKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "credit_transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub amount: i64,
    pub balance_after: i64,
    pub kind: CreditKind,
    pub operation: Option<String>,
    pub usage_log_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub idempotency_key: String,
    pub actor: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
