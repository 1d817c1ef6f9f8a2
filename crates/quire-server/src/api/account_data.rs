//! `/api/v1/auth/account/`: the owner's export of all the account's data (a JSON download)
//! and the deletion of the account.

use crate::{
    error::{ApiResult, ErrorBody, GateRefusals},
    extract::{ApiJson, TenantContext},
    state::AppState,
};
use axum::{
    body::Body,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use quire_core::{
    Quire,
    accounts::{deletion, export, principal::Tenant},
};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_account))
        .routes(routes!(delete_account))
}

/// Everything the account holds, as one JSON document (owner only): `format`, `version`,
/// `exported_at`, `account`, then `users` (no password hashes), `subscriptions`, `payments`,
/// `ledger`, `ai_usage`, `sites`, `sectors`, `keywords`, `clusters`, `ideas`, `tasks`,
/// `content`, `content_versions` and `jobs`, each a list ordered by id. Sent as a download,
/// streamed while it is read.
#[utoipa::path(get, path = "/account/export/", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The export, as an attachment", content_type = "application/json", body = Object),
        (status = 403, description = "Not the account's owner (or the gates refused)", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn export_account(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
) -> ApiResult<Response> {
    export::authorise(&tenant)?;
    Ok(download(state.quire.clone(), tenant))
}

/// The export as a download (the API's and the account page's): JSON, an attachment named
/// after the account and the day, never cached.
pub(crate) fn download(quire: Arc<Quire>, tenant: Tenant) -> Response {
    let filename = format!(
        "quire-account-{}-{}.json",
        tenant.account.id,
        quire.clock.now().format("%Y%m%d")
    );
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        stream(quire, tenant),
    )
        .into_response()
}

/// The export as a response body: written by a task into a small channel, so at most a few
/// chunks wait in memory while the client reads. A failure midway ends the body with an
/// error, so the client sees a broken download rather than a short file.
fn stream(quire: Arc<Quire>, tenant: Tenant) -> Body {
    let (sender, receiver) = mpsc::channel(2);
    tokio::spawn(async move { export::write(&quire, &tenant, sender).await });
    let chunks = futures::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        if let Err(error) = &chunk {
            tracing::error!(%error, "account export failed");
        }
        Some((chunk, receiver))
    });
    // Fused: the compression layer polls a body once more after its end, which an unfused
    // `unfold` answers with a panic (and the client with a broken download).
    Body::from_stream(chunks.fuse())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountBody {
    /// The owner's current password, to confirm.
    pub password: String,
}

/// Delete the account (owner only; the current password confirms). In one transaction:
/// queued and running jobs are cancelled and their credits returned, every row of the
/// account is removed (sites, sectors, planner and writer rows, jobs, AI usage, users and
/// their sessions), subscriptions end, pending payments are voided, and the account row is
/// kept anonymised with status `deleted`, with its ledger and paid payments for the
/// operator's books. Every token of the account stops working; its addresses can register
/// again.
#[utoipa::path(delete, path = "/account/", tag = "accounts", security(("bearer" = [])),
    request_body = DeleteAccountBody,
    responses(
        (status = 204, description = "The account is deleted"),
        (status = 400, description = "`password` is wrong (or missing); nothing changed", body = ErrorBody),
        (status = 403, description = "Not the account's owner (or the gates refused); nothing changed", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        GateRefusals,
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    TenantContext(tenant): TenantContext,
    ApiJson(body): ApiJson<DeleteAccountBody>,
) -> ApiResult<StatusCode> {
    deletion::delete(&state.quire, &tenant, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
