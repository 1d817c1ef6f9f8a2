//! An owner deleting their account: every tenant row removed in one transaction, the account
//! row kept but anonymised as `deleted`, its ledger and payments kept for the operator's books.

use super::principal::Tenant;
use crate::{
    Error, Quire, ValidationErrors, audit,
    credits::reservations,
    db::begin_write,
    entities::{
        account, ai_usage_log, cluster, content, content_idea, content_version, credit_transaction,
        email_change,
        enums::{AccountStatus, JobStatus, PaymentStatus, SubscriptionStatus, UserRole},
        job, keyword, password_reset, payment, refresh_token_family, sector, site, subscription,
        task, user,
    },
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// What the deletion left for the operator's books, as recorded in the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    pub account_id: i64,
    /// The sum of the account's ledger rows when it was deleted (equal to its balance).
    pub ledger_total: i64,
    pub ledger_rows: i64,
    /// Rows removed, per table.
    pub removed: BTreeMap<&'static str, u64>,
    /// Queued or running jobs cancelled, their reservations returned through the ledger first.
    pub jobs_cancelled: u64,
}

/// Deletes the caller's account when they are its owner and `password` is theirs. A wrong
/// password is refused on `password` and a non-owner gets `RoleNotAllowed`; then nothing
/// changes.
pub async fn delete(quire: &Quire, tenant: &Tenant, password: &str) -> Result<Deleted, Error> {
    if tenant.user.role != UserRole::Owner {
        return Err(Error::RoleNotAllowed);
    }
    let matches = quire
        .hashing
        .verify(password.to_owned(), tenant.user.password_hash.clone())
        .await?;
    if !matches {
        return Err(Error::Validation(ValidationErrors::single(
            "password",
            "This is not your current password.",
        )));
    }
    let account_id = tenant.account.id;
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    // First write: the account's row lock, so no reservation or enqueue interleaves.
    lock_account(&txn, account_id).await?;
    let jobs_cancelled = cancel_open_jobs(&txn, account_id).await?;
    let removed = remove_tenant_rows(&txn, account_id).await?;
    end_billing(&txn, account_id, now).await?;
    anonymise(&txn, account_id, now).await?;
    let (ledger_total, ledger_rows) = ledger_totals(&txn, account_id).await?;
    let deleted = Deleted {
        account_id,
        ledger_total,
        ledger_rows,
        removed,
        jobs_cancelled,
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &format!("user:{}", tenant.user.id),
            action: "account.deleted",
            object_type: "account",
            object_id: Some(account_id),
            account_id: Some(account_id),
            before: Some(
                json!({"status": tenant.account.status, "plan_id": tenant.account.plan_id}),
            ),
            after: Some(json!({
                "status": AccountStatus::Deleted,
                "deleted_by": {"user_id": tenant.user.id, "role": tenant.user.role},
                "ledger_total": deleted.ledger_total,
                "ledger_rows": deleted.ledger_rows,
                "removed": deleted.removed,
                "jobs_cancelled": deleted.jobs_cancelled,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(deleted)
}

/// Returns the reservations of the account's queued and running jobs (a `refund` ledger row
/// each), so the balance is whole before the jobs go.
async fn cancel_open_jobs(txn: &DatabaseTransaction, account_id: i64) -> Result<u64, Error> {
    let open = job::Entity::find()
        .filter(job::Column::AccountId.eq(account_id))
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .all(txn)
        .await?;
    for job in &open {
        reservations::refund(txn, job).await?;
    }
    Ok(open.len() as u64)
}

/// Deletes every tenant row of the account, children before parents, and its users with
/// their sessions, reset links and pending address changes.
async fn remove_tenant_rows(
    txn: &DatabaseTransaction,
    account_id: i64,
) -> Result<BTreeMap<&'static str, u64>, Error> {
    let mut removed = BTreeMap::new();
    macro_rules! by_account {
        ($($table:literal => $entity:ident),+ $(,)?) => {$(
            let result = $entity::Entity::delete_many()
                .filter($entity::Column::AccountId.eq(account_id))
                .exec(txn)
                .await?;
            removed.insert($table, result.rows_affected);
        )+};
    }
    by_account!(
        "content_versions" => content_version,
        "content" => content,
        "tasks" => task,
        "content_ideas" => content_idea,
        "keywords" => keyword,
        "clusters" => cluster,
        "sectors" => sector,
        "sites" => site,
        "ai_usage_logs" => ai_usage_log,
        "jobs" => job,
        "refresh_token_families" => refresh_token_family,
    );
    let members = || {
        sea_orm::sea_query::Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(Expr::col(user::Column::AccountId).eq(account_id))
            .take()
    };
    let resets = password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.in_subquery(members()))
        .exec(txn)
        .await?;
    removed.insert("password_resets", resets.rows_affected);
    let changes = email_change::Entity::delete_many()
        .filter(email_change::Column::UserId.in_subquery(members()))
        .exec(txn)
        .await?;
    removed.insert("email_changes", changes.rows_affected);
    let users = user::Entity::delete_many()
        .filter(user::Column::AccountId.eq(account_id))
        .exec(txn)
        .await?;
    removed.insert("users", users.rows_affected);
    Ok(removed)
}

/// Ends the subscriptions (so billing never renews them) and voids pending payments (so no
/// transfer can be confirmed for a deleted account). Paid payments stay as they are.
async fn end_billing(
    txn: &DatabaseTransaction,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    subscription::Entity::update_many()
        .col_expr(
            subscription::Column::Status,
            Expr::value(SubscriptionStatus::Canceled),
        )
        .col_expr(subscription::Column::CancelAtPeriodEnd, Expr::value(false))
        .col_expr(
            subscription::Column::ScheduledPlanId,
            Expr::value(None::<i64>),
        )
        .col_expr(
            subscription::Column::CanceledAt,
            Expr::col(subscription::Column::CanceledAt).if_null(now),
        )
        .col_expr(
            subscription::Column::EndedAt,
            Expr::col(subscription::Column::EndedAt).if_null(now),
        )
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::AccountId.eq(account_id))
        .exec(txn)
        .await?;
    payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Void))
        .col_expr(
            payment::Column::Note,
            Expr::value("Voided: the account was deleted by its owner."),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .exec(txn)
        .await?;
    Ok(())
}

/// Keeps the account row (the ledger and payments point at it) with nothing that names
/// anyone: a placeholder name and slug, no owner, no billing details, status `deleted`.
async fn anonymise(
    txn: &DatabaseTransaction,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    account::Entity::update(account::ActiveModel {
        id: Set(account_id),
        name: Set(format!("Deleted account {account_id}")),
        slug: Set(format!("deleted-{account_id}")),
        owner_id: Set(None),
        status: Set(AccountStatus::Deleted),
        suspension_reason: Set(None),
        billing_email: Set(None),
        billing_name: Set(None),
        billing_address: Set(None),
        billing_country: Set(None),
        tax_id: Set(None),
        grace_period_ends_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Totals {
    total: i64,
    rows: i64,
}

/// The sum and number of the account's ledger rows.
pub async fn ledger_totals(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> Result<(i64, i64), Error> {
    let totals = credit_transaction::Entity::find()
        .select_only()
        // Cast: PostgreSQL sums BIGINT into NUMERIC.
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(credit_transactions.amount), 0) AS BIGINT)"),
            "total",
        )
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "rows")
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .into_model::<Totals>()
        .one(conn)
        .await?;
    Ok(totals.map_or((0, 0), |t| (t.total, t.rows)))
}
