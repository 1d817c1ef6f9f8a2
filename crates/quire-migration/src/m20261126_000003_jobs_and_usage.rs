//! Jobs (the table-backed queue), the AI usage log, and what operators tune: model rates,
//! per-operation prices and prompt overrides.

use crate::helpers::{fk, index, table_auto};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    AccountId,
    UserId,
    Kind,
    Status,
    Progress,
    ProgressMessage,
    Input,
    Result,
    Error,
    ReservedCredits,
    ChargedCredits,
    CreditState,
    Attempts,
    MaxAttempts,
    RunAfter,
    LeaseUntil,
    WorkerId,
    CancelRequested,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AiUsageLogs {
    Table,
    Id,
    AccountId,
    UserId,
    JobId,
    Operation,
    Provider,
    Model,
    InputTokens,
    OutputTokens,
    CostMicroUsd,
    CreditsCharged,
    Status,
    Error,
    LatencyMs,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModelRates {
    Table,
    Model,
    InputMicroUsdPerMillion,
    OutputMicroUsdPerMillion,
    #[sea_orm(iden = "millicredits_per_1k_tokens")]
    MillicreditsPer1kTokens,
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationPrices {
    Table,
    Operation,
    MinCredits,
    FlatCredits,
}

#[derive(DeriveIden, Clone, Copy)]
enum PromptOverrides {
    Table,
    Operation,
    Text,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
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
                table_auto(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(big_integer(Jobs::AccountId))
                    .col(big_integer_null(Jobs::UserId))
                    .col(string_len(Jobs::Kind, 64))
                    .col(string_len(Jobs::Status, 16))
                    .col(integer(Jobs::Progress).default(0))
                    .col(text(Jobs::ProgressMessage).default(""))
                    .col(text(Jobs::Input))
                    .col(text_null(Jobs::Result))
                    .col(text_null(Jobs::Error))
                    .col(big_integer(Jobs::ReservedCredits).default(0))
                    .col(big_integer(Jobs::ChargedCredits).default(0))
                    .col(string_len(Jobs::CreditState, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts).default(3))
                    .col(timestamp_with_time_zone(Jobs::RunAfter))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(string_len_null(Jobs::WorkerId, 64))
                    .col(boolean(Jobs::CancelRequested).default(false))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .foreign_key(&mut fk(
                        "fk_jobs_account",
                        (Jobs::Table, Jobs::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_jobs_user",
                        (Jobs::Table, Jobs::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_jobs_claim",
            Jobs::Table,
            &[Jobs::Status, Jobs::RunAfter],
            false,
        )
        .await?;
        index(
            manager,
            "idx_jobs_account",
            Jobs::Table,
            &[Jobs::AccountId, Jobs::Status],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AiUsageLogs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AiUsageLogs::Id))
                    .col(big_integer(AiUsageLogs::AccountId))
                    .col(big_integer_null(AiUsageLogs::UserId))
                    .col(big_integer_null(AiUsageLogs::JobId))
                    .col(string_len(AiUsageLogs::Operation, 64))
                    .col(string_len(AiUsageLogs::Provider, 32))
                    .col(string_len(AiUsageLogs::Model, 128))
                    .col(big_integer(AiUsageLogs::InputTokens))
                    .col(big_integer(AiUsageLogs::OutputTokens))
                    .col(big_integer(AiUsageLogs::CostMicroUsd))
                    .col(big_integer(AiUsageLogs::CreditsCharged))
                    .col(string_len(AiUsageLogs::Status, 16))
                    .col(text_null(AiUsageLogs::Error))
                    .col(big_integer(AiUsageLogs::LatencyMs))
                    .col(timestamp_with_time_zone(AiUsageLogs::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_ai_usage_logs_account",
                        (AiUsageLogs::Table, AiUsageLogs::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_ai_usage_logs_job",
                        (AiUsageLogs::Table, AiUsageLogs::JobId),
                        (Jobs::Table, Jobs::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_ai_usage_logs_account_created",
            AiUsageLogs::Table,
            &[AiUsageLogs::AccountId, AiUsageLogs::CreatedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                table_auto(ModelRates::Table)
                    .col(string_len(ModelRates::Model, 128).primary_key())
                    .col(big_integer(ModelRates::InputMicroUsdPerMillion))
                    .col(big_integer(ModelRates::OutputMicroUsdPerMillion))
                    .col(big_integer(ModelRates::MillicreditsPer1kTokens))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                table_auto(OperationPrices::Table)
                    .col(string_len(OperationPrices::Operation, 64).primary_key())
                    .col(big_integer(OperationPrices::MinCredits))
                    .col(big_integer_null(OperationPrices::FlatCredits))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                table_auto(PromptOverrides::Table)
                    .col(string_len(PromptOverrides::Operation, 64).primary_key())
                    .col(text(PromptOverrides::Text))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PromptOverrides::Table.into_iden(),
            OperationPrices::Table.into_iden(),
            ModelRates::Table.into_iden(),
            AiUsageLogs::Table.into_iden(),
            Jobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
