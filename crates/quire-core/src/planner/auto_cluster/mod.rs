//! Auto cluster (F3b): checks the request, prices it, and queues it as a job; the job groups
//! the keywords locally, with the model, or both (`local`, `ai`, `hybrid`) and stores the
//! clusters. Credits: reserved from the estimate, settled to what the calls actually cost.

pub mod by_model;
pub mod groups;
pub mod hybrid;
pub mod local;
mod store;

use crate::{
    Error, Quire, ValidationErrors,
    accounts::principal::Tenant,
    credits::{pricing, usage::Call},
    db::Db,
    entities::{enums::KeywordStatus, keyword},
    jobs::{
        queue::{self, NewJob},
        worker::{JobContext, JobError, JobHandler},
    },
    planner::{clustering::KeywordInput, scope},
};
use groups::Group;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use utoipa::ToSchema;

/// The job kind.
pub const KIND: &str = "auto_cluster";
/// The most keywords one local run takes.
pub const MAX_LOCAL_KEYWORDS: usize = 100_000;
/// The most keywords one `ai` or `hybrid` run takes.
pub const MAX_MODEL_KEYWORDS: usize = 5_000;
const CHUNK: usize = 500;

/// How keywords are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Quire's own algorithm; no model, a flat price per 1,000 keywords.
    #[default]
    Local,
    /// The model groups and names every keyword.
    Ai,
    /// Local groups, named, merged and split by the model: fewer tokens than `ai`.
    Hybrid,
}

impl Method {
    /// The operation it is priced and logged as.
    pub fn operation(self) -> &'static str {
        match self {
            Method::Local => local::OPERATION,
            Method::Ai => by_model::OPERATION,
            Method::Hybrid => hybrid::OPERATION,
        }
    }

    fn max_keywords(self) -> usize {
        match self {
            Method::Local => MAX_LOCAL_KEYWORDS,
            Method::Ai | Method::Hybrid => MAX_MODEL_KEYWORDS,
        }
    }
}

/// `POST /api/v1/planner/keywords/auto_cluster/`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AutoClusterRequest {
    /// Keywords of the sector to group.
    pub keyword_ids: Vec<i64>,
    pub sector_id: i64,
    #[serde(default)]
    pub method: Method,
    /// Group keywords that already have a cluster again (default: leave them where they are).
    #[serde(default)]
    pub recluster: bool,
}

/// What the job works from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobInput {
    sector_id: i64,
    method: Method,
    recluster: bool,
    keyword_ids: Vec<i64>,
}

/// A checked request: what the job will work on and the credits it reserves.
#[derive(Debug, Clone)]
pub struct Planned {
    input: JobInput,
    /// Credits reserved while the job runs.
    pub credits: i64,
}

impl Planned {
    /// Keywords the job will group.
    pub fn keywords(&self) -> usize {
        self.input.keyword_ids.len()
    }
}

/// Checks the request and prices it. Keywords that are not the caller's or not in the sector
/// are a 400 naming them; archived keywords, and clustered ones unless `recluster`, are left
/// out.
pub async fn plan(
    quire: &Quire,
    tenant: &Tenant,
    request: AutoClusterRequest,
) -> Result<Planned, Error> {
    let db = &quire.db;
    let limit = request.method.max_keywords();
    let mut ids = request.keyword_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > limit {
        return Err(invalid(format!(
            "Select between 1 and {limit} keywords for this method."
        )));
    }
    let sector = scope::sector_of_request(db, tenant, request.sector_id, None).await?;
    let rows = keywords_by_id(db, tenant.account.id, &ids).await?;
    let in_sector: HashSet<i64> = rows
        .iter()
        .filter(|k| k.sector_id == sector.id)
        .map(|k| k.id)
        .collect();
    let outside: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !in_sector.contains(id))
        .collect();
    if !outside.is_empty() {
        return Err(invalid(format!(
            "These keywords are not in this sector: {}.",
            list_ids(&outside)
        )));
    }
    let eligible: Vec<KeywordInput> = rows
        .into_iter()
        .filter(|k| {
            k.status == KeywordStatus::Active && (request.recluster || k.cluster_id.is_none())
        })
        .map(|k| KeywordInput {
            id: k.id,
            text: k.keyword,
            volume: k.volume,
        })
        .collect();
    if eligible.is_empty() {
        return Err(invalid(
            "Every selected keyword is already clustered or archived; set recluster to group \
             clustered ones again."
                .to_owned(),
        ));
    }
    let credits = estimate(db, quire.ai.model(), request.method, &eligible).await?;
    Ok(Planned {
        input: JobInput {
            sector_id: sector.id,
            method: request.method,
            recluster: request.recluster,
            keyword_ids: eligible.iter().map(|k| k.id).collect(),
        },
        credits,
    })
}

/// Queues a planned run, reserving its credits (402 when the balance is short).
pub async fn enqueue(
    quire: &Quire,
    tenant: &Tenant,
    planned: Planned,
) -> Result<crate::entities::job::Model, Error> {
    quire.rate_limits.ai_operation(tenant.account.id)?;
    queue::enqueue(
        quire,
        tenant,
        NewJob {
            kind: KIND.to_owned(),
            input: json!(planned.input),
            reserve: planned.credits,
        },
        quire.settings.jobs.max_attempts,
    )
    .await
}

fn invalid(message: String) -> Error {
    Error::Validation(ValidationErrors::single("keyword_ids", &message))
}

fn list_ids(ids: &[i64]) -> String {
    let shown: Vec<String> = ids.iter().take(20).map(i64::to_string).collect();
    let more = ids.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The account's keywords among `ids` (any sector), ordered by id.
async fn keywords_by_id(
    db: &Db,
    account_id: i64,
    ids: &[i64],
) -> Result<Vec<keyword::Model>, Error> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            keyword::Entity::find()
                .filter(keyword::Column::Id.is_in(chunk.iter().copied()))
                .filter(keyword::Column::AccountId.eq(account_id))
                .all(db)
                .await?,
        );
    }
    rows.sort_by_key(|k| k.id);
    Ok(rows)
}

/// Credits to reserve: the flat price per batch (`local`), or every planned model call priced
/// at its prompt tokens plus its output cap (`ai`, `hybrid`).
pub async fn estimate(
    db: &Db,
    model: &str,
    method: Method,
    keywords: &[KeywordInput],
) -> Result<i64, Error> {
    let requests = match method {
        Method::Local => {
            let price = pricing::price(db, local::MODEL, local::OPERATION).await?;
            let batches = i64::try_from(local::batches(keywords.len())).unwrap_or(i64::MAX);
            return Ok(price.credits(0, 0).saturating_mul(batches));
        }
        Method::Ai => by_model::planned_requests(db, keywords).await?,
        Method::Hybrid => {
            let groups = local_groups(keywords.to_vec()).await?;
            hybrid::planned_requests(db, keywords, &groups).await?
        }
    };
    Ok(pricing::estimate_all(db, model, &requests).await?)
}

/// Local clustering off the async threads (100,000 keywords take seconds).
async fn local_groups(keywords: Vec<KeywordInput>) -> Result<Vec<Group>, Error> {
    tokio::task::spawn_blocking(move || local::group(&keywords))
        .await
        .map_err(|e| Error::Internal(format!("local clustering stopped: {e}")))
}

/// Runs auto-cluster jobs.
pub struct AutoClusterJob;

#[async_trait::async_trait]
impl JobHandler for AutoClusterJob {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError> {
        let input: JobInput = ctx.input()?;
        let db = &ctx.quire.db;
        let Some(sector) = crate::entities::sector::Entity::find_by_id(input.sector_id)
            .filter(crate::entities::sector::Column::AccountId.eq(ctx.job.account_id))
            .one(db)
            .await
            .map_err(Error::from)?
        else {
            return Err(JobError::Fatal("the sector was deleted".to_owned()));
        };
        let keywords: Vec<KeywordInput> =
            keywords_by_id(db, ctx.job.account_id, &input.keyword_ids)
                .await?
                .into_iter()
                .filter(|k| {
                    k.sector_id == sector.id
                        && k.status == KeywordStatus::Active
                        && (input.recluster || k.cluster_id.is_none())
                })
                .map(|k| KeywordInput {
                    id: k.id,
                    text: k.keyword,
                    volume: k.volume,
                })
                .collect();
        ctx.progress(5, &format!("Grouping {} keywords", keywords.len()))
            .await?;
        let mut placed_locally = 0;
        let groups = if keywords.is_empty() {
            Vec::new()
        } else {
            match input.method {
                Method::Local => {
                    let groups = local_groups(keywords.clone()).await?;
                    charge_local(ctx, keywords.len()).await?;
                    groups
                }
                Method::Ai => {
                    let outcome = by_model::cluster(ctx, &keywords).await?;
                    placed_locally = outcome.placed_locally;
                    outcome.groups
                }
                Method::Hybrid => {
                    let local = local_groups(keywords.clone()).await?;
                    hybrid::refine(ctx, &keywords, local).await?
                }
            }
        };
        ctx.progress(95, "Saving clusters").await?;
        let Some(txn) = queue::results_transaction(db, &ctx.job).await? else {
            return Err(JobError::LeaseLost);
        };
        let saved = store::save(&txn, &ctx.job, &sector, groups, input.recluster).await?;
        let result = json!({
            "method": input.method,
            "keywords": saved.keywords,
            "clusters": saved.cluster_ids.len(),
            "cluster_ids": saved.cluster_ids,
            "removed_empty_clusters": saved.removed,
            "placed_locally": placed_locally,
            "offline_draft": input.method != Method::Local && ctx.quire.ai.is_offline(),
        });
        ctx.succeed_with(txn, result).await
    }
}

/// One usage row per flat-priced batch: no model was called, so no tokens and no cost.
async fn charge_local(ctx: &JobContext, keywords: usize) -> Result<(), JobError> {
    for _ in 0..local::batches(keywords) {
        ctx.record_call(Call {
            account_id: ctx.job.account_id,
            user_id: ctx.job.user_id,
            job_id: Some(ctx.job.id),
            operation: local::OPERATION,
            provider: "local",
            model: local::MODEL,
            input_tokens: 0,
            output_tokens: 0,
            latency_ms: 0,
            error: None,
        })
        .await?;
    }
    Ok(())
}
