//! Reading the reference data: industries with their sectors, and the seed-keyword library.

use crate::{
    Error,
    db::Db,
    entities::{enums::KeywordIntent, industry, industry_sector, seed_keyword},
    listing::{self, Page, PageRequest, SortKeys},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndustryFilter {
    /// Matches the industry's name or slug, ignoring case.
    pub search: Option<String>,
}

pub const INDUSTRY_SORT_KEYS: SortKeys<industry::Column> = &[
    ("id", industry::Column::Id),
    ("name", industry::Column::Name),
    ("slug", industry::Column::Slug),
];

/// A page of industries, each with all of its sectors (one query for the page, one for the
/// sectors of every industry on it).
pub async fn list_industries(
    db: &Db,
    filter: IndustryFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<(industry::Model, Vec<industry_sector::Model>)>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        INDUSTRY_SORT_KEYS,
        (industry::Column::Name, sea_orm::Order::Asc),
    )?;
    let mut select = industry::Entity::find();
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(
            term,
            &[industry::Column::Name, industry::Column::Slug],
        ));
    }
    let page = listing::fetch_page(db, select, &ordering, page).await?;
    let ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();
    let mut sectors = industry_sector::Entity::find()
        .filter(industry_sector::Column::IndustryId.is_in(ids))
        .order_by_asc(industry_sector::Column::Name)
        .all(db)
        .await?;
    Ok(page.map(|industry| {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut sectors)
            .into_iter()
            .partition(|s| s.industry_id == industry.id);
        sectors = rest;
        (industry, mine)
    }))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeedKeywordFilter {
    pub industry_sector_id: Option<i64>,
    /// Keywords of every sector of this industry.
    pub industry_id: Option<i64>,
    pub intent: Option<KeywordIntent>,
    /// Matches the keyword text, ignoring case.
    pub search: Option<String>,
    pub volume_min: Option<i64>,
    pub volume_max: Option<i64>,
    pub difficulty_min: Option<i32>,
    pub difficulty_max: Option<i32>,
}

pub const SEED_KEYWORD_SORT_KEYS: SortKeys<seed_keyword::Column> = &[
    ("id", seed_keyword::Column::Id),
    ("keyword", seed_keyword::Column::Keyword),
    ("volume", seed_keyword::Column::Volume),
    ("difficulty", seed_keyword::Column::Difficulty),
];

pub async fn list_seed_keywords(
    db: &Db,
    filter: SeedKeywordFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<seed_keyword::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        SEED_KEYWORD_SORT_KEYS,
        (seed_keyword::Column::Volume, sea_orm::Order::Desc),
    )?;
    let mut select = seed_keyword::Entity::find();
    if let Some(id) = filter.industry_sector_id {
        select = select.filter(seed_keyword::Column::IndustrySectorId.eq(id));
    }
    if let Some(id) = filter.industry_id {
        select = select.filter(
            seed_keyword::Column::IndustrySectorId.in_subquery(
                industry_sector::Entity::find()
                    .select_only()
                    .column(industry_sector::Column::Id)
                    .filter(industry_sector::Column::IndustryId.eq(id))
                    .into_query(),
            ),
        );
    }
    if let Some(intent) = filter.intent {
        select = select.filter(seed_keyword::Column::Intent.eq(intent));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(term, &[seed_keyword::Column::Keyword]));
    }
    if let Some(min) = filter.volume_min {
        select = select.filter(seed_keyword::Column::Volume.gte(min));
    }
    if let Some(max) = filter.volume_max {
        select = select.filter(seed_keyword::Column::Volume.lte(max));
    }
    if let Some(min) = filter.difficulty_min {
        select = select.filter(seed_keyword::Column::Difficulty.gte(min));
    }
    if let Some(max) = filter.difficulty_max {
        select = select.filter(seed_keyword::Column::Difficulty.lte(max));
    }
    listing::fetch_page(db, select, &ordering, page).await
}
