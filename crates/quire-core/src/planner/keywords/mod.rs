//! Keywords (F3b): the search terms of a tenant's sector — list, create (own text or from the
//! seed library), change, delete, bulk add, CSV import and export, bulk delete.
//!
//! Rules every write follows:
//! - A keyword takes its account and site from its sector, never from the request.
//! - Its text is normalised ([`normalise_keyword`]) and unique per sector ignoring case
//!   (Unicode lower case, kept in the `keyword_key` column so SQLite compares like
//!   PostgreSQL). One create refuses a duplicate; bulk add and import skip and count them.
//! - Adding keywords costs no credits, and no plan limit caps how many a sector holds (for
//!   now).
//! - Whenever keywords join or leave a cluster, change volume or are deleted, the cluster's
//!   totals are recomputed in the same transaction.

mod batch;
mod bulk;
mod export;
mod import;
mod write;

pub use bulk::{
    BulkAdd, BulkAddOutcome, BulkDelete, MAX_BULK_ADD, MAX_BULK_DELETE, SeedKeywordError, bulk_add,
    bulk_delete,
};
pub use export::export_csv;
pub(crate) use import::refused_file;
pub use import::{ImportOutcome, ImportTarget, import_csv};
pub use write::{KeywordPatch, NewKeyword, create, delete, update};

use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::Db,
    entities::{
        enums::{KeywordIntent, KeywordStatus},
        keyword,
    },
    listing::{self, Page, PageRequest, SortKeys},
    planner::keyword_csv::MAX_KEYWORD_CHARS,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, Select,
    sea_query::{Expr, ExprTrait, LikeExpr},
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Which keywords a list or an export holds; every filter narrows, none widens.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeywordFilter {
    pub site_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub cluster_id: Option<i64>,
    /// `true`: only keywords in a cluster; `false`: only those in none.
    pub clustered: Option<bool>,
    pub status: Option<KeywordStatus>,
    pub intent: Option<KeywordIntent>,
    /// Monthly searches at least this.
    pub volume_min: Option<i64>,
    /// Monthly searches at most this.
    pub volume_max: Option<i64>,
    /// Difficulty at least this (keywords without a difficulty are left out).
    pub difficulty_min: Option<i32>,
    /// Difficulty at most this (keywords without a difficulty are left out).
    pub difficulty_max: Option<i32>,
    /// Part of the keyword text, ignoring case (Unicode case rules).
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<keyword::Column> = &[
    ("id", keyword::Column::Id),
    ("keyword", keyword::Column::Keyword),
    ("volume", keyword::Column::Volume),
    ("difficulty", keyword::Column::Difficulty),
    ("created_at", keyword::Column::CreatedAt),
];

/// When the caller asks for no order: highest volume first, then by id.
pub const DEFAULT_ORDER: (keyword::Column, Order) = (keyword::Column::Volume, Order::Desc);

/// A page of the caller's keywords. Sort keys are [`SORT_KEYS`]; without `ordering`, the
/// highest volume comes first and ties go by id.
pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: KeywordFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<keyword::Model>, Error> {
    let ordering = listing::parse_ordering_or(ordering, SORT_KEYS, DEFAULT_ORDER)?;
    let select = filtered(tenant, &filter)?;
    listing::fetch_page(db, select, &ordering, page).await
}

/// The caller's keyword `id`; another account's keyword is `NotFound`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<keyword::Model, Error> {
    keyword::Entity::find_by_id(id)
        .filter(keyword::Column::AccountId.eq(tenant.account.id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// The caller's keywords narrowed by `filter`; a range whose minimum exceeds its maximum is
/// refused.
fn filtered(tenant: &Tenant, filter: &KeywordFilter) -> Result<Select<keyword::Entity>, Error> {
    let mut errors = ValidationErrors::default();
    if let (Some(min), Some(max)) = (filter.volume_min, filter.volume_max)
        && min > max
    {
        errors.add("volume_max", "Must be at least volume_min.");
    }
    if let (Some(min), Some(max)) = (filter.difficulty_min, filter.difficulty_max)
        && min > max
    {
        errors.add("difficulty_max", "Must be at least difficulty_min.");
    }
    errors.into_result()?;

    let mut select =
        keyword::Entity::find().filter(keyword::Column::AccountId.eq(tenant.account.id));
    if let Some(id) = filter.site_id {
        select = select.filter(keyword::Column::SiteId.eq(id));
    }
    if let Some(id) = filter.sector_id {
        select = select.filter(keyword::Column::SectorId.eq(id));
    }
    if let Some(id) = filter.cluster_id {
        select = select.filter(keyword::Column::ClusterId.eq(id));
    }
    select = match filter.clustered {
        Some(true) => select.filter(keyword::Column::ClusterId.is_not_null()),
        Some(false) => select.filter(keyword::Column::ClusterId.is_null()),
        None => select,
    };
    if let Some(status) = filter.status {
        select = select.filter(keyword::Column::Status.eq(status));
    }
    if let Some(intent) = filter.intent {
        select = select.filter(keyword::Column::Intent.eq(intent));
    }
    if let Some(min) = filter.volume_min {
        select = select.filter(keyword::Column::Volume.gte(min));
    }
    if let Some(max) = filter.volume_max {
        select = select.filter(keyword::Column::Volume.lte(max));
    }
    if let Some(min) = filter.difficulty_min {
        select = select.filter(keyword::Column::Difficulty.gte(min));
    }
    if let Some(max) = filter.difficulty_max {
        select = select.filter(keyword::Column::Difficulty.lte(max));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(key_contains(term));
    }
    Ok(select)
}

/// `keyword_key` contains the term lower-cased in Rust: no SQL `lower()`, which SQLite only
/// applies to ASCII. `%`, `_` and `\` in the term match themselves.
fn key_contains(term: &str) -> Expr {
    let escaped = term
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::col(keyword::Column::KeywordKey).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The normalised keyword text, or the field error saying why it cannot be one.
fn checked_text(errors: &mut ValidationErrors, text: &str) -> Option<String> {
    let normalised = crate::planner::keyword_csv::normalise_keyword(text);
    if normalised.is_none() {
        let words: Vec<&str> = text.split_whitespace().collect();
        errors.add(
            "keyword",
            if words.is_empty() {
                "This field may not be blank.".to_owned()
            } else if words.iter().any(|w| w.chars().any(char::is_control)) {
                "A keyword may not contain control characters.".to_owned()
            } else {
                format!("Use at most {MAX_KEYWORD_CHARS} characters.")
            },
        );
    }
    normalised
}

fn check_volume(errors: &mut ValidationErrors, volume: i64) {
    if volume < 0 {
        errors.add("volume", "Must be 0 or more.");
    }
}

fn check_difficulty(errors: &mut ValidationErrors, difficulty: Option<i32>) {
    if difficulty.is_some_and(|d| !(0..=100).contains(&d)) {
        errors.add("difficulty", "Must be from 0 to 100.");
    }
}

fn duplicate_keyword() -> Error {
    Error::Validation(ValidationErrors::single(
        "keyword",
        "This sector already has this keyword.",
    ))
}
