//! Indexes for the job queue's claim (queued jobs in the order they are taken, so a claim
//! stops at the first it may run) and for keyword search (the account's keyword keys with
//! their volume, so a search and its count read the index, not the table).

use crate::helpers::{drop_index, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    Status,
    RunAfter,
}

#[derive(DeriveIden, Clone, Copy)]
enum Keywords {
    Table,
    AccountId,
    KeywordKey,
    Volume,
}

/// The index this one replaces: `(status, run_after)`, which made a claim sort every queued job.
const OLD_CLAIM: &str = "idx_jobs_claim";
/// A new name, not the old one re-created: SQLite migrations run on pooled connections without
/// a transaction, and a connection whose schema is stale still sees the dropped index and
/// refuses a new one of the same name.
const CLAIM: &str = "idx_jobs_claim_order";
const SEARCH: &str = "idx_keywords_account_key_volume";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            CLAIM,
            Jobs::Table,
            &[Jobs::Status, Jobs::RunAfter, Jobs::Id],
            false,
        )
        .await?;
        drop_index(manager, OLD_CLAIM, Jobs::Table).await?;
        index(
            manager,
            SEARCH,
            Keywords::Table,
            &[Keywords::AccountId, Keywords::KeywordKey, Keywords::Volume],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, SEARCH, Keywords::Table).await?;
        index(
            manager,
            OLD_CLAIM,
            Jobs::Table,
            &[Jobs::Status, Jobs::RunAfter],
            false,
        )
        .await?;
        drop_index(manager, CLAIM, Jobs::Table).await
    }
}
