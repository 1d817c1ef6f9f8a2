//! The tenant app's writer tasks (`/writer`): the list with filters and paging, a task written
//! from scratch, edited or deleted — the same services as `/api/v1/writer/tasks/`.

use super::{
    app_lists::{
        Choice, enum_choices, filter_query, number, parse_enum, site_choices, site_names, with_any,
    },
    app_notice::{Notice, explain, refusal_status},
    app_writer_brief::{BriefForm, SectorGroup, point_of_view_choices, sector_groups},
    form::FieldErrors,
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    session::{CsrfForm, expired_form},
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
    entities::{enums::TaskStatus, task},
    listing::PageRequest,
    tenancy::sectors,
    writer::tasks::{self, DEFAULT_LANGUAGE, DEFAULT_WORDS, TaskFilter},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/writer", get(tasks_page))
        .route("/writer/new", get(new_task_form).post(create_task))
        .route("/writer/{id}", get(task_page).post(update_task))
        .route("/writer/{id}/delete", post(delete_task))
}

/// The statuses a task moves through, as the filter offers them.
const TASK_STATUSES: [TaskStatus; 6] = [
    TaskStatus::Queued,
    TaskStatus::Generating,
    TaskStatus::Draft,
    TaskStatus::Review,
    TaskStatus::Published,
    TaskStatus::Failed,
];

#[derive(Template)]
#[template(path = "app/writer.html")]
struct TasksPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    search: String,
    sites: Vec<Choice>,
    statuses: Vec<Choice>,
    has_sites: bool,
    /// Whether a filter is set (an empty list then says "no match", not "no tasks").
    filtered: bool,
    rows: Vec<TaskRow>,
    query: String,
    page: u64,
    pages: u64,
}

struct TaskRow {
    id: i64,
    title: String,
    site: String,
    words: i32,
    status: String,
    content_id: Option<i64>,
    updated: String,
}

#[derive(Deserialize)]
struct TasksQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    search: String,
    page: Option<u64>,
    done: Option<String>,
}

fn done_notice(done: Option<&str>) -> Option<Notice> {
    let text = match done? {
        "created" => "Task created. Generate its article when the brief is ready.",
        "saved" => "Task saved.",
        "deleted" => "Task deleted, with its article and every version of it.",
        _ => return None,
    };
    Some(Notice::ok(text))
}

async fn tasks_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<TasksQuery>,
) -> Response {
    let status: Option<TaskStatus> = parse_enum(&query.status);
    let site_id = number(&query.site_id);
    let filter = TaskFilter {
        site_id,
        status,
        search: Some(query.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..TaskFilter::default()
    };
    let db = &state.quire.db;
    let listed = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => tasks::list(db, &page.tenant, filter, Some("-id"), request).await,
        Err(error) => Err(error),
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/writer").into_response(),
        Err(error) => return failure(&error),
    };
    let ids: Vec<i64> = listed.items.iter().map(|t| t.id).collect();
    let (names, contents) = match tokio::try_join!(
        site_names(&state, &page.tenant),
        tasks::content_ids(db, &ids)
    ) {
        Ok(found) => found,
        Err(error) => return failure(&error),
    };
    let filtered = status.is_some() || site_id.is_some() || !query.search.trim().is_empty();
    let status_text = status.map(|s| enum_text(&s)).unwrap_or_default();
    let site_text = site_id.map(|s| s.to_string()).unwrap_or_default();
    render(
        StatusCode::OK,
        &TasksPage {
            chrome: page.chrome("writer"),
            notice: done_notice(query.done.as_deref()),
            query: filter_query(&[
                ("status", &status_text),
                ("site_id", &site_text),
                ("search", &query.search),
            ]),
            search: query.search,
            sites: with_any("All sites", site_choices(&names, site_id)),
            statuses: with_any("Any status", enum_choices(&TASK_STATUSES, &status_text)),
            has_sites: !names.is_empty(),
            filtered,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            rows: listed
                .items
                .into_iter()
                .map(|t| TaskRow {
                    site: names.get(&t.site_id).cloned().unwrap_or_default(),
                    status: enum_text(&t.status),
                    content_id: contents.get(&t.id).copied(),
                    updated: t.updated_at.format("%Y-%m-%d %H:%M").to_string(),
                    id: t.id,
                    title: t.title,
                    words: t.word_count,
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "app/task_form.html")]
struct TaskFormPage {
    chrome: AppChrome,
    /// The task being edited; `None` for a new one.
    task: Option<TaskFacts>,
    form: BriefForm,
    groups: Vec<SectorGroup>,
    points_of_view: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<Notice>,
}

/// What the edit page shows of a task besides its brief.
struct TaskFacts {
    id: i64,
    title: String,
    status: String,
    generating: bool,
    place: String,
    content_id: Option<i64>,
}

impl TaskFormPage {
    /// Messages for fields the form has no input for.
    fn other_errors(&self) -> String {
        self.errors.rest(&[
            "sector_id",
            "title",
            "target_keywords",
            "word_count",
            "brief",
            "outline",
            "tone",
            "audience",
            "language",
            "point_of_view",
            "notes",
        ])
    }
}

/// The new-task form, filled with `form`.
async fn new_task_page(
    state: &AppState,
    page: &MemberPage,
    form: BriefForm,
    errors: ValidationErrors,
    status: StatusCode,
) -> Response {
    match sector_groups(state, &page.tenant, number(&form.sector_id)).await {
        Ok(groups) => render(
            status,
            &TaskFormPage {
                chrome: page.chrome("writer"),
                task: None,
                points_of_view: point_of_view_choices(&form.point_of_view),
                form,
                groups,
                errors: FieldErrors::new(errors),
                notice: None,
            },
        ),
        Err(error) => failure(&error),
    }
}

async fn new_task_form(State(state): State<AppState>, page: MemberPage) -> Response {
    let form = BriefForm {
        word_count: DEFAULT_WORDS.to_string(),
        language: DEFAULT_LANGUAGE.to_owned(),
        ..BriefForm::default()
    };
    new_task_page(
        &state,
        &page,
        form,
        ValidationErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn create_task(
    State(state): State<AppState>,
    page: MemberPage,
    Form(form): Form<BriefForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let input = match form.new_task() {
        Ok(input) => input,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return new_task_page(&state, &page, form, errors, status).await;
        }
    };
    match tasks::create(&state.quire.db, &page.tenant, input).await {
        Ok(created) => {
            Redirect::to(&format!("/writer/{}?done=created", created.id)).into_response()
        }
        Err(Error::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            new_task_page(&state, &page, form, errors, status).await
        }
        Err(error) => failure(&error),
    }
}

/// A task's page: its facts and the brief form, filled with `form` (the task's brief unless
/// the member's refused edit).
async fn edit_page(
    state: &AppState,
    page: &MemberPage,
    task: &task::Model,
    form: BriefForm,
    refusal: Option<Error>,
    notice: Option<Notice>,
) -> Response {
    let db = &state.quire.db;
    let found = tokio::try_join!(
        tasks::content_id(db, task.id),
        site_names(state, &page.tenant),
        sectors::get(db, &page.tenant, task.sector_id),
    );
    let (content_id, names, sector) = match found {
        Ok(found) => found,
        Err(error) => return failure(&error),
    };
    let (status, errors, notice) = match refusal {
        None => (StatusCode::OK, ValidationErrors::default(), notice),
        Some(Error::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Some(error) => match explain(&error) {
            Some(refused) => (
                refusal_status(&error),
                ValidationErrors::default(),
                Some(refused),
            ),
            None => return failure(&error),
        },
    };
    render(
        status,
        &TaskFormPage {
            chrome: page.chrome("writer"),
            task: Some(TaskFacts {
                id: task.id,
                title: task.title.clone(),
                status: enum_text(&task.status),
                generating: task.status == TaskStatus::Generating,
                place: format!(
                    "{} — {}",
                    names.get(&task.site_id).cloned().unwrap_or_default(),
                    sector.name
                ),
                content_id,
            }),
            points_of_view: point_of_view_choices(&form.point_of_view),
            form,
            groups: Vec::new(),
            errors: FieldErrors::new(errors),
            notice,
        },
    )
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn task_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let task = match tasks::get(&state.quire.db, &page.tenant, id).await {
        Ok(task) => task,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    let form = BriefForm::of_task(&task);
    let notice = done_notice(query.done.as_deref());
    edit_page(&state, &page, &task, form, None, notice).await
}

async fn update_task(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<BriefForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let task = match tasks::get(db, &page.tenant, id).await {
        Ok(task) => task,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    let patch = match form.patch() {
        Ok(patch) => patch,
        Err(errors) => {
            let refusal = Some(Error::Validation(errors));
            return edit_page(&state, &page, &task, form, refusal, None).await;
        }
    };
    match tasks::update(db, &page.tenant, id, patch).await {
        Ok(_) => Redirect::to(&format!("/writer/{id}?done=saved")).into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => edit_page(&state, &page, &task, form, Some(error), None).await,
    }
}

async fn delete_task(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    match tasks::delete(db, &page.tenant, id).await {
        Ok(()) => Redirect::to("/writer?done=deleted").into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => match tasks::get(db, &page.tenant, id).await {
            Ok(task) => {
                let form = BriefForm::of_task(&task);
                edit_page(&state, &page, &task, form, Some(error), None).await
            }
            Err(Error::NotFound) => member::not_found(),
            Err(error) => failure(&error),
        },
    }
}
