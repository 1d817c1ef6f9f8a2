//! A group of a sector's keywords about one topic, with its keyword count and total volume.

use super::enums::ClusterStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "clusters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub name: String,
    pub description: String,
    /// Kept equal to the number of keywords in the cluster.
    pub keyword_count: i64,
    /// Kept equal to the sum of their volumes.
    pub total_volume: i64,
    pub status: ClusterStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
