//! An owner's export of everything their account holds, as one JSON document written in
//! chunks: each table is read in batches by id inside one read transaction, so a big account
//! never sits in memory whole and the document is one consistent snapshot.

use super::principal::Tenant;
use crate::{
    Error, Quire,
    db::Db,
    entities::{
        account, ai_usage_log, cluster, content, content_idea, content_version, credit_transaction,
        enums::UserRole, job, keyword, payment, sector, site, subscription, task, user,
    },
};
use chrono::{DateTime, Utc};
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use tokio::sync::mpsc;

/// The `format` member of every export, and its version.
pub const FORMAT: &str = "quire.account-export";
pub const VERSION: u32 = 1;
/// Rows read per query.
const BATCH: u64 = 500;
/// Bytes gathered before a chunk is handed on.
const CHUNK: usize = 64 * 1024;

/// A member of the account without the password hash.
#[derive(Debug, Serialize)]
struct UserRecord {
    id: i64,
    email: String,
    name: String,
    role: UserRole,
    is_active: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<user::Model> for UserRecord {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            is_active: u.is_active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Refuses anyone but the account's owner.
pub fn authorise(tenant: &Tenant) -> Result<(), Error> {
    if tenant.user.role == UserRole::Owner {
        Ok(())
    } else {
        Err(Error::RoleNotAllowed)
    }
}

/// A piece of the document, or the error that cut it short (the last item then).
pub type Chunk = Result<Vec<u8>, Error>;

/// Writes the export of `tenant`'s account to `out` in chunks of about 64 KiB; a failure is
/// sent as the last item, so the reader never takes a cut document for a whole one. Stops
/// quietly when the receiver goes away (the client disconnected).
pub async fn write(quire: &Quire, tenant: &Tenant, out: mpsc::Sender<Chunk>) {
    if let Err(error) = write_document(quire, tenant, out.clone()).await {
        let _ = out.send(Err(error)).await;
    }
}

async fn write_document(
    quire: &Quire,
    tenant: &Tenant,
    out: mpsc::Sender<Chunk>,
) -> Result<(), Error> {
    authorise(tenant)?;
    let txn = snapshot(&quire.db).await?;
    let mut doc = Writer {
        out,
        buf: Vec::with_capacity(CHUNK),
        account_id: tenant.account.id,
    };
    let account = account::Entity::find_by_id(tenant.account.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    doc.raw("{\"format\":");
    doc.value(&FORMAT)?;
    doc.raw(&format!(",\"version\":{VERSION},\"exported_at\":"));
    doc.value(&quire.clock.now())?;
    doc.raw(",\"account\":");
    doc.value(&account)?;
    macro_rules! sections {
        ($($name:literal => $entity:ident $(as $record:ty)?),+ $(,)?) => {$(
            doc.raw(concat!(",\"", $name, "\":["));
            let mut after = 0_i64;
            let mut first = true;
            loop {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::AccountId.eq(doc.account_id))
                    .filter($entity::Column::Id.gt(after))
                    .order_by_asc($entity::Column::Id)
                    .limit(BATCH)
                    .all(&txn)
                    .await?;
                let Some(last) = rows.last() else { break };
                after = last.id;
                let full = rows.len() as u64 == BATCH;
                for row in rows {
                    if !first {
                        doc.raw(",");
                    }
                    first = false;
                    $(let row = <$record>::from(row);)?
                    doc.value(&row)?;
                }
                if !doc.flush_if_full().await {
                    return Ok(());
                }
                if !full {
                    break;
                }
            }
            doc.raw("]");
        )+};
    }
    sections!(
        "users" => user as UserRecord,
        "subscriptions" => subscription,
        "payments" => payment,
        "ledger" => credit_transaction,
        "ai_usage" => ai_usage_log,
        "sites" => site,
        "sectors" => sector,
        "keywords" => keyword,
        "clusters" => cluster,
        "ideas" => content_idea,
        "tasks" => task,
        "content" => content,
        "content_versions" => content_version,
        "jobs" => job,
    );
    doc.raw("}");
    txn.commit().await?;
    doc.finish().await;
    Ok(())
}

/// A read-only transaction that sees one snapshot: PostgreSQL needs REPEATABLE READ for that;
/// a SQLite read transaction (WAL) has it already, and SQLite takes no isolation level.
async fn snapshot(db: &Db) -> Result<DatabaseTransaction, Error> {
    Ok(match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    })
}

/// The document being written: a buffer handed on in chunks.
struct Writer {
    out: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
    account_id: i64,
}

impl Writer {
    fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    fn value(&mut self, value: &impl Serialize) -> Result<(), Error> {
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| Error::Internal(format!("export serialisation: {e}")))
    }

    /// Hands the buffer on once it holds a chunk; false when no one listens any more.
    async fn flush_if_full(&mut self) -> bool {
        if self.buf.len() < CHUNK {
            return true;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.out.send(Ok(chunk)).await.is_ok()
    }

    async fn finish(self) {
        // A receiver that went away wants nothing more.
        let _ = self.out.send(Ok(self.buf)).await;
    }
}
