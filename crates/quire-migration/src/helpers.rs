//! Small builders the migrations share: timestamped tables, foreign keys, indexes.

use sea_orm_migration::{prelude::*, schema::*};

/// A new table with `created_at` and `updated_at` (with time zone on PostgreSQL).
pub fn table_auto<T: IntoIden + 'static>(name: T) -> TableCreateStatement {
    Table::create()
        .table(name)
        .if_not_exists()
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")))
        .take()
}

pub fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

pub async fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[C],
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(*column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.take()).await
}

/// Drops the index `name` of `table`.
pub async fn drop_index<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sites {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sectors {
    Table,
    Id,
}

/// The account, site and sector every planner and writer row hangs from; deleting any of
/// them deletes the row.
pub fn owned_by<T: IntoIden + Copy + 'static>(
    this: T,
    name: &str,
    account: impl IntoIden + Copy + 'static,
    site: impl IntoIden + Copy + 'static,
    sector: impl IntoIden + Copy + 'static,
) -> TableCreateStatement {
    table_auto(this)
        .col(big_integer(account))
        .col(big_integer(site))
        .col(big_integer(sector))
        .foreign_key(&mut fk(
            &format!("fk_{name}_account"),
            (this, account),
            (Accounts::Table, Accounts::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            &format!("fk_{name}_site"),
            (this, site),
            (Sites::Table, Sites::Id),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            &format!("fk_{name}_sector"),
            (this, sector),
            (Sectors::Table, Sectors::Id),
            ForeignKeyAction::Cascade,
        ))
        .take()
}
