//! Sectors: topic areas of a tenant's site. A sector takes its account from its site; active
//! sectors per site count against `plan.max_industries`.

use super::{check_description, check_limit, check_name, double_option, lock_account, sites};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{self, Db, begin_write},
    entities::{industry_sector, sector, site},
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A sector to create (also the full representation a PUT sends).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSector {
    /// One of the caller's sites.
    pub site_id: i64,
    pub name: String,
    /// An industry sector of the reference data; it must belong to the site's industry.
    #[serde(default)]
    pub industry_sector_id: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// The fields a PATCH may change; a sector never moves to another site.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SectorPatch {
    pub name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub industry_sector_id: Option<Option<i64>>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SectorFilter {
    pub site_id: Option<i64>,
    pub is_active: Option<bool>,
    pub industry_sector_id: Option<i64>,
    /// Matches the name, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<sector::Column> = &[
    ("id", sector::Column::Id),
    ("name", sector::Column::Name),
    ("site_id", sector::Column::SiteId),
    ("created_at", sector::Column::CreatedAt),
    ("updated_at", sector::Column::UpdatedAt),
];

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: SectorFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<sector::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select = sector::Entity::find().filter(sector::Column::AccountId.eq(tenant.account.id));
    if let Some(site_id) = filter.site_id {
        select = select.filter(sector::Column::SiteId.eq(site_id));
    }
    if let Some(is_active) = filter.is_active {
        select = select.filter(sector::Column::IsActive.eq(is_active));
    }
    if let Some(id) = filter.industry_sector_id {
        select = select.filter(sector::Column::IndustrySectorId.eq(id));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[sector::Column::Name]));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's sector `id`; another account's sector is `NotFound`.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<sector::Model, Error> {
    sector::Entity::find_by_id(id)
        .filter(sector::Column::AccountId.eq(tenant.account.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(db: &Db, tenant: &Tenant, input: NewSector) -> Result<sector::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    // The site must be the caller's; another tenant's site reads exactly like a missing one.
    let site = match sites::get(&txn, tenant, input.site_id).await {
        Err(Error::NotFound) => {
            return Err(Error::Validation(ValidationErrors::single(
                "site_id",
                "No such site.",
            )));
        }
        other => other?,
    };
    let patch = SectorPatch {
        name: Some(input.name),
        industry_sector_id: Some(input.industry_sector_id),
        description: Some(input.description.unwrap_or_default()),
        is_active: Some(input.is_active.unwrap_or(true)),
    };
    let fields = validate(&txn, tenant, &site, patch, None).await?;
    let now = Utc::now();
    let created = sector::ActiveModel {
        account_id: Set(site.account_id),
        site_id: Set(site.id),
        name: Set(fields.name),
        industry_sector_id: Set(fields.industry_sector_id),
        description: Set(fields.description),
        is_active: Set(fields.is_active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate_name)?;
    txn.commit().await?;
    Ok(created)
}

/// Applies `patch`. A PUT sends a full [`NewSector`]; its `site_id` must be the sector's own.
pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: SectorPatch,
) -> Result<sector::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    let site = sites::get(&txn, tenant, current.site_id).await?;
    let fields = validate(&txn, tenant, &site, patch, Some(&current)).await?;
    let mut row: sector::ActiveModel = current.into();
    row.name = Set(fields.name);
    row.industry_sector_id = Set(fields.industry_sector_id);
    row.description = Set(fields.description);
    row.is_active = Set(fields.is_active);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await.map_err(duplicate_name)?;
    txn.commit().await?;
    Ok(updated)
}

/// The full replacement a PUT sends, as a patch of the existing sector.
pub fn replacement(current_site_id: i64, input: NewSector) -> Result<SectorPatch, Error> {
    if input.site_id != current_site_id {
        return Err(Error::Validation(ValidationErrors::single(
            "site_id",
            "A sector cannot move to another site; create a new sector there.",
        )));
    }
    Ok(SectorPatch {
        name: Some(input.name),
        industry_sector_id: Some(input.industry_sector_id),
        description: Some(input.description.unwrap_or_default()),
        is_active: Some(input.is_active.unwrap_or(true)),
    })
}

/// Deletes the sector and, by cascade, everything planned or written in it.
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let result = sector::Entity::delete_many()
        .filter(sector::Column::Id.eq(id))
        .filter(sector::Column::AccountId.eq(tenant.account.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

struct SectorFields {
    name: String,
    industry_sector_id: Option<i64>,
    description: String,
    is_active: bool,
}

async fn validate(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    site: &site::Model,
    patch: SectorPatch,
    current: Option<&sector::Model>,
) -> Result<SectorFields, Error> {
    let mut errors = ValidationErrors::default();
    let name = match (patch.name, current) {
        (Some(name), _) => check_name(&mut errors, "name", &name),
        (None, Some(sector)) => sector.name.clone(),
        (None, None) => {
            errors.add("name", "This field is required.");
            String::new()
        }
    };
    let industry_sector_id = match patch.industry_sector_id {
        Some(id) => id,
        None => current.and_then(|s| s.industry_sector_id),
    };
    if let Some(id) = industry_sector_id {
        match industry_sector::Entity::find_by_id(id).one(conn).await? {
            None => errors.add("industry_sector_id", "No such industry sector."),
            Some(found) if site.industry_id.is_some_and(|i| i != found.industry_id) => errors.add(
                "industry_sector_id",
                "This industry sector belongs to another industry than the site's.",
            ),
            Some(_) => {}
        }
    }
    let description = match (patch.description, current) {
        (Some(text), _) => check_description(&mut errors, &text),
        (None, Some(sector)) => sector.description.clone(),
        (None, None) => String::new(),
    };
    let is_active = patch
        .is_active
        .unwrap_or_else(|| current.is_none_or(|s| s.is_active));

    if !name.is_empty() {
        let mut same_name = sector::Entity::find()
            .filter(sector::Column::SiteId.eq(site.id))
            .filter(
                Expr::expr(Func::lower(Expr::col(sector::Column::Name))).eq(name.to_lowercase()),
            );
        if let Some(sector) = current {
            same_name = same_name.filter(sector::Column::Id.ne(sector.id));
        }
        if same_name.count(conn).await? > 0 {
            errors.add("name", "This site already has a sector with this name.");
        }
    }
    errors.into_result()?;

    let becomes_active = is_active && current.is_none_or(|s| !s.is_active);
    if becomes_active {
        let active = sector::Entity::find()
            .filter(sector::Column::SiteId.eq(site.id))
            .filter(sector::Column::AccountId.eq(tenant.account.id))
            .filter(sector::Column::IsActive.eq(true))
            .count(conn)
            .await?;
        check_limit(
            active,
            tenant.plan.max_industries,
            "active sectors per site",
        )?;
    }
    Ok(SectorFields {
        name,
        industry_sector_id,
        description,
        is_active,
    })
}

fn duplicate_name(err: sea_orm::DbErr) -> Error {
    if db::is_unique_violation(&err) {
        Error::Validation(ValidationErrors::single(
            "name",
            "This site already has a sector with this name.",
        ))
    } else {
        Error::Database(err)
    }
}
