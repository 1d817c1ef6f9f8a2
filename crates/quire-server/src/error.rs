//! The HTTP error: every failure answers `{"detail", "code"}` (plus field errors) with its status.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use quire_core::{Error, Gate, ValidationErrors, billing::payments::PaymentInstructions};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do, in words.
    pub detail: String,
    /// A stable machine-readable code.
    pub code: String,
    /// For `payment_pending`: the transfer to make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentInstructions>,
    /// For `plan_limit_exceeded`: the plan's limit; for `daily_ai_limit_reached`: the
    /// account's daily AI ceiling in credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// For `insufficient_credits` and `daily_ai_limit_reached`: the credits the operation
    /// needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<i64>,
    /// For `insufficient_credits`: the credits the account has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// For `daily_ai_limit_reached`: the credits AI used today (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent_today: Option<i64>,
    /// For `throttled`, `rate_limited`, `daily_ai_limit_reached` and `service_unavailable`:
    /// seconds to wait (also in the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// For `invalid_rows`: the rows of the file that cannot be accepted (the first 1,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<LineError>>,
    /// For `invalid`: field name → messages.
    #[serde(flatten)]
    #[schema(additional_properties, value_type = Object)]
    pub fields: BTreeMap<String, Vec<String>>,
}

/// A row of an uploaded file that cannot be accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineError {
    /// The 1-based line where the row starts.
    pub line: u64,
    /// Every problem of the row.
    pub message: String,
}

/// Seconds a client is told to wait when the database is unreachable.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The most row errors one answer lists.
const MAX_LINE_ERRORS: usize = 1_000;

/// The refusals every endpoint behind the tenant gates can answer, documented once.
#[derive(utoipa::IntoResponses)]
pub enum GateRefusals {
    /// No token, or an invalid, expired or revoked one.
    #[response(status = 401)]
    NotAuthenticated(ErrorBody),
    /// The account may not enter: `subscription_required` or `payment_pending`.
    #[response(status = 402)]
    PaymentRequired(ErrorBody),
    /// An operator on a tenant endpoint, a role without the right, a suspended account or a
    /// deactivated user.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The refusals every request that queues AI work can answer, documented once.
#[derive(utoipa::IntoResponses)]
pub enum AiLimitRefusals {
    /// `rate_limited`: too many AI requests from this account (`Retry-After`: seconds until
    /// the next is allowed); or `daily_ai_limit_reached`: the account's daily AI ceiling would
    /// be passed, with `limit`, `spent_today` and `required` (`Retry-After`: seconds until
    /// midnight UTC). Nothing was reserved or queued.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
}

/// The refusal of every endpoint with an id in its path, documented once (where the endpoint
/// has no other 400; those name it in their own 400's description).
#[derive(utoipa::IntoResponses)]
pub enum MalformedPath {
    /// `invalid`: a path id that is not a 64-bit integer (`/sites/abc/`), named in the fields.
    #[response(status = 400)]
    MalformedPath(ErrorBody),
}

/// The refusals every operator endpoint can answer, documented once.
#[derive(utoipa::IntoResponses)]
pub enum AdminRefusals {
    /// No token, or an invalid, expired or revoked one.
    #[response(status = 401)]
    NotAuthenticated(ErrorBody),
    /// A tenant's token: the staff API is for operators only.
    #[response(status = 403)]
    NotAnOperator(ErrorBody),
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Box<ErrorBody>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                detail: detail.into(),
                code: code.to_owned(),
                payment: None,
                limit: None,
                required: None,
                available: None,
                spent_today: None,
                retry_after: None,
                errors: None,
                fields: BTreeMap::new(),
            }),
        }
    }

    pub fn invalid(errors: ValidationErrors) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Some fields are not valid; see the messages for each field.",
        );
        error.body.fields = errors.fields().clone();
        error
    }

    pub fn not_authenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided.",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

fn gate_error(gate: Gate) -> ApiError {
    match gate {
        Gate::UserInactive => ApiError::new(
            StatusCode::FORBIDDEN,
            "user_inactive",
            "This user has been deactivated. Ask your account owner or support.",
        ),
        Gate::AccountNotConfigured => ApiError::new(
            StatusCode::FORBIDDEN,
            "account_not_configured",
            "Account not configured",
        ),
        Gate::SubscriptionRequired => ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "subscription_required",
            "Active subscription required",
        ),
        Gate::PaymentPending(instructions) => {
            let mut error = ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_pending",
                "Payment pending: your account opens once your bank transfer is confirmed.",
            );
            error.body.payment = instructions.map(|i| *i);
            error
        }
        Gate::AccountSuspended => ApiError::new(
            StatusCode::FORBIDDEN,
            "account_suspended",
            "Account suspended",
        ),
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        if err.is_database_unavailable() {
            tracing::error!(error = %err, "database unavailable");
            let mut error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "The service is briefly unavailable; try again shortly.",
            );
            error.body.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
            return error;
        }
        match err {
            Error::Validation(errors) => ApiError::invalid(errors),
            Error::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Invalid credentials",
            ),
            Error::Unauthenticated(code) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                code,
                match code {
                    "token_expired" => "Your session token has expired; refresh it or log in.",
                    "session_revoked" => "This session has ended; log in again.",
                    "token_reused" => {
                        "This refresh token was already used, so the session was closed \
                         to keep your account safe. Log in again."
                    }
                    _ => "The token is not valid; log in again.",
                },
            ),
            Error::Throttled { retry_after_secs } => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
                );
                error.body.retry_after = Some(retry_after_secs);
                error
            }
            Error::RateLimited { retry_after_secs } => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("Too many requests. Try again in {retry_after_secs} seconds."),
                );
                error.body.retry_after = Some(retry_after_secs);
                error
            }
            Error::DailyAiLimit {
                limit,
                spent,
                required,
                retry_after_secs,
            } => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "daily_ai_limit_reached",
                    format!(
                        "This account's daily AI ceiling is {limit} credits; {spent} are used \
                         today and this needs {required}. Nothing was charged. The ceiling \
                         resets at midnight UTC, in {retry_after_secs} seconds."
                    ),
                );
                error.body.limit = Some(limit);
                error.body.required = Some(required);
                error.body.spent_today = Some(spent);
                error.body.retry_after = Some(retry_after_secs);
                error
            }
            Error::Gate(gate) => gate_error(gate),
            Error::MembersOnly => ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_denied",
                "This endpoint works inside a tenant account; operators use /api/v1/admin/.",
            ),
            Error::OperatorsOnly => ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_denied",
                "This endpoint is for Quire's operators.",
            ),
            Error::RoleNotAllowed => ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_denied",
                "Your role in this account may not do this (ask the account's owner).",
            ),
            Error::PlanLimit { resource, limit } => {
                let mut error = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "plan_limit_exceeded",
                    format!(
                        "Your plan allows {limit} {resource}. Upgrade your plan, or archive or \
                         delete one first."
                    ),
                );
                error.body.limit = Some(limit);
                error
            }
            Error::InsufficientCredits {
                required,
                available,
            } => {
                let mut error = ApiError::new(
                    StatusCode::PAYMENT_REQUIRED,
                    "insufficient_credits",
                    "Insufficient credits",
                );
                error.body.required = Some(required);
                error.body.available = Some(available);
                error
            }
            Error::InvalidRows(rows) => {
                let mut error = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_rows",
                    format!(
                        "{} rows of the file have errors, so nothing was imported. Correct \
                         them and import the file again.",
                        rows.len()
                    ),
                );
                error.body.errors = Some(
                    rows.into_iter()
                        .take(MAX_LINE_ERRORS)
                        .map(|row| LineError {
                            line: row.line,
                            message: row.message,
                        })
                        .collect(),
                );
                error
            }
            Error::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            Error::Conflict(detail) => ApiError::new(StatusCode::CONFLICT, "conflict", detail),
            Error::StripeDisabled => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stripe_disabled",
                "Stripe is not enabled on this server: no webhook signing secret \
                 (QUIRE_STRIPE_WEBHOOK_SECRET) is configured.",
            ),
            Error::WebhookRefused { code, detail } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, detail)
            }
            Error::Database(err) => {
                tracing::error!(error = %err, "database error");
                internal()
            }
            Error::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                internal()
            }
        }
    }
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side; it has been logged. Try again.",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.body.retry_after;
        let mut response = (self.status, Json(*self.body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(error: Error) -> (StatusCode, serde_json::Value) {
        let api = ApiError::from(error);
        (api.status, serde_json::to_value(&*api.body).expect("json"))
    }

    #[test]
    fn insufficient_credits_is_402_with_required_and_available() {
        let (status, body) = body_of(Error::InsufficientCredits {
            required: 12,
            available: 3,
        });
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(body["detail"], "Insufficient credits");
        assert_eq!(body["code"], "insufficient_credits");
        assert_eq!(
            (body["required"].clone(), body["available"].clone()),
            (12.into(), 3.into())
        );
    }

    #[test]
    fn a_plan_limit_is_400_with_the_limit() {
        let (status, body) = body_of(Error::PlanLimit {
            resource: "active sites",
            limit: 3,
        });
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "plan_limit_exceeded");
        assert_eq!(body["limit"], 3);
    }

    #[test]
    fn the_daily_ai_ceiling_is_429_naming_the_ceiling_and_the_wait() {
        let (status, body) = body_of(Error::DailyAiLimit {
            limit: 50,
            spent: 45,
            required: 10,
            retry_after_secs: 3_600,
        });
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["code"], "daily_ai_limit_reached");
        assert_eq!(
            (body["limit"].clone(), body["spent_today"].clone()),
            (50.into(), 45.into())
        );
        assert_eq!(body["retry_after"], 3_600);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("50 credits"))
        );
    }

    #[test]
    fn an_unreachable_database_is_503_with_a_time_to_wait() {
        let timed_out = || {
            Error::Database(sea_orm::DbErr::ConnectionAcquire(
                sea_orm::error::ConnAcquireErr::Timeout,
            ))
        };
        let response = ApiError::from(timed_out()).into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let (status, body) = body_of(timed_out());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "service_unavailable");
        assert_eq!(body["retry_after"], 5);
        // A statement the database refused is not an outage.
        let (status, _) = body_of(Error::Database(sea_orm::DbErr::Custom("bad".into())));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let (status, body) = body_of(Error::Internal("secret table name".into()));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("secret"));
    }
}
