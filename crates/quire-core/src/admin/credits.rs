//! An operator's credit adjustment: one `adjustment` ledger row, under the account's lock,
//! keyed so that a retried request applies once.

use crate::{
    Error, Quire, ValidationErrors, audit,
    credits::ledger::{self, Applied, LedgerError},
    db::begin_write,
    entities::{account, credit_transaction, enums::CreditKind},
    tenancy::lock_account,
};
use sea_orm::EntityTrait;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The largest adjustment either way.
pub const MAX_ADJUSTMENT: i64 = 1_000_000_000;

/// Credits to give or take.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Adjustment {
    /// Positive adds, negative takes; not zero, at most 1,000,000,000 either way.
    pub amount: i64,
    /// Why (1–500 characters); kept on the ledger row.
    pub note: String,
}

/// The adjustment's ledger row and the balance after it.
#[derive(Debug, Clone)]
pub struct Adjusted {
    pub transaction: credit_transaction::Model,
    pub balance: i64,
}

/// Applies `adjustment` to account `account_id`. The ledger key is `adjustment:{key}` with the
/// client's idempotency key, or a fresh UUID: the same key with the same amount and note
/// returns the first row and moves nothing; with another amount or note it is a conflict.
/// Taking more than the balance is refused (400 on `amount`, naming the balance) and
/// nothing changes.
pub async fn adjust(
    quire: &Quire,
    operator_id: i64,
    account_id: i64,
    adjustment: Adjustment,
    idempotency_key: Option<&str>,
) -> Result<Adjusted, Error> {
    let mut errors = ValidationErrors::default();
    let amount = adjustment.amount;
    if amount == 0 || !(-MAX_ADJUSTMENT..=MAX_ADJUSTMENT).contains(&amount) {
        errors.add(
            "amount",
            "Give a non-zero number of credits, at most 1,000,000,000 either way.",
        );
    }
    let note = crate::text::one_line(&adjustment.note);
    if note.is_empty() || note.chars().count() > 500 {
        errors.add("note", "Say why (1 to 500 characters).");
    }
    let key = idempotency_key.map(str::trim);
    if key
        .is_some_and(|k| k.is_empty() || k.len() > 200 || !k.chars().all(|c| c.is_ascii_graphic()))
    {
        errors.add("Idempotency-Key", "Use 1 to 200 visible ASCII characters.");
    }
    errors.into_result()?;
    let key = format!(
        "adjustment:{}",
        key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
    );

    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, account_id).await?;
    let before = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?
        .credits;
    let applied = ledger::apply(
        &txn,
        ledger::Entry {
            account_id,
            amount,
            kind: CreditKind::Adjustment,
            idempotency_key: key,
            actor: format!("user:{operator_id}"),
            operation: None,
            payment_id: None,
            note: Some(note.clone()),
        },
    )
    .await;
    let transaction = match applied {
        Ok(Applied::New(row)) => row,
        Ok(Applied::AlreadyApplied(row))
            if row.amount == amount && row.note.as_deref() == Some(note.as_str()) =>
        {
            return Ok(Adjusted {
                transaction: row,
                balance: before,
            });
        }
        Ok(Applied::AlreadyApplied(_)) => {
            return Err(Error::Conflict(
                "This Idempotency-Key was already used for another adjustment.".to_owned(),
            ));
        }
        Err(LedgerError::Insufficient { available, .. }) => {
            return Err(Error::Validation(ValidationErrors::single(
                "amount",
                format!("The account holds {available} credits; an adjustment cannot take more."),
            )));
        }
        Err(other) => return Err(other.into()),
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "account.credits_adjusted",
            object_type: "account",
            object_id: Some(account_id),
            account_id: Some(account_id),
            before: Some(json!({"credits": before})),
            after: Some(json!({
                "credits": transaction.balance_after,
                "amount": amount,
                "note": note,
                "transaction_id": transaction.id,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Adjusted {
        balance: transaction.balance_after,
        transaction,
    })
}
