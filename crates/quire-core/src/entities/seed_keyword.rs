//! A keyword of the global seed library, with its search volume, difficulty and intent.

use super::enums::KeywordIntent;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seed_keywords")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub industry_sector_id: i64,
    pub keyword: String,
    /// Monthly searches.
    pub volume: i64,
    /// 0–100.
    pub difficulty: i32,
    pub intent: KeywordIntent,
    pub country: String,
    pub language: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
