//! Backups of a SQLite database: an online, consistent copy (`VACUUM INTO`) and a checked
//! restore that swaps the file in by rename. PostgreSQL is backed up with pg_dump instead.

use quire_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, SqlxSqliteConnector, Statement, TryGetable,
};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::{
    collections::BTreeSet,
    fs, io,
    path::{Path, PathBuf},
    str::FromStr,
};

/// Why a backup or restore was refused or failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "QUIRE_DATABASE_URL names PostgreSQL: back it up with `pg_dump --format=custom \
         --file=FILE \"$QUIRE_DATABASE_URL\"` and restore with `pg_restore --clean --if-exists \
         --no-owner --dbname=\"$QUIRE_DATABASE_URL\" FILE` (see docs/security-data.md)"
    )]
    Postgres,
    #[error("QUIRE_DATABASE_URL names an in-memory SQLite database; there is nothing to back up")]
    InMemory,
    #[error("no Quire database at {0}")]
    NoDatabase(PathBuf),
    #[error("{0} already exists; choose a new file (a backup never overwrites one)")]
    Exists(PathBuf),
    #[error("{path} is not a Quire database ({reason}); nothing was changed")]
    NotQuire { path: PathBuf, reason: String },
    #[error(
        "{path} was written by a newer Quire (migrations {unknown:?} are unknown to this \
         binary); upgrade Quire first. Nothing was changed"
    )]
    Newer { path: PathBuf, unknown: Vec<String> },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// The SQLite file `url` names; PostgreSQL and in-memory databases are refused.
pub fn sqlite_file(url: &str) -> Result<PathBuf, BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::Postgres);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| BackupError::Database(DbErr::Custom(e.to_string())))?;
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return Err(BackupError::InMemory);
    }
    Ok(file.to_owned())
}

/// Copies the database at `url` to `to` while the server may be running: `VACUUM INTO` reads
/// one consistent snapshot. The copy is written beside `to` and linked into place, so `to`
/// never holds half a backup and an existing file is never overwritten.
pub async fn backup(url: &str, to: &Path) -> Result<u64, BackupError> {
    let source = sqlite_file(url)?;
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source));
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let partial = sibling(to, "partial");
    remove_if_present(&partial)?;
    let db = open(&source).await?;
    let copied = db
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "VACUUM INTO ?",
            [partial.to_string_lossy().into_owned().into()],
        ))
        .await;
    db.close().await?;
    copied?;
    // `hard_link` fails when `to` appeared meanwhile: still no overwrite.
    let linked = fs::hard_link(&partial, to).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            BackupError::Exists(to.to_owned())
        } else {
            io_error(format!("writing {}", to.display()))(e)
        }
    });
    remove_if_present(&partial)?;
    linked?;
    Ok(fs::metadata(to)
        .map_err(io_error(format!("reading {}", to.display())))?
        .len())
}

/// What a restore put in place.
#[derive(Debug)]
pub struct Restored {
    pub file: PathBuf,
    /// The backup's newest migration.
    pub migration: String,
}

/// Replaces the database at `url` with the backup `from`. The server must be stopped. The
/// backup is copied next to the database and checked there (a SQLite file, Quire's tables,
/// no migration newer than this binary, `quick_check` clean); only then is it renamed over
/// the database, so a refused or failed restore leaves the database as it was.
pub async fn restore(url: &str, from: &Path) -> Result<Restored, BackupError> {
    let target = sqlite_file(url)?;
    if !from.is_file() {
        return Err(BackupError::NotQuire {
            path: from.to_owned(),
            reason: "no such file".to_owned(),
        });
    }
    let staged = sibling(&target, "restore");
    fs::copy(from, &staged).map_err(io_error(format!("copying {}", from.display())))?;
    let checked = check(&staged).await.map_err(|e| match e {
        BackupError::NotQuire { reason, .. } => BackupError::NotQuire {
            path: from.to_owned(),
            reason,
        },
        BackupError::Newer { unknown, .. } => BackupError::Newer {
            path: from.to_owned(),
            unknown,
        },
        other => other,
    });
    let migration = match checked {
        Ok(migration) => migration,
        Err(error) => {
            remove_if_present(&staged)?;
            return Err(error);
        }
    };
    fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(io_error("syncing the restored copy"))?;
    // A stopped server leaves no WAL; one left by a crash belongs to the database being
    // replaced and must not be replayed onto the restored file.
    for suffix in ["-wal", "-shm"] {
        let mut name = target.clone().into_os_string();
        name.push(suffix);
        remove_if_present(Path::new(&name))?;
    }
    fs::rename(&staged, &target).map_err(io_error(format!("replacing {}", target.display())))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error("syncing the database directory"))?;
    }
    Ok(Restored {
        file: target,
        migration,
    })
}

/// Checks the SQLite file at `path` is a sound Quire database this binary can run; answers
/// its newest migration.
async fn check(path: &Path) -> Result<String, BackupError> {
    let not_quire = |reason: String| BackupError::NotQuire {
        path: path.to_owned(),
        reason,
    };
    let db = open(path).await?;
    let applied = async {
        let integrity = first_text(&db, "PRAGMA quick_check").await?;
        let has_table = first_text(
            &db,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        )
        .await?;
        if has_table.is_none() {
            return Ok::<_, DbErr>((integrity, Vec::new()));
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT version FROM seaql_migrations ORDER BY version",
            ))
            .await?;
        let versions = rows
            .iter()
            .map(|row| String::try_get_by(row, 0).map_err(DbErr::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((integrity, versions))
    }
    .await;
    db.close().await?;
    let (integrity, applied) = applied.map_err(|e| not_quire(e.to_string()))?;
    if integrity.as_deref() != Some("ok") {
        return Err(not_quire(format!(
            "integrity check: {}",
            integrity.unwrap_or_default()
        )));
    }
    let Some(newest) = applied.last().cloned() else {
        return Err(not_quire("it has no Quire migrations".to_owned()));
    };
    let known: BTreeSet<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<String> = applied.into_iter().filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        return Err(BackupError::Newer {
            path: path.to_owned(),
            unknown,
        });
    }
    Ok(newest)
}

async fn first_text(db: &impl ConnectionTrait, sql: &str) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
        .await?;
    row.map(|r| String::try_get_by(&r, 0).map_err(DbErr::from))
        .transpose()
}

/// One connection to an existing SQLite file (never creates one).
async fn open(path: &Path) -> Result<sea_orm::DatabaseConnection, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| BackupError::NotQuire {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// A hidden work file next to `path` (same directory, so a rename or link stays atomic).
fn sibling(path: &Path, purpose: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{purpose}-{}", std::process::id()))
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_error(format!("removing {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}
