//! The daily AI ceiling: what an account has used on AI in the current UTC day, read from the
//! ledger, checked before a job holds more.
//!
//! A day's AI use is its job reservations still held plus its usage charges: the rows of
//! the day that carry an operation, where a reservation's release counts (as a return) only
//! when the reservation was made the same day. A job queued before midnight therefore
//! weighs on the day it was queued, and its charge on the day it finished.

use crate::{Error, Quire, accounts::principal::Tenant, entities::account};
use chrono::{DateTime, Days, NaiveTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement};

/// The ceiling that applies to `account`: its own, else the platform default.
pub fn ceiling_of(account: &account::Model, platform_default: Option<i64>) -> Option<i64> {
    account.daily_ai_credit_limit.or(platform_default)
}

/// Midnight UTC that began the day of `now`.
pub fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Whole seconds from `now` until the next UTC midnight, at least one.
pub fn seconds_until_midnight(now: DateTime<Utc>) -> u64 {
    let next = day_start(now).checked_add_days(Days::new(1)).unwrap_or(now);
    let millis = (next - now).num_milliseconds().max(0);
    u64::try_from((millis + 999) / 1000).unwrap_or(0).max(1)
}

#[derive(FromQueryResult)]
struct Spent {
    spent: i64,
}

/// Credits held or charged for AI by `account_id` since midnight UTC of `now`.
pub async fn spent_today(
    conn: &impl ConnectionTrait,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT CAST(COALESCE(SUM(-t.amount), 0) AS BIGINT) AS spent \
             FROM credit_transactions t \
             WHERE t.account_id = $1 AND t.created_at >= $2 AND t.operation IS NOT NULL \
               AND (t.kind IN ('reservation', 'usage') OR (t.kind = 'refund' AND EXISTS ( \
                 SELECT 1 FROM credit_transactions r WHERE r.account_id = t.account_id \
                   AND r.kind = 'reservation' AND r.created_at >= $2 \
                   AND r.idempotency_key = REPLACE(t.idempotency_key, ':release', ':reserve'))))"
        }
        _ => {
            "SELECT CAST(COALESCE(SUM(-t.amount), 0) AS INTEGER) AS spent \
             FROM credit_transactions t \
             WHERE t.account_id = ?1 AND t.created_at >= ?2 AND t.operation IS NOT NULL \
               AND (t.kind IN ('reservation', 'usage') OR (t.kind = 'refund' AND EXISTS ( \
                 SELECT 1 FROM credit_transactions r WHERE r.account_id = t.account_id \
                   AND r.kind = 'reservation' AND r.created_at >= ?2 \
                   AND r.idempotency_key = REPLACE(t.idempotency_key, ':release', ':reserve'))))"
        }
    };
    let statement =
        Statement::from_sql_and_values(backend, sql, [account_id.into(), day_start(now).into()]);
    Ok(Spent::find_by_statement(statement)
        .one(conn)
        .await?
        .map_or(0, |row| row.spent))
}

/// `DailyAiLimit` when holding `required` more credits today would pass `limit`.
pub async fn check(
    conn: &impl ConnectionTrait,
    account_id: i64,
    limit: i64,
    required: i64,
) -> Result<(), Error> {
    let now = Utc::now();
    let spent = spent_today(conn, account_id, now).await?;
    if spent.saturating_add(required) > limit {
        return Err(Error::DailyAiLimit {
            limit,
            spent,
            required,
            retry_after_secs: seconds_until_midnight(now),
        });
    }
    Ok(())
}

/// Before a batch queues its jobs one by one: refused whole when its `total` would pass the
/// ceiling (each job's own hold is still checked, under the account's lock, as it is queued).
pub async fn check_batch(quire: &Quire, tenant: &Tenant, total: i64) -> Result<(), Error> {
    let platform_default = quire.settings.rate_limits.daily_ai_credit_limit;
    match ceiling_of(&tenant.account, platform_default) {
        Some(limit) if total > 0 => check(&quire.db, tenant.account.id, limit, total).await,
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_day_starts_and_ends_at_midnight_utc() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 23, 59, 30)
            .single()
            .expect("valid");
        assert_eq!(
            day_start(now),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(seconds_until_midnight(now), 30);
        let midnight = Utc
            .with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(seconds_until_midnight(midnight), 86_400);
    }
}
