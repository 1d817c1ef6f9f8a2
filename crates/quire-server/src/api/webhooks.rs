//! `/api/v1/billing/webhooks/`: payment providers' signed event callbacks (public, no token).

use crate::{
    error::{ApiResult, ErrorBody},
    extract::body_rejection,
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::HeaderMap,
};
use quire_core::billing::stripe_webhook::{self, Outcome};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stripe))
}

/// What the webhook made of an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceipt {
    /// Always `true`: the event was verified and recorded.
    pub received: bool,
    /// Stripe's event id.
    pub event_id: String,
    /// `applied`, `ignored` (recorded without effect) or `duplicate` (already processed).
    pub status: Outcome,
    /// Why the event was ignored, or what became of it the first time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Stripe's event callback. The `Stripe-Signature` header must sign the raw body with the
/// configured secret within 300 seconds. Each event id is processed once: `invoice.paid`
/// applies the Quire payment named by `metadata.quire_payment_reference` (else the oldest
/// pending payment of the subscription whose `external_id` is the invoice's subscription)
/// when the amount and currency match; `customer.subscription.updated` mirrors
/// `cancel_at_period_end`; `customer.subscription.deleted` ends the subscription and cancels
/// the account. Everything else, and whatever matches nothing, is recorded as ignored with a
/// 200 so Stripe stops retrying.
#[utoipa::path(post, path = "/webhooks/stripe/", tag = "webhooks",
    params(("Stripe-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{body}\">`")),
    request_body(content = Object, content_type = "application/json",
        description = "A Stripe event: `id`, `type`, `data.object`"),
    responses(
        (status = 200, description = "Verified and recorded: applied, ignored or a duplicate",
            body = WebhookReceipt),
        (status = 400, description = "Missing, invalid or expired signature \
            (`invalid_signature`), or not a Stripe event (`malformed_event`); nothing stored",
            body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 503, description = "Stripe is not enabled: no signing secret is configured \
            (`stripe_disabled`)", body = ErrorBody),
    ))]
pub async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<WebhookReceipt>> {
    let secret = stripe_webhook::signing_secret(&state.quire)?;
    let body = body.map_err(body_rejection)?;
    let signature = headers
        .get("stripe-signature")
        .map(|value| value.as_bytes());
    let receipt = stripe_webhook::receive(&state.quire, secret, signature, &body).await?;
    Ok(Json(WebhookReceipt {
        received: true,
        event_id: receipt.event_id,
        status: receipt.outcome,
        reason: receipt.reason,
    }))
}
