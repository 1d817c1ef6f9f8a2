//! Regenerate one section (F3c) as a job: the model rewrites it in context (the outline, the
//! text around it, the tenant's instructions); the article gets a new version and the job is
//! charged for that one call only.

use super::{
    generation::pipeline::{self, Brief},
    sections,
    versions::{self, Draft},
};
use crate::{
    Error, Quire, ValidationErrors,
    accounts::principal::Tenant,
    ai::ChatRequest,
    credits::pricing,
    db::Db,
    entities::{content, job, task},
    jobs::{
        assistant::{Assistant, json_request},
        queue::{self, NewJob},
        worker::{JobContext, JobError, JobHandler},
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

pub const KIND: &str = "regenerate_section";
pub const OPERATION: &str = "regenerate_section";
/// The longest instructions accepted.
pub const MAX_INSTRUCTIONS_CHARS: usize = 2_000;
/// Characters of the neighbouring text shown on each side.
const CONTEXT_CHARS: usize = 800;

/// `POST /api/v1/writer/content/regenerate_section/`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegenerateRequest {
    pub content_id: i64,
    /// A section id from the content's `sections`.
    pub section_id: String,
    /// What to change ("shorter", "add an example"…); may be empty.
    #[serde(default)]
    pub instructions: String,
}

/// A checked request and the credits it reserves (one call).
#[derive(Debug)]
pub struct Planned {
    request: RegenerateRequest,
    pub credits: i64,
}

/// Checks that the content is the caller's and has the section, and prices the call.
pub async fn plan(
    quire: &Quire,
    tenant: &Tenant,
    request: RegenerateRequest,
) -> Result<Planned, Error> {
    if request.instructions.chars().count() > MAX_INSTRUCTIONS_CHARS {
        return Err(Error::Validation(ValidationErrors::single(
            "instructions",
            format!("Keep instructions under {MAX_INSTRUCTIONS_CHARS} characters."),
        )));
    }
    let Some(current) = content::Entity::find_by_id(request.content_id)
        .filter(content::Column::AccountId.eq(tenant.account.id))
        .one(&quire.db)
        .await?
    else {
        return Err(Error::Validation(ValidationErrors::single(
            "content_id",
            "No such content.",
        )));
    };
    let call = request_for(&quire.db, &current, &request)
        .await?
        .ok_or_else(|| {
            Error::Validation(ValidationErrors::single(
                "section_id",
                "This article has no such section.",
            ))
        })?;
    let credits = pricing::estimate(&quire.db, quire.ai.model(), &call).await?;
    Ok(Planned { request, credits })
}

/// Queues the planned rewrite with its reservation.
pub async fn enqueue(
    quire: &Quire,
    tenant: &Tenant,
    planned: Planned,
) -> Result<job::Model, Error> {
    quire.rate_limits.ai_operation(tenant.account.id)?;
    queue::enqueue(
        quire,
        tenant,
        NewJob {
            kind: KIND.to_owned(),
            input: json!(planned.request),
            reserve: planned.credits,
        },
        quire.settings.jobs.max_attempts,
    )
    .await
}

/// The model call rewriting the section, or `None` when the content has no such section.
async fn request_for(
    db: &Db,
    current: &content::Model,
    request: &RegenerateRequest,
) -> Result<Option<ChatRequest>, Error> {
    let stored = versions::sections_of(&current.sections);
    let Some(section) = stored.iter().find(|s| s.id == request.section_id) else {
        return Ok(None);
    };
    let Some(range) = sections::range_of(&current.body, &stored, &section.id) else {
        return Ok(None);
    };
    let task = task::Entity::find_by_id(current.task_id).one(db).await?;
    let brief = task.as_ref().map(Brief::of);
    let text = pipeline::section_text(&json!(current.body[range.clone()]), &section.heading);
    let words = usize::try_from(sections::word_count(&text))
        .unwrap_or(0)
        .max(60);
    let before = tail(&current.body[..range.start], CONTEXT_CHARS);
    let after = head(&current.body[range.end..], CONTEXT_CHARS);
    let vars = json!({
        "step": "regenerate",
        "title": current.title,
        "heading": if section.heading.is_empty() { "Introduction" } else { section.heading.as_str() },
        "instructions": request.instructions.trim(),
        "words": words,
        "outline": stored.iter().filter(|s| !s.heading.is_empty()).map(|s| s.heading.as_str()).collect::<Vec<_>>(),
        "before": before,
        "after": after,
        "current": text,
        "tone": brief.as_ref().map(|b| b.tone.clone()).unwrap_or_default(),
        "language": brief.as_ref().map_or_else(|| "en".to_owned(), |b| b.language.clone()),
    });
    let max_output = u32::try_from(words * 3 + 150).unwrap_or(u32::MAX);
    Ok(Some(
        json_request(Some(db), "regenerate_section", OPERATION, vars, max_output).await?,
    ))
}

fn tail(text: &str, chars: usize) -> String {
    let count = text.chars().count();
    text.chars()
        .skip(count.saturating_sub(chars))
        .collect::<String>()
        .trim()
        .to_owned()
}

fn head(text: &str, chars: usize) -> String {
    text.chars()
        .take(chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Runs section rewrites.
pub struct RegenerateSectionJob;

#[async_trait::async_trait]
impl JobHandler for RegenerateSectionJob {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let request: RegenerateRequest = ctx.input()?;
        let db = &ctx.quire.db;
        let missing = || JobError::Fatal("the article or its section no longer exists".to_owned());
        let current = content::Entity::find_by_id(request.content_id)
            .filter(content::Column::AccountId.eq(ctx.job.account_id))
            .one(db)
            .await
            .map_err(Error::from)?
            .ok_or_else(missing)?;
        let call = request_for(db, &current, &request)
            .await?
            .ok_or_else(missing)?;
        ctx.progress(10, "Rewriting the section").await?;
        let answer = ctx.ask_json(&call).await?;
        let stored = versions::sections_of(&current.sections);
        let section = stored
            .iter()
            .find(|s| s.id == request.section_id)
            .ok_or_else(missing)?;
        let text = pipeline::section_text(&answer["text"], &section.heading);
        if text.is_empty() {
            return Err(JobError::Fatal(
                "the model wrote nothing for the section".to_owned(),
            ));
        }
        let Some(txn) = queue::results_transaction(db, &ctx.job).await? else {
            return Err(JobError::LeaseLost);
        };
        // The article as it is now: an edit made meanwhile is kept around the new section.
        let latest = content::Entity::find_by_id(current.id)
            .one(&txn)
            .await
            .map_err(Error::from)?
            .ok_or_else(missing)?;
        let latest_sections = versions::sections_of(&latest.sections);
        let markdown = if section.heading.is_empty() {
            text
        } else {
            format!("## {}\n\n{text}", section.heading)
        };
        let body = sections::replace(&latest.body, &latest_sections, &section.id, &markdown)
            .ok_or_else(missing)?;
        let note = if section.heading.is_empty() {
            "Rewrote the introduction".to_owned()
        } else {
            format!("Rewrote section \"{}\"", section.heading)
        };
        let saved = versions::save_version(
            &txn,
            &latest,
            Draft {
                body,
                ..Draft::of(&latest)
            },
            &note,
        )
        .await?;
        let result = json!({
            "content_id": saved.id,
            "version": saved.version,
            "section_id": section.id,
            "word_count": saved.word_count,
            "offline_draft": ctx.quire.ai.is_offline(),
        });
        ctx.succeed_with(txn, result).await
    }
}
