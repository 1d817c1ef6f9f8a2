//! One audited action: who, what, on which object, and the object before and after.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `user:{id}`, or `system:{part}` for Quire's own jobs.
    pub actor: String,
    /// `payment.confirmed`, `subscription.canceled`…
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub account_id: Option<i64>,
    /// JSON.
    pub before: Option<String>,
    /// JSON.
    pub after: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
