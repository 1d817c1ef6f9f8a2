//! Writer tasks: created from a content idea ("send to writer"), read back by the tenant.

use crate::{
    Error,
    accounts::principal::Tenant,
    db::Db,
    entities::{
        content_idea,
        enums::{IdeaStatus, TaskStatus},
        task,
    },
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The language a task is written in when nothing says otherwise.
pub const DEFAULT_LANGUAGE: &str = "en";

/// What became of an idea handed to [`create_from_idea`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromIdea {
    Created(Box<task::Model>),
    Skipped(SkipReason),
}

/// Why an idea did not become a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The idea is `sent`, or a task was already made from it.
    AlreadySent,
    /// The idea is archived.
    Archived,
}

/// Makes the writer task for `idea` (status `queued`, on the idea's account, site, sector and
/// cluster, with its title, outline, target keywords, description as the brief and estimated
/// words as the length) and marks the idea `sent`. An idea that is archived, `sent`, or
/// already has a task is left alone: sending twice never makes two tasks. Costs no credits.
///
/// Call it inside a transaction that holds the account's lock, so two concurrent sends of
/// one idea cannot both pass the check.
pub async fn create_from_idea(
    conn: &impl ConnectionTrait,
    idea: &content_idea::Model,
) -> Result<FromIdea, Error> {
    match idea.status {
        IdeaStatus::Archived => return Ok(FromIdea::Skipped(SkipReason::Archived)),
        IdeaStatus::Sent => return Ok(FromIdea::Skipped(SkipReason::AlreadySent)),
        IdeaStatus::New => {}
    }
    if has_task(conn, idea.id).await? {
        return Ok(FromIdea::Skipped(SkipReason::AlreadySent));
    }
    let now = Utc::now();
    let created = task::ActiveModel {
        account_id: Set(idea.account_id),
        site_id: Set(idea.site_id),
        sector_id: Set(idea.sector_id),
        idea_id: Set(Some(idea.id)),
        cluster_id: Set(idea.cluster_id),
        title: Set(idea.title.clone()),
        brief: Set(idea.description.clone()),
        outline: Set(idea.outline.clone()),
        target_keywords: Set(idea.target_keywords.clone()),
        word_count: Set(idea.estimated_words),
        tone: Set(String::new()),
        audience: Set(String::new()),
        language: Set(DEFAULT_LANGUAGE.to_owned()),
        point_of_view: Set(String::new()),
        notes: Set(String::new()),
        status: Set(TaskStatus::Queued),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let mut sent: content_idea::ActiveModel = idea.clone().into();
    sent.status = Set(IdeaStatus::Sent);
    sent.updated_at = Set(now);
    sent.update(conn).await?;
    Ok(FromIdea::Created(Box::new(created)))
}

/// Whether a task was made from idea `idea_id`.
pub async fn has_task(conn: &impl ConnectionTrait, idea_id: i64) -> Result<bool, Error> {
    Ok(task::Entity::find()
        .filter(task::Column::IdeaId.eq(idea_id))
        .count(conn)
        .await?
        > 0)
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    pub site_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub idea_id: Option<i64>,
    pub status: Option<TaskStatus>,
    /// Matches the title, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<task::Column> = &[
    ("id", task::Column::Id),
    ("title", task::Column::Title),
    ("word_count", task::Column::WordCount),
    ("status", task::Column::Status),
    ("created_at", task::Column::CreatedAt),
    ("updated_at", task::Column::UpdatedAt),
];

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: TaskFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<task::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select = task::Entity::find().filter(task::Column::AccountId.eq(tenant.account.id));
    if let Some(site_id) = filter.site_id {
        select = select.filter(task::Column::SiteId.eq(site_id));
    }
    if let Some(sector_id) = filter.sector_id {
        select = select.filter(task::Column::SectorId.eq(sector_id));
    }
    if let Some(cluster_id) = filter.cluster_id {
        select = select.filter(task::Column::ClusterId.eq(cluster_id));
    }
    if let Some(idea_id) = filter.idea_id {
        select = select.filter(task::Column::IdeaId.eq(idea_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(task::Column::Status.eq(status));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[task::Column::Title]));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's task `id`; another account's task is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<task::Model, Error> {
    task::Entity::find_by_id(id)
        .filter(task::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}
