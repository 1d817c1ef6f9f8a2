//! Email-change links: the new address waits here until its owner opens the link sent to it;
//! single use, short-lived, stored only as a fingerprint of the token.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum EmailChanges {
    Table,
    TokenHash,
    UserId,
    NewEmail,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailChanges::Table)
                    .if_not_exists()
                    .col(string_len(EmailChanges::TokenHash, 64).primary_key())
                    .col(big_integer(EmailChanges::UserId))
                    .col(string_len(EmailChanges::NewEmail, 254))
                    .col(timestamp_with_time_zone(EmailChanges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailChanges::UsedAt))
                    .col(timestamp_with_time_zone(EmailChanges::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_email_changes_user",
                        (EmailChanges::Table, EmailChanges::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_email_changes_user",
            EmailChanges::Table,
            &[EmailChanges::UserId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailChanges::Table).take())
            .await
    }
}
