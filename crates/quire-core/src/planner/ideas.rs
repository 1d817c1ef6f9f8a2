//! Content ideas: what to write, in one of the caller's sectors and optionally from one of its
//! clusters; typed in by the tenant or generated from a cluster, and sent to the writer as
//! tasks.

use super::{input, scope, stored_json};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    entities::{
        cluster, content_idea,
        enums::{ContentType, IdeaStatus},
        task,
    },
    listing::{self, Page, PageRequest, SortKeys},
    planner::keyword_csv::{keyword_key, normalise_keyword},
    tenancy::{check_description, double_option, lock_account},
    writer::tasks::{self, FromIdea, SkipReason},
};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
/// The most outline headings, and the longest heading.
pub const MAX_HEADINGS: usize = 30;
pub const MAX_HEADING_CHARS: usize = 200;
/// The most target keywords (each at most 255 characters, like a keyword).
pub const MAX_TARGET_KEYWORDS: usize = 30;
/// The longest content structure ("step-by-step", "problem-solution"…).
pub const MAX_STRUCTURE_CHARS: usize = 64;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// The range of `estimated_words`, and its default.
pub const MIN_WORDS: i64 = 100;
pub const MAX_WORDS: i64 = 10_000;
pub const DEFAULT_WORDS: i32 = 1_500;
/// The most ideas one "send to writer" may carry.
pub const MAX_SEND: usize = 100;

/// An idea to create, in one of the caller's sectors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIdea {
    pub sector_id: i64,
    /// When given, it must be the sector's site.
    #[serde(default)]
    pub site_id: Option<i64>,
    /// One of the caller's clusters in that sector.
    #[serde(default)]
    pub cluster_id: Option<i64>,
    /// 1 to 255 characters.
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Section headings: at most 30, each at most 200 characters.
    #[serde(default)]
    pub outline: Option<Vec<String>>,
    /// `article` unless given.
    #[serde(default)]
    pub content_type: Option<ContentType>,
    #[serde(default)]
    pub content_structure: Option<String>,
    /// At most 30; repeats (ignoring case) are dropped.
    #[serde(default)]
    pub target_keywords: Option<Vec<String>>,
    /// 100 to 10,000; 1,500 unless given.
    #[serde(default)]
    pub estimated_words: Option<i64>,
    /// `new` (default) or `archived`; an idea becomes `sent` only by sending it to the writer.
    #[serde(default)]
    pub status: Option<IdeaStatus>,
}

/// The fields a PATCH may change; an idea never moves to another sector.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct IdeaPatch {
    /// A cluster of the idea's sector; `null` detaches the idea.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub cluster_id: Option<Option<i64>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub outline: Option<Vec<String>>,
    pub content_type: Option<ContentType>,
    pub content_structure: Option<String>,
    pub target_keywords: Option<Vec<String>>,
    pub estimated_words: Option<i64>,
    /// `new` or `archived`; `new` is refused once a writer task was made from the idea.
    pub status: Option<IdeaStatus>,
}

/// An idea as the generation job read it from a model. [`insert_generated`] trims and clips
/// whatever is too long instead of refusing it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GeneratedIdea {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub outline: Vec<String>,
    /// `article`, `guide`, `how_to` (or `how-to`, `How to`), `listicle`, `comparison`,
    /// `review`; anything else is an article.
    #[serde(default)]
    pub content_type: String,
    #[serde(default)]
    pub content_structure: String,
    #[serde(default)]
    pub target_keywords: Vec<String>,
    #[serde(default)]
    pub estimated_words: Option<i64>,
}

/// `POST /ideas/send_to_writer/`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SendToWriter {
    /// 1 to 100 of the caller's ideas.
    pub idea_ids: Vec<i64>,
}

/// What "send to writer" did: the tasks made, and the ideas left alone with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentToWriter {
    pub created: Vec<task::Model>,
    pub skipped: Vec<(i64, SkipReason)>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdeaFilter {
    pub site_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub status: Option<IdeaStatus>,
    pub content_type: Option<ContentType>,
    /// Matches the title, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<content_idea::Column> = &[
    ("id", content_idea::Column::Id),
    ("title", content_idea::Column::Title),
    ("estimated_words", content_idea::Column::EstimatedWords),
    ("created_at", content_idea::Column::CreatedAt),
];

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: IdeaFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<content_idea::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select =
        content_idea::Entity::find().filter(content_idea::Column::AccountId.eq(tenant.account.id));
    if let Some(site_id) = filter.site_id {
        select = select.filter(content_idea::Column::SiteId.eq(site_id));
    }
    if let Some(sector_id) = filter.sector_id {
        select = select.filter(content_idea::Column::SectorId.eq(sector_id));
    }
    if let Some(cluster_id) = filter.cluster_id {
        select = select.filter(content_idea::Column::ClusterId.eq(cluster_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(content_idea::Column::Status.eq(status));
    }
    if let Some(content_type) = filter.content_type {
        select = select.filter(content_idea::Column::ContentType.eq(content_type));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[content_idea::Column::Title]));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's idea `id`; another account's idea is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<content_idea::Model, Error> {
    content_idea::Entity::find_by_id(id)
        .filter(content_idea::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(
    db: &Db,
    tenant: &Tenant,
    input: NewIdea,
) -> Result<content_idea::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let sector = scope::sector_of_request(&txn, tenant, input.sector_id, input.site_id).await?;
    let patch = IdeaPatch {
        cluster_id: Some(input.cluster_id),
        title: Some(input.title),
        description: input.description,
        outline: input.outline,
        content_type: input.content_type,
        content_structure: input.content_structure,
        target_keywords: input.target_keywords,
        estimated_words: input.estimated_words,
        status: input.status,
    };
    let fields = validate(&txn, tenant, sector.id, patch, None).await?;
    let now = Utc::now();
    let created = content_idea::ActiveModel {
        account_id: Set(sector.account_id),
        site_id: Set(sector.site_id),
        sector_id: Set(sector.id),
        cluster_id: Set(fields.cluster_id),
        title: Set(fields.title),
        description: Set(fields.description),
        outline: Set(stored_json::encode(&fields.outline)),
        content_type: Set(fields.content_type),
        content_structure: Set(fields.content_structure),
        target_keywords: Set(stored_json::encode(&fields.target_keywords)),
        estimated_words: Set(fields.estimated_words),
        status: Set(fields.status),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: IdeaPatch,
) -> Result<content_idea::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    let fields = validate(&txn, tenant, current.sector_id, patch, Some(&current)).await?;
    let mut row: content_idea::ActiveModel = current.into();
    row.cluster_id = Set(fields.cluster_id);
    row.title = Set(fields.title);
    row.description = Set(fields.description);
    row.outline = Set(stored_json::encode(&fields.outline));
    row.content_type = Set(fields.content_type);
    row.content_structure = Set(fields.content_structure);
    row.target_keywords = Set(stored_json::encode(&fields.target_keywords));
    row.estimated_words = Set(fields.estimated_words);
    row.status = Set(fields.status);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes the idea; tasks made from it stay, without the link.
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let result = content_idea::Entity::delete_many()
        .filter(content_idea::Column::Id.eq(id))
        .filter(content_idea::Column::AccountId.eq(tenant.account.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Stores ideas generated for `cluster`, on the cluster's account, site, sector and cluster,
/// status `new`. Model output is cleaned rather than refused: text is trimmed and clipped to
/// the same limits as typed ideas, blank headings and repeated target keywords are dropped,
/// lists are cut to their maximum, `estimated_words` is brought into 100–10,000 (1,500 when
/// missing), and an idea with a blank title is left out. Returns the rows created, in order.
pub async fn insert_generated(
    conn: &impl ConnectionTrait,
    cluster: &cluster::Model,
    ideas: Vec<GeneratedIdea>,
) -> Result<Vec<content_idea::Model>, Error> {
    let mut created = Vec::with_capacity(ideas.len());
    for idea in ideas {
        let title = crate::text::clip(idea.title.trim(), MAX_TITLE_CHARS);
        let title = title.trim();
        if title.is_empty() {
            continue;
        }
        let outline = headings(idea.outline, None);
        let target_keywords = target_keywords(idea.target_keywords, None);
        let now = Utc::now();
        let row = content_idea::ActiveModel {
            account_id: Set(cluster.account_id),
            site_id: Set(cluster.site_id),
            sector_id: Set(cluster.sector_id),
            cluster_id: Set(Some(cluster.id)),
            title: Set(title.to_owned()),
            description: Set(crate::text::clip(
                idea.description.trim(),
                MAX_DESCRIPTION_CHARS,
            )),
            outline: Set(stored_json::encode(&outline)),
            content_type: Set(parse_content_type(&idea.content_type)),
            content_structure: Set(crate::text::clip(
                idea.content_structure.trim(),
                MAX_STRUCTURE_CHARS,
            )),
            target_keywords: Set(stored_json::encode(&target_keywords)),
            estimated_words: Set(idea.estimated_words.map_or(DEFAULT_WORDS, clamp_words)),
            status: Set(IdeaStatus::New),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        created.push(row);
    }
    Ok(created)
}

/// Makes one writer task per idea (see [`tasks::create_from_idea`]) and marks them `sent`.
/// Any id that is not one of the caller's ideas refuses the whole request; ideas already sent
/// or archived are skipped and reported.
pub async fn send_to_writer(
    db: &Db,
    tenant: &Tenant,
    input: SendToWriter,
) -> Result<SentToWriter, Error> {
    let ids = input::checked("idea_ids", &input.idea_ids, MAX_SEND)?;
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let found = content_idea::Entity::find()
        .filter(content_idea::Column::AccountId.eq(tenant.account.id))
        .filter(content_idea::Column::Id.is_in(ids.iter().copied()))
        .all(&txn)
        .await?;
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.iter().any(|idea| idea.id == *id))
        .collect();
    let mut errors = ValidationErrors::default();
    input::refuse(&mut errors, "idea_ids", "No such idea", &unknown);
    errors.into_result()?;

    let mut sent = SentToWriter {
        created: Vec::new(),
        skipped: Vec::new(),
    };
    for id in ids {
        let Some(idea) = found.iter().find(|idea| idea.id == id) else {
            continue;
        };
        match tasks::create_from_idea(&txn, idea).await? {
            FromIdea::Created(task) => sent.created.push(*task),
            FromIdea::Skipped(reason) => sent.skipped.push((id, reason)),
        }
    }
    txn.commit().await?;
    Ok(sent)
}

/// The content type a model named, leniently: case, spaces and dashes do not matter;
/// anything unknown is an article.
fn parse_content_type(text: &str) -> ContentType {
    let name = text.trim().to_lowercase().replace([' ', '-'], "_");
    serde_json::from_value(serde_json::Value::String(name)).unwrap_or(ContentType::Article)
}

fn clamp_words(words: i64) -> i32 {
    i32::try_from(words.clamp(MIN_WORDS, MAX_WORDS)).unwrap_or(DEFAULT_WORDS)
}

/// Outline headings, trimmed. With `errors`, blank or long headings and long outlines are
/// reported; without, they are dropped, clipped and cut.
pub(crate) fn headings(items: Vec<String>, errors: Option<&mut ValidationErrors>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(items.len().min(MAX_HEADINGS));
    for item in items {
        let heading = item.trim();
        if heading.is_empty() {
            problems.push("Headings may not be blank.".to_owned());
        } else if heading.chars().count() > MAX_HEADING_CHARS {
            problems.push(format!(
                "Each heading has at most {MAX_HEADING_CHARS} characters."
            ));
            out.push(crate::text::clip(heading, MAX_HEADING_CHARS));
        } else {
            out.push(heading.to_owned());
        }
    }
    if out.len() > MAX_HEADINGS {
        problems.push(format!("Use at most {MAX_HEADINGS} headings."));
        out.truncate(MAX_HEADINGS);
    }
    report(errors, "outline", problems);
    out
}

/// Target keywords, normalised like keywords (trimmed, inner spaces collapsed) with repeats
/// dropped ignoring case. With `errors`, blank, long or too many keywords are reported;
/// without, they are dropped and the list cut.
pub(crate) fn target_keywords(
    items: Vec<String>,
    errors: Option<&mut ValidationErrors>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len().min(MAX_TARGET_KEYWORDS));
    for item in items {
        match normalise_keyword(&item) {
            Some(keyword) => {
                if seen.insert(keyword_key(&keyword)) {
                    out.push(keyword);
                }
            }
            None => problems.push(
                "Each target keyword has 1 to 255 characters and no control characters.".to_owned(),
            ),
        }
    }
    if out.len() > MAX_TARGET_KEYWORDS {
        problems.push(format!(
            "Use at most {MAX_TARGET_KEYWORDS} target keywords."
        ));
        out.truncate(MAX_TARGET_KEYWORDS);
    }
    report(errors, "target_keywords", problems);
    out
}

/// Adds each distinct problem once to `errors`, when there is a collection to add to.
fn report(errors: Option<&mut ValidationErrors>, field: &str, mut problems: Vec<String>) {
    let Some(errors) = errors else { return };
    problems.sort();
    problems.dedup();
    for problem in problems {
        errors.add(field, problem);
    }
}

struct IdeaFields {
    cluster_id: Option<i64>,
    title: String,
    description: String,
    outline: Vec<String>,
    content_type: ContentType,
    content_structure: String,
    target_keywords: Vec<String>,
    estimated_words: i32,
    status: IdeaStatus,
}

async fn validate(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    sector_id: i64,
    patch: IdeaPatch,
    current: Option<&content_idea::Model>,
) -> Result<IdeaFields, Error> {
    let mut errors = ValidationErrors::default();
    let title = match (patch.title, current) {
        (Some(title), _) => input::required_text(&mut errors, "title", &title, MAX_TITLE_CHARS),
        (None, Some(idea)) => idea.title.clone(),
        (None, None) => {
            errors.add("title", "This field is required.");
            String::new()
        }
    };
    let description = match (patch.description, current) {
        (Some(text), _) => check_description(&mut errors, &text),
        (None, Some(idea)) => idea.description.clone(),
        (None, None) => String::new(),
    };
    let outline = match (patch.outline, current) {
        (Some(items), _) => headings(items, Some(&mut errors)),
        (None, Some(idea)) => stored_json::decode(&idea.outline),
        (None, None) => Vec::new(),
    };
    let target_keywords = match (patch.target_keywords, current) {
        (Some(items), _) => target_keywords(items, Some(&mut errors)),
        (None, Some(idea)) => stored_json::decode(&idea.target_keywords),
        (None, None) => Vec::new(),
    };
    let content_type = patch
        .content_type
        .or(current.map(|idea| idea.content_type))
        .unwrap_or(ContentType::Article);
    let content_structure = match (patch.content_structure, current) {
        (Some(text), _) => {
            let text = text.trim().to_owned();
            if text.chars().count() > MAX_STRUCTURE_CHARS {
                errors.add(
                    "content_structure",
                    format!("Use at most {MAX_STRUCTURE_CHARS} characters."),
                );
            }
            text
        }
        (None, Some(idea)) => idea.content_structure.clone(),
        (None, None) => String::new(),
    };
    let estimated_words = match (patch.estimated_words, current) {
        (Some(words), _) => {
            if !(MIN_WORDS..=MAX_WORDS).contains(&words) {
                errors.add(
                    "estimated_words",
                    format!("Use a length from {MIN_WORDS} to {MAX_WORDS} words."),
                );
            }
            clamp_words(words)
        }
        (None, Some(idea)) => idea.estimated_words,
        (None, None) => DEFAULT_WORDS,
    };
    let cluster_id = match patch.cluster_id {
        Some(id) => id,
        None => current.and_then(|idea| idea.cluster_id),
    };
    if let Some(id) =
        cluster_id.filter(|id| current.is_none_or(|idea| idea.cluster_id != Some(*id)))
    {
        let cluster = cluster::Entity::find_by_id(id)
            .filter(cluster::Column::AccountId.eq(tenant.account.id))
            .one(conn)
            .await?;
        match cluster {
            None => errors.add("cluster_id", "No such cluster."),
            Some(cluster) if cluster.sector_id != sector_id => {
                errors.add("cluster_id", "This cluster is in another sector.");
            }
            Some(_) => {}
        }
    }
    let status = match patch.status {
        Some(IdeaStatus::Sent) if current.is_none_or(|idea| idea.status != IdeaStatus::Sent) => {
            errors.add(
                "status",
                "An idea becomes `sent` by sending it to the writer (POST /api/v1/planner/ideas/send_to_writer/).",
            );
            IdeaStatus::Sent
        }
        Some(IdeaStatus::New) => {
            if let Some(idea) = current
                && tasks::has_task(conn, idea.id).await?
            {
                errors.add(
                    "status",
                    "A writer task was already made from this idea; archive it instead.",
                );
            }
            IdeaStatus::New
        }
        Some(status) => status,
        None => current.map_or(IdeaStatus::New, |idea| idea.status),
    };
    errors.into_result()?;
    Ok(IdeaFields {
        cluster_id,
        title,
        description,
        outline,
        content_type,
        content_structure,
        target_keywords,
        estimated_words,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_content_types_are_read_leniently() {
        assert_eq!(parse_content_type("How-To"), ContentType::HowTo);
        assert_eq!(parse_content_type(" how to "), ContentType::HowTo);
        assert_eq!(parse_content_type("Listicle"), ContentType::Listicle);
        assert_eq!(parse_content_type("essay"), ContentType::Article);
        assert_eq!(parse_content_type(""), ContentType::Article);
    }

    #[test]
    fn lists_are_reported_when_typed_and_cleaned_when_generated() {
        let long = "x".repeat(MAX_HEADING_CHARS + 5);
        let mut items = vec![" Intro ".to_owned(), "  ".to_owned(), long.clone()];
        items.extend((0..40).map(|n| format!("Part {n}")));
        let mut errors = ValidationErrors::default();
        headings(items.clone(), Some(&mut errors));
        assert_eq!(errors.fields()["outline"].len(), 3, "{errors:?}");

        let cleaned = headings(items, None);
        assert_eq!(cleaned.len(), MAX_HEADINGS);
        assert_eq!(cleaned[0], "Intro");
        assert_eq!(cleaned[1].chars().count(), MAX_HEADING_CHARS);

        let keywords = target_keywords(
            vec![
                "Best  Shoes".into(),
                "best shoes".into(),
                "ÉTÉ".into(),
                "été".into(),
            ],
            None,
        );
        assert_eq!(keywords, ["Best Shoes", "ÉTÉ"]);
        let mut errors = ValidationErrors::default();
        target_keywords(vec![" ".into(), "y".repeat(300)], Some(&mut errors));
        assert_eq!(errors.fields()["target_keywords"].len(), 1);
    }

    #[test]
    fn generated_lengths_are_clamped() {
        assert_eq!(clamp_words(5), 100);
        assert_eq!(clamp_words(50_000), 10_000);
        assert_eq!(clamp_words(i64::MAX), 10_000);
        assert_eq!(clamp_words(2_000), 2_000);
    }
}
