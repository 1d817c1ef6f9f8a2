//! The console's prompt templates: each operation's built-in template and override, setting
//! and removing an override, and a preview of the messages a call would send, rendered with
//! the operation's sample variables (`admin::prompts`, as `/api/v1/admin/ai/prompts/`).

use super::{
    admin_ai::actor,
    form::FieldErrors,
    page::{Message, failure, render},
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
    admin::prompts::{self, PreviewRequest, Prompt},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/ai/prompts", get(prompts_page))
        .route(
            "/admin/ai/prompts/{operation}",
            get(prompt_page).post(set_override),
        )
        .route("/admin/ai/prompts/{operation}/preview", post(preview))
        .route(
            "/admin/ai/prompts/{operation}/remove",
            post(remove_override),
        )
}

#[derive(Template)]
#[template(path = "admin/ai_prompts.html")]
struct PromptsPage {
    chrome: Chrome,
    /// `(operation, template id, override's last change)`.
    rows: Vec<(String, String, Option<String>)>,
}

async fn prompts_page(State(state): State<AppState>, page: OperatorPage) -> Response {
    match prompts::list(&state.quire.db).await {
        Ok(all) => render(
            StatusCode::OK,
            &PromptsPage {
                chrome: page.chrome("ai"),
                rows: all
                    .into_iter()
                    .map(|p| {
                        (
                            p.template.operation.to_owned(),
                            p.template.id(),
                            p.stored
                                .map(|o| o.updated_at.format("%Y-%m-%d %H:%M").to_string()),
                        )
                    })
                    .collect(),
            },
        ),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "admin/ai_prompt.html")]
struct PromptPage {
    chrome: Chrome,
    operation: String,
    template_id: String,
    default_text: String,
    has_override: bool,
    /// What the text area holds: as typed, else the override, else the built-in template.
    text: String,
    errors: FieldErrors,
    /// The rendered messages of a preview: `(role, content)`.
    preview: Vec<(&'static str, String)>,
    notice: Option<&'static str>,
}

impl PromptPage {
    fn new(chrome: Chrome, prompt: Prompt) -> Self {
        let default_text = prompt.template.text.to_owned();
        Self {
            chrome,
            operation: prompt.template.operation.to_owned(),
            template_id: prompt.template.id(),
            has_override: prompt.stored.is_some(),
            text: prompt
                .stored
                .map(|o| o.text)
                .unwrap_or_else(|| default_text.clone()),
            default_text,
            errors: FieldErrors::default(),
            preview: Vec::new(),
            notice: None,
        }
    }
}

fn not_found() -> Response {
    Message {
        heading: "No such prompt",
        text: "Prompt templates exist for Quire's AI operations only.".to_owned(),
        link: "/admin/ai/prompts",
        link_text: "Prompt templates",
    }
    .respond(StatusCode::NOT_FOUND)
}

/// The operation's page, changed by `change`, answered with `status`.
async fn prompt_view(
    state: &AppState,
    page: &OperatorPage,
    operation: &str,
    status: StatusCode,
    change: impl FnOnce(&mut PromptPage),
) -> Response {
    let found = match prompts::list(&state.quire.db).await {
        Ok(all) => all.into_iter().find(|p| p.template.operation == operation),
        Err(error) => return failure(&error),
    };
    let Some(prompt) = found else {
        return not_found();
    };
    let mut view = PromptPage::new(page.chrome("ai"), prompt);
    change(&mut view);
    render(status, &view)
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn prompt_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    prompt_view(&state, &page, &operation, StatusCode::OK, |view| {
        view.notice = query.done.as_deref().and_then(|done| match done {
            "saved" => Some("Override saved: the operation's next call uses it."),
            "removed" => Some("Override removed: the built-in template applies again."),
            _ => None,
        });
    })
    .await
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// The page again with the typed text and its messages (422).
async fn refused(
    state: &AppState,
    page: &OperatorPage,
    operation: &str,
    text: String,
    errors: quire_core::ValidationErrors,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    prompt_view(state, page, operation, status, |view| {
        view.text = text;
        view.errors = FieldErrors::new(errors);
    })
    .await
}

async fn set_override(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
    Form(form): Form<TextForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    let db = &state.quire.db;
    match prompts::set_override(db, &actor(&page), &operation, &form.text, now).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/ai/prompts/{}?done=saved",
            super::form::segment(&operation)
        ))
        .into_response(),
        Err(Error::Validation(errors)) => {
            refused(&state, &page, &operation, form.text, errors).await
        }
        Err(Error::NotFound) => not_found(),
        Err(error) => failure(&error),
    }
}

/// Renders the typed text with the operation's sample variables and shows the messages;
/// nothing is stored.
async fn preview(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
    Form(form): Form<TextForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let request = PreviewRequest {
        text: Some(form.text.clone()),
        context: None,
    };
    match prompts::preview(&state.quire.db, &operation, request).await {
        Ok(preview) => {
            let rendered = preview.rendered;
            prompt_view(&state, &page, &operation, StatusCode::OK, |view| {
                view.text = form.text;
                if !rendered.system.is_empty() {
                    view.preview.push(("system", rendered.system));
                }
                view.preview.push(("user", rendered.user));
            })
            .await
        }
        Err(Error::Validation(errors)) => {
            refused(&state, &page, &operation, form.text, errors).await
        }
        Err(Error::NotFound) => not_found(),
        Err(error) => failure(&error),
    }
}

async fn remove_override(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(operation): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    let path = format!("/admin/ai/prompts/{}", super::form::segment(&operation));
    match prompts::remove_override(&state.quire.db, &actor(&page), &operation, now).await {
        Ok(()) => Redirect::to(&format!("{path}?done=removed")).into_response(),
        // No override (removed meanwhile): the page shows the built-in template.
        Err(Error::NotFound) => Redirect::to(&path).into_response(),
        Err(error) => failure(&error),
    }
}
