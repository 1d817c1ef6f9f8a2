//! The tenant app's dashboard: credits left and used this period, the credits charged per
//! day as a chart, and the newest jobs.

use super::{
    app_jobs::{self, JobRow},
    chart::{self, DayBars},
    member::{AppChrome, MemberPage},
    page::{failure, render},
};
use crate::state::AppState;
use askama::Template;
use axum::{Router, extract::State, http::StatusCode, response::Response, routing::get};
use quire_core::{admin::usage, credits::statement};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard_page))
}

/// Days the usage chart covers.
const CHART_DAYS: u32 = 30;
/// Jobs listed on the dashboard.
const RECENT_JOBS: u64 = 8;

#[derive(Template)]
#[template(path = "app/dashboard.html")]
struct DashboardPage {
    chrome: AppChrome,
    balance: i64,
    reserved: i64,
    used_this_period: i64,
    period: String,
    plan_name: String,
    chart: Vec<DayBars>,
    chart_days: usize,
    chart_width: u32,
    chart_height: u32,
    chart_total: i64,
    jobs: Vec<JobRow>,
}

async fn dashboard_page(State(state): State<AppState>, page: MemberPage) -> Response {
    let quire = &state.quire;
    let summary = match statement::summary(&quire.db, &page.tenant).await {
        Ok(summary) => summary,
        Err(error) => return failure(&error),
    };
    let days = match usage::daily(
        &quire.db,
        Some(page.tenant.account.id),
        CHART_DAYS,
        quire.clock.now().date_naive(),
        quire.settings.pricing.credit_value_micro_usd,
    )
    .await
    {
        Ok(days) => days,
        Err(error) => return failure(&error),
    };
    let jobs = match app_jobs::recent(&state, &page, RECENT_JOBS).await {
        Ok(jobs) => jobs,
        Err(error) => return failure(&error),
    };
    let series: Vec<_> = days
        .iter()
        .map(|d| {
            let credits = d.figures.credits_charged;
            let title = format!("{}: {credits} credits, {} calls", d.day, d.figures.calls);
            (d.day.format("%d %b").to_string(), credits, 0, title)
        })
        .collect();
    let period = match summary.period_end {
        Some(end) => format!(
            "{} to {}",
            summary.period_start.format("%d %b %Y"),
            end.format("%d %b %Y")
        ),
        None => format!("since {}", summary.period_start.format("%d %b %Y")),
    };
    render(
        StatusCode::OK,
        &DashboardPage {
            balance: summary.balance,
            reserved: summary.reserved,
            used_this_period: summary.used_this_period,
            period,
            plan_name: page.tenant.plan.name.clone(),
            chart: chart::bars(&series),
            chart_days: series.len(),
            chart_width: chart::width(series.len()),
            chart_height: chart::HEIGHT,
            chart_total: days.iter().map(|d| d.figures.credits_charged).sum(),
            jobs,
            chrome: page.chrome("dashboard"),
        },
    )
}
