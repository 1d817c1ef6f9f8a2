//! One keyword at a time: create (own text or a seed keyword), change, delete.

use super::{check_difficulty, check_volume, checked_text, duplicate_keyword, get};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{self, Db, begin_write},
    entities::{
        cluster,
        enums::{KeywordIntent, KeywordStatus},
        keyword, sector, seed_keyword,
    },
    planner::{cluster_totals, keyword_csv::keyword_key, scope},
    tenancy::{double_option, lock_account},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;

/// A keyword to add to one of the caller's sectors: its own text, or a seed keyword of the
/// library whose text, volume, difficulty and intent are copied unless given here.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewKeyword {
    /// One of the caller's sectors; the keyword takes its account and site from it.
    pub sector_id: i64,
    /// When given, it must be the sector's site.
    #[serde(default)]
    pub site_id: Option<i64>,
    /// The text (at most 255 characters; whitespace is trimmed and collapsed). Required
    /// unless `seed_keyword_id` is given.
    #[serde(default)]
    pub keyword: Option<String>,
    /// A seed keyword of the sector's industry sector (any, when the sector has none).
    #[serde(default)]
    pub seed_keyword_id: Option<i64>,
    /// Monthly searches, 0 or more (default: the seed's, else 0).
    #[serde(default)]
    pub volume: Option<i64>,
    /// 0–100 (default: the seed's, else unknown).
    #[serde(default)]
    pub difficulty: Option<i32>,
    /// Default: the seed's, else unknown.
    #[serde(default)]
    pub intent: Option<KeywordIntent>,
}

/// The fields a PATCH may change; a keyword never moves to another sector.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KeywordPatch {
    /// New text; it must stay unique in the sector.
    pub keyword: Option<String>,
    pub volume: Option<i64>,
    /// `null` makes it unknown.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub difficulty: Option<Option<i32>>,
    /// `null` makes it unknown.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<KeywordIntent>)]
    pub intent: Option<Option<KeywordIntent>>,
    pub status: Option<KeywordStatus>,
    /// A cluster of the keyword's own sector; `null` takes the keyword out of its cluster.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub cluster_id: Option<Option<i64>>,
}

pub(super) const MISFIT_SEED: &str =
    "This seed keyword belongs to another industry sector than the sector's.";

/// Whether a seed keyword may be added to `sector`: any when the sector has no industry
/// sector, else only those of that industry sector.
pub(super) fn seed_fits(sector: &sector::Model, seed: &seed_keyword::Model) -> bool {
    sector
        .industry_sector_id
        .is_none_or(|id| id == seed.industry_sector_id)
}

/// Adds one keyword (no credits are charged). Checks, in order: the sector (and site) are
/// the caller's, the seed keyword exists and fits the sector, the fields are valid, the
/// text is new in the sector.
pub async fn create(db: &Db, tenant: &Tenant, input: NewKeyword) -> Result<keyword::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let sector = scope::sector_of_request(&txn, tenant, input.sector_id, input.site_id).await?;
    let mut errors = ValidationErrors::default();
    let seed = match input.seed_keyword_id {
        None => None,
        Some(id) => match seed_keyword::Entity::find_by_id(id).one(&txn).await? {
            None => {
                errors.add("seed_keyword_id", "No such seed keyword.");
                None
            }
            Some(seed) if !seed_fits(&sector, &seed) => {
                errors.add("seed_keyword_id", MISFIT_SEED);
                None
            }
            found => found,
        },
    };
    let text = match (input.keyword.as_deref(), &seed) {
        (Some(text), _) => checked_text(&mut errors, text),
        (None, Some(seed)) => checked_text(&mut errors, &seed.keyword),
        (None, None) => {
            if input.seed_keyword_id.is_none() {
                errors.add("keyword", "Give the keyword text or a seed_keyword_id.");
            }
            None
        }
    };
    let volume = input
        .volume
        .or(seed.as_ref().map(|s| s.volume))
        .unwrap_or(0);
    check_volume(&mut errors, volume);
    let difficulty = input.difficulty.or(seed.as_ref().map(|s| s.difficulty));
    check_difficulty(&mut errors, difficulty);
    let intent = input.intent.or(seed.as_ref().map(|s| s.intent));
    let text = match text {
        Some(text) if errors.is_empty() => text,
        _ => return Err(Error::Validation(errors)),
    };
    let key = keyword_key(&text);
    if key_taken(&txn, sector.id, &key, None).await? {
        return Err(duplicate_keyword());
    }
    let now = Utc::now();
    let created = keyword::ActiveModel {
        account_id: Set(sector.account_id),
        site_id: Set(sector.site_id),
        sector_id: Set(sector.id),
        keyword: Set(text),
        keyword_key: Set(key),
        seed_keyword_id: Set(seed.map(|s| s.id)),
        volume: Set(volume),
        difficulty: Set(difficulty),
        intent: Set(intent),
        status: Set(KeywordStatus::Active),
        cluster_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate_or_database)?;
    txn.commit().await?;
    Ok(created)
}

/// Applies `patch`; the totals of the cluster the keyword leaves and the one it joins are
/// recomputed in the same transaction.
pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: KeywordPatch,
) -> Result<keyword::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    let mut errors = ValidationErrors::default();
    let text = patch
        .keyword
        .as_deref()
        .and_then(|text| checked_text(&mut errors, text));
    if let Some(volume) = patch.volume {
        check_volume(&mut errors, volume);
    }
    if let Some(difficulty) = patch.difficulty {
        check_difficulty(&mut errors, difficulty);
    }
    if let Some(Some(cluster_id)) = patch.cluster_id {
        let found = cluster::Entity::find_by_id(cluster_id)
            .filter(cluster::Column::AccountId.eq(tenant.account.id))
            .filter(cluster::Column::SectorId.eq(current.sector_id))
            .count(&txn)
            .await?;
        if found == 0 {
            errors.add("cluster_id", "No such cluster in this keyword's sector.");
        }
    }
    errors.into_result()?;

    let old_cluster = current.cluster_id;
    let mut row: keyword::ActiveModel = current.clone().into();
    if let Some(text) = text {
        let key = keyword_key(&text);
        if key != current.keyword_key && key_taken(&txn, current.sector_id, &key, Some(id)).await? {
            return Err(duplicate_keyword());
        }
        row.keyword = Set(text);
        row.keyword_key = Set(key);
    }
    if let Some(volume) = patch.volume {
        row.volume = Set(volume);
    }
    if let Some(difficulty) = patch.difficulty {
        row.difficulty = Set(difficulty);
    }
    if let Some(intent) = patch.intent {
        row.intent = Set(intent);
    }
    if let Some(status) = patch.status {
        row.status = Set(status);
    }
    if let Some(cluster_id) = patch.cluster_id {
        row.cluster_id = Set(cluster_id);
    }
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await.map_err(duplicate_or_database)?;
    let touched: Vec<i64> = old_cluster.into_iter().chain(updated.cluster_id).collect();
    cluster_totals::refresh(&txn, &touched).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes the keyword and recomputes its cluster's totals.
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    keyword::Entity::delete_by_id(current.id).exec(&txn).await?;
    if let Some(cluster_id) = current.cluster_id {
        cluster_totals::refresh(&txn, &[cluster_id]).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Whether the sector already holds a keyword with this key (other than `except`).
async fn key_taken(
    conn: &impl ConnectionTrait,
    sector_id: i64,
    key: &str,
    except: Option<i64>,
) -> Result<bool, Error> {
    let mut same = keyword::Entity::find()
        .filter(keyword::Column::SectorId.eq(sector_id))
        .filter(keyword::Column::KeywordKey.eq(key));
    if let Some(id) = except {
        same = same.filter(keyword::Column::Id.ne(id));
    }
    Ok(same.count(conn).await? > 0)
}

/// A unique violation here can only be the sector's keyword key: a concurrent add won.
fn duplicate_or_database(err: sea_orm::DbErr) -> Error {
    if db::is_unique_violation(&err) {
        duplicate_keyword()
    } else {
        Error::Database(err)
    }
}
