//! The app's keyword list (`planner::keywords`): filters (site, sector, cluster, status,
//! intent, search), sortable columns, pages, and the checkboxes of one form whose buttons
//! start Auto Cluster or a bulk delete (`app_keyword_actions`).

use super::{
    app_lists::{Choice, Scope, and, enum_choices, link, number, page_number, parse_enum, sorted},
    app_notice::Notice,
    member::{AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use quire_core::{
    Error,
    entities::{
        cluster,
        enums::{KeywordIntent, KeywordStatus},
    },
    listing::{MAX_PAGE_SIZE, PageRequest},
    planner::{
        clusters::{self, ClusterFilter},
        keywords::{self, KeywordFilter},
    },
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/keywords", get(keywords_page))
}

pub const INTENTS: &[KeywordIntent] = &[
    KeywordIntent::Informational,
    KeywordIntent::Commercial,
    KeywordIntent::Transactional,
    KeywordIntent::Navigational,
];
pub const STATUSES: &[KeywordStatus] = &[KeywordStatus::Active, KeywordStatus::Archived];

/// The list's filters and order as the query carries them (blank means any). `cluster` is a
/// cluster's id, `yes` (in any cluster) or `no` (in none).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct KeywordsQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sector_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub intent: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub search: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ordering: String,
    #[serde(default, skip_serializing)]
    pub page: String,
    /// What the last action did, with its counts.
    #[serde(default, skip_serializing)]
    pub done: String,
    #[serde(default, skip_serializing)]
    pub count: String,
    #[serde(default, skip_serializing)]
    pub skipped: String,
}

impl KeywordsQuery {
    /// A query read back from a form's hidden `back` field; anything unreadable is the
    /// unfiltered list.
    pub fn from_back(back: &str) -> Self {
        serde_urlencoded::from_str(back).unwrap_or_default()
    }

    /// The filters and the order, as a query string (for pages, exports and returning).
    pub fn list_query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// The column headers' links: the filters, in the requested order.
    pub fn sort(&self) -> Sort {
        let filters = [
            ("site_id", self.site_id.as_str()),
            ("sector_id", self.sector_id.as_str()),
            ("cluster", self.cluster.as_str()),
            ("status", self.status.as_str()),
            ("intent", self.intent.as_str()),
            ("search", self.search.as_str()),
        ];
        Sort::new("/keywords", &filters, Some(&self.ordering))
    }

    pub fn site_id(&self) -> Option<i64> {
        number(&self.site_id)
    }

    pub fn sector_id(&self) -> Option<i64> {
        number(&self.sector_id)
    }

    /// The core's filter for these choices.
    pub fn filter(&self) -> KeywordFilter {
        let (cluster_id, clustered) = match self.cluster.trim() {
            "yes" => (None, Some(true)),
            "no" => (None, Some(false)),
            other => (number(other), None),
        };
        KeywordFilter {
            site_id: self.site_id(),
            sector_id: self.sector_id(),
            cluster_id,
            clustered,
            status: parse_enum(&self.status),
            intent: parse_enum(&self.intent),
            search: Some(self.search.trim().to_owned()).filter(|s| !s.is_empty()),
            ..KeywordFilter::default()
        }
    }

    /// Where to go after an action: this list with the notice `done` and its counts.
    pub fn after(&self, done: &str, count: u64, skipped: Option<u64>) -> String {
        let mut query = and(&self.list_query(), "done", done);
        query = and(&query, "count", count);
        if let Some(skipped) = skipped {
            query = and(&query, "skipped", skipped);
        }
        link("/keywords", &query)
    }

    fn notice(&self) -> Option<Notice> {
        let count = self.count.trim().parse::<u64>().unwrap_or(0);
        let skipped = self.skipped.trim().parse::<u64>().unwrap_or(0);
        let text = match self.done.as_str() {
            "added" => "Keyword added.".to_owned(),
            "saved" => "Keyword saved.".to_owned(),
            "deleted" => format!("{count} keywords deleted."),
            "seeded" => format!(
                "{count} keywords added from the seed library; {skipped} were already in the \
                 sector and were skipped."
            ),
            _ => return None,
        };
        Some(Notice::ok(text))
    }
}

struct KeywordRow {
    id: i64,
    keyword: String,
    sector: String,
    volume: i64,
    difficulty: String,
    intent: String,
    status: String,
    /// The cluster's id and name.
    cluster: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "app/keywords.html")]
struct KeywordsPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    search: String,
    sites: Vec<Choice>,
    sectors: Vec<Choice>,
    clusters: Vec<Choice>,
    cluster_any: &'static str,
    statuses: Vec<Choice>,
    intents: Vec<Choice>,
    sort: Sort,
    rows: Vec<KeywordRow>,
    count: u64,
    page: u64,
    pages: u64,
    /// The filters and order, for the pager, the export and the forms' way back.
    query: String,
    /// The sector Auto Cluster works in: the filtered one.
    cluster_sectors: Vec<Choice>,
    has_sites: bool,
    /// The filtered sector's id, or "", for the links that add keywords.
    sector: String,
}

async fn keywords_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(mut query): Query<KeywordsQuery>,
) -> Response {
    let db = &state.quire.db;
    let tenant = &page.tenant;
    let scope = match Scope::load(&state, tenant, query.site_id()).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let cluster_filter = ClusterFilter {
        site_id: query.site_id(),
        sector_id: query.sector_id(),
        ..ClusterFilter::default()
    };
    let known_clusters = match PageRequest::new(Some(1), Some(MAX_PAGE_SIZE)) {
        Ok(all) => clusters::list(db, tenant, cluster_filter, Some("name"), all).await,
        Err(error) => Err(error),
    };
    let known_clusters: Vec<cluster::Model> = match known_clusters {
        Ok(listed) => listed.items,
        Err(error) => return failure(&error),
    };
    let mut sort = query.sort();
    let page_no = page_number(&query.page);
    let listed = sorted(&mut sort, |ordering| {
        let filter = query.filter();
        async move {
            let request = PageRequest::new(Some(page_no), Some(PAGE_SIZE))?;
            keywords::list(db, tenant, filter, ordering.as_deref(), request).await
        }
    })
    .await;
    query.ordering = sort.ordering().unwrap_or_default().to_owned();
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => {
            return Redirect::to(&link("/keywords", &query.list_query())).into_response();
        }
        Err(error) => return failure(&error),
    };
    let cluster_name = |id: i64| {
        known_clusters
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("Cluster {id}"), |c| c.name.clone())
    };
    let rows = listed
        .items
        .iter()
        .map(|k| KeywordRow {
            id: k.id,
            keyword: k.keyword.clone(),
            sector: scope.sector_label(k.sector_id),
            volume: k.volume,
            difficulty: k.difficulty.map(|d| d.to_string()).unwrap_or_default(),
            intent: k.intent.map(|i| enum_text(&i)).unwrap_or_default(),
            status: enum_text(&k.status),
            cluster: k.cluster_id.map(|id| (id, cluster_name(id))),
        })
        .collect();
    let selected_cluster = query.cluster.trim();
    render(
        StatusCode::OK,
        &KeywordsPage {
            chrome: page.chrome("keywords"),
            notice: query.notice(),
            sites: scope.site_choices(query.site_id()),
            sectors: scope.sector_choices(query.sector_id()),
            cluster_sectors: scope.sector_choices(query.sector_id()),
            has_sites: !scope.sites.is_empty(),
            clusters: known_clusters
                .iter()
                .map(|c| Choice::new(c.id, c.name.clone(), c.id.to_string() == selected_cluster))
                .collect(),
            cluster_any: match selected_cluster {
                "yes" => "yes",
                "no" => "no",
                _ => "",
            },
            statuses: enum_choices(STATUSES, query.status.trim()),
            intents: enum_choices(INTENTS, query.intent.trim()),
            sort,
            rows,
            count: listed.count,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            query: query.list_query(),
            sector: query
                .sector_id()
                .map(|id| id.to_string())
                .unwrap_or_default(),
            search: query.search,
        },
    )
}
