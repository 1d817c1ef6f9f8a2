//! The app's sites and their sectors (`tenancy::sites`, `tenancy::sectors`): list, create,
//! edit and delete sites; add a sector with its industry sector from the reference data, and
//! delete one. Plan limits are refused in words.

use super::{
    app_lists::{Choice, number, page_number},
    app_notice::{Notice, explain, refusal_status},
    form::FieldErrors,
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, failure, render},
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
    Error,
    entities::{industry, industry_sector, sector, site},
    listing::{MAX_PAGE_SIZE, PageRequest},
    reference::catalogue::{self, IndustryFilter},
    tenancy::{
        sectors::{self, NewSector, SectorFilter},
        sites::{self, NewSite, SiteFilter, SitePatch},
    },
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites", get(sites_page).post(create_site))
        .route("/sites/{id}", get(site_page).post(update_site))
        .route("/sites/{id}/delete", post(delete_site))
        .route("/sites/{id}/sectors", post(create_sector))
        .route(
            "/sites/{id}/sectors/{sector_id}/delete",
            post(delete_sector),
        )
}

/// The reference data's industries, each with its industry sectors.
type Industries = Vec<(industry::Model, Vec<industry_sector::Model>)>;

async fn industries(state: &AppState) -> Result<Industries, Error> {
    let all = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
    let page =
        catalogue::list_industries(&state.quire.db, IndustryFilter::default(), None, all).await?;
    Ok(page.items)
}

fn industry_choices(industries: &Industries, selected: Option<i64>) -> Vec<Choice> {
    industries
        .iter()
        .map(|(i, _)| Choice::new(i.id, i.name.clone(), Some(i.id) == selected))
        .collect()
}

fn industry_name(industries: &Industries, id: Option<i64>) -> String {
    id.and_then(|id| industries.iter().find(|(i, _)| i.id == id))
        .map(|(i, _)| i.name.clone())
        .unwrap_or_default()
}

/// The site form as typed.
#[derive(Deserialize)]
struct SiteInput {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    industry_id: String,
    #[serde(default)]
    description: String,
    /// The edit form's checkbox: present when ticked.
    is_active: Option<String>,
}

impl SiteInput {
    fn industry(&self) -> Option<i64> {
        number(&self.industry_id)
    }
}

/// What a site form shows: the values typed and their messages.
#[derive(Default)]
struct SiteForm {
    name: String,
    url: String,
    industry_id: Option<i64>,
    description: String,
    is_active: bool,
    errors: FieldErrors,
}

impl From<&site::Model> for SiteForm {
    fn from(site: &site::Model) -> Self {
        Self {
            name: site.name.clone(),
            url: site.url.clone(),
            industry_id: site.industry_id,
            description: site.description.clone(),
            is_active: site.is_active,
            errors: FieldErrors::default(),
        }
    }
}

impl SiteForm {
    fn typed(input: &SiteInput, errors: FieldErrors) -> Self {
        Self {
            name: input.name.clone(),
            url: input.url.clone(),
            industry_id: input.industry(),
            description: input.description.clone(),
            is_active: input.is_active.is_some(),
            errors,
        }
    }
}

struct SiteRow {
    id: i64,
    name: String,
    url: String,
    industry: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "app/sites.html")]
struct SitesPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    rows: Vec<SiteRow>,
    page: u64,
    pages: u64,
    form: SiteForm,
    industries: Vec<Choice>,
    max_sites: i32,
    /// The site the form edits; `None` adds one.
    editing: Option<i64>,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    page: String,
    done: Option<String>,
}

fn done_notice(done: Option<&str>) -> Option<Notice> {
    let text = match done? {
        "created" => "Site added. Now add a sector: the topic you plan keywords for.",
        "updated" => "Site saved.",
        "deleted" => "Site deleted, with everything in it.",
        "sector_added" => "Sector added. Next: add keywords to it.",
        "sector_deleted" => "Sector deleted, with everything in it.",
        _ => return None,
    };
    Some(Notice::ok(text))
}

async fn sites_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<ListQuery>,
) -> Response {
    let form = SiteForm {
        is_active: true,
        ..SiteForm::default()
    };
    let notice = done_notice(query.done.as_deref());
    list_sites(
        &state,
        &page,
        page_number(&query.page),
        form,
        notice,
        StatusCode::OK,
    )
    .await
}

/// The sites page with `form` (as typed, with its messages) and `notice`, answered with
/// `status`.
async fn list_sites(
    state: &AppState,
    page: &MemberPage,
    number: u64,
    form: SiteForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let db = &state.quire.db;
    let listed = match PageRequest::new(Some(number), Some(PAGE_SIZE)) {
        Ok(request) => {
            sites::list(
                db,
                &page.tenant,
                SiteFilter::default(),
                Some("name"),
                request,
            )
            .await
        }
        Err(error) => Err(error),
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/sites").into_response(),
        Err(error) => return failure(&error),
    };
    let industries = match industries(state).await {
        Ok(industries) => industries,
        Err(error) => return failure(&error),
    };
    render(
        status,
        &SitesPage {
            chrome: page.chrome("sites"),
            notice,
            rows: listed
                .items
                .iter()
                .map(|s| SiteRow {
                    id: s.id,
                    name: s.name.clone(),
                    url: s.url.clone(),
                    industry: industry_name(&industries, s.industry_id),
                    active: s.is_active,
                })
                .collect(),
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            industries: industry_choices(&industries, form.industry_id),
            form,
            max_sites: page.tenant.plan.max_sites,
            editing: None,
        },
    )
}

async fn create_site(
    State(state): State<AppState>,
    page: MemberPage,
    Form(input): Form<SiteInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let new = NewSite {
        name: input.name.clone(),
        url: input.url.clone(),
        industry_id: input.industry(),
        description: Some(input.description.clone()),
        is_active: None,
    };
    match sites::create(&state.quire.db, &page.tenant, new).await {
        Ok(site) => Redirect::to(&format!("/sites/{}?done=created", site.id)).into_response(),
        Err(error) => {
            let (errors, notice) = refused(&error);
            let Some(notice) = notice else {
                return failure(&error);
            };
            let mut form = SiteForm::typed(&input, errors);
            form.is_active = true;
            list_sites(&state, &page, 1, form, Some(notice), refusal_status(&error)).await
        }
    }
}

/// A refusal as field messages (validation) and the notice above the form; `None` for an
/// unexpected error.
fn refused(error: &Error) -> (FieldErrors, Option<Notice>) {
    match error {
        Error::Validation(errors) => (
            FieldErrors::new(errors.clone()),
            Some(Notice::refused("Please correct the fields below.")),
        ),
        other => (FieldErrors::default(), explain(other)),
    }
}

/// An industry sector choice, grouped by its industry.
struct IndustryGroup {
    label: String,
    options: Vec<Choice>,
}

struct SectorRow {
    id: i64,
    name: String,
    industry_sector: String,
    description: String,
    active: bool,
}

#[derive(Default)]
struct SectorForm {
    name: String,
    industry_sector_id: Option<i64>,
    description: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "app/site.html")]
struct SitePage {
    chrome: AppChrome,
    notice: Option<Notice>,
    site: site::Model,
    form: SiteForm,
    industries: Vec<Choice>,
    sectors: Vec<SectorRow>,
    sector_form: SectorForm,
    industry_sectors: Vec<IndustryGroup>,
    max_sectors: i32,
    editing: Option<i64>,
}

#[derive(Deserialize)]
struct SiteQuery {
    done: Option<String>,
}

async fn site_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Query(query): Query<SiteQuery>,
) -> Response {
    let site = match sites::get(&state.quire.db, &page.tenant, id).await {
        Ok(site) => site,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    let form = SiteForm::from(&site);
    let notice = done_notice(query.done.as_deref());
    show_site(
        &state,
        &page,
        site,
        form,
        SectorForm::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// A site's page with both forms as given.
async fn show_site(
    state: &AppState,
    page: &MemberPage,
    site: site::Model,
    form: SiteForm,
    sector_form: SectorForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let all = match PageRequest::new(Some(1), Some(MAX_PAGE_SIZE)) {
        Ok(all) => all,
        Err(error) => return failure(&error),
    };
    let filter = SectorFilter {
        site_id: Some(site.id),
        ..SectorFilter::default()
    };
    let listed = sectors::list(&state.quire.db, &page.tenant, filter, Some("name"), all).await;
    let (listed, industries) = match (listed, industries(state).await) {
        (Ok(listed), Ok(industries)) => (listed, industries),
        (Err(error), _) | (_, Err(error)) => return failure(&error),
    };
    let sector_name = |id: Option<i64>| {
        industries
            .iter()
            .flat_map(|(_, sectors)| sectors)
            .find(|s| Some(s.id) == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let sectors = listed
        .items
        .iter()
        .map(|s: &sector::Model| SectorRow {
            id: s.id,
            name: s.name.clone(),
            industry_sector: sector_name(s.industry_sector_id),
            description: s.description.clone(),
            active: s.is_active,
        })
        .collect();
    // A site with an industry offers that industry's sectors only (the core refuses others).
    let industry_sectors = industries
        .iter()
        .filter(|(i, _)| site.industry_id.is_none_or(|id| id == i.id))
        .map(|(i, sectors)| IndustryGroup {
            label: i.name.clone(),
            options: sectors
                .iter()
                .map(|s| {
                    let selected = Some(s.id) == sector_form.industry_sector_id;
                    Choice::new(s.id, s.name.clone(), selected)
                })
                .collect(),
        })
        .collect();
    render(
        status,
        &SitePage {
            chrome: page.chrome("sites"),
            notice,
            industries: industry_choices(&industries, form.industry_id),
            form,
            sectors,
            sector_form,
            industry_sectors,
            max_sectors: page.tenant.plan.max_industries,
            editing: Some(site.id),
            site,
        },
    )
}

/// The site of `id`, or the page to answer instead.
async fn own_site(state: &AppState, page: &MemberPage, id: i64) -> Result<site::Model, Response> {
    match sites::get(&state.quire.db, &page.tenant, id).await {
        Ok(site) => Ok(site),
        Err(Error::NotFound) => Err(member::not_found()),
        Err(error) => Err(failure(&error)),
    }
}

async fn update_site(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(input): Form<SiteInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let site = match own_site(&state, &page, id).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let patch = SitePatch {
        name: Some(input.name.clone()),
        url: Some(input.url.clone()),
        industry_id: Some(input.industry()),
        description: Some(input.description.clone()),
        is_active: Some(input.is_active.is_some()),
    };
    match sites::update(&state.quire.db, &page.tenant, id, patch).await {
        Ok(_) => Redirect::to(&format!("/sites/{id}?done=updated")).into_response(),
        Err(error) => {
            let (errors, notice) = refused(&error);
            let Some(notice) = notice else {
                return failure(&error);
            };
            let form = SiteForm::typed(&input, errors);
            let status = refusal_status(&error);
            show_site(
                &state,
                &page,
                site,
                form,
                SectorForm::default(),
                Some(notice),
                status,
            )
            .await
        }
    }
}

async fn delete_site(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    match sites::delete(&state.quire.db, &page.tenant, id).await {
        Ok(()) => Redirect::to("/sites?done=deleted").into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct SectorInput {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    industry_sector_id: String,
    #[serde(default)]
    description: String,
}

async fn create_sector(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(input): Form<SectorInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let site = match own_site(&state, &page, id).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let industry_sector_id = number(&input.industry_sector_id);
    let new = NewSector {
        site_id: site.id,
        name: input.name.clone(),
        industry_sector_id,
        description: Some(input.description.clone()),
        is_active: None,
    };
    match sectors::create(&state.quire.db, &page.tenant, new).await {
        Ok(_) => Redirect::to(&format!("/sites/{id}?done=sector_added")).into_response(),
        Err(error) => {
            let (errors, notice) = refused(&error);
            let Some(notice) = notice else {
                return failure(&error);
            };
            let sector_form = SectorForm {
                name: input.name,
                industry_sector_id,
                description: input.description,
                errors,
            };
            let form = SiteForm::from(&site);
            let status = refusal_status(&error);
            show_site(&state, &page, site, form, sector_form, Some(notice), status).await
        }
    }
}

async fn delete_sector(
    State(state): State<AppState>,
    page: MemberPage,
    Path((id, sector_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    match sectors::get(db, &page.tenant, sector_id).await {
        Ok(sector) if sector.site_id == id => {}
        Ok(_) | Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    }
    match sectors::delete(db, &page.tenant, sector_id).await {
        Ok(()) => Redirect::to(&format!("/sites/{id}?done=sector_deleted")).into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}
