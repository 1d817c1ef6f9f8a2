//! What the tenant app's list and form pages share: filter values read leniently, `<select>`
//! choices, the member's sites and sectors for pickers and labels, query strings, page
//! numbers, a sorted list's fallback to its default order, and a posted form of checkboxes.

use super::{member::MemberPage, page::enum_text, table::Sort};
use crate::state::AppState;
use quire_core::{
    Error,
    accounts::principal::Tenant,
    entities::{sector, site},
    listing::{MAX_PAGE_SIZE, PageRequest},
    tenancy::{
        sectors::{self, SectorFilter},
        sites::{self, SiteFilter},
    },
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A number from a query or a form; blank or not a number is `None` ("any").
pub fn number(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// A stored enum from its snake_case text; blank or unknown is `None` ("any").
pub fn parse_enum<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).ok()
}

/// A list's page number from the query: 1 when absent or not a number.
pub fn page_number(text: &str) -> u64 {
    text.trim().parse().unwrap_or(1).max(1)
}

/// The list `list` gives in `sort`'s order, or, when the core refuses that order, in the
/// list's default order (`list(None)`), [`Sort::notice`] saying why.
pub async fn sorted<T, F, Fut>(sort: &mut Sort, list: F) -> Result<T, Error>
where
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let listed = list(sort.ordering().map(str::to_owned)).await;
    if sort.refused(&listed) {
        return list(None).await;
    }
    listed
}

/// A choice in a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.to_string(),
            label: label.into(),
            selected,
        }
    }
}

/// A blank first choice `label` ("any"), chosen when none of `choices` is, then `choices`.
pub fn with_any(label: &str, choices: Vec<Choice>) -> Vec<Choice> {
    let any = Choice::new("", label, !choices.iter().any(|c| c.selected));
    std::iter::once(any).chain(choices).collect()
}

/// The values of a stored enum, `selected` (its text) chosen; labels read like its text.
pub fn enum_choices<T: serde::Serialize>(values: &[T], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|value| {
            let text = enum_text(value);
            Choice::new(&text, text.replace('_', " "), text == selected.trim())
        })
        .collect()
}

/// Sites (id, name) by name, `selected` chosen.
pub fn site_choices<'a>(
    sites: impl IntoIterator<Item = (&'a i64, &'a String)>,
    selected: Option<i64>,
) -> Vec<Choice> {
    let mut sorted: Vec<(&i64, &String)> = sites.into_iter().collect();
    sorted.sort_by_key(|(id, name)| (name.to_lowercase(), **id));
    sorted
        .into_iter()
        .map(|(id, name)| Choice::new(id, name, selected == Some(*id)))
        .collect()
}

/// Every site of the member (a plan allows a handful; one page holds them all), by name.
async fn all_sites(state: &AppState, tenant: &Tenant) -> Result<Vec<site::Model>, Error> {
    let all = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
    let listed = sites::list(
        &state.quire.db,
        tenant,
        SiteFilter::default(),
        Some("name"),
        all,
    )
    .await?;
    Ok(listed.items)
}

/// The member's sites by id, named.
pub async fn site_names(state: &AppState, tenant: &Tenant) -> Result<HashMap<i64, String>, Error> {
    let sites = all_sites(state, tenant).await?;
    Ok(sites.into_iter().map(|s| (s.id, s.name)).collect())
}

/// The tenant's sites and sectors, for pickers and for naming a row's place (one page of
/// each, at most [`MAX_PAGE_SIZE`]).
pub struct Scope {
    pub sites: Vec<site::Model>,
    pub sectors: Vec<sector::Model>,
}

impl Scope {
    /// Every site, and the sectors of `site_id` (of every site when `None`).
    pub async fn load(
        state: &AppState,
        tenant: &Tenant,
        site_id: Option<i64>,
    ) -> Result<Self, Error> {
        let all = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
        let filter = SectorFilter {
            site_id,
            ..SectorFilter::default()
        };
        let sectors =
            sectors::list(&state.quire.db, tenant, filter, Some("site_id,name"), all).await?;
        Ok(Self {
            sites: all_sites(state, tenant).await?,
            sectors: sectors.items,
        })
    }

    pub fn site_choices(&self, selected: Option<i64>) -> Vec<Choice> {
        site_choices(self.sites.iter().map(|s| (&s.id, &s.name)), selected)
    }

    pub fn sector_choices(&self, selected: Option<i64>) -> Vec<Choice> {
        self.sectors
            .iter()
            .map(|s| Choice::new(s.id, self.sector_label(s.id), Some(s.id) == selected))
            .collect()
    }

    /// "Site › Sector", or the sector's number when it is not loaded.
    pub fn sector_label(&self, id: i64) -> String {
        match self.sectors.iter().find(|s| s.id == id) {
            Some(sector) => match self.sites.iter().find(|s| s.id == sector.site_id) {
                Some(site) => format!("{} › {}", site.name, sector.name),
                None => sector.name.clone(),
            },
            None => format!("Sector {id}"),
        }
    }
}

/// The query string of a list's filters, for its pager's links.
pub fn filter_query(filters: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(filters).unwrap_or_default()
}

/// `path` with `query` when there is one.
pub fn link(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// `query` (a list's filters) and one more pair.
pub fn and(query: &str, name: &str, value: impl std::fmt::Display) -> String {
    let pair = serde_urlencoded::to_string([(name, value.to_string())]).unwrap_or_default();
    if query.is_empty() {
        pair
    } else {
        format!("{query}&{pair}")
    }
}

/// A posted form read as its name–value pairs, so checkboxes of one name give every value.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The posted `pairs` when their CSRF token is good; `None`: answer
    /// [`super::session::expired_form`].
    pub fn checked(
        state: &AppState,
        page: &MemberPage,
        pairs: Vec<(String, String)>,
    ) -> Option<Self> {
        let form = Self(pairs);
        page.csrf_ok(state, form.one("csrf")).then_some(form)
    }

    /// The first value of `name`, or "".
    pub fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name` that is a number (the ticked boxes).
    pub fn ids(&self, name: &str) -> Vec<i64> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| number(v))
            .collect()
    }
}
