//! Saves a clustering run: new clusters on the sector, keywords moved into them, totals
//! refreshed, and clusters a re-cluster emptied removed unless ideas hang from them — all in
//! the job's results transaction, which commits them with the job's end.

use super::groups::Group;
use crate::{
    Error,
    entities::{
        cluster, content_idea,
        enums::{ClusterStatus, KeywordStatus},
        job, keyword, sector,
    },
    planner::cluster_totals,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
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

/// Stores `groups` for `job` in `txn`, the job's results transaction, which the caller
/// commits. Keywords deleted, archived, moved to another sector or (without `recluster`)
/// clustered since the job was queued are left alone.
pub async fn save(
    txn: &DatabaseTransaction,
    job: &job::Model,
    sector: &sector::Model,
    groups: Vec<Group>,
    recluster: bool,
) -> Result<Saved, Error> {
    let wanted: Vec<i64> = groups.iter().flat_map(|g| g.keyword_ids.clone()).collect();
    let mut eligible = HashSet::new();
    let mut previous_clusters = Vec::new();
    for chunk in wanted.chunks(CHUNK) {
        // Found by primary key alone and checked here: with the account, sector and status in
        // the statement, PostgreSQL's generic plan for it walked the whole sector's index for
        // every chunk (1.4 s each on the benchmark's 100,000-keyword sector).
        let rows = keyword::Entity::find()
            .select_only()
            .columns([
                keyword::Column::Id,
                keyword::Column::AccountId,
                keyword::Column::SectorId,
                keyword::Column::Status,
                keyword::Column::ClusterId,
            ])
            .filter(keyword::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, i64, i64, KeywordStatus, Option<i64>)>()
            .all(txn)
            .await?;
        for (id, account_id, sector_id, status, cluster_id) in rows {
            let eligible_here = account_id == job.account_id
                && sector_id == sector.id
                && status == KeywordStatus::Active
                && (recluster || cluster_id.is_none());
            if eligible_here {
                eligible.insert(id);
                previous_clusters.extend(cluster_id);
            }
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
        .insert(txn)
        .await?;
        for chunk in members.chunks(CHUNK) {
            keyword::Entity::update_many()
                .col_expr(keyword::Column::ClusterId, Expr::value(created.id))
                .col_expr(keyword::Column::UpdatedAt, Expr::value(now))
                .filter(keyword::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        saved.keywords += members.len();
        saved.cluster_ids.push(created.id);
    }
    let mut touched = saved.cluster_ids.clone();
    touched.extend(&previous_clusters);
    cluster_totals::refresh(txn, &touched).await?;
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
            .exec(txn)
            .await?;
        saved.removed += usize::try_from(removed.rows_affected).unwrap_or(0);
    }
    Ok(saved)
}
