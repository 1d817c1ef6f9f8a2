//! The database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, from the URL.

use quire_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, SqlxPostgresConnector, SqlxSqliteConnector,
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

/// How long a request waits for a pooled connection before it fails (instead of hanging).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
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

/// Whether the database answers a trivial query.
pub async fn is_reachable(db: &Db) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Whether an error is a unique-constraint violation (a duplicate), not a failure.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
