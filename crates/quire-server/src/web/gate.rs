//! The pages a member sees when a gate refuses them (at sign-in or on any page): payment
//! pending with the transfer to make, subscription required, suspended — each saying what to
//! do next.

use super::page::{failure, render};
use crate::state::AppState;
use askama::Template;
use axum::{http::StatusCode, response::Response};
use quire_core::{
    Gate,
    billing::payments::{self, PaymentInstructions},
};

#[derive(Template)]
#[template(path = "app/gate.html")]
struct GatePage {
    heading: &'static str,
    text: &'static str,
    instructions: Option<PaymentInstructions>,
    /// The sign-out form's CSRF token when the visitor is still signed in.
    sign_out_csrf: Option<String>,
}

/// Who was refused, as far as the page needs to know.
pub struct Refused {
    /// Their account, to find an open renewal payment.
    pub account_id: Option<i64>,
    /// Set when they hold a session the page offers to end.
    pub sign_out_csrf: Option<String>,
}

/// The page for `gate`'s refusal: 402 with what to pay, or 403 with whom to ask.
pub async fn page(state: &AppState, gate: Gate, refused: Refused) -> Response {
    let (status, heading, text, instructions) = match gate {
        Gate::PaymentPending(instructions) => (
            StatusCode::PAYMENT_REQUIRED,
            "Waiting for your bank transfer",
            "Your account opens as soon as an operator confirms your transfer. Make the \
             transfer below, writing the reference on it, then tell us you have paid.",
            instructions.map(|i| *i),
        ),
        Gate::SubscriptionRequired => {
            // A renewal left unpaid keeps its payment open: paying it reopens the account.
            let open = match refused.account_id {
                Some(id) => match payments::oldest_pending(&state.quire.db, id).await {
                    Ok(open) => open,
                    Err(error) => return failure(&error.into()),
                },
                None => None,
            };
            let instructions =
                open.map(|p| PaymentInstructions::new(&state.quire.settings.bank_transfer, &p));
            let text = if instructions.is_some() {
                "Your subscription's renewal has not been paid, so your account is paused. \
                 Your sites, keywords and articles are kept. Pay the renewal below and tell \
                 us; your account reopens once the transfer is confirmed."
            } else {
                "Your subscription has ended or your plan is no longer offered, so your \
                 account is paused. Your sites, keywords and articles are kept. Write to \
                 support to choose a plan and reopen it."
            };
            (
                StatusCode::PAYMENT_REQUIRED,
                "An active subscription is required",
                text,
                instructions,
            )
        }
        Gate::AccountSuspended => (
            StatusCode::FORBIDDEN,
            "Your account is suspended",
            "Quire's operators have suspended this account. Write to support to find out \
             why and to have it reopened.",
            None,
        ),
        Gate::UserInactive => (
            StatusCode::FORBIDDEN,
            "This sign-in is deactivated",
            "Your user has been deactivated. Ask your account's owner or Quire's support.",
            None,
        ),
        Gate::AccountNotConfigured => (
            StatusCode::FORBIDDEN,
            "No account is set up for you",
            "Your user has no account yet. Write to support.",
            None,
        ),
    };
    render(
        status,
        &GatePage {
            heading,
            text,
            instructions,
            sign_out_csrf: refused.sign_out_csrf,
        },
    )
}
