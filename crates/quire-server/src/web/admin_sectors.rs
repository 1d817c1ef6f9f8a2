//! The console's industry sectors: one sector's page, edited (moved to another industry only
//! while no tenant uses it) or deleted with its seed keywords (`admin::industries`, as
//! `/api/v1/admin/industry-sectors/`). New sectors are added on their industry's page.

use super::{
    admin_reference::{NamingForm, all_industries, not_found},
    form::FieldErrors,
    page::{failure, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    admin::industries::{self, IndustrySectorPatch},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/reference/sectors/{id}",
            get(sector_page).post(update_sector),
        )
        .route("/admin/reference/sectors/{id}/delete", post(delete_sector))
}

#[derive(Template)]
#[template(path = "admin/reference_sector.html")]
struct SectorPage {
    chrome: Chrome,
    id: i64,
    name: String,
    industry_id: i64,
    industry_name: String,
    form: NamingForm,
    /// `(id, name, selected)` of every industry, for moving the sector.
    industry_options: Vec<(i64, String, bool)>,
    errors: FieldErrors,
    problem: Option<String>,
}

/// The sector's page, with the form showing `form` (or the stored values) and `errors`.
async fn sector_view(
    state: &AppState,
    page: &OperatorPage,
    id: i64,
    status: StatusCode,
    edited: Option<(NamingForm, i64)>,
    errors: FieldErrors,
    problem: Option<String>,
) -> Response {
    let db = &state.quire.db;
    let sector = match industries::get_industry_sector(db, id).await {
        Ok(sector) => sector,
        Err(Error::NotFound) => return not_found("No such industry sector"),
        Err(error) => return failure(&error),
    };
    let industries = match all_industries(db).await {
        Ok(all) => all,
        Err(error) => return failure(&error),
    };
    let (form, chosen) = edited.unwrap_or_else(|| {
        (
            NamingForm::of(&sector.slug, &sector.name, &sector.description),
            sector.industry_id,
        )
    });
    let view = SectorPage {
        chrome: page.chrome("reference"),
        id,
        industry_name: industries
            .iter()
            .find(|(i, _)| i.id == sector.industry_id)
            .map(|(i, _)| i.name.clone())
            .unwrap_or_default(),
        industry_options: industries
            .into_iter()
            .map(|(i, _)| (i.id, i.name, i.id == chosen))
            .collect(),
        name: sector.name,
        industry_id: sector.industry_id,
        form,
        errors,
        problem,
    };
    render(status, &view)
}

async fn sector_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
) -> Response {
    sector_view(
        &state,
        &page,
        id,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        None,
    )
    .await
}

#[derive(Deserialize)]
struct SectorForm {
    #[serde(flatten)]
    naming: NamingForm,
    #[serde(default)]
    industry_id: String,
}

async fn update_sector(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<SectorForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.naming.csrf) {
        return expired_form();
    }
    let Ok(industry_id) = form.industry_id.trim().parse::<i64>() else {
        let mut errors = FieldErrors::default();
        errors.add("industry_id", "Choose an industry.");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return sector_view(
            &state,
            &page,
            id,
            status,
            Some((form.naming, 0)),
            errors,
            None,
        )
        .await;
    };
    let naming = form.naming;
    let patch = IndustrySectorPatch {
        industry_id: Some(industry_id),
        slug: Some(naming.slug.clone()),
        name: Some(naming.name.clone()),
        description: Some(naming.description.clone()),
    };
    let (db, operator, now) = (
        &state.quire.db,
        page.operator.user.id,
        state.quire.clock.now(),
    );
    match industries::update_industry_sector(db, operator, id, patch, now).await {
        Ok(updated) => Redirect::to(&format!(
            "/admin/reference/industries/{}?done=sector_saved",
            updated.industry_id
        ))
        .into_response(),
        Err(Error::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let edited = Some((naming, industry_id));
            sector_view(
                &state,
                &page,
                id,
                status,
                edited,
                FieldErrors::new(errors),
                None,
            )
            .await
        }
        Err(Error::Conflict(reason)) => {
            let edited = Some((naming, industry_id));
            let errors = FieldErrors::default();
            sector_view(
                &state,
                &page,
                id,
                StatusCode::CONFLICT,
                edited,
                errors,
                Some(reason),
            )
            .await
        }
        Err(Error::NotFound) => not_found("No such industry sector"),
        Err(error) => failure(&error),
    }
}

async fn delete_sector(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let industry_id = match industries::get_industry_sector(db, id).await {
        Ok(sector) => sector.industry_id,
        Err(Error::NotFound) => return not_found("No such industry sector"),
        Err(error) => return failure(&error),
    };
    let now = state.quire.clock.now();
    match industries::delete_industry_sector(db, page.operator.user.id, id, now).await {
        Ok(()) => Redirect::to(&format!(
            "/admin/reference/industries/{industry_id}?done=sector_deleted"
        ))
        .into_response(),
        Err(Error::Conflict(reason)) => {
            let errors = FieldErrors::default();
            sector_view(
                &state,
                &page,
                id,
                StatusCode::CONFLICT,
                None,
                errors,
                Some(reason),
            )
            .await
        }
        Err(Error::NotFound) => not_found("No such industry sector"),
        Err(error) => failure(&error),
    }
}
