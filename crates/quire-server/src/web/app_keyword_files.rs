//! Keyword files (`planner::keywords::import_csv`, `export_csv`): a CSV uploaded into a
//! sector, answered with what was added, what was skipped as a duplicate and every refused
//! row by its line; and the list's keywords, with its filters, as a CSV download.

use super::{
    app_keywords::KeywordsQuery,
    app_lists::{Choice, Scope, number, sorted},
    app_notice::{Notice, explain, refusal_status},
    form::FieldErrors,
    member::{AppChrome, MemberPage},
    page::{failure, render},
    session::expired_form,
};
use crate::{api::planner_keywords::IMPORT_BODY_LIMIT, state::AppState};
use askama::Template;
use axum::{
    Router,
    body::Bytes,
    extract::{
        DefaultBodyLimit, Multipart, Query, State,
        multipart::{MultipartError, MultipartRejection},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use quire_core::{
    Error, ValidationErrors,
    planner::keywords::{self, ImportOutcome, ImportTarget},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/keywords/import",
            get(import_form)
                .post(import)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/keywords/export", get(export))
}

/// A refused row of the file.
struct RowProblem {
    line: u64,
    message: String,
}

#[derive(Template)]
#[template(path = "app/keyword_import.html")]
struct ImportPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    sectors: Vec<Choice>,
    errors: FieldErrors,
    /// What the import did, when one ran.
    outcome: Option<ImportOutcome>,
    problems: Vec<RowProblem>,
    /// The sector imported into, for the link to its keywords.
    sector_id: Option<i64>,
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    sector_id: String,
}

async fn import_form(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<ImportQuery>,
) -> Response {
    let view = ImportView {
        sector_id: number(&query.sector_id),
        ..ImportView::default()
    };
    show(&state, &page, view, StatusCode::OK).await
}

/// What the import page shows besides its form.
#[derive(Default)]
struct ImportView {
    sector_id: Option<i64>,
    notice: Option<Notice>,
    errors: FieldErrors,
    outcome: Option<ImportOutcome>,
}

async fn show(
    state: &AppState,
    page: &MemberPage,
    view: ImportView,
    status: StatusCode,
) -> Response {
    let scope = match Scope::load(state, &page.tenant, None).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let problems = view
        .outcome
        .iter()
        .flat_map(|o| &o.errors)
        .map(|e| RowProblem {
            line: e.line,
            message: e.message.clone(),
        })
        .collect();
    render(
        status,
        &ImportPage {
            chrome: page.chrome("keywords"),
            notice: view.notice,
            sectors: scope.sector_choices(view.sector_id),
            errors: view.errors,
            outcome: view.outcome,
            problems,
            sector_id: view.sector_id,
        },
    )
}

/// The upload as sent: its CSRF token first, then the sector and the file.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    sector_id: String,
    file: Option<(String, Bytes)>,
}

/// Reads the form; on a broken upload, what was read so far and the reason.
async fn read_upload(mut multipart: Multipart) -> (Upload, Option<MultipartError>) {
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return (upload, None),
            Err(error) => return (upload, Some(error)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let read = match name.as_str() {
            "csrf" => field.text().await.map(|t| upload.csrf = Some(t)),
            "sector_id" => field.text().await.map(|t| upload.sector_id = t),
            "file" => field
                .bytes()
                .await
                .map(|b| upload.file = Some((file_name, b))),
            _ => Ok(()),
        };
        if let Err(error) = read {
            return (upload, Some(error));
        }
    }
}

async fn import(
    State(state): State<AppState>,
    page: MemberPage,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(multipart) = multipart else {
        return expired_form();
    };
    let (upload, broken) = read_upload(multipart).await;
    if !upload
        .csrf
        .as_deref()
        .is_some_and(|t| page.csrf_ok(&state, t))
    {
        return expired_form();
    }
    let sector_id = number(&upload.sector_id);
    let mut view = ImportView {
        sector_id,
        ..ImportView::default()
    };
    if let Some(error) = broken {
        let (text, status) = if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (
                "The file is larger than 16 MiB; split it into smaller files.",
                StatusCode::PAYLOAD_TOO_LARGE,
            )
        } else {
            (
                "The upload could not be read. Choose the file again and import.",
                StatusCode::BAD_REQUEST,
            )
        };
        view.notice = Some(Notice::refused(text));
        return show(&state, &page, view, status).await;
    }
    let mut missing = ValidationErrors::default();
    if sector_id.is_none() {
        missing.add("sector_id", "Choose the sector to import into.");
    }
    let file = upload
        .file
        .filter(|(name, bytes)| !name.is_empty() || !bytes.is_empty());
    if file.is_none() {
        missing.add("file", "Choose the CSV file to import.");
    }
    let imported = match (sector_id, file) {
        (Some(sector_id), Some((_, bytes))) => {
            let target = ImportTarget {
                sector_id,
                site_id: None,
            };
            keywords::import_csv(&state.quire.db, &page.tenant, target, bytes).await
        }
        _ => Err(Error::Validation(missing)),
    };
    match imported {
        Ok(outcome) => {
            let status = if outcome.created == 0 && !outcome.errors.is_empty() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            view.notice = Some(outcome_notice(&outcome));
            view.outcome = Some(outcome);
            show(&state, &page, view, status).await
        }
        Err(Error::Validation(errors)) => {
            view.notice = Some(Notice::refused(
                "Nothing was imported. Please correct the fields below.",
            ));
            view.errors = FieldErrors::new(errors);
            show(&state, &page, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => match explain(&error) {
            Some(notice) => {
                view.notice = Some(notice);
                show(&state, &page, view, refusal_status(&error)).await
            }
            None => failure(&error),
        },
    }
}

/// The import's counts in words.
fn outcome_notice(outcome: &ImportOutcome) -> Notice {
    let counts = format!(
        "{} keywords added; {} skipped as duplicates (repeated in the file or already in the \
         sector).",
        outcome.created, outcome.duplicates
    );
    match outcome.errors.len() {
        0 => Notice::ok(counts),
        refused => Notice::refused(format!(
            "{counts} {refused} rows could not be imported; they are listed below by line. Fix \
             them and import the file again: keywords already added are skipped."
        )),
    }
}

async fn export(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<KeywordsQuery>,
) -> Response {
    // An ordering the core refuses exports in the default order, as the list shows it.
    let (db, tenant) = (&state.quire.db, &page.tenant);
    let exported = sorted(&mut query.sort(), |ordering| {
        let filter = query.filter();
        async move { keywords::export_csv(db, tenant, filter, ordering.as_deref()).await }
    })
    .await;
    match exported {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"keywords.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(error) => failure(&error),
    }
}
