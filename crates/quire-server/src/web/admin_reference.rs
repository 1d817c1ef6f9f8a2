//! The console's reference data, industries and their sectors: list, create, edit, and delete
//! while nothing uses them (`admin::industries`, as `/api/v1/admin/industries/`). The seed
//! keywords have their own module.

use super::{
    form::FieldErrors,
    page::{Message, PAGE_SIZE, failure, messages, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form},
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
    Error,
    admin::industries::{self, IndustryPatch, NewIndustry, NewIndustrySector},
    db::Db,
    entities::{industry, industry_sector},
    listing::{MAX_PAGE_SIZE, PageRequest},
    reference::catalogue::{self, IndustryFilter},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reference", get(industries_page))
        .route("/admin/reference/industries", post(create_industry))
        .route(
            "/admin/reference/industries/{id}",
            get(industry_page).post(update_industry),
        )
        .route(
            "/admin/reference/industries/{id}/delete",
            post(delete_industry),
        )
        .route(
            "/admin/reference/industries/{id}/sectors",
            post(create_sector),
        )
        .merge(super::admin_sectors::router())
        .merge(super::admin_seed_keywords::router())
}

/// Every industry with its sectors, by name (the reference data is small: a page or two).
pub async fn all_industries(
    db: &Db,
) -> Result<Vec<(industry::Model, Vec<industry_sector::Model>)>, Error> {
    let mut all = Vec::new();
    for page in 1.. {
        let request = PageRequest::new(Some(page), Some(MAX_PAGE_SIZE))?;
        let listed =
            catalogue::list_industries(db, IndustryFilter::default(), None, request).await?;
        let more = listed.has_next();
        all.extend(listed.items);
        if !more {
            break;
        }
    }
    Ok(all)
}

/// What the slug, name and description fields of an industry or a sector hold.
#[derive(Default, Deserialize)]
pub struct NamingForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl NamingForm {
    pub fn of(slug: &str, name: &str, description: &str) -> Self {
        Self {
            csrf: String::new(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
        }
    }
}

/// The fields a naming form shows; other fields' messages go to the notice.
const NAMING_FIELDS: [&str; 3] = ["slug", "name", "description"];

pub fn not_found(what: &'static str) -> Response {
    Message {
        heading: what,
        text: "It may have been deleted.".to_owned(),
        link: "/admin/reference",
        link_text: "All industries",
    }
    .respond(StatusCode::NOT_FOUND)
}

#[derive(Template)]
#[template(path = "admin/reference_industries.html")]
struct IndustriesPage {
    chrome: Chrome,
    search: String,
    rows: Vec<IndustryRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    notice: Option<&'static str>,
    error: Option<String>,
    form: NamingForm,
    errors: FieldErrors,
}

struct IndustryRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    sectors: usize,
}

#[derive(Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    ordering: String,
    page: Option<u64>,
    done: Option<String>,
}

async fn industries_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<ListQuery>,
) -> Response {
    industries_view(
        &state,
        &page,
        query,
        NamingForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// The industries list with the new-industry form (as typed, with its messages when refused).
async fn industries_view(
    state: &AppState,
    page: &OperatorPage,
    list: ListQuery,
    form: NamingForm,
    errors: FieldErrors,
) -> Response {
    let mut view = IndustriesPage {
        chrome: page.chrome("reference"),
        sort: Sort::new(
            "/admin/reference",
            &[("search", &list.search)],
            Some(list.ordering.as_str()),
        ),
        search: list.search.clone(),
        rows: Vec::new(),
        page: 1,
        pages: 1,
        notice: list.done.as_deref().and_then(|done| match done {
            "deleted" => Some("Industry deleted."),
            _ => None,
        }),
        error: None,
        form,
        errors,
    };
    let filter = IndustryFilter {
        search: Some(list.search.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let listed = match PageRequest::new(list.page, Some(PAGE_SIZE)) {
        Ok(request) => {
            let db = &state.quire.db;
            let ordering = view.sort.ordering();
            let mut listed =
                catalogue::list_industries(db, filter.clone(), ordering, request).await;
            if view.sort.refused(&listed) {
                listed = catalogue::list_industries(db, filter, None, request).await;
            }
            listed
        }
        Err(error) => Err(error),
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match listed {
        Ok(listed) => {
            view.page = listed.page;
            view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
            view.rows = listed
                .items
                .into_iter()
                .map(|(i, sectors)| IndustryRow {
                    id: i.id,
                    slug: i.slug,
                    name: i.name,
                    description: i.description,
                    sectors: sectors.len(),
                })
                .collect();
            render(status, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => Redirect::to("/admin/reference").into_response(),
        Err(error) => failure(&error),
    }
}

async fn create_industry(
    State(state): State<AppState>,
    page: OperatorPage,
    Form(form): Form<NamingForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let input = NewIndustry {
        slug: form.slug.clone(),
        name: form.name.clone(),
        description: Some(form.description.clone()),
    };
    let now = state.quire.clock.now();
    match industries::create_industry(&state.quire.db, page.operator.user.id, input, now).await {
        Ok(created) => Redirect::to(&format!(
            "/admin/reference/industries/{}?done=created",
            created.id
        ))
        .into_response(),
        Err(Error::Validation(errors)) => {
            industries_view(
                &state,
                &page,
                ListQuery::default(),
                form,
                FieldErrors::new(errors),
            )
            .await
        }
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "admin/reference_industry.html")]
struct IndustryPage {
    chrome: Chrome,
    id: i64,
    name: String,
    form: NamingForm,
    errors: FieldErrors,
    sectors: Vec<industry_sector::Model>,
    sector_form: NamingForm,
    sector_errors: FieldErrors,
    notice: Option<&'static str>,
    /// Why an action was refused (a message for the whole page).
    problem: Option<String>,
}

impl IndustryPage {
    fn new(
        chrome: Chrome,
        industry: industry::Model,
        sectors: Vec<industry_sector::Model>,
    ) -> Self {
        Self {
            chrome,
            id: industry.id,
            form: NamingForm::of(&industry.slug, &industry.name, &industry.description),
            name: industry.name,
            errors: FieldErrors::default(),
            sectors,
            sector_form: NamingForm::default(),
            sector_errors: FieldErrors::default(),
            notice: None,
            problem: None,
        }
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn industry_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let (industry, sectors) = match industries::get_industry(&state.quire.db, id).await {
        Ok(found) => found,
        Err(Error::NotFound) => return not_found("No such industry"),
        Err(error) => return failure(&error),
    };
    let mut view = IndustryPage::new(page.chrome("reference"), industry, sectors);
    view.notice = query.done.as_deref().and_then(|done| match done {
        "created" => Some("Industry created. Add its sectors below."),
        "saved" => Some("Industry saved."),
        "sector_created" => Some("Sector added."),
        "sector_saved" => Some("Sector saved."),
        "sector_deleted" => Some("Sector deleted, with its seed keywords."),
        _ => None,
    });
    render(StatusCode::OK, &view)
}

/// The industry's page again with `change` applied to it, answered with `status`.
async fn industry_again(
    state: &AppState,
    page: &OperatorPage,
    id: i64,
    status: StatusCode,
    change: impl FnOnce(&mut IndustryPage),
) -> Response {
    match industries::get_industry(&state.quire.db, id).await {
        Ok((industry, sectors)) => {
            let mut view = IndustryPage::new(page.chrome("reference"), industry, sectors);
            change(&mut view);
            render(status, &view)
        }
        Err(Error::NotFound) => not_found("No such industry"),
        Err(error) => failure(&error),
    }
}

async fn update_industry(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<NamingForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let patch = IndustryPatch {
        slug: Some(form.slug.clone()),
        name: Some(form.name.clone()),
        description: Some(form.description.clone()),
    };
    let now = state.quire.clock.now();
    match industries::update_industry(&state.quire.db, page.operator.user.id, id, patch, now).await
    {
        Ok(_) => {
            Redirect::to(&format!("/admin/reference/industries/{id}?done=saved")).into_response()
        }
        Err(Error::Validation(errors)) => {
            industry_again(
                &state,
                &page,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |view| {
                    view.form = form;
                    view.errors = FieldErrors::new(errors);
                },
            )
            .await
        }
        Err(Error::NotFound) => not_found("No such industry"),
        Err(error) => failure(&error),
    }
}

async fn delete_industry(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match industries::delete_industry(&state.quire.db, page.operator.user.id, id, now).await {
        Ok(()) => Redirect::to("/admin/reference?done=deleted").into_response(),
        Err(Error::Conflict(reason)) => {
            industry_again(&state, &page, id, StatusCode::CONFLICT, |view| {
                view.problem = Some(reason);
            })
            .await
        }
        Err(Error::NotFound) => not_found("No such industry"),
        Err(error) => failure(&error),
    }
}

async fn create_sector(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(industry_id): Path<i64>,
    Form(form): Form<NamingForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let input = NewIndustrySector {
        industry_id,
        slug: form.slug.clone(),
        name: form.name.clone(),
        description: Some(form.description.clone()),
    };
    let (db, operator, now) = (
        &state.quire.db,
        page.operator.user.id,
        state.quire.clock.now(),
    );
    match industries::create_industry_sector(db, operator, input, now).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/reference/industries/{industry_id}?done=sector_created"
        ))
        .into_response(),
        Err(Error::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            industry_again(&state, &page, industry_id, status, |view| {
                view.problem = Some(FieldErrors::new(errors.clone()).rest(&NAMING_FIELDS))
                    .filter(|rest| !rest.is_empty());
                view.sector_form = form;
                view.sector_errors = FieldErrors::new(errors);
            })
            .await
        }
        Err(error) => failure(&error),
    }
}
