//! The operators' usage report: the AI usage log summed by account, operation, model and UTC
//! day, with what the credits charged are worth set against what the calls cost us.

use crate::{
    Error, ValidationErrors,
    db::Db,
    listing::{Page, PageRequest},
};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, Order, QueryResult,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest chart `daily` draws.
pub const MAX_DAYS: u32 = 366;

/// What the rows of the report are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKey {
    Account,
    Operation,
    Model,
    Day,
}

impl GroupKey {
    const ALL: [GroupKey; 4] = [
        GroupKey::Account,
        GroupKey::Operation,
        GroupKey::Model,
        GroupKey::Day,
    ];

    fn name(self) -> &'static str {
        match self {
            GroupKey::Account => "account",
            GroupKey::Operation => "operation",
            GroupKey::Model => "model",
            GroupKey::Day => "day",
        }
    }

    /// The key's column in the result, and its sort key.
    fn column(self) -> &'static str {
        match self {
            GroupKey::Account => "account_id",
            other => other.name(),
        }
    }

    /// The key as selected and grouped by (the day is the call's UTC date as `YYYY-MM-DD`).
    fn expr(self, backend: DatabaseBackend) -> Expr {
        match self {
            GroupKey::Account => Expr::cust("ai_usage_logs.account_id"),
            GroupKey::Operation => Expr::cust("ai_usage_logs.operation"),
            GroupKey::Model => Expr::cust("ai_usage_logs.model"),
            GroupKey::Day => match backend {
                DatabaseBackend::Postgres => {
                    Expr::cust("to_char(ai_usage_logs.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
                }
                // SQLite keeps instants as RFC 3339 text, which date() reads (offset included).
                _ => Expr::cust("date(ai_usage_logs.created_at)"),
            },
        }
    }
}

/// `?account_id=`, `?operation=`, `?model=`, `?from=`/`?to=` (UTC days, both included) and
/// `?group_by=`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageReportFilter {
    pub account_id: Option<i64>,
    pub operation: Option<String>,
    pub model: Option<String>,
    /// First UTC day included (`YYYY-MM-DD`).
    pub from: Option<NaiveDate>,
    /// Last UTC day included (`YYYY-MM-DD`).
    pub to: Option<NaiveDate>,
    /// Comma-separated subset of `account,operation,model,day` (default: all four).
    pub group_by: Option<String>,
}

/// Sums over a set of calls. Money in millionths of a US dollar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct UsageFigures {
    pub calls: i64,
    pub failed_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// What the calls cost us (the usage log's cost, from the model rates at the time).
    pub cost_micro_usd: i64,
    /// The credits the calls were priced at (failed calls are priced at none).
    pub credits_charged: i64,
    /// `credits_charged × pricing.credit_value_micro_usd`.
    pub revenue_micro_usd: i64,
    /// `revenue_micro_usd − cost_micro_usd`.
    pub margin_micro_usd: i64,
}

/// One group of the report; the keys it is not grouped by are null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UsageRow {
    pub account_id: Option<i64>,
    /// The account's name, when grouped by account.
    pub account_name: Option<String>,
    pub operation: Option<String>,
    pub model: Option<String>,
    /// The calls' UTC date.
    pub day: Option<NaiveDate>,
    #[serde(flatten)]
    pub figures: UsageFigures,
}

/// A page of groups and the totals over every call the filter selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    pub page: Page<UsageRow>,
    pub totals: UsageFigures,
}

/// One day of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DailyUsage {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub figures: UsageFigures,
}

/// The checked filter.
struct Selection {
    account_id: Option<i64>,
    operation: Option<String>,
    model: Option<String>,
    since: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

impl Selection {
    /// Every call on the UTC days `from` to `to`, both included (either end open); a `to`
    /// before `from` is a field error.
    fn between(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        errors: &mut ValidationErrors,
    ) -> Self {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.add("to", "The last day comes before the first.");
        }
        Self {
            account_id: None,
            operation: None,
            model: None,
            since: from.map(midnight),
            before: to.and_then(|day| day.checked_add_days(Days::new(1)).map(midnight)),
        }
    }

    /// `SELECT … FROM ai_usage_logs WHERE …`, nothing selected yet.
    fn select(&self) -> SelectStatement {
        let mut query = Query::select();
        query.from(Alias::new("ai_usage_logs"));
        if let Some(account_id) = self.account_id {
            query.and_where(Expr::cust("ai_usage_logs.account_id").eq(account_id));
        }
        if let Some(operation) = &self.operation {
            query.and_where(Expr::cust("ai_usage_logs.operation").eq(operation.as_str()));
        }
        if let Some(model) = &self.model {
            query.and_where(Expr::cust("ai_usage_logs.model").eq(model.as_str()));
        }
        if let Some(since) = self.since {
            query.and_where(Expr::cust("ai_usage_logs.created_at").gte(since));
        }
        if let Some(before) = self.before {
            query.and_where(Expr::cust("ai_usage_logs.created_at").lt(before));
        }
        query
    }
}

/// The sums every row carries, each an integer on both databases (PostgreSQL sums BIGINT
/// into NUMERIC otherwise) and 0 over no rows.
const SUMS: [(&str, &str); 6] = [
    ("calls", "COUNT(*)"),
    (
        "failed_calls",
        "SUM(CASE WHEN ai_usage_logs.status = 'failed' THEN 1 ELSE 0 END)",
    ),
    ("input_tokens", "SUM(ai_usage_logs.input_tokens)"),
    ("output_tokens", "SUM(ai_usage_logs.output_tokens)"),
    ("cost_micro_usd", "SUM(ai_usage_logs.cost_micro_usd)"),
    ("credits_charged", "SUM(ai_usage_logs.credits_charged)"),
];

fn sum_expr(aggregate: &str) -> String {
    format!("CAST(COALESCE({aggregate}, 0) AS BIGINT)")
}

fn select_sums(query: &mut SelectStatement) {
    for (name, aggregate) in SUMS {
        query.expr_as(Expr::cust(sum_expr(aggregate)), Alias::new(name));
    }
}

fn read_figures(row: &QueryResult, credit_value: i64) -> Result<UsageFigures, Error> {
    let get = |name: &str| row.try_get::<i64>("", name);
    let cost = get("cost_micro_usd")?;
    let credits = get("credits_charged")?;
    let revenue = i64::try_from(i128::from(credits) * i128::from(credit_value)).unwrap_or(i64::MAX);
    Ok(UsageFigures {
        calls: get("calls")?,
        failed_calls: get("failed_calls")?,
        input_tokens: get("input_tokens")?,
        output_tokens: get("output_tokens")?,
        cost_micro_usd: cost,
        credits_charged: credits,
        revenue_micro_usd: revenue,
        margin_micro_usd: revenue.saturating_sub(cost),
    })
}

/// The sort keys of the report: a group key (when grouped by it) or a sum.
fn order_expr(
    name: &str,
    keys: &[GroupKey],
    backend: DatabaseBackend,
    credit_value: i64,
) -> Option<Expr> {
    let sum = |column: &str| {
        SUMS.iter()
            .find(|(name, _)| *name == column)
            .map(|(_, aggregate)| sum_expr(aggregate))
    };
    match name {
        "account_id" | "operation" | "model" | "day" => keys
            .iter()
            .find(|key| key.column() == name)
            .map(|key| key.expr(backend)),
        "margin_micro_usd" => Some(Expr::cust(format!(
            "({} * {credit_value} - {})",
            sum("credits_charged")?,
            sum("cost_micro_usd")?
        ))),
        _ => sum(name).map(Expr::cust),
    }
}

const SORT_NAMES: &str = "day, account_id, operation, model (when grouped by them), calls, \
                          failed_calls, input_tokens, output_tokens, cost_micro_usd, \
                          credits_charged, margin_micro_usd";

fn parse_group_by(spec: Option<&str>, errors: &mut ValidationErrors) -> Vec<GroupKey> {
    let Some(spec) = spec else {
        return GroupKey::ALL.to_vec();
    };
    let mut keys = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match GroupKey::ALL.into_iter().find(|key| key.name() == name) {
            Some(key) if !keys.contains(&key) => keys.push(key),
            Some(_) => {}
            None => {
                errors.add(
                    "group_by",
                    "Group by any of: account, operation, model, day (comma-separated).",
                );
                return keys;
            }
        }
    }
    if keys.is_empty() {
        errors.add(
            "group_by",
            "Name at least one of: account, operation, model, day.",
        );
    }
    // Always in the same order, whatever order they were named in.
    keys.sort_by_key(|key| GroupKey::ALL.iter().position(|k| k == key));
    keys
}

/// The grouped statement: keys, sums, group by; the account's name joined when grouped by
/// account.
fn grouped(selection: &Selection, keys: &[GroupKey], backend: DatabaseBackend) -> SelectStatement {
    let mut query = selection.select();
    for key in keys {
        query.expr_as(key.expr(backend), Alias::new(key.column()));
        query.add_group_by([key.expr(backend)]);
        if *key == GroupKey::Account {
            query.left_join(
                Alias::new("accounts"),
                Expr::cust("accounts.id = ai_usage_logs.account_id"),
            );
            query.expr_as(Expr::cust("accounts.name"), Alias::new("account_name"));
            query.add_group_by([Expr::cust("accounts.name")]);
        }
    }
    select_sums(&mut query);
    query
}

fn read_row(row: &QueryResult, keys: &[GroupKey], credit_value: i64) -> Result<UsageRow, Error> {
    let mut result = UsageRow {
        account_id: None,
        account_name: None,
        operation: None,
        model: None,
        day: None,
        figures: read_figures(row, credit_value)?,
    };
    for key in keys {
        match key {
            GroupKey::Account => {
                result.account_id = Some(row.try_get("", "account_id")?);
                result.account_name = row.try_get("", "account_name")?;
            }
            GroupKey::Operation => result.operation = Some(row.try_get("", "operation")?),
            GroupKey::Model => result.model = Some(row.try_get("", "model")?),
            GroupKey::Day => {
                let text: String = row.try_get("", "day")?;
                result.day = Some(text.parse().map_err(|e| {
                    Error::Internal(format!("usage day {text:?} is not a date: {e}"))
                })?);
            }
        }
    }
    Ok(result)
}

/// The report: one page of groups, ordered by `ordering` (then newest day first, then
/// account, operation and model), and the totals over every selected call.
pub async fn report(
    db: &Db,
    filter: UsageReportFilter,
    ordering: Option<&str>,
    page: PageRequest,
    credit_value: i64,
) -> Result<UsageReport, Error> {
    let backend = db.get_database_backend();
    let mut errors = ValidationErrors::default();
    let keys = parse_group_by(filter.group_by.as_deref(), &mut errors);
    let selection = Selection {
        account_id: filter.account_id,
        operation: filter.operation,
        model: filter.model,
        ..Selection::between(filter.from, filter.to, &mut errors)
    };
    let mut order = Vec::new();
    for term in ordering
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (name, direction) = match term.strip_prefix('-') {
            Some(name) => (name, Order::Desc),
            None => (term, Order::Asc),
        };
        match order_expr(name, &keys, backend, credit_value) {
            Some(expr) => order.push((expr, direction)),
            None => errors.add(
                "ordering",
                format!("Order by one of: {SORT_NAMES} (prefix - to reverse)."),
            ),
        }
    }
    errors.into_result()?;

    let mut query = grouped(&selection, &keys, backend);
    let count = {
        let mut counted = Query::select();
        counted
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(query.clone(), Alias::new("groups"));
        db.query_one(&counted)
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
    };
    let count = u64::try_from(count).unwrap_or(0);
    let offset = (page.page - 1).saturating_mul(page.page_size);
    if page.page > 1 && offset >= count {
        return Err(Error::NotFound);
    }
    for (expr, direction) in order {
        query.order_by_expr(expr, direction);
    }
    // Then newest day first, then account, operation and model.
    for key in keys.iter().filter(|k| **k == GroupKey::Day) {
        query.order_by_expr(key.expr(backend), Order::Desc);
    }
    for key in keys.iter().filter(|k| **k != GroupKey::Day) {
        query.order_by_expr(key.expr(backend), Order::Asc);
    }
    query.offset(offset).limit(page.page_size);
    let items = db
        .query_all(&query)
        .await?
        .iter()
        .map(|row| read_row(row, &keys, credit_value))
        .collect::<Result<_, _>>()?;

    let mut totals = selection.select();
    select_sums(&mut totals);
    let totals = match db.query_one(&totals).await? {
        Some(row) => read_figures(&row, credit_value)?,
        None => UsageFigures::default(),
    };
    Ok(UsageReport {
        page: Page {
            count,
            page: page.page,
            page_size: page.page_size,
            items,
        },
        totals,
    })
}

/// Totals per UTC day for the `days` days up to and including `today`, oldest first; days
/// without calls are there with zeros. Over every account, or only `account_id`'s.
pub async fn daily(
    db: &Db,
    account_id: Option<i64>,
    days: u32,
    today: NaiveDate,
    credit_value: i64,
) -> Result<Vec<DailyUsage>, Error> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::Validation(ValidationErrors::single(
            "days",
            format!("Chart from 1 to {MAX_DAYS} days."),
        )));
    }
    let first = today
        .checked_sub_days(Days::new(u64::from(days - 1)))
        .unwrap_or(NaiveDate::MIN);
    let mut errors = ValidationErrors::default();
    let selection = Selection {
        account_id,
        ..Selection::between(Some(first), Some(today), &mut errors)
    };
    let keys = [GroupKey::Day];
    let rows = db
        .query_all(&grouped(&selection, &keys, db.get_database_backend()))
        .await?
        .iter()
        .map(|row| read_row(row, &keys, credit_value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(first
        .iter_days()
        .take_while(|day| *day <= today)
        .map(|day| DailyUsage {
            day,
            figures: rows
                .iter()
                .find(|row| row.day == Some(day))
                .map(|row| row.figures)
                .unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_by_takes_a_subset_in_a_fixed_order() {
        let mut errors = ValidationErrors::default();
        assert_eq!(
            parse_group_by(Some("day, account,day"), &mut errors),
            [GroupKey::Account, GroupKey::Day]
        );
        assert_eq!(parse_group_by(None, &mut errors), GroupKey::ALL);
        assert!(errors.is_empty());
        parse_group_by(Some("tenant"), &mut errors);
        assert!(errors.fields().contains_key("group_by"));
        let mut errors = ValidationErrors::default();
        parse_group_by(Some(" , "), &mut errors);
        assert!(errors.fields().contains_key("group_by"));
    }

    #[test]
    fn a_key_not_grouped_by_cannot_order_the_rows() {
        let keys = [GroupKey::Model];
        let backend = DatabaseBackend::Sqlite;
        assert!(order_expr("model", &keys, backend, 1).is_some());
        assert!(order_expr("day", &keys, backend, 1).is_none());
        assert!(order_expr("margin_micro_usd", &keys, backend, 1).is_some());
        assert!(order_expr("password", &keys, backend, 1).is_none());
    }
}
