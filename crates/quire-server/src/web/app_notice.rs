//! What the tenant app says when an action is refused: the core's error in words a user
//! understands, with what to do next, shown as a notice on the page they were on, and the
//! status the page answers with.

use axum::http::StatusCode;
use quire_core::Error;

/// A notice on a page: good news or a refusal.
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

impl Notice {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
        }
    }

    pub fn refused(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
        }
    }
}

/// The refusal a member can act on, or `None` for an unexpected error (answer
/// [`super::page::failure`] then).
pub fn explain(error: &Error) -> Option<Notice> {
    let text = match error {
        Error::Validation(errors) => super::page::messages(errors),
        Error::InsufficientCredits {
            required,
            available,
        } => format!(
            "This needs {required} credits and you have {available}. Nothing was charged. \
             Your credits renew with your plan; to get more now, upgrade on the Billing page."
        ),
        Error::PlanLimit { resource, limit } => format!(
            "Your plan allows {limit} {resource}. Delete one you no longer need, or upgrade \
             on the Billing page."
        ),
        Error::RoleNotAllowed => {
            "Your role in this account cannot do this; ask the account's owner.".to_owned()
        }
        Error::Conflict(detail) => format!("This cannot be done right now: {detail}"),
        Error::InvalidRows(rows) => format!(
            "{} rows could not be read; nothing was imported. Fix them and try again.",
            rows.len()
        ),
        Error::NotFound => "That no longer exists in your account.".to_owned(),
        Error::RateLimited { retry_after_secs } => format!(
            "Too many AI requests from your account in a short time. Nothing was started or \
             charged; try again {}.",
            super::page::retry_in(*retry_after_secs)
        ),
        Error::DailyAiLimit {
            limit,
            spent,
            required,
            retry_after_secs,
        } => format!(
            "Your account's daily AI ceiling is {limit} credits; {spent} are used today and \
             this needs {required}. Nothing was started or charged. The ceiling resets at \
             midnight UTC ({}); your operator can raise it.",
            super::page::retry_in(*retry_after_secs)
        ),
        _ => return None,
    };
    Some(Notice::refused(text))
}

/// The status a page answers with when the core refused an action (as the API's, except
/// that a refused file is unprocessable like a refused form).
pub fn refusal_status(error: &Error) -> StatusCode {
    match error {
        Error::Validation(_) | Error::InvalidRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
        Error::PlanLimit { .. } => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::RoleNotAllowed => StatusCode::FORBIDDEN,
        Error::RateLimited { .. } | Error::DailyAiLimit { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
