//! Billing automation: a plan change waiting for the next renewal, what a payment is for, the
//! inbox of payment-provider webhook events, and the leases that keep the billing scheduler
//! to one node.

use crate::helpers::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Subscriptions {
    Table,
    ScheduledPlanId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    Purpose,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEvents {
    Table,
    Id,
    Provider,
    EventId,
    EventType,
    Payload,
    Status,
    Error,
    ReceivedAt,
    ProcessedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SchedulerLeases {
    Table,
    Name,
    Holder,
    LeaseUntil,
    AcquiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Subscriptions::Table)
                    .add_column(big_integer_null(Subscriptions::ScheduledPlanId))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .add_column(string_len(Payments::Purpose, 16).default("subscription"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(string_len(WebhookEvents::Provider, 16))
                    .col(string_len(WebhookEvents::EventId, 255))
                    .col(string_len(WebhookEvents::EventType, 128))
                    .col(text(WebhookEvents::Payload))
                    .col(string_len(WebhookEvents::Status, 16))
                    .col(text_null(WebhookEvents::Error))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_webhook_events_provider_event",
            WebhookEvents::Table,
            &[WebhookEvents::Provider, WebhookEvents::EventId],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SchedulerLeases::Table)
                    .if_not_exists()
                    .col(string_len(SchedulerLeases::Name, 64).primary_key())
                    .col(string_len(SchedulerLeases::Holder, 128))
                    .col(timestamp_with_time_zone(SchedulerLeases::LeaseUntil))
                    .col(timestamp_with_time_zone(SchedulerLeases::AcquiredAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SchedulerLeases::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .drop_column(Payments::Purpose)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Subscriptions::Table)
                    .drop_column(Subscriptions::ScheduledPlanId)
                    .take(),
            )
            .await
    }
}
