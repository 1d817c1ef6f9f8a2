//! The Stripe webhook (F4): verifies the signed event, keeps it in the webhook inbox so a replay
//! applies once, and routes it — a paid invoice to `apply_payment`, a subscription's
//! cancellation flag and its deletion to the Quire subscription it mirrors.

use super::{apply, lifecycle::end_subscription, payments::format_amount, stripe_signature};
use crate::{
    Error, Quire, audit,
    db::{Db, begin_write},
    entities::{
        account,
        enums::{PaymentStatus, SubscriptionStatus, WebhookEventStatus},
        payment, subscription, webhook_event,
    },
    notifications::{NotificationKind, deliver},
    tenancy::lock_account,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict},
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// The `provider` of the inbox rows this webhook keeps.
pub const PROVIDER: &str = "stripe";
/// Who the audit log and the ledger name for what Stripe's events change.
const ACTOR: &str = "system:stripe";
/// The invoice metadata key that names the Quire payment an invoice pays.
const REFERENCE_KEY: &str = "quire_payment_reference";

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The event changed Quire.
    Applied,
    /// The event was recorded and left without effect; `reason` says why.
    Ignored,
    /// The event had already been applied or ignored; nothing changed.
    Duplicate,
}

/// The answer to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub event_id: String,
    pub outcome: Outcome,
    /// Why the event was ignored, or what became of it the first time.
    pub reason: Option<String>,
}

/// The configured signing secret; `StripeDisabled` while none is.
pub fn signing_secret(quire: &Quire) -> Result<&str, Error> {
    quire
        .settings
        .stripe_webhook_secret
        .as_ref()
        .map(|secret| secret.expose_secret())
        .ok_or(Error::StripeDisabled)
}

/// Verifies `body` against its `Stripe-Signature` header (`None` when absent) and `secret` at
/// the Quire clock's now, stores the event once and processes it unless an earlier delivery
/// already did. A refused signature or a malformed event stores nothing; an unexpected error
/// leaves the event `failed`, so Stripe's retry processes it again.
pub async fn receive(
    quire: &Quire,
    secret: &str,
    signature: Option<&[u8]>,
    body: &[u8],
) -> Result<Receipt, Error> {
    let now = quire.clock.now();
    stripe_signature::verify(signature, body, secret, now).map_err(|error| {
        Error::WebhookRefused {
            code: "invalid_signature",
            detail: format!("The Stripe-Signature check failed: {error}."),
        }
    })?;
    let (event, payload) = parse(body)?;
    let stored = store(&quire.db, &event, payload, now).await?;
    if let Some(reason) = settled(&stored) {
        return Ok(Receipt {
            event_id: event.id,
            outcome: Outcome::Duplicate,
            reason: Some(reason),
        });
    }
    let (status, reason) = match route(quire, &event).await {
        Ok(Routed::Applied) => (WebhookEventStatus::Applied, None),
        Ok(Routed::Ignored(reason)) => (WebhookEventStatus::Ignored, Some(reason)),
        Err(error) => {
            let text = error.to_string();
            if let Err(record) = finish(
                &quire.db,
                stored.id,
                WebhookEventStatus::Failed,
                Some(text),
                now,
            )
            .await
            {
                tracing::error!(event_id = %event.id, error = %record, "webhook event not marked failed");
            }
            return Err(error);
        }
    };
    if !finish(&quire.db, stored.id, status, reason.clone(), now).await? {
        // A concurrent delivery of the same event recorded its outcome first.
        return Ok(Receipt {
            event_id: event.id,
            outcome: Outcome::Duplicate,
            reason: None,
        });
    }
    let outcome = match status {
        WebhookEventStatus::Applied => Outcome::Applied,
        _ => Outcome::Ignored,
    };
    Ok(Receipt {
        event_id: event.id,
        outcome,
        reason,
    })
}

/// The parts of a Stripe event the webhook reads.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Map<String, Value>,
}

/// The event, and the body as text for the inbox.
fn parse(body: &[u8]) -> Result<(Event, &str), Error> {
    let malformed = |detail: String| Error::WebhookRefused {
        code: "malformed_event",
        detail,
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| malformed("The body is not UTF-8 text.".to_owned()))?;
    let event: Event = serde_json::from_str(text).map_err(|error| {
        malformed(format!(
            "The body is not a Stripe event with `id`, `type` and `data.object` ({error})."
        ))
    })?;
    if event.id.trim().is_empty() || event.id.chars().count() > 255 {
        return Err(malformed(
            "The event `id` must be 1 to 255 characters.".to_owned(),
        ));
    }
    if event.kind.trim().is_empty() || event.kind.chars().count() > 128 {
        return Err(malformed(
            "The event `type` must be 1 to 128 characters.".to_owned(),
        ));
    }
    Ok((event, text))
}

/// The inbox row of `event`: inserted as `received`, or the one an earlier delivery stored.
async fn store(
    db: &Db,
    event: &Event,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<webhook_event::Model, Error> {
    webhook_event::Entity::insert(webhook_event::ActiveModel {
        provider: Set(PROVIDER.to_owned()),
        event_id: Set(event.id.clone()),
        event_type: Set(event.kind.clone()),
        payload: Set(payload.to_owned()),
        status: Set(WebhookEventStatus::Received),
        error: Set(None),
        received_at: Set(now),
        processed_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            webhook_event::Column::Provider,
            webhook_event::Column::EventId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    webhook_event::Entity::find()
        .filter(webhook_event::Column::Provider.eq(PROVIDER))
        .filter(webhook_event::Column::EventId.eq(&event.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(format!("webhook event {} was not stored", event.id)))
}

/// What an earlier delivery made of the event, when it finished with it.
fn settled(stored: &webhook_event::Model) -> Option<String> {
    match stored.status {
        WebhookEventStatus::Applied => Some("This event was already applied.".to_owned()),
        WebhookEventStatus::Ignored => Some(format!(
            "This event was already ignored: {}",
            stored.error.as_deref().unwrap_or("no reason recorded")
        )),
        WebhookEventStatus::Received | WebhookEventStatus::Failed => None,
    }
}

/// Records the outcome unless another delivery already did; `false` when it had.
async fn finish(
    db: &Db,
    id: i64,
    status: WebhookEventStatus,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let updated = webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Status, Expr::value(status))
        .col_expr(webhook_event::Column::Error, Expr::value(error))
        .col_expr(webhook_event::Column::ProcessedAt, Expr::value(Some(now)))
        .filter(webhook_event::Column::Id.eq(id))
        .filter(
            webhook_event::Column::Status
                .is_in([WebhookEventStatus::Received, WebhookEventStatus::Failed]),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// What processing an event did.
enum Routed {
    Applied,
    Ignored(String),
}

async fn route(quire: &Quire, event: &Event) -> Result<Routed, Error> {
    let object = &event.data.object;
    match event.kind.as_str() {
        "invoice.paid" => invoice_paid(quire, object).await,
        "customer.subscription.updated" => subscription_updated(quire, object).await,
        "customer.subscription.deleted" => subscription_deleted(quire, object).await,
        other => Ok(Routed::Ignored(format!("unhandled event type `{other}`"))),
    }
}

/// Applies the Quire payment the invoice pays, when its amount and currency match.
async fn invoice_paid(quire: &Quire, invoice: &Map<String, Value>) -> Result<Routed, Error> {
    let payment = match invoice_payment(&quire.db, invoice).await? {
        Ok(payment) => payment,
        Err(reason) => return Ok(Routed::Ignored(reason)),
    };
    if let Some(reason) = amount_mismatch(invoice, &payment) {
        return Ok(Routed::Ignored(reason));
    }
    match apply::confirm(quire, payment.id, ACTOR, None).await {
        Ok(_) => Ok(Routed::Applied),
        Err(Error::Conflict(reason)) => Ok(Routed::Ignored(format!(
            "payment {}: {reason}",
            payment.reference
        ))),
        Err(Error::NotFound) => Ok(Routed::Ignored(format!(
            "payment {} no longer exists",
            payment.reference
        ))),
        Err(other) => Err(other),
    }
}

/// The payment named by the invoice's metadata, else the oldest pending payment of the
/// subscription it bills; `Err` says why none matches.
async fn invoice_payment(
    db: &Db,
    invoice: &Map<String, Value>,
) -> Result<Result<payment::Model, String>, Error> {
    if let Some(reference) = text_at(invoice, &["metadata", REFERENCE_KEY]) {
        return Ok(payment::Entity::find()
            .filter(payment::Column::Reference.eq(reference))
            .one(db)
            .await?
            .ok_or_else(|| format!("no Quire payment has the reference `{reference}`")));
    }
    // `subscription` until Stripe's 2025-03-31 API version, `parent.subscription_details` since.
    let stripe_id = text_at(invoice, &["subscription"])
        .or_else(|| text_at(invoice, &["parent", "subscription_details", "subscription"]));
    let Some(stripe_id) = stripe_id else {
        return Ok(Err(format!(
            "the invoice names neither metadata.{REFERENCE_KEY} nor a subscription"
        )));
    };
    let Some(subscription) = by_external_id(db, stripe_id).await? else {
        return Ok(Err(unknown_subscription(stripe_id)));
    };
    Ok(payment::Entity::find()
        .filter(payment::Column::SubscriptionId.eq(subscription.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(payment::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| format!("subscription {} has no pending payment", subscription.id)))
}

/// Why the invoice cannot pay `payment`, when its `amount_paid` or `currency` differ.
fn amount_mismatch(invoice: &Map<String, Value>, payment: &payment::Model) -> Option<String> {
    let amount = invoice.get("amount_paid").and_then(Value::as_i64);
    let currency = invoice.get("currency").and_then(Value::as_str);
    let paid = match (amount, currency) {
        (Some(amount), Some(currency))
            if amount == payment.amount && currency.eq_ignore_ascii_case(&payment.currency) =>
        {
            return None;
        }
        (Some(amount), Some(currency)) => format_amount(amount, &currency.to_uppercase()),
        _ => "no amount_paid and currency".to_owned(),
    };
    Some(format!(
        "the invoice paid {paid} but payment {} is for {}",
        payment.reference,
        format_amount(payment.amount, &payment.currency)
    ))
}

/// Mirrors Stripe's `cancel_at_period_end` (and `canceled_at`) on the Quire subscription.
async fn subscription_updated(quire: &Quire, object: &Map<String, Value>) -> Result<Routed, Error> {
    let Some(stripe_id) = text_at(object, &["id"]) else {
        return Ok(Routed::Ignored("the subscription has no id".to_owned()));
    };
    let Some(cancel) = object.get("cancel_at_period_end").and_then(Value::as_bool) else {
        return Ok(Routed::Ignored(
            "the subscription has no cancel_at_period_end".to_owned(),
        ));
    };
    let canceled_at = object
        .get("canceled_at")
        .and_then(Value::as_i64)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0));
    let Some(found) = by_external_id(&quire.db, stripe_id).await? else {
        return Ok(Routed::Ignored(unknown_subscription(stripe_id)));
    };
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, found.account_id).await?;
    let current = subscription::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.status == SubscriptionStatus::Canceled {
        return Ok(Routed::Ignored(format!(
            "subscription {} has already ended",
            current.id
        )));
    }
    if current.cancel_at_period_end == cancel {
        return Ok(Routed::Ignored(format!(
            "subscription {} already has cancel_at_period_end = {cancel}",
            current.id
        )));
    }
    let mut row: subscription::ActiveModel = current.clone().into();
    row.cancel_at_period_end = Set(cancel);
    row.canceled_at = Set(cancel.then(|| canceled_at.unwrap_or(now)));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: ACTOR,
            action: "subscription.updated_by_stripe",
            object_type: "subscription",
            object_id: Some(updated.id),
            account_id: Some(updated.account_id),
            before: Some(json!({
                "cancel_at_period_end": current.cancel_at_period_end,
                "canceled_at": current.canceled_at,
            })),
            after: Some(json!({
                "cancel_at_period_end": updated.cancel_at_period_end,
                "canceled_at": updated.canceled_at,
                "external_id": stripe_id,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Routed::Applied)
}

/// Ends the Quire subscription now: subscription `canceled`, its pending payments `void`, the
/// account `cancelled` (an operator's suspension stands), then the owner is told.
async fn subscription_deleted(quire: &Quire, object: &Map<String, Value>) -> Result<Routed, Error> {
    let Some(stripe_id) = text_at(object, &["id"]) else {
        return Ok(Routed::Ignored("the subscription has no id".to_owned()));
    };
    let Some(found) = by_external_id(&quire.db, stripe_id).await? else {
        return Ok(Routed::Ignored(unknown_subscription(stripe_id)));
    };
    let now = quire.clock.now();
    let txn = begin_write(&quire.db).await?;
    lock_account(&txn, found.account_id).await?;
    let current = subscription::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.status == SubscriptionStatus::Canceled {
        return Ok(Routed::Ignored(format!(
            "subscription {} has already ended",
            current.id
        )));
    }
    let account_before = account::Entity::find_by_id(current.account_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;

    let ended = end_subscription(
        &txn,
        &current,
        &account_before,
        now,
        "The subscription was cancelled in Stripe.",
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: ACTOR,
            action: "subscription.deleted_by_stripe",
            object_type: "subscription",
            object_id: Some(current.id),
            account_id: Some(current.account_id),
            before: Some(json!({
                "subscription": current.status,
                "account": account_before.status,
            })),
            after: Some(json!({
                "subscription": ended.subscription.status,
                "ended_at": ended.subscription.ended_at,
                "account": ended.account.status,
                "payments_voided": ended.payments_voided,
                "external_id": stripe_id,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    deliver::to_account(
        quire,
        current.account_id,
        current.plan_id,
        NotificationKind::Cancelled { ended_at: now },
    )
    .await;
    Ok(Routed::Applied)
}

/// The Quire subscription that mirrors Stripe subscription `stripe_id`.
async fn by_external_id(db: &Db, stripe_id: &str) -> Result<Option<subscription::Model>, Error> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::ExternalId.eq(stripe_id))
        .order_by_asc(subscription::Column::Id)
        .one(db)
        .await?)
}

fn unknown_subscription(stripe_id: &str) -> String {
    format!("no Quire subscription has the external id `{stripe_id}`")
}

/// The non-empty string at `path` inside `object`.
fn text_at<'a>(object: &'a Map<String, Value>, path: &[&str]) -> Option<&'a str> {
    let (first, rest) = path.split_first()?;
    let mut value = object.get(*first)?;
    for key in rest {
        value = value.get(*key)?;
    }
    value.as_str().filter(|text| !text.trim().is_empty())
}
