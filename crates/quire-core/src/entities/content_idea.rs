//! An idea for a piece of content, usually generated from a cluster.

use super::enums::{ContentType, IdeaStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "content_ideas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    pub cluster_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// JSON list of section headings.
    pub outline: String,
    pub content_type: ContentType,
    /// How the piece is laid out ("step-by-step", "problem-solution"…); free text.
    pub content_structure: String,
    /// JSON list of keywords.
    pub target_keywords: String,
    pub estimated_words: i32,
    pub status: IdeaStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
