//! Writer content: the current draft of each task's article, and every version it has had.

use crate::helpers::{fk, index, owned_by};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Contents {
    Table,
    Id,
    AccountId,
    SiteId,
    SectorId,
    TaskId,
    Title,
    MetaTitle,
    MetaDescription,
    Body,
    Sections,
    WordCount,
    Version,
    Status,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentVersions {
    Table,
    Id,
    ContentId,
    AccountId,
    Version,
    Title,
    MetaTitle,
    MetaDescription,
    Body,
    Sections,
    WordCount,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tasks {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                owned_by(
                    Contents::Table,
                    "contents",
                    Contents::AccountId,
                    Contents::SiteId,
                    Contents::SectorId,
                )
                .col(big_pk_auto(Contents::Id))
                .col(big_integer(Contents::TaskId))
                .col(string_len(Contents::Title, 255))
                .col(string_len(Contents::MetaTitle, 255).default(""))
                .col(text(Contents::MetaDescription).default(""))
                .col(text(Contents::Body))
                .col(text(Contents::Sections))
                .col(integer(Contents::WordCount))
                .col(integer(Contents::Version))
                .col(string_len(Contents::Status, 16))
                .foreign_key(&mut fk(
                    "fk_contents_task",
                    (Contents::Table, Contents::TaskId),
                    (Tasks::Table, Tasks::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
            )
            .await?;
        // One article per task; generating again makes a new version of it.
        index(
            manager,
            "uq_contents_task",
            Contents::Table,
            &[Contents::TaskId],
            true,
        )
        .await?;
        index(
            manager,
            "idx_contents_account_sector",
            Contents::Table,
            &[Contents::AccountId, Contents::SectorId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentVersions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ContentVersions::Id))
                    .col(big_integer(ContentVersions::ContentId))
                    .col(big_integer(ContentVersions::AccountId))
                    .col(integer(ContentVersions::Version))
                    .col(string_len(ContentVersions::Title, 255))
                    .col(string_len(ContentVersions::MetaTitle, 255).default(""))
                    .col(text(ContentVersions::MetaDescription).default(""))
                    .col(text(ContentVersions::Body))
                    .col(text(ContentVersions::Sections))
                    .col(integer(ContentVersions::WordCount))
                    .col(string_len(ContentVersions::Note, 255).default(""))
                    .col(timestamp_with_time_zone(ContentVersions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_content_versions_content",
                        (ContentVersions::Table, ContentVersions::ContentId),
                        (Contents::Table, Contents::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_content_versions_content_version",
            ContentVersions::Table,
            &[ContentVersions::ContentId, ContentVersions::Version],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContentVersions::Table.into_iden(),
            Contents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
