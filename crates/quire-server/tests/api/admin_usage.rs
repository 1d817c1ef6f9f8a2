//! Operators' usage report: sums per account, operation, model and UTC day checked against
//! usage rows written directly, with revenue and margin at the configured credit value;
//! filters, grouping, ordering, pages and the daily chart.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{DateTime, NaiveDate, Utc};
use quire_core::entities::{ai_usage_log, enums::UsageStatus};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use std::collections::BTreeMap;

quire_testkit::on_both_backends!(
    the_report_sums_each_account_operation_model_and_day_with_the_margin,
    filters_grouping_ordering_and_pages_narrow_the_report,
    bad_report_parameters_are_400,
    the_daily_chart_has_every_day_with_zeros_where_nothing_ran,
);

const CREDIT_VALUE: i64 = 25_000;

/// An operator's access token (the operator is created on first use).
pub async fn operator_token(app: &TestApp) -> String {
    let email = "ops@example.com";
    let _ = quire_core::accounts::operators::create(&app.quire, email, PASSWORD, "Ops").await;
    body(app.login(email, PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// One usage row to write: (account index, operation, model, instant, input, output, cost,
/// credits, failed).
type Call = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    i64,
    i64,
    bool,
);

const CALLS: &[Call] = &[
    (
        0,
        "generate_ideas",
        "gpt-4o-mini",
        "2026-03-01T09:00:00Z",
        1_000,
        500,
        450,
        2,
        false,
    ),
    (
        0,
        "generate_ideas",
        "gpt-4o-mini",
        "2026-03-01T23:59:59Z",
        2_000,
        700,
        720,
        3,
        false,
    ),
    // One second later: the next UTC day.
    (
        0,
        "generate_ideas",
        "gpt-4o-mini",
        "2026-03-02T00:00:00Z",
        100,
        50,
        45,
        1,
        false,
    ),
    (
        0,
        "generate_article",
        "gpt-4o",
        "2026-03-02T10:00:00Z",
        3_000,
        1_500,
        22_500,
        30,
        false,
    ),
    (
        0,
        "generate_article",
        "gpt-4o",
        "2026-03-02T11:00:00Z",
        0,
        0,
        0,
        0,
        true,
    ),
    (
        1,
        "generate_ideas",
        "gpt-4o-mini",
        "2026-03-01T12:00:00Z",
        500,
        200,
        195,
        1,
        false,
    ),
    // Costs more than its credit is worth: a negative margin.
    (
        1,
        "auto_cluster_ai",
        "gpt-4o",
        "2026-03-03T08:00:00Z",
        10_000,
        2_000,
        45_000,
        1,
        false,
    ),
];

struct Usage {
    app: TestApp,
    operator: String,
    tenant: String,
    accounts: [i64; 2],
}

async fn usage_app(backend: Backend) -> Usage {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.pricing.credit_value_micro_usd = CREDIT_VALUE;
    })
    .await;
    app.clock.set(at("2026-03-03T12:00:00Z"));
    let tenant = app.active_member("ada@example.com", "agency-monthly").await;
    app.active_member("bob@example.com", "agency-monthly").await;
    let accounts = [
        app.tenant("ada@example.com").await.account.id,
        app.tenant("bob@example.com").await.account.id,
    ];
    for &(account, operation, model, instant, input, output, cost, credits, failed) in CALLS {
        ai_usage_log::ActiveModel {
            account_id: Set(accounts[account]),
            operation: Set(operation.to_owned()),
            provider: Set("openai".to_owned()),
            model: Set(model.to_owned()),
            input_tokens: Set(input),
            output_tokens: Set(output),
            cost_micro_usd: Set(cost),
            credits_charged: Set(credits),
            status: Set(if failed {
                UsageStatus::Failed
            } else {
                UsageStatus::Succeeded
            }),
            error: Set(failed.then(|| "HTTP 500".to_owned())),
            latency_ms: Set(100),
            created_at: Set(at(instant)),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("usage row");
    }
    let operator = operator_token(&app).await;
    Usage {
        app,
        operator,
        tenant,
        accounts,
    }
}

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().expect("instant")
}

/// The figures of a set of calls, as the report shows them.
fn figures(calls: &[&Call]) -> Value {
    let sum = |f: fn(&Call) -> i64| calls.iter().map(|c| f(c)).sum::<i64>();
    let cost = sum(|c| c.6);
    let credits = sum(|c| c.7);
    json!({
        "calls": calls.len(),
        "failed_calls": calls.iter().filter(|c| c.8).count(),
        "input_tokens": sum(|c| c.4),
        "output_tokens": sum(|c| c.5),
        "cost_micro_usd": cost,
        "credits_charged": credits,
        "revenue_micro_usd": credits * CREDIT_VALUE,
        "margin_micro_usd": credits * CREDIT_VALUE - cost,
    })
}

fn day_of(call: &Call) -> String {
    call.3[..10].to_owned()
}

impl Usage {
    async fn report(&self, query: &str) -> Value {
        let response = self
            .app
            .get(
                &format!("/api/v1/admin/usage/{query}"),
                Some(&self.operator),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        body(response).await
    }

    async fn status_of(&self, query: &str) -> StatusCode {
        self.app
            .get(
                &format!("/api/v1/admin/usage/{query}"),
                Some(&self.operator),
            )
            .await
            .status()
    }

    /// The row's figures only (its keys taken out).
    fn row_figures(row: &Value) -> Value {
        let mut figures = row.clone();
        for key in ["account_id", "account_name", "operation", "model", "day"] {
            figures.as_object_mut().expect("object").remove(key);
        }
        figures
    }
}

async fn the_report_sums_each_account_operation_model_and_day_with_the_margin(backend: Backend) {
    let usage = usage_app(backend).await;
    let report = usage.report("?page_size=200").await;

    let mut expected: BTreeMap<(i64, String, String, String), Vec<&Call>> = BTreeMap::new();
    for call in CALLS {
        expected
            .entry((
                usage.accounts[call.0],
                call.1.to_owned(),
                call.2.to_owned(),
                day_of(call),
            ))
            .or_default()
            .push(call);
    }
    assert_eq!(report["count"], expected.len());
    let rows = report["results"].as_array().expect("rows");
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let key = (
            row["account_id"].as_i64().expect("account"),
            row["operation"].as_str().expect("operation").to_owned(),
            row["model"].as_str().expect("model").to_owned(),
            row["day"].as_str().expect("day").to_owned(),
        );
        let calls = expected.get(&key).unwrap_or_else(|| panic!("{row}"));
        assert_eq!(Usage::row_figures(row), figures(calls), "{key:?}");
        let owner = if key.0 == usage.accounts[0] {
            "ada"
        } else {
            "bob"
        };
        assert_eq!(row["account_name"], format!("{owner}@example.com account"));
    }
    // Newest day first.
    let days: Vec<&str> = rows
        .iter()
        .map(|r| r["day"].as_str().expect("day"))
        .collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");

    // The two calls either side of midnight fall on their own UTC days.
    let first_day = rows
        .iter()
        .find(|r| r["account_id"] == usage.accounts[0] && r["day"] == "2026-03-01")
        .expect("ada's first day");
    assert_eq!(first_day["calls"], 2);
    assert_eq!(first_day["credits_charged"], 5);
    assert_eq!(first_day["cost_micro_usd"], 1_170);
    assert_eq!(first_day["revenue_micro_usd"], 125_000);
    assert_eq!(first_day["margin_micro_usd"], 123_830);
    let loss = rows
        .iter()
        .find(|r| r["operation"] == "auto_cluster_ai")
        .expect("the loss");
    assert_eq!(loss["margin_micro_usd"], 25_000 - 45_000);

    let all: Vec<&Call> = CALLS.iter().collect();
    assert_eq!(report["totals"], figures(&all));
    assert_eq!(report["totals"]["credits_charged"], 38);
    assert_eq!(report["totals"]["cost_micro_usd"], 68_910);
    assert_eq!(report["totals"]["failed_calls"], 1);
    assert_eq!(report["totals"]["margin_micro_usd"], 38 * 25_000 - 68_910);
    assert_eq!(report["credit_value_micro_usd"], CREDIT_VALUE);

    // Tenants never see it.
    let response = usage
        .app
        .get("/api/v1/admin/usage/", Some(&usage.tenant))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn filters_grouping_ordering_and_pages_narrow_the_report(backend: Backend) {
    let usage = usage_app(backend).await;
    let [ada, bob] = usage.accounts;

    let by_account = usage.report("?group_by=account").await;
    assert_eq!(by_account["count"], 2);
    for row in by_account["results"].as_array().expect("rows") {
        assert!(row["operation"].is_null() && row["model"].is_null() && row["day"].is_null());
        let index = usize::from(row["account_id"] != ada);
        let calls: Vec<&Call> = CALLS.iter().filter(|c| c.0 == index).collect();
        assert_eq!(Usage::row_figures(row), figures(&calls));
    }

    let ideas = usage
        .report(&format!(
            "?account_id={ada}&operation=generate_ideas&group_by=day"
        ))
        .await;
    let rows = ideas["results"].as_array().expect("rows");
    assert_eq!(
        rows.iter()
            .map(|r| (r["day"].clone(), r["calls"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!("2026-03-02"), json!(1)),
            (json!("2026-03-01"), json!(2))
        ]
    );
    let selected: Vec<&Call> = CALLS
        .iter()
        .filter(|c| c.0 == 0 && c.1 == "generate_ideas")
        .collect();
    assert_eq!(ideas["totals"], figures(&selected));

    // Days are whole UTC days, both ends included.
    let one_day = usage
        .report("?from=2026-03-02&to=2026-03-02&group_by=model")
        .await;
    let selected: Vec<&Call> = CALLS.iter().filter(|c| day_of(c) == "2026-03-02").collect();
    assert_eq!(one_day["totals"], figures(&selected));
    assert_eq!(one_day["count"], 2);

    let model = usage
        .report("?model=gpt-4o&group_by=account,operation")
        .await;
    assert_eq!(model["count"], 2);
    let selected: Vec<&Call> = CALLS.iter().filter(|c| c.2 == "gpt-4o").collect();
    assert_eq!(model["totals"], figures(&selected));
    assert!(model["results"][0]["day"].is_null());

    // Worst margin first.
    let ordered = usage
        .report("?group_by=account&ordering=margin_micro_usd")
        .await;
    assert_eq!(ordered["results"][0]["account_id"], bob);
    let ordered = usage
        .report("?group_by=operation&ordering=-cost_micro_usd")
        .await;
    assert_eq!(ordered["results"][0]["operation"], "auto_cluster_ai");

    // Pages keep the filters; totals cover every page.
    let first = usage.report("?group_by=account,day&page_size=2").await;
    assert_eq!(first["count"], 4);
    assert_eq!(first["results"].as_array().expect("rows").len(), 2);
    let all: Vec<&Call> = CALLS.iter().collect();
    assert_eq!(first["totals"], figures(&all));
    let next = first["next"].as_str().expect("next page");
    assert!(next.contains("group_by=account%2Cday"), "{next}");
    let last = usage
        .report("?group_by=account,day&page_size=2&page=2")
        .await;
    assert_eq!(last["results"].as_array().expect("rows").len(), 2);
    assert!(last["next"].is_null());
    assert_eq!(
        usage
            .status_of("?group_by=account,day&page_size=2&page=3")
            .await,
        StatusCode::NOT_FOUND
    );

    // Nothing selected: no rows, zero totals.
    let none = usage.report("?from=2020-01-01&to=2020-01-31").await;
    assert_eq!(none["count"], 0);
    assert_eq!(none["totals"]["calls"], 0);
    assert_eq!(none["totals"]["margin_micro_usd"], 0);
}

async fn bad_report_parameters_are_400(backend: Backend) {
    let usage = usage_app(backend).await;
    for (query, field) in [
        ("?group_by=tenant", "group_by"),
        ("?group_by=", "group_by"),
        ("?from=2026-03-02&to=2026-03-01", "to"),
        ("?from=yesterday", "from"),
        ("?account_id=ada", "account_id"),
        ("?group_by=model&ordering=day", "ordering"),
        ("?ordering=password", "ordering"),
        ("?page_size=500", "page_size"),
    ] {
        let response = usage
            .app
            .get(
                &format!("/api/v1/admin/usage/{query}"),
                Some(&usage.operator),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let error = body(response).await;
        assert!(error.get(field).is_some(), "{query}: {error}");
    }
    for days in ["0", "367", "many"] {
        let response = usage
            .app
            .get(
                &format!("/api/v1/admin/usage/daily/?days={days}"),
                Some(&usage.operator),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{days}");
    }
}

async fn the_daily_chart_has_every_day_with_zeros_where_nothing_ran(backend: Backend) {
    let usage = usage_app(backend).await;
    let chart = body(
        usage
            .app
            .get("/api/v1/admin/usage/daily/?days=5", Some(&usage.operator))
            .await,
    )
    .await;
    let days: Vec<&str> = chart
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["day"].as_str().expect("day"))
        .collect();
    assert_eq!(
        days,
        [
            "2026-02-27",
            "2026-02-28",
            "2026-03-01",
            "2026-03-02",
            "2026-03-03"
        ]
    );
    for entry in chart.as_array().expect("days") {
        let day = entry["day"].as_str().expect("day");
        let calls: Vec<&Call> = CALLS.iter().filter(|c| day_of(c) == day).collect();
        let mut expected = figures(&calls);
        expected["day"] = json!(day);
        assert_eq!(*entry, expected, "{day}");
    }
    // Thirty days by default, ending today.
    let default = body(
        usage
            .app
            .get("/api/v1/admin/usage/daily/", Some(&usage.operator))
            .await,
    )
    .await;
    let default = default.as_array().expect("days");
    assert_eq!(default.len(), 30);
    assert_eq!(
        default.last().expect("today")["day"],
        NaiveDate::from_ymd_opt(2026, 3, 3)
            .expect("date")
            .to_string()
    );
}
