//! The domain error every service returns, and the field-error collection for bad input.

use crate::{billing::payments::PaymentInstructions, planner::keyword_csv::RowError};
use sea_orm::DbErr;
use serde::Serialize;
use std::collections::BTreeMap;

/// Field name → messages, for input that cannot be accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(BTreeMap<String, Vec<String>>);

impl ValidationErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// `Ok(())` when nothing was added, else the collected errors.
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }
}

/// Why a user may not enter the app (at login and on every authenticated request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The user was deactivated.
    UserInactive,
    /// A member user without an account.
    AccountNotConfigured,
    /// No plan, an inactive plan, a cancelled account or a suspension for non-payment.
    SubscriptionRequired,
    /// Waiting for the first bank transfer; carries what to pay and how.
    PaymentPending(Option<Box<PaymentInstructions>>),
    /// Suspended by an operator.
    AccountSuspended,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Validation(ValidationErrors),
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A missing, malformed, expired or revoked token.
    #[error("not authenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    /// Too many requests of one kind from one address, email or account (a rate limit).
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The account's daily AI ceiling would be passed; nothing was reserved or queued.
    #[error("daily AI ceiling: {spent} of {limit} credits used today, {required} more asked")]
    DailyAiLimit {
        limit: i64,
        spent: i64,
        required: i64,
        retry_after_secs: u64,
    },
    #[error("gate: {0:?}")]
    Gate(Gate),
    /// An operator called an endpoint that acts inside an account.
    #[error("members only")]
    MembersOnly,
    /// A member of an account called an operator's endpoint.
    #[error("operators only")]
    OperatorsOnly,
    /// The caller's role may not do this in their account.
    #[error("not allowed for this role")]
    RoleNotAllowed,
    /// Creating (or re-activating) would exceed the plan's limit.
    #[error("plan limit: {limit} {resource}")]
    PlanLimit { resource: &'static str, limit: i64 },
    /// The balance does not cover an operation's estimate; nothing was charged.
    #[error("insufficient credits: {required} required, {available} available")]
    InsufficientCredits { required: i64, available: i64 },
    /// Rows of an uploaded file that cannot be accepted, by line; nothing was written.
    #[error("{} rows with errors", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("not found")]
    NotFound,
    /// The request contradicts the object's state (e.g. cancelling a finished job).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The Stripe webhook was called while no signing secret is configured.
    #[error("stripe is not enabled")]
    StripeDisabled,
    /// A payment provider's webhook call that cannot be trusted or read (`code`: e.g.
    /// `invalid_signature`, `malformed_event`); nothing was stored.
    #[error("webhook refused ({code}): {detail}")]
    WebhookRefused { code: &'static str, detail: String },
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Whether the database could not be reached (as opposed to refusing a statement).
    pub fn is_database_unavailable(&self) -> bool {
        matches!(self, Error::Database(err) if crate::db::is_unavailable(err))
    }
}

impl From<Gate> for Error {
    fn from(gate: Gate) -> Self {
        Error::Gate(gate)
    }
}
