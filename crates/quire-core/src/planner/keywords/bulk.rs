//! Many keywords at once: add seed keywords of the library, delete by ids.

use super::{
    batch::{NewRow, insert_new},
    import::grouped,
    write::{MISFIT_SEED, seed_fits},
};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    entities::{keyword, seed_keyword},
    planner::{
        cluster_totals,
        keyword_csv::{keyword_key, normalise_keyword},
        scope,
    },
    tenancy::lock_account,
};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The most seed keywords one bulk add may name.
pub const MAX_BULK_ADD: usize = 1_000;
/// The most keyword ids one bulk delete may name.
pub const MAX_BULK_DELETE: usize = 10_000;
/// Ids per `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

/// Seed keywords to add to one of the caller's sectors.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BulkAdd {
    pub sector_id: i64,
    /// When given, it must be the sector's site.
    #[serde(default)]
    pub site_id: Option<i64>,
    /// 1 to 1,000 ids of the seed-keyword library.
    pub seed_keyword_ids: Vec<i64>,
}

/// What a bulk add did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkAddOutcome {
    pub created: u64,
    /// Ids named twice, and keywords the sector already held (or that two ids share).
    pub duplicates: u64,
    /// Ids that could not be added, in request order.
    pub errors: Vec<SeedKeywordError>,
}

/// Why one seed keyword was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedKeywordError {
    pub seed_keyword_id: i64,
    pub message: String,
}

/// Keywords to delete.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BulkDelete {
    /// 1 to 10,000 keyword ids; ids that are not the caller's are ignored.
    pub ids: Vec<i64>,
}

/// Adds seed keywords to a sector in one transaction, copying their text, volume,
/// difficulty and intent (no credits are charged). Unknown ids and seed keywords of another
/// industry sector are reported in `errors`; duplicates are skipped and counted.
pub async fn bulk_add(db: &Db, tenant: &Tenant, input: BulkAdd) -> Result<BulkAddOutcome, Error> {
    check_count(
        "seed_keyword_ids",
        input.seed_keyword_ids.len(),
        MAX_BULK_ADD,
    )?;
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let sector = scope::sector_of_request(&txn, tenant, input.sector_id, input.site_id).await?;
    let mut wanted = input.seed_keyword_ids.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let mut seeds = HashMap::new();
    for chunk in wanted.chunks(IDS_PER_QUERY) {
        for seed in seed_keyword::Entity::find()
            .filter(seed_keyword::Column::Id.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            seeds.insert(seed.id, seed);
        }
    }

    let mut outcome = BulkAddOutcome::default();
    let mut seen_ids = HashSet::new();
    let mut seen_keys = HashSet::new();
    let mut rows = Vec::new();
    for id in input.seed_keyword_ids {
        if !seen_ids.insert(id) {
            outcome.duplicates += 1;
            continue;
        }
        let refused = |message: &str| SeedKeywordError {
            seed_keyword_id: id,
            message: message.to_owned(),
        };
        let Some(seed) = seeds.remove(&id) else {
            outcome.errors.push(refused("No such seed keyword."));
            continue;
        };
        if !seed_fits(&sector, &seed) {
            outcome.errors.push(refused(MISFIT_SEED));
            continue;
        }
        let Some(text) = normalise_keyword(&seed.keyword) else {
            outcome
                .errors
                .push(refused("This seed keyword's text is not a valid keyword."));
            continue;
        };
        let key = keyword_key(&text);
        if !seen_keys.insert(key.clone()) {
            outcome.duplicates += 1;
            continue;
        }
        rows.push(NewRow {
            keyword: text,
            key,
            seed_keyword_id: Some(seed.id),
            volume: seed.volume,
            difficulty: Some(seed.difficulty),
            intent: Some(seed.intent),
        });
    }
    let attempted = rows.len() as u64;
    outcome.created = insert_new(&txn, &sector, rows).await?;
    outcome.duplicates += attempted - outcome.created;
    txn.commit().await?;
    Ok(outcome)
}

/// Deletes those of `ids` that are the caller's keywords, in one transaction, and
/// recomputes the totals of their clusters. Other ids (another tenant's, gone, repeated)
/// are not counted. Answers how many were deleted.
pub async fn bulk_delete(db: &Db, tenant: &Tenant, input: BulkDelete) -> Result<u64, Error> {
    check_count("ids", input.ids.len(), MAX_BULK_DELETE)?;
    let mut ids = input.ids;
    ids.sort_unstable();
    ids.dedup();
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let mut clusters = Vec::new();
    let mut deleted = 0;
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let mine = keyword::Column::AccountId
            .eq(tenant.account.id)
            .and(keyword::Column::Id.is_in(chunk.iter().copied()));
        clusters.extend(
            keyword::Entity::find()
                .select_only()
                .column(keyword::Column::ClusterId)
                .filter(mine.clone())
                .filter(keyword::Column::ClusterId.is_not_null())
                .into_tuple::<i64>()
                .all(&txn)
                .await?,
        );
        deleted += keyword::Entity::delete_many()
            .filter(mine)
            .exec(&txn)
            .await?
            .rows_affected;
    }
    cluster_totals::refresh(&txn, &clusters).await?;
    txn.commit().await?;
    Ok(deleted)
}

/// A list of 1 to `max` items.
fn check_count(field: &str, count: usize, max: usize) -> Result<(), Error> {
    if count == 0 {
        return Err(Error::Validation(ValidationErrors::single(
            field,
            "Give at least one id.",
        )));
    }
    if count > max {
        return Err(Error::Validation(ValidationErrors::single(
            field,
            format!("Give at most {} ids per request.", grouped(max)),
        )));
    }
    Ok(())
}
