//! The tenant app's usage page: the credit ledger (every grant, reservation, charge and
//! refund) and the AI calls behind the charges, each filtered and paged.

use super::{
    app_notice::{Notice, explain},
    form::form_date,
    member::{AppChrome, MemberPage},
    page::{PAGE_SIZE, enum_text, failure, render},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::{DateTime, Days, Utc};
use quire_core::{
    Error, ValidationErrors,
    credits::{
        statement::{self, TransactionFilter},
        usage::{self, UsageFilter},
    },
    entities::enums::{CreditKind, UsageStatus},
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/usage", get(usage_page))
}

struct LedgerRow {
    id: i64,
    when: String,
    kind: String,
    operation: String,
    amount: i64,
    balance_after: i64,
    note: String,
}

struct CallRow {
    id: i64,
    when: String,
    operation: String,
    model: String,
    tokens: String,
    credits: i64,
    status: String,
    job_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "app/usage.html")]
struct UsagePage {
    chrome: AppChrome,
    ai: bool,
    notice: Option<Notice>,
    /// `(value, label, chosen)` of the kind filter.
    kinds: Vec<(String, String, bool)>,
    operation: String,
    from: String,
    to: String,
    ledger: Vec<LedgerRow>,
    calls: Vec<CallRow>,
    /// The filters as a query string, for the pager's links.
    query: String,
    page: u64,
    pages: u64,
}

#[derive(Deserialize, Default)]
struct UsageQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u64>,
}

/// An instant range: calls at or after the first, before the second.
type Period = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The query's dates: `from` at its start, `to` through its end.
fn period(query: &UsageQuery) -> Result<Period, Error> {
    let mut errors = ValidationErrors::default();
    let mut day = |field: &str, text: &str| {
        if text.trim().is_empty() {
            return None;
        }
        form_date(field, text)
            .map_err(|e| {
                e.fields()
                    .values()
                    .flatten()
                    .for_each(|m| errors.add(field, m.clone()))
            })
            .ok()
    };
    let from = day("from", &query.from);
    let to = day("to", &query.to).and_then(|t| t.checked_add_days(Days::new(1)));
    errors.into_result()?;
    Ok((from, to))
}

const KINDS: [CreditKind; 7] = [
    CreditKind::SignupGrant,
    CreditKind::RenewalGrant,
    CreditKind::MonthlyGrant,
    CreditKind::Usage,
    CreditKind::Reservation,
    CreditKind::Refund,
    CreditKind::Adjustment,
];

async fn usage_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<UsageQuery>,
) -> Response {
    let ai = query.tab == "ai";
    let mut view = UsagePage {
        chrome: page.chrome("usage"),
        ai,
        notice: None,
        kinds: KINDS
            .iter()
            .map(|k| {
                let text = enum_text(k);
                let chosen = text == query.kind;
                (text.clone(), text.replace('_', " "), chosen)
            })
            .collect(),
        operation: query.operation.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        ledger: Vec::new(),
        calls: Vec::new(),
        query: serde_urlencoded::to_string([
            ("tab", query.tab.as_str()),
            ("kind", &query.kind),
            ("operation", &query.operation),
            ("from", &query.from),
            ("to", &query.to),
        ])
        .unwrap_or_default(),
        page: 1,
        pages: 1,
    };
    match fill(&state, &page, &query, &mut view).await {
        Ok(()) => render(StatusCode::OK, &view),
        Err(Error::NotFound) => Redirect::to("/usage").into_response(),
        Err(error) => match explain(&error) {
            Some(notice) => {
                view.notice = Some(notice);
                render(StatusCode::UNPROCESSABLE_ENTITY, &view)
            }
            None => failure(&error),
        },
    }
}

/// Loads the page of ledger rows or AI calls the query asks for into `view`.
async fn fill(
    state: &AppState,
    page: &MemberPage,
    query: &UsageQuery,
    view: &mut UsagePage,
) -> Result<(), Error> {
    let (from, to) = period(query)?;
    let request = PageRequest::new(query.page, Some(PAGE_SIZE))?;
    let operation = Some(query.operation.trim().to_owned()).filter(|o| !o.is_empty());
    let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    if view.ai {
        let filter = UsageFilter {
            operation,
            status: None::<UsageStatus>,
            job_id: None,
            from,
            to,
        };
        let listed = usage::list(&state.quire.db, &page.tenant, filter, None, request).await?;
        view.page = listed.page;
        view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
        view.calls = listed
            .items
            .into_iter()
            .map(|u| CallRow {
                id: u.id,
                when: when(u.created_at),
                tokens: format!("{} in / {} out", u.input_tokens, u.output_tokens),
                credits: u.credits_charged,
                status: enum_text(&u.status),
                job_id: u.job_id,
                operation: u.operation,
                model: u.model,
            })
            .collect();
    } else {
        let kind = if query.kind.is_empty() {
            None
        } else {
            let parsed = serde_json::from_value(serde_json::Value::String(query.kind.clone()));
            Some(parsed.map_err(|_| {
                Error::Validation(ValidationErrors::single(
                    "kind",
                    "Choose a kind from the list.",
                ))
            })?)
        };
        let filter = TransactionFilter {
            kind,
            operation,
            from,
            to,
        };
        let listed =
            statement::transactions(&state.quire.db, &page.tenant, filter, None, request).await?;
        view.page = listed.page;
        view.pages = listed.count.div_ceil(PAGE_SIZE).max(1);
        view.ledger = listed
            .items
            .into_iter()
            .map(|t| LedgerRow {
                id: t.id,
                when: when(t.created_at),
                kind: enum_text(&t.kind).replace('_', " "),
                operation: t.operation.unwrap_or_default(),
                amount: t.amount,
                balance_after: t.balance_after,
                note: t.note.unwrap_or_default(),
            })
            .collect();
    }
    Ok(())
}
