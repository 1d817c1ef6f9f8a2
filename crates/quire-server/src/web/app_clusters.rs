//! The app's clusters (`planner::clusters`, `planner::idea_generation`): listed by site and
//! sector with their keyword counts, renamed or deleted one by one, and selected for
//! "Generate ideas" (a confirmation step with the core's credit estimate, then the job).

use super::{
    app_confirm::{ConfirmPage, Estimate, id_fields, refused},
    app_lists::{
        Choice, FormFields, Scope, and, enum_choices, link, number, page_number, parse_enum, sorted,
    },
    app_notice::{Notice, explain, refusal_status},
    form::FieldErrors,
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    session::{CsrfForm, expired_form},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error, ValidationErrors,
    entities::{cluster, enums::ClusterStatus},
    listing::PageRequest,
    planner::{
        clusters::{self, ClusterFilter, ClusterPatch},
        idea_generation::{self, GenerateIdeasRequest, MAX_IDEAS_PER_CLUSTER, Planned},
    },
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters", get(clusters_page))
        .route("/clusters/ideas", post(confirm_ideas))
        .route("/clusters/generate_ideas", post(generate_ideas))
        .route("/clusters/{id}", get(cluster_page).post(update_cluster))
        .route("/clusters/{id}/delete", post(delete_cluster))
}

const STATUSES: &[ClusterStatus] = &[ClusterStatus::Active, ClusterStatus::Archived];
/// Ideas asked for per cluster unless the member chooses.
const DEFAULT_IDEAS: u32 = 3;

/// The list's filters and order as the query carries them (blank means any).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct ClustersQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    site_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    sector_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    search: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    ordering: String,
    #[serde(default, skip_serializing)]
    page: String,
    #[serde(default, skip_serializing)]
    done: String,
}

impl ClustersQuery {
    fn list_query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// The column headers' links: the filters, in the requested order.
    fn sort(&self) -> Sort {
        let filters = [
            ("site_id", self.site_id.as_str()),
            ("sector_id", self.sector_id.as_str()),
            ("search", self.search.as_str()),
        ];
        Sort::new("/clusters", &filters, Some(&self.ordering))
    }

    fn filter(&self) -> ClusterFilter {
        ClusterFilter {
            site_id: number(&self.site_id),
            sector_id: number(&self.sector_id),
            search: Some(self.search.trim().to_owned()).filter(|s| !s.is_empty()),
            ..ClusterFilter::default()
        }
    }

    fn notice(&self) -> Option<Notice> {
        let text = match self.done.as_str() {
            "saved" => "Cluster saved.",
            "deleted" => "Cluster deleted; its keywords and ideas stay, without a cluster.",
            _ => return None,
        };
        Some(Notice::ok(text))
    }
}

struct ClusterRow {
    id: i64,
    name: String,
    description: String,
    sector: String,
    keyword_count: i64,
    total_volume: i64,
    status: String,
}

#[derive(Template)]
#[template(path = "app/clusters.html")]
struct ClustersPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    sites: Vec<Choice>,
    sectors: Vec<Choice>,
    search: String,
    sort: Sort,
    rows: Vec<ClusterRow>,
    count: u64,
    page: u64,
    pages: u64,
    query: String,
    ideas_choices: Vec<u32>,
    default_ideas: u32,
}

async fn clusters_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(mut query): Query<ClustersQuery>,
) -> Response {
    let tenant = &page.tenant;
    let scope = match Scope::load(&state, tenant, number(&query.site_id)).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let mut sort = query.sort();
    let page_no = page_number(&query.page);
    let listed = sorted(&mut sort, |ordering| {
        let (db, filter) = (&state.quire.db, query.filter());
        async move {
            let request = PageRequest::new(Some(page_no), Some(PAGE_SIZE))?;
            let ordering = ordering.as_deref().or(Some("name"));
            clusters::list(db, tenant, filter, ordering, request).await
        }
    })
    .await;
    query.ordering = sort.ordering().unwrap_or_default().to_owned();
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => {
            return Redirect::to(&link("/clusters", &query.list_query())).into_response();
        }
        Err(error) => return failure(&error),
    };
    render(
        StatusCode::OK,
        &ClustersPage {
            chrome: page.chrome("clusters"),
            notice: query.notice(),
            sites: scope.site_choices(number(&query.site_id)),
            sectors: scope.sector_choices(number(&query.sector_id)),
            sort,
            rows: listed
                .items
                .iter()
                .map(|c: &cluster::Model| ClusterRow {
                    id: c.id,
                    name: c.name.clone(),
                    description: c.description.clone(),
                    sector: scope.sector_label(c.sector_id),
                    keyword_count: c.keyword_count,
                    total_volume: c.total_volume,
                    status: enum_text(&c.status),
                })
                .collect(),
            count: listed.count,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            query: query.list_query(),
            ideas_choices: (1..=MAX_IDEAS_PER_CLUSTER).collect(),
            default_ideas: DEFAULT_IDEAS,
            search: query.search,
        },
    )
}

const GENERATE: &str = "Generate ideas";

/// The request the selection form asks for.
fn ideas_request(form: &FormFields) -> Result<GenerateIdeasRequest, Error> {
    let ideas = form.one("ideas_per_cluster").trim();
    let ideas_per_cluster = if ideas.is_empty() {
        DEFAULT_IDEAS
    } else {
        ideas.parse().map_err(|_| {
            Error::Validation(ValidationErrors::single(
                "ideas_per_cluster",
                "Choose how many ideas to ask for per cluster.",
            ))
        })?
    };
    Ok(GenerateIdeasRequest {
        cluster_ids: form.ids("ids"),
        ideas_per_cluster,
    })
}

fn back_link(form: &FormFields) -> String {
    let back: ClustersQuery = serde_urlencoded::from_str(form.one("back")).unwrap_or_default();
    link("/clusters", &back.list_query())
}

/// The step of a refused request: its words, the estimate when there is one, the way back.
fn refuse(page: &MemberPage, error: &Error, estimate: Option<Estimate>, back: String) -> Response {
    let text = "No ideas were generated.";
    refused(page, "clusters", GENERATE, text, error, estimate, back)
}

/// The selection's request (its clusters, once each) as the core plans it, or the refused
/// step.
async fn plan_ideas(
    state: &AppState,
    page: &MemberPage,
    form: &FormFields,
) -> Result<(GenerateIdeasRequest, Planned), Response> {
    let back = || back_link(form);
    let mut request = ideas_request(form).map_err(|error| refuse(page, &error, None, back()))?;
    request.cluster_ids.sort_unstable();
    request.cluster_ids.dedup();
    match idea_generation::plan(&state.quire, &page.tenant, request.clone()).await {
        Ok(planned) => Ok((request, planned)),
        Err(error) => Err(refuse(page, &error, None, back())),
    }
}

async fn confirm_ideas(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let (request, planned) = match plan_ideas(&state, &page, &form).await {
        Ok(planned) => planned,
        Err(refused) => return refused,
    };
    let ids = request.cluster_ids;
    let per_cluster = request.ideas_per_cluster;
    let mut fields = id_fields(&ids);
    fields.push(("ideas_per_cluster".to_owned(), per_cluster.to_string()));
    fields.push(("back".to_owned(), form.one("back").to_owned()));
    render(
        StatusCode::OK,
        &ConfirmPage {
            chrome: page.chrome("clusters"),
            heading: GENERATE,
            text: format!(
                "Ask the AI model for {per_cluster} content ideas for each of the {} selected \
                 clusters.",
                ids.len()
            ),
            estimate: Some(Estimate::of(&page, planned.credits)),
            notice: None,
            action: Some("/clusters/generate_ideas"),
            fields,
            button: "Generate ideas",
            danger: false,
            back: back_link(&form),
        },
    )
}

async fn generate_ideas(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let planned = match plan_ideas(&state, &page, &form).await {
        Ok((_, planned)) => planned,
        Err(refused) => return refused,
    };
    let estimate = Estimate::of(&page, planned.credits);
    match idea_generation::enqueue(&state.quire, &page.tenant, planned).await {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(error) => refuse(&page, &error, Some(estimate), back_link(&form)),
    }
}

/// The cluster form as typed.
#[derive(Deserialize, Default)]
struct ClusterInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "app/cluster.html")]
struct ClusterPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    cluster: cluster::Model,
    sector: String,
    input: ClusterInput,
    statuses: Vec<Choice>,
    errors: FieldErrors,
}

async fn show_cluster(
    state: &AppState,
    page: &MemberPage,
    cluster: cluster::Model,
    input: ClusterInput,
    refusal: Option<&Error>,
) -> Response {
    let (errors, notice, status) = match refusal {
        None => (FieldErrors::default(), None, StatusCode::OK),
        Some(Error::Validation(errors)) => (
            FieldErrors::new(errors.clone()),
            Some(Notice::refused("Please correct the fields below.")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Some(error) => match explain(error) {
            Some(notice) => (FieldErrors::default(), Some(notice), refusal_status(error)),
            None => return failure(error),
        },
    };
    let scope = match Scope::load(state, &page.tenant, Some(cluster.site_id)).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    render(
        status,
        &ClusterPage {
            chrome: page.chrome("clusters"),
            notice,
            sector: scope.sector_label(cluster.sector_id),
            statuses: enum_choices(STATUSES, input.status.trim()),
            cluster,
            input,
            errors,
        },
    )
}

async fn cluster_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    match clusters::get(&state.quire.db, &page.tenant, id).await {
        Ok(cluster) => {
            let input = ClusterInput {
                name: cluster.name.clone(),
                description: cluster.description.clone(),
                status: enum_text(&cluster.status),
                ..ClusterInput::default()
            };
            show_cluster(&state, &page, cluster, input, None).await
        }
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}

async fn update_cluster(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(input): Form<ClusterInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let current = match clusters::get(db, &page.tenant, id).await {
        Ok(cluster) => cluster,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    let patch = ClusterPatch {
        name: Some(input.name.clone()),
        description: Some(input.description.clone()),
        status: parse_enum(&input.status),
    };
    match clusters::update(db, &page.tenant, id, patch).await {
        Ok(cluster) => {
            let query = and(&format!("sector_id={}", cluster.sector_id), "done", "saved");
            Redirect::to(&link("/clusters", &query)).into_response()
        }
        Err(error) => show_cluster(&state, &page, current, input, Some(&error)).await,
    }
}

async fn delete_cluster(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    match clusters::delete(&state.quire.db, &page.tenant, id).await {
        Ok(()) => Redirect::to("/clusters?done=deleted").into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}
