//! An article's history in the tenant app: its versions (paged, newest first), one version
//! rendered through the export's sanitiser, "Revert to this version", and the Markdown and
//! HTML downloads the API's export answers.

use super::{
    app_content::{ArticleHead, article, offline_draft},
    app_notice::{Notice, explain, refusal_status},
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, failure, render},
    session::expired_form,
};
use crate::{api::writer_content::download, state::AppState};
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
    entities::content,
    listing::PageRequest,
    writer::{
        content::{self as articles, Revert},
        export::{self, ExportParams},
    },
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/content/{id}/versions", get(versions_page))
        .route("/content/{id}/versions/{version}", get(version_page))
        .route("/content/{id}/revert", post(revert))
        .route("/content/{id}/export", get(export_file))
}

#[derive(Template)]
#[template(path = "app/versions.html")]
struct VersionsPage {
    chrome: AppChrome,
    head: ArticleHead,
    rows: Vec<VersionRow>,
    page: u64,
    pages: u64,
    notice: Option<Notice>,
}

struct VersionRow {
    version: i32,
    note: String,
    words: i32,
    created: String,
    current: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u64>,
}

/// Page `number` of the versions of `found`, with `notice`.
async fn versions(
    state: &AppState,
    page: &MemberPage,
    found: &content::Model,
    number: Option<u64>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let listed = match PageRequest::new(number, Some(PAGE_SIZE)) {
        Ok(request) => {
            articles::versions(&state.quire.db, &page.tenant, found.id, None, request).await
        }
        Err(error) => Err(error),
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => {
            return Redirect::to(&format!("/content/{}/versions", found.id)).into_response();
        }
        Err(error) => return failure(&error),
    };
    render(
        status,
        &VersionsPage {
            chrome: page.chrome("content"),
            head: ArticleHead::from(found),
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            notice,
            rows: listed
                .items
                .into_iter()
                .map(|v| VersionRow {
                    current: v.version == found.version,
                    version: v.version,
                    note: v.note,
                    words: v.word_count,
                    created: v.created_at.format("%Y-%m-%d %H:%M").to_string(),
                })
                .collect(),
        },
    )
}

async fn versions_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Response {
    match article(&state, &page, id).await {
        Ok(found) => versions(&state, &page, &found, query.page, None, StatusCode::OK).await,
        Err(response) => response,
    }
}

#[derive(Template)]
#[template(path = "app/version.html")]
struct VersionPage {
    chrome: AppChrome,
    content_id: i64,
    current: bool,
    version: i32,
    note: String,
    created: String,
    title: String,
    meta_title: String,
    meta_description: String,
    offline: bool,
    /// Rendered by [`export::to_html`]: sanitised, safe to insert as it is.
    html: String,
}

async fn version_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path((id, number)): Path<(i64, i32)>,
) -> Response {
    let db = &state.quire.db;
    let found = match tokio::try_join!(
        articles::get(db, &page.tenant, id),
        articles::version(db, &page.tenant, id, number)
    ) {
        Ok(found) => found,
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => return failure(&error),
    };
    let (current, version) = found;
    render(
        StatusCode::OK,
        &VersionPage {
            chrome: page.chrome("content"),
            content_id: current.id,
            current: current.version == version.version,
            version: version.version,
            note: version.note,
            created: version.created_at.format("%Y-%m-%d %H:%M").to_string(),
            title: version.title,
            meta_title: version.meta_title,
            meta_description: version.meta_description,
            offline: offline_draft(&version.body),
            html: export::to_html(&version.body),
        },
    )
}

#[derive(Deserialize)]
struct RevertForm {
    csrf: String,
    version: i32,
}

async fn revert(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<RevertForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let to = Revert {
        version: form.version,
    };
    let error = match articles::revert(&state.quire.db, &page.tenant, id, to).await {
        Ok(_) => return Redirect::to(&format!("/content/{id}?done=reverted")).into_response(),
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => error,
    };
    let Some(notice) = explain(&error) else {
        return failure(&error);
    };
    match article(&state, &page, id).await {
        Ok(found) => {
            let status = refusal_status(&error);
            versions(&state, &page, &found, None, Some(notice), status).await
        }
        Err(response) => response,
    }
}

/// The article as a file, exactly as `/api/v1/writer/content/{id}/export/` sends it.
async fn export_file(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Query(params): Query<ExportParams>,
) -> Response {
    let format = params.format.unwrap_or_default();
    match articles::export(&state.quire.db, &page.tenant, id, format).await {
        Ok(file) => download(file).into_response(),
        Err(Error::NotFound) => member::not_found(),
        Err(error) => failure(&error),
    }
}
