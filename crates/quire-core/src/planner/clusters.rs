//! Clusters: a sector's keywords grouped by topic. Names are unique per sector ignoring case;
//! `keyword_count` and `total_volume` are recomputed in the transaction of every change of
//! membership (create, move, merge), and deleting a cluster leaves its keywords, ideas and
//! tasks in place without it.

use super::{cluster_totals, input, scope};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    entities::{
        cluster, content_idea,
        enums::{ClusterStatus, KeywordStatus},
        keyword, task,
    },
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::{check_description, lock_account},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::Expr,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The longest cluster name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// The most clusters one merge may absorb.
pub const MAX_MERGE: usize = 100;
/// The most keywords one move may carry.
pub const MAX_MOVE: usize = 1_000;

/// A cluster to create, in one of the caller's sectors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCluster {
    pub sector_id: i64,
    /// When given, it must be the sector's site.
    #[serde(default)]
    pub site_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `active` unless given.
    #[serde(default)]
    pub status: Option<ClusterStatus>,
}

/// The fields a PATCH may change; a cluster never moves to another sector.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ClusterPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ClusterStatus>,
}

/// `POST /clusters/{id}/merge/`: the clusters to fold into `{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MergeClusters {
    /// Clusters of the same sector, 1 to 100.
    pub cluster_ids: Vec<i64>,
}

/// `POST /clusters/{id}/move_keywords/`: the keywords to put into `{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MoveKeywords {
    /// Active keywords of the cluster's sector, 1 to 1,000.
    pub keyword_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterFilter {
    pub site_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub status: Option<ClusterStatus>,
    /// Matches the name, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<cluster::Column> = &[
    ("id", cluster::Column::Id),
    ("name", cluster::Column::Name),
    ("keyword_count", cluster::Column::KeywordCount),
    ("total_volume", cluster::Column::TotalVolume),
    ("created_at", cluster::Column::CreatedAt),
];

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: ClusterFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<cluster::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select =
        cluster::Entity::find().filter(cluster::Column::AccountId.eq(tenant.account.id));
    if let Some(site_id) = filter.site_id {
        select = select.filter(cluster::Column::SiteId.eq(site_id));
    }
    if let Some(sector_id) = filter.sector_id {
        select = select.filter(cluster::Column::SectorId.eq(sector_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(cluster::Column::Status.eq(status));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[cluster::Column::Name]));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's cluster `id`; another account's cluster is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<cluster::Model, Error> {
    cluster::Entity::find_by_id(id)
        .filter(cluster::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(db: &Db, tenant: &Tenant, input: NewCluster) -> Result<cluster::Model, Error> {
    let txn = begin_write(db).await?;
    // Serialises the account's writes, so two requests cannot both take one name.
    lock_account(&txn, tenant.account.id).await?;
    let sector = scope::sector_of_request(&txn, tenant, input.sector_id, input.site_id).await?;
    let patch = ClusterPatch {
        name: Some(input.name),
        description: input.description,
        status: input.status,
    };
    let fields = validate(&txn, sector.id, patch, None).await?;
    let now = Utc::now();
    let created = cluster::ActiveModel {
        account_id: Set(sector.account_id),
        site_id: Set(sector.site_id),
        sector_id: Set(sector.id),
        name: Set(fields.name),
        description: Set(fields.description),
        keyword_count: Set(0),
        total_volume: Set(0),
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
    patch: ClusterPatch,
) -> Result<cluster::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    let fields = validate(&txn, current.sector_id, patch, Some(&current)).await?;
    let mut row: cluster::ActiveModel = current.into();
    row.name = Set(fields.name);
    row.description = Set(fields.description);
    row.status = Set(fields.status);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes the cluster. Its keywords become unclustered and its ideas and tasks stay, without
/// a cluster (the foreign keys set `cluster_id` to null).
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let result = cluster::Entity::delete_many()
        .filter(cluster::Column::Id.eq(id))
        .filter(cluster::Column::AccountId.eq(tenant.account.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Folds `input.cluster_ids` into cluster `target_id`: their keywords, ideas and tasks move to
/// it, they are deleted, and the target's totals are recomputed. Answers the target.
pub async fn merge(
    db: &Db,
    tenant: &Tenant,
    target_id: i64,
    input: MergeClusters,
) -> Result<cluster::Model, Error> {
    let ids = input::checked("cluster_ids", &input.cluster_ids, MAX_MERGE)?;
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let target = get(&txn, tenant, target_id).await?;
    if ids.contains(&target.id) {
        return Err(Error::Validation(ValidationErrors::single(
            "cluster_ids",
            "A cluster cannot be merged into itself.",
        )));
    }
    let found: Vec<(i64, i64)> = cluster::Entity::find()
        .select_only()
        .column(cluster::Column::Id)
        .column(cluster::Column::SectorId)
        .filter(cluster::Column::AccountId.eq(tenant.account.id))
        .filter(cluster::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut errors = ValidationErrors::default();
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.iter().any(|(found, _)| found == id))
        .collect();
    input::refuse(&mut errors, "cluster_ids", "No such cluster", &unknown);
    let elsewhere: Vec<i64> = found
        .iter()
        .filter(|(_, sector)| *sector != target.sector_id)
        .map(|(id, _)| *id)
        .collect();
    input::refuse(
        &mut errors,
        "cluster_ids",
        "These clusters are in another sector",
        &elsewhere,
    );
    errors.into_result()?;

    let now = Utc::now();
    keyword::Entity::update_many()
        .col_expr(keyword::Column::ClusterId, Expr::value(target.id))
        .col_expr(keyword::Column::UpdatedAt, Expr::value(now))
        .filter(keyword::Column::AccountId.eq(tenant.account.id))
        .filter(keyword::Column::ClusterId.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    content_idea::Entity::update_many()
        .col_expr(content_idea::Column::ClusterId, Expr::value(target.id))
        .col_expr(content_idea::Column::UpdatedAt, Expr::value(now))
        .filter(content_idea::Column::AccountId.eq(tenant.account.id))
        .filter(content_idea::Column::ClusterId.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    task::Entity::update_many()
        .col_expr(task::Column::ClusterId, Expr::value(target.id))
        .col_expr(task::Column::UpdatedAt, Expr::value(now))
        .filter(task::Column::AccountId.eq(tenant.account.id))
        .filter(task::Column::ClusterId.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    cluster::Entity::delete_many()
        .filter(cluster::Column::AccountId.eq(tenant.account.id))
        .filter(cluster::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    cluster_totals::refresh(&txn, &[target.id]).await?;
    let merged = get(&txn, tenant, target.id).await?;
    txn.commit().await?;
    Ok(merged)
}

/// Puts `input.keyword_ids` (active keywords of the cluster's sector) into cluster
/// `cluster_id`, taking them out of whatever cluster held them; the totals of every cluster
/// touched are recomputed. Answers the cluster.
pub async fn move_keywords(
    db: &Db,
    tenant: &Tenant,
    cluster_id: i64,
    input: MoveKeywords,
) -> Result<cluster::Model, Error> {
    let ids = input::checked("keyword_ids", &input.keyword_ids, MAX_MOVE)?;
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let target = get(&txn, tenant, cluster_id).await?;
    let found: Vec<(i64, i64, KeywordStatus, Option<i64>)> = keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Id)
        .column(keyword::Column::SectorId)
        .column(keyword::Column::Status)
        .column(keyword::Column::ClusterId)
        .filter(keyword::Column::AccountId.eq(tenant.account.id))
        .filter(keyword::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut errors = ValidationErrors::default();
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.iter().any(|(found, ..)| found == id))
        .collect();
    input::refuse(&mut errors, "keyword_ids", "No such keyword", &unknown);
    let elsewhere: Vec<i64> = found
        .iter()
        .filter(|(_, sector, ..)| *sector != target.sector_id)
        .map(|(id, ..)| *id)
        .collect();
    input::refuse(
        &mut errors,
        "keyword_ids",
        "These keywords are in another sector",
        &elsewhere,
    );
    let archived: Vec<i64> = found
        .iter()
        .filter(|(_, _, status, _)| *status == KeywordStatus::Archived)
        .map(|(id, ..)| *id)
        .collect();
    input::refuse(
        &mut errors,
        "keyword_ids",
        "Archived keywords cannot join a cluster",
        &archived,
    );
    errors.into_result()?;

    keyword::Entity::update_many()
        .col_expr(keyword::Column::ClusterId, Expr::value(target.id))
        .col_expr(keyword::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(keyword::Column::AccountId.eq(tenant.account.id))
        .filter(keyword::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    let mut touched: Vec<i64> = found.iter().filter_map(|(.., cluster)| *cluster).collect();
    touched.push(target.id);
    cluster_totals::refresh(&txn, &touched).await?;
    let moved_into = get(&txn, tenant, target.id).await?;
    txn.commit().await?;
    Ok(moved_into)
}

struct ClusterFields {
    name: String,
    description: String,
    status: ClusterStatus,
}

async fn validate(
    conn: &impl ConnectionTrait,
    sector_id: i64,
    patch: ClusterPatch,
    current: Option<&cluster::Model>,
) -> Result<ClusterFields, Error> {
    let mut errors = ValidationErrors::default();
    let name = match (patch.name, current) {
        (Some(name), _) => input::required_text(&mut errors, "name", &name, MAX_NAME_CHARS),
        (None, Some(cluster)) => cluster.name.clone(),
        (None, None) => {
            errors.add("name", "This field is required.");
            String::new()
        }
    };
    let description = match (patch.description, current) {
        (Some(text), _) => check_description(&mut errors, &text),
        (None, Some(cluster)) => cluster.description.clone(),
        (None, None) => String::new(),
    };
    let status = patch
        .status
        .or(current.map(|c| c.status))
        .unwrap_or(ClusterStatus::Active);

    if !name.is_empty() {
        // Compared in Rust: SQLite's lower() folds ASCII only.
        let key = name.to_lowercase();
        let others: Vec<(i64, String)> = cluster::Entity::find()
            .select_only()
            .column(cluster::Column::Id)
            .column(cluster::Column::Name)
            .filter(cluster::Column::SectorId.eq(sector_id))
            .into_tuple()
            .all(conn)
            .await?;
        let taken = others
            .iter()
            .any(|(id, other)| current.is_none_or(|c| c.id != *id) && other.to_lowercase() == key);
        if taken {
            errors.add("name", "This sector already has a cluster with this name.");
        }
    }
    errors.into_result()?;
    Ok(ClusterFields {
        name,
        description,
        status,
    })
}
