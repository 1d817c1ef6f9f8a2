//! The list conventions of every collection endpoint: query parsing with clear 400s, and the
//! `{count, next, previous, results}` page with links that keep the caller's filters.

use crate::{error::ApiError, state::AppState};
use axum::{
    extract::FromRequestParts,
    http::{Uri, request::Parts},
};
use quire_core::{
    ValidationErrors,
    listing::{Page, PageRequest},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};

/// Query parameters parsed into `T`; a value of the wrong type is a 400 naming the parameter.
/// Parameters `T` does not declare are ignored.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = if field == "." {
            "query".to_owned()
        } else {
            field
        };
        ApiError::invalid(ValidationErrors::single(&field, message))
    })
}

/// `page`, `page_size` (1–200, default 50) and `ordering` (`name`, `-created_at`, …).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Rows per page, 1 to 200 (default 50).
    pub page_size: Option<u64>,
    /// Comma-separated sort keys; prefix `-` to reverse.
    pub ordering: Option<String>,
}

impl ListParams {
    pub fn page_request(&self) -> Result<PageRequest, quire_core::Error> {
        PageRequest::new(self.page, self.page_size)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    /// Rows across all pages.
    pub count: u64,
    /// The next page (path and query), or null on the last page.
    pub next: Option<String>,
    /// The previous page, or null on the first.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Paginated<T> {
    /// Wraps `page`, linking neighbours by re-using the request's query with another `page`.
    pub fn new<M>(page: Page<M>, uri: &Uri, view: impl FnMut(M) -> T) -> Self {
        let link = |number: u64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (key, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
                if key != "page" {
                    query.append_pair(&key, &value);
                }
            }
            query.append_pair("page", &number.to_string());
            format!("{}?{}", uri.path(), query.finish())
        };
        let next = page.has_next().then(|| link(page.page + 1));
        let previous = page.has_previous().then(|| link(page.page - 1));
        Self {
            count: page.count,
            next,
            previous,
            results: page.items.into_iter().map(view).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links_keep_filters_and_replace_the_page() {
        let page = Page {
            count: 120,
            page: 2,
            page_size: 50,
            items: vec![1, 2],
        };
        let uri: Uri = "/api/v1/auth/sites/?search=a%20b&page=2&page_size=50"
            .parse()
            .expect("uri");
        let list = Paginated::new(page, &uri, |n| n * 10);
        assert_eq!(list.results, vec![10, 20]);
        assert_eq!(
            list.next.as_deref(),
            Some("/api/v1/auth/sites/?search=a+b&page_size=50&page=3")
        );
        assert_eq!(
            list.previous.as_deref(),
            Some("/api/v1/auth/sites/?search=a+b&page_size=50&page=1")
        );
    }

    #[test]
    fn a_wrong_type_names_the_parameter() {
        let err = parse_query::<ListParams>("page=abc").expect_err("not a number");
        assert!(format!("{err:?}").contains("page"));
        let ok = parse_query::<ListParams>("page=2&unknown=1").expect("unknown ignored");
        assert_eq!(ok.page, Some(2));
    }

    proptest! {
        #[test]
        fn any_query_string_parses_or_is_a_400(query in "\\PC{0,60}") {
            if let Err(err) = parse_query::<ListParams>(&query) {
                prop_assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
            }
        }
    }
}
