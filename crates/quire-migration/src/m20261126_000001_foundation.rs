//! The foundation: plans, accounts, users, subscriptions, payments, refresh-token families,
//! the credit ledger and instance secrets.

use crate::helpers::{fk, index, table_auto};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Plans {
    Table,
    Id,
    Slug,
    Name,
    Description,
    Price,
    Currency,
    BillingCycle,
    IncludedCredits,
    CreditsPerMonth,
    MaxSites,
    MaxIndustries,
    MaxUsers,
    TrialDays,
    CreditPolicy,
    IsActive,
    SortOrder,
    StripeProductId,
    StripePriceId,
    PaypalPlanId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
    Name,
    Slug,
    OwnerId,
    PlanId,
    Credits,
    Status,
    SuspensionReason,
    PaymentMethod,
    BillingEmail,
    BillingName,
    BillingAddress,
    BillingCountry,
    TaxId,
    GracePeriodEndsAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Name,
    AccountId,
    Role,
    IsStaff,
    IsActive,
    LastLoginAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Subscriptions {
    Table,
    Id,
    AccountId,
    PlanId,
    Status,
    PaymentMethod,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    CancelAtPeriodEnd,
    CanceledAt,
    EndedAt,
    ExternalId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    Id,
    AccountId,
    SubscriptionId,
    PlanId,
    Amount,
    Currency,
    Method,
    Status,
    Reference,
    PayerName,
    PayerEmail,
    PayerBank,
    PayerTransactionRef,
    PeriodStart,
    PeriodEnd,
    ConfirmedBy,
    ConfirmedAt,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokenFamilies {
    Table,
    Id,
    UserId,
    AccountId,
    CurrentTokenHash,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum CreditTransactions {
    Table,
    Id,
    AccountId,
    Amount,
    BalanceAfter,
    Kind,
    Operation,
    UsageLogId,
    PaymentId,
    IdempotencyKey,
    Actor,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InstanceSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table_auto(Plans::Table)
                    .col(big_pk_auto(Plans::Id))
                    .col(string_len_uniq(Plans::Slug, 64))
                    .col(string_len(Plans::Name, 100))
                    .col(text(Plans::Description).default(""))
                    .col(big_integer(Plans::Price).check(Expr::col(Plans::Price).gte(0)))
                    .col(string_len(Plans::Currency, 3))
                    .col(string_len(Plans::BillingCycle, 16))
                    .col(big_integer(Plans::IncludedCredits).default(0))
                    .col(big_integer(Plans::CreditsPerMonth).default(0))
                    .col(integer(Plans::MaxSites))
                    .col(integer(Plans::MaxIndustries))
                    .col(integer(Plans::MaxUsers))
                    .col(integer(Plans::TrialDays).default(0))
                    .col(string_len(Plans::CreditPolicy, 16))
                    .col(boolean(Plans::IsActive).default(true))
                    .col(integer(Plans::SortOrder).default(0))
                    .col(string_len_null(Plans::StripeProductId, 255))
                    .col(string_len_null(Plans::StripePriceId, 255))
                    .col(string_len_null(Plans::PaypalPlanId, 255))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                table_auto(Accounts::Table)
                    .col(big_pk_auto(Accounts::Id))
                    .col(string_len(Accounts::Name, 100))
                    .col(string_len_uniq(Accounts::Slug, 120))
                    // Set in the same transaction as the owner is created; no FK because
                    // users reference accounts and the two rows are created together.
                    .col(big_integer_null(Accounts::OwnerId))
                    .col(big_integer_null(Accounts::PlanId))
                    .col(
                        big_integer(Accounts::Credits)
                            .default(0)
                            .check(Expr::col(Accounts::Credits).gte(0)),
                    )
                    .col(string_len(Accounts::Status, 20))
                    .col(string_len_null(Accounts::SuspensionReason, 20))
                    .col(string_len(Accounts::PaymentMethod, 20))
                    .col(string_len_null(Accounts::BillingEmail, 254))
                    .col(string_len_null(Accounts::BillingName, 200))
                    .col(text_null(Accounts::BillingAddress))
                    .col(string_len_null(Accounts::BillingCountry, 2))
                    .col(string_len_null(Accounts::TaxId, 64))
                    .col(timestamp_with_time_zone_null(Accounts::GracePeriodEndsAt))
                    .foreign_key(&mut fk(
                        "fk_accounts_plan",
                        (Accounts::Table, Accounts::PlanId),
                        (Plans::Table, Plans::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                table_auto(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len(Users::Name, 100).default(""))
                    .col(big_integer_null(Users::AccountId))
                    .col(string_len(Users::Role, 20))
                    .col(boolean(Users::IsStaff).default(false))
                    .col(boolean(Users::IsActive).default(true))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .foreign_key(&mut fk(
                        "fk_users_account",
                        (Users::Table, Users::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_users_account",
            Users::Table,
            &[Users::AccountId],
            false,
        )
        .await?;

        manager
            .create_table(
                table_auto(Subscriptions::Table)
                    .col(big_pk_auto(Subscriptions::Id))
                    .col(big_integer(Subscriptions::AccountId))
                    .col(big_integer(Subscriptions::PlanId))
                    .col(string_len(Subscriptions::Status, 20))
                    .col(string_len(Subscriptions::PaymentMethod, 20))
                    .col(timestamp_with_time_zone_null(
                        Subscriptions::CurrentPeriodStart,
                    ))
                    .col(timestamp_with_time_zone_null(
                        Subscriptions::CurrentPeriodEnd,
                    ))
                    .col(boolean(Subscriptions::CancelAtPeriodEnd).default(false))
                    .col(timestamp_with_time_zone_null(Subscriptions::CanceledAt))
                    .col(timestamp_with_time_zone_null(Subscriptions::EndedAt))
                    .col(string_len_null(Subscriptions::ExternalId, 255))
                    .foreign_key(&mut fk(
                        "fk_subscriptions_account",
                        (Subscriptions::Table, Subscriptions::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_subscriptions_plan",
                        (Subscriptions::Table, Subscriptions::PlanId),
                        (Plans::Table, Plans::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_subscriptions_account",
            Subscriptions::Table,
            &[Subscriptions::AccountId],
            false,
        )
        .await?;

        manager
            .create_table(
                table_auto(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::AccountId))
                    .col(big_integer_null(Payments::SubscriptionId))
                    .col(big_integer(Payments::PlanId))
                    .col(big_integer(Payments::Amount).check(Expr::col(Payments::Amount).gte(0)))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Method, 20))
                    .col(string_len(Payments::Status, 20))
                    .col(string_len_uniq(Payments::Reference, 32))
                    .col(string_len_null(Payments::PayerName, 200))
                    .col(string_len_null(Payments::PayerEmail, 254))
                    .col(string_len_null(Payments::PayerBank, 200))
                    .col(string_len_null(Payments::PayerTransactionRef, 200))
                    .col(timestamp_with_time_zone_null(Payments::PeriodStart))
                    .col(timestamp_with_time_zone_null(Payments::PeriodEnd))
                    .col(big_integer_null(Payments::ConfirmedBy))
                    .col(timestamp_with_time_zone_null(Payments::ConfirmedAt))
                    .col(text_null(Payments::Note))
                    .foreign_key(&mut fk(
                        "fk_payments_account",
                        (Payments::Table, Payments::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_payments_subscription",
                        (Payments::Table, Payments::SubscriptionId),
                        (Subscriptions::Table, Subscriptions::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_payments_plan",
                        (Payments::Table, Payments::PlanId),
                        (Plans::Table, Plans::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_payments_confirmed_by",
                        (Payments::Table, Payments::ConfirmedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_payments_account_status",
            Payments::Table,
            &[Payments::AccountId, Payments::Status],
            false,
        )
        .await?;

        manager
            .create_table(
                table_auto(RefreshTokenFamilies::Table)
                    .col(string_len(RefreshTokenFamilies::Id, 36).primary_key())
                    .col(big_integer(RefreshTokenFamilies::UserId))
                    .col(big_integer_null(RefreshTokenFamilies::AccountId))
                    .col(string_len(RefreshTokenFamilies::CurrentTokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokenFamilies::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        RefreshTokenFamilies::RevokedAt,
                    ))
                    .col(string_len_null(RefreshTokenFamilies::RevokedReason, 32))
                    .foreign_key(&mut fk(
                        "fk_refresh_families_user",
                        (RefreshTokenFamilies::Table, RefreshTokenFamilies::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_refresh_families_account",
                        (RefreshTokenFamilies::Table, RefreshTokenFamilies::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_refresh_families_user",
            RefreshTokenFamilies::Table,
            &[RefreshTokenFamilies::UserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CreditTransactions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CreditTransactions::Id))
                    .col(big_integer(CreditTransactions::AccountId))
                    .col(big_integer(CreditTransactions::Amount))
                    .col(
                        big_integer(CreditTransactions::BalanceAfter)
                            .check(Expr::col(CreditTransactions::BalanceAfter).gte(0)),
                    )
                    .col(string_len(CreditTransactions::Kind, 20))
                    .col(string_len_null(CreditTransactions::Operation, 64))
                    .col(big_integer_null(CreditTransactions::UsageLogId))
                    .col(big_integer_null(CreditTransactions::PaymentId))
                    .col(string_len(CreditTransactions::IdempotencyKey, 128))
                    .col(string_len(CreditTransactions::Actor, 64))
                    .col(text_null(CreditTransactions::Note))
                    .col(timestamp_with_time_zone(CreditTransactions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_credit_transactions_account",
                        (CreditTransactions::Table, CreditTransactions::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_credit_transactions_payment",
                        (CreditTransactions::Table, CreditTransactions::PaymentId),
                        (Payments::Table, Payments::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_credit_transactions_account_key")
                    .table(CreditTransactions::Table)
                    .col(CreditTransactions::AccountId)
                    .col(CreditTransactions::IdempotencyKey)
                    .unique()
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_credit_transactions_account_created",
            CreditTransactions::Table,
            &[CreditTransactions::AccountId, CreditTransactions::CreatedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(InstanceSecrets::Table)
                    .if_not_exists()
                    .col(string_len(InstanceSecrets::Name, 64).primary_key())
                    .col(text(InstanceSecrets::Value))
                    .col(timestamp_with_time_zone(InstanceSecrets::CreatedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InstanceSecrets::Table.into_iden(),
            CreditTransactions::Table.into_iden(),
            RefreshTokenFamilies::Table.into_iden(),
            Payments::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            Users::Table.into_iden(),
            Accounts::Table.into_iden(),
            Plans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
