//! Adding keywords from the seed library (`reference::catalogue`, `planner::keywords::
//! bulk_add`): the seed keywords of the sector's industry sector (all of them when it has
//! none), searched and paged, picked with checkboxes.

use super::{
    app_keywords::KeywordsQuery,
    app_lists::{Choice, FormFields, Scope, and, link, number, page_number},
    app_notice::{Notice, explain, refusal_status},
    member::{self, AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
    session::expired_form,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use quire_core::{
    Error, ValidationErrors,
    entities::sector,
    listing::PageRequest,
    planner::keywords::{self, BulkAdd},
    reference::catalogue::{self, SeedKeywordFilter},
    tenancy::sectors,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/keywords/seeds", get(seeds_page).post(add_seeds))
}

#[derive(Deserialize, Default)]
struct SeedsQuery {
    #[serde(default)]
    sector_id: String,
    #[serde(default)]
    search: String,
    #[serde(default)]
    page: String,
}

struct SeedRow {
    id: i64,
    keyword: String,
    volume: i64,
    difficulty: i32,
    intent: String,
}

#[derive(Template)]
#[template(path = "app/keyword_seeds.html")]
struct SeedsPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    sectors: Vec<Choice>,
    /// The chosen sector's id and what the library offers it.
    sector: Option<(i64, String)>,
    search: String,
    rows: Vec<SeedRow>,
    page: u64,
    pages: u64,
    /// The sector and search, for the pager.
    query: String,
}

async fn seeds_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<SeedsQuery>,
) -> Response {
    show(&state, &page, query, None).await
}

/// The library page for `query`, with a refusal's notice and status when there is one.
async fn show(
    state: &AppState,
    page: &MemberPage,
    query: SeedsQuery,
    refusal: Option<(Notice, StatusCode)>,
) -> Response {
    let db = &state.quire.db;
    let scope = match Scope::load(state, &page.tenant, None).await {
        Ok(scope) => scope,
        Err(error) => return failure(&error),
    };
    let chosen = match number(&query.sector_id) {
        None => None,
        Some(id) => match sectors::get(db, &page.tenant, id).await {
            Ok(sector) => Some(sector),
            Err(Error::NotFound) => return member::not_found(),
            Err(error) => return failure(&error),
        },
    };
    let (rows, count, number) = match &chosen {
        None => (Vec::new(), 0, 1),
        Some(sector) => match library(state, sector, &query).await {
            Ok(page) => page,
            Err(Error::NotFound) => {
                let first = and(&format!("sector_id={}", sector.id), "search", &query.search);
                return Redirect::to(&link("/keywords/seeds", &first)).into_response();
            }
            Err(error) => return failure(&error),
        },
    };
    let (notice, status) = match refusal {
        Some((notice, status)) => (Some(notice), status),
        None => (None, StatusCode::OK),
    };
    let query_string = chosen
        .as_ref()
        .map(|s| {
            and(
                &format!("sector_id={}", s.id),
                "search",
                query.search.trim(),
            )
        })
        .unwrap_or_default();
    render(
        status,
        &SeedsPage {
            chrome: page.chrome("keywords"),
            notice,
            sectors: scope.sector_choices(chosen.as_ref().map(|s| s.id)),
            sector: chosen.as_ref().map(|s| (s.id, scope.sector_label(s.id))),
            search: query.search,
            rows,
            page: number,
            pages: count.div_ceil(PAGE_SIZE).max(1),
            query: query_string,
        },
    )
}

/// A page of the seed keywords `sector` may take, with the total and the page number.
async fn library(
    state: &AppState,
    sector: &sector::Model,
    query: &SeedsQuery,
) -> Result<(Vec<SeedRow>, u64, u64), Error> {
    let filter = SeedKeywordFilter {
        industry_sector_id: sector.industry_sector_id,
        search: Some(query.search.trim().to_owned()).filter(|s| !s.is_empty()),
        ..SeedKeywordFilter::default()
    };
    let request = PageRequest::new(Some(page_number(&query.page)), Some(PAGE_SIZE))?;
    let listed = catalogue::list_seed_keywords(&state.quire.db, filter, None, request).await?;
    let rows = listed
        .items
        .into_iter()
        .map(|s| SeedRow {
            id: s.id,
            keyword: s.keyword,
            volume: s.volume,
            difficulty: s.difficulty,
            intent: enum_text(&s.intent),
        })
        .collect();
    Ok((rows, listed.count, listed.page))
}

async fn add_seeds(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let sector_id = number(form.one("sector_id"));
    let added = match sector_id {
        None => Err(Error::Validation(ValidationErrors::single(
            "sector_id",
            "Choose the sector to add keywords to.",
        ))),
        Some(sector_id) => {
            let input = BulkAdd {
                sector_id,
                site_id: None,
                seed_keyword_ids: form.ids("seed_ids"),
            };
            keywords::bulk_add(&state.quire.db, &page.tenant, input).await
        }
    };
    let query = SeedsQuery {
        sector_id: form.one("sector_id").to_owned(),
        search: form.one("search").to_owned(),
        page: form.one("page").to_owned(),
    };
    match added {
        Ok(outcome) if outcome.errors.is_empty() => {
            let back = KeywordsQuery {
                sector_id: query.sector_id.trim().to_owned(),
                ..KeywordsQuery::default()
            };
            let to = back.after("seeded", outcome.created, Some(outcome.duplicates));
            Redirect::to(&to).into_response()
        }
        Ok(outcome) => {
            let refused: Vec<String> = outcome
                .errors
                .iter()
                .map(|e| format!("{} ({})", e.message, e.seed_keyword_id))
                .collect();
            let notice = Notice::refused(format!(
                "{} keywords added, {} skipped as already in the sector; these could not be \
                 added: {}",
                outcome.created,
                outcome.duplicates,
                refused.join(" ")
            ));
            show(&state, &page, query, Some((notice, StatusCode::OK))).await
        }
        Err(error) => match explain(&error) {
            Some(notice) => {
                let status = refusal_status(&error);
                show(&state, &page, query, Some((notice, status))).await
            }
            None => failure(&error),
        },
    }
}
