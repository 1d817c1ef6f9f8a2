//! Saves a clustering run: new clusters on the sector, keywords moved into them, totals
//! refreshed, and clusters a re-cluster emptied removed unless ideas hang from them — all in
//! one transaction, and only while the job still holds its lease.

use super::groups::Group;
use crate::{
    Error,
    db::Db,
    entities::{
        cluster, content_idea,
        enums::{ClusterStatus, KeywordStatus},
        job, keyword, sector,
    },
    jobs::queue,
    planner::cluster_totals,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use std::collections::HashSet;

/// Ids per `IN (…)` list, well under both databases' bound-parameter limits.
const CHUNK: usize = 500;

/// What a run stored.
#[derive(Debug, Default)]
pub struct Saved {
    pub cluster_ids: Vec<i64>,
    pub keywords: usize,
    /// Clusters the re-cluster left empty and removed.
    pub removed: usize,
}

/// Stores `groups` for `job`; `None` when the job's lease was lost (nothing is written).
/// Keywords deleted, archived, moved to another sector or (without `recluster`) clustered
/// since the job was queued are left alone.
pub async fn save(
    db: &Db,
    job: &job::Model,
    sector: &sector::Model,
    groups: Vec<Group>,
    recluster: bool,
) -> Result<Option<Saved>, Error> {
    let Some(txn) = queue::results_transaction(db, job).await? else {
        return Ok(None);
    };
    let wanted: Vec<i64> = groups.iter().flat_map(|g| g.keyword_ids.clone()).collect();
    let mut eligible = HashSet::new();
    let mut previous_clusters = Vec::new();
    for chunk in wanted.chunks(CHUNK) {
        let mut select = keyword::Entity::find()
            .select_only()
            .column(keyword::Column::Id)
            .column(keyword::Column::ClusterId)
            .filter(keyword::Column::Id.is_in(chunk.iter().copied()))
            .filter(keyword::Column::AccountId.eq(job.account_id))
            .filter(keyword::Column::SectorId.eq(sector.id))
            .filter(keyword::Column::Status.eq(KeywordStatus::Active));
        if !recluster {
            select = select.filter(keyword::Column::ClusterId.is_null());
        }
        for (id, cluster_id) in select.into_tuple::<(i64, Option<i64>)>().all(&txn).await? {
            eligible.insert(id);
            previous_clusters.extend(cluster_id);
        }
    }

    let now = Utc::now();
    let mut saved = Saved::default();
    for group in groups {
        let members: Vec<i64> = group
            .keyword_ids
            .into_iter()
            .filter(|id| eligible.remove(id))
            .collect();
        if members.is_empty() {
            continue;
        }
        let created = cluster::ActiveModel {
            account_id: Set(sector.account_id),
            site_id: Set(sector.site_id),
            sector_id: Set(sector.id),
            name: Set(group.name),
            description: Set(group.description),
            keyword_count: Set(0),
            total_volume: Set(0),
            status: Set(ClusterStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for chunk in members.chunks(CHUNK) {
            keyword::Entity::update_many()
                .col_expr(keyword::Column::ClusterId, Expr::value(created.id))
                .col_expr(keyword::Column::UpdatedAt, Expr::value(now))
                .filter(keyword::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        saved.keywords += members.len();
        saved.cluster_ids.push(created.id);
    }
    let mut touched = saved.cluster_ids.clone();
    touched.extend(&previous_clusters);
    cluster_totals::refresh(&txn, &touched).await?;
    previous_clusters.sort_unstable();
    previous_clusters.dedup();
    for chunk in previous_clusters.chunks(CHUNK) {
        let has_ideas = Query::select()
            .expr(Expr::val(1))
            .from(content_idea::Entity)
            .and_where(
                Expr::col((content_idea::Entity, content_idea::Column::ClusterId))
                    .equals((cluster::Entity, cluster::Column::Id)),
            )
            .to_owned();
        let removed = cluster::Entity::delete_many()
            .filter(cluster::Column::Id.is_in(chunk.iter().copied()))
            .filter(cluster::Column::KeywordCount.eq(0))
            .filter(Condition::all().add(Expr::exists(has_ideas).not()))
            .exec(&txn)
            .await?;
        saved.removed += usize::try_from(removed.rows_affected).unwrap_or(0);
    }
    txn.commit().await?;
    Ok(Some(saved))
}
