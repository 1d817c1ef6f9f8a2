//! `accounts.daily_ai_credit_limit`: the most credits an account may spend on AI in one UTC
//! day, set by an operator (NULL: the platform default, which is no ceiling unless configured).

use sea_orm_migration::{prelude::*, schema::big_integer_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    DailyAiCreditLimit,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(big_integer_null(Accounts::DailyAiCreditLimit))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::DailyAiCreditLimit)
                    .take(),
            )
            .await
    }
}
