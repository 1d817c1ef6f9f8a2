//! What the tenant app's list and form pages share: filter values read leniently, `<select>`
//! choices, the member's sites by name, the pager's query string, and the status a refused
//! action answers with.

use crate::state::AppState;
use axum::http::StatusCode;
use quire_core::{
    Error,
    accounts::principal::Tenant,
    listing::{MAX_PAGE_SIZE, PageRequest},
    tenancy::sites::{self, SiteFilter},
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// The status a refused action answers with.
pub(super) fn refusal_status(error: &Error) -> StatusCode {
    match error {
        Error::Validation(_) | Error::InvalidRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::InsufficientCredits { .. } | Error::PlanLimit { .. } => StatusCode::PAYMENT_REQUIRED,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::RoleNotAllowed => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A filter's id: empty or not a number is no filter.
pub(super) fn optional_id(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

/// A filter's status (snake_case as stored): empty or unknown is no filter.
pub(super) fn optional_enum<T: DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_owned())).ok()
}

/// A choice in a `<select>`.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The member's sites by id, named (a plan allows a handful; one page holds them all).
pub(super) async fn site_names(
    state: &AppState,
    tenant: &Tenant,
) -> Result<HashMap<i64, String>, Error> {
    let request = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
    let listed = sites::list(
        &state.quire.db,
        tenant,
        SiteFilter::default(),
        Some("name"),
        request,
    )
    .await?;
    Ok(listed.items.into_iter().map(|s| (s.id, s.name)).collect())
}

/// "All sites", then each site by name, `selected` chosen.
pub(super) fn site_choices(names: &HashMap<i64, String>, selected: Option<i64>) -> Vec<Choice> {
    let mut sorted: Vec<(&i64, &String)> = names.iter().collect();
    sorted.sort_by_key(|(id, name)| (name.to_lowercase(), **id));
    let all = Choice {
        value: String::new(),
        label: "All sites".to_owned(),
        selected: selected.is_none(),
    };
    std::iter::once(all)
        .chain(sorted.into_iter().map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: selected == Some(*id),
        }))
        .collect()
}

/// "Any status", then each of `statuses`, `selected` chosen.
pub(super) fn status_choices<T: serde::Serialize + PartialEq>(
    statuses: &[T],
    selected: Option<&T>,
) -> Vec<Choice> {
    let any = Choice {
        value: String::new(),
        label: "Any status".to_owned(),
        selected: selected.is_none(),
    };
    std::iter::once(any)
        .chain(statuses.iter().map(|status| {
            let text = super::page::enum_text(status);
            Choice {
                label: text.replace('_', " "),
                value: text,
                selected: selected == Some(status),
            }
        }))
        .collect()
}

/// The query string of a list's filters, for its pager's links.
pub(super) fn filter_query(filters: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(filters).unwrap_or_default()
}
