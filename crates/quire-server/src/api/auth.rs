//! `/api/v1/auth/`: the plan catalogue, payment methods, sign-up, login, token refresh,
//! logout and `me` (flows F1 and F2).

use super::views::{
    AccountView, PaymentView, PendingPaymentView, PlanView, SubscriptionView, UserView,
};
use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, Authenticated, BearerToken, ClientAddress},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use quire_core::{
    accounts::{
        register::{self, Registration},
        sessions::{self, Session},
    },
    billing::{
        payment_methods::{self, PaymentMethodInfo},
        plans,
    },
    entities::enums::PaymentMethod,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans))
        .routes(routes!(list_payment_methods))
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// The plan catalogue as pricing pages show it (the API answers the same list, not paginated:
/// a catalogue is a handful of rows).
#[utoipa::path(get, path = "/plans/", tag = "auth",
    responses((status = 200, description = "Active plans, in display order", body = [PlanView])))]
pub async fn list_plans(State(state): State<AppState>) -> ApiResult<Json<Vec<PlanView>>> {
    let plans = plans::list_active(&state.quire.db)
        .await
        .map_err(quire_core::Error::from)?;
    Ok(Json(plans.iter().map(PlanView::from).collect()))
}

#[utoipa::path(get, path = "/payment-methods/", tag = "auth",
    responses((status = 200, description = "Every method, live or coming soon", body = [PaymentMethodInfo])))]
pub async fn list_payment_methods(State(state): State<AppState>) -> Json<Vec<PaymentMethodInfo>> {
    Json(payment_methods::list(&state.quire.settings.bank_transfer))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    pub email: String,
    /// 8 to 128 characters, not a common password.
    pub password: String,
    pub name: String,
    /// Defaults to `name`.
    #[serde(default)]
    pub account_name: Option<String>,
    pub plan_id: Option<i64>,
    /// Defaults to `bank_transfer`; `stripe` and `paypal` are coming soon (400).
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
}

/// Tokens of a new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserView,
    pub account: AccountView,
    pub subscription: SubscriptionView,
    pub plan: PlanView,
    /// Present for a paid plan without trial: the bank transfer to make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PendingPaymentView>,
    /// Present when the account may enter at once (free or trial plan).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenPair>,
}

fn token_pair(session: &Session) -> TokenPair {
    TokenPair {
        access: session.access.token.clone(),
        refresh: session.refresh.token.clone(),
        access_expires_at: session.access.expires_at,
        refresh_expires_at: session.refresh.expires_at,
    }
}

/// Sign up (F1): creates the owner, the account, the subscription and the sign-up credit
/// grant in one transaction.
#[utoipa::path(post, path = "/register/", tag = "auth", request_body = RegisterBody,
    responses(
        (status = 201, description = "Signed up", body = RegisterResponse),
        (status = 400, description = "Invalid input: field errors; nothing was created", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many sign-ups from this address; see Retry-After. Nothing was created", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    state.quire.rate_limits.register(address)?;
    let registered = register::register(
        &state.quire,
        Registration {
            email: body.email,
            password: body.password,
            name: body.name,
            account_name: body.account_name,
            plan_id: body.plan_id,
            payment_method: body.payment_method,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            user: UserView::from(&registered.user),
            account: AccountView::from(&registered.account),
            subscription: SubscriptionView::from(&registered.subscription),
            plan: PlanView::from(&registered.plan),
            payment: registered
                .payment
                .map(|(payment, instructions)| PendingPaymentView {
                    payment: PaymentView::from(&payment),
                    instructions,
                }),
            tokens: registered.session.as_ref().map(token_pair),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    #[serde(flatten)]
    pub tokens: TokenPair,
    pub user: UserView,
    /// `null` for operators.
    pub account: Option<AccountView>,
}

fn session_response(session: &Session) -> SessionResponse {
    SessionResponse {
        tokens: token_pair(session),
        user: UserView::from(&session.user),
        account: session.account.as_ref().map(AccountView::from),
    }
}

/// Log in (F2): password, then the gates, then a new session.
#[utoipa::path(post, path = "/login/", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = SessionResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Invalid credentials (unknown email and wrong password alike)", body = ErrorBody),
        (status = 402, description = "`subscription_required`, or `payment_pending` with the payment instructions", body = ErrorBody),
        (status = 403, description = "`account_not_configured`, `account_suspended` or `user_inactive`", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 429, description = "`throttled`: too many failed attempts for this email or address; `rate_limited`: too many attempts for this email or from this address. See Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<SessionResponse>> {
    let session = sessions::login(&state.quire, &body.email, &body.password, address).await?;
    Ok(Json(session_response(&session)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    pub refresh: String,
}

/// Rotate the token pair. A refresh token works once; presenting it again ends the session.
#[utoipa::path(post, path = "/refresh/", tag = "auth", request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair", body = SessionResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = ErrorBody),
        (status = 402, description = "The account may no longer enter", body = ErrorBody),
        (status = 403, description = "The account is suspended or the user deactivated", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<SessionResponse>> {
    let session = sessions::refresh(&state.quire, &body.refresh).await?;
    Ok(Json(session_response(&session)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LogoutBody {
    /// End every session of this user, not only this one.
    #[serde(default)]
    pub everywhere: bool,
}

/// End this session (or all of the user's sessions). The access and refresh tokens stop
/// working at once. A body is optional.
#[utoipa::path(post, path = "/logout/", tag = "auth", request_body(content = Option<LogoutBody>),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<StatusCode> {
    let body = body.map_err(crate::extract::body_rejection)?;
    let body: LogoutBody = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutBody::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    sessions::logout(&state.quire, &token, body.everywhere).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// `null` for operators.
    pub account: Option<AccountView>,
}

/// Who am I: the user and their account, after the gates.
#[utoipa::path(get, path = "/me/", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        GateRefusals,
    ))]
pub async fn me(Authenticated(principal): Authenticated) -> Json<MeResponse> {
    Json(MeResponse {
        user: UserView::from(principal.user()),
        account: principal.account().map(AccountView::from),
    })
}
