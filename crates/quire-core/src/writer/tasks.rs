//! Writer tasks: the brief for one article, made from a content idea (one at a time or by
//! "send to writer") or from scratch, then read, edited, moved along its status and deleted
//! by the tenant. None of it costs credits.

use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    entities::{
        content, content_idea,
        enums::{ContentStatus, IdeaStatus, TaskStatus},
        task,
    },
    listing::{self, Page, PageRequest, SortKeys},
    planner::{ideas, input, scope, stored_json},
    tenancy::lock_account,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// The language a task is written in when nothing says otherwise.
pub const DEFAULT_LANGUAGE: &str = "en";
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
/// The range of a task's target length in words, and its default.
pub const MIN_WORDS: i64 = 300;
pub const MAX_WORDS: i64 = 10_000;
pub const DEFAULT_WORDS: i32 = 1_500;
/// The longest brief, tone, audience and notes, in characters.
pub const MAX_BRIEF_CHARS: usize = 5_000;
pub const MAX_TONE_CHARS: usize = 64;
pub const MAX_AUDIENCE_CHARS: usize = 255;
pub const MAX_NOTES_CHARS: usize = 5_000;
/// The shortest and longest language tag.
pub const MIN_LANGUAGE_CHARS: usize = 2;
pub const MAX_LANGUAGE_CHARS: usize = 35;
/// The points of view a brief may ask for (or empty: the writer's choice).
pub const POINTS_OF_VIEW: [&str; 3] = ["first", "second", "third"];

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

/// `POST /writer/tasks/`: either `idea_id` (the task carries the idea's title, brief, outline,
/// target keywords, length, site, sector and cluster) or `sector_id` and `title` (from
/// scratch). Any brief field given is used instead of the idea's.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewTask {
    /// One of the caller's ideas, `new` (not sent, not archived); it becomes `sent`.
    #[serde(default)]
    pub idea_id: Option<i64>,
    /// Without `idea_id`: one of the caller's sectors. With it: left out, or the idea's.
    #[serde(default)]
    pub sector_id: Option<i64>,
    /// When given, the sector's site.
    #[serde(default)]
    pub site_id: Option<i64>,
    /// 1 to 255 characters; required without `idea_id`.
    #[serde(default)]
    pub title: Option<String>,
    /// At most 30; repeats (ignoring case) are dropped.
    #[serde(default)]
    pub target_keywords: Option<Vec<String>>,
    /// 300 to 10,000; the idea's estimated words, else 1,500, unless given.
    #[serde(default)]
    pub word_count: Option<i64>,
    /// At most 5,000 characters.
    #[serde(default)]
    pub brief: Option<String>,
    /// Section headings: at most 30, each at most 200 characters.
    #[serde(default)]
    pub outline: Option<Vec<String>>,
    /// At most 64 characters ("friendly", "expert"…).
    #[serde(default)]
    pub tone: Option<String>,
    /// At most 255 characters.
    #[serde(default)]
    pub audience: Option<String>,
    /// A language tag such as `en` or `fr-CA` (2–35 letters, digits and hyphens, starting
    /// with a letter); `en` unless given.
    #[serde(default)]
    pub language: Option<String>,
    /// `first`, `second`, `third`, or empty for the writer's choice.
    #[serde(default)]
    pub point_of_view: Option<String>,
    /// At most 5,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The fields a PATCH may change. A task never moves to another sector or idea.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub target_keywords: Option<Vec<String>>,
    pub word_count: Option<i64>,
    pub brief: Option<String>,
    pub outline: Option<Vec<String>>,
    pub tone: Option<String>,
    pub audience: Option<String>,
    pub language: Option<String>,
    pub point_of_view: Option<String>,
    pub notes: Option<String>,
    /// `draft`, `review` or `published` once the task has an article; `queued` from
    /// `failed`. `generating` and `failed` are set by the system only.
    pub status: Option<TaskStatus>,
}

impl NewTask {
    /// The brief fields of the request, as edits to the idea's or a blank brief.
    fn edits(&self) -> TaskPatch {
        TaskPatch {
            title: self.title.clone(),
            target_keywords: self.target_keywords.clone(),
            word_count: self.word_count,
            brief: self.brief.clone(),
            outline: self.outline.clone(),
            tone: self.tone.clone(),
            audience: self.audience.clone(),
            language: self.language.clone(),
            point_of_view: self.point_of_view.clone(),
            notes: self.notes.clone(),
            status: None,
        }
    }
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

/// The id of each task's article, for those of `task_ids` that have one.
pub async fn content_ids(
    conn: &impl ConnectionTrait,
    task_ids: &[i64],
) -> Result<HashMap<i64, i64>, Error> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let pairs: Vec<(i64, i64)> = content::Entity::find()
        .select_only()
        .column(content::Column::TaskId)
        .column(content::Column::Id)
        .filter(content::Column::TaskId.is_in(task_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(pairs.into_iter().collect())
}

/// The id of task `task_id`'s article, if it has one.
pub async fn content_id(conn: &impl ConnectionTrait, task_id: i64) -> Result<Option<i64>, Error> {
    Ok(content_ids(conn, &[task_id]).await?.remove(&task_id))
}

/// Makes the writer task for `idea` (status `queued`, on the idea's account, site, sector and
/// cluster, with its title, outline, target keywords, description as the brief and estimated
/// words as the length, brought into 300–10,000) and marks the idea `sent`. An idea that is
/// archived, `sent`, or already has a task is left alone: sending twice never makes two
/// tasks. Costs no credits.
///
/// Call it inside a transaction that holds the account's lock, so two concurrent sends of
/// one idea cannot both pass the check.
pub async fn create_from_idea(
    conn: &impl ConnectionTrait,
    idea: &content_idea::Model,
) -> Result<FromIdea, Error> {
    if let Some(reason) = skip_reason(conn, idea).await? {
        return Ok(FromIdea::Skipped(reason));
    }
    let created = insert_for_idea(conn, idea, Brief::of_idea(idea)).await?;
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

/// Creates a task from one of the caller's ideas or from scratch (see [`NewTask`]), status
/// `queued`, in one transaction. Bad input, an idea that is not the caller's, archived or
/// already sent, or a sector that is not the caller's is a 400 and writes nothing.
pub async fn create(db: &Db, tenant: &Tenant, input: NewTask) -> Result<task::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let created = match input.idea_id {
        Some(idea_id) => create_for_idea(&txn, tenant, idea_id, &input).await?,
        None => create_from_scratch(&txn, tenant, &input).await?,
    };
    txn.commit().await?;
    Ok(created)
}

async fn create_for_idea(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    idea_id: i64,
    input: &NewTask,
) -> Result<task::Model, Error> {
    let Some(idea) = content_idea::Entity::find_by_id(idea_id)
        .filter(content_idea::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
    else {
        return Err(Error::Validation(ValidationErrors::single(
            "idea_id",
            "No such idea.",
        )));
    };
    let mut errors = ValidationErrors::default();
    match skip_reason(conn, &idea).await? {
        Some(SkipReason::Archived) => errors.add(
            "idea_id",
            "This idea is archived; make it `new` again to write from it.",
        ),
        Some(SkipReason::AlreadySent) => errors.add(
            "idea_id",
            "This idea was already sent to the writer; an idea makes one task.",
        ),
        None => {}
    }
    if input.sector_id.is_some_and(|id| id != idea.sector_id) {
        errors.add(
            "sector_id",
            "A task made from an idea is in the idea's sector; leave sector_id out.",
        );
    }
    if input.site_id.is_some_and(|id| id != idea.site_id) {
        errors.add(
            "site_id",
            "A task made from an idea is on the idea's site; leave site_id out.",
        );
    }
    let brief = Brief::of_idea(&idea).edit(input.edits(), &mut errors);
    errors.into_result()?;
    insert_for_idea(conn, &idea, brief).await
}

async fn create_from_scratch(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    input: &NewTask,
) -> Result<task::Model, Error> {
    let Some(sector_id) = input.sector_id else {
        return Err(Error::Validation(ValidationErrors::single(
            "sector_id",
            "This field is required (or give idea_id to write from an idea).",
        )));
    };
    let sector = scope::sector_of_request(conn, tenant, sector_id, input.site_id).await?;
    let mut errors = ValidationErrors::default();
    if input.title.is_none() {
        errors.add("title", "This field is required.");
    }
    let brief = Brief::blank().edit(input.edits(), &mut errors);
    errors.into_result()?;
    insert(
        conn,
        Place {
            account_id: sector.account_id,
            site_id: sector.site_id,
            sector_id: sector.id,
            idea_id: None,
            cluster_id: None,
        },
        brief,
    )
    .await
}

/// Changes the task's brief fields and, by the rules of [`TaskPatch::status`], its status;
/// moving it to `draft`, `review` or `published` moves its article's status too. A task being
/// generated is a 409.
pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    mut patch: TaskPatch,
) -> Result<task::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    refuse_while_generating(&current)?;
    let mut errors = ValidationErrors::default();
    let status = match patch.status.take() {
        Some(wanted) if wanted != current.status => {
            let has_content = content_id(&txn, current.id).await?.is_some();
            check_move(current.status, wanted, has_content, &mut errors);
            wanted
        }
        _ => current.status,
    };
    let brief = Brief::of_task(&current).edit(patch, &mut errors);
    errors.into_result()?;

    let row = task::ActiveModel {
        title: Set(brief.title),
        brief: Set(brief.brief),
        outline: Set(stored_json::encode(&brief.outline)),
        target_keywords: Set(stored_json::encode(&brief.target_keywords)),
        word_count: Set(brief.word_count),
        tone: Set(brief.tone),
        audience: Set(brief.audience),
        language: Set(brief.language),
        point_of_view: Set(brief.point_of_view),
        notes: Set(brief.notes),
        status: Set(status),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    // Only if the status is still the one checked: a generation that started meanwhile wins.
    let changed = task::Entity::update_many()
        .set(row)
        .filter(task::Column::Id.eq(current.id))
        .filter(task::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    if status != current.status
        && let Some(content_status) = content_status(status)
    {
        content::Entity::update_many()
            .set(content::ActiveModel {
                status: Set(content_status),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(content::Column::TaskId.eq(current.id))
            .exec(&txn)
            .await?;
    }
    let updated = get(&txn, tenant, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes the task and, by cascade, its article and every version of it. Its idea stays
/// `sent`. A task being generated is a 409.
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    refuse_while_generating(&current)?;
    let deleted = task::Entity::delete_many()
        .filter(task::Column::Id.eq(current.id))
        .filter(task::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    txn.commit().await?;
    Ok(())
}

fn refuse_while_generating(task: &task::Model) -> Result<(), Error> {
    if task.status == TaskStatus::Generating {
        return Err(Error::Conflict(
            "This task's article is being generated; wait until the generation ends (the task \
             becomes `draft` or `failed`) before changing or deleting it."
                .to_owned(),
        ));
    }
    Ok(())
}

fn changed_meanwhile() -> Error {
    Error::Conflict(
        "This task changed while the request ran (a generation may have started); read it \
         again and retry."
            .to_owned(),
    )
}

/// Adds to `errors` why a user may not move a task from `from` to `to` (two different
/// statuses), if they may not.
fn check_move(from: TaskStatus, to: TaskStatus, has_content: bool, errors: &mut ValidationErrors) {
    let refusal = match to {
        TaskStatus::Generating => Some(
            "`generating` is set by Quire while an article is generated; start one with POST \
             /api/v1/writer/content/generate/.",
        ),
        TaskStatus::Failed => Some("`failed` is set by Quire when a generation fails."),
        TaskStatus::Queued if from != TaskStatus::Failed => {
            Some("A task goes back to `queued` only from `failed`.")
        }
        TaskStatus::Draft | TaskStatus::Review | TaskStatus::Published if !has_content => Some(
            "This task has no article yet; generate one first (POST \
             /api/v1/writer/content/generate/).",
        ),
        _ => None,
    };
    if let Some(refusal) = refusal {
        errors.add("status", refusal);
    }
}

/// The article status that goes with a task status, for those a user sets.
fn content_status(status: TaskStatus) -> Option<ContentStatus> {
    match status {
        TaskStatus::Draft => Some(ContentStatus::Draft),
        TaskStatus::Review => Some(ContentStatus::Review),
        TaskStatus::Published => Some(ContentStatus::Published),
        TaskStatus::Queued | TaskStatus::Generating | TaskStatus::Failed => None,
    }
}

/// Why `idea` cannot become a task, if it cannot.
async fn skip_reason(
    conn: &impl ConnectionTrait,
    idea: &content_idea::Model,
) -> Result<Option<SkipReason>, Error> {
    Ok(match idea.status {
        IdeaStatus::Archived => Some(SkipReason::Archived),
        IdeaStatus::Sent => Some(SkipReason::AlreadySent),
        IdeaStatus::New if has_task(conn, idea.id).await? => Some(SkipReason::AlreadySent),
        IdeaStatus::New => None,
    })
}

/// Inserts the task for `idea` with `brief` and marks the idea `sent`.
async fn insert_for_idea(
    conn: &impl ConnectionTrait,
    idea: &content_idea::Model,
    brief: Brief,
) -> Result<task::Model, Error> {
    let place = Place {
        account_id: idea.account_id,
        site_id: idea.site_id,
        sector_id: idea.sector_id,
        idea_id: Some(idea.id),
        cluster_id: idea.cluster_id,
    };
    let created = insert(conn, place, brief).await?;
    let mut sent: content_idea::ActiveModel = idea.clone().into();
    sent.status = Set(IdeaStatus::Sent);
    sent.updated_at = Set(created.created_at);
    sent.update(conn).await?;
    Ok(created)
}

/// Where a new task goes.
struct Place {
    account_id: i64,
    site_id: i64,
    sector_id: i64,
    idea_id: Option<i64>,
    cluster_id: Option<i64>,
}

async fn insert(
    conn: &impl ConnectionTrait,
    place: Place,
    brief: Brief,
) -> Result<task::Model, Error> {
    let now = Utc::now();
    Ok(task::ActiveModel {
        account_id: Set(place.account_id),
        site_id: Set(place.site_id),
        sector_id: Set(place.sector_id),
        idea_id: Set(place.idea_id),
        cluster_id: Set(place.cluster_id),
        title: Set(brief.title),
        brief: Set(brief.brief),
        outline: Set(stored_json::encode(&brief.outline)),
        target_keywords: Set(stored_json::encode(&brief.target_keywords)),
        word_count: Set(brief.word_count),
        tone: Set(brief.tone),
        audience: Set(brief.audience),
        language: Set(brief.language),
        point_of_view: Set(brief.point_of_view),
        notes: Set(brief.notes),
        status: Set(TaskStatus::Queued),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// A task's brief, checked.
struct Brief {
    title: String,
    brief: String,
    outline: Vec<String>,
    target_keywords: Vec<String>,
    word_count: i32,
    tone: String,
    audience: String,
    language: String,
    point_of_view: String,
    notes: String,
}

impl Brief {
    /// An empty brief in the default language and length.
    fn blank() -> Self {
        Self {
            title: String::new(),
            brief: String::new(),
            outline: Vec::new(),
            target_keywords: Vec::new(),
            word_count: DEFAULT_WORDS,
            tone: String::new(),
            audience: String::new(),
            language: DEFAULT_LANGUAGE.to_owned(),
            point_of_view: String::new(),
            notes: String::new(),
        }
    }

    /// What an idea carries into its task.
    fn of_idea(idea: &content_idea::Model) -> Self {
        Self {
            title: idea.title.clone(),
            brief: idea.description.clone(),
            outline: stored_json::decode(&idea.outline),
            target_keywords: stored_json::decode(&idea.target_keywords),
            word_count: clamp_words(i64::from(idea.estimated_words)),
            ..Self::blank()
        }
    }

    fn of_task(task: &task::Model) -> Self {
        Self {
            title: task.title.clone(),
            brief: task.brief.clone(),
            outline: stored_json::decode(&task.outline),
            target_keywords: stored_json::decode(&task.target_keywords),
            word_count: task.word_count,
            tone: task.tone.clone(),
            audience: task.audience.clone(),
            language: task.language.clone(),
            point_of_view: task.point_of_view.clone(),
            notes: task.notes.clone(),
        }
    }

    /// This brief with the fields `patch` gives (its `status` is not looked at), each checked;
    /// problems go to `errors`.
    fn edit(mut self, patch: TaskPatch, errors: &mut ValidationErrors) -> Self {
        if let Some(title) = patch.title {
            self.title = input::required_text(errors, "title", &title, MAX_TITLE_CHARS);
        }
        if let Some(items) = patch.target_keywords {
            self.target_keywords = ideas::target_keywords(items, Some(errors));
        }
        if let Some(words) = patch.word_count {
            if !(MIN_WORDS..=MAX_WORDS).contains(&words) {
                errors.add(
                    "word_count",
                    format!("Use a length from {MIN_WORDS} to {MAX_WORDS} words."),
                );
            }
            self.word_count = clamp_words(words);
        }
        if let Some(text) = patch.brief {
            self.brief = bounded_text(errors, "brief", &text, MAX_BRIEF_CHARS);
        }
        if let Some(items) = patch.outline {
            self.outline = ideas::headings(items, Some(errors));
        }
        if let Some(text) = patch.tone {
            self.tone = bounded_text(errors, "tone", &text, MAX_TONE_CHARS);
        }
        if let Some(text) = patch.audience {
            self.audience = bounded_text(errors, "audience", &text, MAX_AUDIENCE_CHARS);
        }
        if let Some(text) = patch.language {
            self.language = text.trim().to_owned();
            if !is_language_tag(&self.language) {
                errors.add(
                    "language",
                    format!(
                        "Use a language tag such as `en` or `fr-CA`: {MIN_LANGUAGE_CHARS} to \
                         {MAX_LANGUAGE_CHARS} letters, digits and hyphens, starting with a letter."
                    ),
                );
            }
        }
        if let Some(text) = patch.point_of_view {
            self.point_of_view = text.trim().to_lowercase();
            if !self.point_of_view.is_empty()
                && !POINTS_OF_VIEW.contains(&self.point_of_view.as_str())
            {
                errors.add(
                    "point_of_view",
                    "Use `first`, `second`, `third`, or an empty string for the writer's choice.",
                );
            }
        }
        if let Some(text) = patch.notes {
            self.notes = bounded_text(errors, "notes", &text, MAX_NOTES_CHARS);
        }
        self
    }
}

/// The trimmed `value`, which may hold at most `max` characters.
fn bounded_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) -> String {
    let text = value.trim().to_owned();
    if text.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    text
}

/// A loose BCP-47 check: 2 to 35 ASCII letters, digits and hyphens, starting with a letter.
fn is_language_tag(tag: &str) -> bool {
    (MIN_LANGUAGE_CHARS..=MAX_LANGUAGE_CHARS).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn clamp_words(words: i64) -> i32 {
    i32::try_from(words.clamp(MIN_WORDS, MAX_WORDS)).unwrap_or(DEFAULT_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_loosely() {
        for tag in ["en", "fr-CA", "zh-Hant-TW", "es-419", "x-klingon"] {
            assert!(is_language_tag(tag), "{tag}");
        }
        for tag in ["e", "", "1en", "en_US", "fr CA", "été", &"a".repeat(36)] {
            assert!(!is_language_tag(tag), "{tag}");
        }
    }

    #[test]
    fn users_move_tasks_only_as_far_as_the_work_allows() {
        use TaskStatus::*;
        let refused = |from, to, has_content| {
            let mut errors = ValidationErrors::default();
            check_move(from, to, has_content, &mut errors);
            !errors.is_empty()
        };
        assert!(refused(Queued, Generating, false));
        assert!(refused(Draft, Failed, true));
        assert!(refused(Draft, Queued, true));
        assert!(!refused(Failed, Queued, false));
        assert!(refused(Queued, Draft, false));
        assert!(!refused(Draft, Review, true));
        assert!(!refused(Review, Published, true));
        assert!(!refused(Published, Draft, true));
        assert!(!refused(Failed, Draft, true));
    }

    #[test]
    fn idea_lengths_are_brought_into_the_task_range() {
        assert_eq!(clamp_words(100), 300);
        assert_eq!(clamp_words(2_400), 2_400);
        assert_eq!(clamp_words(i64::MAX), 10_000);
    }
}
