//! The console's operation prices: each AI operation's minimum charge per call, or its flat
//! price, listed and edited (`admin::ai_settings`, as `/api/v1/admin/ai/operation-prices/`).

use super::{
    admin_ai::{ListQuery, actor},
    form::{FieldErrors, optional_whole, query, whole},
    page::{Message, PAGE_SIZE, failure, messages, render},
    session::{Chrome, OperatorPage, expired_form},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use quire_core::{
    Error,
    admin::ai_settings::{self, OperationPricePatch},
    entities::operation_price,
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/ai/prices", get(prices_page))
        .route(
            "/admin/ai/prices/{operation}",
            get(price_page).post(update_price),
        )
}

#[derive(Template)]
#[template(path = "admin/ai_prices.html")]
struct PricesPage {
    chrome: Chrome,
    rows: Vec<PriceRow>,
    query: String,
    page: u64,
    pages: u64,
    notice: Option<&'static str>,
    error: Option<String>,
}

struct PriceRow {
    operation: String,
    min_credits: i64,
    flat_credits: Option<i64>,
    updated: String,
}

async fn prices_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(list): Query<ListQuery>,
) -> Response {
    let mut view = PricesPage {
        chrome: page.chrome("ai"),
        rows: Vec::new(),
        query: query(&[("ordering", &list.ordering)]),
        page: 1,
        pages: 1,
        notice: (list.done.as_deref() == Some("saved"))
            .then_some("Price saved; the operation's next call is priced with it."),
        error: None,
    };
    let ordering = Some(list.ordering.as_str()).filter(|o| !o.is_empty());
    let listed = match PageRequest::new(list.page, Some(PAGE_SIZE)) {
        Ok(request) => ai_settings::list_operation_prices(&state.quire.db, ordering, request).await,
        Err(error) => Err(error),
    };
    match listed {
        Ok(listed) => {
            view.page = listed.page;
            view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
            view.rows = listed
                .items
                .into_iter()
                .map(|p| PriceRow {
                    updated: p.updated_at.format("%Y-%m-%d %H:%M").to_string(),
                    operation: p.operation,
                    min_credits: p.min_credits,
                    flat_credits: p.flat_credits,
                })
                .collect();
            render(StatusCode::OK, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => Redirect::to("/admin/ai/prices").into_response(),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "admin/ai_price.html")]
struct PricePage {
    chrome: Chrome,
    operation: String,
    form: PriceForm,
    errors: FieldErrors,
}

#[derive(Default, Deserialize)]
struct PriceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    min_credits: String,
    /// Blank: the operation is metered.
    #[serde(default)]
    flat_credits: String,
}

impl PriceForm {
    fn of(price: &operation_price::Model) -> Self {
        Self {
            csrf: String::new(),
            min_credits: price.min_credits.to_string(),
            flat_credits: price
                .flat_credits
                .map(|c| c.to_string())
                .unwrap_or_default(),
        }
    }
}

async fn price_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
) -> Response {
    let prices = match ai_settings::all_operation_prices(&state.quire.db).await {
        Ok(prices) => prices,
        Err(error) => return failure(&error),
    };
    let Some(price) = prices.into_iter().find(|p| p.operation == operation) else {
        return price_not_found();
    };
    let view = PricePage {
        chrome: page.chrome("ai"),
        form: PriceForm::of(&price),
        operation,
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

fn price_not_found() -> Response {
    Message {
        heading: "No such operation",
        text: "Operation prices exist for Quire's AI operations only.".to_owned(),
        link: "/admin/ai/prices",
        link_text: "Operation prices",
    }
    .respond(StatusCode::NOT_FOUND)
}

async fn update_price(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
    Form(form): Form<PriceForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let mut errors = FieldErrors::default();
    let patch = OperationPricePatch {
        min_credits: Some(whole(&mut errors, "min_credits", &form.min_credits)),
        flat_credits: Some(optional_whole(
            &mut errors,
            "flat_credits",
            &form.flat_credits,
        )),
    };
    let now = state.quire.clock.now();
    let updated = match errors.into_result() {
        Ok(()) => {
            let db = &state.quire.db;
            ai_settings::update_operation_price(db, &actor(&page), &operation, patch, now).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => Redirect::to("/admin/ai/prices?done=saved").into_response(),
        Err(Error::Validation(errors)) => {
            let view = PricePage {
                chrome: page.chrome("ai"),
                operation,
                form,
                errors: FieldErrors::new(errors),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(Error::NotFound) => price_not_found(),
        Err(error) => failure(&error),
    }
}
