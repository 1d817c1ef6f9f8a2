//! Generate ideas (F3b): one model call per cluster proposes content ideas, stored on the
//! cluster's account, site and sector once every cluster has its ideas (a failed run stores
//! none and returns every credit).

use crate::jobs::assistant::json_request;
use crate::{
    Error, Quire, ValidationErrors,
    accounts::principal::Tenant,
    ai::ChatRequest,
    credits::pricing,
    db::Db,
    entities::{cluster, keyword, sector, site},
    jobs::{
        queue::{self, NewJob},
        worker::{JobContext, JobError, JobHandler},
    },
    planner::{
        ideas::{self, GeneratedIdea},
        input,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

pub const KIND: &str = "generate_ideas";
pub const OPERATION: &str = "generate_ideas";
const TEMPLATE: &str = "generate_ideas";
/// Clusters one request may name.
pub const MAX_CLUSTERS: usize = 50;
/// Ideas asked for per cluster, at most.
pub const MAX_IDEAS_PER_CLUSTER: u32 = 10;
/// The cluster's highest-volume keywords shown to the model.
const PROMPT_KEYWORDS: u64 = 30;
/// Output tokens allowed per idea asked for.
const TOKENS_PER_IDEA: u32 = 350;

/// `POST /api/v1/planner/clusters/generate_ideas/`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GenerateIdeasRequest {
    pub cluster_ids: Vec<i64>,
    /// 1–10 (default 3).
    #[serde(default = "default_ideas_per_cluster")]
    pub ideas_per_cluster: u32,
}

fn default_ideas_per_cluster() -> u32 {
    3
}

#[derive(Debug, serde::Serialize, Deserialize)]
struct JobInput {
    cluster_ids: Vec<i64>,
    ideas_per_cluster: u32,
}

/// A checked request and the credits it reserves (one call per cluster).
#[derive(Debug)]
pub struct Planned {
    input: JobInput,
    pub credits: i64,
}

/// Checks the request and prices it: every cluster must be the caller's.
pub async fn plan(
    quire: &Quire,
    tenant: &Tenant,
    request: GenerateIdeasRequest,
) -> Result<Planned, Error> {
    let db = &quire.db;
    let mut ids = request.cluster_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut errors = ValidationErrors::default();
    if ids.is_empty() || ids.len() > MAX_CLUSTERS {
        errors.add(
            "cluster_ids",
            format!("Select between 1 and {MAX_CLUSTERS} clusters."),
        );
    }
    if !(1..=MAX_IDEAS_PER_CLUSTER).contains(&request.ideas_per_cluster) {
        errors.add(
            "ideas_per_cluster",
            format!("Ask for between 1 and {MAX_IDEAS_PER_CLUSTER} ideas per cluster."),
        );
    }
    errors.into_result()?;
    let clusters = cluster::Entity::find()
        .filter(cluster::Column::Id.is_in(ids.iter().copied()))
        .filter(cluster::Column::AccountId.eq(tenant.account.id))
        .all(db)
        .await?;
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !clusters.iter().any(|c| c.id == *id))
        .collect();
    let mut errors = ValidationErrors::default();
    input::refuse(&mut errors, "cluster_ids", "No such clusters", &unknown);
    errors.into_result()?;
    let mut calls = Vec::with_capacity(clusters.len());
    for cluster in &clusters {
        calls.push(request_for(db, cluster, request.ideas_per_cluster).await?);
    }
    let credits = pricing::estimate_all(db, quire.ai.model(), &calls).await?;
    Ok(Planned {
        input: JobInput {
            cluster_ids: ids,
            ideas_per_cluster: request.ideas_per_cluster,
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

/// The model call for one cluster: its name, description, top keywords, site and sector.
async fn request_for(db: &Db, cluster: &cluster::Model, count: u32) -> Result<ChatRequest, Error> {
    let keywords: Vec<String> = keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Keyword)
        .filter(keyword::Column::ClusterId.eq(cluster.id))
        .order_by_desc(keyword::Column::Volume)
        .order_by_asc(keyword::Column::Id)
        .limit(PROMPT_KEYWORDS)
        .into_tuple()
        .all(db)
        .await?;
    let site = site::Entity::find_by_id(cluster.site_id).one(db).await?;
    let sector = sector::Entity::find_by_id(cluster.sector_id)
        .one(db)
        .await?;
    let vars = json!({
        "cluster": cluster.name,
        "description": cluster.description,
        "keywords": keywords,
        "count": count,
        "site": site.map(|s| s.name),
        "sector": sector.map(|s| s.name),
    });
    json_request(
        Some(db),
        TEMPLATE,
        OPERATION,
        vars,
        count * TOKENS_PER_IDEA + 200,
    )
    .await
}

/// The ideas of an answer that have a title, at most `count`; ideas that do not read as one
/// are dropped, and [`ideas::insert_generated`] clips or defaults the rest.
pub fn read_ideas(answer: &Value, count: u32) -> Vec<GeneratedIdea> {
    answer["ideas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|idea| serde_json::from_value::<GeneratedIdea>(idea.clone()).ok())
        .filter(|idea| !idea.title.trim().is_empty())
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .collect()
}

/// Runs idea-generation jobs.
pub struct GenerateIdeasJob;

#[async_trait::async_trait]
impl JobHandler for GenerateIdeasJob {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let input: JobInput = ctx.input()?;
        let db = &ctx.quire.db;
        let clusters = cluster::Entity::find()
            .filter(cluster::Column::Id.is_in(input.cluster_ids.iter().copied()))
            .filter(cluster::Column::AccountId.eq(ctx.job.account_id))
            .order_by_asc(cluster::Column::Id)
            .all(db)
            .await
            .map_err(Error::from)?;
        let mut proposed = Vec::new();
        for (n, cluster) in clusters.iter().enumerate() {
            let percent = i32::try_from(90 * n / clusters.len().max(1)).unwrap_or(90);
            ctx.progress(percent, &format!("Ideas for \"{}\"", cluster.name))
                .await?;
            let request = request_for(db, cluster, input.ideas_per_cluster).await?;
            let (answer, _) = ctx.complete_json(&request).await?;
            let mut ideas = read_ideas(&answer, input.ideas_per_cluster);
            if ideas.is_empty() {
                let mut again = request.clone();
                again.user.push_str(
                    "\n\nYour previous answer held no usable idea. Answer with the JSON object \
                     described above, with at least one idea that has a title.",
                );
                ideas = read_ideas(&ctx.complete_json(&again).await?.0, input.ideas_per_cluster);
            }
            if ideas.is_empty() {
                return Err(JobError::Fatal(format!(
                    "the model proposed no usable idea for the cluster \"{}\", twice",
                    cluster.name
                )));
            }
            proposed.push((cluster, ideas));
        }
        ctx.progress(95, "Saving ideas").await?;
        let Some(txn) = queue::results_transaction(db, &ctx.job).await? else {
            return Err(JobError::LeaseLost);
        };
        let mut idea_ids = Vec::new();
        for (cluster, ideas) in proposed {
            for created in ideas::insert_generated(&txn, cluster, ideas).await? {
                idea_ids.push(created.id);
            }
        }
        let result = json!({
            "clusters": clusters.len(),
            "ideas": idea_ids.len(),
            "idea_ids": idea_ids,
            "offline_draft": ctx.quire.ai.is_offline(),
        });
        ctx.succeed_with(txn, result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideas_without_a_title_or_shape_are_dropped_and_the_count_is_capped() {
        let answer = json!({"ideas": [
            {"title": "  A guide  ", "outline": ["One", "", "Two"], "content_type": "how_to"},
            {"title": "", "description": "no title"},
            {"title": "Bad words", "estimated_words": "lots"},
            {"title": "Second"},
            {"title": "Third"},
        ]});
        let ideas = read_ideas(&answer, 2);
        let titles: Vec<&str> = ideas.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, vec!["  A guide  ", "Second"]);
        assert!(read_ideas(&json!({"text": "prose"}), 3).is_empty());
    }
}
