//! A task's article as it stands now: title, meta, Markdown body and its sections.

use super::enums::ContentStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub sector_id: i64,
    /// One article per task.
    pub task_id: i64,
    pub title: String,
    /// At most 60 characters.
    pub meta_title: String,
    /// At most 160 characters.
    pub meta_description: String,
    /// Markdown.
    pub body: String,
    /// JSON list of `{id, heading, order}`: the body's `##` sections with stable ids.
    pub sections: String,
    pub word_count: i32,
    /// The latest entry of `content_versions`, starting at 1.
    pub version: i32,
    pub status: ContentStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
