//! Tenancy and reference data: industries, industry sectors, the seed-keyword library, and
//! each account's sites and sectors.

use crate::helpers::{fk, index, table_auto};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Industries {
    Table,
    Id,
    Slug,
    Name,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndustrySectors {
    Table,
    Id,
    IndustryId,
    Slug,
    Name,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum SeedKeywords {
    Table,
    Id,
    IndustrySectorId,
    Keyword,
    Volume,
    Difficulty,
    Intent,
    Country,
    Language,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sites {
    Table,
    Id,
    AccountId,
    Name,
    Url,
    IndustryId,
    Description,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sectors {
    Table,
    Id,
    AccountId,
    SiteId,
    Name,
    IndustrySectorId,
    Description,
    IsActive,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table_auto(Industries::Table)
                    .col(big_pk_auto(Industries::Id))
                    .col(string_len_uniq(Industries::Slug, 64))
                    .col(string_len(Industries::Name, 100))
                    .col(text(Industries::Description).default(""))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                table_auto(IndustrySectors::Table)
                    .col(big_pk_auto(IndustrySectors::Id))
                    .col(big_integer(IndustrySectors::IndustryId))
                    .col(string_len_uniq(IndustrySectors::Slug, 64))
                    .col(string_len(IndustrySectors::Name, 100))
                    .col(text(IndustrySectors::Description).default(""))
                    .foreign_key(&mut fk(
                        "fk_industry_sectors_industry",
                        (IndustrySectors::Table, IndustrySectors::IndustryId),
                        (Industries::Table, Industries::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_industry_sectors_industry",
            IndustrySectors::Table,
            &[IndustrySectors::IndustryId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SeedKeywords::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SeedKeywords::Id))
                    .col(big_integer(SeedKeywords::IndustrySectorId))
                    .col(string_len(SeedKeywords::Keyword, 255))
                    .col(
                        big_integer(SeedKeywords::Volume)
                            .check(Expr::col(SeedKeywords::Volume).gte(0)),
                    )
                    .col(
                        integer(SeedKeywords::Difficulty)
                            .check(Expr::col(SeedKeywords::Difficulty).between(0, 100)),
                    )
                    .col(string_len(SeedKeywords::Intent, 20))
                    .col(string_len(SeedKeywords::Country, 2))
                    .col(string_len(SeedKeywords::Language, 8))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "fk_seed_keywords_industry_sector",
                        (SeedKeywords::Table, SeedKeywords::IndustrySectorId),
                        (IndustrySectors::Table, IndustrySectors::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_seed_keywords_sector_keyword",
            SeedKeywords::Table,
            &[SeedKeywords::IndustrySectorId, SeedKeywords::Keyword],
            true,
        )
        .await?;

        manager
            .create_table(
                table_auto(Sites::Table)
                    .col(big_pk_auto(Sites::Id))
                    .col(big_integer(Sites::AccountId))
                    .col(string_len(Sites::Name, 100))
                    .col(string_len(Sites::Url, 2048))
                    .col(big_integer_null(Sites::IndustryId))
                    .col(text(Sites::Description).default(""))
                    .col(boolean(Sites::IsActive).default(true))
                    .foreign_key(&mut fk(
                        "fk_sites_account",
                        (Sites::Table, Sites::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sites_industry",
                        (Sites::Table, Sites::IndustryId),
                        (Industries::Table, Industries::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_sites_account_url",
            Sites::Table,
            &[Sites::AccountId, Sites::Url],
            true,
        )
        .await?;
        index(
            manager,
            "idx_sites_account_active",
            Sites::Table,
            &[Sites::AccountId, Sites::IsActive],
            false,
        )
        .await?;

        manager
            .create_table(
                table_auto(Sectors::Table)
                    .col(big_pk_auto(Sectors::Id))
                    .col(big_integer(Sectors::AccountId))
                    .col(big_integer(Sectors::SiteId))
                    .col(string_len(Sectors::Name, 100))
                    .col(big_integer_null(Sectors::IndustrySectorId))
                    .col(text(Sectors::Description).default(""))
                    .col(boolean(Sectors::IsActive).default(true))
                    .foreign_key(&mut fk(
                        "fk_sectors_account",
                        (Sectors::Table, Sectors::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sectors_site",
                        (Sectors::Table, Sectors::SiteId),
                        (Sites::Table, Sites::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sectors_industry_sector",
                        (Sectors::Table, Sectors::IndustrySectorId),
                        (IndustrySectors::Table, IndustrySectors::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_sectors_site_name",
            Sectors::Table,
            &[Sectors::SiteId, Sectors::Name],
            true,
        )
        .await?;
        index(
            manager,
            "idx_sectors_account",
            Sectors::Table,
            &[Sectors::AccountId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Sectors::Table.into_iden(),
            Sites::Table.into_iden(),
            SeedKeywords::Table.into_iden(),
            IndustrySectors::Table.into_iden(),
            Industries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
