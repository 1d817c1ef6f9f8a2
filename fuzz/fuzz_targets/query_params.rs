//! Fuzzes the list query strings: any query gives a page request within the caps and an
//! ordering of whitelisted keys, or a 400; every filter reads it or answers 400.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::{
    admin::audit_log::AuditFilter,
    credits::usage::UsageFilter,
    listing::{MAX_PAGE_SIZE, parse_ordering},
    planner::keywords::{KeywordFilter, SORT_KEYS},
    tenancy::sites::SiteFilter,
    writer::tasks::TaskFilter,
};
use quire_server::{
    error::ApiError,
    listing::{ListParams, parse_query},
};
use serde::de::DeserializeOwned;

const BAD_REQUEST: u16 = 400;

fn parses_or_400<T: DeserializeOwned>(query: &str) -> Option<T> {
    match parse_query::<T>(query) {
        Ok(value) => Some(value),
        Err(err) => {
            assert_eq!(err.status().as_u16(), BAD_REQUEST, "{query:?}");
            None
        }
    }
}

fuzz_target!(|query: &str| {
    if let Some(params) = parses_or_400::<ListParams>(query) {
        match params.page_request() {
            Ok(page) => assert!(page.page >= 1 && (1..=MAX_PAGE_SIZE).contains(&page.page_size)),
            Err(err) => assert_eq!(ApiError::from(err).status().as_u16(), BAD_REQUEST),
        }
        let ordering = params.ordering.as_deref();
        match parse_ordering(ordering, SORT_KEYS) {
            Ok(sorted) => {
                let terms = ordering.unwrap_or_default().split(',').map(str::trim);
                let terms: Vec<&str> = terms.filter(|t| !t.is_empty()).collect();
                assert_eq!(sorted.len(), terms.len());
                for term in terms {
                    let name = term.strip_prefix('-').unwrap_or(term);
                    assert!(
                        SORT_KEYS.iter().any(|(key, _)| *key == name),
                        "{name:?} accepted"
                    );
                }
            }
            Err(err) => assert_eq!(ApiError::from(err).status().as_u16(), BAD_REQUEST),
        }
    }
    parses_or_400::<KeywordFilter>(query);
    parses_or_400::<SiteFilter>(query);
    parses_or_400::<TaskFilter>(query);
    parses_or_400::<UsageFilter>(query);
    parses_or_400::<AuditFilter>(query);
});
