//! The console's seed-keyword library: searched and filtered by industry, sector and intent,
//! and a CSV file imported all or nothing (`admin::seed_keywords`, as
//! `/api/v1/admin/seed-keywords/`). One keyword's form has its own module.

use super::{
    admin_reference::all_industries,
    form::FieldErrors,
    page::{PAGE_SIZE, enum_text, failure, messages, render},
    session::{Chrome, OperatorPage, expired_form},
    table::Sort,
};
use crate::{api::planner_keywords::IMPORT_BODY_LIMIT, state::AppState};
use askama::Template;
use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Multipart, Query, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use quire_core::{
    Error,
    admin::seed_keywords,
    entities::enums::KeywordIntent,
    listing::PageRequest,
    reference::catalogue::{self, SeedKeywordFilter},
};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reference/keywords", get(keywords_page))
        .route(
            "/admin/reference/keywords/import",
            post(import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .merge(super::admin_seed_keyword::router())
}

pub const INTENTS: [KeywordIntent; 4] = [
    KeywordIntent::Informational,
    KeywordIntent::Commercial,
    KeywordIntent::Transactional,
    KeywordIntent::Navigational,
];

/// A choice of a `<select>`: value, label, whether it is the one chosen.
pub type Choice = (String, String, bool);

/// The industries as option groups of their sectors: `(industry, [(sector id, name, chosen)])`.
pub type SectorGroups = Vec<(String, Vec<Choice>)>;

/// What the page knows of the reference data: the filter's choices and each sector's label.
pub struct Catalogue {
    industries: Vec<(i64, String)>,
    groups: Vec<(String, Vec<(i64, String)>)>,
    /// Sector id → `Industry › Sector`.
    labels: HashMap<i64, String>,
}

impl Catalogue {
    pub async fn load(state: &AppState) -> Result<Self, Error> {
        let all = all_industries(&state.quire.db).await?;
        let mut labels = HashMap::new();
        for (industry, sectors) in &all {
            for sector in sectors {
                labels.insert(sector.id, format!("{} › {}", industry.name, sector.name));
            }
        }
        Ok(Self {
            industries: all.iter().map(|(i, _)| (i.id, i.name.clone())).collect(),
            groups: all
                .into_iter()
                .map(|(i, sectors)| {
                    (
                        i.name,
                        sectors.into_iter().map(|s| (s.id, s.name)).collect(),
                    )
                })
                .collect(),
            labels,
        })
    }

    pub fn sector_groups(&self, chosen: &str) -> SectorGroups {
        self.groups
            .iter()
            .map(|(industry, sectors)| {
                let choices = sectors
                    .iter()
                    .map(|(id, name)| (id.to_string(), name.clone(), id.to_string() == chosen))
                    .collect();
                (industry.clone(), choices)
            })
            .collect()
    }

    fn industry_choices(&self, chosen: &str) -> Vec<Choice> {
        self.industries
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone(), id.to_string() == chosen))
            .collect()
    }
}

pub fn intent_choices(chosen: &str) -> Vec<Choice> {
    INTENTS
        .iter()
        .map(|intent| {
            let value = enum_text(intent);
            (value.clone(), value.clone(), value == chosen)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/reference_keywords.html")]
struct KeywordsPage {
    chrome: Chrome,
    search: String,
    industry_choices: Vec<Choice>,
    sector_groups: SectorGroups,
    intent_choices: Vec<Choice>,
    rows: Vec<KeywordRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    count: u64,
    notice: Option<String>,
    error: Option<String>,
    /// The import's refusal: the file's own problem, or each bad row's line and problems.
    file_error: String,
    row_errors: Vec<(u64, String)>,
}

struct KeywordRow {
    id: i64,
    keyword: String,
    sector: String,
    volume: i64,
    difficulty: i32,
    intent: String,
    country: String,
    language: String,
}

#[derive(Default, Deserialize)]
struct KeywordsQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    industry_id: String,
    #[serde(default)]
    industry_sector_id: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    ordering: String,
    page: Option<u64>,
    done: Option<String>,
    rows: Option<u64>,
    created: Option<u64>,
    duplicates: Option<u64>,
}

impl KeywordsQuery {
    fn notice(&self) -> Option<String> {
        Some(match self.done.as_deref()? {
            "created" => "Seed keyword added.".to_owned(),
            "saved" => "Seed keyword saved.".to_owned(),
            "deleted" => "Seed keyword deleted.".to_owned(),
            "imported" => format!(
                "Imported: {} rows read, {} keywords added, {} skipped as repeats.",
                self.rows.unwrap_or_default(),
                self.created.unwrap_or_default(),
                self.duplicates.unwrap_or_default()
            ),
            _ => return None,
        })
    }
}

/// An id typed in a filter: blank is none, anything else must be a number.
fn filter_id(errors: &mut FieldErrors, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let id = text.parse().ok();
    if id.is_none() {
        errors.add(field, "Choose from the list.");
    }
    id
}

async fn keywords_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<KeywordsQuery>,
) -> Response {
    keywords_view(
        &state,
        &page,
        query,
        StatusCode::OK,
        String::new(),
        Vec::new(),
    )
    .await
}

/// The library page: the list as `list` asks, and an import's refusal, if any, answered with
/// `status`.
async fn keywords_view(
    state: &AppState,
    page: &OperatorPage,
    list: KeywordsQuery,
    status: StatusCode,
    file_error: String,
    row_errors: Vec<(u64, String)>,
) -> Response {
    let catalogue = match Catalogue::load(state).await {
        Ok(catalogue) => catalogue,
        Err(error) => return failure(&error),
    };
    let mut view = KeywordsPage {
        chrome: page.chrome("reference"),
        search: list.search.clone(),
        industry_choices: catalogue.industry_choices(&list.industry_id),
        sector_groups: catalogue.sector_groups(&list.industry_sector_id),
        intent_choices: intent_choices(&list.intent),
        rows: Vec::new(),
        sort: Sort::new(
            "/admin/reference/keywords",
            &[
                ("search", &list.search),
                ("industry_id", &list.industry_id),
                ("industry_sector_id", &list.industry_sector_id),
                ("intent", &list.intent),
            ],
            Some(list.ordering.as_str()),
        ),
        page: 1,
        pages: 1,
        count: 0,
        notice: list.notice(),
        error: None,
        file_error,
        row_errors,
    };
    let mut errors = FieldErrors::default();
    let filter = SeedKeywordFilter {
        industry_id: filter_id(&mut errors, "industry_id", &list.industry_id),
        industry_sector_id: filter_id(&mut errors, "industry_sector_id", &list.industry_sector_id),
        intent: INTENTS
            .into_iter()
            .find(|intent| enum_text(intent) == list.intent),
        search: Some(list.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..SeedKeywordFilter::default()
    };
    let listed = match (
        errors.into_result(),
        PageRequest::new(list.page, Some(PAGE_SIZE)),
    ) {
        (Ok(()), Ok(request)) => {
            let db = &state.quire.db;
            let ordering = view.sort.ordering();
            let mut listed =
                catalogue::list_seed_keywords(db, filter.clone(), ordering, request).await;
            if view.sort.refused(&listed) {
                listed = catalogue::list_seed_keywords(db, filter, None, request).await;
            }
            listed
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match listed {
        Ok(listed) => {
            view.page = listed.page;
            view.count = listed.count;
            view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
            view.rows = listed
                .items
                .into_iter()
                .map(|k| KeywordRow {
                    sector: catalogue
                        .labels
                        .get(&k.industry_sector_id)
                        .cloned()
                        .unwrap_or_default(),
                    intent: enum_text(&k.intent),
                    id: k.id,
                    keyword: k.keyword,
                    volume: k.volume,
                    difficulty: k.difficulty,
                    country: k.country,
                    language: k.language,
                })
                .collect();
            render(status, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => Redirect::to("/admin/reference/keywords").into_response(),
        Err(error) => failure(&error),
    }
}

/// The upload form's fields: its CSRF token and the file.
async fn upload(mut multipart: Multipart) -> Result<(String, Bytes), StatusCode> {
    let (mut csrf, mut file) = (String::new(), Bytes::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.status())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| e.status())?,
            Some("file") => file = field.bytes().await.map_err(|e| e.status())?,
            _ => {}
        }
    }
    Ok((csrf, file))
}

/// Imports a CSV file through `admin::seed_keywords::import_csv`: every row or none. A
/// refused file or bad rows come back on the library page (422) with the file's problem or
/// each row's line and problems.
async fn import(
    State(state): State<AppState>,
    page: OperatorPage,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let refused = |status: StatusCode, file_error: &str, rows: Vec<(u64, String)>| {
        let list = KeywordsQuery::default();
        keywords_view(&state, &page, list, status, file_error.to_owned(), rows)
    };
    let Ok(multipart) = multipart else {
        return expired_form();
    };
    let (csrf, file) = match upload(multipart).await {
        Ok(fields) => fields,
        Err(StatusCode::PAYLOAD_TOO_LARGE) => {
            let too_large = "The file is larger than 16 MiB; split it into smaller files.";
            return refused(StatusCode::PAYLOAD_TOO_LARGE, too_large, Vec::new()).await;
        }
        Err(_) => return expired_form(),
    };
    if !page.csrf_ok(&state, &csrf) {
        return expired_form();
    }
    if file.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return refused(status, "Choose a CSV file to import.", Vec::new()).await;
    }
    let now = state.quire.clock.now();
    match seed_keywords::import_csv(&state.quire.db, page.operator.user.id, file, now).await {
        Ok(outcome) => {
            let query = serde_urlencoded::to_string([
                ("done", "imported".to_owned()),
                ("rows", outcome.rows.to_string()),
                ("created", outcome.created.to_string()),
                ("duplicates", outcome.duplicates.to_string()),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("/admin/reference/keywords?{query}")).into_response()
        }
        Err(Error::InvalidRows(rows)) => {
            let rows = rows
                .into_iter()
                .map(|row| (row.line, row.message))
                .collect();
            refused(StatusCode::UNPROCESSABLE_ENTITY, "", rows).await
        }
        Err(Error::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            refused(status, &messages(&errors), Vec::new()).await
        }
        Err(error) => failure(&error),
    }
}
