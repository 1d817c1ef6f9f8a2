//! Payments: creating a pending bank-transfer payment and telling the payer how to pay it.

use super::reference;
use crate::{
    config::BankTransferSettings,
    db::Db,
    entities::{
        enums::{PaymentMethod, PaymentStatus},
        payment, plan,
    },
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use utoipa::ToSchema;

/// What a payer needs to make a bank transfer for one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentInstructions {
    pub payment_id: i64,
    pub method: PaymentMethod,
    /// Write this on the transfer.
    pub reference: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// The amount as people read it, e.g. `29.00 USD`.
    pub amount_display: String,
    pub beneficiary: String,
    pub bank_name: String,
    pub iban: String,
    pub bic: String,
    pub text: String,
}

impl PaymentInstructions {
    pub fn new(bank: &BankTransferSettings, payment: &payment::Model) -> Self {
        Self {
            payment_id: payment.id,
            method: payment.method,
            reference: payment.reference.clone(),
            amount: payment.amount,
            currency: payment.currency.clone(),
            amount_display: format_amount(payment.amount, &payment.currency),
            beneficiary: bank.beneficiary.clone(),
            bank_name: bank.bank_name.clone(),
            iban: bank.iban.clone(),
            bic: bank.bic.clone(),
            text: bank.instructions.replace("{reference}", &payment.reference),
        }
    }
}

/// `2900, "USD"` → `29.00 USD` (every catalogue currency has two decimals).
pub fn format_amount(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

/// Creates the pending payment for one period of `plan`, with a fresh unique reference.
pub async fn create_pending(
    conn: &impl ConnectionTrait,
    account_id: i64,
    subscription_id: i64,
    plan: &plan::Model,
    method: PaymentMethod,
) -> Result<payment::Model, DbErr> {
    let now = Utc::now();
    payment::ActiveModel {
        account_id: Set(account_id),
        subscription_id: Set(Some(subscription_id)),
        plan_id: Set(plan.id),
        amount: Set(plan.price),
        currency: Set(plan.currency.clone()),
        method: Set(method),
        status: Set(PaymentStatus::Pending),
        // 40 random bits: a clash is astronomically rare, and the unique index refuses one.
        reference: Set(reference::generate()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The account's oldest pending payment, if any: the one a pending account must pay.
pub async fn oldest_pending(db: &Db, account_id: i64) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(payment::Column::Id)
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_major_units() {
        assert_eq!(format_amount(2900, "USD"), "29.00 USD");
        assert_eq!(format_amount(199_005, "EUR"), "1990.05 EUR");
        assert_eq!(format_amount(0, "USD"), "0.00 USD");
    }
}
