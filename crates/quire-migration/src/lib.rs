//! Quire's one migration history; the same steps build the schema on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261126_000001_foundation;
mod m20261126_000002_tenancy;
mod m20261126_000003_jobs_and_usage;
mod m20261126_000004_planner;
mod m20261126_000005_writer_content;
mod m20261126_000006_billing_lifecycle;
mod m20261126_000007_billing_automation;
mod m20261126_000008_password_resets;
mod m20261126_000009_email_changes;
mod m20261126_000010_keyword_list_indexes;
mod m20261126_000011_daily_ai_ceiling;
mod m20261126_000012_claim_and_search_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_tenancy::Migration),
            Box::new(m20261126_000003_jobs_and_usage::Migration),
            Box::new(m20261126_000004_planner::Migration),
            Box::new(m20261126_000005_writer_content::Migration),
            Box::new(m20261126_000006_billing_lifecycle::Migration),
            Box::new(m20261126_000007_billing_automation::Migration),
            Box::new(m20261126_000008_password_resets::Migration),
            Box::new(m20261126_000009_email_changes::Migration),
            Box::new(m20261126_000010_keyword_list_indexes::Migration),
            Box::new(m20261126_000011_daily_ai_ceiling::Migration),
            Box::new(m20261126_000012_claim_and_search_indexes::Migration),
        ]
    }
}
