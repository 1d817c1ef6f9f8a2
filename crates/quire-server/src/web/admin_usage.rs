//! The console's usage report: AI calls grouped by account, operation, model or day, with
//! what they cost against what the credits charged for them are worth (`admin::usage`).

use super::{
    page::{PAGE_SIZE, failure, messages, render},
    session::{Chrome, OperatorPage},
    table::Sort,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use chrono::NaiveDate;
use quire_core::{
    Error,
    admin::usage::{self, UsageFigures, UsageReportFilter, UsageRow},
    billing::payments::format_amount,
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/usage", get(usage_page))
}

const GROUPINGS: [&str; 5] = [
    "account",
    "account,operation,model",
    "operation,model",
    "day",
    "account,day",
];

#[derive(Template)]
#[template(path = "admin/usage.html")]
struct UsagePage {
    chrome: Chrome,
    credit_value: String,
    group_options: Vec<(&'static str, bool)>,
    from: String,
    to: String,
    totals: Totals,
    rows: Vec<Row>,
    sort: Sort,
    page: u64,
    pages: u64,
    error: Option<String>,
}

struct Totals {
    calls: i64,
    cost: String,
    credits: i64,
    margin: String,
}

struct Row {
    group: String,
    calls: i64,
    failed: i64,
    tokens: String,
    cost: String,
    credits: i64,
    revenue: String,
    margin: String,
}

/// Millionths of a dollar as people read them, to the cent.
fn dollars(micro: i64) -> String {
    format_amount(micro / 10_000, "USD")
}

impl Row {
    fn new(row: UsageRow) -> Self {
        let group = [
            row.account_name
                .or(row.account_id.map(|id| format!("account {id}"))),
            row.operation,
            row.model,
            row.day.map(|d| d.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        let f = row.figures;
        Self {
            group,
            calls: f.calls,
            failed: f.failed_calls,
            tokens: format!("{} / {}", f.input_tokens, f.output_tokens),
            cost: dollars(f.cost_micro_usd),
            credits: f.credits_charged,
            revenue: dollars(f.revenue_micro_usd),
            margin: dollars(f.margin_micro_usd),
        }
    }
}

impl From<&UsageFigures> for Totals {
    fn from(f: &UsageFigures) -> Self {
        Self {
            calls: f.calls,
            cost: dollars(f.cost_micro_usd),
            credits: f.credits_charged,
            margin: dollars(f.margin_micro_usd),
        }
    }
}

#[derive(Deserialize)]
struct UsageQuery {
    group_by: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    ordering: Option<String>,
    page: Option<u64>,
}

async fn usage_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<UsageQuery>,
) -> Response {
    let group_by = query
        .group_by
        .filter(|g| GROUPINGS.contains(&g.as_str()))
        .unwrap_or_else(|| GROUPINGS[0].to_owned());
    let credit_value = state.quire.settings.pricing.credit_value_micro_usd;
    let mut view = UsagePage {
        chrome: page.chrome("usage"),
        credit_value: format!("{} micro-USD", credit_value),
        group_options: GROUPINGS.iter().map(|g| (*g, *g == group_by)).collect(),
        sort: Sort::new(
            "/admin/usage",
            &[
                ("group_by", &group_by),
                ("from", &query.from),
                ("to", &query.to),
            ],
            query.ordering.as_deref(),
        ),
        from: query.from.clone(),
        to: query.to.clone(),
        totals: Totals::from(&UsageFigures::default()),
        rows: Vec::new(),
        page: 1,
        pages: 1,
        error: None,
    };
    let day = |text: &str| -> Result<Option<NaiveDate>, ()> {
        match text.trim() {
            "" => Ok(None),
            text => text.parse().map(Some).map_err(drop),
        }
    };
    let (Ok(from), Ok(to)) = (day(&query.from), day(&query.to)) else {
        view.error = Some("Give days as YYYY-MM-DD.".to_owned());
        return render(StatusCode::BAD_REQUEST, &view);
    };
    let filter = UsageReportFilter {
        from,
        to,
        group_by: Some(group_by),
        ..UsageReportFilter::default()
    };
    let db = &state.quire.db;
    let report = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => {
            let ordering = view.sort.ordering();
            let report = usage::report(db, filter.clone(), ordering, request, credit_value).await;
            if view.sort.refused(&report) {
                usage::report(db, filter, None, request, credit_value).await
            } else {
                report
            }
        }
        Err(error) => Err(error),
    };
    match report {
        Ok(report) => {
            view.totals = Totals::from(&report.totals);
            view.page = report.page.page;
            view.pages = report.page.count.div_ceil(PAGE_SIZE).max(1);
            view.rows = report.page.items.into_iter().map(Row::new).collect();
            render(StatusCode::OK, &view)
        }
        Err(Error::Validation(errors)) => {
            view.error = Some(messages(&errors));
            render(StatusCode::BAD_REQUEST, &view)
        }
        Err(Error::NotFound) => render(StatusCode::OK, &view),
        Err(error) => failure(&error),
    }
}
