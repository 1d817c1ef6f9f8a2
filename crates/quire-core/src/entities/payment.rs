//! A payment owed or made for a subscription period.

use super::enums::{PaymentMethod, PaymentPurpose, PaymentStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub subscription_id: Option<i64>,
    pub plan_id: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub purpose: PaymentPurpose,
    /// The code the payer writes on the bank transfer.
    #[sea_orm(unique)]
    pub reference: String,
    pub payer_name: Option<String>,
    pub payer_email: Option<String>,
    pub payer_bank: Option<String>,
    pub payer_transaction_ref: Option<String>,
    /// When the payer says the transfer was made.
    pub transfer_date: Option<DateTimeUtc>,
    /// When the payer reported the transfer.
    pub notified_at: Option<DateTimeUtc>,
    pub period_start: Option<DateTimeUtc>,
    pub period_end: Option<DateTimeUtc>,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
