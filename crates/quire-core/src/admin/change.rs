//! An operator's change to global data (plans, reference data) as one audit row: the operator
//! as actor, no account, the object before and after.

use crate::{Error, audit};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

pub(crate) struct Change<'a> {
    pub operator_id: i64,
    /// `plan.updated`, `industry.deleted`…
    pub action: &'a str,
    pub object_type: &'a str,
    /// `None` for a change to many objects (a reorder, an import).
    pub object_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends the change in the caller's transaction.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    audit::record(
        conn,
        audit::Entry {
            actor: &format!("user:{}", change.operator_id),
            action: change.action,
            object_type: change.object_type,
            object_id: change.object_id,
            account_id: None,
            before: change.before,
            after: change.after,
        },
        now,
    )
    .await?;
    Ok(())
}
