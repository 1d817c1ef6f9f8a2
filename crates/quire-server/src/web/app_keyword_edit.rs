//! One keyword at a time (`planner::keywords`): add your own to a sector, change its text,
//! volume, difficulty, intent or status, and delete it.

use super::{
    app_keywords::{INTENTS, STATUSES},
    app_lists::{Choice, Scope, enum_choices, number, parse_enum},
    app_notice::{Notice, explain, refusal_status},
    form::FieldErrors,
    member::{self, AppChrome, MemberPage},
    page::{enum_text, failure, render},
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
    entities::keyword,
    planner::keywords::{self, KeywordPatch, NewKeyword},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/keywords/new", get(new_form).post(create))
        .route("/keywords/{id}", get(edit_form).post(update))
        .route("/keywords/{id}/delete", post(delete))
}

/// The keyword form as typed.
#[derive(Deserialize, Default)]
struct KeywordInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sector_id: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    volume: String,
    #[serde(default)]
    difficulty: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    status: String,
}

impl KeywordInput {
    fn from_model(k: &keyword::Model) -> Self {
        Self {
            sector_id: k.sector_id.to_string(),
            keyword: k.keyword.clone(),
            volume: k.volume.to_string(),
            difficulty: k.difficulty.map(|d| d.to_string()).unwrap_or_default(),
            intent: k.intent.map(|i| enum_text(&i)).unwrap_or_default(),
            status: enum_text(&k.status),
            ..Self::default()
        }
    }

    /// The numbers typed: blank is `None`, anything else must be a whole number.
    fn numbers(&self) -> Result<(Option<i64>, Option<i32>), Error> {
        let mut errors = ValidationErrors::default();
        let volume = whole(&mut errors, "volume", &self.volume);
        let difficulty = whole(&mut errors, "difficulty", &self.difficulty)
            .map(|d| i32::try_from(d).unwrap_or(i32::MAX));
        errors.into_result()?;
        Ok((volume, difficulty))
    }
}

fn whole(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text.parse().ok();
    if parsed.is_none() {
        errors.add(field, "Enter a whole number.");
    }
    parsed
}

#[derive(Template)]
#[template(path = "app/keyword.html")]
struct KeywordPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    /// The keyword edited; `None` adds one.
    editing: Option<i64>,
    sector: String,
    sectors: Vec<Choice>,
    input: KeywordInput,
    intents: Vec<Choice>,
    statuses: Vec<Choice>,
    errors: FieldErrors,
}

async fn show(
    state: &AppState,
    page: &MemberPage,
    editing: Option<i64>,
    input: KeywordInput,
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
    let scope = match Scope::load(state, &page.tenant, None).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let sector_id = number(&input.sector_id);
    render(
        status,
        &KeywordPage {
            chrome: page.chrome("keywords"),
            notice,
            editing,
            sector: sector_id
                .map(|id| scope.sector_label(id))
                .unwrap_or_default(),
            sectors: scope.sector_choices(sector_id),
            intents: enum_choices(INTENTS, input.intent.trim()),
            statuses: enum_choices(STATUSES, input.status.trim()),
            input,
            errors,
        },
    )
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    sector_id: String,
}

async fn new_form(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<NewQuery>,
) -> Response {
    let input = KeywordInput {
        sector_id: query.sector_id,
        ..KeywordInput::default()
    };
    show(&state, &page, None, input, None).await
}

async fn create(
    State(state): State<AppState>,
    page: MemberPage,
    Form(input): Form<KeywordInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let created = match (number(&input.sector_id), input.numbers()) {
        (_, Err(error)) => Err(error),
        (None, _) => Err(Error::Validation(ValidationErrors::single(
            "sector_id",
            "Choose the sector to add the keyword to.",
        ))),
        (Some(sector_id), Ok((volume, difficulty))) => {
            let new = NewKeyword {
                sector_id,
                site_id: None,
                keyword: Some(input.keyword.clone()),
                seed_keyword_id: None,
                volume,
                difficulty,
                intent: parse_enum(&input.intent),
            };
            keywords::create(&state.quire.db, &page.tenant, new).await
        }
    };
    match created {
        Ok(k) => {
            Redirect::to(&format!("/keywords?sector_id={}&done=added", k.sector_id)).into_response()
        }
        Err(error) => show(&state, &page, None, input, Some(&error)).await,
    }
}

async fn edit_form(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    match keywords::get(&state.quire.db, &page.tenant, id).await {
        Ok(k) => show(&state, &page, Some(id), KeywordInput::from_model(&k), None).await,
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}

async fn update(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(mut input): Form<KeywordInput>,
) -> Response {
    if !page.csrf_ok(&state, &input.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let current = match keywords::get(db, &page.tenant, id).await {
        Ok(k) => k,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    input.sector_id = current.sector_id.to_string();
    let updated = match input.numbers() {
        Err(error) => Err(error),
        Ok((volume, difficulty)) => {
            let patch = KeywordPatch {
                keyword: Some(input.keyword.clone()),
                volume: Some(volume.unwrap_or(0)),
                difficulty: Some(difficulty),
                intent: Some(parse_enum(&input.intent)),
                status: parse_enum(&input.status),
                cluster_id: None,
            };
            keywords::update(db, &page.tenant, id, patch).await
        }
    };
    match updated {
        Ok(k) => {
            Redirect::to(&format!("/keywords?sector_id={}&done=saved", k.sector_id)).into_response()
        }
        Err(error) => show(&state, &page, Some(id), input, Some(&error)).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let sector_id = match keywords::get(db, &page.tenant, id).await {
        Ok(k) => k.sector_id,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    match keywords::delete(db, &page.tenant, id).await {
        Ok(()) => Redirect::to(&format!(
            "/keywords?sector_id={sector_id}&done=deleted&count=1"
        ))
        .into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}
