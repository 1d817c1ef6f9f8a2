//! The credit ledger: every balance change is one append-only row written in the same
//! transaction as the change to `accounts.credits`, keyed so that a retry applies once.

use crate::entities::{account, credit_transaction, enums::CreditKind};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};

/// A balance change to record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub account_id: i64,
    /// Positive grants, negative charges.
    pub amount: i64,
    pub kind: CreditKind,
    /// Unique per account: the same key never applies twice.
    pub idempotency_key: String,
    /// Who caused it: `system`, `user:<id>` or `operator:<id>`.
    pub actor: String,
    pub operation: Option<String>,
    pub payment_id: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient credits: {required} required, {available} available")]
    Insufficient { required: i64, available: i64 },
    #[error("account not found")]
    AccountNotFound,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<LedgerError> for crate::Error {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient {
                required,
                available,
            } => crate::Error::InsufficientCredits {
                required,
                available,
            },
            LedgerError::AccountNotFound => crate::Error::NotFound,
            LedgerError::Database(err) => crate::Error::Database(err),
        }
    }
}

/// What applying an entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The entry was recorded now.
    New(credit_transaction::Model),
    /// An entry with the same key was already recorded; nothing moved.
    AlreadyApplied(credit_transaction::Model),
}

/// Moves the balance by `entry.amount` and records the ledger row, inside `txn`.
///
/// The balance changes with one conditional update, so it can never go below zero even
/// under concurrent charges (the CHECK constraint backs this up).
pub async fn apply(txn: &DatabaseTransaction, entry: Entry) -> Result<Applied, LedgerError> {
    if let Some(existing) = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(entry.account_id))
        .filter(credit_transaction::Column::IdempotencyKey.eq(&entry.idempotency_key))
        .one(txn)
        .await?
    {
        return Ok(Applied::AlreadyApplied(existing));
    }

    let now = Utc::now();
    let updated = account::Entity::update_many()
        .col_expr(
            account::Column::Credits,
            Expr::col(account::Column::Credits).add(entry.amount),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(entry.account_id))
        .filter(Expr::col(account::Column::Credits).add(entry.amount).gte(0))
        .exec_with_returning(txn)
        .await?;
    let Some(account) = updated.into_iter().next() else {
        let available = account::Entity::find_by_id(entry.account_id)
            .one(txn)
            .await?
            .ok_or(LedgerError::AccountNotFound)?
            .credits;
        return Err(LedgerError::Insufficient {
            required: -entry.amount,
            available,
        });
    };

    let row = credit_transaction::ActiveModel {
        account_id: Set(entry.account_id),
        amount: Set(entry.amount),
        balance_after: Set(account.credits),
        kind: Set(entry.kind),
        operation: Set(entry.operation),
        usage_log_id: Set(None),
        payment_id: Set(entry.payment_id),
        idempotency_key: Set(entry.idempotency_key),
        actor: Set(entry.actor),
        note: Set(entry.note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Applied::New(row))
}
