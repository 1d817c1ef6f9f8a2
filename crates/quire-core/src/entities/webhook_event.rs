//! One event a payment provider sent to a webhook, kept so a replay applies once.

use super::enums::WebhookEventStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `stripe`.
    pub provider: String,
    /// The provider's id for the event; unique per provider.
    pub event_id: String,
    pub event_type: String,
    /// The raw body, as received and verified.
    pub payload: String,
    pub status: WebhookEventStatus,
    /// Why the event was ignored or failed.
    pub error: Option<String>,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
