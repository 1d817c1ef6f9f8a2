//! One saved version of an article: every generation, section rewrite, edit and revert adds
//! one; versions are never changed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "content_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub content_id: i64,
    pub account_id: i64,
    pub version: i32,
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    pub body: String,
    /// JSON list of `{id, heading, order}`.
    pub sections: String,
    pub word_count: i32,
    /// What made this version ("Generated", "Rewrote section …", "Edited", "Reverted to 2").
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
