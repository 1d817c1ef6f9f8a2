//! The app's content ideas (`planner::ideas`): filtered by site, sector, cluster and status,
//! sorted and paged, and selected for "Send to writer", which makes one writer task per idea.

use super::{
    app_confirm::refused,
    app_lists::{
        Choice, FormFields, Scope, and, enum_choices, link, number, page_number, parse_enum, sorted,
    },
    app_notice::Notice,
    member::{AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    session::expired_form,
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    entities::{cluster, enums::IdeaStatus},
    listing::{MAX_PAGE_SIZE, PageRequest},
    planner::{
        clusters::{self, ClusterFilter},
        ideas::{self, IdeaFilter, SendToWriter},
    },
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ideas", get(ideas_page))
        .route("/ideas/send", post(send_to_writer))
}

const STATUSES: &[IdeaStatus] = &[IdeaStatus::New, IdeaStatus::Sent, IdeaStatus::Archived];

/// The list's filters and order as the query carries them (blank means any).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct IdeasQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    site_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    sector_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cluster_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    search: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    ordering: String,
    #[serde(default, skip_serializing)]
    page: String,
    #[serde(default, skip_serializing)]
    done: String,
    #[serde(default, skip_serializing)]
    count: String,
    #[serde(default, skip_serializing)]
    skipped: String,
}

impl IdeasQuery {
    fn list_query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// The column headers' links: the filters, in the requested order.
    fn sort(&self) -> Sort {
        let filters = [
            ("site_id", self.site_id.as_str()),
            ("sector_id", self.sector_id.as_str()),
            ("cluster_id", self.cluster_id.as_str()),
            ("status", self.status.as_str()),
            ("search", self.search.as_str()),
        ];
        Sort::new("/ideas", &filters, Some(&self.ordering))
    }

    fn filter(&self) -> IdeaFilter {
        IdeaFilter {
            site_id: number(&self.site_id),
            sector_id: number(&self.sector_id),
            cluster_id: number(&self.cluster_id),
            status: parse_enum(&self.status),
            search: Some(self.search.trim().to_owned()).filter(|s| !s.is_empty()),
            ..IdeaFilter::default()
        }
    }

    /// "Send to writer" reports what it made.
    fn notice(&self) -> Option<Notice> {
        if self.done != "sent" {
            return None;
        }
        let count = self.count.trim().parse::<u64>().unwrap_or(0);
        let skipped = self.skipped.trim().parse::<u64>().unwrap_or(0);
        let skipped = if skipped > 0 {
            format!(" {skipped} ideas were already sent or archived and were skipped.")
        } else {
            String::new()
        };
        Some(Notice::ok(format!(
            "{count} writer tasks created.{skipped}"
        )))
    }
}

struct IdeaRow {
    id: i64,
    title: String,
    description: String,
    content_type: String,
    words: i32,
    status: String,
    sector: String,
    cluster: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "app/ideas.html")]
struct IdeasPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    sent: bool,
    sites: Vec<Choice>,
    sectors: Vec<Choice>,
    clusters: Vec<Choice>,
    statuses: Vec<Choice>,
    search: String,
    sort: Sort,
    rows: Vec<IdeaRow>,
    count: u64,
    page: u64,
    pages: u64,
    query: String,
}

async fn ideas_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(mut query): Query<IdeasQuery>,
) -> Response {
    let db = &state.quire.db;
    let tenant = &page.tenant;
    let site_id = number(&query.site_id);
    let scope = match Scope::load(&state, tenant, site_id).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let cluster_filter = ClusterFilter {
        site_id,
        sector_id: number(&query.sector_id),
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
            let ordering = ordering.as_deref().or(Some("-created_at"));
            ideas::list(db, tenant, filter, ordering, request).await
        }
    })
    .await;
    query.ordering = sort.ordering().unwrap_or_default().to_owned();
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => {
            return Redirect::to(&link("/ideas", &query.list_query())).into_response();
        }
        Err(error) => return failure(&error),
    };
    let cluster_name = |id: i64| {
        known_clusters
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("Cluster {id}"), |c| c.name.clone())
    };
    let selected_cluster = number(&query.cluster_id);
    render(
        StatusCode::OK,
        &IdeasPage {
            chrome: page.chrome("ideas"),
            notice: query.notice(),
            sent: query.done == "sent",
            sites: scope.site_choices(site_id),
            sectors: scope.sector_choices(number(&query.sector_id)),
            clusters: known_clusters
                .iter()
                .map(|c| Choice::new(c.id, c.name.clone(), Some(c.id) == selected_cluster))
                .collect(),
            statuses: enum_choices(STATUSES, query.status.trim()),
            sort,
            rows: listed
                .items
                .iter()
                .map(|i| IdeaRow {
                    id: i.id,
                    title: i.title.clone(),
                    description: i.description.clone(),
                    content_type: enum_text(&i.content_type).replace('_', " "),
                    words: i.estimated_words,
                    status: enum_text(&i.status),
                    sector: scope.sector_label(i.sector_id),
                    cluster: i.cluster_id.map(|id| (id, cluster_name(id))),
                })
                .collect(),
            count: listed.count,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            query: query.list_query(),
            search: query.search,
        },
    )
}

async fn send_to_writer(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let back: IdeasQuery = serde_urlencoded::from_str(form.one("back")).unwrap_or_default();
    let input = SendToWriter {
        idea_ids: form.ids("ids"),
    };
    match ideas::send_to_writer(&state.quire.db, &page.tenant, input).await {
        Ok(sent) => {
            let mut query = and(&back.list_query(), "done", "sent");
            query = and(&query, "count", sent.created.len());
            query = and(&query, "skipped", sent.skipped.len());
            Redirect::to(&link("/ideas", &query)).into_response()
        }
        Err(error) => {
            let text = "No writer tasks were made.";
            let back = link("/ideas", &back.list_query());
            refused(&page, "ideas", "Send to writer", text, &error, None, back)
        }
    }
}
