//! The job queue in the database, shared by every server node: enqueue (with the credit
//! reservation, in one transaction), claim with a lease, heartbeat and progress, finish,
//! retry with back-off, cancel, and the sweep that recovers jobs whose worker died.

use crate::{
    Error, Quire,
    accounts::principal::Tenant,
    credits::{daily_ceiling, reservations},
    db::{Db, begin_write},
    entities::{
        account,
        enums::{CreditKind, CreditState, JobStatus},
        job,
    },
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, Set, Statement,
    sea_query::Expr,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// The progress message of a job no worker has taken yet.
const WAITING_FOR_A_WORKER: &str = "Waiting for a worker";

/// A job to create.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub input: serde_json::Value,
    /// Credits to hold while it runs (the operation's estimate).
    pub reserve: i64,
}

/// Creates the job and holds its credits in one transaction: after a crash either both exist
/// or neither does. A short balance is `InsufficientCredits` and creates nothing; so is a
/// hold that would pass the account's daily AI ceiling (`DailyAiLimit`).
pub async fn enqueue(
    quire: &Quire,
    tenant: &Tenant,
    new: NewJob,
    max_attempts: i32,
) -> Result<job::Model, Error> {
    let db = &quire.db;
    let platform_ceiling = quire.settings.rate_limits.daily_ai_credit_limit;
    let ceiling_applies =
        new.reserve > 0 && daily_ceiling::ceiling_of(&tenant.account, platform_ceiling).is_some();
    if new.reserve > 0 && !ceiling_applies && db.get_database_backend() == DatabaseBackend::Postgres
    {
        let required = new.reserve;
        return match enqueue_reserving_in_one_statement(db, tenant, new, max_attempts).await? {
            Some(created) => Ok(created),
            None => Err(Error::InsufficientCredits {
                required,
                available: account::Entity::find_by_id(tenant.account.id)
                    .one(db)
                    .await?
                    .ok_or(Error::NotFound)?
                    .credits,
            }),
        };
    }
    let now = Utc::now();
    let txn = begin_write(db).await?;
    if ceiling_applies {
        check_ceiling(&txn, tenant.account.id, platform_ceiling, new.reserve).await?;
    }
    let created = job::ActiveModel {
        account_id: Set(tenant.account.id),
        user_id: Set(Some(tenant.user.id)),
        kind: Set(new.kind),
        status: Set(JobStatus::Queued),
        progress: Set(0),
        progress_message: Set(WAITING_FOR_A_WORKER.to_owned()),
        input: Set(new.input.to_string()),
        result: Set(None),
        error: Set(None),
        reserved_credits: Set(0),
        charged_credits: Set(0),
        credit_state: Set(CreditState::None),
        attempts: Set(0),
        max_attempts: Set(max_attempts.max(1)),
        run_after: Set(now),
        lease_until: Set(None),
        worker_id: Set(None),
        cancel_requested: Set(false),
        started_at: Set(None),
        finished_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let created = reservations::reserve(&txn, created, new.reserve).await?;
    txn.commit().await?;
    Ok(created)
}

/// Locks the account first, so that enqueues of one account take turns and each sees the
/// holds of those before it (the ceiling is exact under concurrency), then reads the ceiling
/// as it is now and the day's use. Only accounts under a ceiling pay for the lock.
async fn check_ceiling(
    txn: &DatabaseTransaction,
    account_id: i64,
    platform_ceiling: Option<i64>,
    required: i64,
) -> Result<(), Error> {
    crate::tenancy::lock_account(txn, account_id).await?;
    let account = account::Entity::find_by_id(account_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    match daily_ceiling::ceiling_of(&account, platform_ceiling) {
        Some(limit) => daily_ceiling::check(txn, account_id, limit, required).await,
        None => Ok(()),
    }
}

/// PostgreSQL, with credits to hold and no daily ceiling: the balance update, the job and the reservation's ledger
/// row in one statement sent outside a transaction, so it commits by itself and the account's
/// row lock is never held across a round trip to Quire — the path of every AI operation on a
/// busy account. The rows are those [`reservations::reserve`] writes on the general path.
/// Written as SQL because sea-query builds no `INSERT … SELECT` over an `UPDATE … RETURNING`.
/// `None`: the balance is short and nothing was written.
async fn enqueue_reserving_in_one_statement(
    db: &Db,
    tenant: &Tenant,
    new: NewJob,
    max_attempts: i32,
) -> Result<Option<job::Model>, Error> {
    const SQL: &str = "WITH moved AS ( \
           UPDATE accounts SET credits = credits - $1, updated_at = $2 \
           WHERE id = $3 AND credits - $1 >= 0 RETURNING credits), \
         created AS ( \
           INSERT INTO jobs (account_id, user_id, kind, status, progress, progress_message, \
             input, reserved_credits, charged_credits, credit_state, attempts, max_attempts, \
             run_after, cancel_requested, created_at, updated_at) \
           SELECT $3, $4, $5, $6, 0, $7, $8, $1, 0, $9, 0, $10, $2, FALSE, $2, $2 FROM moved \
           RETURNING *), \
         held AS ( \
           INSERT INTO credit_transactions (account_id, amount, balance_after, kind, operation, \
             idempotency_key, actor, note, created_at) \
           SELECT $3, -$1, moved.credits, $11, $5, 'job:' || created.id || ':reserve', $12, \
             'Held for job ' || created.id, $2 FROM moved, created) \
         SELECT * FROM created";
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        SQL,
        [
            new.reserve.into(),
            Utc::now().into(),
            tenant.account.id.into(),
            tenant.user.id.into(),
            new.kind.into(),
            JobStatus::Queued.to_value().into(),
            WAITING_FOR_A_WORKER.into(),
            new.input.to_string().into(),
            CreditState::Reserved.to_value().into(),
            max_attempts.max(1).into(),
            CreditKind::Reservation.to_value().into(),
            format!("user:{}", tenant.user.id).into(),
        ],
    );
    Ok(job::Model::find_by_statement(statement).one(db).await?)
}

/// Takes the oldest runnable job whose account is under its running-jobs cap, leasing it to
/// `worker_id`. PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite
/// runs the single statement under its one writer. The accounts at their cap are found once
/// per claim (an uncorrelated subquery), not counted again for every queued job: whichever
/// plan the database picks, a long queue costs a lookup per job it passes, never a count.
pub async fn claim(
    db: &Db,
    worker_id: &str,
    lease: Duration,
    per_account_cap: u32,
) -> Result<Option<job::Model>, Error> {
    let now = Utc::now();
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, \
             worker_id = $2, started_at = COALESCE(started_at, $3), updated_at = $3 \
             WHERE id = (SELECT j.id FROM jobs j WHERE j.status = 'queued' AND j.run_after <= $3 \
               AND j.account_id NOT IN (SELECT r.account_id FROM jobs r \
                    WHERE r.status = 'running' GROUP BY r.account_id HAVING COUNT(*) >= $4) \
               ORDER BY j.run_after, j.id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        _ => {
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ?1, \
             worker_id = ?2, started_at = COALESCE(started_at, ?3), updated_at = ?3 \
             WHERE id = (SELECT j.id FROM jobs j WHERE j.status = 'queued' AND j.run_after <= ?3 \
               AND j.account_id NOT IN (SELECT r.account_id FROM jobs r \
                    WHERE r.status = 'running' GROUP BY r.account_id HAVING COUNT(*) >= ?4) \
               ORDER BY j.run_after, j.id LIMIT 1) \
             RETURNING *"
        }
    };
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            (now + lease).into(),
            worker_id.into(),
            now.into(),
            i64::from(per_account_cap).into(),
        ],
    );
    Ok(job::Entity::find().from_raw_sql(statement).one(db).await?)
}

/// Extends the lease and records progress. `Ok(false)` when the job is no longer this
/// worker's to run (its lease was lost) or a cancel was asked for.
pub async fn heartbeat(
    db: &Db,
    job: &job::Model,
    lease: Duration,
    progress: Option<(i32, &str)>,
) -> Result<bool, Error> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(Utc::now() + lease))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some((percent, message)) = progress {
        update = update
            .col_expr(job::Column::Progress, Expr::value(percent.clamp(0, 100)))
            .col_expr(job::Column::ProgressMessage, Expr::value(message));
    }
    let result = update
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::Status.eq(JobStatus::Running))
        .filter(job::Column::WorkerId.eq(job.worker_id.clone()))
        .filter(job::Column::Attempts.eq(job.attempts))
        .filter(job::Column::CancelRequested.eq(false))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// This worker's attempt, if it still holds it.
async fn current_attempt(
    conn: &impl ConnectionTrait,
    job: &job::Model,
) -> Result<Option<job::Model>, Error> {
    Ok(job::Entity::find_by_id(job.id)
        .filter(job::Column::Status.eq(JobStatus::Running))
        .filter(job::Column::WorkerId.eq(job.worker_id.clone()))
        .filter(job::Column::Attempts.eq(job.attempts))
        .one(conn)
        .await?)
}

/// Opens the transaction a handler writes its results in: the job's account locked first (so
/// writes of one account queue), then the lease checked. `None` when this worker lost the
/// lease: it must write nothing.
pub async fn results_transaction(
    db: &Db,
    job: &job::Model,
) -> Result<Option<DatabaseTransaction>, Error> {
    let txn = begin_write(db).await?;
    crate::tenancy::lock_account(&txn, job.account_id).await?;
    if current_attempt(&txn, job).await?.is_none() {
        txn.rollback().await?;
        return Ok(None);
    }
    Ok(Some(txn))
}

/// Records the result and settles the credits (actual charge, rest returned), together.
/// A worker that lost its lease changes nothing.
pub async fn succeed(
    db: &Db,
    job: &job::Model,
    result: &serde_json::Value,
    actual_credits: i64,
) -> Result<Option<job::Model>, Error> {
    succeed_with_results(begin_write(db).await?, job, result, actual_credits).await
}

/// Ends the attempt as [`succeed`] does, inside `txn` — the handler's transaction from
/// [`results_transaction`] — and commits: the handler's results and the job's end are one
/// commit, so a worker stopped between the two cannot leave results for a retry to write
/// again. A worker that lost its lease changes nothing (`txn` is rolled back).
pub async fn succeed_with_results(
    txn: DatabaseTransaction,
    job: &job::Model,
    result: &serde_json::Value,
    actual_credits: i64,
) -> Result<Option<job::Model>, Error> {
    let Some(current) = current_attempt(&txn, job).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    let charged = reservations::settle(&txn, &current, actual_credits).await?;
    let mut row: job::ActiveModel = current.into();
    row.status = Set(JobStatus::Succeeded);
    row.progress = Set(100);
    row.progress_message = Set("Done".to_owned());
    row.result = Set(Some(result.to_string()));
    row.error = Set(None);
    row.charged_credits = Set(charged);
    row.lease_until = Set(None);
    row.finished_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    let done = row.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(done))
}

/// Delay before attempt `attempts + 1`: 5 s, 10 s, 20 s … at most 5 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    Duration::seconds((5_i64 << exponent).min(300))
}

/// Ends this attempt with `error`: queued again after a back-off when `retryable` and
/// attempts remain (the reservation stays held), otherwise failed with every credit
/// returned. A cancel asked for meanwhile wins: the job ends `canceled`, refunded.
pub async fn fail(
    db: &Db,
    job: &job::Model,
    error: &str,
    retryable: bool,
) -> Result<Option<job::Model>, Error> {
    let txn = begin_write(db).await?;
    let Some(current) = current_attempt(&txn, job).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    let ended = end_attempt(&txn, current, error, retryable).await?;
    txn.commit().await?;
    Ok(Some(ended))
}

async fn end_attempt(
    txn: &DatabaseTransaction,
    current: job::Model,
    error: &str,
    retryable: bool,
) -> Result<job::Model, Error> {
    let now = Utc::now();
    let retry = retryable && !current.cancel_requested && current.attempts < current.max_attempts;
    if !retry {
        reservations::refund(txn, &current).await?;
    }
    let status = if current.cancel_requested {
        JobStatus::Canceled
    } else if retry {
        JobStatus::Queued
    } else {
        JobStatus::Failed
    };
    let attempts = current.attempts;
    let mut row: job::ActiveModel = current.into();
    row.status = Set(status);
    row.error = Set(Some(error.to_owned()));
    row.lease_until = Set(None);
    row.worker_id = Set(None);
    row.updated_at = Set(now);
    if retry {
        row.run_after = Set(now + backoff(attempts));
        row.progress_message = Set(format!("Retrying after: {error}"));
    } else {
        row.finished_at = Set(Some(now));
    }
    Ok(row.update(txn).await?)
}

/// Jobs whose lease ran out (their worker died or hung) are retried or failed and refunded.
/// Safe to run on every node at once: each job is recovered in its own transaction, guarded
/// by the lease it found.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<usize, Error> {
    let expired = job::Entity::find()
        .filter(job::Column::Status.eq(JobStatus::Running))
        .filter(job::Column::LeaseUntil.lt(now))
        .all(db)
        .await?;
    let mut recovered = 0;
    for dead in expired {
        let txn = begin_write(db).await?;
        if let Some(current) = current_attempt(&txn, &dead).await?
            && current.lease_until == dead.lease_until
        {
            end_attempt(&txn, current, "the worker stopped responding", true).await?;
            recovered += 1;
        }
        txn.commit().await?;
    }
    Ok(recovered)
}

/// Cancels the tenant's job: a queued one ends at once (refunded); a running one is asked to
/// stop and ends `canceled` at its next progress report. A finished job is a conflict.
pub async fn cancel(db: &Db, tenant: &Tenant, id: i64) -> Result<job::Model, Error> {
    let txn = begin_write(db).await?;
    let current = match get(&txn, tenant, id).await {
        Ok(current) => current,
        Err(error) => {
            txn.rollback().await?;
            return Err(error);
        }
    };
    let updated = match current.status {
        JobStatus::Queued => {
            reservations::refund(&txn, &current).await?;
            let mut row: job::ActiveModel = current.into();
            row.status = Set(JobStatus::Canceled);
            row.cancel_requested = Set(true);
            row.progress_message = Set("Canceled".to_owned());
            row.finished_at = Set(Some(Utc::now()));
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?
        }
        JobStatus::Running => {
            let mut row: job::ActiveModel = current.into();
            row.cancel_requested = Set(true);
            row.progress_message = Set("Cancel requested".to_owned());
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?
        }
        JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled => {
            txn.rollback().await?;
            return Err(Error::Conflict("This job has already finished.".to_owned()));
        }
    };
    txn.commit().await?;
    Ok(updated)
}

/// Ends a running job whose cancel was asked for: `canceled`, every credit returned.
pub async fn acknowledge_cancel(db: &Db, job: &job::Model) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    if let Some(current) = job::Entity::find_by_id(job.id)
        .filter(job::Column::Status.eq(JobStatus::Running))
        .filter(job::Column::Attempts.eq(job.attempts))
        .one(&txn)
        .await?
    {
        reservations::refund(&txn, &current).await?;
        let mut row: job::ActiveModel = current.into();
        row.status = Set(JobStatus::Canceled);
        row.progress_message = Set("Canceled".to_owned());
        row.lease_until = Set(None);
        row.finished_at = Set(Some(Utc::now()));
        row.updated_at = Set(Utc::now());
        row.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The tenant's job `id`; another account's is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<job::Model, Error> {
    job::Entity::find_by_id(id)
        .filter(job::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<String>,
}

pub const SORT_KEYS: SortKeys<job::Column> = &[
    ("id", job::Column::Id),
    ("created_at", job::Column::CreatedAt),
    ("finished_at", job::Column::FinishedAt),
];

/// The tenant's jobs, newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: JobFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<job::Model>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (job::Column::Id, sea_orm::Order::Desc))?;
    let mut select = job::Entity::find().filter(job::Column::AccountId.eq(tenant.account.id));
    if let Some(status) = filter.status {
        select = select.filter(job::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(job::Column::Kind.eq(kind));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(3), Duration::seconds(20));
        assert_eq!(backoff(30), Duration::seconds(300));
        assert_eq!(backoff(0), Duration::seconds(5));
    }
}
