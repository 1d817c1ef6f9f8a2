//! The operators' console under `/admin/`: sign-in and sign-out, the dashboard, and payments
//! (confirm a bank transfer, reject it with a reason) — the same services as `/api/v1/admin/`.

use super::{
    chart::{self, DayBars},
    page::{PAGE_SIZE, enum_text, failure, render, retry_in, with_retry_after},
    session::{
        Chrome, CsrfForm, OperatorPage, cookie, expired_form, login_cookie_name, new_form_token,
        session_cookie, session_cookie_name,
    },
    table::Sort,
};
use crate::{extract::ClientAddress, state::AppState};
use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{
    Error,
    accounts::sessions,
    admin::{dashboard, usage},
    billing::{
        apply,
        payments::{self, PayingAccount, PaymentFilter, format_amount},
    },
    entities::enums::{PaymentPurpose, PaymentStatus},
    listing::PageRequest,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(dashboard_page))
        .route("/admin/login", get(login_form).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/payments", get(payments_page))
        .route("/admin/payments/{id}/confirm", post(confirm_payment))
        .route("/admin/payments/{id}/reject", post(reject_payment))
        .merge(super::admin_accounts::router())
        .merge(super::admin_plans::router())
        .merge(super::admin_audit::router())
        .merge(super::admin_users::router())
        .merge(super::admin_usage::router())
        .merge(super::admin_reference::router())
        .merge(super::admin_ai::router())
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    error: Option<String>,
}

/// The sign-in form, with a fresh CSRF token in a cookie and in the form.
async fn login_form(State(state): State<AppState>, jar: CookieJar) -> Response {
    let token = new_form_token();
    let page = LoginPage {
        csrf: token.clone(),
        email: String::new(),
        error: None,
    };
    let jar = jar.add(cookie(&state.quire, login_cookie_name(&state.quire), token));
    (jar, render(StatusCode::OK, &page)).into_response()
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
    csrf: String,
}

/// Signs an operator in: the same checks and throttle as the API's login, then a page
/// session in a cookie. Tenants are sent away with their session closed again.
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    let quire = &state.quire;
    let expected = jar
        .get(login_cookie_name(quire))
        .map(|c| c.value().to_owned());
    if expected.as_deref() != Some(form.csrf.as_str()) {
        return expired_form();
    }
    let refuse = |status: StatusCode, error: String| {
        let page = LoginPage {
            csrf: form.csrf.clone(),
            email: form.email.clone(),
            error: Some(error),
        };
        render(status, &page)
    };
    let session = match sessions::login(quire, &form.email, &form.password, address).await {
        Ok(session) => session,
        Err(Error::InvalidCredentials) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Email or password is wrong.".to_owned(),
            );
        }
        Err(Error::Throttled { retry_after_secs }) => {
            return with_retry_after(
                refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed attempts. Try again {}.",
                        retry_in(retry_after_secs)
                    ),
                ),
                retry_after_secs,
            );
        }
        Err(Error::RateLimited { retry_after_secs }) => {
            return with_retry_after(
                refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many sign-in attempts. Try again {}.",
                        retry_in(retry_after_secs)
                    ),
                ),
                retry_after_secs,
            );
        }
        Err(other) => {
            tracing::info!(error = %other, "console sign-in refused");
            return refuse(StatusCode::FORBIDDEN, operators_only());
        }
    };
    if session.account.is_some() || !session.user.is_staff {
        let _ = sessions::logout(quire, &session.access.token, false).await;
        return refuse(StatusCode::FORBIDDEN, operators_only());
    }
    let token = match sessions::page_token(quire, &session) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(%error, "could not sign a page session");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Signing in failed; try again.".to_owned(),
            );
        }
    };
    let jar = jar
        .remove(cookie(quire, login_cookie_name(quire), String::new()))
        .add(session_cookie(quire, &token));
    (jar, Redirect::to("/admin/")).into_response()
}

fn operators_only() -> String {
    "This console is for operators. Tenants sign in to the Quire app instead.".to_owned()
}

/// Signs out: this session ends on every node at once.
async fn logout(
    State(state): State<AppState>,
    page: OperatorPage,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    if let Err(error) = sessions::logout_page(&state.quire, &page.token, false).await {
        tracing::warn!(%error, "sign-out failed");
    }
    let quire = &state.quire;
    let jar = jar.remove(cookie(quire, session_cookie_name(quire), String::new()));
    (jar, Redirect::to("/admin/login")).into_response()
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    chart: Vec<DayBars>,
    chart_days: usize,
    chart_width: u32,
    chart_height: u32,
    total_cost: String,
    total_revenue: String,
    pending_payments: u64,
    /// `(status, label, count)`.
    accounts_by_status: Vec<(String, String, u64)>,
    credits_granted: i64,
    credits_used: i64,
}

/// Days the dashboard's chart covers.
const CHART_DAYS: u32 = 30;

async fn dashboard_page(State(state): State<AppState>, page: OperatorPage) -> Response {
    let quire = &state.quire;
    let now = quire.clock.now();
    let days = match usage::daily(
        &quire.db,
        None,
        CHART_DAYS,
        now.date_naive(),
        quire.settings.pricing.credit_value_micro_usd,
    )
    .await
    {
        Ok(days) => days,
        Err(error) => return failure(&error),
    };
    let dollars = |micro: i64| format_amount(micro / 10_000, "USD");
    let series: Vec<_> = days
        .iter()
        .map(|d| {
            let f = &d.figures;
            (
                d.day.format("%d %b").to_string(),
                f.cost_micro_usd,
                f.revenue_micro_usd,
                format!(
                    "{}: AI cost {}, credits charged {} (worth {})",
                    d.day,
                    dollars(f.cost_micro_usd),
                    f.credits_charged,
                    dollars(f.revenue_micro_usd)
                ),
            )
        })
        .collect();
    let total_cost = dollars(days.iter().map(|d| d.figures.cost_micro_usd).sum());
    let total_revenue = dollars(days.iter().map(|d| d.figures.revenue_micro_usd).sum());
    match dashboard::summary(&quire.db, now).await {
        Ok(figures) => render(
            StatusCode::OK,
            &DashboardPage {
                chrome: page.chrome("dashboard"),
                chart: chart::bars(&series),
                chart_days: series.len(),
                chart_width: chart::width(series.len()),
                chart_height: chart::HEIGHT,
                total_cost,
                total_revenue,
                pending_payments: figures.pending_payments,
                accounts_by_status: figures
                    .accounts_by_status
                    .into_iter()
                    .map(|(status, count)| {
                        let status = enum_text(&status);
                        let label = status.replace('_', " ");
                        (status, label, count)
                    })
                    .collect(),
                credits_granted: figures.credits_granted,
                credits_used: figures.credits_used,
            },
        ),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsPage {
    chrome: Chrome,
    status: String,
    /// The status filter's choices, and whether each is the one shown.
    status_options: Vec<(&'static str, bool)>,
    rows: Vec<PaymentRow>,
    sort: Sort,
    page: u64,
    pages: u64,
    notice: Option<Notice>,
}

struct PaymentRow {
    id: i64,
    reference: String,
    created: String,
    account_name: String,
    owner_email: String,
    amount: String,
    purpose: &'static str,
    report: Option<String>,
    status: String,
    status_class: &'static str,
    note: Option<String>,
    pending: bool,
}

impl From<PayingAccount> for PaymentRow {
    fn from(row: PayingAccount) -> Self {
        let p = row.payment;
        let report = p.payer_name.as_ref().map(|name| {
            let mut parts = vec![name.clone()];
            parts.extend(p.payer_bank.clone());
            parts.extend(p.payer_transaction_ref.clone());
            parts.extend(
                p.transfer_date
                    .map(|d| format!("sent {}", d.format("%Y-%m-%d"))),
            );
            parts.join(" · ")
        });
        Self {
            id: p.id,
            reference: p.reference,
            created: p.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            account_name: row.account_name,
            owner_email: row.owner_email.unwrap_or_default(),
            amount: format_amount(p.amount, &p.currency),
            purpose: match p.purpose {
                PaymentPurpose::Subscription => "subscription period",
                PaymentPurpose::PlanChange => "plan change",
            },
            report,
            status: enum_text(&p.status),
            status_class: match p.status {
                PaymentStatus::Paid => "ok",
                PaymentStatus::Pending => "warn",
                PaymentStatus::Failed | PaymentStatus::Void => "bad",
            },
            note: p.note,
            pending: p.status == PaymentStatus::Pending,
        }
    }
}

/// What a redirect after an action tells the operator.
struct Notice {
    ok: bool,
    text: String,
}

#[derive(Deserialize)]
struct PaymentsQuery {
    status: Option<String>,
    ordering: Option<String>,
    page: Option<u64>,
    /// The outcome of the action that redirected here, and the payment's reference.
    done: Option<String>,
    reference: Option<String>,
}

async fn payments_page(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<PaymentsQuery>,
) -> Response {
    let status = query
        .status
        .filter(|s| STATUS_FILTERS.contains(&s.as_str()))
        .unwrap_or_else(|| "pending".to_owned());
    let filter = PaymentFilter {
        status: match status.as_str() {
            "pending" => Some(PaymentStatus::Pending),
            "paid" => Some(PaymentStatus::Paid),
            "failed" => Some(PaymentStatus::Failed),
            "void" => Some(PaymentStatus::Void),
            _ => None,
        },
        account_id: None,
    };
    let mut sort = Sort::new(
        "/admin/payments",
        &[("status", &status)],
        query.ordering.as_deref(),
    );
    let request = match PageRequest::new(query.page, Some(PAGE_SIZE)) {
        Ok(request) => request,
        Err(_) => return Redirect::to("/admin/payments").into_response(),
    };
    let db = &state.quire.db;
    let mut listed = payments::list_all(db, filter.clone(), sort.ordering(), request).await;
    if sort.refused(&listed) {
        listed = payments::list_all(db, filter, None, request).await;
    }
    let listed = match listed {
        Ok(listed) => listed,
        Err(Error::NotFound) => return Redirect::to("/admin/payments").into_response(),
        Err(error) => return failure(&error),
    };
    let reference = query.reference.unwrap_or_default();
    let notice = query.done.as_deref().map(|done| match done {
        "confirmed" => Notice {
            ok: true,
            text: format!("Payment {reference} confirmed: the account is active."),
        },
        "rejected" => Notice {
            ok: true,
            text: format!("Payment {reference} rejected; the account was told why."),
        },
        "note_required" => Notice {
            ok: false,
            text: "Give a reason (up to 1,000 characters) to reject a payment.".to_owned(),
        },
        _ => Notice {
            ok: false,
            text: "That payment is no longer pending; nothing was changed.".to_owned(),
        },
    });
    let pages = listed.count.div_ceil(PAGE_SIZE).max(1);
    render(
        StatusCode::OK,
        &PaymentsPage {
            chrome: page.chrome("payments"),
            status_options: STATUS_FILTERS
                .iter()
                .map(|option| (*option, *option == status))
                .collect(),
            status,
            sort,
            page: listed.page,
            pages,
            rows: listed.items.into_iter().map(PaymentRow::from).collect(),
            notice,
        },
    )
}

const STATUS_FILTERS: [&str; 5] = ["pending", "paid", "failed", "void", "all"];

/// Confirms a bank transfer through `apply_payment`, like `POST /api/v1/admin/payments/{id}/confirm/`.
async fn confirm_payment(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let operator = &page.operator.user;
    let outcome = apply::confirm(
        &state.quire,
        id,
        &format!("user:{}", operator.id),
        Some(operator.id),
    )
    .await
    .map(|applied| applied.payment.reference);
    after_action(outcome, "confirmed")
}

#[derive(Deserialize)]
struct RejectForm {
    csrf: String,
    note: String,
}

async fn reject_payment(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let outcome = payments::reject(
        &state.quire.db,
        id,
        page.operator.user.id,
        &form.note,
        state.quire.clock.now(),
    )
    .await
    .map(|rejected| rejected.reference);
    after_action(outcome, "rejected")
}

/// Back to the pending payments, saying what happened.
fn after_action(outcome: Result<String, Error>, done: &str) -> Response {
    let (done, reference) = match outcome {
        Ok(reference) => (done, reference),
        Err(Error::Validation(_)) => ("note_required", String::new()),
        Err(Error::Conflict(_) | Error::NotFound) => ("conflict", String::new()),
        Err(error) => return failure(&error),
    };
    let query = serde_urlencoded::to_string([
        ("status", "pending"),
        ("done", done),
        ("reference", reference.as_str()),
    ])
    .unwrap_or_default();
    Redirect::to(&format!("/admin/payments?{query}")).into_response()
}
