//! A writer task: the brief for one article, from an idea or from scratch.

use super::enums::TaskStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub idea_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub title: String,
    pub brief: String,
    /// JSON list of section headings.
    pub outline: String,
    /// JSON list of keywords.
    pub target_keywords: String,
    /// The article's target length in words.
    pub word_count: i32,
    pub tone: String,
    pub audience: String,
    /// A language tag (`en`, `fr-CA`…).
    pub language: String,
    /// `first`, `second`, `third`, or empty for the writer's choice.
    pub point_of_view: String,
    pub notes: String,
    pub status: TaskStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
