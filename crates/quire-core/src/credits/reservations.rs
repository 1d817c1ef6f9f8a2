//! Reserve → settle → refund: a job holds its estimated credits while it runs, then pays the
//! actual charge (never more than it reserved) and gets the rest back; a failed or dead job
//! gets everything back. Each step is keyed by the job and guarded by the job's
//! `credit_state`, so a retried step applies once.
//!
//! ```text
//!  enqueue ──reserve(-R)──▶ reserved ──settle: refund(+R), usage(-A)──▶ settled
//!                              │
//!                              └──────────refund(+R)──────────────────▶ refunded
//! ```

use super::ledger::{self, Applied, Entry, LedgerError};
use crate::{
    Error,
    entities::{
        enums::{CreditKind, CreditState},
        job,
    },
};
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, sea_query::Expr};

/// Holds `amount` credits for `job` (inside the transaction that creates the job, so the
/// job and its reservation exist together or not at all) and returns the job as it now is.
/// Short → `InsufficientCredits`. The job row is marked first: the balance change takes the
/// account's row lock, so it goes last and a hot account stays locked for less time.
pub async fn reserve(
    txn: &DatabaseTransaction,
    job: job::Model,
    amount: i64,
) -> Result<job::Model, Error> {
    if amount <= 0 {
        return Ok(job);
    }
    job::Entity::update_many()
        .col_expr(job::Column::ReservedCredits, Expr::value(amount))
        .col_expr(job::Column::CreditState, Expr::value(CreditState::Reserved))
        .filter(job::Column::Id.eq(job.id))
        .exec(txn)
        .await?;
    ledger::apply(
        txn,
        Entry {
            account_id: job.account_id,
            amount: -amount,
            kind: CreditKind::Reservation,
            idempotency_key: format!("job:{}:reserve", job.id),
            actor: actor(&job),
            operation: Some(job.kind.clone()),
            payment_id: None,
            note: Some(format!("Held for job {}", job.id)),
        },
    )
    .await
    .map_err(|err| match err {
        LedgerError::Insufficient { available, .. } => Error::InsufficientCredits {
            required: amount,
            available,
        },
        other => Error::from(other),
    })?;
    Ok(job::Model {
        reserved_credits: amount,
        credit_state: CreditState::Reserved,
        ..job
    })
}

fn actor(job: &job::Model) -> String {
    job.user_id
        .map_or_else(|| "system".to_owned(), |id| format!("user:{id}"))
}

/// Moves the job's credit state from `reserved` to `to`; false when another path already did.
async fn claim_credit_state(
    txn: &DatabaseTransaction,
    job_id: i64,
    to: CreditState,
    charged: i64,
) -> Result<bool, Error> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::CreditState, Expr::value(to))
        .col_expr(job::Column::ChargedCredits, Expr::value(charged))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::CreditState.eq(CreditState::Reserved))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Charges the actual cost, capped at the reservation (a tenant never pays more than the
/// estimate it was shown), and returns the rest. Returns the credits charged; a job already
/// settled or refunded is charged nothing more.
pub async fn settle(
    txn: &DatabaseTransaction,
    job: &job::Model,
    actual: i64,
) -> Result<i64, Error> {
    let charge = actual.clamp(0, job.reserved_credits);
    if !claim_credit_state(txn, job.id, CreditState::Settled, charge).await? {
        return Ok(0);
    }
    release(txn, job).await?;
    if charge > 0 {
        let applied = ledger::apply(
            txn,
            Entry {
                account_id: job.account_id,
                amount: -charge,
                kind: CreditKind::Usage,
                idempotency_key: format!("job:{}:usage", job.id),
                actor: actor(job),
                operation: Some(job.kind.clone()),
                payment_id: None,
                note: Some(format!(
                    "Job {}: {charge} of {} reserved credits",
                    job.id, job.reserved_credits
                )),
            },
        )
        .await
        .map_err(Error::from)?;
        if matches!(applied, Applied::AlreadyApplied(_)) {
            return Ok(0);
        }
    }
    Ok(charge)
}

/// Returns the whole reservation (a failed, cancelled or dead job). Applies once.
pub async fn refund(txn: &DatabaseTransaction, job: &job::Model) -> Result<(), Error> {
    if claim_credit_state(txn, job.id, CreditState::Refunded, 0).await? {
        release(txn, job).await?;
    }
    Ok(())
}

async fn release(txn: &DatabaseTransaction, job: &job::Model) -> Result<(), Error> {
    if job.reserved_credits <= 0 {
        return Ok(());
    }
    ledger::apply(
        txn,
        Entry {
            account_id: job.account_id,
            amount: job.reserved_credits,
            kind: CreditKind::Refund,
            idempotency_key: format!("job:{}:release", job.id),
            actor: "system".to_owned(),
            operation: Some(job.kind.clone()),
            payment_id: None,
            note: Some(format!("Reservation of job {} returned", job.id)),
        },
    )
    .await
    .map_err(Error::from)?;
    Ok(())
}
