//! Long work in the tenant app: every AI operation runs as a job; its page shows live progress
//! (quire.js polls `/jobs/{id}/status` and reloads when it ends) and then what it made, or
//! what went wrong and what to do. The rest of the app stays usable meanwhile.

use super::{
    member::{AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use quire_core::{
    Error,
    entities::{
        enums::{CreditState, JobStatus},
        job,
    },
    jobs::queue::{self, JobFilter},
    listing::PageRequest,
    planner::{auto_cluster, idea_generation},
    writer::{generation, regeneration},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(jobs_page))
        .route("/jobs/{id}", get(job_page))
        .route("/jobs/{id}/status", get(job_status))
}

/// A job as the app's tables and pages show it.
pub struct JobRow {
    pub id: i64,
    pub what: &'static str,
    pub status: String,
    pub running: bool,
    pub progress: i32,
    pub progress_message: String,
    pub credits: String,
    pub created: String,
}

/// What a kind of job is called in the app.
fn describe(kind: &str) -> &'static str {
    match kind {
        auto_cluster::KIND => "Auto Cluster",
        idea_generation::KIND => "Generate ideas",
        generation::KIND => "Generate article",
        regeneration::KIND => "Regenerate section",
        _ => "AI job",
    }
}

fn running(status: JobStatus) -> bool {
    matches!(status, JobStatus::Queued | JobStatus::Running)
}

impl From<&job::Model> for JobRow {
    fn from(job: &job::Model) -> Self {
        Self {
            id: job.id,
            what: describe(&job.kind),
            status: enum_text(&job.status),
            running: running(job.status),
            progress: job.progress,
            progress_message: job.progress_message.clone(),
            credits: match job.credit_state {
                CreditState::Reserved => format!("{} held", job.reserved_credits),
                CreditState::Settled => format!("{} charged", job.charged_credits),
                CreditState::Refunded => format!("{} returned", job.reserved_credits),
                CreditState::None => "none".to_owned(),
            },
            created: job.created_at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// The account's newest jobs, for the dashboard.
pub async fn recent(state: &AppState, page: &MemberPage, count: u64) -> Result<Vec<JobRow>, Error> {
    let request = PageRequest::new(Some(1), Some(count))?;
    let listed = queue::list(
        &state.quire.db,
        &page.tenant,
        JobFilter::default(),
        None,
        request,
    )
    .await?;
    Ok(listed.items.iter().map(JobRow::from).collect())
}

#[derive(Template)]
#[template(path = "app/jobs.html")]
struct JobsPage {
    chrome: AppChrome,
    rows: Vec<JobRow>,
    page: u64,
    pages: u64,
}

#[derive(Deserialize)]
struct JobsQuery {
    page: Option<u64>,
}

async fn jobs_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<JobsQuery>,
) -> Response {
    let listed = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => {
            let filter = JobFilter::default();
            queue::list(&state.quire.db, &page.tenant, filter, None, request).await
        }
        Err(error) => Err(error),
    };
    match listed {
        Ok(listed) => render(
            StatusCode::OK,
            &JobsPage {
                chrome: page.chrome("dashboard"),
                rows: listed.items.iter().map(JobRow::from).collect(),
                page: listed.page,
                pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            },
        ),
        Err(Error::NotFound) => Redirect::to("/jobs").into_response(),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "app/job.html")]
struct JobPage {
    chrome: AppChrome,
    job: JobRow,
    succeeded: bool,
    error: String,
    /// Where the job's work can be seen, and the link's words.
    next: Option<(String, &'static str)>,
    offline: bool,
}

/// Where to see what a finished job made.
fn made(job: &job::Model, result: &serde_json::Value) -> Option<(String, &'static str)> {
    match job.kind.as_str() {
        auto_cluster::KIND => Some(("/clusters".to_owned(), "See the clusters")),
        idea_generation::KIND => Some(("/ideas".to_owned(), "See the ideas")),
        generation::KIND | regeneration::KIND => result
            .get("content_id")
            .and_then(serde_json::Value::as_i64)
            .map(|id| (format!("/content/{id}"), "Open the article")),
        _ => None,
    }
}

async fn job_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    let job = match queue::get(&state.quire.db, &page.tenant, id).await {
        Ok(job) => job,
        Err(Error::NotFound) => return super::member::not_found(),
        Err(error) => return failure(&error),
    };
    let result: serde_json::Value = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &JobPage {
            chrome: page.chrome("dashboard"),
            succeeded: job.status == JobStatus::Succeeded,
            error: job.error.clone().unwrap_or_default(),
            next: made(&job, &result),
            offline: result
                .get("offline_draft")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            job: JobRow::from(&job),
        },
    )
}

/// What the page's script polls.
#[derive(Serialize)]
struct JobStatusView {
    status: JobStatus,
    running: bool,
    progress: i32,
    progress_message: String,
}

async fn job_status(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    match queue::get(&state.quire.db, &page.tenant, id).await {
        Ok(job) => Json(JobStatusView {
            status: job.status,
            running: running(job.status),
            progress: job.progress,
            progress_message: job.progress_message,
        })
        .into_response(),
        Err(Error::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => failure(&error),
    }
}
