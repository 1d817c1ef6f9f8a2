//! Sites: a tenant's websites. Active sites count against `plan.max_sites`; archiving
//! (`is_active = false`) frees a slot and keeps everything; deleting removes the site with
//! its sectors (and, through the same cascade, every planner and writer row under them).

use super::{check_description, check_limit, check_name, double_option, lock_account};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{self, Db, begin_write},
    entities::{industry, site},
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A site to create (also the full representation a PUT sends).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSite {
    pub name: String,
    /// `https://…` or `http://…`; a bare domain gets `https://`.
    pub url: String,
    #[serde(default)]
    pub industry_id: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    /// Defaults to true; only active sites count against the plan.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// The fields a PATCH may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SitePatch {
    pub name: Option<String>,
    pub url: Option<String>,
    /// `null` clears the industry.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub industry_id: Option<Option<i64>>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

impl From<NewSite> for SitePatch {
    fn from(site: NewSite) -> Self {
        Self {
            name: Some(site.name),
            url: Some(site.url),
            industry_id: Some(site.industry_id),
            description: Some(site.description.unwrap_or_default()),
            is_active: Some(site.is_active.unwrap_or(true)),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteFilter {
    pub is_active: Option<bool>,
    pub industry_id: Option<i64>,
    /// Matches name or URL, ignoring case.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<site::Column> = &[
    ("id", site::Column::Id),
    ("name", site::Column::Name),
    ("url", site::Column::Url),
    ("created_at", site::Column::CreatedAt),
    ("updated_at", site::Column::UpdatedAt),
];

pub async fn list(
    db: &Db,
    tenant: &Tenant,
    filter: SiteFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<site::Model>, Error> {
    let ordering = listing::parse_ordering(ordering, SORT_KEYS)?;
    let mut select = site::Entity::find().filter(site::Column::AccountId.eq(tenant.account.id));
    if let Some(is_active) = filter.is_active {
        select = select.filter(site::Column::IsActive.eq(is_active));
    }
    if let Some(industry_id) = filter.industry_id {
        select = select.filter(site::Column::IndustryId.eq(industry_id));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(
            term,
            &[site::Column::Name, site::Column::Url],
        ));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

/// The tenant's site `id`; another account's site is `NotFound`.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: i64,
) -> Result<site::Model, Error> {
    site::Entity::find_by_id(id)
        .filter(site::Column::AccountId.eq(tenant.account.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(db: &Db, tenant: &Tenant, input: NewSite) -> Result<site::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let fields = validate(&txn, tenant, SitePatch::from(input), None).await?;
    let now = Utc::now();
    let created = site::ActiveModel {
        account_id: Set(tenant.account.id),
        name: Set(fields.name),
        url: Set(fields.url),
        industry_id: Set(fields.industry_id),
        description: Set(fields.description),
        is_active: Set(fields.is_active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate_url)?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    patch: SitePatch,
) -> Result<site::Model, Error> {
    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let current = get(&txn, tenant, id).await?;
    let fields = validate(&txn, tenant, patch, Some(&current)).await?;
    let mut row: site::ActiveModel = current.into();
    row.name = Set(fields.name);
    row.url = Set(fields.url);
    row.industry_id = Set(fields.industry_id);
    row.description = Set(fields.description);
    row.is_active = Set(fields.is_active);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await.map_err(duplicate_url)?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes the site and, by cascade, its sectors and everything planned or written in them.
pub async fn delete(db: &Db, tenant: &Tenant, id: i64) -> Result<(), Error> {
    let result = site::Entity::delete_many()
        .filter(site::Column::Id.eq(id))
        .filter(site::Column::AccountId.eq(tenant.account.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

struct SiteFields {
    name: String,
    url: String,
    industry_id: Option<i64>,
    description: String,
    is_active: bool,
}

/// The site after `patch`, checked: names, URL, industry, uniqueness and the plan's limit.
async fn validate(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    patch: SitePatch,
    current: Option<&site::Model>,
) -> Result<SiteFields, Error> {
    let mut errors = ValidationErrors::default();
    let name = match (patch.name, current) {
        (Some(name), _) => check_name(&mut errors, "name", &name),
        (None, Some(site)) => site.name.clone(),
        (None, None) => {
            errors.add("name", "This field is required.");
            String::new()
        }
    };
    let url = match (patch.url, current) {
        (Some(url), _) => normalise_url(&url).unwrap_or_else(|message| {
            errors.add("url", message);
            String::new()
        }),
        (None, Some(site)) => site.url.clone(),
        (None, None) => {
            errors.add("url", "This field is required.");
            String::new()
        }
    };
    let industry_id = match patch.industry_id {
        Some(id) => id,
        None => current.and_then(|s| s.industry_id),
    };
    if let Some(id) = industry_id
        && industry::Entity::find_by_id(id).one(conn).await?.is_none()
    {
        errors.add("industry_id", "No such industry.");
    }
    let description = match (patch.description, current) {
        (Some(text), _) => check_description(&mut errors, &text),
        (None, Some(site)) => site.description.clone(),
        (None, None) => String::new(),
    };
    let is_active = patch
        .is_active
        .unwrap_or_else(|| current.is_none_or(|s| s.is_active));

    if !url.is_empty() {
        let mut same_url = site::Entity::find()
            .filter(site::Column::AccountId.eq(tenant.account.id))
            .filter(site::Column::Url.eq(&url));
        if let Some(site) = current {
            same_url = same_url.filter(site::Column::Id.ne(site.id));
        }
        if same_url.count(conn).await? > 0 {
            errors.add("url", "You already have a site with this URL.");
        }
    }
    errors.into_result()?;

    let becomes_active = is_active && current.is_none_or(|s| !s.is_active);
    if becomes_active {
        let active = site::Entity::find()
            .filter(site::Column::AccountId.eq(tenant.account.id))
            .filter(site::Column::IsActive.eq(true))
            .count(conn)
            .await?;
        check_limit(active, tenant.plan.max_sites, "active sites")?;
    }
    Ok(SiteFields {
        name,
        url,
        industry_id,
        description,
        is_active,
    })
}

/// An absolute http(s) URL with a host, scheme and host lower-cased; a bare domain gets
/// `https://`.
pub fn normalise_url(input: &str) -> Result<String, &'static str> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("Enter the site's address.");
    }
    if trimmed.len() > 2_048 {
        return Err("Use at most 2,048 characters.");
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|_| "Enter a valid web address.")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("Use an http or https address.");
    }
    match parsed.host_str() {
        Some(host) if host.contains('.') || host == "localhost" => {}
        _ => return Err("Enter a valid web address."),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("Leave credentials out of the address.");
    }
    Ok(parsed.to_string())
}

fn duplicate_url(err: sea_orm::DbErr) -> Error {
    if db::is_unique_violation(&err) {
        Error::Validation(ValidationErrors::single(
            "url",
            "You already have a site with this URL.",
        ))
    } else {
        Error::Database(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalise_url("Example.COM").as_deref(),
            Ok("https://example.com/")
        );
        assert_eq!(
            normalise_url(" http://Shop.example.com/blog ").as_deref(),
            Ok("http://shop.example.com/blog")
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in [
            "",
            "ftp://example.com",
            "https://",
            "not a url",
            "https://user:pw@example.com",
            "javascript:alert(1)",
            "https://nodot",
        ] {
            assert!(normalise_url(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(input in "\\PC{0,60}") {
            if let Ok(url) = normalise_url(&input) {
                prop_assert_eq!(normalise_url(&url), Ok(url.clone()));
            }
        }
    }
}
