//! Indexes for the keyword list's usual shapes: the whole account by volume (the default
//! order), and one site narrowed by status, by volume.

use crate::helpers::{drop_index, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Keywords {
    Table,
    AccountId,
    SiteId,
    Status,
    Volume,
}

const BY_VOLUME: &str = "idx_keywords_account_volume";
const SITE_STATUS_BY_VOLUME: &str = "idx_keywords_account_site_status_volume";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            BY_VOLUME,
            Keywords::Table,
            &[Keywords::AccountId, Keywords::Volume],
            false,
        )
        .await?;
        index(
            manager,
            SITE_STATUS_BY_VOLUME,
            Keywords::Table,
            &[
                Keywords::AccountId,
                Keywords::SiteId,
                Keywords::Status,
                Keywords::Volume,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [BY_VOLUME, SITE_STATUS_BY_VOLUME] {
            drop_index(manager, name, Keywords::Table).await?;
        }
        Ok(())
    }
}
