//! The tenant app's articles (`/content`): the list with filters and paging, an article
//! rendered section by section (Markdown through the export's sanitiser, never raw), each
//! section's "Regenerate" with instructions, and the edit form guarded by the version edited —
//! the same services as `/api/v1/writer/content/`.

use super::{
    app_lists::{
        Choice, enum_choices, filter_query, number, parse_enum, site_choices, site_names, with_any,
    },
    app_notice::{Notice, explain, refusal_status},
    form::FieldErrors,
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    session::expired_form,
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
    ai::offline::OFFLINE_LABEL,
    entities::{content, enums::ContentStatus},
    listing::PageRequest,
    writer::{
        content::{self as articles, ContentFilter, ContentPatch},
        export,
        regeneration::{self, RegenerateRequest},
        sections,
    },
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/content", get(contents_page))
        .route("/content/{id}", get(content_page))
        .route("/content/{id}/edit", get(edit_form).post(edit))
        .route("/content/{id}/regenerate", post(regenerate))
}

/// The statuses an article moves through.
pub(super) const CONTENT_STATUSES: [ContentStatus; 3] = [
    ContentStatus::Draft,
    ContentStatus::Review,
    ContentStatus::Published,
];

/// Whether Quire's offline provider wrote (some of) the text: every offline draft carries its
/// label.
pub(super) fn offline_draft(markdown: &str) -> bool {
    markdown.contains(OFFLINE_LABEL)
}

/// What every page of one article shows at its top.
pub(super) struct ArticleHead {
    pub id: i64,
    pub task_id: i64,
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    pub status: String,
    pub version: i32,
    pub words: i32,
    pub offline: bool,
    pub updated: String,
}

impl From<&content::Model> for ArticleHead {
    fn from(c: &content::Model) -> Self {
        Self {
            id: c.id,
            task_id: c.task_id,
            title: c.title.clone(),
            meta_title: c.meta_title.clone(),
            meta_description: c.meta_description.clone(),
            status: enum_text(&c.status),
            version: c.version,
            words: c.word_count,
            offline: offline_draft(&c.body),
            updated: c.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "app/contents.html")]
struct ContentsPage {
    chrome: AppChrome,
    search: String,
    sites: Vec<Choice>,
    statuses: Vec<Choice>,
    /// Whether a filter is set (an empty list then says "no match", not "no articles").
    filtered: bool,
    rows: Vec<ContentRow>,
    query: String,
    page: u64,
    pages: u64,
}

struct ContentRow {
    head: ArticleHead,
    site: String,
}

#[derive(Deserialize)]
struct ContentsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    search: String,
    page: Option<u64>,
}

async fn contents_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<ContentsQuery>,
) -> Response {
    let status: Option<ContentStatus> = parse_enum(&query.status);
    let site_id = number(&query.site_id);
    let filter = ContentFilter {
        site_id,
        status,
        search: Some(query.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..ContentFilter::default()
    };
    let listed = async {
        let request = PageRequest::new(query.page, Some(PAGE_SIZE))?;
        let db = &state.quire.db;
        tokio::try_join!(
            articles::list(db, &page.tenant, filter, Some("-updated_at"), request),
            site_names(&state, &page.tenant),
        )
    };
    let (listed, names) = match listed.await {
        Ok(found) => found,
        Err(Error::NotFound) => return Redirect::to("/content").into_response(),
        Err(error) => return failure(&error),
    };
    let filtered = status.is_some() || site_id.is_some() || !query.search.trim().is_empty();
    let status_text = status.map(|s| enum_text(&s)).unwrap_or_default();
    let site_text = site_id.map(|s| s.to_string()).unwrap_or_default();
    render(
        StatusCode::OK,
        &ContentsPage {
            chrome: page.chrome("content"),
            query: filter_query(&[
                ("status", &status_text),
                ("site_id", &site_text),
                ("search", &query.search),
            ]),
            search: query.search,
            sites: with_any("All sites", site_choices(&names, site_id)),
            statuses: with_any("Any status", enum_choices(&CONTENT_STATUSES, &status_text)),
            page: listed.page,
            pages: listed.count.div_ceil(PAGE_SIZE).max(1),
            filtered,
            rows: listed
                .items
                .iter()
                .map(|c| ContentRow {
                    head: ArticleHead::from(c),
                    site: names.get(&c.site_id).cloned().unwrap_or_default(),
                })
                .collect(),
        },
    )
}

/// One part of the article on its page: the sanitised HTML of its Markdown, and the section
/// a "Regenerate" rewrites.
struct Part {
    /// The stored section's id (absent only if the stored sections lag the body).
    section_id: Option<String>,
    /// Empty for the lead.
    heading: String,
    /// Rendered by [`export::to_html`]: sanitised, safe to insert as it is.
    html: String,
}

/// The body's parts, each rendered by the export's sanitiser, with their sections' ids.
fn parts(content: &content::Model) -> Vec<Part> {
    let stored = articles::sections(content);
    sections::parts(&content.body)
        .into_iter()
        .enumerate()
        .map(|(at, part)| Part {
            section_id: stored.get(at).map(|s| s.id.clone()),
            heading: part.heading.unwrap_or_default(),
            html: export::to_html(&content.body[part.range]),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "app/content.html")]
struct ContentPage {
    chrome: AppChrome,
    head: ArticleHead,
    parts: Vec<Part>,
    notice: Option<Notice>,
    /// The section whose refused "Regenerate" is shown open, with the instructions typed.
    open_section: String,
    instructions: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

fn done_notice(done: Option<&str>) -> Option<Notice> {
    let text = match done? {
        "saved" => "Saved. A changed title, meta or text became a new version.",
        "unchanged" => "Nothing changed, so no new version was made.",
        "reverted" => "Reverted: the earlier version's text is now the newest version.",
        _ => return None,
    };
    Some(Notice::ok(text))
}

/// The tenant's article `id`, or the response for why not (404 for another tenant's).
pub(super) async fn article(
    state: &AppState,
    page: &MemberPage,
    id: i64,
) -> Result<content::Model, Response> {
    match articles::get(&state.quire.db, &page.tenant, id).await {
        Ok(found) => Ok(found),
        Err(Error::NotFound) => Err(member::not_found()),
        Err(error) => Err(failure(&error)),
    }
}

async fn content_page(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let found = match article(&state, &page, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    render(
        StatusCode::OK,
        &ContentPage {
            chrome: page.chrome("content"),
            head: ArticleHead::from(&found),
            parts: parts(&found),
            notice: done_notice(query.done.as_deref()),
            open_section: String::new(),
            instructions: String::new(),
        },
    )
}

#[derive(Deserialize)]
struct RegenerateForm {
    csrf: String,
    #[serde(default)]
    section_id: String,
    #[serde(default)]
    instructions: String,
}

/// Starts the section's rewrite as a job and goes to its page; a refusal shows the article
/// again with the section's form open and the instructions kept.
async fn regenerate(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<RegenerateForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let found = match article(&state, &page, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let request = RegenerateRequest {
        content_id: found.id,
        section_id: form.section_id.clone(),
        instructions: form.instructions.clone(),
    };
    let quire = &state.quire;
    let started = match regeneration::plan(quire, &page.tenant, request).await {
        Ok(planned) => regeneration::enqueue(quire, &page.tenant, planned).await,
        Err(error) => Err(error),
    };
    let error = match started {
        Ok(job) => return Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(error) => error,
    };
    let Some(notice) = explain(&error) else {
        return failure(&error);
    };
    render(
        refusal_status(&error),
        &ContentPage {
            chrome: page.chrome("content"),
            head: ArticleHead::from(&found),
            parts: parts(&found),
            notice: Some(notice),
            open_section: form.section_id,
            instructions: form.instructions,
        },
    )
}

/// The edit form as shown and sent: `version` is the version the member edited.
#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    version: i32,
    #[serde(default)]
    title: String,
    #[serde(default)]
    meta_title: String,
    #[serde(default)]
    meta_description: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    status: String,
}

impl EditForm {
    fn of(c: &content::Model) -> Self {
        Self {
            csrf: String::new(),
            version: c.version,
            title: c.title.clone(),
            meta_title: c.meta_title.clone(),
            meta_description: c.meta_description.clone(),
            body: c.body.clone(),
            status: enum_text(&c.status),
        }
    }
}

#[derive(Template)]
#[template(path = "app/content_edit.html")]
struct EditPage {
    chrome: AppChrome,
    head: ArticleHead,
    form: EditForm,
    statuses: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<Notice>,
}

impl EditPage {
    fn new(page: &MemberPage, article: &content::Model, form: EditForm) -> Self {
        let statuses = enum_choices(&CONTENT_STATUSES, &form.status);
        Self {
            chrome: page.chrome("content"),
            head: ArticleHead::from(article),
            form,
            statuses,
            errors: FieldErrors::default(),
            notice: None,
        }
    }

    /// Messages for fields the form has no input for.
    fn other_errors(&self) -> String {
        self.errors
            .rest(&["title", "meta_title", "meta_description", "body", "status"])
    }
}

async fn edit_form(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    match article(&state, &page, id).await {
        Ok(found) => render(
            StatusCode::OK,
            &EditPage::new(&page, &found, EditForm::of(&found)),
        ),
        Err(response) => response,
    }
}

/// Saves the edit as the next version. When the article changed since the member opened the
/// form, nothing is saved: the form comes back with their text and the current version, so
/// saving again (after comparing) is a conscious overwrite.
async fn edit(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let db = &state.quire.db;
    let before = match article(&state, &page, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let patch = ContentPatch {
        title: Some(form.title.clone()),
        meta_title: Some(form.meta_title.clone()),
        meta_description: Some(form.meta_description.clone()),
        body: Some(form.body.clone()),
        status: parse_enum(&form.status),
        version: Some(form.version),
    };
    let error = match articles::update(db, &page.tenant, id, patch).await {
        Ok(saved) if saved == before => {
            return Redirect::to(&format!("/content/{id}?done=unchanged")).into_response();
        }
        Ok(_) => return Redirect::to(&format!("/content/{id}?done=saved")).into_response(),
        Err(Error::NotFound) => return member::not_found(),
        Err(error) => error,
    };
    let status = refusal_status(&error);
    let edited = form.version;
    let mut shown = EditPage::new(&page, &before, form);
    match error {
        Error::Validation(errors) => shown.errors = FieldErrors::new(errors),
        Error::Conflict(_) => {
            let current = match article(&state, &page, id).await {
                Ok(current) => current,
                Err(response) => return response,
            };
            shown.head = ArticleHead::from(&current);
            shown.form.version = current.version;
            shown.notice = Some(changed_meanwhile(edited, current.version));
        }
        error => match explain(&error) {
            Some(notice) => shown.notice = Some(notice),
            None => return failure(&error),
        },
    }
    render(status, &shown)
}

fn changed_meanwhile(edited: i32, current: i32) -> Notice {
    Notice::refused(format!(
        "This article changed meanwhile: you edited version {edited}, and it is now at version \
         {current}. Nothing was saved; your text is kept below. Open the article in another \
         tab to compare, then save again to make your text the next version."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_drafts_are_recognised_by_their_label() {
        assert!(offline_draft(&format!("{OFFLINE_LABEL}\n\nText.")));
        assert!(!offline_draft("A text written by a model."));
    }

    #[test]
    fn the_conflict_says_what_happened_and_what_to_do() {
        let notice = changed_meanwhile(2, 3);
        assert!(!notice.ok);
        assert!(notice.text.contains("changed meanwhile"));
        assert!(notice.text.contains("version 2"));
        assert!(notice.text.contains("version 3"));
    }
}
