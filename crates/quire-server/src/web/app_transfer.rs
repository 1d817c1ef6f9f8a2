//! "I have paid" before sign-in: an account waiting for its first transfer cannot sign in, so
//! the payment's reference and the account's email stand in for a session
//! (`payments::notify_by_reference`, as `POST /api/v1/billing/transfers/`).

use super::{
    form::{FieldErrors, form_date},
    page::{Message, failure, render},
    session::{expired_form, public_form_ok, public_form_token},
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{
    Error, ValidationErrors,
    billing::payments::{self, TransferByReference, TransferNotice},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/payments/report", get(report_form).post(report))
}

#[derive(Template)]
#[template(path = "app/report.html")]
struct ReportPage {
    csrf: String,
    reference: String,
    email: String,
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
    reference: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    payer_name: String,
    #[serde(default)]
    bank: String,
    #[serde(default)]
    transfer_reference: String,
    #[serde(default)]
    transfer_date: String,
}

impl ReportPage {
    fn new(csrf: String, form: ReportForm, errors: FieldErrors) -> Self {
        Self {
            csrf,
            reference: form.reference,
            email: form.email,
            payer_name: form.payer_name,
            bank: form.bank,
            transfer_reference: form.transfer_reference,
            transfer_date: form.transfer_date,
            errors,
        }
    }
}

async fn report_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(prefill): Query<ReportForm>,
) -> Response {
    let (jar, csrf) = public_form_token(&state.quire, jar);
    let mut form = prefill;
    if form.transfer_date.is_empty() {
        form.transfer_date = state.quire.clock.now().date_naive().to_string();
    }
    let page = ReportPage::new(csrf, form, FieldErrors::default());
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// "I have paid", before sign-in: the payment's reference and the account's email stand in for
/// a session (`payments::notify_by_reference`).
async fn report(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<ReportForm>,
) -> Response {
    let quire = &state.quire;
    if !public_form_ok(quire, &jar, &form.csrf) {
        return expired_form();
    }
    let date = match form_date("transfer_date", &form.transfer_date) {
        Ok(date) => date,
        Err(errors) => {
            let page = ReportPage::new(form.csrf.clone(), form, FieldErrors::new(errors));
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let report = TransferByReference {
        reference: form.reference.clone(),
        email: form.email.clone(),
        notice: TransferNotice {
            payer_name: form.payer_name.clone(),
            bank: form.bank.clone(),
            transfer_reference: Some(form.transfer_reference.clone()),
            transfer_date: date,
        },
    };
    let errors = match payments::notify_by_reference(&quire.db, report, quire.clock.now()).await {
        Ok(_) => {
            return Message {
                heading: "Thank you — we have your report",
                text: "An operator confirms transfers once they reach our bank, usually within \
                       one working day. You get an email then, and you can sign in."
                    .to_owned(),
                link: "/login",
                link_text: "Go to sign-in",
            }
            .respond(StatusCode::OK);
        }
        Err(Error::Validation(errors)) => errors,
        Err(Error::NotFound) => ValidationErrors::single(
            "reference",
            "No open payment has this reference for this email. Check both against your \
             sign-up email.",
        ),
        Err(Error::Conflict(_)) => ValidationErrors::single(
            "reference",
            "This payment is no longer waiting: it has been confirmed or closed.",
        ),
        Err(error) => return failure(&error),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(
        status,
        &ReportPage::new(form.csrf.clone(), form, FieldErrors::new(errors)),
    )
}
