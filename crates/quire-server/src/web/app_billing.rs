//! The tenant app's billing page: the plan and subscription, cancel at the period's end and
//! resume, change plan, the payments with the transfers still to make, and "I have paid".

use super::{
    app_notice::{Notice, explain},
    form::{FieldErrors, form_date},
    member::{AppChrome, MemberPage, not_found},
    page::{enum_text, failure, render},
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
use chrono::{DateTime, Utc};
use quire_core::{
    Error,
    billing::{
        payments::{self, PaymentInstructions, TransferNotice, format_amount},
        plan_change::{self, TakesEffect},
        plans, subscription_actions,
    },
    entities::{
        enums::{BillingCycle, PaymentStatus},
        payment, plan,
    },
    listing::PageRequest,
    tenancy::account::{self, AccountPatch},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(billing_page))
        .route("/billing/account", post(save_account))
        .route("/billing/subscriptions/{id}/cancel", post(cancel))
        .route("/billing/subscriptions/{id}/resume", post(resume))
        .route("/billing/subscriptions/{id}/change_plan", post(change_plan))
        .route(
            "/billing/payments/{id}/report",
            get(report_form).post(report),
        )
}

/// Payments listed on the billing page (newest first).
const PAYMENTS_SHOWN: u64 = 24;

fn day(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%d %b %Y").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

fn price(plan: &plan::Model) -> String {
    match (plan.is_free(), plan.billing_cycle) {
        (true, _) => "Free".to_owned(),
        (false, BillingCycle::Monthly) => {
            format!("{} a month", format_amount(plan.price, &plan.currency))
        }
        (false, BillingCycle::Annual) => {
            format!("{} a year", format_amount(plan.price, &plan.currency))
        }
    }
}

struct SubscriptionView {
    id: i64,
    status: String,
    period_start: String,
    period_end: String,
    cancel_at_period_end: bool,
    /// The plan it moves to at the renewal, if a downgrade is scheduled.
    scheduled_plan: Option<String>,
    can_cancel: bool,
    can_change: bool,
}

struct PaymentRow {
    id: i64,
    reference: String,
    amount: String,
    purpose: String,
    status: String,
    pending: bool,
    reported: bool,
    period: String,
    created: String,
    instructions: Option<PaymentInstructions>,
}

struct PlanOption {
    id: i64,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "app/billing.html")]
struct BillingPage {
    chrome: AppChrome,
    notice: Option<Notice>,
    plan_name: String,
    plan_price: String,
    plan_credits: i64,
    account_status: String,
    subscription: Option<SubscriptionView>,
    plans: Vec<PlanOption>,
    payments: Vec<PaymentRow>,
    account: AccountForm,
    account_errors: FieldErrors,
}

/// The account's name and billing details, as its form shows and sends them.
#[derive(Deserialize, Default)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    billing_email: String,
    #[serde(default)]
    billing_name: String,
    #[serde(default)]
    billing_address: String,
    #[serde(default)]
    billing_country: String,
    #[serde(default)]
    tax_id: String,
}

impl AccountForm {
    fn of(account: &quire_core::entities::account::Model) -> Self {
        Self {
            csrf: String::new(),
            name: account.name.clone(),
            billing_email: account.billing_email.clone().unwrap_or_default(),
            billing_name: account.billing_name.clone().unwrap_or_default(),
            billing_address: account.billing_address.clone().unwrap_or_default(),
            billing_country: account.billing_country.clone().unwrap_or_default(),
            tax_id: account.tax_id.clone().unwrap_or_default(),
        }
    }

    /// Every field as sent: blank optional ones are cleared.
    fn patch(&self) -> AccountPatch {
        let optional = |text: &str| Some(Some(text.trim().to_owned()).filter(|t| !t.is_empty()));
        AccountPatch {
            name: Some(self.name.clone()),
            billing_email: optional(&self.billing_email),
            billing_name: optional(&self.billing_name),
            billing_address: optional(&self.billing_address),
            billing_country: optional(&self.billing_country),
            tax_id: optional(&self.tax_id),
        }
    }
}

#[derive(Deserialize)]
struct BillingQuery {
    done: Option<String>,
}

fn done_notice(done: &str) -> Option<Notice> {
    Some(Notice::ok(match done {
        "cancelled" => {
            "Your subscription ends at the end of this period. You keep working and \
                        spending your credits until then; resume any time before."
        }
        "resumed" => "Your subscription continues: it renews at the end of this period.",
        "upgrade" => {
            "Your new plan starts once its payment is confirmed. Make the transfer \
                      shown under Payments, then tell us you have paid."
        }
        "downgrade" => "Your plan changes at the end of this period.",
        "unchanged" => "You stay on your current plan; any pending change is cancelled.",
        "reported" => "Thank you: an operator confirms the transfer once it reaches our bank.",
        "account" => "Your account's details are saved.",
        _ => return None,
    }))
}

async fn billing_page(
    State(state): State<AppState>,
    page: MemberPage,
    Query(query): Query<BillingQuery>,
) -> Response {
    let notice = query.done.as_deref().and_then(done_notice);
    match billing_view(&state, &page, notice).await {
        Ok(view) => render(StatusCode::OK, &view),
        Err(error) => failure(&error),
    }
}

async fn billing_view(
    state: &AppState,
    page: &MemberPage,
    notice: Option<Notice>,
) -> Result<BillingPage, Error> {
    let quire = &state.quire;
    let tenant = &page.tenant;
    let offered = plans::list_active(&quire.db).await?;
    let latest =
        account::list_subscriptions(&quire.db, tenant, PageRequest::new(Some(1), Some(1))?)
            .await?
            .items
            .into_iter()
            .next();
    let listed = payments::list_own(
        &quire.db,
        tenant,
        None,
        PageRequest::new(Some(1), Some(PAYMENTS_SHOWN))?,
    )
    .await?;
    let plan_name = |id: i64| {
        offered
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("plan {id}"), |p| p.name.clone())
    };
    let subscription = latest.map(|s| {
        let running = matches!(
            s.status,
            quire_core::entities::enums::SubscriptionStatus::Active
                | quire_core::entities::enums::SubscriptionStatus::Trialing
        );
        SubscriptionView {
            id: s.id,
            status: enum_text(&s.status).replace('_', " "),
            period_start: day(s.current_period_start),
            period_end: day(s.current_period_end),
            cancel_at_period_end: s.cancel_at_period_end,
            scheduled_plan: s.scheduled_plan_id.map(plan_name),
            can_cancel: running,
            can_change: !s.cancel_at_period_end
                && (running
                    || s.status == quire_core::entities::enums::SubscriptionStatus::PastDue),
        }
    });
    let bank = &quire.settings.bank_transfer;
    Ok(BillingPage {
        chrome: page.chrome("billing"),
        notice,
        plan_name: tenant.plan.name.clone(),
        plan_price: price(&tenant.plan),
        plan_credits: tenant.plan.effective_credits_per_month(),
        account_status: enum_text(&tenant.account.status).replace('_', " "),
        subscription,
        plans: offered
            .iter()
            .map(|p| PlanOption {
                id: p.id,
                label: format!(
                    "{} — {}, {} credits a month",
                    p.name,
                    price(p),
                    p.effective_credits_per_month()
                ),
                current: p.id == tenant.plan.id,
            })
            .collect(),
        payments: listed
            .items
            .iter()
            .map(|p: &payment::Model| {
                let pending = p.status == PaymentStatus::Pending;
                PaymentRow {
                    id: p.id,
                    reference: p.reference.clone(),
                    amount: format_amount(p.amount, &p.currency),
                    purpose: enum_text(&p.purpose).replace('_', " "),
                    status: enum_text(&p.status),
                    pending,
                    reported: p.notified_at.is_some(),
                    period: match (p.period_start, p.period_end) {
                        (Some(_), Some(_)) => {
                            format!("{} – {}", day(p.period_start), day(p.period_end))
                        }
                        _ => "—".to_owned(),
                    },
                    created: day(Some(p.created_at)),
                    instructions: pending.then(|| PaymentInstructions::new(bank, p)),
                }
            })
            .collect(),
        account: AccountForm::of(&tenant.account),
        account_errors: FieldErrors::default(),
    })
}

/// The billing page again with a refusal in words (and its status), or a failure page.
async fn refused(state: &AppState, page: &MemberPage, error: &Error) -> Response {
    let Some(notice) = explain(error) else {
        return failure(error);
    };
    let status = match error {
        Error::NotFound => return not_found(),
        Error::RoleNotAllowed => StatusCode::FORBIDDEN,
        Error::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    match billing_view(state, page, Some(notice)).await {
        Ok(view) => render(status, &view),
        Err(error) => failure(&error),
    }
}

/// Renames the account or changes its billing details (owners and admins).
async fn save_account(
    State(state): State<AppState>,
    page: MemberPage,
    Form(form): Form<AccountForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let id = page.tenant.account.id;
    match account::update(&state.quire.db, &page.tenant, id, form.patch()).await {
        Ok(_) => Redirect::to("/billing?done=account").into_response(),
        Err(Error::Validation(errors)) => match billing_view(&state, &page, None).await {
            Ok(mut view) => {
                view.account = form;
                view.account_errors = FieldErrors::new(errors);
                render(StatusCode::UNPROCESSABLE_ENTITY, &view)
            }
            Err(error) => failure(&error),
        },
        Err(error) => refused(&state, &page, &error).await,
    }
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
}

async fn cancel(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match subscription_actions::cancel(&state.quire.db, &page.tenant, id, now).await {
        Ok(_) => Redirect::to("/billing?done=cancelled").into_response(),
        Err(error) => refused(&state, &page, &error).await,
    }
}

async fn resume(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let now = state.quire.clock.now();
    match subscription_actions::resume(&state.quire.db, &page.tenant, id, now).await {
        Ok(_) => Redirect::to("/billing?done=resumed").into_response(),
        Err(error) => refused(&state, &page, &error).await,
    }
}

#[derive(Deserialize)]
struct ChangePlanForm {
    csrf: String,
    plan_id: i64,
}

async fn change_plan(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<ChangePlanForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    match plan_change::change_plan(&state.quire, &page.tenant, id, form.plan_id).await {
        Ok(change) => {
            let done = match change.takes_effect {
                TakesEffect::WhenPaid => "upgrade",
                TakesEffect::AtRenewal => "downgrade",
                TakesEffect::Now => "unchanged",
            };
            Redirect::to(&format!("/billing?done={done}")).into_response()
        }
        Err(error) => refused(&state, &page, &error).await,
    }
}

#[derive(Template)]
#[template(path = "app/payment_report.html")]
struct PaymentReportPage {
    chrome: AppChrome,
    payment_id: i64,
    reference: String,
    amount: String,
    payer_name: String,
    bank: String,
    transfer_reference: String,
    transfer_date: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    payer_name: String,
    #[serde(default)]
    bank: String,
    #[serde(default)]
    transfer_reference: String,
    #[serde(default)]
    transfer_date: String,
}

/// The member's own payment `id`, while it waits for its transfer.
async fn own_pending(
    state: &AppState,
    page: &MemberPage,
    id: i64,
) -> Result<payment::Model, Error> {
    let payment = payments::get_own(&state.quire.db, &page.tenant, id).await?;
    if payment.status == PaymentStatus::Pending {
        Ok(payment)
    } else {
        Err(Error::Conflict(
            "this payment is no longer waiting for a transfer.".to_owned(),
        ))
    }
}

fn report_page(
    page: &MemberPage,
    payment: &payment::Model,
    form: ReportForm,
    errors: FieldErrors,
) -> PaymentReportPage {
    PaymentReportPage {
        chrome: page.chrome("billing"),
        payment_id: payment.id,
        reference: payment.reference.clone(),
        amount: format_amount(payment.amount, &payment.currency),
        payer_name: form.payer_name,
        bank: form.bank,
        transfer_reference: form.transfer_reference,
        transfer_date: form.transfer_date,
        errors,
    }
}

async fn report_form(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
) -> Response {
    let payment = match own_pending(&state, &page, id).await {
        Ok(payment) => payment,
        Err(error) => return refused(&state, &page, &error).await,
    };
    let form = ReportForm {
        payer_name: page.tenant.account.billing_name.clone().unwrap_or_default(),
        transfer_date: state.quire.clock.now().date_naive().to_string(),
        ..ReportForm::default()
    };
    render(
        StatusCode::OK,
        &report_page(&page, &payment, form, FieldErrors::default()),
    )
}

/// "I have paid": the member's report of a transfer on one of their pending payments.
async fn report(
    State(state): State<AppState>,
    page: MemberPage,
    Path(id): Path<i64>,
    Form(form): Form<ReportForm>,
) -> Response {
    if !page.csrf_ok(&state, &form.csrf) {
        return expired_form();
    }
    let payment = match own_pending(&state, &page, id).await {
        Ok(payment) => payment,
        Err(error) => return refused(&state, &page, &error).await,
    };
    let date = match form_date("transfer_date", &form.transfer_date) {
        Ok(date) => date,
        Err(errors) => {
            let view = report_page(&page, &payment, form, FieldErrors::new(errors));
            return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
        }
    };
    let notice = TransferNotice {
        payer_name: form.payer_name.clone(),
        bank: form.bank.clone(),
        transfer_reference: Some(form.transfer_reference.clone()),
        transfer_date: date,
    };
    let now = state.quire.clock.now();
    match payments::notify(&state.quire.db, &page.tenant, id, notice, now).await {
        Ok(_) => Redirect::to("/billing?done=reported").into_response(),
        Err(Error::Validation(errors)) => {
            let view = report_page(&page, &payment, form, FieldErrors::new(errors));
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(error) => refused(&state, &page, &error).await,
    }
}
