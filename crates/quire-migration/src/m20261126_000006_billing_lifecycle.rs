//! Billing lifecycle: each subscription's calendar anchor and its last annual monthly grant,
//! the transfer a payer reports, and the audit log of billing and operator actions.

use crate::helpers::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Subscriptions {
    Table,
    BillingAnchor,
    LastMonthlyGrant,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    TransferDate,
    NotifiedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    Actor,
    Action,
    ObjectType,
    ObjectId,
    AccountId,
    Before,
    After,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            timestamp_with_time_zone_null(Subscriptions::BillingAnchor),
            integer_null(Subscriptions::LastMonthlyGrant),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Subscriptions::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        for column in [
            timestamp_with_time_zone_null(Payments::TransferDate),
            timestamp_with_time_zone_null(Payments::NotifiedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Payments::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(string_len(AuditLog::Actor, 64))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::ObjectType, 32))
                    .col(big_integer_null(AuditLog::ObjectId))
                    .col(big_integer_null(AuditLog::AccountId))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_audit_log_account_created",
            AuditLog::Table,
            &[AuditLog::AccountId, AuditLog::CreatedAt],
            false,
        )
        .await?;
        index(
            manager,
            "idx_audit_log_object",
            AuditLog::Table,
            &[AuditLog::ObjectType, AuditLog::ObjectId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).take())
            .await?;
        for column in [Payments::NotifiedAt, Payments::TransferDate] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Payments::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        for column in [
            Subscriptions::LastMonthlyGrant,
            Subscriptions::BillingAnchor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Subscriptions::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
