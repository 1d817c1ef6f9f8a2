//! The credit ledger: every balance change is one append-only row written in the same
//! transaction as the change to `accounts.credits`, keyed so that a retry applies once.

use crate::entities::{account, credit_transaction, enums::CreditKind};
use chrono::Utc;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, QueryFilter, Set, Statement,
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
/// under concurrent charges (the CHECK constraint backs this up). The update takes the
/// account's row lock, held until the transaction ends, so it is the last thing `apply` does.
pub async fn apply(txn: &DatabaseTransaction, entry: Entry) -> Result<Applied, LedgerError> {
    if let Some(existing) = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(entry.account_id))
        .filter(credit_transaction::Column::IdempotencyKey.eq(&entry.idempotency_key))
        .one(txn)
        .await?
    {
        return Ok(Applied::AlreadyApplied(existing));
    }
    let (account_id, required) = (entry.account_id, -entry.amount);
    let recorded = match txn.get_database_backend() {
        DatabaseBackend::Postgres => move_and_record_in_one_statement(txn, entry).await?,
        _ => move_then_record(txn, entry).await?,
    };
    match recorded {
        Some(row) => Ok(Applied::New(row)),
        None => {
            let available = account::Entity::find_by_id(account_id)
                .one(txn)
                .await?
                .ok_or(LedgerError::AccountNotFound)?
                .credits;
            Err(LedgerError::Insufficient {
                required,
                available,
            })
        }
    }
}

/// PostgreSQL: the balance update and the ledger row in one statement (a data-modifying
/// `WITH`), so a hot account's row lock is held for one round trip less. Written as SQL because
/// sea-query builds no `INSERT … SELECT` over an `UPDATE … RETURNING`. `None` when the balance
/// would go below zero (nothing changed).
async fn move_and_record_in_one_statement(
    txn: &DatabaseTransaction,
    entry: Entry,
) -> Result<Option<credit_transaction::Model>, DbErr> {
    const SQL: &str = "WITH moved AS ( \
           UPDATE accounts SET credits = credits + $1, updated_at = $2 \
           WHERE id = $3 AND credits + $1 >= 0 RETURNING credits) \
         INSERT INTO credit_transactions (account_id, amount, balance_after, kind, operation, \
           usage_log_id, payment_id, idempotency_key, actor, note, created_at) \
         SELECT $3, $1, moved.credits, $4, $5, NULL, $6, $7, $8, $9, $2 FROM moved \
         RETURNING *";
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        SQL,
        [
            entry.amount.into(),
            Utc::now().into(),
            entry.account_id.into(),
            entry.kind.to_value().into(),
            entry.operation.into(),
            entry.payment_id.into(),
            entry.idempotency_key.into(),
            entry.actor.into(),
            entry.note.into(),
        ],
    );
    credit_transaction::Model::find_by_statement(statement)
        .one(txn)
        .await
}

/// SQLite (one writer, so the whole transaction holds the lock anyway): the conditional
/// update, then the ledger row with the balance it left.
async fn move_then_record(
    txn: &DatabaseTransaction,
    entry: Entry,
) -> Result<Option<credit_transaction::Model>, DbErr> {
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
        return Ok(None);
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
    Ok(Some(row))
}
