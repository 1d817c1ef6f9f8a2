//! `/api/v1/auth/password/…` and `/api/v1/auth/email/…`: a forgotten password (a reset link
//! emailed, then used), changing one's password, and changing one's sign-in address (confirmed
//! by a link emailed to the new one).

use super::views::UserView;
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, Authenticated, ClientAddress},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use quire_core::{
    Error, ValidationErrors,
    accounts::{
        email::Email,
        email_change,
        password_change::{self, PasswordChange},
        password_reset,
    },
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
        .routes(routes!(change_email))
        .routes(routes!(confirm_email))
}

/// What the server says when it accepted a request whose outcome arrives by email.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub detail: String,
}

/// The one answer to "forgot password", whether or not an account uses the address.
pub fn forgot_answer() -> String {
    format!(
        "If a Quire user signs in with this address, a link to choose a new password is on its \
         way. It works once, for {} minutes.",
        password_reset::LIFETIME_MINUTES
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPasswordBody {
    pub email: String,
}

/// Forgot password: when an active user signs in with `email`, a reset link (single use,
/// 30 minutes) is emailed to it. The answer is the same whether or not one does, and comes
/// before the email is sent.
#[utoipa::path(post, path = "/password/forgot/", tag = "auth", request_body = ForgotPasswordBody,
    responses(
        (status = 202, description = "Accepted; the same answer for every valid address", body = Accepted),
        (status = 400, description = "Malformed body or not an email address", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many password-reset requests from this address; see Retry-After. No email is sent", body = ErrorBody),
    ))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<ForgotPasswordBody>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    state.quire.rate_limits.password_reset(address)?;
    let email = Email::parse(&body.email)
        .map_err(|message| Error::Validation(ValidationErrors::single("email", message)))?;
    // Looking the address up, making the link and sending it happen after the answer, so
    // neither the answer nor its timing tells whether the address is known.
    let quire = state.quire.clone();
    tokio::spawn(async move { password_reset::request_by_email(&quire, email.as_str()).await });
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            detail: forgot_answer(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPasswordBody {
    /// The `token` of the emailed link.
    pub token: String,
    /// The new password: 8 to 128 characters, not a common password.
    pub password: String,
}

/// Set a new password with a reset link's token. The link is spent and every session of the
/// user ends.
#[utoipa::path(post, path = "/password/reset/", tag = "auth", request_body = ResetPasswordBody,
    responses(
        (status = 204, description = "The password is changed; every session ended"),
        (status = 400, description = "`token`: used, expired or unknown link; `password`: too weak. Nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many password-reset requests from this address; see Retry-After. Nothing changed", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<ResetPasswordBody>,
) -> ApiResult<StatusCode> {
    state.quire.rate_limits.password_reset(address)?;
    password_reset::reset(&state.quire, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    pub current_password: String,
    /// 8 to 128 characters, not a common password.
    pub new_password: String,
}

/// Change the caller's password; the current one is required. Every other session of the
/// caller ends (this one stays) and unused reset links stop working.
#[utoipa::path(post, path = "/password/change/", tag = "auth", request_body = ChangePasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; the caller's other sessions ended"),
        (status = 400, description = "`current_password` wrong or `new_password` too weak; nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> ApiResult<StatusCode> {
    password_change::change(
        &state.quire,
        principal.user().id,
        principal.session_id(),
        PasswordChange {
            current: &body.current_password,
            new: &body.new_password,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeEmailBody {
    /// The caller's current password.
    pub password: String,
    /// The address to sign in with from now on.
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailChangePending {
    pub detail: String,
    /// The address the confirmation link went to; the caller's address is unchanged until it
    /// is used.
    pub email: String,
}

/// Ask to sign in with another address. A link (single use, 30 minutes) goes to the new
/// address; the address changes only when it is used, and then the old address is told.
#[utoipa::path(post, path = "/email/change/", tag = "auth", request_body = ChangeEmailBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The confirmation link is on its way to the new address", body = EmailChangePending),
        (status = 400, description = "`password` wrong, or `email` invalid, unchanged or taken; nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn change_email(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> ApiResult<(StatusCode, Json<EmailChangePending>)> {
    let email = email_change::request(
        &state.quire,
        principal.user().id,
        &body.password,
        &body.email,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailChangePending {
            detail: format!(
                "Open the link we sent to {email} within {} minutes to confirm it.",
                email_change::LIFETIME_MINUTES
            ),
            email: email.into_inner(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmEmailBody {
    /// The `token` of the link sent to the new address.
    pub token: String,
}

/// Confirm a new sign-in address with the token of the link sent to it: the user signs in
/// with it from now on, and the old address is told.
#[utoipa::path(post, path = "/email/confirm/", tag = "auth", request_body = ConfirmEmailBody,
    responses(
        (status = 200, description = "The user, with the new address", body = UserView),
        (status = 400, description = "`token`: used, expired or unknown link; `email`: taken meanwhile. Nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn confirm_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConfirmEmailBody>,
) -> ApiResult<Json<UserView>> {
    let user = email_change::confirm(&state.quire, &body.token).await?;
    Ok(Json(UserView::from(&user)))
}
