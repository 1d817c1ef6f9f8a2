//! The console's plans: the catalogue (every plan, sortable), creating and editing a plan,
//! deleting one nothing refers to, moving one up or down the display order, withdrawing and
//! offering one again — `admin::plans`, as `/api/v1/admin/plans/`.

use super::{
    admin_plan_form::PlanForm,
    form::FieldErrors,
    page::{Message, PAGE_SIZE, enum_text, failure, render},
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
    admin::plans::{self, PlanFilter, PlanOrder},
    billing::payments::format_amount,
    entities::plan,
    listing::{MAX_PAGE_SIZE, PageRequest},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/plans", get(plans_page))
        .route("/admin/plans/new", get(new_form).post(create))
        .route("/admin/plans/{id}/edit", get(edit_form).post(update))
        .route("/admin/plans/{id}/delete", post(delete))
        .route("/admin/plans/{id}/move", post(move_plan))
        .route("/admin/plans/{id}/activate", post(activate))
        .route("/admin/plans/{id}/deactivate", post(deactivate))
}

#[derive(Template)]
#[template(path = "admin/plans.html")]
struct PlansPage {
    chrome: Chrome,
    sort: Sort,
    /// Whether the list is in display order, where moving a plan up or down makes sense.
    movable: bool,
    rows: Vec<PlanRow>,
    page: u64,
    pages: u64,
    notice: Option<&'static str>,
}

struct PlanRow {
    id: i64,
    slug: String,
    name: String,
    sort_order: i32,
    price: String,
    cycle: String,
    credits: i64,
    policy: String,
    active: bool,
}

#[derive(Deserialize)]
struct PlansQuery {
    ordering: Option<String>,
    page: Option<u64>,
    done: Option<String>,
}

async fn plans_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<PlansQuery>,
) -> Response {
    let mut sort = Sort::new("/admin/plans", &[], query.ordering.as_deref());
    let request = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => request,
        Err(_) => return Redirect::to("/admin/plans").into_response(),
    };
    let db = &state.quire.db;
    let mut listed = plans::list(db, PlanFilter::default(), sort.ordering(), request).await;
    if sort.refused(&listed) {
        listed = plans::list(db, PlanFilter::default(), None, request).await;
    }
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/admin/plans").into_response(),
        Err(error) => return failure(&error),
    };
    render(
        StatusCode::OK,
        &PlansPage {
            chrome: page.chrome("plans"),
            movable: sort.ordering().is_none_or(|o| o == "sort_order"),
            sort,
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            notice: query.done.as_deref().and_then(|done| match done {
                "created" => Some("Plan created."),
                "saved" => Some("Plan saved. Accounts on it get the change from their next payment, grant or request."),
                "deleted" => Some("Plan deleted."),
                "moved" => Some("Plan moved; the pricing list shows the new order."),
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
                    sort_order: p.sort_order,
                    id: p.id,
                    slug: p.slug,
                    name: p.name,
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "admin/plan_form.html")]
struct PlanFormPage {
    chrome: Chrome,
    /// The plan being edited (id, name as stored); none for a new plan.
    editing: Option<(i64, String)>,
    form: PlanForm,
    errors: FieldErrors,
    /// What the core refused that is not about one field (deleting a plan in use).
    error: Option<String>,
}

impl PlanFormPage {
    fn respond(self, status: StatusCode) -> Response {
        render(status, &self)
    }
}

/// The form with the submitted input and what is wrong with it (422), or any other failure.
fn refused(
    chrome: Chrome,
    editing: Option<(i64, String)>,
    form: PlanForm,
    error: Error,
) -> Response {
    match error {
        Error::Validation(errors) => PlanFormPage {
            chrome,
            editing,
            form,
            errors: errors.into(),
            error: None,
        }
        .respond(StatusCode::UNPROCESSABLE_ENTITY),
        Error::NotFound => no_such_plan(),
        other => failure(&other),
    }
}

fn no_such_plan() -> Response {
    Message {
        heading: "No such plan",
        text: "It may have been deleted.".to_owned(),
        link: "/admin/plans",
        link_text: "All plans",
    }
    .respond(StatusCode::NOT_FOUND)
}

async fn new_form(page: OperatorPage) -> Response {
    PlanFormPage {
        chrome: page.chrome("plans"),
        editing: None,
        form: PlanForm::defaults(),
        errors: FieldErrors::default(),
        error: None,
    }
    .respond(StatusCode::OK)
}

/// A submitted plan form: its CSRF token and its fields.
#[derive(Deserialize)]
struct PlanSubmission {
    csrf: String,
    #[serde(flatten)]
    plan: PlanForm,
}

async fn create(
    State(state): State<AppState>,
    page: OperatorPage,
    Form(submitted): Form<PlanSubmission>,
) -> Response {
    if !page.csrf_ok(&state, &submitted.csrf) {
        return expired_form();
    }
    let form = submitted.plan;
    let created = match form.new_plan() {
        Ok(input) => {
            let now = state.quire.clock.now();
            plans::create(&state.quire.db, page.operator.user.id, input, now).await
        }
        Err(errors) => Err(Error::Validation(errors)),
    };
    match created {
        Ok(_) => Redirect::to("/admin/plans?done=created").into_response(),
        Err(error) => refused(page.chrome("plans"), None, form, error),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
) -> Response {
    match plans::get(&state.quire.db, id).await {
        Ok(plan) => edit_page(page.chrome("plans"), &plan, None).respond(StatusCode::OK),
        Err(Error::NotFound) => no_such_plan(),
        Err(error) => failure(&error),
    }
}

fn edit_page(chrome: Chrome, plan: &plan::Model, error: Option<String>) -> PlanFormPage {
    PlanFormPage {
        chrome,
        editing: Some((plan.id, plan.name.clone())),
        form: PlanForm::from(plan),
        errors: FieldErrors::default(),
        error,
    }
}

async fn update(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(submitted): Form<PlanSubmission>,
) -> Response {
    if !page.csrf_ok(&state, &submitted.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let current = match plans::get(db, id).await {
        Ok(plan) => plan,
        Err(Error::NotFound) => return no_such_plan(),
        Err(error) => return failure(&error),
    };
    let form = submitted.plan;
    let updated = match form.patch() {
        Ok(patch) => {
            let now = state.quire.clock.now();
            plans::update(db, page.operator.user.id, id, patch, now).await
        }
        Err(errors) => Err(Error::Validation(errors)),
    };
    match updated {
        Ok(_) => Redirect::to("/admin/plans?done=saved").into_response(),
        Err(error) => refused(page.chrome("plans"), Some((id, current.name)), form, error),
    }
}

/// Deletes a plan nothing refers to; a plan in use stays, and its page says why (409).
async fn delete(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let now = state.quire.clock.now();
    match plans::delete(db, page.operator.user.id, id, now).await {
        Ok(()) => Redirect::to("/admin/plans?done=deleted").into_response(),
        Err(Error::Conflict(reason)) => match plans::get(db, id).await {
            Ok(plan) => {
                edit_page(page.chrome("plans"), &plan, Some(reason)).respond(StatusCode::CONFLICT)
            }
            Err(Error::NotFound) => no_such_plan(),
            Err(error) => failure(&error),
        },
        Err(Error::NotFound) => no_such_plan(),
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    /// `up` (earlier in the display order) or `down`.
    direction: String,
}

/// Swaps the plan with its neighbour in the display order, through `admin::plans::reorder`.
/// The first plan moved up, or the last down, stays where it is.
async fn move_plan(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let mut ids = match display_order(&state).await {
        Ok(ids) => ids,
        Err(error) => return failure(&error),
    };
    let Some(at) = ids.iter().position(|plan| *plan == id) else {
        return no_such_plan();
    };
    let neighbour = match form.direction.as_str() {
        "up" => at.checked_sub(1),
        "down" => Some(at + 1).filter(|next| *next < ids.len()),
        _ => return Redirect::to("/admin/plans").into_response(),
    };
    let Some(neighbour) = neighbour else {
        return Redirect::to("/admin/plans").into_response();
    };
    ids.swap(at, neighbour);
    let now = state.quire.clock.now();
    let order = PlanOrder { plan_ids: ids };
    match plans::reorder(&state.quire.db, page.operator.user.id, order, now).await {
        Ok(_) => Redirect::to("/admin/plans?done=moved").into_response(),
        // A plan deleted meanwhile: the list shows what is there now.
        Err(Error::Validation(_)) => Redirect::to("/admin/plans").into_response(),
        Err(error) => failure(&error),
    }
}

/// Every plan's id in the display order (the core's default list order).
async fn display_order(state: &AppState) -> Result<Vec<i64>, Error> {
    let mut ids = Vec::new();
    for number in 1.. {
        let request = PageRequest::new(Some(number), Some(MAX_PAGE_SIZE))?;
        let listed = plans::list(&state.quire.db, PlanFilter::default(), None, request).await?;
        ids.extend(listed.items.iter().map(|p| p.id));
        if !listed.has_next() {
            break;
        }
    }
    Ok(ids)
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
