//! One seed keyword in the console: the new-keyword form, a keyword's form, and deleting it
//! (`admin::seed_keywords`, as `/api/v1/admin/seed-keywords/{id}/`).

use super::{
    admin_seed_keywords::{Catalogue, Choice, INTENTS, SectorGroups, intent_choices},
    form::{FieldErrors, query, whole},
    page::{Message, enum_text, failure, render},
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
    admin::seed_keywords::{self, NewSeedKeyword, SeedKeywordPatch},
    entities::{enums::KeywordIntent, seed_keyword},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reference/keywords", post(create_keyword))
        .route("/admin/reference/keywords/new", get(new_keyword_page))
        .route(
            "/admin/reference/keywords/{id}",
            get(keyword_page).post(update_keyword),
        )
        .route(
            "/admin/reference/keywords/{id}/delete",
            post(delete_keyword),
        )
}

#[derive(Template)]
#[template(path = "admin/reference_keyword.html")]
struct KeywordPage {
    chrome: Chrome,
    /// `None` for a new keyword.
    id: Option<i64>,
    heading: String,
    form: KeywordForm,
    sector_groups: SectorGroups,
    intent_choices: Vec<Choice>,
    errors: FieldErrors,
}

/// A seed keyword's fields as typed.
#[derive(Default, Deserialize)]
struct KeywordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    industry_sector_id: String,
    #[serde(default)]
    volume: String,
    #[serde(default)]
    difficulty: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    language: String,
}

impl KeywordForm {
    fn of(k: &seed_keyword::Model) -> Self {
        Self {
            csrf: String::new(),
            keyword: k.keyword.clone(),
            industry_sector_id: k.industry_sector_id.to_string(),
            volume: k.volume.to_string(),
            difficulty: k.difficulty.to_string(),
            intent: enum_text(&k.intent),
            country: k.country.clone(),
            language: k.language.clone(),
        }
    }

    /// The fields as the core takes them, or the messages of those that are not numbers or
    /// choices.
    fn parsed(&self) -> Result<NewSeedKeyword, Error> {
        let mut errors = FieldErrors::default();
        let industry_sector_id = self.industry_sector_id.trim().parse().unwrap_or_else(|_| {
            errors.add(
                "industry_sector_id",
                "Choose the keyword's industry sector.",
            );
            0
        });
        let volume = whole(&mut errors, "volume", &self.volume);
        let difficulty = whole(&mut errors, "difficulty", &self.difficulty);
        let intent = INTENTS
            .into_iter()
            .find(|intent| enum_text(intent) == self.intent);
        if intent.is_none() {
            errors.add("intent", "Choose the searcher's intent.");
        }
        errors.into_result()?;
        Ok(NewSeedKeyword {
            keyword: self.keyword.clone(),
            industry_sector_id,
            volume,
            // Out of range either way: the core says what the range is.
            difficulty: i32::try_from(difficulty).unwrap_or(i32::MAX),
            intent: intent.unwrap_or(KeywordIntent::Informational),
            country: self.country.clone(),
            language: self.language.clone(),
        })
    }
}

/// The keyword form, new (`id` none) or of keyword `id`, as typed, with its messages.
async fn keyword_view(
    state: &AppState,
    page: &OperatorPage,
    id: Option<i64>,
    form: KeywordForm,
    errors: FieldErrors,
) -> Response {
    let catalogue = match Catalogue::load(state).await {
        Ok(catalogue) => catalogue,
        Err(error) => return failure(&error),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = KeywordPage {
        chrome: page.chrome("reference"),
        id,
        heading: match id {
            Some(_) => format!("Seed keyword “{}”", form.keyword),
            None => "New seed keyword".to_owned(),
        },
        sector_groups: catalogue.sector_groups(&form.industry_sector_id),
        intent_choices: intent_choices(&form.intent),
        form,
        errors,
    };
    render(status, &view)
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    industry_sector_id: String,
}

async fn new_keyword_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<NewQuery>,
) -> Response {
    let form = KeywordForm {
        industry_sector_id: query.industry_sector_id,
        intent: enum_text(&KeywordIntent::Informational),
        country: "US".to_owned(),
        language: "en".to_owned(),
        ..KeywordForm::default()
    };
    keyword_view(&state, &page, None, form, FieldErrors::default()).await
}

async fn keyword_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
) -> Response {
    match seed_keywords::get(&state.quire.db, id).await {
        Ok(found) => {
            let form = KeywordForm::of(&found);
            keyword_view(&state, &page, Some(id), form, FieldErrors::default()).await
        }
        Err(Error::NotFound) => not_found(),
        Err(error) => failure(&error),
    }
}

fn not_found() -> Response {
    Message {
        heading: "No such seed keyword",
        text: "It may have been deleted.".to_owned(),
        link: "/admin/reference/keywords",
        link_text: "All seed keywords",
    }
    .respond(StatusCode::NOT_FOUND)
}

/// Back to the library, showing the saved keyword among its sector's.
fn saved(keyword: &seed_keyword::Model, done: &str) -> Response {
    let sector = keyword.industry_sector_id.to_string();
    let query = query(&[
        ("industry_sector_id", &sector),
        ("search", &keyword.keyword),
        ("done", done),
    ]);
    Redirect::to(&format!("/admin/reference/keywords?{query}")).into_response()
}

async fn create_keyword(
    State(state): State<AppState>,
    page: OperatorPage,
    Form(form): Form<KeywordForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    let created = match form.parsed() {
        Ok(input) => {
            seed_keywords::create(&state.quire.db, page.operator.user.id, input, now).await
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(created) => saved(&created, "created"),
        Err(Error::Validation(errors)) => {
            keyword_view(&state, &page, None, form, FieldErrors::new(errors)).await
        }
        Err(error) => failure(&error),
    }
}

async fn update_keyword(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<KeywordForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    let updated = match form.parsed() {
        Ok(input) => {
            let patch = SeedKeywordPatch {
                keyword: Some(input.keyword),
                industry_sector_id: Some(input.industry_sector_id),
                volume: Some(input.volume),
                difficulty: Some(input.difficulty),
                intent: Some(input.intent),
                country: Some(input.country),
                language: Some(input.language),
            };
            seed_keywords::update(&state.quire.db, page.operator.user.id, id, patch, now).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(updated) => saved(&updated, "saved"),
        Err(Error::Validation(errors)) => {
            keyword_view(&state, &page, Some(id), form, FieldErrors::new(errors)).await
        }
        Err(Error::NotFound) => not_found(),
        Err(error) => failure(&error),
    }
}

async fn delete_keyword(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match seed_keywords::delete(&state.quire.db, page.operator.user.id, id, now).await {
        Ok(()) => Redirect::to("/admin/reference/keywords?done=deleted").into_response(),
        Err(Error::NotFound) => not_found(),
        Err(error) => failure(&error),
    }
}
