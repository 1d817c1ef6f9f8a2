//! Generate an article (F3c) as a job: checks and prices the request, queues one job per
//! task, runs the pipeline, and stores the article as the task's content — version 1, or the
//! next version when it already has one. A run that fails stores nothing and returns every
//! reserved credit.

pub mod budget;
pub mod pipeline;

use crate::{
    Error, Quire, ValidationErrors,
    accounts::principal::Tenant,
    credits::{daily_ceiling, pricing},
    entities::{
        content,
        enums::{ContentStatus, TaskStatus},
        job, task,
    },
    jobs::{
        queue::{self, NewJob},
        worker::{JobContext, JobError, JobHandler},
    },
    writer::versions,
};
use pipeline::Brief;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

pub const KIND: &str = "generate_article";
/// Tasks one batch request may name.
pub const MAX_BATCH: usize = 20;

/// `POST /api/v1/writer/content/generate/`: one task, or a batch (one job each).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GenerateRequest {
    pub task_id: Option<i64>,
    pub task_ids: Option<Vec<i64>>,
}

impl GenerateRequest {
    /// The tasks named, each once; a 400 when neither or both fields are given.
    fn task_ids(&self) -> Result<Vec<i64>, Error> {
        let ids = match (&self.task_id, &self.task_ids) {
            (Some(id), None) => vec![*id],
            (None, Some(ids)) if !ids.is_empty() && ids.len() <= MAX_BATCH => ids.clone(),
            _ => {
                return Err(Error::Validation(ValidationErrors::single(
                    "task_id",
                    format!("Give task_id, or task_ids with 1 to {MAX_BATCH} tasks."),
                )));
            }
        };
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        Ok(unique)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobInput {
    task_id: i64,
    /// Where the task stood before, to return to when the run is cancelled.
    previous_status: TaskStatus,
}

/// One checked task and the credits its article reserves.
#[derive(Debug, Clone)]
pub struct Planned {
    task: task::Model,
    pub credits: i64,
}

/// Checks every task (the caller's, not being generated already) and prices each article.
pub async fn plan(
    quire: &Quire,
    tenant: &Tenant,
    request: &GenerateRequest,
) -> Result<Vec<Planned>, Error> {
    let ids = request.task_ids()?;
    let tasks = task::Entity::find()
        .filter(task::Column::Id.is_in(ids.iter().copied()))
        .filter(task::Column::AccountId.eq(tenant.account.id))
        .all(&quire.db)
        .await?;
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !tasks.iter().any(|t| t.id == *id))
        .collect();
    let field = if request.task_id.is_some() {
        "task_id"
    } else {
        "task_ids"
    };
    let mut errors = ValidationErrors::default();
    crate::planner::input::refuse(&mut errors, field, "No such task", &unknown);
    errors.into_result()?;
    let busy = tasks_being_generated(quire, tenant).await?;
    let mut planned = Vec::with_capacity(tasks.len());
    for task in tasks {
        if busy.contains(&task.id) {
            return Err(Error::Conflict(format!(
                "The article of task {} is being generated already.",
                task.id
            )));
        }
        let calls = pipeline::planned_requests(&quire.db, &Brief::of(&task)).await?;
        let credits = pricing::estimate_all(&quire.db, quire.ai.model(), &calls).await?;
        planned.push(Planned { task, credits });
    }
    Ok(planned)
}

/// The caller's tasks with a generation job queued or running. (A task's `generating` status
/// alone is not proof: a job whose worker died is failed by the sweep, which knows nothing of
/// tasks.)
async fn tasks_being_generated(quire: &Quire, tenant: &Tenant) -> Result<Vec<i64>, Error> {
    use crate::entities::enums::JobStatus;
    let open = job::Entity::find()
        .filter(job::Column::AccountId.eq(tenant.account.id))
        .filter(job::Column::Kind.eq(KIND))
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .all(&quire.db)
        .await?;
    Ok(open
        .iter()
        .filter_map(|job| serde_json::from_str::<JobInput>(&job.input).ok())
        .map(|input| input.task_id)
        .collect())
}

/// Queues one job per planned task, each with its reservation, and marks the tasks
/// `generating`. A balance that runs short part-way cancels (and refunds) the jobs already
/// queued, so a batch starts whole or not at all. A batch whose total would pass the daily
/// AI ceiling is refused before any job is queued.
pub async fn enqueue(
    quire: &Quire,
    tenant: &Tenant,
    planned: Vec<Planned>,
) -> Result<Vec<job::Model>, Error> {
    quire.rate_limits.ai_operation(tenant.account.id)?;
    let total = planned.iter().map(|one| one.credits).sum();
    daily_ceiling::check_batch(quire, tenant, total).await?;
    let mut jobs: Vec<job::Model> = Vec::with_capacity(planned.len());
    for one in planned {
        let input = JobInput {
            task_id: one.task.id,
            previous_status: one.task.status,
        };
        let queued = queue::enqueue(
            quire,
            tenant,
            NewJob {
                kind: KIND.to_owned(),
                input: json!(input),
                reserve: one.credits,
            },
            quire.settings.jobs.max_attempts,
        )
        .await;
        let queued = match queued {
            Ok(queued) => queued,
            Err(err) => {
                for earlier in &jobs {
                    queue::cancel(&quire.db, tenant, earlier.id).await?;
                    restore_status(quire, earlier).await?;
                }
                return Err(err);
            }
        };
        set_status(quire, one.task.id, TaskStatus::Generating).await?;
        jobs.push(queued);
    }
    Ok(jobs)
}

async fn set_status(quire: &Quire, task_id: i64, status: TaskStatus) -> Result<(), Error> {
    task::Entity::update_many()
        .col_expr(
            task::Column::Status,
            sea_orm::sea_query::Expr::value(status),
        )
        .col_expr(
            task::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(task::Column::Id.eq(task_id))
        .exec(&quire.db)
        .await?;
    Ok(())
}

async fn restore_status(quire: &Quire, job: &job::Model) -> Result<(), Error> {
    if let Ok(input) = serde_json::from_str::<JobInput>(&job.input) {
        set_status(quire, input.task_id, input.previous_status).await?;
    }
    Ok(())
}

/// Runs article generation jobs.
pub struct GenerateArticleJob;

#[async_trait::async_trait]
impl JobHandler for GenerateArticleJob {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let input: JobInput = ctx.input()?;
        let db = &ctx.quire.db;
        let Some(task) = task::Entity::find_by_id(input.task_id)
            .filter(task::Column::AccountId.eq(ctx.job.account_id))
            .one(db)
            .await
            .map_err(Error::from)?
        else {
            return Err(JobError::Fatal("the task was deleted".to_owned()));
        };
        set_status(&ctx.quire, task.id, TaskStatus::Generating).await?;
        let brief = Brief::of(&task);
        let article = match pipeline::write(ctx, &brief).await {
            Ok(article) => article,
            Err(err) => {
                let after = match &err {
                    JobError::Canceled => input.previous_status,
                    JobError::Retryable(_) if ctx.job.attempts < ctx.job.max_attempts => {
                        TaskStatus::Generating
                    }
                    JobError::LeaseLost => TaskStatus::Generating,
                    _ => TaskStatus::Failed,
                };
                set_status(&ctx.quire, task.id, after).await?;
                return Err(err);
            }
        };
        let Some(txn) = queue::results_transaction(db, &ctx.job).await? else {
            return Err(JobError::LeaseLost);
        };
        let content = versions::save_generated(&txn, &task, article.draft, "Generated").await?;
        // A new draft is a draft again, whatever the article was before.
        if content.status != ContentStatus::Draft {
            let mut row: content::ActiveModel = content.clone().into();
            row.status = Set(ContentStatus::Draft);
            row.update(&txn).await.map_err(Error::from)?;
        }
        let mut row: task::ActiveModel = task.into();
        row.status = Set(TaskStatus::Draft);
        row.updated_at = Set(chrono::Utc::now());
        row.update(&txn).await.map_err(Error::from)?;
        let target = brief.words;
        let deviation = (article.words as f64 - target as f64) / target as f64 * 100.0;
        let result = json!({
            "content_id": content.id,
            "version": content.version,
            "word_count": article.words,
            "target_words": target,
            "deviation_percent": (deviation * 10.0).round() / 10.0,
            "sections": article.sections,
            "offline_draft": ctx.quire.ai.is_offline(),
        });
        ctx.succeed_with(txn, result).await
    }
}
