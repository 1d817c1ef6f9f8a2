//! The audit log: an append-only row for every billing transition and operator action — who,
//! what, on which object, and the object before and after.

use crate::{Error, entities::audit_log};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// One action to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `user:{id}` or `system:{part}`.
    pub actor: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<i64>,
    pub account_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends `entry`, in the caller's transaction so it stands or falls with the action.
pub async fn record(
    conn: &impl ConnectionTrait,
    entry: Entry<'_>,
    at: DateTime<Utc>,
) -> Result<audit_log::Model, Error> {
    Ok(audit_log::ActiveModel {
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        object_type: Set(entry.object_type.to_owned()),
        object_id: Set(entry.object_id),
        account_id: Set(entry.account_id),
        before: Set(entry.before.map(|v| v.to_string())),
        after: Set(entry.after.map(|v| v.to_string())),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}
