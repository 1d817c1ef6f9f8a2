//! Planner and writer queue: keywords, clusters, content ideas, and writer tasks, each on an
//! account, site and sector.

use crate::helpers::{fk, index, owned_by};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Clusters {
    Table,
    Id,
    AccountId,
    SiteId,
    SectorId,
    Name,
    Description,
    KeywordCount,
    TotalVolume,
    Status,
}

#[derive(DeriveIden, Clone, Copy)]
enum Keywords {
    Table,
    Id,
    AccountId,
    SiteId,
    SectorId,
    Keyword,
    KeywordKey,
    SeedKeywordId,
    Volume,
    Difficulty,
    Intent,
    Status,
    ClusterId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentIdeas {
    Table,
    Id,
    AccountId,
    SiteId,
    SectorId,
    ClusterId,
    Title,
    Description,
    Outline,
    ContentType,
    ContentStructure,
    TargetKeywords,
    EstimatedWords,
    Status,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tasks {
    Table,
    Id,
    AccountId,
    SiteId,
    SectorId,
    IdeaId,
    ClusterId,
    Title,
    Brief,
    Outline,
    TargetKeywords,
    WordCount,
    Tone,
    Audience,
    Language,
    PointOfView,
    Notes,
    Status,
}

#[derive(DeriveIden, Clone, Copy)]
enum SeedKeywords {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                owned_by(
                    Clusters::Table,
                    "clusters",
                    Clusters::AccountId,
                    Clusters::SiteId,
                    Clusters::SectorId,
                )
                .col(big_pk_auto(Clusters::Id))
                .col(string_len(Clusters::Name, 255))
                .col(text(Clusters::Description).default(""))
                .col(big_integer(Clusters::KeywordCount).default(0))
                .col(big_integer(Clusters::TotalVolume).default(0))
                .col(string_len(Clusters::Status, 16))
                .take(),
            )
            .await?;
        index(
            manager,
            "idx_clusters_account_sector",
            Clusters::Table,
            &[Clusters::AccountId, Clusters::SectorId],
            false,
        )
        .await?;

        manager
            .create_table(
                owned_by(
                    Keywords::Table,
                    "keywords",
                    Keywords::AccountId,
                    Keywords::SiteId,
                    Keywords::SectorId,
                )
                .col(big_pk_auto(Keywords::Id))
                .col(string_len(Keywords::Keyword, 255))
                .col(string_len(Keywords::KeywordKey, 255))
                .col(big_integer_null(Keywords::SeedKeywordId))
                .col(
                    big_integer(Keywords::Volume)
                        .default(0)
                        .check(Expr::col(Keywords::Volume).gte(0)),
                )
                .col(
                    integer_null(Keywords::Difficulty)
                        .check(Expr::col(Keywords::Difficulty).between(0, 100)),
                )
                .col(string_len_null(Keywords::Intent, 20))
                .col(string_len(Keywords::Status, 16))
                .col(big_integer_null(Keywords::ClusterId))
                .foreign_key(&mut fk(
                    "fk_keywords_seed_keyword",
                    (Keywords::Table, Keywords::SeedKeywordId),
                    (SeedKeywords::Table, SeedKeywords::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_keywords_cluster",
                    (Keywords::Table, Keywords::ClusterId),
                    (Clusters::Table, Clusters::Id),
                    ForeignKeyAction::SetNull,
                ))
                .take(),
            )
            .await?;
        // Unique per sector ignoring case: `keyword_key` is the Unicode lower-cased text
        // (SQLite's `lower()` only folds ASCII, so the key is computed in Rust).
        index(
            manager,
            "uq_keywords_sector_key",
            Keywords::Table,
            &[Keywords::SectorId, Keywords::KeywordKey],
            true,
        )
        .await?;
        index(
            manager,
            "idx_keywords_account_sector",
            Keywords::Table,
            &[Keywords::AccountId, Keywords::SectorId, Keywords::Id],
            false,
        )
        .await?;
        index(
            manager,
            "idx_keywords_cluster",
            Keywords::Table,
            &[Keywords::ClusterId],
            false,
        )
        .await?;

        manager
            .create_table(
                owned_by(
                    ContentIdeas::Table,
                    "content_ideas",
                    ContentIdeas::AccountId,
                    ContentIdeas::SiteId,
                    ContentIdeas::SectorId,
                )
                .col(big_pk_auto(ContentIdeas::Id))
                .col(big_integer_null(ContentIdeas::ClusterId))
                .col(string_len(ContentIdeas::Title, 255))
                .col(text(ContentIdeas::Description).default(""))
                .col(text(ContentIdeas::Outline))
                .col(string_len(ContentIdeas::ContentType, 32))
                .col(string_len(ContentIdeas::ContentStructure, 64).default(""))
                .col(text(ContentIdeas::TargetKeywords))
                .col(integer(ContentIdeas::EstimatedWords))
                .col(string_len(ContentIdeas::Status, 16))
                .foreign_key(&mut fk(
                    "fk_content_ideas_cluster",
                    (ContentIdeas::Table, ContentIdeas::ClusterId),
                    (Clusters::Table, Clusters::Id),
                    ForeignKeyAction::SetNull,
                ))
                .take(),
            )
            .await?;
        index(
            manager,
            "idx_content_ideas_account_sector",
            ContentIdeas::Table,
            &[ContentIdeas::AccountId, ContentIdeas::SectorId],
            false,
        )
        .await?;
        index(
            manager,
            "idx_content_ideas_cluster",
            ContentIdeas::Table,
            &[ContentIdeas::ClusterId],
            false,
        )
        .await?;

        manager
            .create_table(
                owned_by(
                    Tasks::Table,
                    "tasks",
                    Tasks::AccountId,
                    Tasks::SiteId,
                    Tasks::SectorId,
                )
                .col(big_pk_auto(Tasks::Id))
                .col(big_integer_null(Tasks::IdeaId))
                .col(big_integer_null(Tasks::ClusterId))
                .col(string_len(Tasks::Title, 255))
                .col(text(Tasks::Brief).default(""))
                .col(text(Tasks::Outline))
                .col(text(Tasks::TargetKeywords))
                .col(integer(Tasks::WordCount))
                .col(string_len(Tasks::Tone, 64).default(""))
                .col(string_len(Tasks::Audience, 255).default(""))
                .col(string_len(Tasks::Language, 35).default("en"))
                .col(string_len(Tasks::PointOfView, 16).default(""))
                .col(text(Tasks::Notes).default(""))
                .col(string_len(Tasks::Status, 16))
                .foreign_key(&mut fk(
                    "fk_tasks_idea",
                    (Tasks::Table, Tasks::IdeaId),
                    (ContentIdeas::Table, ContentIdeas::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_tasks_cluster",
                    (Tasks::Table, Tasks::ClusterId),
                    (Clusters::Table, Clusters::Id),
                    ForeignKeyAction::SetNull,
                ))
                .take(),
            )
            .await?;
        index(
            manager,
            "idx_tasks_account_status",
            Tasks::Table,
            &[Tasks::AccountId, Tasks::Status],
            false,
        )
        .await?;
        index(
            manager,
            "idx_tasks_idea",
            Tasks::Table,
            &[Tasks::IdeaId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tasks::Table.into_iden(),
            ContentIdeas::Table.into_iden(),
            Keywords::Table.into_iden(),
            Clusters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
