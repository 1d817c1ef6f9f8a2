//! What the planner's pages share: the tenant's sites and sectors for pickers and labels,
//! sortable column headers, query strings, id lists from a form of checkboxes, the status of
//! a refusal, and the confirmation step (with an AI operation's credit estimate) before an
//! action runs.

use super::{app_notice::Notice, member::AppChrome, page::enum_text};
use crate::state::AppState;
use askama::Template;
use axum::http::StatusCode;
use quire_core::{
    Error,
    accounts::principal::Tenant,
    entities::{sector, site},
    listing::{MAX_PAGE_SIZE, PageRequest, SortKeys},
    tenancy::{
        sectors::{self, SectorFilter},
        sites::{self, SiteFilter},
    },
};

/// One option of a picker.
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

/// The values of a stored enum as a picker, `selected` ticked; labels read like its text.
pub fn enum_choices<T: serde::Serialize>(values: &[T], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|value| {
            let text = enum_text(value);
            Choice::new(&text, text.replace('_', " "), text == selected)
        })
        .collect()
}

/// A stored enum from its snake_case text; blank or unknown is `None` ("any").
pub fn parse_enum<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).ok()
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
        let db = &state.quire.db;
        let all = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
        let sites = sites::list(db, tenant, SiteFilter::default(), Some("name"), all).await?;
        let filter = SectorFilter {
            site_id,
            ..SectorFilter::default()
        };
        let sectors = sectors::list(db, tenant, filter, Some("site_id,name"), all).await?;
        Ok(Self {
            sites: sites.items,
            sectors: sectors.items,
        })
    }

    pub fn site_choices(&self, selected: Option<i64>) -> Vec<Choice> {
        self.sites
            .iter()
            .map(|s| Choice::new(s.id, s.name.clone(), Some(s.id) == selected))
            .collect()
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

/// A number from a query or a form; blank or not a number is `None` ("any").
pub fn number(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// `spec` when it is one of the core's sort keys (optionally prefixed with `-`), else
/// `None`: a hand-edited ordering falls back to the list's default.
pub fn known_ordering<C>(spec: &str, keys: SortKeys<C>) -> Option<String> {
    let name = spec.strip_prefix('-').unwrap_or(spec);
    keys.iter()
        .any(|(key, _)| *key == name)
        .then(|| spec.to_owned())
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

/// A column header that sorts the list by its key.
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

/// The header of column `key` on `path` with `filters`, given the current `ordering`: a
/// click sorts by it (`descending_first` for numbers people read largest first), and a click
/// on the sorted column reverses it.
pub fn sort_header(
    path: &str,
    filters: &str,
    ordering: Option<&str>,
    key: &str,
    label: &'static str,
    descending_first: bool,
) -> SortHeader {
    let descending = format!("-{key}");
    let (aria_sort, arrow, next) = match ordering {
        Some(current) if current == key => ("ascending", " ▲", descending),
        Some(current) if current == descending => ("descending", " ▼", key.to_owned()),
        _ if descending_first => ("none", "", descending),
        _ => ("none", "", key.to_owned()),
    };
    SortHeader {
        label,
        href: link(path, &and(filters, "ordering", next)),
        aria_sort,
        arrow,
    }
}

/// A posted form read as its name–value pairs, so checkboxes of one name give every value.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
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

/// The status a page answers with when the core refused an action.
pub fn refusal_status(error: &Error) -> StatusCode {
    match error {
        Error::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::RoleNotAllowed => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::PlanLimit { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// What an AI operation would reserve, shown before it starts.
pub struct Estimate {
    pub credits: i64,
    pub available: i64,
}

impl Estimate {
    pub fn enough(&self) -> bool {
        self.available >= self.credits
    }
}

/// The step before an action runs: what it will do (and what it costs), one button to go
/// ahead, one link back. A refused request shows its notice and no button.
#[derive(Template)]
#[template(path = "app/confirm.html")]
pub struct ConfirmPage {
    pub chrome: AppChrome,
    pub heading: &'static str,
    pub text: String,
    pub estimate: Option<Estimate>,
    pub notice: Option<Notice>,
    /// Where the button posts, with its hidden fields; `None` when it cannot go ahead.
    pub action: Option<&'static str>,
    pub fields: Vec<(String, String)>,
    pub button: &'static str,
    pub danger: bool,
    pub back: String,
}

/// A list's page number from the query: 1 when absent or not a number.
pub fn page_number(text: &str) -> u64 {
    text.trim().parse().unwrap_or(1).max(1)
}
