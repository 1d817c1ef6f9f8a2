//! A tenant's keyword in one sector: its text, metrics and cluster.

use super::enums::{KeywordIntent, KeywordStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "keywords")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Always the sector's account.
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    /// Normalised text: trimmed, inner whitespace collapsed.
    pub keyword: String,
    /// The text lower-cased with Unicode rules; unique per sector.
    pub keyword_key: String,
    pub seed_keyword_id: Option<i64>,
    /// Monthly searches; 0 when unknown.
    pub volume: i64,
    /// 0–100.
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
    pub status: KeywordStatus,
    pub cluster_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
