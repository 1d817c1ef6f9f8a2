//! Articles as the tenant reads and edits them: list, detail, edits that make versions,
//! version history, revert, and export.

use super::{
    export::{self, ExportFormat, Exported},
    sections::Section,
    versions::{self, Draft, MAX_META_DESCRIPTION_CHARS, MAX_META_TITLE_CHARS},
};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    entities::{
        content, content_version,
        enums::{ContentStatus, TaskStatus},
        task,
    },
    listing::{self, Page, PageRequest, SortKeys},
    planner::input::required_text,
    tenancy::lock_account,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, Set,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
/// The longest body, in characters of Markdown.
pub const MAX_BODY_CHARS: usize = 200_000;
/// The note of a version made by a PATCH.
pub const EDITED_NOTE: &str = "Edited";

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentFilter {
    pub task_id: Option<i64>,
    pub site_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub status: Option<ContentStatus>,
    /// Matches the title, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<content::Column> = &[
    ("id", content::Column::Id),
    ("title", content::Column::Title),
    ("word_count", content::Column::WordCount),
    ("updated_at", content::Column::UpdatedAt),
    ("created_at", content::Column::CreatedAt),
];

/// The sort keys of a content's versions (newest first unless asked).
pub const VERSION_SORT_KEYS: SortKeys<content_version::Column> = &[
    ("version", content_version::Column::Version),
    ("created_at", content_version::Column::CreatedAt),
];

/// The fields a PATCH may change. Title, meta and body changes make one new version (note
/// "Edited"); a status change alone changes the row without a version.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ContentPatch {
    /// 1 to 255 characters; runs of whitespace become one space.
    pub title: Option<String>,
    /// At most 60 characters; runs of whitespace become one space.
    pub meta_title: Option<String>,
    /// At most 160 characters; runs of whitespace become one space.
    pub meta_description: Option<String>,
    /// Markdown, 1 to 200,000 characters, kept as sent; its `##` headings become the sections.
    pub body: Option<String>,
    pub status: Option<ContentStatus>,
    /// The version the client edited: when given and not the current version, the PATCH is
    /// refused with 409 and nothing changes.
    pub version: Option<i32>,
}

/// `POST /content/{id}/revert/`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Revert {
    /// An earlier version of this content.
    pub version: i32,
}

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: ContentFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<content::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select =
        content::Entity::find().filter(content::Column::AccountId.eq(tenant.account.id));
    if let Some(task_id) = filter.task_id {
        select = select.filter(content::Column::TaskId.eq(task_id));
    }
    if let Some(site_id) = filter.site_id {
        select = select.filter(content::Column::SiteId.eq(site_id));
    }
    if let Some(sector_id) = filter.sector_id {
        select = select.filter(content::Column::SectorId.eq(sector_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(content::Column::Status.eq(status));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[content::Column::Title]));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's content `id`; another account's content is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<content::Model, Error> {
    content::Entity::find_by_id(id)
        .filter(content::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// The stored sections of `content`, in order.
pub fn sections(content: &content::Model) -> Vec<Section> {
    versions::sections_of(&content.sections)
}

/// Applies `patch` in one transaction. A changed title, meta or body becomes the next version
/// (sections re-derived from the body, ids kept for headings that stay); a PATCH that changes
/// none of them makes no version. A new status is set on the content, and on its task while
/// the task is a draft, in review or published (not while it is queued, generating or
/// failed). A stale `version` is a conflict.
pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: ContentPatch,
) -> Result<content::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    if let Some(edited) = patch.version
        && edited != current.version
    {
        return Err(stale(current.version, edited));
    }
    let (draft, status) = validate(patch, &current)?;

    let mut saved = current.clone();
    if let Some(status) = status.filter(|s| *s != current.status) {
        let mut row: content::ActiveModel = current.clone().into();
        row.status = Set(status);
        row.updated_at = Set(Utc::now());
        saved = row.update(&txn).await?;
        follow_on_task(&txn, &saved).await?;
    }
    if draft != Draft::of(&current) {
        saved = versions::save_version(&txn, &saved, draft, EDITED_NOTE).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// The versions of the tenant's content `id`, newest first unless `ordering` says otherwise.
pub async fn versions(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<content_version::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        VERSION_SORT_KEYS,
        (content_version::Column::Version, Order::Desc),
    )?;
    let content = get(db, tenant, id).await?;
    let select = content_version::Entity::find()
        .filter(content_version::Column::ContentId.eq(content.id))
        .filter(content_version::Column::AccountId.eq(tenant.account.id));
    listing::fetch_page(db, select, &ordering, page).await
}

/// Version `version` of the tenant's content `id`; `NotFound` when either is missing.
pub async fn version(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
    version: i32,
) -> Result<content_version::Model, Error> {
    let content = get(conn, tenant, id).await?;
    find_version(conn, &content, version)
        .await?
        .ok_or(Error::NotFound)
}

/// Makes version `to`'s title, meta and body the next version of content `id` (note
/// "Reverted to N"). A version the content never had, or its current version, is a 400.
pub async fn revert(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    to: Revert,
) -> Result<content::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    if to.version == current.version {
        return Err(Error::Validation(ValidationErrors::single(
            "version",
            format!("Version {} is already the current version.", to.version),
        )));
    }
    let Some(earlier) = find_version(&txn, &current, to.version).await? else {
        return Err(Error::Validation(ValidationErrors::single(
            "version",
            format!("This content has no version {}.", to.version),
        )));
    };
    let draft = Draft {
        title: earlier.title,
        meta_title: earlier.meta_title,
        meta_description: earlier.meta_description,
        body: earlier.body,
    };
    let note = format!("Reverted to {}", to.version);
    let saved = versions::save_version(&txn, &current, draft, &note).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The tenant's content `id` as a file in `format`, the HTML in its task's language.
pub async fn export(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    format: ExportFormat,
) -> Result<Exported, Error> {
    let content = get(db, tenant, id).await?;
    let language = task::Entity::find_by_id(content.task_id)
        .one(db)
        .await?
        .map(|t| t.language)
        .unwrap_or_default();
    Ok(export::render(&content, &language, format))
}

async fn find_version(
    conn: &impl ConnectionTrait,
    content: &content::Model,
    version: i32,
) -> Result<Option<content_version::Model>, Error> {
    Ok(content_version::Entity::find()
        .filter(content_version::Column::ContentId.eq(content.id))
        .filter(content_version::Column::AccountId.eq(content.account_id))
        .filter(content_version::Column::Version.eq(version))
        .one(conn)
        .await?)
}

fn stale(current: i32, edited: i32) -> Error {
    Error::Conflict(format!(
        "This article is at version {current}; you edited version {edited}. \
         Reload it and apply your changes again."
    ))
}

/// The draft and status the PATCH asks for, every field checked at once.
fn validate(
    patch: ContentPatch,
    current: &content::Model,
) -> Result<(Draft, Option<ContentStatus>), Error> {
    let mut errors = ValidationErrors::default();
    let mut draft = Draft::of(current);
    if let Some(title) = patch.title {
        draft.title = required_text(
            &mut errors,
            "title",
            &crate::text::one_line(&title),
            MAX_TITLE_CHARS,
        );
    }
    if let Some(meta_title) = patch.meta_title {
        draft.meta_title = at_most(
            &mut errors,
            "meta_title",
            crate::text::one_line(&meta_title),
            MAX_META_TITLE_CHARS,
        );
    }
    if let Some(description) = patch.meta_description {
        draft.meta_description = at_most(
            &mut errors,
            "meta_description",
            crate::text::one_line(&description),
            MAX_META_DESCRIPTION_CHARS,
        );
    }
    if let Some(body) = patch.body {
        if body.trim().is_empty() {
            errors.add("body", "This field may not be blank.");
        } else if body.chars().count() > MAX_BODY_CHARS {
            errors.add("body", "Use at most 200,000 characters.");
        }
        draft.body = body;
    }
    errors.into_result()?;
    Ok((draft, patch.status))
}

fn at_most(errors: &mut ValidationErrors, field: &str, text: String, max: usize) -> String {
    if text.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    text
}

/// Sets the content's status on its task, while the task's work is done (a draft, in review or
/// published).
async fn follow_on_task(
    conn: &impl ConnectionTrait,
    content: &content::Model,
) -> Result<(), Error> {
    let Some(task) = task::Entity::find_by_id(content.task_id)
        .filter(task::Column::AccountId.eq(content.account_id))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    if !matches!(
        task.status,
        TaskStatus::Draft | TaskStatus::Review | TaskStatus::Published
    ) {
        return Ok(());
    }
    let mut row: task::ActiveModel = task.into();
    row.status = Set(match content.status {
        ContentStatus::Draft => TaskStatus::Draft,
        ContentStatus::Review => TaskStatus::Review,
        ContentStatus::Published => TaskStatus::Published,
    });
    row.updated_at = Set(Utc::now());
    row.update(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_become_one_line() {
        assert_eq!(
            crate::text::one_line("  A \n title\twith  gaps "),
            "A title with gaps"
        );
        let mut errors = ValidationErrors::default();
        assert_eq!(
            at_most(&mut errors, "meta_title", "é".repeat(60), 60).len(),
            120
        );
        assert!(errors.is_empty(), "60 characters, though 120 bytes");
        at_most(&mut errors, "meta_title", "x".repeat(61), 60);
        assert_eq!(
            errors.fields()["meta_title"],
            ["Use at most 60 characters."]
        );
    }
}
