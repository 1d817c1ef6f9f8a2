//! List query parameters: any query string gives every query struct of the API or a 400, a
//! page request within the caps; and generated queries against the real router answer a
//! page, the documented 400 naming the parameter, or the 404 of a page past the end, never a
//! 500, with an ordering outside the list's whitelist always a 400. The router test runs on
//! SQLite only: the parsing does not depend on the database, and the queries are many.

use crate::common::{Backend, TestApp, body};
use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use quire_core::{
    admin::{
        audit_log::AuditFilter, industries::IndustrySectorFilter, plans::PlanFilter,
        subscriptions::SubscriptionFilter, users::UserFilter,
    },
    credits::{statement::TransactionFilter, usage::UsageFilter},
    jobs::queue::JobFilter,
    listing::{DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, SortKeys},
    planner::{clusters::ClusterFilter, keywords, keywords::KeywordFilter},
    reference::catalogue::{IndustryFilter, SeedKeywordFilter},
    tenancy::{sites, sites::SiteFilter},
    writer::{export::ExportParams, tasks, tasks::TaskFilter},
};
use quire_server::{
    api::{admin_usage::DailyParams, jobs::WaitParams},
    error::ApiError,
    listing::{ListParams, parse_query},
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Queries per list; each is one request.
const CASES: usize = 48;

/// A list endpoint, its sort keys and the names of its filters.
struct List {
    path: &'static str,
    sort_keys: Vec<&'static str>,
    filters: &'static [&'static str],
}

fn names<C>(keys: SortKeys<C>) -> Vec<&'static str> {
    keys.iter().map(|(name, _)| *name).collect()
}

/// Name and value pairs: the list's own parameters (and an unknown one) with values of every
/// shape — numbers of any size and sign, sort terms, words, dates, arbitrary text.
fn pairs(list: &List) -> impl Strategy<Value = Vec<(String, String)>> + use<> {
    let mut known = vec!["page", "page_size", "ordering", "unknown"];
    known.extend(list.filters);
    let name = prop_oneof![
        6 => proptest::sample::select(known).prop_map(str::to_owned),
        1 => "\\PC{0,6}",
    ];
    let term = prop_oneof![
        3 => proptest::sample::select(list.sort_keys.clone()).prop_map(str::to_owned),
        1 => "(password_hash|account_id|Name|[a-z_]{0,10}|\\PC{0,4})",
    ];
    let ordering = proptest::collection::vec(("-{0,2}", term, " {0,1}"), 0..4).prop_map(|terms| {
        terms
            .into_iter()
            .map(|(minus, name, space)| format!("{space}{minus}{name}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..300).prop_map(|n| n.to_string()),
        ordering,
        "(true|false|yes|new|done|informational|active|)",
        "\\PC{0,12}",
    ];
    proptest::collection::vec((name, value), 0..5)
}

fn query_string(pairs: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// Whether `ordering` names only the list's keys, each with at most one `-`.
fn whitelisted(ordering: &str, keys: &[&str]) -> bool {
    ordering
        .split(',')
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .all(|term| keys.contains(&term.strip_prefix('-').unwrap_or(term)))
}

/// The one value of `name`, when it is there exactly once.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = pairs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str());
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

async fn check(app: &TestApp, token: &str, list: &List, pairs: &[(String, String)]) {
    let query = query_string(pairs);
    let response = app
        .get(&format!("{}?{query}", list.path), Some(token))
        .await;
    let status = response.status();
    let answer: Value = body(response).await;
    let refused_ordering = pairs
        .iter()
        .any(|(name, value)| name == "ordering" && !whitelisted(value, &list.sort_keys));
    match status {
        StatusCode::OK => {
            assert!(
                !refused_ordering,
                "{query}: an ordering outside the whitelist was used"
            );
            let page = single(pairs, "page").map_or(Some(1), |v| v.parse::<u64>().ok());
            let size =
                single(pairs, "page_size").map_or(Some(DEFAULT_PAGE_SIZE), |v| v.parse().ok());
            assert!(page.is_some_and(|page| page >= 1), "{query}: page accepted");
            let size = size.expect("a number");
            assert!(
                (1..=MAX_PAGE_SIZE).contains(&size),
                "{query}: page size accepted"
            );
            let results = answer["results"].as_array().expect("results");
            assert!(results.len() as u64 <= size, "{query}: {answer}");
            assert!(answer["count"].as_u64().is_some(), "{query}: {answer}");
        }
        StatusCode::BAD_REQUEST => {
            assert_eq!(answer["code"], "invalid", "{query}: {answer}");
            let named = answer.as_object().expect("an object").len() > 2;
            assert!(named, "{query}: no parameter named in {answer}");
            if refused_ordering && pairs.len() == 1 {
                assert!(answer.get("ordering").is_some(), "{query}: {answer}");
            }
        }
        StatusCode::NOT_FOUND => {
            let page = single(pairs, "page").and_then(|v| v.parse::<u64>().ok());
            assert!(
                page.is_some_and(|page| page > 1),
                "{query}: 404 on page {page:?}"
            );
        }
        other => panic!("{query}: {other} {answer}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_list_queries_give_a_page_a_400_or_a_404() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.active_member("ada@example.com", "agency-monthly").await;
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Blog", "url": "blog.example.com"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site id");
    let sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Main"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector id");
    for (text, volume) in [("red shoes", 10), ("blue shoes", 20), ("green shoes", 30)] {
        let added = app
            .post(
                "/api/v1/planner/keywords/",
                &json!({"sector_id": sector, "keyword": text, "volume": volume}),
                Some(&token),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    let lists = [
        List {
            path: "/api/v1/planner/keywords/",
            sort_keys: names(keywords::SORT_KEYS),
            filters: &[
                "site_id",
                "sector_id",
                "cluster_id",
                "clustered",
                "status",
                "intent",
                "volume_min",
                "volume_max",
                "difficulty_min",
                "difficulty_max",
                "search",
            ],
        },
        List {
            path: "/api/v1/auth/sites/",
            sort_keys: names(sites::SORT_KEYS),
            filters: &["is_active", "industry_id", "search"],
        },
        List {
            path: "/api/v1/writer/tasks/",
            sort_keys: names(tasks::SORT_KEYS),
            filters: &[
                "site_id",
                "sector_id",
                "cluster_id",
                "idea_id",
                "status",
                "search",
            ],
        },
    ];
    let mut runner = TestRunner::default();
    for list in &lists {
        let strategy = pairs(list);
        for _ in 0..CASES {
            let pairs = strategy.new_tree(&mut runner).expect("a query").current();
            check(&app, &token, list, &pairs).await;
        }
        // The edges, always.
        for (name, value) in [
            ("page", "0"),
            ("page_size", "0"),
            ("page_size", "201"),
            ("page", "18446744073709551615"),
            ("page", "18446744073709551616"),
            ("page", "9223372036854775807"),
            ("ordering", "password_hash"),
            ("ordering", "--id"),
        ] {
            let pairs = [(name.to_owned(), value.to_owned())];
            check(&app, &token, list, &pairs).await;
        }
    }
}

/// Every parameter name a list or filter reads, and a few it does not.
const NAMES: [&str; 41] = [
    "page",
    "page_size",
    "ordering",
    "search",
    "status",
    "intent",
    "kind",
    "site_id",
    "sector_id",
    "cluster_id",
    "idea_id",
    "industry_id",
    "industry_sector_id",
    "job_id",
    "account_id",
    "object_id",
    "object_type",
    "actor",
    "action",
    "operation",
    "clustered",
    "is_active",
    "is_staff",
    "volume_min",
    "volume_max",
    "difficulty_min",
    "difficulty_max",
    "from",
    "to",
    "wait",
    "days",
    "format",
    "unknown",
    "page[]",
    "PAGE",
    "",
    "page ",
    "ordering[0]",
    "%",
    "=",
    "&",
];

/// Query strings of known names with values of every shape: numbers of any size and
/// sign, sort terms, words, dates, arbitrary text; or raw arbitrary text.
fn list_query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        4 => proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u64..300).prop_map(|n| n.to_string()),
        "-{0,2}[a-z_]{0,12}( ?, ?-?[a-z_]{0,12}){0,3}",
        "(true|false|1|0|yes|new|done|failed|informational|html|markdown)",
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}(T[0-9:]{8}Z)?",
        "\\PC{0,16}",
    ];
    prop_oneof![
        4 => proptest::collection::vec((name, value), 0..6).prop_map(|pairs| query_string(&pairs)),
        1 => "([a-z_]{1,9}=?[0-9a-zA-Z%+,-]{0,6}&?|\\PC){0,60}",
    ]
}

/// `query` read as `T` is a value or a 400 naming what is wrong, never a panic.
fn parses_or_400<T: DeserializeOwned>(query: &str) -> Result<Option<T>, TestCaseError> {
    match parse_query::<T>(query) {
        Ok(value) => Ok(Some(value)),
        Err(err) => {
            prop_assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{}", query);
            Ok(None)
        }
    }
}

proptest! {
    /// `page`, `page_size` and `ordering` give a page request within the caps, with the
    /// values asked for, or the documented 400.
    #[test]
    fn list_parameters_give_a_bounded_page_or_a_400(query in list_query()) {
        let Some(params) = parses_or_400::<ListParams>(&query)? else {
            return Ok(());
        };
        match params.page_request() {
            Ok(request) => {
                prop_assert!((1..=MAX_PAGE).contains(&request.page));
                prop_assert!((1..=MAX_PAGE_SIZE).contains(&request.page_size));
                prop_assert_eq!(request.page, params.page.unwrap_or(1));
                prop_assert_eq!(request.page_size, params.page_size.unwrap_or(DEFAULT_PAGE_SIZE));
                prop_assert!(i64::try_from(request.offset()).is_ok());
            }
            Err(err) => {
                prop_assert_eq!(ApiError::from(err).status(), StatusCode::BAD_REQUEST);
                let size = params.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
                let page = params.page.unwrap_or(1);
                prop_assert!(
                    !(1..=MAX_PAGE).contains(&page) || !(1..=MAX_PAGE_SIZE).contains(&size),
                    "{}: refused a page and size within the caps",
                    query
                );
            }
        }
    }

    /// Every query struct of the API reads any query string or refuses it with a 400.
    #[test]
    fn every_filter_reads_any_query_or_is_a_400(query in list_query()) {
        parses_or_400::<KeywordFilter>(&query)?;
        parses_or_400::<SiteFilter>(&query)?;
        parses_or_400::<ClusterFilter>(&query)?;
        parses_or_400::<TaskFilter>(&query)?;
        parses_or_400::<JobFilter>(&query)?;
        parses_or_400::<TransactionFilter>(&query)?;
        parses_or_400::<UsageFilter>(&query)?;
        parses_or_400::<IndustryFilter>(&query)?;
        parses_or_400::<SeedKeywordFilter>(&query)?;
        parses_or_400::<IndustrySectorFilter>(&query)?;
        parses_or_400::<PlanFilter>(&query)?;
        parses_or_400::<UserFilter>(&query)?;
        parses_or_400::<SubscriptionFilter>(&query)?;
        parses_or_400::<AuditFilter>(&query)?;
        parses_or_400::<ExportParams>(&query)?;
        parses_or_400::<WaitParams>(&query)?;
        parses_or_400::<DailyParams>(&query)?;
    }
}
