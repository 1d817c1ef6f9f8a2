//! The console's plans: the catalogue, offered or withdrawn, and withdrawing or offering one
//! again (`admin::plans::offer::set_active`, as `POST /api/v1/admin/plans/{id}/deactivate/`).

use super::{
    page::{enum_text, failure, render},
    session::{Chrome, CsrfForm, OperatorPage, expired_form},
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
    admin::plans::{self, PlanFilter},
    billing::payments::format_amount,
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/plans", get(plans_page))
        .route("/admin/plans/{id}/activate", post(activate))
        .route("/admin/plans/{id}/deactivate", post(deactivate))
}

#[derive(Template)]
#[template(path = "admin/plans.html")]
struct PlansPage {
    chrome: Chrome,
    rows: Vec<PlanRow>,
    notice: Option<&'static str>,
}

struct PlanRow {
    id: i64,
    slug: String,
    name: String,
    price: String,
    cycle: String,
    credits: i64,
    policy: String,
    active: bool,
}

#[derive(Deserialize)]
struct PlansQuery {
    done: Option<String>,
}

async fn plans_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<PlansQuery>,
) -> Response {
    // The catalogue is small: one page of the largest size holds it.
    let request = match PageRequest::new(Some(1), Some(200)) {
        Ok(request) => request,
        Err(error) => return failure(&error),
    };
    let listed = match plans::list(&state.quire.db, PlanFilter::default(), None, request).await {
        Ok(listed) => listed,
        Err(error) => return failure(&error),
    };
    render(
        StatusCode::OK,
        &PlansPage {
            chrome: page.chrome("plans"),
            notice: query.done.as_deref().and_then(|done| match done {
                "activated" => Some("The plan is offered again; its tenants can work."),
                "deactivated" => Some("The plan is withdrawn; its tenants are refused (402)."),
                _ => None,
            }),
            rows: listed
                .items
                .into_iter()
                .map(|p| PlanRow {
                    price: format_amount(p.price, &p.currency),
                    cycle: enum_text(&p.billing_cycle),
                    credits: p.effective_credits_per_month(),
                    policy: enum_text(&p.credit_policy),
                    active: p.is_active,
                    id: p.id,
                    slug: p.slug,
                    name: p.name,
                })
                .collect(),
        },
    )
}

async fn activate(
    state: State<AppState>,
    page: OperatorPage,
    id: Path<i64>,
    form: Form<CsrfForm>,
) -> Response {
    set_active(state, page, id, form, true).await
}

async fn deactivate(
    state: State<AppState>,
    page: OperatorPage,
    id: Path<i64>,
    form: Form<CsrfForm>,
) -> Response {
    set_active(state, page, id, form, false).await
}

async fn set_active(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
    active: bool,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match plans::set_active(&state.quire.db, page.operator.user.id, id, active, now).await {
        Ok(_) => {
            let done = if active { "activated" } else { "deactivated" };
            Redirect::to(&format!("/admin/plans?done={done}")).into_response()
        }
        Err(Error::NotFound) => Redirect::to("/admin/plans").into_response(),
        Err(error) => failure(&error),
    }
}
