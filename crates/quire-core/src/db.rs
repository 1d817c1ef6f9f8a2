//! The database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, from the URL.

use quire_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, RuntimeErr, SqliteTransactionMode,
    SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions, TransactionTrait,
};
use sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

pub type Db = DatabaseConnection;

/// How long a request waits for a pooled connection before it fails (instead of hanging):
/// while the database is down, requests answer 503 after this long.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the readiness probe waits for the database before it answers "unavailable".
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);
/// How long SQLite waits on a lock held by another writer.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many statements a connection pool has sent to the database (each one round trip), for
/// `/metrics` and the benchmark's round trips per request.
#[derive(Debug, Clone, Default)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Starts counting the statements `db` sends, including those inside transactions (their
/// `BEGIN` and `COMMIT` are not counted).
pub fn count_statements(db: &mut Db) -> StatementCount {
    let count = StatementCount::default();
    let counter = count.0.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    count
}

/// Opens the database named by `url`, creating a SQLite file when it does not exist.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
    let to_db_err = |e: sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()));
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(to_db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(to_db_err)?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(to_db_err)?;
        Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &Db) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `BEGIN IMMEDIATE` on SQLite: a writer that reads first waits its turn, not fails `SQLITE_BUSY`.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Whether the database answers a trivial query within [`READINESS_TIMEOUT`].
pub async fn is_reachable(db: &Db) -> bool {
    tokio::time::timeout(READINESS_TIMEOUT, db.execute_unprepared("SELECT 1"))
        .await
        .is_ok_and(|answered| answered.is_ok())
}

/// Whether an error means the database could not be reached — no connection to be had, or
/// the connection lost mid-statement, or a server shutting down or starting up — rather than
/// a statement that failed. Such a request may succeed when tried again shortly.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match err.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL's connection exceptions (class 08), and admin_shutdown,
                // crash_shutdown and cannot_connect_now (57P01–57P03).
                sqlx::Error::Database(err) => err
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether an error is a unique-constraint violation (a duplicate), not a failure.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DatabaseBackend, Statement};

    fn sqlx_query_error(err: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_a_refused_statement_is_not() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_unavailable(&sqlx_query_error(sqlx::Error::Io(reset))));
        assert!(is_unavailable(&sqlx_query_error(sqlx::Error::PoolTimedOut)));
        assert!(is_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout
        )));
        assert!(!is_unavailable(&sqlx_query_error(sqlx::Error::RowNotFound)));
        assert!(!is_unavailable(&DbErr::Custom("no such column".into())));
    }

    /// A write transaction reads, another connection writes meanwhile, then the first writes:
    /// both commit, the second after the first. Begun deferred, the first one's write would
    /// fail at once with "database is locked".
    #[tokio::test]
    async fn a_write_transaction_that_reads_first_is_not_refused_for_a_concurrent_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("quire.db").display());
        let db = connect(&url, 2).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("create");

        let txn = begin_write(&db).await.expect("begin");
        txn.execute_unprepared("SELECT COUNT(*) FROM t")
            .await
            .expect("read");
        let other = tokio::spawn({
            let db = db.clone();
            async move { db.execute_unprepared("INSERT INTO t VALUES (2)").await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("the write that follows the read");
        txn.commit().await.expect("commit");
        other
            .await
            .expect("task")
            .expect("the other connection's write");

        let rows = db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT n FROM t ORDER BY rowid",
            ))
            .await
            .expect("rows");
        let order: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get_by_index(0).expect("n"))
            .collect();
        assert_eq!(order, [1, 2]);
    }
}
