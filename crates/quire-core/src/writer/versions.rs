//! Saving an article: the current state in `contents` and one append-only `content_versions`
//! row per change (generation, section rewrite, edit, revert), in the caller's transaction.

use super::sections::{self, Section};
use crate::{
    Error, db,
    entities::{content, content_version, enums::ContentStatus, task},
};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// The longest meta title search engines show.
pub const MAX_META_TITLE_CHARS: usize = 60;
/// The longest meta description search engines show.
pub const MAX_META_DESCRIPTION_CHARS: usize = 160;

/// What a version holds besides its sections (derived from the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    /// Markdown.
    pub body: String,
}

impl Draft {
    /// The draft of a stored content.
    pub fn of(content: &content::Model) -> Self {
        Self {
            title: content.title.clone(),
            meta_title: content.meta_title.clone(),
            meta_description: content.meta_description.clone(),
            body: content.body.clone(),
        }
    }
}

/// The stored sections of a content or version.
pub fn sections_of(stored: &str) -> Vec<Section> {
    serde_json::from_str(stored).unwrap_or_default()
}

fn encode_sections(sections: &[Section]) -> String {
    serde_json::to_string(sections).unwrap_or_else(|_| "[]".to_owned())
}

/// Saves a generated draft for `task`: its content at version 1, or the next version of the
/// content it already has.
pub async fn save_generated(
    conn: &impl ConnectionTrait,
    task: &task::Model,
    draft: Draft,
    note: &str,
) -> Result<content::Model, Error> {
    let existing = content::Entity::find()
        .filter(content::Column::TaskId.eq(task.id))
        .one(conn)
        .await?;
    if let Some(current) = existing {
        return save_version(conn, &current, draft, note).await;
    }
    let sections = sections::derive(&draft.body, &[]);
    let now = Utc::now();
    let created = content::ActiveModel {
        account_id: Set(task.account_id),
        site_id: Set(task.site_id),
        sector_id: Set(task.sector_id),
        task_id: Set(task.id),
        title: Set(draft.title),
        meta_title: Set(draft.meta_title),
        meta_description: Set(draft.meta_description),
        word_count: Set(sections::word_count(&draft.body)),
        body: Set(draft.body),
        sections: Set(encode_sections(&sections)),
        version: Set(1),
        status: Set(ContentStatus::Draft),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(changed_meanwhile)?;
    record(conn, &created, note).await?;
    Ok(created)
}

/// Makes `draft` the next version of `current`: sections re-derived from the body (ids kept
/// for headings that stay), word count recounted, the version appended. Two writers racing
/// on one version: the second gets a conflict.
pub async fn save_version(
    conn: &impl ConnectionTrait,
    current: &content::Model,
    draft: Draft,
    note: &str,
) -> Result<content::Model, Error> {
    let sections = sections::derive(&draft.body, &sections_of(&current.sections));
    let mut row: content::ActiveModel = current.clone().into();
    row.title = Set(draft.title);
    row.meta_title = Set(draft.meta_title);
    row.meta_description = Set(draft.meta_description);
    row.word_count = Set(sections::word_count(&draft.body));
    row.body = Set(draft.body);
    row.sections = Set(encode_sections(&sections));
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let updated = row.update(conn).await?;
    record(conn, &updated, note).await?;
    Ok(updated)
}

/// Appends the content as it now is to its versions.
async fn record(
    conn: &impl ConnectionTrait,
    content: &content::Model,
    note: &str,
) -> Result<(), Error> {
    content_version::ActiveModel {
        content_id: Set(content.id),
        account_id: Set(content.account_id),
        version: Set(content.version),
        title: Set(content.title.clone()),
        meta_title: Set(content.meta_title.clone()),
        meta_description: Set(content.meta_description.clone()),
        body: Set(content.body.clone()),
        sections: Set(content.sections.clone()),
        word_count: Set(content.word_count),
        note: Set(note.chars().take(255).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(changed_meanwhile)?;
    Ok(())
}

fn changed_meanwhile(err: sea_orm::DbErr) -> Error {
    if db::is_unique_violation(&err) {
        Error::Conflict("The article changed meanwhile; reload it and try again.".to_owned())
    } else {
        Error::Database(err)
    }
}
