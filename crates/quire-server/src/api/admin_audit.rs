//! `/api/v1/admin/audit/`: the audit log, newest first, filtered. Read-only: the log is
//! append-only, so no endpoint changes or removes an entry.

use crate::{
    error::{AdminRefusals, ApiResult, ErrorBody},
    extract::OperatorContext,
    listing::{ApiQuery, ListParams, Paginated},
    state::AppState,
};
use axum::{
    Json,
    extract::{OriginalUri, State},
};
use chrono::{DateTime, Utc};
use quire_core::{
    admin::audit_log::{self, AuditFilter},
    entities::audit_log::Model,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One audited action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    /// `user:{id}` or `system:{part}`.
    pub actor: String,
    /// `payment.confirmed`, `ai.model_rate.updated`…
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub account_id: Option<i64>,
    /// The object before the action, as JSON.
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The object after the action, as JSON.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub created_at: DateTime<Utc>,
}

/// Stored as JSON text; text that is not JSON (never written by Quire) is shown as a string.
fn json_of(text: Option<String>) -> Option<Value> {
    text.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

impl From<Model> for AuditEntryView {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            actor: m.actor,
            action: m.action,
            object_type: m.object_type,
            object_id: m.object_id,
            account_id: m.account_id,
            before: json_of(m.before),
            after: json_of(m.after),
            created_at: m.created_at,
        }
    }
}

/// The audit log, newest first. `?action=` is exact, or a prefix when it ends in `.`
/// (`payment.`); `?from=`/`?to=` are UTC days, both included; `?search=` looks in the
/// before and after JSON. Sort keys: `id`, `created_at`.
#[utoipa::path(get, path = "/audit/", tag = "admin", security(("bearer" = [])),
    params(ListParams, AuditFilter),
    responses(
        (status = 200, description = "A page of audit entries", body = Paginated<AuditEntryView>),
        (status = 400, description = "Bad page, ordering or filter", body = ErrorBody),
        AdminRefusals,
        (status = 404, description = "Page past the end", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _operator: OperatorContext,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Paginated<AuditEntryView>>> {
    let page = audit_log::list(
        &state.quire.db,
        filter,
        params.ordering.as_deref(),
        params.page_request()?,
    )
    .await?;
    Ok(Json(Paginated::new(page, &uri, AuditEntryView::from)))
}
