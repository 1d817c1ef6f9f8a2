//! Industries and industry sectors (global reference data) as operators manage them: create,
//! change, and delete while nothing uses them. Each change is one transaction with its audit
//! row (`industry.created`, `industry_sector.deleted`, …).

use super::{
    change::{Change, record},
    slug::check_slug,
};
use crate::{
    Error, ValidationErrors,
    db::{self, Db, begin_write},
    entities::{industry, industry_sector, sector, seed_keyword, site},
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::{check_description, check_name},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// An industry or an industry sector to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIndustry {
    /// Unique among industries; 1 to 64 characters of `a-z`, `0-9` and `-`.
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The fields a PATCH of an industry may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct IndustryPatch {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// What an industry and an industry sector share: slug, name, description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Naming {
    slug: String,
    name: String,
    description: String,
}

impl Naming {
    fn patched(self, patch: IndustryPatch) -> Self {
        Self {
            slug: patch.slug.unwrap_or(self.slug),
            name: patch.name.unwrap_or(self.name),
            description: patch.description.unwrap_or(self.description),
        }
    }

    /// Trimmed and checked; field errors go to `errors`.
    fn checked(self, errors: &mut ValidationErrors) -> Self {
        Self {
            slug: check_slug(errors, &self.slug),
            name: check_name(errors, "name", &self.name),
            description: check_description(errors, &self.description),
        }
    }
}

impl From<NewIndustry> for Naming {
    fn from(input: NewIndustry) -> Self {
        Self {
            slug: input.slug,
            name: input.name,
            description: input.description.unwrap_or_default(),
        }
    }
}

fn industry_snapshot(i: &industry::Model) -> serde_json::Value {
    json!({"slug": i.slug, "name": i.name, "description": i.description})
}

fn sector_snapshot(s: &industry_sector::Model) -> serde_json::Value {
    json!({
        "industry_id": s.industry_id,
        "slug": s.slug,
        "name": s.name,
        "description": s.description,
    })
}

fn slug_taken(what: &str) -> Error {
    Error::Validation(ValidationErrors::single(
        "slug",
        format!("Another {what} has this slug."),
    ))
}

fn unique_slug(what: &'static str) -> impl Fn(sea_orm::DbErr) -> Error {
    move |err| {
        if db::is_unique_violation(&err) {
            slug_taken(what)
        } else {
            Error::Database(err)
        }
    }
}

/// An industry with all of its sectors (by name), as the reference list shows it.
pub async fn get_industry(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<(industry::Model, Vec<industry_sector::Model>), Error> {
    let found = industry::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let sectors = industry_sector::Entity::find()
        .filter(industry_sector::Column::IndustryId.eq(id))
        .order_by_asc(industry_sector::Column::Name)
        .all(conn)
        .await?;
    Ok((found, sectors))
}

async fn check_industry_slug_free(
    conn: &impl ConnectionTrait,
    slug: &str,
    except: Option<i64>,
) -> Result<(), Error> {
    let mut same = industry::Entity::find().filter(industry::Column::Slug.eq(slug));
    if let Some(id) = except {
        same = same.filter(industry::Column::Id.ne(id));
    }
    if same.count(conn).await? > 0 {
        return Err(slug_taken("industry"));
    }
    Ok(())
}

pub async fn create_industry(
    db: &Db,
    operator_id: i64,
    input: NewIndustry,
    now: DateTime<Utc>,
) -> Result<industry::Model, Error> {
    let mut errors = ValidationErrors::default();
    let naming = Naming::from(input).checked(&mut errors);
    errors.into_result()?;
    let txn = begin_write(db).await?;
    check_industry_slug_free(&txn, &naming.slug, None).await?;
    let created = industry::ActiveModel {
        slug: Set(naming.slug),
        name: Set(naming.name),
        description: Set(naming.description),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique_slug("industry"))?;
    record(
        &txn,
        Change {
            operator_id,
            action: "industry.created",
            object_type: "industry",
            object_id: Some(created.id),
            before: None,
            after: Some(industry_snapshot(&created)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_industry(
    db: &Db,
    operator_id: i64,
    id: i64,
    patch: IndustryPatch,
    now: DateTime<Utc>,
) -> Result<(industry::Model, Vec<industry_sector::Model>), Error> {
    let txn = begin_write(db).await?;
    let (current, sectors) = get_industry(&txn, id).await?;
    let mut errors = ValidationErrors::default();
    let naming = Naming {
        slug: current.slug.clone(),
        name: current.name.clone(),
        description: current.description.clone(),
    }
    .patched(patch)
    .checked(&mut errors);
    errors.into_result()?;
    check_industry_slug_free(&txn, &naming.slug, Some(id)).await?;
    let before = industry_snapshot(&current);
    let mut row: industry::ActiveModel = current.into();
    row.slug = Set(naming.slug);
    row.name = Set(naming.name);
    row.description = Set(naming.description);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await.map_err(unique_slug("industry"))?;
    record(
        &txn,
        Change {
            operator_id,
            action: "industry.updated",
            object_type: "industry",
            object_id: Some(id),
            before: Some(before),
            after: Some(industry_snapshot(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((updated, sectors))
}

/// Deletes an industry that no tenant site names and that has no sectors left; otherwise a
/// conflict saying what still uses it.
pub async fn delete_industry(
    db: &Db,
    operator_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    let (current, sectors) = get_industry(&txn, id).await?;
    let sites = site::Entity::find()
        .filter(site::Column::IndustryId.eq(id))
        .count(&txn)
        .await?;
    if sites > 0 || !sectors.is_empty() {
        return Err(Error::Conflict(format!(
            "This industry is in use: {sites} sites name it and it has {} industry sectors. \
             Move or delete those first.",
            sectors.len()
        )));
    }
    industry::Entity::delete_by_id(id).exec(&txn).await?;
    record(
        &txn,
        Change {
            operator_id,
            action: "industry.deleted",
            object_type: "industry",
            object_id: Some(id),
            before: Some(industry_snapshot(&current)),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndustrySectorFilter {
    pub industry_id: Option<i64>,
    /// Matches the name or slug, ignoring case.
    pub search: Option<String>,
}

pub const INDUSTRY_SECTOR_SORT_KEYS: SortKeys<industry_sector::Column> = &[
    ("id", industry_sector::Column::Id),
    ("name", industry_sector::Column::Name),
    ("slug", industry_sector::Column::Slug),
    ("industry_id", industry_sector::Column::IndustryId),
];

/// A page of industry sectors, by name unless `ordering` says otherwise.
pub async fn list_industry_sectors(
    db: &Db,
    filter: IndustrySectorFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<industry_sector::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        INDUSTRY_SECTOR_SORT_KEYS,
        (industry_sector::Column::Name, Order::Asc),
    )?;
    let mut select = industry_sector::Entity::find();
    if let Some(id) = filter.industry_id {
        select = select.filter(industry_sector::Column::IndustryId.eq(id));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(
            term,
            &[industry_sector::Column::Name, industry_sector::Column::Slug],
        ));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

pub async fn get_industry_sector(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<industry_sector::Model, Error> {
    industry_sector::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// An industry sector to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIndustrySector {
    /// The industry it belongs to.
    pub industry_id: i64,
    /// Unique among industry sectors; 1 to 64 characters of `a-z`, `0-9` and `-`.
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The fields a PATCH of an industry sector may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct IndustrySectorPatch {
    /// Moving to another industry is refused (409) while tenant sectors use this one, since
    /// their sites' industry would no longer match.
    pub industry_id: Option<i64>,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// The checked fields of an industry sector: the industry must exist, the slug be free.
async fn checked_sector(
    conn: &impl ConnectionTrait,
    industry_id: i64,
    naming: Naming,
    except: Option<i64>,
) -> Result<Naming, Error> {
    let mut errors = ValidationErrors::default();
    let naming = naming.checked(&mut errors);
    if industry::Entity::find_by_id(industry_id)
        .one(conn)
        .await?
        .is_none()
    {
        errors.add("industry_id", "No such industry.");
    }
    errors.into_result()?;
    let mut same =
        industry_sector::Entity::find().filter(industry_sector::Column::Slug.eq(&naming.slug));
    if let Some(id) = except {
        same = same.filter(industry_sector::Column::Id.ne(id));
    }
    if same.count(conn).await? > 0 {
        return Err(slug_taken("industry sector"));
    }
    Ok(naming)
}

/// How many tenant sectors point at the industry sector.
async fn tenant_sectors_using(conn: &impl ConnectionTrait, id: i64) -> Result<u64, Error> {
    Ok(sector::Entity::find()
        .filter(sector::Column::IndustrySectorId.eq(id))
        .count(conn)
        .await?)
}

pub async fn create_industry_sector(
    db: &Db,
    operator_id: i64,
    input: NewIndustrySector,
    now: DateTime<Utc>,
) -> Result<industry_sector::Model, Error> {
    let txn = begin_write(db).await?;
    let naming = Naming {
        slug: input.slug,
        name: input.name,
        description: input.description.unwrap_or_default(),
    };
    let naming = checked_sector(&txn, input.industry_id, naming, None).await?;
    let created = industry_sector::ActiveModel {
        industry_id: Set(input.industry_id),
        slug: Set(naming.slug),
        name: Set(naming.name),
        description: Set(naming.description),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique_slug("industry sector"))?;
    record(
        &txn,
        Change {
            operator_id,
            action: "industry_sector.created",
            object_type: "industry_sector",
            object_id: Some(created.id),
            before: None,
            after: Some(sector_snapshot(&created)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_industry_sector(
    db: &Db,
    operator_id: i64,
    id: i64,
    patch: IndustrySectorPatch,
    now: DateTime<Utc>,
) -> Result<industry_sector::Model, Error> {
    let txn = begin_write(db).await?;
    let current = get_industry_sector(&txn, id).await?;
    let industry_id = patch.industry_id.unwrap_or(current.industry_id);
    let naming = Naming {
        slug: current.slug.clone(),
        name: current.name.clone(),
        description: current.description.clone(),
    }
    .patched(IndustryPatch {
        slug: patch.slug,
        name: patch.name,
        description: patch.description,
    });
    let naming = checked_sector(&txn, industry_id, naming, Some(id)).await?;
    if industry_id != current.industry_id {
        let used = tenant_sectors_using(&txn, id).await?;
        if used > 0 {
            return Err(Error::Conflict(format!(
                "{used} tenant sectors use this industry sector, so it cannot move to another \
                 industry: their sites' industry would no longer match."
            )));
        }
    }
    let before = sector_snapshot(&current);
    let mut row: industry_sector::ActiveModel = current.into();
    row.industry_id = Set(industry_id);
    row.slug = Set(naming.slug);
    row.name = Set(naming.name);
    row.description = Set(naming.description);
    row.updated_at = Set(now);
    let updated = row
        .update(&txn)
        .await
        .map_err(unique_slug("industry sector"))?;
    record(
        &txn,
        Change {
            operator_id,
            action: "industry_sector.updated",
            object_type: "industry_sector",
            object_id: Some(id),
            before: Some(before),
            after: Some(sector_snapshot(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an industry sector no tenant sector uses (otherwise a conflict), with its seed
/// keywords; tenants' keywords taken from those keep their text and lose only the link.
pub async fn delete_industry_sector(
    db: &Db,
    operator_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    let current = get_industry_sector(&txn, id).await?;
    let used = tenant_sectors_using(&txn, id).await?;
    if used > 0 {
        return Err(Error::Conflict(format!(
            "{used} tenant sectors use this industry sector; it cannot be deleted while they do."
        )));
    }
    let seed_keywords = seed_keyword::Entity::delete_many()
        .filter(seed_keyword::Column::IndustrySectorId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    industry_sector::Entity::delete_by_id(id).exec(&txn).await?;
    let mut before = sector_snapshot(&current);
    before["seed_keywords"] = json!(seed_keywords);
    record(
        &txn,
        Change {
            operator_id,
            action: "industry_sector.deleted",
            object_type: "industry_sector",
            object_id: Some(id),
            before: Some(before),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
